"""Upload glue for the Data page: archive on arrival, check, load with progress, undo.

The raw bytes go to the archive the moment a file arrives (before any parsing), named by their
SHA-256; later reruns of the page work from the archived copy. Only plain values (names, hashes,
choices) are kept in the session; every check reruns the pipeline on the archived file.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, replace
from pathlib import Path

import streamlit as st

from core.access import AccessDeniedError, Actor
from core.formatting import escape_markdown, plural
from core.safe_export import safe_csv
from core.store import queries
from core.store import scenarios as store_scenarios
from core.store.ingest.detect import UnreadableFileError
from core.store.ingest.pipeline import (
    IngestError,
    IngestOptions,
    IngestReport,
    archive_folder,
    archive_stream,
    ingest_from_archive,
    rejects_of,
    undo_upload,
)
from core.store.ingest.presets import DEFAULT_PRESET_FOR_KIND, PRESETS
from core.store.queries import TABLE_LABELS
from ui import access, data
from ui import ingest_values as file_values
from ui import scenarios as scenario_views
from ui.store import Store

ARRIVAL_KEY = "_upload_arrival"
NOT_IN_FILE = "(not in this file)"
AUTOMATIC = "Recognised from the header"
ORDER_LABELS = {"mdy": "Month first (11/22/2026)", "dmy": "Day first (22/11/2026)"}


@dataclass(frozen=True)
class Arrival:
    """An uploaded file, already archived."""

    file_id: str
    file_name: str
    sha256: str
    size_bytes: int
    problem: str | None = None


def archive_upload(store: Store, uploaded: object) -> Arrival:
    """Archive an ``st.file_uploader`` file once (reruns reuse the archived copy)."""
    file_id = str(getattr(uploaded, "file_id", "")) or str(getattr(uploaded, "name", ""))
    known: Arrival | None = st.session_state.get(ARRIVAL_KEY)
    if known is not None and known.file_id == file_id:
        return known
    name = Path(str(getattr(uploaded, "name", "upload.csv"))).name  # shown only, never a path
    try:
        sha, _path, size = archive_stream(uploaded, archive_folder(store.url))  # type: ignore[arg-type]
        arrival = Arrival(file_id, name, sha, size)
    except UnreadableFileError as problem:
        arrival = Arrival(file_id, name, "", 0, str(problem))
    st.session_state[ARRIVAL_KEY] = arrival
    return arrival


def forget_upload() -> None:
    """Drop the current arrival (after loading it, or when the user removes it)."""
    st.session_state.pop(ARRIVAL_KEY, None)


def archived_path(store: Store, sha256: str) -> Path:
    """Where the archive keeps a file."""
    return archive_folder(store.url) / sha256


def check(store: Store, arrival: Arrival, options: IngestOptions) -> IngestReport:
    """Run the pipeline without storing anything."""
    return ingest_from_archive(
        store.engine,
        archived_path(store, arrival.sha256),
        arrival.file_name,
        _with(options, dry_run=True),
    )


def load(store: Store, arrival: Arrival, options: IngestOptions) -> IngestReport:
    """Load the file, showing each step and a progress bar."""
    with st.status(f"Loading {arrival.file_name}", expanded=True) as status:
        bar = st.progress(0.0, text="Starting")

        def progress(share: float, step: str) -> None:
            bar.progress(min(max(share, 0.0), 1.0), text=step)

        report = ingest_from_archive(
            store.engine,
            archived_path(store, arrival.sha256),
            arrival.file_name,
            _with(options, dry_run=False, progress=progress),
        )
        status.update(
            label=f"{arrival.file_name}: loaded"
            if report.loaded
            else f"{arrival.file_name}: not loaded",
            state="complete" if report.loaded else "error",
            expanded=False,
        )
    return report


def _with(options: IngestOptions, **changes: object) -> IngestOptions:
    return replace(options, **changes)  # type: ignore[arg-type]


def upload_section(store: Store) -> None:
    """The "Load an export" tab: upload, check, map, choose, load."""
    if not access.can("upload"):
        access.read_only_note("Loading exports", "upload")
        return
    round_number = st.session_state.get("_uploader_round", 0)
    uploaded = st.file_uploader(
        "Export file (CSV or Excel)",
        type=["csv", "txt", "tsv", "xlsx", "xls", "ods"],
        key=f"uploader_{round_number}",
        help="Salesforce, HubSpot, Google Ads, LinkedIn, Meta, Microsoft Ads or billing exports, "
        "or the generic formats in the README, as CSV or as an Excel workbook. Up to 512 MB. The "
        "raw file is kept as it arrived, whether or not it loads.",
    )
    if uploaded is None:
        forget_upload()
        st.caption(
            "Recognised formats: " + ", ".join(preset.label for preset in PRESETS) + ". Nothing "
            "is stored until you choose to load it."
        )
        file_values.loaded_warnings()
        return
    file_values.forget_loaded_warnings()
    arrival = archive_upload(store, uploaded)
    if arrival.problem:
        st.error(escape_markdown(arrival.problem), icon=":material/error:")
        return
    options = _options_from_choices(arrival.sha256[:10])
    try:
        report = check(store, arrival, options)
    except IngestError as problem:
        st.error(escape_markdown(str(problem)), icon=":material/error:")
        return
    tag = arrival.sha256[:10]
    file_values.remember_format(tag, report)
    st.subheader(escape_markdown(arrival.file_name), divider="gray")
    _format_choice(tag, report)
    file_values.sheet_choice(tag, report)
    if report.status == "unreadable":
        st.error(escape_markdown(report.message), icon=":material/error:")
        return
    settings = data.store_settings(store.url, store.version)
    _how_it_was_read(report)
    _date_order_choice(tag, report)
    _mapping_choices(tag, options, report)
    file_values.whole_file_values(tag, report, settings)
    file_values.values_step(tag, report, settings)
    file_values.add_channel_form(store, tag, report)
    _validation(tag, report)
    file_values.rates_form(store, tag, report, settings.get("currency", "USD"))
    file_values.warnings_list(tag, report)
    _load_controls(store, arrival, options, report, round_number)


def _mapping_prefix(tag: str, source: str | None) -> str:
    return f"map_{tag}_{source or 'auto'}_"


def _options_from_choices(tag: str) -> IngestOptions:
    """The user's choices for this file, from the widgets of the previous run."""
    chosen_format = st.session_state.get(f"format_{tag}", AUTOMATIC)
    source = next((preset.name for preset in PRESETS if preset.label == chosen_format), None)
    prefix = _mapping_prefix(tag, source)
    mapping = {
        key.removeprefix(prefix): (None if value == NOT_IN_FILE else value)
        for key, value in st.session_state.items()
        if isinstance(key, str) and key.startswith(prefix)
    }
    chosen = file_values.choices(tag, source)
    return IngestOptions(
        source=source,
        kind=st.session_state.get(f"kind_{tag}") if source is None else None,
        mapping=mapping,
        date_order=st.session_state.get(f"order_{tag}") or "auto",
        keep_rejects=bool(st.session_state.get(f"keep_{tag}", False)),
        snapshot_date=st.session_state.get(f"snapshot_{tag}"),
        remember_mapping=bool(mapping or chosen.value_mapping),
        fixed_values=chosen.fixed_values,
        value_mapping=chosen.value_mapping,
        sheet=chosen.sheet,
    )


