"""The ingest path: file -> archive -> detect -> stage -> map -> type -> validate -> commit.

Every step but the first few kilobytes of detection runs inside DuckDB:

1. **archive**: the raw bytes are copied to ``<store folder>/uploads/<sha256>`` before anything
   is parsed (nothing a user uploads is lost, and file names never become paths);
2. **detect**: encoding, separator, header line and format (:mod:`.detect`); non-UTF-8 text is
   transcoded to a UTF-8 working copy;
3. **stage**: ``read_csv`` reads every cell as text into a temporary table, numbering records,
   and marks blank, subtotal, ``Total:`` and footer rows so they are never loaded;
4. **decide** per file: the date order of every date column (an ambiguous file such as one with
   only ``03/04/2026``-style dates is never guessed: the caller must choose), and whether
   numbers use a decimal comma;
5. **map and type**: the format's fields (or the user's mapping) become the store's columns;
6. **validate**: required values, types, ranges, cross-field rules and duplicate keys; each
   error names the file row, the column, the value and what was expected;
7. **commit** in one transaction: the upload record, the valid rows as new versions, the
   rejects (only when the caller chose to keep them), and a new data version.

A file with any invalid row stores nothing unless ``keep_rejects`` is set. The same bytes loaded
twice are recognised by their SHA-256 and not loaded again. :func:`undo_upload` restores the
state before an upload: its rows stay stored, but no longer count.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.access import Actor, acting
from core.calendar import FiscalCalendar
from core.formatting import format_day, plural
from core.goals import GOAL_COLUMNS, goal_problems
from core.store import audit, queries
from core.store.engine import (
    duckdb_memory_limit,
    ensure_writable,
    raw_duckdb,
)
from core.store.ingest import currency, messages, spreadsheet, sql, values
from core.store.ingest.archive import (
    ARCHIVE_ENV,
    archive_file,
    archive_folder,
    archive_stream,
)
from core.store.ingest.bulk import (
    LoadCounts,
    UploadRecord,
    count_new_versions,
    finish_upload,
    insert_frame,
    start_upload,
)
from core.store.ingest.detect import (
    FileLayout,
    UnreadableFileError,
    date_range_from_preamble,
    detect_encoding,
    detect_layout,
    has_stray_nul_bytes,
    range_is_all_time,
    snapshot_from_file_name,
    snapshot_from_footer,
    snapshot_from_preamble,
    strip_nul_bytes,
    transcode_to_utf8,
)
from core.store.ingest.presets import (
    DEFAULT_PRESET_FOR_KIND,
    VOCABULARIES,
    Field,
    Preset,
    normalize_header,
    preset_named,
    vocabulary_key,
)
from core.store.ingest.report import (
    ERROR_COLUMNS,
    ERRORS_SHOWN,
    MAX_FILE_BYTES,
    MAX_UPLOAD_BYTES,
    WARNING_COLUMNS,
    DateOrder,
    EncodingMismatchError,
    IngestError,
    IngestOptions,
    IngestReport,
    MappedField,
    Status,
)
from core.store.ingest.rules import (
    Money,
    canonical_select,
    has_field,
    mapped_field,
    natural_keys,
    restated_by_rates,
    validation_checks,
    warning_checks,
)
from core.store.schema import (
    bump_data_version,
    fact_columns,
    rejects,
    saved_mappings,
    upload_warnings,
    uploads,
)

# The ingest path's public names, including those its parts define (callers import them here).
__all__ = [
    "ARCHIVE_ENV",
    "ERROR_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_UPLOAD_BYTES",
    "WARNING_COLUMNS",
    "DateOrder",
    "IngestError",
    "IngestOptions",
    "IngestReport",
    "MappedField",
    "Status",
    "archive_file",
    "archive_folder",
    "archive_stream",
    "header_signature",
    "ingest_archived",
    "ingest_file",
    "ingest_from_archive",
    "rejects_of",
    "undo_upload",
    "with_options",
]

MAX_LINE_BYTES = 2 * 1024 * 1024
FORMAT_SAMPLE_ROWS = 20_000
# Parses whose typed value is worth storing; text is trimmed on the fly instead.
_COMPUTED_PARSES = frozenset(
    {"number", "percent", "integer", "date", "timestamp", "month", "boolean", "currency"}
)
VOCABULARY_CELLS = 200  # distinct spellings of a vocabulary column read by lookup
SAMPLE_RECORDS = 50_000  # records read first, to decide date and number formats
# A total row says so in its first cell ("Total", "Grand Total (15 records)", "Total: Account",
# "Summe:"), not in a name that starts with the word ("Total Wine & More", a rep "Sum Wong");
# Google Ads puts "Total: Campaigns" in the second or third cell after a day or a blank.
# The fields holding money, whose cells may name their currency ("USD 12,000.00"); impressions,
# clicks and probabilities are numbers too, but never in a currency.
MONEY_FIELD_NAMES = ("amount", "budget", "arr", "mrr")
_TOTAL_ROW = "^\\s*(grand total|total|subtotal|sum|summe|gesamt)\\s*($|:|\\()"
_TOTAL_LABEL = "^\\s*(grand total|total|subtotal):"
_FOOTER_START = "^\\s*(copyright \\(c\\)|©|confidential information|generated by:)"


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------
def ingest_file(
    engine: Engine,
    path: Path,
    options: IngestOptions | None = None,
    display_name: str | None = None,
) -> IngestReport:
    """Archive, check and (unless ``dry_run`` or invalid) load one file.

    :class:`core.access.AccessDeniedError` before anything is read when ``options.actor`` may not
    load files.
    """
    ensure_writable(engine)  # before the file is archived: a read-only store keeps nothing
    options = _as_loader(options or IngestOptions())
    name = display_name or path.name
    folder = archive_folder(engine.url.render_as_string(hide_password=False))
    report = IngestReport(file_name=name)
    try:
        report.sha256, archived, report.size_bytes = archive_file(path, folder, options.max_bytes)
    except UnreadableFileError as problem:
        report.status, report.message = "unreadable", str(problem)
        return report
    report.archive_path = archived
    return ingest_archived(engine, archived, name, report, options)


def ingest_from_archive(
    engine: Engine, archived: Path, file_name: str, options: IngestOptions
) -> IngestReport:
    """Run the pipeline on a file the archive already holds (named by its SHA-256)."""
    report = IngestReport(
        file_name=file_name,
        sha256=archived.name,
        size_bytes=archived.stat().st_size,
        archive_path=archived,
    )
    return ingest_archived(engine, archived, file_name, report, options)


def ingest_archived(
    engine: Engine, archived: Path, name: str, report: IngestReport, options: IngestOptions
) -> IngestReport:
    """Run the pipeline on a file already in the archive."""
    ensure_writable(engine)
    options = _as_loader(options)
    now = options.now or datetime.now()
    duplicate = _loaded_upload_with_sha(engine, report.sha256)
    if duplicate is not None:
        report.status, report.duplicate_of = "duplicate", duplicate[0]
        report.message = (
            f"This file was already loaded as upload {duplicate[0]} ({duplicate[1]}, "
            f"{format_day(duplicate[2])} {duplicate[2]:%H:%M}): nothing loaded again. Undo that upload first to "
            "load it anew."
        )
        return report
    options.report_progress(0.05, "Reading the file's layout")
    encoding: str | None = None
    with tempfile.TemporaryDirectory(prefix="marketing-review-ingest-") as work:
        while True:
            try:
                prepared = _prepare(engine, archived, Path(work), options, encoding)
                with engine.begin() as connection:
                    run = _Run(connection, prepared, report, options, now)
                    try:
                        run.execute()
                    finally:
                        run.drop_temporary_tables()
                    if report.loaded:
                        _audit_upload(connection, options, report, now)
                    else:
                        connection.rollback()
                return report
            except EncodingMismatchError as problem:
                if encoding is not None:
                    report.status, report.message = "unreadable", str(problem)
                    return report
                # Valid UTF-8 at the start, not further on: a Windows-1252 file. Start again.
                encoding = "cp1252"
                report = IngestReport(
                    file_name=report.file_name,
                    sha256=report.sha256,
                    size_bytes=report.size_bytes,
                    archive_path=report.archive_path,
                )
            except UnreadableFileError as problem:
                report.status, report.message = "unreadable", str(problem)
                return report


def _as_loader(options: IngestOptions) -> IngestOptions:
    """``options`` with the loader checked and recorded as who they are."""
    who = acting(options.actor, options.uploaded_by, "upload")
    return replace(options, actor=who, uploaded_by=who.label)


def _audit_upload(
    connection: Connection, options: IngestOptions, report: IngestReport, now: datetime
) -> None:
    assert options.actor is not None  # _as_loader set it
    audit.record(
        connection,
        options.actor,
        "upload",
        f"upload {report.upload_id}",
        f"Loaded {report.file_name} into {report.kind}: {report.rows_inserted:,} rows new, "
        f"{report.rows_updated:,} updated, {report.rows_rejected:,} rejected",
        after={
            "upload_id": report.upload_id,
            "file_name": report.file_name,
            "sha256": report.sha256,
            "kind": report.kind,
            "source": report.preset.name if report.preset else None,
            "rows_read": report.rows_read,
            "rows_inserted": report.rows_inserted,
            "rows_updated": report.rows_updated,
            "rows_rejected": report.rows_rejected,
        },
        now=now,
    )


@dataclass(frozen=True)
class _Prepared:
    """A file ready for DuckDB: its layout, the UTF-8 copy to read and its line count."""

    layout: FileLayout
    readable: Path
    line_count: int
    unclosed_quote: bool = False  # an odd number of double quotes: the file is cut short
    sheets: tuple[str, ...] = ()  # an Excel workbook's sheets (the first is read by default)


def _prepare(
    engine: Engine, archived: Path, work: Path, options: IngestOptions, encoding: str | None
) -> _Prepared:
    with archived.open("rb") as handle:
        sample = handle.read(64 * 1024)
    source = archived
    decisions: list[str] = []
    sheets: tuple[str, ...] = ()
    if spreadsheet.is_spreadsheet(sample):
        copy = spreadsheet.spreadsheet_to_csv(archived, work / "sheet.csv", options.sheet)
        source, sheets, encoding = copy.path, copy.sheets, "utf-8"
        decisions.extend(copy.decisions)
        with source.open("rb") as handle:
            sample = handle.read(64 * 1024)
    elif has_stray_nul_bytes(sample):
        removed, lines = strip_nul_bytes(archived, work / "without-nul.csv")
        source = work / "without-nul.csv"
        shown = ", ".join(f"{line:,}" for line in lines[:20]) + (" ..." if len(lines) > 20 else "")
        decisions.append(
            f"Removed {plural(removed, 'NUL byte')} (an invisible control character some "
            f"exports write before rich-text fields) on {plural(len(lines), 'line')}: {shown}. "
            "No other character was changed."
        )
        with source.open("rb") as handle:
            sample = handle.read(64 * 1024)
    encoding = encoding or detect_encoding(sample)
    readable = source
    if encoding not in ("utf-8", "utf-8-sig"):
        readable = transcode_to_utf8(source, encoding, work / "utf8.csv")
    quotes, line_count = _count_quotes_and_lines(readable)
    forced = _forced_preset(options)
    layout = detect_layout(source, encoding, forced)
    if layout.preset is None and forced is None and not options.kind:
        remembered = _remembered_preset(engine, layout.headers)
        if remembered is not None:
            layout = detect_layout(source, encoding, remembered)
            layout = replace(
                layout,
                decisions=(
                    *layout.decisions,
                    f"Read as a {remembered.label} file, as confirmed before for this header.",
                ),
            )
    if decisions:
        layout = replace(layout, decisions=(*decisions, *layout.decisions))
    return _Prepared(layout, readable, line_count, unclosed_quote=bool(quotes % 2), sheets=sheets)


def _count_quotes_and_lines(path: Path) -> tuple[int, int]:
    """Double quotes and lines in a UTF-8 file (an odd quote count means one is never closed)."""
    quotes = lines = 0
    last = b""
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            quotes += block.count(b'"')
            lines += block.count(b"\n")
            last = block[-1:]
    return quotes, lines + (1 if last and last != b"\n" else 0)


def _remembered_preset(engine: Engine, headers: tuple[str, ...]) -> Preset | None:
    with engine.connect() as connection:
        name = connection.execute(
            sa.select(saved_mappings.c.preset).where(
                saved_mappings.c.header_signature == header_signature(headers)
            )
        ).scalar()
    return preset_named(str(name)) if name else None


def _forced_preset(options: IngestOptions) -> Preset | None:
    if options.source:
        return preset_named(options.source)
    if options.kind:
        if options.kind not in DEFAULT_PRESET_FOR_KIND:
            known = ", ".join(sorted(DEFAULT_PRESET_FOR_KIND))
            raise ValueError(f"unknown kind {options.kind!r}; known kinds: {known}")
        return None
    return None


def _loaded_upload_with_sha(engine: Engine, sha: str) -> tuple[int, str, datetime] | None:
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(uploads.c.upload_id, uploads.c.file_name, uploads.c.uploaded_at)
            .where(uploads.c.sha256 == sha, uploads.c.status == "loaded")
            .order_by(uploads.c.upload_id)
            .limit(1)
        ).first()
    return (int(row.upload_id), str(row.file_name), row.uploaded_at) if row else None


def _first_match(candidate: Field, headers: tuple[str, ...]) -> str | None:
    """The file column for a field, in the field's order of preference ("Day" before "Reporting starts")."""
    normalized = {header: normalize_header(header) for header in headers}
    for wanted in candidate.headers:
        for header, name in normalized.items():
            if name.startswith(wanted) if candidate.prefix else name == wanted:
                return header
    return None


