"""What a refused file tells the analyst: what is wrong, and what to do in the vendor's tool.

Each message names the file's own columns and values, and says the next step ("add Segment >
Time > Day before downloading"), so nobody is left with "format not recognised".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.store.ingest.detect import NO_DATA, NO_DATA_MESSAGE, FileLayout
from core.store.ingest.presets import PRESETS, Preset, signature_score

_MONTH_HEADER = re.compile(
    r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[ -]?('?\d{2}|\d{4})?$"
    r"|^\d{4}[-/]\d{1,2}$|^\d{1,2}[-/]\d{4}$|^(q[1-4]|fy)\s?\d{2,4}$",
    re.IGNORECASE,
)
_DATA_CELL = re.compile(
    r"^\s*(-?[$€£]?\s?[\d.,]+%?|\d{4}-\d{2}-\d{2}([ T][\d:.]+Z?)?|\d{1,2}[/.]\d{1,2}[/.]\d{2,4})\s*$"
)
GENERIC_SPEND_HEADER = "date,channel,amount,campaign_id"


def _shown(headers: Sequence[str], count: int = 8) -> str:
    return ", ".join(headers[:count]) + ("..." if len(headers) > count else "")


def unrecognised(layout: FileLayout) -> str:
    """Why a header row matched no format, and what to do about it."""
    headers = list(layout.headers)
    lines = [*layout.preamble, ",".join(headers)]
    if any(NO_DATA.search(line) for line in lines):
        return NO_DATA_MESSAGE
    data_like = sum(bool(_DATA_CELL.match(header)) for header in headers)
    if headers and data_like * 2 >= len(headers):
        return (
            f"The first line looks like data, not column names ({_shown(headers, 5)}): the file "
            "has no header line. Add one naming the columns (for spend, for example: "
            f"{GENERIC_SPEND_HEADER}) and load it again."
        )
    months = sum(bool(_MONTH_HEADER.match(header.strip())) for header in headers)
    if months >= 3:
        return (
            f"The file has one column per month ({_shown([h for h in headers if _MONTH_HEADER.match(h.strip())], 4)}): "
            "the app reads one row per day or month. Turn the table so each month is a row "
            f"(for spend: {GENERIC_SPEND_HEADER}, one row per month and channel), or export "
            "the report by day from the ad platform."
        )
    near = _nearest_preset(headers)
    if near is not None:
        preset, missing = near
        return (
            f"This looks like a {preset.label} export, but it lacks "
            + ", ".join(missing)
            + f" (its columns: {_shown(headers)}). "
            + (preset.hint + " " if preset.hint else "")
            + "Or say what it holds (choose the table it loads into) and map its columns."
        )
    return (
        "The file's format was not recognised from its header ("
        + _shown(headers)
        + "): say what it holds (choose the table it loads into) and map its columns."
    )


def _nearest_preset(headers: list[str]) -> tuple[Preset, list[str]] | None:
    """The vendor format a header comes closest to (at least half its signature)."""
    scored = [
        (signature_score(preset, headers), preset)
        for preset in PRESETS
        if not preset.name.startswith("generic") and preset.priority >= 0
    ]
    best_score, best = max(scored, key=lambda pair: pair[0])
    if best_score < 0.5:
        return None
    normalized = [header.strip().lower() for header in headers]
    missing = [
        wanted.split("|")[0].rstrip("*").rstrip(" (")
        for wanted in best.signature
        if not any(best._signature_matches(wanted, header) for header in normalized)
    ]
    return best, [f"\u201c{name}\u201d" for name in missing]


def missing_columns(preset: Preset, labels: Sequence[str]) -> str:
    """A recognised format without a column it needs."""
    return (
        f"Required columns are missing for a {preset.label} file: {', '.join(labels)}. "
        + (preset.hint + " " if preset.hint else "")
        + "Map them to columns of the file, or export the report with those columns."
    )


def no_rows(preset: Preset, layout: FileLayout, rows_read: int) -> str:
    """A recognised file with nothing to load."""
    if rows_read == 0:
        return "The file has a header but no data rows: nothing to load."
    return (
        f"Every one of the file's {rows_read:,} rows is a total, a footer, a deleted record or "
        f"blank: nothing to load. Widen the {preset.label} report's date range or filters."
    )


def all_time(preset: Preset) -> str:
    """A totals report over "All time": no dates to spread the totals over."""
    return (
        f"This {preset.label} report covers \u201cAll time\u201d and has no day column, so its "
        "totals cannot be placed in time. Choose a date range, or better, "
        + (preset.hint[0].lower() + preset.hint[1:] if preset.hint else "add a day column")
    )


def no_date_range(preset: Preset) -> str:
    """A totals report whose date-range line is missing."""
    return (
        f"This is a {preset.label} report without a day column and without the date-range line "
        "above its header, so its totals cannot be placed in time. "
        + (preset.hint or "Export it with a day column.")
    )