def _format_choice(tag: str, report: IngestReport) -> None:
    st.selectbox(
        "Export format",
        [AUTOMATIC, *(preset.label for preset in PRESETS)],
        key=f"format_{tag}",
        help="Change it if the file was recognised as the wrong format.",
    )
    if report.preset is None:
        st.selectbox(
            "This file holds",
            list(DEFAULT_PRESET_FOR_KIND),
            index=None,
            key=f"kind_{tag}",
            format_func=lambda kind: TABLE_LABELS.get(kind, kind),
            placeholder="Choose what the file holds",
            persist_state="session",  # kept once the file is recognised and this box is gone
        )


def _how_it_was_read(report: IngestReport) -> None:
    with st.expander("How the file was read", expanded=False):
        for decision in report.decisions:
            st.markdown("- " + escape_markdown(decision))
        if report.unmapped_columns:
            st.markdown(
                "- Columns not used: " + escape_markdown(", ".join(report.unmapped_columns))
            )


def _date_order_choice(tag: str, report: IngestReport) -> None:
    key = f"order_{tag}"
    if report.status != "needs_date_order" and st.session_state.get(key) is None:
        return
    if report.status == "needs_date_order":
        st.warning(escape_markdown(report.message), icon=":material/calendar_month:")
    st.radio(
        "The export writes dates",
        ["mdy", "dmy"],
        index=None,
        key=key,
        format_func=ORDER_LABELS.__getitem__,
        horizontal=True,
        persist_state="session",
    )