def header_signature(headers: tuple[str, ...]) -> str:
    """Identity of a header row, for remembering the mapping a user confirmed."""
    return hashlib.sha256(
        "\x1f".join(normalize_header(header) for header in headers).encode()
    ).hexdigest()


def _staging_database(connection: Connection) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for parsing a file bound for another engine.

    It holds what the checks read from the store (goal ids, campaign names), under the store's
    table names, so the staging SQL is the same whichever engine the rows are bound for.
    """
    duck = duckdb.connect(
        ":memory:",
        config={"memory_limit": duckdb_memory_limit()},
    )
    duck.execute("set enable_progress_bar = false")
    goals = pd.DataFrame(
        connection.execute(sa.text("select goal_id from current_goals")).all(),
        columns=["goal_id"],
        dtype="string",
    )
    campaigns = pd.DataFrame(
        connection.execute(
            sa.text("select campaign_id, campaign_name, channel from current_campaigns")
        ).all(),
        columns=["campaign_id", "campaign_name", "channel"],
        dtype="string",
    )
    for name, frame in (("current_goals", goals), ("current_campaigns", campaigns)):
        duck.register(f"{name}_frame", frame)
        duck.execute(f"create table {name} as select * from {name}_frame").fetchall()
        duck.unregister(f"{name}_frame")
    return duck


class _Run:
    """One file through the pipeline on one connection (temporary tables are per connection).

    On a DuckDB store the file is staged in the store's own connection, inside the upload's
    transaction; on any other engine it is staged in an in-memory DuckDB and only the valid rows
    (and rejects) cross to the store, in bulk.
    """

    def __init__(
        self,
        connection: Connection,
        prepared: _Prepared,
        report: IngestReport,
        options: IngestOptions,
        now: datetime,
    ) -> None:
        self.connection = connection
        self.separate_staging = connection.dialect.name != "duckdb"
        self.duck = (
            _staging_database(connection) if self.separate_staging else raw_duckdb(connection)
        )
        self.readable = prepared.readable
        self.layout = prepared.layout
        self.line_count = prepared.line_count
        self.unclosed_quote = prepared.unclosed_quote
        self.lines_table: str | None = None  # record -> file line, when they differ
        self.footer_rows = 0  # footer lines skipped (read for the day a report describes)
        self.report = report
        self.options = options
        self.now = now
        token = uuid.uuid4().hex[:12]
        self.sample_table = f"ingest_sample_{token}"
        self.values_table = f"ingest_values_{token}"
        self.typed_table = f"ingest_typed_{token}"  # a view over values_table
        self.error_table = f"ingest_errors_{token}"
        self.columns: dict[str, str] = {}  # file header -> staging column
        # Columns the loader adds: a value set for the whole file, HubSpot's source with its
        # drill-down, a report's date range: header -> SQL over the file's staging columns.
        self.virtual: dict[str, str | tuple[str, str]] = {}
        self.file_columns: dict[str, str] = {}  # the file's own headers -> staging column
        self.sample_is_whole_file = False
        self.store_settings = _settings(connection)
        self.reporting_currency = self.store_settings.get("currency", "USD")
        self.rates_table = f"ingest_rates_{token}"
        self.warning_table = f"ingest_warnings_{token}"
        self.vocabularies: dict[str, values.Vocabulary] = {}
        self._rates_ready = False
        self._file_currency: str | None = None
        self._all_reporting = False  # every amount is in the reporting currency: no rate joins
        self.sheets = prepared.sheets

    # -- steps -------------------------------------------------------------------------------
    def execute(self) -> None:
        report, layout = self.report, self.layout
        report.headers = layout.headers
        report.decisions.extend(layout.decisions)
        preset = layout.preset or (
            DEFAULT_PRESET_FOR_KIND.get(self.options.kind) if self.options.kind else None
        )
        report.sheets = self.sheets
        if preset is None:
            report.status = "unreadable"
            report.message = messages.unrecognised(layout)
            return
        report.preset = preset
        if self.unclosed_quote:
            report.status = "unreadable"
            report.message = (
                'A quoted cell is never closed (a " is missing): the file is cut short or damaged.'
            )
            return
        report.mapping = self._mapping(preset)
        if report.status == "unreadable":
            return
        used = {mapped.column for mapped in report.mapping if mapped.column}
        report.unmapped_columns = tuple(header for header in layout.headers if header not in used)
        missing = [
            mapped.field.name
            for mapped in report.mapping
            if mapped.field.required and not mapped.column
        ]
        self.options.report_progress(0.15, "Reading every row")
        self._stage()
        self.options.report_progress(0.45, "Deciding date and number formats")
        if missing and not self._derivable(preset, missing):
            report.status = "invalid"
            report.message = messages.missing_columns(
                preset, [preset.field(name).label for name in missing]
            )
            return
        if report.rows_read == report.rows_skipped:
            report.status = "invalid"
            report.message = messages.no_rows(preset, layout, report.rows_read)
            return
        self.vocabularies = self._vocabularies(preset)
        decisions = self._decide_formats()
        if decisions is None:
            return
        self.options.report_progress(0.55, "Checking every value")
        self._type(decisions)
        self._validate()
        self._warn()
        report.values = self._value_counts()
        tree_problems = self._validate_goal_tree() if preset.kind == "goals" else 0
        self.options.report_progress(0.8, "Validated")
        if tree_problems:
            report.status = "invalid"
            report.message = (
                f"{plural(tree_problems, 'problem')} with the goal tree (each goal's row, column "
                "and problem are listed): nothing was loaded. Goals are loaded whole or not at "
                "all, because a goal left out would break the tree under it."
            )
            return
        report.snapshot_date = self._snapshot_date()
        if self._needs_rates(preset):
            return
        if report.error_count and not self.options.keep_rejects:
            report.status = "invalid"
            report.message = (
                f"{plural(report.error_count, 'problem')} in {report.rows_rejected:,} of "
                f"{plural(report.rows_read - report.rows_skipped, 'row')}: nothing was loaded. Fix the file, "
                "or choose to load the valid rows and keep the rejects."
            )
            return
        if self.options.dry_run:
            self.options.report_progress(1.0, "Checked")
            report.status = "ready"
            report.message = f"{report.rows_valid:,} rows ready to load into {preset.kind}."
            return
        self.options.report_progress(0.85, "Storing the rows")
        self._commit()
        self.options.report_progress(1.0, "Loaded")

    def _mapping(self, preset: Preset) -> tuple[MappedField, ...]:
        headers = self.layout.headers
        chosen = dict(_remembered_mapping(self.connection, self.layout.headers, preset))
        chosen.update(self.options.mapping)
        mapped = []
        for candidate in preset.fields:
            if candidate.name in chosen:
                column = chosen[candidate.name]
                if column is not None and column not in headers:
                    raise IngestError(
                        f"mapping for {candidate.name} names column {column!r}, which the file does "
                        f"not have; its columns are: {', '.join(headers)}"
                    )
            else:
                column = _first_match(candidate, headers)
            mapped.append(MappedField(candidate, column))
        mapped = self._with_fixed_values(preset, mapped)
        mapped = self._with_derived_columns(preset, mapped)
        return tuple(mapped)

    def _with_fixed_values(self, preset: Preset, mapped: list[MappedField]) -> list[MappedField]:
        """Values set for the whole file (``channel=paid_social``) as columns of their own."""
        fixed = dict(self.options.fixed_values)
        if not fixed:
            return mapped
        names = {candidate.field.name for candidate in mapped}
        for name, text in fixed.items():
            if name not in names:
                settable = ", ".join(sorted(names))
                raise IngestError(
                    f"a {preset.label} file has no field {name!r} to set; its fields are: {settable}"
                )
            parse = preset.field(name).parse
            if parse in ("channel", "opportunity_type"):
                text = values.resolve_target(parse, text, self.store_settings)
            elif parse == "currency":
                text = currency.parse_currency_code(text)
            header = f"{preset.field(name).label} (set for the whole file)"
            self.virtual[header] = sql.literal(text)
            self.report.fixed_values = {**self.report.fixed_values, name: text}
            mapped = [
                MappedField(candidate.field, header) if candidate.field.name == name else candidate
                for candidate in mapped
            ]
            self.report.decisions.append(
                f"{preset.field(name).label} set to {text} for every row, as chosen."
            )
        return mapped

    def _with_derived_columns(self, preset: Preset, mapped: list[MappedField]) -> list[MappedField]:
        """Columns read from more than one place: HubSpot's traffic source with its drill-down,
        and a totals report's date range from the lines above its header."""
        by_name = {candidate.field.name: candidate for candidate in mapped}
        source, detail = by_name.get("source_channel"), by_name.get("source_detail")
        if (
            source is not None
            and detail is not None
            and source.column
            and detail.column
            and source.column not in self.virtual
        ):
            header = f"{source.column} / {detail.column}"
            self.virtual[header] = (source.column, detail.column)
            mapped = [
                MappedField(candidate.field, header) if candidate is source else candidate
                for candidate in mapped
            ]
            self.report.decisions.append(
                f"Sources read with their first drill-down ({detail.column}): Paid Social / "
                "LinkedIn loads as LinkedIn, a drill-down no mapping names as its source."
            )
        start, end = by_name.get("range_start"), by_name.get("range_end")
        if start is not None and end is not None and not start.column and not end.column:
            if range_is_all_time(self.layout.preamble):
                self.report.status = "unreadable"
                self.report.message = messages.all_time(preset)
                return mapped
            found = date_range_from_preamble(self.layout.preamble)
            if found is None:
                self.report.status = "unreadable"
                self.report.message = messages.no_date_range(preset)
                return mapped
            first, last = found
            headers = (
                "Range start (from the report's date range)",
                "Range end (from the report's date range)",
            )
            self.virtual[headers[0]] = sql.literal(first.isoformat())
            self.virtual[headers[1]] = sql.literal(last.isoformat())
            mapped = [
                MappedField(candidate.field, headers[0])
                if candidate is start
                else MappedField(candidate.field, headers[1])
                if candidate is end
                else candidate
                for candidate in mapped
            ]
            days = (last - first).days + 1
            self.report.decisions.append(
                f"The report has totals over {format_day(first)} to {format_day(last)} and no "
                f"day column: each campaign's total is spread evenly over those {days} days, to "
                "the cent, and marked as spread. " + preset.hint
            )
        return mapped

    def _derivable(self, preset: Preset, missing: list[str]) -> bool:
        """Required fields another mapped field can stand in for."""
        present = {mapped.field.name for mapped in self.report.mapping if mapped.column}
        alternatives = {"campaign_name": "campaign_id", "mrr": "arr", "spend_date": "range_start"}
        return all(alternatives.get(name) in present for name in missing)

    def _stage(self) -> None:
        """Read the file's first records (enough to decide its formats) into the sample table."""
        self.columns = {
            header: f"c{position}" for position, header in enumerate(self.layout.headers, start=1)
        }
        self.file_columns = dict(self.columns)
        for position, header in enumerate(self.virtual, start=1):
            self.columns[header] = f"v{position}"
        self._read_into(self.sample_table, limit=SAMPLE_RECORDS)
        self._count_rows(self.sample_table)
        self.sample_is_whole_file = self.report.rows_read < SAMPLE_RECORDS

    def _read_into(self, table: str, typed: Sequence[str] = (), limit: int | None = None) -> None:
        """One parallel pass over the file into ``table``: its cells, skip reasons and ``typed``.

        DuckDB keeps the file's order, so row ids number the records. The footer, which runs
        from its first line to the end, is marked afterwards.
        """
        layout = self.layout
        definitions = ", ".join(
            f"{sql.literal(column)}: 'VARCHAR'" for column in self.file_columns.values()
        )
        source = sql.literal(str(self.readable))
        separator = sql.literal(layout.separator)
        first = self.columns[layout.headers[0]]
        everything = " and ".join(
            f"{sql.blank_to_null(column)} is null" for column in self.file_columns.values()
        )
        deleted = self._deleted_sql()
        later_totals = (
            " ".join(
                # A cheap test first (most cells hold no colon), the exact pattern only then.
                f"when contains({column}, ':') "
                f"and regexp_matches({column}, '{_TOTAL_LABEL}', 'i') then 'total'"
                for column in list(self.file_columns.values())[1:3]
            )
            + self._summary_sql()
        )
        derived = "".join(
            f", {self._virtual_sql(value)} as {self.columns[header]}"
            for header, value in self.virtual.items()
        )
        extra = derived + "".join(f", {part}" for part in typed)

        def create(parallel: bool) -> None:
            read = (
                f"read_csv({source}, skip={layout.skip_lines}, header=true, delim={separator}, "
                f"quote='\"', escape='\"', columns={{{definitions}}}, auto_detect=false, "
                f"null_padding=true, strict_mode=false, parallel={str(parallel).lower()}, "
                f"max_line_size={MAX_LINE_BYTES})"
            )
            if limit is not None:
                read = f"(select * from {read} limit {int(limit)})"
            self.duck.execute(
                f"""
                create or replace temp table {table} as
                select *,
                    case
                        when {everything} then 'blank'
                        when regexp_matches({first}, '{_TOTAL_ROW}', 'i') then 'total'
                        {later_totals}
                        {deleted}
                    end as skip_reason{extra}
                from {read}
                """
            ).fetchall()

        try:
            try:
                create(parallel=True)
            except duckdb.Error:
                # The parallel reader gives up on some files (line breaks inside quoted cells
                # with padding); reading them in one piece is slower but exact. The failure
                # aborted the transaction, which has written nothing yet (reading comes before
                # any write), so it is started again.
                if not self.separate_staging:
                    self.duck.execute("rollback")
                    self.duck.execute("begin transaction")
                create(parallel=False)
            self.duck.execute(
                f"""
                update {table} set skip_reason = 'footer'
                where coalesce(skip_reason, '') <> 'blank' and rowid >= (
                    select min(rowid) from {table}
                    where skip_reason is distinct from 'blank'
                      and regexp_matches({first}, '{_FOOTER_START}', 'i')
                )
                """
            ).fetchall()
        except Exception as error:  # DuckDB raises many kinds; the message is what matters
            text = str(error)
            if "Invalid unicode" in text or "unicode" in text.lower():
                raise EncodingMismatchError(_parse_problem(text, layout.header_line)) from error
            raise UnreadableFileError(_parse_problem(text, layout.header_line)) from error

    def _virtual_sql(self, value: str | tuple[str, str]) -> str:
        """SQL for a column the loader adds (a literal, or a source joined to its drill-down)."""
        if isinstance(value, str):
            return value
        source, detail = (self.file_columns[header] for header in value)
        return (
            f"case when lower(trim({source})) in ('paid social', 'paid search') "
            f"and {sql.blank_to_null(detail)} is not null "
            f"then trim({source}) || ' / ' || trim({detail}) else {source} end"
        )

    def _summary_sql(self) -> str:
        """A CASE branch skipping Meta's account summary row (no campaign name, no id)."""
        preset = self.report.preset
        if preset is None or not preset.sum_repeats:
            return ""
        keys = [
            self.file_columns[mapped.column]
            for mapped in self.report.mapping
            if mapped.field.name in ("campaign_name", "campaign_id")
            and mapped.column in self.file_columns
        ]
        if not keys:
            return ""
        blank = " and ".join(f"{sql.blank_to_null(column)} is null" for column in keys)
        return f" when {blank} then 'total'"

    def _deleted_sql(self) -> str:
        """A CASE branch skipping rows a warehouse sync flags as deleted (``is_deleted``)."""
        flag = mapped_field(self.report, "is_deleted")
        if flag is None or flag.column is None:
            return ""
        column = self.file_columns[flag.column]
        return f"when lower(trim({column})) in ('true', '1', 't') then 'deleted'"

    def _count_rows(self, table: str) -> tuple[int, int]:
        """Set rows read and skipped from ``table``; return its (total, footer) row counts."""
        counts = self.duck.execute(
            f"select count(*), count(skip_reason), count(*) filter (where skip_reason = 'total'), "
            f"count(*) filter (where skip_reason = 'footer') from {table}"
        ).fetchall()[0]
        self.report.rows_read, self.report.rows_skipped = int(counts[0]), int(counts[1])
        return int(counts[2]), int(counts[3])

    def _number_lines(self) -> None:
        """Map each record to the file line it starts on (DuckDB skips blank lines when counting)."""
        starts: list[int] = []
        skip = self.layout.skip_lines
        with self.readable.open(encoding="utf-8-sig", newline="") as handle:
            for _ in range(skip):
                handle.readline()
            reader = csv.reader(handle, delimiter=self.layout.separator)
            try:
                next(reader)  # the header
                consumed = reader.line_num
                for row in reader:
                    start = consumed + 1
                    consumed = reader.line_num
                    if any(cell != "" for cell in row) or len(row) > 1:
                        starts.append(skip + start)
            except csv.Error:
                return  # keep record numbers; DuckDB already read the file
        frame = pd.DataFrame({"record_number": range(1, len(starts) + 1), "line_number": starts})
        self.lines_table = f"{self.values_table}_lines"
        view = f"{self.lines_table}_frame"
        self.duck.register(view, frame)
        try:
            self.duck.execute(
                f"create temp table {self.lines_table} as select * from {view}"
            ).fetchall()
        finally:
            self.duck.unregister(view)

    def line_sql(self, record: str) -> str:
        """SQL for the file line (as a spreadsheet numbers rows) of a record number."""
        if self.lines_table is None:
            return f"({record} + {self.layout.header_line})"
        return (
            f"coalesce((select line_number from {self.lines_table} as lines "
            f"where lines.record_number = {record}), {record} + {self.layout.header_line})"
        )

    # -- formats -----------------------------------------------------------------------------
    def _sample_values(self, column: str) -> str:
        return (
            f"(select {column} as v from {self.sample_table} where skip_reason is null and "
            f"{sql.blank_to_null(column)} is not null limit {FORMAT_SAMPLE_ROWS})"
        )

    def _decide_formats(self) -> dict[str, str] | None:
        """Date format per date column and the number convention; None when the user must choose."""
        report = self.report
        formats: dict[str, str] = {}
        date_fields = [
            m for m in report.mapping if m.column and m.field.parse in ("date", "timestamp")
        ]
        viable: dict[str, dict[str, tuple[str, int, int]]] = {}
        for mapped in date_fields:
            column = self.columns[mapped.column]
            readable = self._formats_reading_any(self._shape_examples(column))
            per_order: dict[str, tuple[str, int, int]] = {}
            for order in ("ymd", "mdy", "dmy", "text"):
                # Only formats that read at least one example shape are counted on the sample.
                candidates = [f for f in sql.date_formats(order) if f in readable]
                if not candidates:
                    per_order[order] = (sql.date_formats(order)[0], 0, self._sample_size(column))
                    continue
                expressions = ", ".join(
                    f"count(try_strptime(trim(v), {sql.literal(candidate)}))"
                    for candidate in candidates
                )
                row = self.duck.execute(
                    f"select count(*), {expressions} from {self._sample_values(column)}"
                ).fetchall()[0]
                total = int(row[0])
                best = max(range(len(candidates)), key=lambda index: row[index + 1])
                per_order[order] = (candidates[best], int(row[best + 1]), total)
            viable[mapped.field.name] = per_order
        order = self._date_order(viable)
        if order is None:
            return None
        for mapped in date_fields:
            per_order = viable[mapped.field.name]
            complete = [
                name
                for name, (_fmt, parsed, total) in per_order.items()
                if parsed == total and total
            ]
            if order in complete or (complete and order not in ("mdy", "dmy")):
                chosen = order if order in complete else complete[0]
            elif complete:
                chosen = next((name for name in ("ymd", "text") if name in complete), order)
            else:
                chosen = max(per_order, key=lambda name: per_order[name][1])
            formats[mapped.field.name] = per_order[chosen][0]
        for mapped in report.mapping:
            if mapped.column and mapped.field.parse == "month":
                formats[mapped.field.name] = self._month_format(self.columns[mapped.column])
        formats["decimal_comma"] = "yes" if self._decimal_comma() else "no"
        return formats

    def _date_order(self, viable: dict[str, dict[str, tuple[str, int, int]]]) -> str | None:
        """The file's day/month order: from the data, else the caller's choice, else ask."""
        report = self.report
        # Columns written day and month in figures: those that mdy or dmy reads best. A column
        # that ISO or written-out months read best is not ambiguous, even with some bad values.
        numeric = {
            name: [
                order for order in ("mdy", "dmy") if per_order[order][1] == per_order[order][2] > 0
            ]
            for name, per_order in viable.items()
            if max(per_order[o][1] for o in ("mdy", "dmy"))
            > max(per_order[o][1] for o in ("ymd", "text"))
        }
        if not numeric:
            report.date_order = "ymd"
            if viable:
                report.decisions.append("Dates read as year-month-day or with written-out months.")
            return "ymd"
        possible = {"mdy", "dmy"}
        for orders in numeric.values():
            if orders:
                possible &= set(orders)
        if self.options.date_order in ("mdy", "dmy", "ymd") and self.options.date_order != "auto":
            report.date_order = self.options.date_order
            report.decisions.append(
                f"Dates read as {sql.ORDER_NAMES[report.date_order]}, as chosen."
            )
            return report.date_order
        if len(possible) == 1:
            report.date_order = possible.pop()
            report.decisions.append(
                f"Dates read as {sql.ORDER_NAMES[report.date_order]}: the file's other dates allow "
                "no other reading."
            )
            return report.date_order
        if not possible:
            scores = {
                order: sum(per_order[order][1] for per_order in viable.values())
                for order in ("mdy", "dmy")
            }
            report.date_order = max(scores, key=scores.__getitem__)
            report.decisions.append(
                f"Dates read as {sql.ORDER_NAMES[report.date_order]}, the reading most of them fit; "
                "the others are reported as errors."
            )
            return report.date_order
        report.status = "needs_date_order"
        report.ambiguous_date_columns = tuple(
            mapped.column
            for mapped in report.mapping
            if mapped.field.name in numeric and mapped.column
        )
        report.message = (
            "Every date in " + ", ".join(report.ambiguous_date_columns) + " reads both as "
            "month/day/year and as day/month/year (for example 03/04/2026): choose the order "
            "the export uses."
        )
        return None

    def _formats_reading_any(self, examples: list[str]) -> set[str]:
        """The date formats (of every order) whose shape fits at least one of the examples."""
        return {
            date_format
            for date_format, shape in sql.FORMAT_SHAPES.items()
            if any(shape.fullmatch(example) for example in examples)
        }

    def _shape_examples(self, column: str) -> list[str]:
        """One value per distinct shape (digits as 9, letters as a) in the sample."""
        rows = self.duck.execute(
            f"""
            select any_value(trim(v)) from {self._sample_values(column)}
            group by regexp_replace(regexp_replace(trim(v), '[0-9]', '9', 'g'), '[A-Za-z]', 'a', 'g')
            limit 50
            """
        ).fetchall()
        return [row[0] for row in rows]

    def _sample_size(self, column: str) -> int:
        return int(
            self.duck.execute(f"select count(*) from {self._sample_values(column)}").fetchall()[0][
                0
            ]
        )

    def _month_format(self, column: str) -> str:
        expressions = ", ".join(
            f"count(try_strptime(trim(v), {sql.literal(candidate)}))"
            for candidate in sql.MONTH_FORMATS
        )
        row = self.duck.execute(
            f"select {expressions} from {self._sample_values(column)}"
        ).fetchall()[0]
        return sql.MONTH_FORMATS[max(range(len(row)), key=lambda index: row[index])]

    def _decimal_comma(self) -> bool:
        """Whether the file writes 1.234,56: from its numbers, else from a semicolon separator."""
        numeric = [
            m
            for m in self.report.mapping
            if m.column and m.field.parse in ("number", "integer", "percent")
        ]
        us = eu = 0
        for mapped in numeric:
            sample = self._sample_values(self.columns[mapped.column])
            row = self.duck.execute(
                f"select count(*) filter (where regexp_matches(v, '[0-9]\\.[0-9]{{1,2}}$|,[0-9]{{3}}\\.')), "
                f"count(*) filter (where regexp_matches(v, '[0-9],[0-9]{{1,2}}\\b|\\.[0-9]{{3}},')) from {sample}"
            ).fetchall()[0]
            us, eu = us + int(row[0]), eu + int(row[1])
        decimal_comma = eu > us or (eu == us and self.layout.separator == ";")
        if numeric and decimal_comma:
            self.report.decisions.append("Numbers read with a decimal comma (1.234,56).")
        return decimal_comma

    # -- typing ------------------------------------------------------------------------------
    def _typed_expression(self, mapped: MappedField, formats: dict[str, str]) -> str:
        column = self.columns[mapped.column] if mapped.column else "null"
        parse = mapped.field.parse
        decimal_comma = formats["decimal_comma"] == "yes"
        if mapped.column is None:
            return "null"
        if parse in ("number", "percent"):
            return sql.number_value(column, decimal_comma)
        if parse == "integer":
            return sql.integer_value(column, decimal_comma)
        if parse == "date":
            return sql.date_value(column, formats[mapped.field.name])
        if parse == "timestamp":
            return sql.timestamp_value(column, formats[mapped.field.name])
        if parse == "month":
            return sql.month_value(column, formats[mapped.field.name])
        if parse == "boolean":
            return sql.boolean_value(column)
        if parse == "currency":
            return self._currency_expression(column)
        if parse in VOCABULARIES:
            vocabulary = self.vocabularies[mapped.field.name]
            general = values.vocabulary_sql(column, vocabulary)
            known = self._vocabulary_cells(column, vocabulary)
            if not known:
                return general
            # The few spellings the file uses, decided once on the sample; any other takes the
            # general (regular-expression) path.
            cases = " ".join(
                f"when {sql.literal(cell)} then {sql.literal(value) if value else 'null'}"
                for cell, value in known
            )
            return f"case {column} {cases} else {general} end"
        return sql.text_value(column)

    def _currency_expression(self, column: str) -> str:
        """A currency column's codes: the few a file uses decided once on the sample (a lookup
        per row), any other by the pattern."""
        cells = self.duck.execute(
            f"select distinct {column} from {self.sample_table} where {column} is not null "
            f"limit {VOCABULARY_CELLS + 1}"
        ).fetchall()
        general = currency.currency_value(column)
        if len(cells) > VOCABULARY_CELLS:
            return general
        codes = [
            (str(cell), str(cell).strip().upper())
            for (cell,) in cells
            if currency.CURRENCY_CODE.fullmatch(str(cell).strip().upper())
        ]
        if not codes:
            return general
        cases = " ".join(
            f"when {sql.literal(cell)} then {sql.literal(code)}" for cell, code in codes
        )
        return f"case {column} {cases} else {general} end"

    def _vocabularies(self, preset: Preset) -> dict[str, values.Vocabulary]:
        """Each mapped vocabulary field's effective mapping (defaults, remembered, chosen)."""
        remembered = values.remembered(self.connection, preset.name)
        return {
            mapped.field.name: values.vocabulary_for(
                mapped.field.parse,
                self.store_settings,
                remembered.get(mapped.field.name, {}),
                self.options.value_mapping.get(mapped.field.name, {}),
            )
            for mapped in self.report.mapping
            if mapped.field.parse in VOCABULARIES
        }

    def _vocabulary_cells(
        self, column: str, vocabulary: values.Vocabulary
    ) -> list[tuple[str, str | None]]:
        """(cell, store value) for each distinct plain cell of a vocabulary column in the sample.

        Only short cells of letters, digits, spaces and common punctuation are listed (they
        enter the SQL as escaped literals); none when the column has too many distinct values.
        """
        rows = self.duck.execute(
            f"""
            select distinct {column} as cell from {self.sample_table}
            where {column} is not null
              and regexp_full_match({column}, '[A-Za-z0-9 &/+.,()_-]{{1,60}}')
            limit {VOCABULARY_CELLS + 1}
            """
        ).fetchall()
        if len(rows) > VOCABULARY_CELLS:
            return []
        return [(str(cell), vocabulary.lookup(str(cell).strip())[0]) for (cell,) in rows]

    def _value_counts(self) -> tuple[values.ValueCount, ...]:
        """Every distinct value of each vocabulary field, its rows and what it loads as."""
        found: list[values.ValueCount] = []
        fields = [
            mapped
            for mapped in self.report.mapping
            if mapped.column and mapped.field.name in self.vocabularies
        ]
        if fields:
            # One scan for every field: grouping sets count each field's values apart.
            raws = [sql.quoted(f"raw_{mapped.field.name}") for mapped in fields]
            sets = ", ".join(f"({raw})" for raw in raws)
            which = ", ".join(f"grouping({raw}) as g{index}" for index, raw in enumerate(raws))
            flags = ", ".join(f"g{index}" for index in range(len(raws)))
            rows = self.duck.execute(
                f"""
                with counted as (
                    select {", ".join(raws)}, count(*) as n, {which} from {self.typed_table}
                    where skip_reason is null group by grouping sets ({sets})
                ),
                ranked as (
                    select *, row_number() over (partition by {flags} order by n desc) as rank
                    from counted
                )
                select * exclude (rank) from ranked where rank <= {values.VALUES_LISTED + 1}
                """
            ).fetchall()
            per_field: dict[int, list[tuple[str, int]]] = {}
            for row in rows:
                cells, count, flags = row[: len(raws)], int(row[len(raws)]), row[len(raws) + 1 :]
                position = next(index for index, flag in enumerate(flags) if flag == 0)
                if cells[position] is not None:
                    per_field.setdefault(position, []).append((str(cells[position]), count))
            for position, mapped in enumerate(fields):
                vocabulary = self.vocabularies[mapped.field.name]
                listed = sorted(per_field.get(position, []), key=lambda pair: (-pair[1], pair[0]))
                for value, count in listed[: values.VALUES_LISTED]:
                    loads_as, origin = vocabulary.lookup(value)
                    found.append(
                        values.ValueCount(
                            mapped.field.name, mapped.column, value, count, loads_as or "", origin
                        )
                    )
        paid_social = sum(
            item.rows
            for item in found
            if item.field == "source_channel" and vocabulary_key(item.value) == "paidsocial"
        )
        if paid_social and self.report.preset and self.report.preset.name == "hubspot_contacts":
            self.report.decisions.append(
                f"{plural(paid_social, 'contact')} came from Paid Social with no drill-down: HubSpot "
                "files LinkedIn Ads leads there too, so they load as Paid social. Add the property "
                "Original Traffic Source Drill-Down 1 to the export to count LinkedIn apart."
            )
        unmapped = [item for item in found if item.origin == "unmapped" and item.loads_as]
        if unmapped:
            shown = ", ".join(f"{item.value} ({item.rows:,})" for item in unmapped[:8])
            self.report.decisions.append(
                f"{plural(len(unmapped), 'value')} no mapping names loaded as Other: {shown}"
                + (" ..." if len(unmapped) > 8 else "")
                + ". Map them on the Data page (or --value on the command line) and load again."
            )
        return tuple(found)

    def _type(self, formats: dict[str, str]) -> None:
        """Read the whole file once more, typing every mapped cell as it is read.

        ``values_table`` holds the file's cells (``c1``...), skip reasons and every computed
        ``val_``/``cur_`` column (numbers, dates, vocabularies); ``typed_table`` is a view over
        it that adds the record number, text values and the trimmed text as ``raw_<field>``, so
        checks and error messages can show what the file said without a second copy of it.
        """
        decimal_comma = formats["decimal_comma"] == "yes"
        # Text that keys, groups or joins rows is stored once trimmed; the rest is trimmed on use.
        stored_text = {name for key in natural_keys(self.report) for name in key}
        stored_text |= {"campaign_name", "period"}
        parts = []
        raw_parts = []
        for mapped in self.report.mapping:
            raw = self.columns[mapped.column] if mapped.column else "null"
            raw_parts.append(
                f"{sql.blank_to_null(raw) if mapped.column else 'null'} as {sql.quoted('raw_' + mapped.field.name)}"
            )
            typed = f"{self._typed_expression(mapped, formats)} as {sql.quoted('val_' + mapped.field.name)}"
            if (
                mapped.field.parse in _COMPUTED_PARSES
                or mapped.field.parse in VOCABULARIES
                or mapped.field.name in stored_text
            ):
                parts.append(typed)
            else:  # other text: trimmed when read (cheap), not stored a second time
                raw_parts.append(typed)
            if mapped.field.name in MONEY_FIELD_NAMES and mapped.column:
                # The currency written in the cell, else the one the header names: "Amount spent (EUR)".
                named = re.search(r"\(([A-Z]{3})\)", mapped.column)
                header_currency = sql.literal(named.group(1)) if named else "null"
                written = (
                    f"case when not coalesce({sql.is_plain_number(raw, decimal_comma)}, false) "
                    f"then {sql.currency_in_value(raw)} end"
                )
                parts.append(
                    f"coalesce({written}, {header_currency}) as {sql.quoted('cur_' + mapped.field.name)}"
                )
        if self.sample_is_whole_file:  # a small file: type the rows already read, in order
            # Planning the typed columns' expressions costs more than running them on a few
            # thousand rows: DuckDB's optimizer is left out for this one statement (the same
            # result; half the time of a small upload's typing, bench/INGEST.md).
            self.duck.execute("pragma disable_optimizer").fetchall()
            try:
                self.duck.execute(
                    f"create temp table {self.values_table} as select *, {', '.join(parts)} "
                    f"from {self.sample_table} order by rowid"
                ).fetchall()
            finally:
                self.duck.execute("pragma enable_optimizer").fetchall()
        else:
            self._read_into(self.values_table, parts)
        self.duck.execute(f"drop table if exists {self.sample_table}").fetchall()
        totals, footers = self._count_rows(self.values_table)
        self.footer_rows = footers
        if self.line_count != self.layout.header_line + self.report.rows_read:
            self._number_lines()  # blank lines or line breaks inside cells: count them exactly
        if totals or footers:
            self.report.decisions.append(
                f"Skipped {plural(totals, 'total or subtotal row')} and {plural(footers, 'footer line')}; they "
                "are never loaded as data."
            )
        # Row ids count up from the table's first row (inside a transaction they start high).
        first_rowid = int(
            self.duck.execute(
                f"select coalesce(min(rowid), 0) from {self.values_table}"
            ).fetchall()[0][0]
        )
        self.duck.execute(
            f"create temp view {self.typed_table} as select rowid - {first_rowid} + 1 as record_number, *, "
            f"{', '.join(raw_parts)} from {self.values_table}"
        ).fetchall()
        self._resolve_periods()

    def raw_row_sql(self) -> str:
        """SQL for a row as the file had it (quoted as CSV), for the rejects a user downloads."""
        separator = sql.literal(self.layout.separator)
        cells = [
            f"case when contains({column}, {separator}) or contains({column}, '\"') or contains({column}, chr(10)) "
            f"then '\"' || replace({column}, '\"', '\"\"') || '\"' else coalesce({column}, '') end"
            for column in self.file_columns.values()
        ]
        return f" || {separator} || ".join(cells)

    def _resolve_periods(self) -> None:
        """Fiscal period labels (``Q3 FY2027``) to dates, with the store's fiscal calendar."""
        if not any(m.column and m.field.parse == "period" for m in self.report.mapping):
            return
        calendar = queries.fiscal_calendar(self.store_settings)
        values = [
            row[0]
            for row in self.duck.execute(
                f"select distinct val_period from {self.typed_table} where val_period is not null"
            ).fetchall()
        ]
        rows = [_period_row(calendar, value) for value in values]
        frame = pd.DataFrame(
            rows, columns=["period_text", "period_label", "period_start", "period_end"]
        )
        view = f"{self.typed_table}_periods"
        self.duck.register(view, frame)
        try:
            self.duck.execute(
                f"create temp table {self.typed_table}_period_map as select * from {view}"
            ).fetchall()
        finally:
            self.duck.unregister(view)

    # -- validation --------------------------------------------------------------------------
    def _validate(self) -> None:
        union = _union(
            validation_checks(self.report, self.reporting_currency, self.typed_table, self.line_sql)
        )
        self.duck.execute(
            f"""
            create temp table {self.error_table} as
            with found(record_number, column_label, value, problem) as ({union}),
            first_per_cell as (
                select *, row_number() over (partition by record_number, column_label order by problem) as rank
                from found
            )
            select record_number, column_label, value, problem
            from first_per_cell where rank = 1
            """
        ).fetchall()
        self._count_errors()

    def _warn(self) -> None:
        """Rows that load as the file says but deserve a look: listed, counted, kept."""
        union = _union(warning_checks(self.report, self.typed_table))
        self.duck.execute(
            f"""
            create temp table {self.warning_table} as
            with found(record_number, column_label, value, warning) as ({union})
            select * from found
            where record_number not in (select record_number from {self.error_table})
            """
        ).fetchall()
        report = self.report
        report.warning_count = int(
            self.duck.execute(f"select count(*) from {self.warning_table}").fetchall()[0][0]
        )
        report.warnings = self.duck.execute(
            f"""
            select {self.line_sql("warned.record_number")} as row, column_label as "column",
                   value, warning
            from {self.warning_table} as warned
            order by warned.record_number, column_label limit {ERRORS_SHOWN}
            """
        ).df()
        report.warnings.columns = WARNING_COLUMNS
        if report.warning_count:
            kinds = self.duck.execute(
                f"select warning, count(*) from {self.warning_table} group by 1 order by 2 desc"
            ).fetchall()
            report.decisions.append(
                f"{plural(report.warning_count, 'row')} loaded with a warning, listed with the "
                "upload: " + "; ".join(f"{count:,} {text}" for text, count in kinds) + "."
            )

    def _needs_rates(self, preset: Preset) -> bool:
        """Refuse the file when a currency it uses has no rate for some of its months.

        One scan of the typed rows says which currencies the file names; only a file with an
        amount outside the reporting currency runs the rate lookup (a file in the reporting
        currency, the common case, loads with no join at all).
        """
        report = self.report
        if preset.kind not in (*currency.MONEY_FIELDS, "revenue"):
            return False
        named, unnamed = self._named_currencies()
        reporting = self.reporting_currency
        default = next(iter(named)) if len(named) == 1 else reporting
        self._file_currency = default
        used = dict(named)
        if unnamed:
            used[default] = used.get(default, 0) + unnamed
        self._all_reporting = set(used) <= {reporting}
        if not used:
            return False
        report.currency_note = ", ".join(
            f"{code} ({plural(count, 'row')})"
            for code, count in sorted(used.items(), key=lambda item: -item[1])
        )
        if unnamed and named and default != reporting:
            report.decisions.append(
                f"{plural(unnamed, 'amount')} that name no currency read as {default}, the only "
                "currency the file names."
            )
        if not named:
            report.decisions.append(
                f"The file names no currency: amounts read as {reporting}, the reporting "
                "currency (set another for the whole file if they are not)."
            )
        if self._all_reporting:
            return False
        report.decisions.append(
            f"Amounts in {report.currency_note}: converted to {reporting} at each month's rate "
            "(a day's rate where one was given), to the cent. The amount as written and its "
            "currency are kept beside each converted one."
        )
        canonical = canonical_select(preset, report, self.typed_table, self._money())
        rows = self.duck.execute(currency.missing_rates_sql(canonical)).fetchall()
        if not rows:
            return False
        report.missing_rates = currency.group_missing(rows)
        report.status = "needs_rates"
        report.message = currency.missing_rates_message(report.missing_rates, reporting)
        return True

    def _named_currencies(self) -> tuple[dict[str, int], int]:
        """({currency: rows} the file names for its amounts, rows with an amount naming none)."""
        report = self.report
        amounts = [
            name
            for name in MONEY_FIELD_NAMES
            if has_field(report, name)
            and mapped_field(report, name).field.parse in ("number", "percent")  # type: ignore[union-attr]
        ]
        if not amounts:
            return {}, 0
        present = " or ".join(f"val_{name} is not null" for name in amounts)
        named = [f"case when val_{name} is not null then cur_{name} end" for name in amounts]
        if has_field(report, "currency"):
            named.insert(0, "val_currency")
        rows = self.duck.execute(
            f"select coalesce({', '.join(named)}) as code, count(*) from {self.typed_table} "
            f"where skip_reason is null and ({present}) group by 1"
        ).fetchall()
        found = {str(code): int(count) for code, count in rows if code is not None}
        unnamed = sum(int(count) for code, count in rows if code is None)
        return found, unnamed

    def _money(self) -> Money:
        """How this run converts money: its rates table and the reporting currency."""
        if not self._rates_ready:
            source = "current_exchange_rates"
            if self.separate_staging:
                frame = pd.DataFrame(
                    self.connection.execute(
                        sa.text(
                            "select currency, rate_date, rate_period, rate "
                            "from current_exchange_rates"
                        )
                    ).all(),
                    columns=["currency", "rate_date", "rate_period", "rate"],
                )
                self.duck.register(f"{self.rates_table}_frame", frame)
                source = f"{self.rates_table}_frame"
            self.duck.execute(currency.rates_table_sql(self.rates_table, source)).fetchall()
            if self.separate_staging:
                self.duck.unregister(f"{self.rates_table}_frame")
            self._rates_ready = True
        return Money(
            self.rates_table,
            self.reporting_currency,
            self.error_table,
            self._file_currency or self.reporting_currency,
            self._all_reporting,
        )

    def _count_errors(self) -> None:
        report = self.report
        count, rows = self.duck.execute(
            f"select count(*), count(distinct record_number) from {self.error_table}"
        ).fetchall()[0]
        report.error_count, report.rows_rejected = int(count), int(rows)
        report.rows_valid = report.rows_read - report.rows_skipped - report.rows_rejected
        report.errors = self.duck.execute(
            f"""
            select {self.line_sql("errors.record_number")} as row, column_label as "column", value, problem
            from {self.error_table} as errors
            order by errors.record_number, column_label limit {ERRORS_SHOWN}
            """
        ).df()
        report.errors.columns = ERROR_COLUMNS

    def _validate_goal_tree(self) -> int:
        """Check the goals as the tree they would make with the store's; return problems found.

        Each problem is recorded against the file row of the goal it concerns.
        """
        preset = self.report.preset
        assert preset is not None
        canonical = canonical_select(preset, self.report, self.typed_table, self._money())
        columns = ", ".join(GOAL_COLUMNS)
        incoming = self.duck.execute(
            f"""
            with incoming as ({canonical})
            select record_number, {columns},
                   record_number in (select record_number from {self.error_table}) as has_errors
            from incoming
            """
        ).df()
        stored = pd.DataFrame(
            self.connection.execute(sa.text(f"select {columns} from current_goals")).all(),
            columns=list(GOAL_COLUMNS),
        )
        stored = stored[~stored["goal_id"].isin(incoming["goal_id"])]
        tree = pd.concat([stored, incoming[list(GOAL_COLUMNS)]], ignore_index=True)
        checked = incoming[~incoming["has_errors"]]
        record_of = dict(zip(checked["goal_id"], checked["record_number"], strict=True))
        labels = {m.field.name: m.column for m in self.report.mapping if m.column}
        period_label = labels.get("period") or "period"
        # The cells as the file wrote them, so the user sees "(40,000.00)", not -40000.0.
        raw_columns = ", ".join(f"raw_{name}" for name in labels)
        raw = (
            self.duck.execute(f"select record_number, {raw_columns} from {self.typed_table}")
            .df()
            .set_index("record_number")
        )

        def cell(record: int, field: str, fallback: str) -> str:
            column = f"raw_{field}" if field in labels else "raw_period"
            value = raw.at[record, column] if column in raw.columns else None
            return fallback if value is None or pd.isna(value) else str(value)

        found = [
            (
                int(record_of[problem.goal_id]),
                labels.get(problem.field)
                or (period_label if problem.field.startswith("period") else problem.field),
                cell(int(record_of[problem.goal_id]), problem.field, problem.value),
                problem.problem,
            )
            for problem in goal_problems(tree)
            if problem.goal_id in record_of
        ]
        if not found:
            return 0
        frame = pd.DataFrame(found, columns=["record_number", "column_label", "value", "problem"])
        frame = frame.drop_duplicates(["record_number", "column_label"])
        view = f"{self.error_table}_tree"
        self.duck.register(view, frame)
        try:
            self.duck.execute(
                f"""
                insert into {self.error_table}
                select found.record_number, found.column_label, found.value, found.problem
                from {view} as found
                anti join {self.error_table} as known
                    on known.record_number = found.record_number
                   and known.column_label = found.column_label
                """
            ).fetchall()
        finally:
            self.duck.unregister(view)
        self._count_errors()
        return len(frame)

    def all_errors(self) -> pd.DataFrame:
        """Every error (for the rejects table)."""
        return self.duck.execute(
            f"""
            select {self.line_sql("errors.record_number")} as row_number, column_label, value,
                   problem, {self.raw_row_sql()} as raw_row
            from {self.error_table} as errors
            join {self.typed_table} as typed using (record_number)
            order by errors.record_number, column_label
            """
        ).df()

    # -- snapshot ----------------------------------------------------------------------------
    def _snapshot_date(self) -> date:
        """The day the export describes: stated, from the report, from its name, else today."""
        report, options, layout = self.report, self.options, self.layout
        if options.snapshot_date is not None:
            report.decisions.append(f"Describes {format_day(options.snapshot_date)}, as stated.")
            return options.snapshot_date
        footer = (
            [
                row[0]
                for row in self.duck.execute(
                    f"select {self.raw_row_sql()} from {self.typed_table} "
                    "where skip_reason = 'footer'"
                ).fetchall()
            ]
            if self.footer_rows
            else []
        )
        found = snapshot_from_preamble(layout.preamble) or snapshot_from_footer(
            footer, report.date_order == "dmy"
        )
        if found is not None:
            report.decisions.append(f"Describes {format_day(found)}, from the report's own dates.")
            return found
        found = snapshot_from_file_name(report.file_name)
        if found is not None:
            report.decisions.append(f"Describes {format_day(found)}, from the file name.")
            return found
        if report.kind == "spend":
            day = "val_spend_date" if has_field(report, "spend_date") else "val_range_end"
            last = self.duck.execute(
                f"select max({day}) from {self.typed_table} where skip_reason is null"
            ).fetchall()[0][0]
            if last is not None and last <= self.now.date():
                report.decisions.append(f"Describes spend up to {format_day(last)}, its last day.")
                return last
        today = self.now.date()
        report.decisions.append(f"Describes {format_day(today)}, the day it was uploaded.")
        return today

    # -- commit ------------------------------------------------------------------------------
    def _commit(self) -> None:
        report, preset, options = self.report, self.report.preset, self.options
        assert preset is not None
        details = {
            "decisions": report.decisions,
            "mapping": {mapped.field.name: mapped.column for mapped in report.mapping},
            "unmapped_columns": list(report.unmapped_columns),
            "date_order": report.date_order,
            "rows_skipped": report.rows_skipped,
        }
        record = UploadRecord(
            file_name=report.file_name,
            sha256=report.sha256,
            size_bytes=report.size_bytes,
            source=preset.name,
            kind=preset.kind,
            snapshot_date=report.snapshot_date or self.now.date(),
            uploaded_by=options.uploaded_by,
            is_demo=options.is_demo,
        )
        upload_id = start_upload(self.connection, record, self.now)
        self.connection.execute(
            uploads.update()
            .where(uploads.c.upload_id == upload_id)
            .values(details_json=json.dumps(details))
        )
        canonical = canonical_select(preset, report, self.typed_table, self._money())
        columns = fact_columns(preset.kind)
        column_list = ", ".join(columns)
        valid = (
            f"where record_number not in (select record_number from {self.error_table})"
            if report.rows_rejected
            else ""
        )
        incoming = f"""
            with incoming as ({canonical})
            select {column_list}, {int(upload_id)} as upload_id from incoming {valid}
        """
        if self.separate_staging:
            insert_frame(self.connection, preset.kind, self.duck.sql(incoming).to_arrow_table())
        else:
            self.duck.execute(
                f"insert into {preset.kind} ({column_list}, upload_id) {incoming}"
            ).fetchall()
        # New versions: rows whose natural key a loaded earlier upload already holds (none
        # when the table holds nothing else that counts).
        others = self.connection.execute(
            sa.text(
                f"""
                select exists (
                    select 1 from {preset.kind} as existing
                    join uploads on uploads.upload_id = existing.upload_id
                        and uploads.status = 'loaded'
                    where existing.upload_id <> {int(upload_id)}
                )
                """
            )
        ).scalar_one()
        updated = count_new_versions(self.connection, preset.kind, upload_id) if others else 0
        if report.rows_rejected:
            self._store_rejects(upload_id)
        if report.warning_count:
            self._store_warnings(upload_id)
        report.rows_updated = int(updated)
        report.rows_stored = int(
            self.connection.execute(
                sa.text(f"select count(*) from {preset.kind} where upload_id = :upload_id"),
                {"upload_id": int(upload_id)},
            ).scalar_one()
        )
        report.rows_inserted = report.rows_stored - report.rows_updated
        counts = LoadCounts(
            rows_read=report.rows_read,
            rows_inserted=report.rows_inserted,
            rows_updated=report.rows_updated,
            rows_rejected=report.rows_rejected,
        )
        finish_upload(self.connection, upload_id, counts)
        if options.remember_mapping:
            _remember_mapping(
                self.connection, self.layout.headers, report, options.uploaded_by, self.now
            )
            if options.value_mapping:
                values.remember(
                    self.connection,
                    preset.name,
                    options.value_mapping,
                    options.uploaded_by,
                    self.now,
                )
        report.upload_id = upload_id
        if preset.kind == "exchange_rates":
            report.restated = restated_by_rates(self.connection, upload_id, self.reporting_currency)
            report.decisions.extend(report.restated)
        report.status = "loaded_with_rejects" if report.rows_rejected else "loaded"
        loaded = f"Loaded {plural(report.rows_valid, 'row')} into {preset.kind}"
        if report.rows_stored != report.rows_valid:
            loaded += f" as {plural(report.rows_stored, 'record')}"
        news = f"{report.rows_inserted:,} new, {plural(report.rows_updated, 'new version')} of records already held"
        report.message = (
            f"{loaded} ({news})"
            + (
                f"; {report.rows_rejected:,} rejected rows kept with their reasons"
                if report.rows_rejected
                else ""
            )
            + (
                f"; {plural(report.warning_count, 'row')} loaded with a warning, listed below."
                if report.warning_count
                else "."
            )
        )

    def _store_rejects(self, upload_id: int) -> None:
        errors = self.all_errors()
        frame = pd.DataFrame(
            {
                "upload_id": upload_id,
                "row_number": errors["row_number"].astype("int64"),
                "column_name": errors["column_label"],
                "raw_row": errors["raw_row"].fillna(""),
                "reason": errors["problem"] + " (value: " + errors["value"].fillna("blank") + ")",
            }
        )
        insert_frame(self.connection, rejects.name, frame)

    def _store_warnings(self, upload_id: int) -> None:
        rows = self.duck.execute(
            f"""
            select {self.line_sql("warned.record_number")} as row_number, column_label,
                   value, warning
            from {self.warning_table} as warned
            """
        ).df()
        frame = pd.DataFrame(
            {
                "upload_id": upload_id,
                "row_number": rows["row_number"].astype("int64"),
                "column_name": rows["column_label"],
                "value": rows["value"],
                "warning": rows["warning"],
            }
        ).drop_duplicates(["row_number", "column_name"])
        insert_frame(self.connection, upload_warnings.name, frame)

    def drop_temporary_tables(self) -> None:
        """Drop this run's temporary tables (a failed transaction's rollback drops them itself)."""
        if self.separate_staging:
            self.duck.close()  # the staging database goes with its connection
            return
        tables = (
            self.sample_table,
            f"{self.values_table}_lines",
            self.values_table,
            self.error_table,
            self.warning_table,
            self.rates_table,
            f"{self.typed_table}_period_map",
        )
        try:
            self.duck.execute(f"drop view if exists {self.typed_table}").fetchall()
            for table in tables:
                self.duck.execute(f"drop table if exists {table}").fetchall()
        except duckdb.Error:
            return


