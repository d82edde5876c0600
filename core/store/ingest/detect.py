"""What a file is before any row is read: encoding, separator, header line, format, snapshot day.

Only the first few hundred kilobytes are read here, in Python: rows are parsed by DuckDB later.
Every decision is recorded as a sentence the Data page and the CLI show, so nothing is guessed
silently. A file that cannot be a CSV export raises :class:`UnreadableFileError` with a message
for the person who uploaded it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from core.formatting import plural
from core.store.ingest.presets import Preset, normalize_header, recognise, signature_score

SAMPLE_BYTES = 256 * 1024
MAX_LINE_BYTES = 1024 * 1024
SEPARATORS = (",", ";", "\t", "|")
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with a byte-order mark",
    "utf-16": "UTF-16 (Excel's \u201cUnicode text\u201d)",
    "cp1252": "Windows-1252 (Western European)",
}
HEADER_SEARCH_LINES = 40
NO_DATA = re.compile(r"no data (available|to display)|there (is|are) no (data|results)", re.I)
NO_DATA_MESSAGE = (
    "The export holds no data (it says \u201cNo data available\u201d): widen the date range "
    "or loosen the filters in the report, and download it again."
)


class UnreadableFileError(ValueError):
    """The file as a whole cannot be read; the message tells the user what to do."""


@dataclass(frozen=True)
class FileLayout:
    """How to read a file: where its header is, what separates cells, what format it is."""

    encoding: str
    separator: str
    header_line: int  # 1-based line of the header in the decoded text
    headers: tuple[str, ...]
    preamble: tuple[str, ...]
    preset: Preset | None
    decisions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def skip_lines(self) -> int:
        """Lines before the header."""
        return self.header_line - 1


def detect_encoding(sample: bytes) -> str:
    """``utf-8``, ``utf-8-sig``, ``utf-16`` or ``cp1252``, from the first bytes of a file."""
    if not sample:
        raise UnreadableFileError("The file is empty: export it again, with data in it.")
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        zeros_at_odd = sample[1::2].count(0)
        if zeros_at_odd > 0.4 * len(sample[1::2]) and sample[0::2].count(0) < 0.05 * len(
            sample[0::2]
        ):
            return "utf-16-le"
        raise UnreadableFileError(
            "The file is not a CSV export: it contains binary data (is it a spreadsheet or a "
            "PDF renamed to .csv?). Export it again as CSV."
        )
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(sample) - 4:  # not just a character cut at the sample's end
            return "cp1252"
    return "utf-8"


NUL_SHARE_OF_TEXT = 0.01  # more NUL bytes than this in the first 64 KB: binary, not text


def has_stray_nul_bytes(sample: bytes) -> bool:
    """A few NUL bytes in otherwise 8-bit text (Salesforce writes them before rich-text
    fields), as opposed to UTF-16 text or a binary file, which are full of them."""
    if not sample or sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    count = sample.count(0)
    return 0 < count <= NUL_SHARE_OF_TEXT * len(sample)


def strip_nul_bytes(path: Path, target: Path) -> tuple[int, tuple[int, ...]]:
    """Copy ``path`` without its NUL bytes; return how many and on which lines (1-based)."""
    removed = 0
    lines: list[int] = []
    line = 1
    with path.open("rb") as source, target.open("wb") as output:
        for block in iter(lambda: source.read(1 << 20), b""):
            if 0 in block:
                start = 0
                while (position := block.find(0, start)) >= 0:
                    number = line + block.count(b"\n", 0, position)
                    if not lines or lines[-1] != number:
                        lines.append(number)
                    removed += 1
                    start = position + 1
                output.write(block.replace(b"\x00", b""))
            else:
                output.write(block)
            line += block.count(b"\n")
    return removed, tuple(lines)


def read_sample(path: Path, encoding: str) -> str:
    """The first :data:`SAMPLE_BYTES` of a file as text."""
    with path.open("rb") as handle:
        raw = handle.read(SAMPLE_BYTES)
    decoder = codecs.getincrementaldecoder(_python_codec(encoding))(errors="replace")
    return decoder.decode(raw, final=False)


def _python_codec(encoding: str) -> str:
    return {"utf-16-le": "utf-16-le", "utf-16": "utf-16"}.get(encoding, encoding)


def transcode_to_utf8(path: Path, encoding: str, target: Path) -> Path:
    """Copy a non-UTF-8 file as UTF-8 (streamed), so DuckDB can read it; return the copy."""
    decoder = codecs.getincrementaldecoder(_python_codec(encoding))(errors="strict")
    try:
        with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as output:
            for block in iter(lambda: source.read(1 << 20), b""):
                output.write(decoder.decode(block))
            output.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as error:
        raise UnreadableFileError(
            f"The file is not valid {ENCODING_NAMES.get(encoding, encoding)} text near byte "
            f"{error.start:,}: export it again as CSV (UTF-8)."
        ) from error
    return target


def _lines(text: str) -> list[str]:
    lines = text.splitlines()
    if len(text) >= SAMPLE_BYTES // 4 and lines and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may end mid-line
    return lines


def _cells(line: str, separator: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(line), delimiter=separator))
    except (csv.Error, StopIteration):
        return []


def _unique(headers: list[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    result = []
    for position, header in enumerate(headers, start=1):
        name = header.strip().replace("\ufeff", "") or f"Column {position}"
        count = seen.get(normalize_header(name), 0)
        seen[normalize_header(name)] = count + 1
        result.append(name if count == 0 else f"{name} ({count + 1})")
    return tuple(result)


def detect_layout(path: Path, encoding: str, forced: Preset | None = None) -> FileLayout:
    """Separator, header line and format of a file, from its first lines."""
    text = read_sample(path, encoding)
    if "\n" not in text and "\r" not in text and len(text.encode("utf-8")) >= MAX_LINE_BYTES // 4:
        raise UnreadableFileError(
            "The file's first line is longer than 256 KB with no line break: this is not a "
            "CSV export, or its lines are not separated. Export it again as CSV."
        )
    lines = _lines(text)
    if not any(line.strip() for line in lines):
        raise UnreadableFileError("The file has no rows: it is empty or holds only blank lines.")
    candidates = _recognised_headers(lines, forced)
    if candidates:
        line_index, separator, preset = candidates[0]
    else:
        line_index, separator = _table_start(lines)
        preset = forced
    headers = _unique(_cells(lines[line_index], separator))
    decisions = [
        f"Read as {ENCODING_NAMES.get(encoding, encoding)}.",
        f"Cells separated by {SEPARATOR_NAMES[separator]}s.",
    ]
    if line_index:
        decisions.append(
            f"Header on line {line_index + 1}; the {plural(line_index, 'line')} above it "
            "(report title, dates, account) skipped."
        )
    if preset is not None and forced is None:
        decisions.append(f"Recognised as a {preset.label} export.")
    return FileLayout(
        encoding=encoding,
        separator=separator,
        header_line=line_index + 1,
        headers=headers,
        preamble=tuple(lines[:line_index]),
        preset=preset,
        decisions=tuple(decisions),
    )


def _recognised_headers(lines: list[str], forced: Preset | None) -> list[tuple[int, str, Preset]]:
    found = []
    for index, line in enumerate(lines[:HEADER_SEARCH_LINES]):
        for separator in SEPARATORS:
            if separator not in line:
                continue
            cells = _cells(line, separator)
            if len(cells) < 2:
                continue
            if forced is not None:
                if signature_score(forced, cells) >= 0.5:
                    found.append((index, separator, forced))
                continue
            preset = recognise(cells)
            if preset is not None:
                found.append((index, separator, preset))
        if found:
            return found
    return found


def _table_start(lines: list[str]) -> tuple[int, str]:
    """Where an unrecognised table starts: the first line whose cell count the next lines share."""
    best: tuple[int, int, str] | None = None  # (score, -line index, separator)
    for separator in SEPARATORS:
        for index, line in enumerate(lines[:HEADER_SEARCH_LINES]):
            cells = _cells(line, separator)
            width = len(cells)
            # A title padded to the table's width (a workbook's title row) has one filled cell.
            if width < 2 or sum(1 for cell in cells if cell.strip()) < 2:
                continue
            following = [
                len(_cells(other, separator))
                for other in lines[index + 1 : index + 11]
                if other.strip()
            ]
            consistent = sum(1 for count in following if count == width)
            if following and consistent < max(1, len(following) // 2):
                continue
            score = width * (consistent + 1)
            if best is None or (score, -index) > (best[0], best[1]):
                best = (score, -index, separator)
            break
    if best is None:
        if any(NO_DATA.search(line) for line in lines[:HEADER_SEARCH_LINES]):
            raise UnreadableFileError(NO_DATA_MESSAGE)
        raise UnreadableFileError(
            "No table found: every line has a single cell for every separator tried (comma, "
            "semicolon, tab, vertical bar). Export the report as CSV with one row per record."
        )
    return -best[1], best[2]


# --------------------------------------------------------------------------------------------
# The day an export describes
# --------------------------------------------------------------------------------------------
_FILE_NAME_DATE = re.compile(r"(20\d\d)[-_]?(0[1-9]|1[0-2])[-_]?(0[1-9]|[12]\d|3[01])")
# One date as report title lines write it: "June 25, 2026", "25 June 2026", "Jun 25, 2026",
# "25 Jun. 2026", "2026-06-25".
_DAY_TEXT = r"(?:[A-Za-z]+\.? \d{1,2}, \d{4}|\d{1,2} [A-Za-z]+\.? \d{4}|\d{4}-\d{2}-\d{2})"
_DATE_RANGE = re.compile(rf"({_DAY_TEXT})\s*(?:-|\u2013|\u2014|to)\s*({_DAY_TEXT})")
_DAY_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d")
_REPORT_END = re.compile(r"Report End:\s*(\d{1,2})/(\d{1,2})/(\d{4})")
_ALL_TIME = re.compile(r"^\W*all time\W*$", re.IGNORECASE)


def _day_from_text(text: str) -> date | None:
    cleaned = text.replace(".", "").strip()
    for day_format in _DAY_FORMATS:
        try:
            return datetime.strptime(cleaned, day_format).date()
        except ValueError:
            continue
    return None


def date_range_from_preamble(preamble: tuple[str, ...]) -> tuple[date, date] | None:
    """The first and last day of a report's date range, from the lines above its header.

    ``1 June 2026 - 25 June 2026`` (Google Ads, UK), ``June 1, 2026 - June 25, 2026`` (US).
    """
    for line in preamble:
        text = line.strip().strip('"').replace('"', "")
        match = _DATE_RANGE.search(text)
        if match:
            first, last = _day_from_text(match.group(1)), _day_from_text(match.group(2))
            if first is not None and last is not None and first <= last:
                return first, last
    return None


def range_is_all_time(preamble: tuple[str, ...]) -> bool:
    """Whether the report's date-range line says ``All time`` (no dates to spread over)."""
    return any(_ALL_TIME.match(line.replace(",", " ").strip()) for line in preamble)


def snapshot_from_file_name(file_name: str) -> date | None:
    """``salesforce_opportunities_2026-11-23.csv`` -> 23 Nov 2026."""
    match = _FILE_NAME_DATE.search(file_name)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def snapshot_from_preamble(preamble: tuple[str, ...]) -> date | None:
    """The end of a report's date range, from the title lines above its header."""
    found = date_range_from_preamble(preamble)
    if found is not None:
        return found[1]
    for line in preamble:
        match = _REPORT_END.search(line.strip().strip('"'))
        if match:
            try:
                return date(int(match.group(3)), int(match.group(1)), int(match.group(2)))
            except ValueError:
                continue
    return None


_GENERATED_BY = re.compile(r"Generated By:.*?(\d{1,2})[/.](\d{1,2})[/.](\d{4})")


def snapshot_from_footer(footer_lines: list[str], day_first: bool) -> date | None:
    """The date in a Salesforce footer's ``Generated By: Name 11/22/2026 10:14 AM`` line."""
    for line in footer_lines:
        match = _GENERATED_BY.search(line)
        if match:
            first, second, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
            month, day = (second, first) if day_first else (first, second)
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None
