"""What the ingest path is asked (:class:`IngestOptions`) and what it answers
(:class:`IngestReport`): the values the Data page, the CLI and the demo loader exchange with
:mod:`core.store.ingest.pipeline`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import pandas as pd

from core.access import Actor
from core.store.ingest import currency, values
from core.store.ingest.detect import UnreadableFileError
from core.store.ingest.presets import Field, Preset

MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # as .streamlit/config.toml's server.maxUploadSize
MAX_FILE_BYTES = 8 * 1024 * 1024 * 1024  # files read from disk by the CLI and the demo

ERRORS_SHOWN = 1_000
DateOrder = Literal["auto", "ymd", "mdy", "dmy"]
Status = Literal[
    "ready",
    "needs_date_order",
    "needs_rates",
    "invalid",
    "duplicate",
    "unreadable",
    "loaded",
    "loaded_with_rejects",
]


class IngestError(ValueError):
    """A request the ingest path refuses (unknown upload, already undone, ...)."""


class EncodingMismatchError(UnreadableFileError):
    """DuckDB met text that is not UTF-8 after the sample that looked like UTF-8."""


@dataclass(frozen=True)
class IngestOptions:
    """What the caller decided about a file."""

    source: str | None = None  # a preset name, when the user says what the file is
    kind: str | None = None  # the table, when the user says what the file holds
    mapping: Mapping[str, str | None] = field(default_factory=dict)  # field -> file column
    date_order: DateOrder = "auto"
    keep_rejects: bool = False
    dry_run: bool = False
    snapshot_date: date | None = None
    uploaded_by: str = "command line"
    # The signed-in person loading the file (checked: editors and admins only). Without one,
    # the caller is local (command line, scripts) and ``uploaded_by`` names them.
    actor: Actor | None = None
    remember_mapping: bool = False
    is_demo: bool = False
    now: datetime | None = None
    progress: Callable[[float, str], None] | None = None  # share done (0-1), step
    # The largest file accepted: uploads through the app are held in memory by Streamlit, so
    # they stop at MAX_UPLOAD_BYTES; files read from disk (CLI, demo) may be larger.
    max_bytes: int = MAX_UPLOAD_BYTES
    # One value for a whole file (``channel=paid_social``, ``currency=AUD``): a field the file
    # lacks, or one that overrides the file's column for every row.
    fixed_values: Mapping[str, str] = field(default_factory=dict)
    # Vendor values mapped to the store's, per field: {"opportunity_type": {"Opportunity":
    # "new_business"}}; on top of the defaults and of what was remembered for the format.
    value_mapping: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    sheet: str | None = None  # the sheet of an Excel workbook to read (default: the first)

    def report_progress(self, share: float, step: str) -> None:
        """Tell the caller how far the run is (the Data page shows a progress bar)."""
        if self.progress is not None:
            self.progress(share, step)


@dataclass(frozen=True)
class MappedField:
    """A field of the format and the file column that supplies it (``None``: not mapped)."""

    field: Field
    column: str | None

    @property
    def label(self) -> str:
        """The column as the user knows it, or the field's name when unmapped."""
        return self.column or self.field.name


@dataclass
class IngestReport:
    """Everything the Data page and the CLI tell the user about one file."""

    file_name: str
    sha256: str = ""
    size_bytes: int = 0
    status: Status = "ready"
    message: str = ""
    preset: Preset | None = None
    headers: tuple[str, ...] = ()
    mapping: tuple[MappedField, ...] = ()
    unmapped_columns: tuple[str, ...] = ()
    decisions: list[str] = field(default_factory=list)
    date_order: str | None = None
    ambiguous_date_columns: tuple[str, ...] = ()
    snapshot_date: date | None = None
    rows_read: int = 0
    rows_skipped: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    error_count: int = 0
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ERROR_COLUMNS))
    upload_id: int | None = None
    rows_inserted: int = 0
    rows_updated: int = 0
    duplicate_of: int | None = None
    archive_path: Path | None = None
    # Rows that load but deserve a look (close before created, blank amount): listed, kept.
    warning_count: int = 0
    warnings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=WARNING_COLUMNS))
    # Every distinct vendor value of the mapped vocabulary fields and what it loads as.
    values: tuple[values.ValueCount, ...] = ()
    fixed_values: Mapping[str, str] = field(default_factory=dict)
    missing_rates: tuple[currency.MissingRates, ...] = ()
    # A rates upload: what it restated among the amounts already loaded (also in decisions).
    restated: list[str] = field(default_factory=list)
    currency_note: str = ""  # which currency the amounts were read in, for the summary
    sheets: tuple[str, ...] = ()  # an Excel workbook's sheets
    rows_stored: int = 0  # records stored: fewer than rows when repeats add up, more when spread

    @property
    def kind(self) -> str | None:
        """The table the file loads into."""
        return self.preset.kind if self.preset else None

    @property
    def loaded(self) -> bool:
        """Whether rows were stored."""
        return self.status in ("loaded", "loaded_with_rejects")


ERROR_COLUMNS = ["row", "column", "value", "problem"]
WARNING_COLUMNS = ["row", "column", "value", "warning"]