def _union(checks: list[str]) -> str:
    """One query of every check's (record_number, column_label, value, text) rows."""
    if not checks:
        return "select null::bigint, null, null, null where false"
    return " union all ".join(checks)


def _parse_problem(error: str, header_line: int) -> str:
    """One sentence for DuckDB's CSV errors."""
    first = error.splitlines()[0] if error else "unknown error"
    if "Maximum line size" in error or "maximum line size" in error:
        return (
            f"A line of the file is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB: this is not a "
            "CSV export, or a quoted cell is never closed. Export the report again."
        )
    if "Invalid unicode" in error or "UTF8" in error or "utf-8" in error.lower():
        return "The file mixes text encodings: export it again as CSV (UTF-8)."
    if "quoted" in error.lower() or "unterminated" in error.lower():
        return 'A quoted cell is never closed (a " is missing): the file is cut short or damaged.'
    if "Expected Number of Columns" in error or "too many columns" in error.lower():
        return (
            "A row has more cells than the header (after line "
            f"{header_line}): a cell with the separator in it is not quoted. Export the report again."
        )
    return f"The file could not be read as CSV: {first}"


def _settings(connection: Connection) -> dict[str, str]:
    rows = connection.execute(sa.text("select key, value from settings")).all()
    return {str(key): str(value) for key, value in rows}


