"""Vendor-shaped CSV writers: the files users really download, as the demo writes them.

Each writer knows one vendor's quirks (title lines above the header, quoting, number and date
formats, total rows and footers, encodings). Rows arrive in chunks so large demo stores stream
to disk. Formats follow ``../shared/DOMAIN.md`` ("Real export formats to accept").
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import TracebackType

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

SALESFORCE_LEAD_SOURCE = {
    "paid_search": "Paid Search",
    "paid_social": "Paid Social",
    "linkedin": "LinkedIn",
    "events": "Event",
    "webinars": "Webinar",
    "content_seo": "Content",
    "partners": "Partner Referral",
    "outbound": "Outbound Prospecting",
    "direct": "Website",
    "sales": "Sales Generated",
    "customer": "Existing Customer",
}
SALESFORCE_TYPE = {"new_business": "New Business", "expansion": "Expansion", "renewal": "Renewal"}
HUBSPOT_ORIGINAL_SOURCE = {
    "paid_search": "Paid Search",
    "paid_social": "Paid Social",
    "linkedin": "Paid Social",
    "events": "Offline Sources",
    "webinars": "Other Campaigns",
    "content_seo": "Organic Search",
    "partners": "Referrals",
    "outbound": "Offline Sources",
    "direct": "Direct Traffic",
}
LINKEDIN_CAMPAIGN_TYPE = {
    "LinkedIn - CFO Persona": "Sponsored Content",
    "LinkedIn - Data Leaders": "Sponsored Content",
    "LinkedIn - Lead Gen Forms": "Sponsored Content",
}


class CsvExport:
    """A CSV file written in chunks: preamble lines, header, rows, then footer lines."""

    def __init__(
        self,
        path: Path,
        columns: list[str],
        preamble: list[str] | None = None,
        separator: str = ",",
        encoding: str = "utf-8",
        quote_all: bool = False,
        line_end: str = "\n",
    ) -> None:
        self.path = path
        self.columns = columns
        self.separator = separator
        self.quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
        self.line_end = line_end
        self.encoding = encoding
        path.parent.mkdir(parents=True, exist_ok=True)
        # utf-16 writes its byte-order mark itself; newline="" keeps our line ends as given.
        self._handle = path.open("w", encoding=encoding, newline="")
        for line in preamble or []:
            self._handle.write(line + line_end)
        csv.writer(
            self._handle, delimiter=separator, quoting=self.quoting, lineterminator=line_end
        ).writerow(columns)

    def write(self, frame: pd.DataFrame) -> None:
        """Append rows (columns in the export's order, values already formatted as text).

        Arrow's C++ writer produces the same bytes as the csv module whenever no value needs
        quoting (minimal quoting) or every value is quoted (``quote_all``), ten times faster;
        any other case, and non-UTF-8 files, go through pandas.
        """
        rows = frame[self.columns]
        if self.encoding == "utf-8" and self._write_with_arrow(rows):
            return
        rows.to_csv(
            self._handle,
            header=False,
            index=False,
            sep=self.separator,
            quoting=self.quoting,
            lineterminator=self.line_end,
        )

    def _write_with_arrow(self, rows: pd.DataFrame) -> bool:
        table = pa.Table.from_pandas(rows, preserve_index=False)
        columns = [pc.cast(column, pa.string()) for column in table.columns]
        if self.quoting == csv.QUOTE_ALL:
            # The csv module writes a missing value as a quoted empty cell when all are quoted.
            columns = [pc.fill_null(column, "") for column in columns]
        table = pa.Table.from_arrays(columns, names=table.column_names)
        style = "all_valid" if self.quoting == csv.QUOTE_ALL else "none"
        options = pa_csv.WriteOptions(
            include_header=False, delimiter=self.separator, eol=self.line_end, quoting_style=style
        )
        buffer = io.BytesIO()
        try:
            pa_csv.write_csv(table, buffer, options)
        except pa.ArrowInvalid:  # a value needs quotes: let pandas quote just those
            return False
        self._handle.flush()
        self._handle.buffer.write(buffer.getvalue())
        return True

    def write_lines(self, lines: list[str]) -> None:
        """Append raw lines (totals, footers)."""
        for line in lines:
            self._handle.write(line + self.line_end)

    def close(self) -> None:
        """Flush and close the file."""
        self._handle.close()

    def __enter__(self) -> CsvExport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# Value formatting
# --------------------------------------------------------------------------------------------
def _datetimes(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values).to_numpy(dtype="datetime64[s]")


def iso_dates(days: pd.Series) -> pd.Series:
    """``2026-11-22``."""
    return pd.Series(np.datetime_as_string(_datetimes(days), unit="D"), index=days.index)


def iso_timestamps(stamps: pd.Series, unit: str) -> pd.Series:
    """``2026-11-22 10:14:00`` (unit "s") or ``2026-11-22 10:14`` ("m"); empty if missing."""
    values = _datetimes(stamps)
    if values.size == 0:
        return pd.Series([], index=stamps.index, dtype=object)
    text = np.char.replace(np.datetime_as_string(values, unit=unit), "T", " ")
    return pd.Series(np.where(np.isnat(values), "", text), index=stamps.index)


def us_dates(days: pd.Series) -> pd.Series:
    """``11/2/2026`` (month/day/year without leading zeros), as LinkedIn writes them."""
    stamps = pd.to_datetime(days)
    return (
        stamps.dt.month.astype(str)
        + "/"
        + stamps.dt.day.astype(str)
        + "/"
        + stamps.dt.year.astype(str)
    )


def salesforce_timestamps(stamps: pd.Series) -> pd.Series:
    """``2026-11-22T10:14:00.000Z``, as the Data Loader writes them."""
    return pd.Series(
        np.char.add(np.datetime_as_string(_datetimes(stamps), unit="s"), ".000Z"),
        index=stamps.index,
    )


def hubspot_timestamps(stamps: pd.Series) -> pd.Series:
    """``2026-03-15 10:23``; empty where the stage was never reached."""
    return iso_timestamps(stamps, "m")


def thousands(values: pd.Series, decimals: int) -> pd.Series:
    """``1,234.56``: thousands separators, as Google Ads writes numbers."""
    return pd.Series([f"{value:,.{decimals}f}" for value in values], index=values.index)


def plain_number(values: pd.Series, decimals: int) -> pd.Series:
    """``1234.56``."""
    return pd.Series([f"{value:.{decimals}f}" for value in values], index=values.index)


def boolean_text(values: pd.Series) -> pd.Series:
    """``true`` / ``false``, as the Salesforce API writes them."""
    return pd.Series(np.where(values.to_numpy(dtype=bool), "true", "false"), index=values.index)


def long_date(day: pd.Timestamp) -> str:
    """``February 1, 2023``, as Google Ads writes report date ranges."""
    return f"{day.strftime('%B')} {day.day}, {day.year}"


def optional_text(values: pd.Series) -> pd.Series:
    """Text with missing values written as empty cells."""
    return values.astype(object).where(values.notna(), "")
