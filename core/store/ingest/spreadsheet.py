"""Excel downloads as CSV: one sheet of a workbook copied to a UTF-8 file the CSV pipeline reads.

Many tools offer "Download as Excel" beside (or instead of) CSV. Rather than a second ingest
path, the chosen sheet is written as comma-separated UTF-8, every row as wide as the widest:
title rows above the header stay rows, and :mod:`.detect` looks for the header below them as it
does in a CSV export. Every decision is a sentence the Data page and the CLI show.

The reader is `python-calamine <https://github.com/dimastbk/python-calamine>`_, the Python
binding of the Rust ``calamine`` crate, chosen over openpyxl: it is maintained, several times
faster and lighter in memory on large sheets, and reads ``.xlsx``, ``.xlsm``, ``.xls`` and
``.ods`` alike (the format is found from the bytes, not the file name).

Cells are written as the values the workbook stores, never as Excel displays them (no thousands
separators, no rounding to the shown decimals, no percent sign):

- numbers: integer-valued as ``1234``, others as the shortest text that reads back as the same
  binary value (``0.30000000000000004``), never in exponent notation (``0.00001``);
- dates ``2026-06-01``, date-times ``2026-06-01 10:23:00``, times ``10:23:05``, durations in
  seconds; booleans ``true``/``false``; text exactly as stored;
- formulas as the value Excel last calculated; a formula whose result is an error keeps the
  error's text (``#DIV/0!``, ``#N/A``) in ``.xlsx``/``.xlsm`` files.

Limits: a sheet larger than ``max_cells`` is refused before its rows are read. calamine builds a
sheet as one dense grid from its first to its last cell, so a small file with a value in
``XFD1048576`` would ask for hundreds of gigabytes and abort the whole process: for ``.xlsx`` the
sheet's cell references (formatted empty cells included) are scanned before calamine reads it;
other formats are checked once calamine has read them.

Quickstart::

    copy = spreadsheet_to_csv(Path("report.xlsx"), work / "sheet.csv")
    copy.decisions  # ('Read the Excel sheet “Report” (the first of 2 sheets: Report, Notes).',)
"""

from __future__ import annotations

import csv
import posixpath
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import unescape