def _period_row(
    calendar: FiscalCalendar, text: str
) -> tuple[str, str | None, date | None, date | None]:
    try:
        period = calendar.parse(text)
    except ValueError:
        if "–" in text or " - " in text:  # a span such as "FY2026–FY2030"
            first, _, last = text.replace(" - ", "–").partition("–")
            try:
                start, end = calendar.parse(first.strip()), calendar.parse(last.strip())
                return text, text, start.start, end.end
            except ValueError:
                return text, None, None, None
        return text, None, None, None
    return text, period.label, period.start, period.end


# --------------------------------------------------------------------------------------------
# Remembered mappings
# --------------------------------------------------------------------------------------------
def _remembered_mapping(
    connection: Connection, headers: tuple[str, ...], preset: Preset
) -> dict[str, str | None]:
    row = connection.execute(
        sa.select(saved_mappings.c.preset, saved_mappings.c.mapping_json).where(
            saved_mappings.c.header_signature == header_signature(headers)
        )
    ).first()
    if row is None or row.preset != preset.name:
        return {}
    mapping = json.loads(row.mapping_json)
    return {name: column for name, column in mapping.items() if column is None or column in headers}


def _remember_mapping(
    connection: Connection, headers: tuple[str, ...], report: IngestReport, who: str, now: datetime
) -> None:
    assert report.preset is not None
    signature = header_signature(headers)
    connection.execute(
        saved_mappings.delete().where(saved_mappings.c.header_signature == signature)
    )
    connection.execute(
        saved_mappings.insert().values(
            header_signature=signature,
            preset=report.preset.name,
            mapping_json=json.dumps(
                {mapped.field.name: mapped.column for mapped in report.mapping}
            ),
            confirmed_by=who,
            confirmed_at=now,
        )
    )


