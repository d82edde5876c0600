"""The Data page's steps for real exports: the sheet of a workbook, what each vendor value loads
as, one value for a whole file, missing exchange rates, and rows that load with a warning.

Each step reads the dry run's :class:`IngestReport` and draws widgets keyed per file (``tag``,
the start of the file's SHA-256). The next run turns those widgets back into
:class:`IngestOptions` through :func:`choices`, then checks the file again; nothing here stores
anything except the rates and channels a person enters, which go through ``core.store.rates``.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from core.access import AccessDeniedError, Actor
from core.formatting import escape_markdown, plural
from core.safe_export import safe_csv
from core.store.ingest import values
from core.store.ingest.currency import MissingRates, parse_currency_code
from core.store.ingest.pipeline import IngestError, IngestReport
from core.store.ingest.presets import PRESETS
from core.store.rates import add_channel, load_typed_rates, parse_typed_rate
from ui import access
from ui.store import Store

WHOLE_FILE_FIELDS = ("channel", "currency")  # fields a whole file may be given one value of
PARSE_NOUNS = {
    "channel": "channel",
    "opportunity_type": "opportunity type",
    "forecast_category": "forecast category",
    "lifecycle_stage": "lifecycle stage",
    "level": "goal level",
}
NOT_RECOGNISED = "Not recognised: the row is refused"
RATE_INPUTS_SHOWN = 36  # three years of one currency; more is a job for a rates file
NAME_KEY = "uploader_name"  # the name typed for the upload (ui.ingest's load controls)
LOADED_WARNINGS_KEY = "_loaded_warnings"


@dataclass(frozen=True)
class FileChoices:
    """What the person chose for one file in this step: its sheet, values, value mapping."""

    sheet: str | None
    fixed_values: Mapping[str, str]
    value_mapping: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class LoadedWarnings:
    """The rows of the file just loaded that carry a warning, shown once the file is in."""

    file_name: str
    upload_id: int | None
    count: int
    rows: pd.DataFrame


def sheet_key(tag: str) -> str:
    """The widget key of the sheet chosen for a file."""
    return f"sheet_{tag}"


def fixed_key(tag: str, field: str) -> str:
    """The widget key of one value set for a whole file."""
    return f"fixed_{tag}_{field}"


def value_key(tag: str, field: str, vendor_value: str) -> str:
    """The widget key of what one vendor value loads as (the value hashed: any text is safe)."""
    digest = hashlib.sha256(vendor_value.encode("utf-8")).hexdigest()[:12]
    return f"value_{tag}_{field}_{digest}"


def _chosen_values_key(tag: str) -> str:
    return f"_values_chosen_{tag}"


def _fields_key(tag: str) -> str:
    return f"_format_fields_{tag}"


def _pending_channel_key(tag: str) -> str:
    return f"_pending_channel_{tag}"


# --------------------------------------------------------------------------------------------
# From the widgets to the options
# --------------------------------------------------------------------------------------------
def choices(tag: str, source: str | None) -> FileChoices:
    """The previous run's choices for the file ``tag``, kept to the fields of its format.

    ``source`` is the format the person chose (``None``: recognised from the header, then the
    fields of the format the last check found count), so a value set for a field the newly
    chosen format lacks is left out instead of refused.
    """
    preset = next((item for item in PRESETS if item.name == source), None)
    fields: frozenset[str] = (
        frozenset(item.name for item in preset.fields)
        if preset is not None
        else st.session_state.get(_fields_key(tag), frozenset())
    )
    fixed: dict[str, str] = {}
    pending = st.session_state.pop(_pending_channel_key(tag), None)
    if pending:  # a channel just added: chosen for the file, before its box is drawn
        st.session_state[fixed_key(tag, "channel")] = pending
    channel = st.session_state.get(fixed_key(tag, "channel"))
    if channel and "channel" in fields:
        fixed["channel"] = str(channel)
    currency_text = str(st.session_state.get(fixed_key(tag, "currency")) or "").strip()
    if currency_text and "currency" in fields:
        # A bad code is said beside its box; meanwhile the file is checked without it.
        with contextlib.suppress(ValueError):
            fixed["currency"] = parse_currency_code(currency_text)
    chosen: Mapping[str, Mapping[str, str]] = st.session_state.get(_chosen_values_key(tag), {})
    mapping = {field: dict(found) for field, found in chosen.items() if field in fields and found}
    sheet = st.session_state.get(sheet_key(tag))
    return FileChoices(str(sheet) if sheet else None, fixed, mapping)


def remember_format(tag: str, report: IngestReport) -> None:
    """Note the fields of the format the file was read as (for the next run's choices)."""
    if report.preset is not None:
        st.session_state[_fields_key(tag)] = frozenset(item.name for item in report.preset.fields)


def _choose_value(key: str, tag: str, field: str, vendor_value: str) -> None:
    """Callback: keep what the person chose for a vendor value (only state is set here)."""
    chosen = {
        name: dict(found)
        for name, found in st.session_state.get(_chosen_values_key(tag), {}).items()
    }
    chosen.setdefault(field, {})[vendor_value] = st.session_state[key]
    st.session_state[_chosen_values_key(tag)] = chosen


# --------------------------------------------------------------------------------------------
# Sheet
# --------------------------------------------------------------------------------------------
def sheet_choice(tag: str, report: IngestReport) -> None:
    """A workbook with more than one sheet: which one to read (the first by default)."""
    if len(report.sheets) <= 1:
        return
    st.selectbox(
        "Sheet",
        list(report.sheets),
        key=sheet_key(tag),
        help="The workbook has more than one sheet; the first is read unless you choose another.",
    )


# --------------------------------------------------------------------------------------------
# One value for the whole file
# --------------------------------------------------------------------------------------------
def _asked_for(tag: str, report: IngestReport, field: str) -> bool:
    """Whether to offer one value of ``field`` for the whole file: the format has the field,
    and the file has no column for it (or the loader asks, or one is already set)."""
    if report.preset is None or field not in {item.name for item in report.preset.fields}:
        return False
    if st.session_state.get(fixed_key(tag, field)) or f"--set {field}" in report.message:
        return True
    column = next((item.column for item in report.mapping if item.field.name == field), None)
    return column is None or column not in report.headers


def whole_file_values(tag: str, report: IngestReport, store_settings: Mapping[str, str]) -> None:
    """The "Same value for the whole file" box: a channel and a currency the file lacks."""
    wanted = [field for field in WHOLE_FILE_FIELDS if _asked_for(tag, report, field)]
    if not wanted:
        return
    with st.container(border=True):
        st.markdown("**Same value for the whole file**")
        st.caption(
            "For a column the file does not have: every row gets the value chosen here, over "
            "anything the file says."
        )
        boxes = st.columns(3)  # narrow boxes, side by side
        if "channel" in wanted:
            channels = {
                key: label
                for key, label in values.targets("channel", store_settings).items()
                if key != values.OTHER
            }
            boxes[wanted.index("channel")].selectbox(
                "Channel of every row",
                list(channels),
                index=None,
                key=fixed_key(tag, "channel"),
                format_func=lambda key: channels.get(key, key),
                placeholder="Choose the channel",
                help="The file says nothing about the channel (an ad platform's own report "
                "does not name itself): choose the one its spend belongs to.",
            )
        if "currency" in wanted:
            box = boxes[wanted.index("currency")]
            typed = box.text_input(
                "Currency of every amount",
                max_chars=3,
                key=fixed_key(tag, "currency"),
                placeholder="Three letters, such as AUD",
                help="Only when the file does not say its currency: every amount is read in "
                "this one, over any code written in the cells. Leave it empty otherwise.",
            )
            if typed and typed.strip():
                try:
                    parse_currency_code(typed)
                except ValueError:
                    box.error("A currency is three letters, such as AUD or EUR.")
            elif report.currency_note:
                box.caption(f"Amounts read as {escape_markdown(report.currency_note)}.")


def add_channel_form(store: Store, tag: str, report: IngestReport) -> None:
    """ "A channel your company uses that is not listed": admins add one (an expander)."""
    if report.preset is None or not access.can("change_setting"):
        return
    if not any(item.parse == "channel" for item in report.preset.fields):
        return
    if not (
        _asked_for(tag, report, "channel")
        or any(report.preset.field(item.field).parse == "channel" for item in report.values)
    ):
        return
    with (
        st.expander("A channel your company uses that is not listed"),
        st.form(f"add_channel_{tag}", border=False),
    ):
        name = st.text_input(
            "Channel name",
            max_chars=40,
            placeholder="TikTok Ads",
            help="Added for every file and every page; files can then load into it.",
        )
        if not st.form_submit_button("Add the channel", icon=":material/add:"):
            return
        person = access.user().actor
        typed = str(st.session_state.get(NAME_KEY) or "").strip() or "app user"
        try:
            key = add_channel(store.engine, name, actor=person, by=typed)
        except (ValueError, AccessDeniedError) as problem:
            st.error(escape_markdown(str(problem)), icon=":material/error:")
            return
    label = " ".join(name.split())
    if _asked_for(tag, report, "channel"):
        st.session_state[_pending_channel_key(tag)] = key
    st.session_state["_data_notice"] = (
        f"Channel {label} added: choose it for a file or for a vendor value."
    )
    st.rerun()


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------
def values_step(tag: str, report: IngestReport, store_settings: Mapping[str, str]) -> None:
    """Every distinct vendor value of the vocabulary fields, its rows and what it loads as;
    unmapped ones first, each changeable."""
    if not report.values or report.preset is None:
        return
    by_field: dict[str, list[values.ValueCount]] = {}
    for count in report.values:
        by_field.setdefault(count.field, []).append(count)
    unmapped = [count for count in report.values if count.origin == "unmapped"]
    st.markdown("**Values** (what each value in the file loads as)")
    st.caption(
        (
            f"{plural(len(unmapped), 'value')} no mapping knows "
            f"({plural(sum(count.rows for count in unmapped), 'row')}) would load as Other: "
            "choose what they are. "
            if unmapped
            else "Every value is known. "
        )
        + f"Your choices are remembered for the next {report.preset.label} file once this "
        "one is loaded."
    )
    for field, counts in by_field.items():
        _field_values(tag, field, counts, report, store_settings)


def _field_values(
    tag: str,
    field: str,
    counts: list[values.ValueCount],
    report: IngestReport,
    store_settings: Mapping[str, str],
) -> None:
    parse = report.preset.field(field).parse  # type: ignore[union-attr]
    targets = values.targets(parse, store_settings)
    unmapped = sum(count.origin == "unmapped" for count in counts)
    chosen = sum(count.origin == "chosen" for count in counts)
    title = (
        f"{escape_markdown(counts[0].column)} → {PARSE_NOUNS.get(parse, parse)}: "
        f"{plural(len(counts), 'value')}" + (f", :orange[{unmapped} unmapped]" if unmapped else "")
    )
    ordered = sorted(counts, key=lambda count: (count.origin != "unmapped", -count.rows))
    with st.expander(title, expanded=bool(unmapped or chosen)):
        head = st.columns([4, 1, 4])
        head[0].caption("Value in the file")
        head[1].caption("Rows")
        head[2].caption("Loads as")
        for count in ordered:
            _value_row(tag, field, count, targets)


def _value_row(tag: str, field: str, count: values.ValueCount, targets: Mapping[str, str]) -> None:
    options = list(targets)
    current = count.loads_as if count.loads_as else None
    if current is not None and current not in targets:
        options.insert(0, current)
    key = value_key(tag, field, count.value)
    row = st.columns([4, 1, 4], vertical_alignment="center")
    badge = " :orange-badge[Unmapped]" if count.origin == "unmapped" else ""
    row[0].markdown(escape_markdown(count.value) + badge)
    row[1].markdown(f"{count.rows:,}")
    row[2].selectbox(
        f"{escape_markdown(count.column)}: {escape_markdown(count.value)} loads as",
        options,
        index=options.index(current) if current is not None else None,
        key=key,
        format_func=lambda value: targets.get(value, value),
        placeholder=NOT_RECOGNISED,
        label_visibility="collapsed",
        on_change=_choose_value,
        args=(key, tag, field, count.value),
    )


# --------------------------------------------------------------------------------------------
# Exchange rates
# --------------------------------------------------------------------------------------------
def _rate_key(tag: str, code: str, month: date) -> str:
    return f"rate_{tag}_{code}_{month:%Y-%m}"


def rates_form(store: Store, tag: str, report: IngestReport, reporting: str) -> None:
    """A file refused for want of rates: the message, and a form to enter each one."""
    if report.status != "needs_rates":
        return
    st.warning(escape_markdown(report.message), icon=":material/currency_exchange:")
    wanted = [(item.currency, month) for item in report.missing_rates for month in item.months]
    shown = wanted[:RATE_INPUTS_SHOWN]
    with st.form(f"rates_{tag}", border=True):
        st.markdown("**Enter the missing rates**")
        st.caption(
            f"How many {reporting} one unit buys in each month (the month's rate your finance "
            "team uses). They load as an upload of their own, kept and undoable from the "
            "upload history; then this file is checked again."
        )
        grid = st.columns(4)  # narrow boxes, four to a row, however many months
        for position, (code, month) in enumerate(shown):
            grid[position % len(grid)].number_input(
                f"1 {code} in {reporting}, {month:%B %Y}",
                min_value=0.0,
                value=None,
                step=0.0001,
                format="%.6f",
                key=_rate_key(tag, code, month),
            )
        if len(wanted) > len(shown):
            st.caption(
                f"{plural(len(wanted) - len(shown), 'more month')} need a rate: load a rates "
                "file (columns month, currency, rate) for them."
            )
        who = _recorder("rates_by", "Your name (recorded with the rates)")
        if not st.form_submit_button("Load the rates", type="primary"):
            return
        if who is None:
            st.error("Enter your name to load the rates.", icon=":material/error:")
            return
        _load_rates(store, tag, report.missing_rates, shown, who)


def _recorder(key: str, label: str) -> Actor | None:
    """Whom to record the rates by: the signed-in person, the name already typed for the
    upload, or a name typed here."""
    if access.user().actor is None and str(st.session_state.get(NAME_KEY) or "").strip():
        name = str(st.session_state[NAME_KEY]).strip()
        st.caption(f"Recorded as {escape_markdown(name)}")
        return Actor.local(name)
    return access.who(key, label)


def _load_rates(
    store: Store,
    tag: str,
    missing: tuple[MissingRates, ...],
    shown: list[tuple[str, date]],
    who: Actor,
) -> None:
    blank = [
        f"{code} {month:%B %Y}"
        for code, month in shown
        if st.session_state.get(_rate_key(tag, code, month)) is None
    ]
    if blank:
        st.error(
            "Enter a rate for every month: " + ", ".join(blank) + " is blank.",
            icon=":material/error:",
        )
        return
    try:
        rates = [
            parse_typed_rate(
                code, f"{month:%Y-%m}", str(st.session_state[_rate_key(tag, code, month)])
            )
            for code, month in shown
        ]
        loaded = load_typed_rates(store.engine, rates, actor=access.user().actor, by=who.label)
    except (ValueError, IngestError, AccessDeniedError) as problem:
        st.error(escape_markdown(str(problem)), icon=":material/error:")
        return
    if not loaded.loaded:
        st.error(escape_markdown(loaded.message), icon=":material/error:")
        return
    if access.user().actor is None and not str(st.session_state.get(NAME_KEY) or "").strip():
        st.session_state[NAME_KEY] = who.label  # asked once: the load below uses it too
    currencies = ", ".join(item.currency for item in missing)
    st.session_state["_data_notice"] = (
        f"{plural(len(rates), 'rate')} for {currencies} loaded (upload {loaded.upload_id}); "
        "the file is checked again with them."
    )
    st.rerun()


# --------------------------------------------------------------------------------------------
# Warnings
# --------------------------------------------------------------------------------------------
def warnings_list(tag: str, report: IngestReport) -> None:
    """Rows that will load but deserve a look: a summary, the rows and a download."""
    if report.warning_count:
        _warnings(tag, report.warning_count, report.warnings, "will load")


def _warnings(key: str, count: int, rows: pd.DataFrame, verb: str) -> None:
    rows = rows.assign(value=rows["value"].fillna("(blank)"))  # a copy: the report is kept
    st.warning(
        f"{plural(count, 'row')} {verb} with a warning: as the file says, but worth a look "
        "(a blank amount loads as 0, a close date before the created date as written). The "
        "list is kept with the upload.",
        icon=":material/flag:",
    )
    st.dataframe(
        rows,
        hide_index=True,
        height=min(38 + 35 * len(rows), 400),
        column_config={
            "row": st.column_config.NumberColumn("Row", help="Row of the file", width=60),
            "column": st.column_config.TextColumn("Column", width=120),
            "value": st.column_config.TextColumn("Value", width=120),
            "warning": st.column_config.TextColumn("Warning", width="large"),
        },
    )
    if len(rows) < count:
        st.caption(f"The first {len(rows):,} are listed here and in the download.")
    st.download_button(
        f"Download the {plural(count, 'warning')} as CSV",
        data=safe_csv(rows),
        file_name=f"warnings-{key}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"warnings_{key}",
    )


def keep_loaded_warnings(report: IngestReport) -> None:
    """After a load: keep its warnings to show once the page has reset for the next file."""
    if report.warning_count:
        st.session_state[LOADED_WARNINGS_KEY] = LoadedWarnings(
            report.file_name, report.upload_id, report.warning_count, report.warnings
        )
    else:
        st.session_state.pop(LOADED_WARNINGS_KEY, None)


def loaded_warnings() -> None:
    """The warnings of the file just loaded, until the next file arrives."""
    found: LoadedWarnings | None = st.session_state.get(LOADED_WARNINGS_KEY)
    if found is None:
        return
    with st.expander(
        f"The {plural(found.count, 'row')} of {escape_markdown(found.file_name)} "
        f"(upload {found.upload_id}) loaded with a warning",
        expanded=True,
    ):
        _warnings(f"upload-{found.upload_id}", found.count, found.rows, "loaded")


def forget_loaded_warnings() -> None:
    """A new file arrived: the last load's warnings are no longer the news."""
    st.session_state.pop(LOADED_WARNINGS_KEY, None)