from python_calamine import (
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from core.formatting import plural
from core.store.ingest.detect import UnreadableFileError

ZIP_MAGIC = b"PK\x03\x04"  # .xlsx, .xlsm, .xlsb and .ods are ZIP archives
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # .xls (BIFF8) lives in an OLE2 compound file
# 200 million cells is ~6.4 GB in calamine (32 bytes a cell) before one row is written: far
# beyond any marketing export (1,048,576 rows x 190 columns), within one server's memory.
MAX_CELLS = 200_000_000
SCAN_CHUNK_BYTES = 4 * 1024 * 1024
EXCEL_MAX_COLUMNS = 16_384
UNOPENABLE_ADVICE = "Save it again from Excel, or export the report as CSV."

CellValue = int | float | str | bool | date | datetime | time | timedelta | None


@dataclass(frozen=True)
class SpreadsheetCopy:
    """One sheet of a workbook written as UTF-8 CSV, and what was decided on the way."""

    path: Path
    sheet: str
    sheets: tuple[str, ...]
    rows: int
    decisions: tuple[str, ...]


def is_spreadsheet(sample: bytes) -> bool:
    """Whether the first bytes of a file are those of a workbook (ZIP or OLE2 container).

    Any ZIP archive passes (a ``.docx`` too): :func:`spreadsheet_to_csv` refuses what calamine
    cannot open.

    >>> is_spreadsheet(b"PK\\x03\\x04\\x14\\x00"), is_spreadsheet(b"Campaign,Day,Cost\\n")
    (True, False)
    """
    return sample.startswith((ZIP_MAGIC, OLE2_MAGIC))


def sheet_names(path: Path) -> tuple[str, ...]:
    """The sheets of a workbook, in workbook order."""
    workbook = _open_workbook(path)
    try:
        return tuple(workbook.sheet_names)
    finally:
        workbook.close()


def number_text(value: float) -> str:
    """A float as the shortest text that reads back as the same value, without an exponent.

    >>> [number_text(v) for v in (1234.0, 1234.56, 0.1 + 0.2, 1e-05, 1e16, -0.0)]
    ['1234', '1234.56', '0.30000000000000004', '0.00001', '10000000000000000', '0']
    """
    if value.is_integer() and abs(value) < 1e16:  # where repr() would write 1234.0 (or -0.0)
        return str(int(value))
    text = repr(value)
    return format(Decimal(text), "f") if "e" in text else text


def cell_text(value: CellValue) -> str:
    """The CSV text of one cell value as calamine returns it.

    >>> cell_text(True), cell_text(date(2026, 6, 1)), cell_text(datetime(2026, 6, 1, 10, 23))
    ('true', '2026-06-01', '2026-06-01 10:23:00')
    >>> cell_text(time(10, 23, 5)), cell_text(timedelta(hours=25, seconds=1)), cell_text(None)
    ('10:23:05', '90001', '')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, datetime):  # before date: datetime is a date
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return number_text(value.total_seconds())
    return str(value)


def spreadsheet_to_csv(
    path: Path, target: Path, sheet: str | None = None, max_cells: int = MAX_CELLS
) -> SpreadsheetCopy:
    """Write one sheet of a workbook (default: the first worksheet) to ``target`` as UTF-8 CSV.

    Parameters
    ----------
    path
        The workbook: ``.xlsx``, ``.xlsm``, ``.xls`` or ``.ods``, whatever its file name says.
    target
        Where the CSV goes; written only once the sheet is known to be readable.
    sheet
        The sheet's name as Excel shows it on its tab; ``None`` for the first worksheet.
    max_cells
        The largest sheet (rows x columns, counted from ``A1``) read; larger ones are refused
        before their rows are read.

    Raises
    ------
    UnreadableFileError
        The workbook cannot be opened, has no such sheet, the sheet is empty or too large.
    """
    workbook = _open_workbook(path)
    try:
        names = tuple(workbook.sheet_names)
        chosen = _chosen_sheet(workbook, names, sheet)
        errors = _check_size_before_reading(path, chosen, max_cells)
        try:
            data = workbook.get_sheet_by_name(chosen)
        except BaseException as error:
            if not _is_calamine_failure(error):
                raise
            raise _unopenable(path, error) from error
        _check_size(chosen, data, max_cells)
        rows, dropped, restored = _write_csv(data, errors, target)
    finally:
        workbook.close()
    if rows == 0:
        target.unlink(missing_ok=True)
        raise UnreadableFileError(
            f"The sheet \u201c{chosen}\u201d is empty: choose the sheet that holds the report "
            f"(the workbook's sheets: {', '.join(names)}), or export the report again."
        )
    decisions = [_sheet_decision(chosen, names, sheet)]
    if restored:
        shown = ", ".join(f"{text} {count:,}" for text, count in sorted(restored.items()))
        decisions.append(
            f"{plural(restored.total(), 'formula')} showed an Excel error ({shown}): kept as "
            "that text."
        )
    if dropped:
        decisions.append(f"{plural(dropped, 'empty row')} at the end of the sheet left out.")
    return SpreadsheetCopy(target, chosen, names, rows, tuple(decisions))


# --------------------------------------------------------------------------------------------
# Opening the workbook and choosing the sheet
# --------------------------------------------------------------------------------------------
def _open_workbook(path: Path) -> CalamineWorkbook:
    if not path.is_file():  # the caller's mistake, not the file's (calamine says OSError)
        raise FileNotFoundError(f"No workbook at {path}")
    try:
        return CalamineWorkbook.from_path(path)
    except BaseException as error:
        if not _is_calamine_failure(error):
            raise
        raise _unopenable(path, error) from error


def _is_calamine_failure(error: BaseException) -> bool:
    """An exception from calamine: a Rust panic reaches Python as pyo3's ``PanicException``,
    a ``BaseException`` (not an ``Exception``), and means a broken file too."""
    return isinstance(error, Exception) or type(error).__name__ == "PanicException"


def _unopenable(path: Path, error: BaseException) -> UnreadableFileError:
    """The user's message for a workbook calamine cannot open or read.

    The causes people can act on (a password, a download cut short, a ZIP that holds no
    workbook) are told apart here: calamine, given an archived upload (no file extension),
    mostly says only "Cannot detect file format". Its words are kept for the rest.
    """
    advice = UNOPENABLE_ADVICE
    with path.open("rb") as handle:
        head = handle.read(len(OLE2_MAGIC))
    if isinstance(error, PasswordError) or (head == OLE2_MAGIC and _is_encrypted_package(path)):
        reason = "it is protected by a password"
        advice = "Save it again from Excel without the password, or export the report as CSV."
    elif head.startswith(ZIP_MAGIC) and not zipfile.is_zipfile(path):
        reason = "it is damaged or incomplete (was the download cut short?)"
    elif head.startswith(ZIP_MAGIC) and not _holds_a_workbook(path):
        reason = "it is a ZIP archive that holds no workbook"
    else:
        detail = str(error).strip() or type(error).__name__
        reason = f"part of it is damaged (the reader says \u201c{detail}\u201d)"
    return UnreadableFileError(
        f"The file looks like an Excel workbook but could not be opened: {reason}. {advice}"
    )


def _is_encrypted_package(path: Path) -> bool:
    """Whether an OLE2 file is an encrypted .xlsx: Excel's "Encrypt with Password" wraps the
    workbook in an OLE2 container with an ``EncryptedPackage`` stream."""
    marker = "EncryptedPackage".encode("utf-16-le")
    tail = b""
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            if marker in tail + block:
                return True
            tail = block[-len(marker) :]
    return False


def _holds_a_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [name.lower() for name in archive.namelist()]
    except _SCAN_FAILURES:
        return True  # damaged inside: calamine's words say more
    return any(
        name.endswith(("workbook.xml", "workbook.bin")) or name == "content.xml" for name in names
    )


def _chosen_sheet(workbook: CalamineWorkbook, names: tuple[str, ...], sheet: str | None) -> str:
    if not names:
        raise UnreadableFileError(f"The workbook has no sheets. {UNOPENABLE_ADVICE}")
    if sheet is not None:
        if sheet not in names:
            raise UnreadableFileError(
                f"The workbook has no sheet \u201c{sheet}\u201d; its sheets are: "
                f"{', '.join(names)}."
            )
        return sheet
    # Cover charts and hidden helper sheets are not the report: the first visible worksheet is.
    worksheets = [m for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    visible = [m for m in worksheets if m.visible == SheetVisibleEnum.Visible]
    candidates = visible or worksheets
    return candidates[0].name if candidates else names[0]


def _sheet_decision(chosen: str, names: tuple[str, ...], asked: str | None) -> str:
    listed = f"{plural(len(names), 'sheet')}: {', '.join(names)}"
    if len(names) == 1:
        how = "the only sheet"
    elif asked is not None:
        how = f"as chosen, of {listed}"
    elif chosen == names[0]:
        how = f"the first of {listed}"
    else:
        how = f"the first visible worksheet of {listed}"
    return f"Read the Excel sheet \u201c{chosen}\u201d ({how})."


# --------------------------------------------------------------------------------------------
# Bounding the work
# --------------------------------------------------------------------------------------------
ErrorCells = Mapping[int, Mapping[int, str]]  # row -> column -> "#DIV/0!"

_MOST_COLUMNS = {1: 26, 2: 26 * 27, 3: EXCEL_MAX_COLUMNS}  # by the letters in a reference
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# Patterns that start with a literal are searched fast; a sheet's XML runs to hundreds of MB.
_ROW_NUMBER = re.compile(rb"row [^>]*?\br=\"(\d+)\"")
_REFERENCE_OF_LENGTH = {
    letters: re.compile(rb" r=\"([A-Z]{%d})\d" % letters) for letters in (1, 2, 3)
}
_ERROR_TYPE = re.compile(rb" t=\"e\"")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"([A-Z]{1,3})(\d+)\"")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
# What a damaged or non-Excel ZIP raises while it is scanned: calamine then reads it or says why.
_SCAN_FAILURES = (
    zipfile.BadZipFile,
    zlib.error,
    ElementTree.ParseError,
    OSError,
    EOFError,
    KeyError,
    RuntimeError,
    NotImplementedError,
)


@dataclass(frozen=True)
class _SheetScan:
    rows: int  # the last row number referenced
    letters: int  # the longest column reference: 1 (A-Z), 2 (AA-ZZ) or 3 letters
    columns: int  # exact when scanned for, else the most that many letters allow
    errors: ErrorCells


def _check_size(name: str, data: CalamineSheet, max_cells: int) -> None:
    end = data.end
    if end is not None:
        _refuse_if_too_large(name, end[0] + 1, end[1] + 1, max_cells)


def _refuse_if_too_large(name: str, rows: int, columns: int, max_cells: int) -> None:
    if rows * columns > max_cells:
        raise UnreadableFileError(
            f"The sheet \u201c{name}\u201d reaches row {rows:,} and column {columns:,} "
            f"({rows * columns:,} cells), more than the {max_cells:,} read here. Delete the "
            "empty rows and columns after the data, or export the report as CSV."
        )


def _check_size_before_reading(path: Path, name: str, max_cells: int) -> ErrorCells:
    """Refuse an ``.xlsx`` sheet too large to read before calamine builds it; its error cells.

    Other formats (``.xls``, ``.ods``, ``.xlsb``) are checked once calamine has read them.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            part = _worksheet_part(archive, name)
            if part is None:
                return {}
            scan = _scan_sheet_xml(archive, part)
            if scan.rows * scan.columns > max_cells:
                scan = _scan_sheet_xml(archive, part, exact_letters=scan.letters)
    except _SCAN_FAILURES:
        return {}
    _refuse_if_too_large(name, scan.rows, scan.columns, max_cells)
    return scan.errors


def _worksheet_part(archive: zipfile.ZipFile, name: str) -> str | None:
    """The ZIP member holding a sheet's XML, found through the relationships as calamine does."""
    members = {member.lower(): member for member in archive.namelist()}
    workbook = next(
        (
            _resolve("", members, relationship.get("Target", ""))
            for relationship in _relationships(archive, members, "")
            if relationship.get("Type", "").endswith("/officeDocument")
        ),
        None,
    )
    if workbook is None:
        return None
    folder = posixpath.dirname(workbook)
    targets = {r.get("Id"): r.get("Target", "") for r in _relationships(archive, members, workbook)}
    # No external entities are resolved and expat bounds entity expansion; calamine has parsed
    # the same part already by the time this runs.
    root = ElementTree.fromstring(archive.read(workbook))  # noqa: S314
    for element in root.iter():
        if element.tag.rpartition("}")[2] == "sheet" and element.get("name") == name:
            ids = [value for key, value in element.attrib.items() if key.endswith("}id")]
            part = _resolve(folder, members, targets.get(ids[0], "")) if ids else None
            return part if part is not None and part.endswith(".xml") else None
    return None


def _relationships(
    archive: zipfile.ZipFile, members: Mapping[str, str], part: str
) -> list[dict[str, str]]:
    folder, file_name = posixpath.split(part)
    rels = members.get(posixpath.join(folder, "_rels", f"{file_name}.rels").lower())
    if rels is None:
        return []
    root = ElementTree.fromstring(archive.read(rels))  # noqa: S314 (see _worksheet_part)
    return [dict(element.attrib) for element in root.iter(_RELATIONSHIP)]


def _resolve(folder: str, members: Mapping[str, str], target: str) -> str | None:
    """A relationship's target as a ZIP member name (matched regardless of case), if present."""
    if not target:
        return None
    joined = target[1:] if target.startswith("/") else posixpath.join(folder, target)
    return members.get(posixpath.normpath(joined).lower())


def _scan_sheet_xml(archive: zipfile.ZipFile, part: str, exact_letters: int = 0) -> _SheetScan:
    """One streamed pass over a sheet's XML: its extent and its error cells.

    Column references are only searched for their length (a search that finds nothing costs
    little); with ``exact_letters``, every reference that long is read for the last column.
    """
    rows, letters, widest = 0, 1, ""
    errors: dict[int, dict[int, str]] = {}
    for chunk in _xml_chunks(archive, part):
        numbers = _ROW_NUMBER.findall(chunk)
        if numbers:
            rows = max(rows, max(map(int, numbers)))
        for longer in (3, 2):
            if letters < longer and _REFERENCE_OF_LENGTH[longer].search(chunk):
                letters = longer
        if exact_letters:
            found = _REFERENCE_OF_LENGTH[exact_letters].findall(chunk)
            widest = max(widest, max(found).decode()) if found else widest
        for marker in _ERROR_TYPE.finditer(chunk):
            _note_error_cell(chunk, marker.start(), errors)
    columns = _column_index(widest) + 1 if widest else _MOST_COLUMNS[letters]
    return _SheetScan(rows, letters, columns, errors)


def _note_error_cell(chunk: bytes, marker: int, errors: dict[int, dict[int, str]]) -> None:
    """The error text of the cell whose start tag holds ``t="e"`` at ``marker``, if any."""
    tag_start = chunk.rfind(b"<", 0, marker)
    tag_end = chunk.find(b">", marker)
    tag = _CELL_TAG.match(chunk, tag_start, tag_end)
    if tag is None or chunk[tag_end - 1 : tag_end] == b"/":  # not a cell, or one without value
        return
    cell_end = chunk.find(b"c>", tag_end)  # </c>: the cell's <f> and <v> lie before it
    value = _VALUE.search(chunk, tag_end, cell_end if cell_end >= 0 else len(chunk))
    if value is not None and value.group(1):
        row, column = int(tag.group(2)) - 1, _column_index(tag.group(1).decode())
        errors.setdefault(row, {})[column] = unescape(value.group(1).decode())


def _xml_chunks(archive: zipfile.ZipFile, part: str) -> Iterator[bytes]:
    """A member's bytes in chunks cut after a row's end, so no cell is split between two."""
    tail = b""
    with archive.open(part) as handle:
        for block in iter(lambda: handle.read(SCAN_CHUNK_BYTES), b""):
            data = tail + block
            row_end = data.rfind(b"row>")
            cut = row_end + 4 if row_end >= 0 else data.rfind(b"<")
            if cut <= 0:
                tail = data
                continue
            yield data[:cut]
            tail = data[cut:]
    if tail:
        yield tail


def _column_index(letters: str) -> int:
    """``A`` -> 0, ``Z`` -> 25, ``AA`` -> 26."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


# --------------------------------------------------------------------------------------------
# Writing the CSV
# --------------------------------------------------------------------------------------------
_TEXT_BY_TYPE: dict[type, Callable[[Any], str]] = {float: number_text, int: str}


def _text_of(value: CellValue) -> str:
    """:func:`cell_text`, with the common number types looked up first (millions of cells)."""
    return _TEXT_BY_TYPE.get(type(value), cell_text)(value)


def _write_csv(
    data: CalamineSheet, errors: ErrorCells, target: Path
) -> tuple[int, int, Counter[str]]:
    """Stream the sheet's rows into ``target``: rows written, empty rows left out at the end and
    the error results put back."""
    restored: Counter[str] = Counter()
    start = data.start
    if start is None:  # iter_rows() panics on an empty sheet
        return 0, 0, restored
    # iter_rows() starts at row 1 but at the first used column: pad back to column A so every
    # value keeps its place (as to_python(skip_empty_area=False) does, in one list).
    padding = [""] * start[1]
    empty_row = [""] * (start[1] + data.width)
    written = pending = 0
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        for row_index, values in enumerate(data.iter_rows()):
            cells = [*padding, *(v if type(v) is str else _text_of(v) for v in values)]
            if row_index in errors:
                _restore_errors(cells, errors[row_index], restored)
            if not any(cells):
                pending += 1  # written only if a row with values follows
                continue
            writer.writerows([empty_row] * pending)
            if "\r" in "".join(cells):
                handle.write(_line_quoting_carriage_returns(cells))
            else:
                writer.writerow(cells)
            written, pending = written + pending + 1, 0
    return written, pending, restored


def _line_quoting_carriage_returns(cells: list[str]) -> str:
    """A CSV line for cells holding a lone carriage return, which the csv module leaves
    unquoted when lines end in a line feed (any CSV reader would then split the cell)."""
    quoted = (
        '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell
        for cell in cells
    )
    return ",".join(quoted) + "\n"


def _restore_errors(cells: list[str], errors: Mapping[int, str], restored: Counter[str]) -> None:
    """calamine reads a formula's error result as an empty cell: put the error's text back."""
    for column, error in errors.items():
        if column < len(cells) and cells[column] == "":
            cells[column] = error
            restored[error] += 1