# --------------------------------------------------------------------------------------------
# Undo and rejects
# --------------------------------------------------------------------------------------------
def undo_upload(
    engine: Engine,
    upload_id: int,
    by: str = "",
    now: datetime | None = None,
    *,
    actor: Actor | None = None,
) -> int:
    """Stop counting an upload's rows (they stay stored); return the new data version.

    ``actor`` is the signed-in person undoing (editors and admins); without one the caller is
    local and ``by`` names them.
    """
    ensure_writable(engine)
    who = acting(actor, by, "undo_upload")
    now = now or datetime.now()
    with engine.begin() as connection:
        row = connection.execute(
            sa.select(uploads.c.status, uploads.c.file_name, uploads.c.kind).where(
                uploads.c.upload_id == upload_id
            )
        ).first()
        if row is None:
            raise IngestError(f"there is no upload {upload_id}")
        if row.status != "loaded":
            raise IngestError(f"upload {upload_id} ({row.file_name}) is already undone")
        connection.execute(
            uploads.update()
            .where(uploads.c.upload_id == upload_id)
            .values(status="undone", status_changed_at=now, status_changed_by=who.label)
        )
        audit.record(
            connection,
            who,
            "undo_upload",
            f"upload {upload_id}",
            f"Undid upload {upload_id} ({row.file_name}, {row.kind})",
            before={"status": "loaded"},
            after={"status": "undone"},
            now=now,
        )
        return bump_data_version(connection)


def rejects_of(engine: Engine, upload_id: int) -> pd.DataFrame:
    """The rejected rows of an upload, for download: row, column, reason, original row."""
    with engine.connect() as connection:
        return pd.read_sql(
            sa.select(
                rejects.c.row_number, rejects.c.column_name, rejects.c.reason, rejects.c.raw_row
            )
            .where(rejects.c.upload_id == upload_id)
            .order_by(rejects.c.row_number, rejects.c.column_name),
            connection,
        )


def with_options(options: IngestOptions, **changes: object) -> IngestOptions:
    """A copy of ``options`` with some fields changed."""
    return replace(options, **changes)  # type: ignore[arg-type]