def _mapping_choices(tag: str, options: IngestOptions, report: IngestReport) -> None:
    if not report.mapping:
        return
    st.markdown("**Columns** (change a choice if a column was matched wrongly)")
    grid = st.columns(3)
    headers = [NOT_IN_FILE, *report.headers]
    prefix = _mapping_prefix(tag, options.source)
    for position, mapped in enumerate(report.mapping):
        required = " (required)" if mapped.field.required else ""
        grid[position % 3].selectbox(
            mapped.field.label[:1].upper() + mapped.field.label[1:] + required,
            headers,
            index=headers.index(mapped.column) if mapped.column in headers else 0,
            key=f"{prefix}{mapped.field.name}",
        )


def _validation(tag: str, report: IngestReport) -> None:
    if report.status in ("ready", "invalid", "needs_rates"):
        table = TABLE_LABELS.get(report.kind or "", report.kind or "")
        st.caption(
            f"{plural(report.rows_read, 'row')} read, {plural(report.rows_skipped, 'row')} skipped "
            f"(blank, totals, footer), {plural(report.rows_valid, 'valid row')} for {table}."
        )
    if report.status == "duplicate":
        st.info(escape_markdown(report.message), icon=":material/content_copy:")
    if not report.error_count:
        if report.status == "invalid":
            st.error(escape_markdown(report.message), icon=":material/error:")
        return
    st.error(escape_markdown(report.message), icon=":material/rule:")
    st.dataframe(
        report.errors,
        hide_index=True,
        column_config={
            "row": st.column_config.NumberColumn("Row", help="Row of the file"),
            "column": st.column_config.TextColumn("Column"),
            "value": st.column_config.TextColumn("Value"),
            "problem": st.column_config.TextColumn("Problem", width="large"),
        },
    )
    st.download_button(
        f"Download the {plural(report.error_count, 'problem')} as CSV",
        data=safe_csv(report.errors),
        file_name=f"problems-{tag}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    if report.rows_valid:
        st.checkbox(
            f"Load the {plural(report.rows_valid, 'valid row')} and keep the "
            f"{plural(report.rows_rejected, 'rejected row')} with their reasons",
            key=f"keep_{tag}",
        )


def _load_controls(
    store: Store, arrival: Arrival, options: IngestOptions, report: IngestReport, round_number: int
) -> None:
    tag = arrival.sha256[:10]
    ready = report.status == "ready" or (
        report.status == "invalid" and options.keep_rejects and report.rows_valid > 0
    )
    if report.snapshot_date is not None:
        st.date_input(
            "The export describes the day",
            value=report.snapshot_date,
            key=f"snapshot_{tag}",
            format="YYYY-MM-DD",
            help="Newer snapshots of the same records become their current version.",
        )
    who = access.who("uploader_name", "Your name (recorded with the upload)")
    table = TABLE_LABELS.get(report.kind or "", "")
    label = f"Load {plural(report.rows_valid, 'row')} into {table}"
    if st.button(label, type="primary", disabled=not ready or who is None):
        loaded = load(store, arrival, _with(options, actor=who, uploaded_by=who.label))
        if loaded.loaded:
            if loaded.kind in store_scenarios.FIT_INPUTS:
                scenario_views.fit_in_background(store.engine)
            st.session_state["_data_notice"] = " ".join(
                [f"{arrival.file_name}: {loaded.message}", *loaded.restated]
            )
            file_values.keep_loaded_warnings(loaded)
            st.session_state["history_upload"] = loaded.upload_id  # the history shows it next
            st.session_state["_uploader_round"] = round_number + 1
            forget_upload()
            st.rerun()
        st.error(escape_markdown(loaded.message), icon=":material/error:")
    if ready and who is None:
        st.caption("Enter your name to load the file.")


def history_section(store: Store) -> None:
    """The "Upload history" tab: every upload, its original file, its rejects, undo."""
    history = data.upload_history(store.url, store.version, 200)
    if history.empty:
        st.info("No uploads yet.")
        return
    _upload_actions(store, history)
    st.caption("The 200 most recent uploads, newest first. Each file is one upload.")
    st.dataframe(
        history,
        hide_index=True,
        height=360,
        column_order=[
            "upload_id",
            "file_name",
            "source_label",
            "table_label",
            "snapshot_date",
            "rows_read",
            "rows_inserted",
            "rows_updated",
            "rows_rejected",
            "rows_warned",
            "uploaded_by",
            "uploaded_at",
            "status",
        ],
        column_config={
            "upload_id": st.column_config.NumberColumn("Upload", width="small"),
            "file_name": st.column_config.TextColumn("File", width="medium"),
            "source_label": st.column_config.TextColumn("Format", width="medium"),
            "table_label": st.column_config.TextColumn("Holds", width="medium"),
            "snapshot_date": st.column_config.DateColumn(
                "Describes", format="D MMM YYYY", width="small"
            ),
            "rows_read": st.column_config.NumberColumn("Rows", format="localized", width="small"),
            "rows_inserted": st.column_config.NumberColumn(
                "New", format="localized", width="small"
            ),
            "rows_updated": st.column_config.NumberColumn(
                "Updated",
                format="localized",
                width="small",
                help="New versions of records already held",
            ),
            "rows_rejected": st.column_config.NumberColumn(
                "Rejected", format="localized", width="small"
            ),
            "rows_warned": st.column_config.NumberColumn(
                "Warnings",
                format="localized",
                width="small",
                help="Rows that loaded as the file says but deserve a look (download below)",
            ),
            "uploaded_by": st.column_config.TextColumn("By", width="small"),
            "uploaded_at": st.column_config.DatetimeColumn(
                "Loaded", format="D MMM YYYY, HH:mm", width="small"
            ),
            "status": st.column_config.TextColumn("Status", width="small"),
        },
    )


def _upload_actions(store: Store, history: object) -> None:
    """Pick an upload; download its original file or its rejects; undo it."""
    rows = {int(row.upload_id): row for row in history.itertuples()}  # type: ignore[attr-defined]
    chosen = st.selectbox(
        "Upload",
        list(rows),
        format_func=lambda upload_id: (
            f"{upload_id} · {rows[upload_id].file_name} · {rows[upload_id].table_label} · "
            f"{rows[upload_id].status}"
        ),
        key="history_upload",
    )
    row = rows[chosen]
    original = archived_path(store, row.sha256)
    actions = st.columns(3, vertical_alignment="center")
    if original.is_file() and access.can("upload"):
        actions[0].download_button(
            "Download the original file",
            help="Byte for byte as it was uploaded, for lineage: formulas in it are not "
            "neutralised, so open it with care.",
            data=original.read_bytes(),
            file_name=row.file_name,
            mime=mimetypes.guess_type(row.file_name)[0] or "application/octet-stream",
            icon=":material/download:",
            key=f"original_{chosen}",
        )
    elif not original.is_file():
        actions[0].caption("The original file is not in this store's archive.")
    if row.rows_rejected:
        actions[1].download_button(
            f"Download the {plural(int(row.rows_rejected), 'rejected row')}",
            data=safe_csv(rejects_of(store.engine, chosen)),
            file_name=f"rejects-upload-{chosen}.csv",
            mime="text/csv",
            icon=":material/download:",
            key=f"rejects_{chosen}",
        )
    if row.rows_warned:
        actions[1].download_button(
            f"Download the {plural(int(row.rows_warned), 'warning')}",
            data=safe_csv(queries.warnings_of(store.engine, chosen)),
            file_name=f"warnings-upload-{chosen}.csv",
            mime="text/csv",
            icon=":material/download:",
            key=f"warnings_{chosen}",
        )
    if row.status != "loaded":
        actions[2].caption(f"Upload {chosen} is {row.status}.")
        return
    undoer = access.user().actor or Actor.local(st.session_state.get("uploader_name") or "app user")
    if not access.can("undo_upload") or not undoer.can("undo_upload"):
        return
    confirm = actions[2].checkbox(f"Undo upload {chosen}", key=f"confirm_undo_{chosen}")
    if actions[2].button("Undo", disabled=not confirm, key=f"undo_{chosen}"):
        try:
            undo_upload(store.engine, chosen, actor=undoer)
        except (IngestError, AccessDeniedError) as problem:
            st.error(escape_markdown(str(problem)))
            return
        if row.kind in store_scenarios.FIT_INPUTS:
            scenario_views.fit_in_background(store.engine)
        st.session_state["_data_notice"] = (
            f"Upload {chosen} ({row.file_name}) undone: its rows no longer count; the "
            "store is as it was before it."
        )
        st.rerun()
