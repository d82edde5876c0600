"""Excel workbooks to CSV (``core.store.ingest.spreadsheet``).

Workbooks are written in each test with openpyxl (no binary fixtures). Where a test needs what
Excel writes but openpyxl cannot (a formula's cached error, a 17-digit float, a formula that
returns ""), the sheet's XML is patched after saving, cell by cell, with the XML Excel writes.
"""

from __future__ import annotations

import csv
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from hypothesis import given, settings
from hypothesis import strategies as st

from core.store.ingest.detect import UnreadableFileError, detect_layout
from core.store.ingest.spreadsheet import (
    OLE2_MAGIC,
    SpreadsheetCopy,
    cell_text,
    is_spreadsheet,
    sheet_names,
    spreadsheet_to_csv,
)

REPO_ROOT = Path(__file__).resolve().parents[4]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
UNOPENABLE = "The file looks like an Excel workbook but could not be opened: "
ADVICE = "Save it again from Excel, or export the report as CSV."

Row = Sequence[object]


def write_workbook(path: Path, sheets: dict[str, Sequence[Row]]) -> Path:
    """A workbook with one sheet per entry, rows appended from row 1."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


def patch_cells(path: Path, cells: dict[str, str], part: str = "xl/worksheets/sheet1.xml") -> None:
    """Replace cells of a saved workbook by the XML Excel writes for them."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            if info.filename == part:
                text = data.decode("utf-8")
                for reference, xml in cells.items():
                    text, count = re.subn(
                        rf'<c r="{reference}"[^>]*?(?:/>|>.*?</c>)', lambda _, x=xml: x, text
                    )
                    assert count == 1, f"no cell {reference} to patch"
                data = text.encode("utf-8")
            archive.writestr(info, data)


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def convert(
    path: Path, tmp_path: Path, **options: object
) -> tuple[SpreadsheetCopy, list[list[str]]]:
    copy = spreadsheet_to_csv(path, tmp_path / "sheet.csv", **options)
    return copy, csv_rows(copy.path)


# --------------------------------------------------------------------------------------------
# Recognising a workbook from its first bytes
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", True),  # .xlsx, .xlsm, .ods
        (OLE2_MAGIC + b"\x00" * 8, True),  # .xls
        (PNG_MAGIC + b"\x00\x00\x00\rIHDR", False),  # a screenshot renamed to .xlsx
        (b"Campaign,Day,Cost\n", False),
        (b"%PDF-1.7\n", False),
        (b"PK", False),  # too short to tell
        (b"", False),
    ],
)
def test_is_spreadsheet(sample: bytes, expected: bool) -> None:
    assert is_spreadsheet(sample) is expected


def test_a_renamed_png_is_not_a_spreadsheet_and_cannot_be_converted(tmp_path: Path) -> None:
    png = tmp_path / "report.xlsx"
    png.write_bytes(PNG_MAGIC + random.Random(42).randbytes(500))
    assert not is_spreadsheet(png.read_bytes()[:64])
    with pytest.raises(UnreadableFileError, match=re.escape(ADVICE)):
        spreadsheet_to_csv(png, tmp_path / "sheet.csv")


# --------------------------------------------------------------------------------------------
# Layout: title rows, empty cells, trailing rows, offsets
# --------------------------------------------------------------------------------------------
def test_title_rows_above_the_header_stay_rows_and_the_csv_is_rectangular(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "campaigns.xlsx",
        {
            "Campaign report": [
                ["Campaign report"],
                ["November 20, 2026 - November 22, 2026"],
                [],
                ["Day", "Campaign", "Cost", "Clicks"],
                [date(2026, 11, 20), "Brand", 81.4, 71],
                [date(2026, 11, 21), "Category", 1234.56, 1088],
            ]
        },
    )
    copy, rows = convert(path, tmp_path)
    assert rows == [
        ["Campaign report", "", "", ""],
        ["November 20, 2026 - November 22, 2026", "", "", ""],
        ["", "", "", ""],
        ["Day", "Campaign", "Cost", "Clicks"],
        ["2026-11-20", "Brand", "81.4", "71"],
        ["2026-11-21", "Category", "1234.56", "1088"],
    ]
    assert copy.rows == 6
    assert copy.sheet == "Campaign report"
    assert copy.sheets == ("Campaign report",)
    assert copy.decisions == ("Read the Excel sheet \u201cCampaign report\u201d (the only sheet).",)
    assert copy.path.read_bytes().count(b"\r") == 0  # \n line ends


def test_the_csv_pipeline_finds_a_recognised_header_below_title_rows(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "google_ads.xlsx",
        {
            "Campaign report": [
                ["Campaign report"],
                ["November 20, 2026 - November 22, 2026"],
                ["Day", "Campaign", "Currency code", "Cost", "Impr.", "Clicks"],
                [date(2026, 11, 20), "FY27 Q4 Search - Brand", "USD", 81.4, 1790, 71],
                [date(2026, 11, 20), "FY27 Q4 Search - Category", "USD", 1234.56, 27410, 1088],
            ]
        },
    )
    copy = spreadsheet_to_csv(path, tmp_path / "sheet.csv")
    layout = detect_layout(copy.path, "utf-8")
    assert layout.header_line == 3
    assert layout.headers == ("Day", "Campaign", "Currency code", "Cost", "Impr.", "Clicks")
    assert layout.preset is not None and layout.preset.name == "google_ads"


def test_the_csv_pipeline_finds_an_unrecognised_header_below_a_title(tmp_path: Path) -> None:
    rows: list[Row] = [["Quarterly plan"], [], ["Region", "Owner", "Budget", "Notes"]]
    rows += [[f"Region {index}", f"Owner {index}", 1000 * index, "n"] for index in range(12)]
    path = write_workbook(tmp_path / "plan.xlsx", {"Plan": rows})
    layout = detect_layout(spreadsheet_to_csv(path, tmp_path / "sheet.csv").path, "utf-8")
    assert layout.headers == ("Region", "Owner", "Budget", "Notes")


def test_empty_cells_stay_in_place_and_trailing_empty_rows_are_left_out(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "gaps.xlsx",
        {
            "Data": [
                ["Campaign", "Cost", "Clicks", "Notes"],
                ["Brand", None, 71, "x"],
                [None, None, None, None],
                ["Category", 12.5, None, None],
                ["placeholder"],  # patched below: formulas that return ""
                ["placeholder", "placeholder"],
            ]
        },
    )
    patch_cells(
        path,
        {
            "A5": '<c r="A5" t="str"><f>IF(B4&gt;100,"x","")</f><v></v></c>',
            "A6": '<c r="A6" t="inlineStr"><is><t></t></is></c>',
            "B6": '<c r="B6" t="str"><f>""</f><v></v></c>',
        },
    )
    copy, rows = convert(path, tmp_path)
    assert rows == [
        ["Campaign", "Cost", "Clicks", "Notes"],
        ["Brand", "", "71", "x"],
        ["", "", "", ""],
        ["Category", "12.5", "", ""],
    ]
    assert copy.rows == 4
    assert copy.decisions[-1] == "2 empty rows at the end of the sheet left out."


def test_a_table_that_starts_away_from_a1_keeps_its_cells_in_place(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["C3"], sheet["D3"], sheet["C4"], sheet["E5"] = "Campaign", "Cost", "Brand", "far"
    path = tmp_path / "offset.xlsx"
    workbook.save(path)
    _, rows = convert(path, tmp_path)
    assert rows == [
        ["", "", "", "", ""],
        ["", "", "", "", ""],
        ["", "", "Campaign", "Cost", ""],
        ["", "", "Brand", "", ""],
        ["", "", "", "", "far"],
    ]
    # The same grid calamine gives all at once (iter_rows() alone would lose columns A and B).
    with python_calamine.CalamineWorkbook.from_path(path) as calamine_workbook:
        whole = calamine_workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    assert rows == [[cell_text(value) for value in row] for row in whole]


# --------------------------------------------------------------------------------------------
# Values: never rounded, never shifted
# --------------------------------------------------------------------------------------------
NUMBERS = [
    # (written by openpyxl, the CSV text)
    (1234, "1234"),
    (1234.0, "1234"),
    (-42, "-42"),
    (1234.56, "1234.56"),
    (-0.25, "-0.25"),
    (0.1 + 0.2, "0.3"),  # openpyxl writes 16 significant digits ("%.16g"): 0.3 is what it stored
    (1e-05, "0.00001"),
    (123456789012.34, "123456789012.34"),
    (999_999_999_999_999, "999999999999999"),  # Excel's 15 significant digits
    (1e20, "100000000000000000000"),
    (0, "0"),
]
NUMBERS_AS_EXCEL_WRITES_THEM = [
    # (the <v> Excel writes: shortest round-trip, up to 17 digits, E notation; the CSV text)
    ("0.30000000000000004", "0.30000000000000004"),
    ("1.5E-7", "0.00000015"),
    ("1.2345678901234567E+19", "12345678901234567000"),
    ("-0", "0"),
    ("45.000000000000007", "45.00000000000001"),  # the shortest text of the same double
]


def test_numbers_are_written_without_rounding_or_exponents(tmp_path: Path) -> None:
    rows = [[value] for value, _ in NUMBERS] + [
        ["placeholder"] for _ in NUMBERS_AS_EXCEL_WRITES_THEM
    ]
    path = write_workbook(tmp_path / "numbers.xlsx", {"Numbers": rows})
    first = len(NUMBERS) + 1
    patch_cells(
        path,
        {
            f"A{first + index}": f'<c r="A{first + index}" t="n"><v>{value}</v></c>'
            for index, (value, _) in enumerate(NUMBERS_AS_EXCEL_WRITES_THEM)
        },
    )
    _, written = convert(path, tmp_path)
    expected = [text for _, text in NUMBERS] + [text for _, text in NUMBERS_AS_EXCEL_WRITES_THEM]
    assert [row[0] for row in written] == expected
    for (value, _), (text,) in zip(
        NUMBERS_AS_EXCEL_WRITES_THEM, written[len(NUMBERS) :], strict=True
    ):
        assert float(text) == float(value)  # the same double, digit for digit


def test_dates_times_durations_and_booleans(tmp_path: Path) -> None:
    cases = [
        # (written by openpyxl, the CSV text)
        (date(2026, 6, 1), "2026-06-01"),
        (datetime(2026, 6, 1, 10, 23), "2026-06-01 10:23:00"),
        (datetime(2026, 6, 1, 10, 23, 45), "2026-06-01 10:23:45"),
        (datetime(2026, 6, 1), "2026-06-01"),  # calamine reads a midnight date-time as a date
        (datetime(1999, 12, 31, 23, 59, 59), "1999-12-31 23:59:59"),
        (time(10, 23, 5), "10:23:05"),
        (timedelta(hours=25, seconds=1), "90001"),  # a duration in seconds
        (timedelta(minutes=90), "5400"),
        (True, "true"),
        (False, "false"),
    ]
    path = write_workbook(tmp_path / "dates.xlsx", {"Dates": [[value] for value, _ in cases]})
    _, rows = convert(path, tmp_path)
    assert [row[0] for row in rows] == [text for _, text in cases]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  text kept as is ", "  text kept as is "),
        (True, "true"),
        (7, "7"),  # .xls files give ints
        (2**63 - 1, "9223372036854775807"),
        (1234.0, "1234"),
        (1e16, "10000000000000000"),
        (-1.5e-07, "-0.00000015"),
        (5e-324, "0." + "0" * 323 + "5"),
        (date(2026, 6, 1), "2026-06-01"),
        (datetime(2026, 6, 1, 0, 0), "2026-06-01 00:00:00"),
        (datetime(2026, 6, 1, 10, 23, 0, 500000), "2026-06-01 10:23:00.500000"),
        (time(0, 0), "00:00:00"),
        (timedelta(seconds=1.5), "1.5"),
    ],
)
def test_cell_text(value: object, expected: str) -> None:
    assert cell_text(value) == expected  # type: ignore[arg-type]


def test_text_with_commas_quotes_newlines_and_unicode_round_trips(tmp_path: Path) -> None:
    texts = [
        'Caf\u00e9 "Le Bar", Paris',
        "line one\nline two",
        "windows\r\nline end",
        "old mac\rline end",  # a lone \r: the csv module alone would leave it unquoted
        "\r",
        "tab\tinside",
        "\u65e5\u672c\u8a9e \u2013 \U0001f389",
        "  leading and trailing  ",
        "0012",  # a code with leading zeros stays text
        "1,234.56",
        "TRUE",
        "=SUM(A1:A2)",  # text that looks like a formula (made text below)
        '"',
        ",",
    ]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for index, text in enumerate(texts, start=1):
        cell = sheet.cell(row=index, column=1, value=text)
        cell.data_type = "s"  # openpyxl would store "=SUM(...)" as a formula
        sheet.cell(row=index, column=2, value=index)
    path = tmp_path / "text.xlsx"
    workbook.save(path)
    _, rows = convert(path, tmp_path)
    assert rows == [[text, str(index)] for index, text in enumerate(texts, start=1)]


# --------------------------------------------------------------------------------------------
# Formulas: the cached result, errors kept as their text
# --------------------------------------------------------------------------------------------
def formulas_workbook(tmp_path: Path) -> Path:
    path = write_workbook(
        tmp_path / "formulas.xlsx",
        {"Report": [["Campaign", "Cost", "Leads", "Cost per lead", "Label", "Total"], ["x"] * 6]},
    )
    patch_cells(
        path,
        {
            "A2": '<c r="A2" t="inlineStr"><is><t>Brand</t></is></c>',
            "B2": '<c r="B2"><v>120</v></c>',
            "C2": '<c r="C2"><v>0</v></c>',
            "D2": '<c r="D2" t="e"><f>B2/C2</f><v>#DIV/0!</v></c>',
            "E2": '<c r="E2" t="str"><f>A2&amp;" (paid)"</f><v>Brand (paid)</v></c>',
            "F2": '<c r="F2" t="e"><f>VLOOKUP(A2,Z:Z,1,0)</f><v>#N/A</v></c>',
        },
    )
    return path


def test_formulas_give_their_cached_values_and_errors_stay_as_their_text(tmp_path: Path) -> None:
    copy, rows = convert(formulas_workbook(tmp_path), tmp_path)
    assert rows[1] == ["Brand", "120", "0", "#DIV/0!", "Brand (paid)", "#N/A"]
    assert copy.decisions[1] == (
        "2 formulas showed an Excel error (#DIV/0! 1, #N/A 1): kept as that text."
    )


def test_calamine_reads_error_results_as_empty_cells(tmp_path: Path) -> None:
    """Why the module scans for error cells itself: if this fails, calamine now keeps them."""
    with python_calamine.CalamineWorkbook.from_path(formulas_workbook(tmp_path)) as workbook:
        row = workbook.get_sheet_by_name("Report").to_python()[1]
    assert row[3] == "" and row[5] == ""


# --------------------------------------------------------------------------------------------
# Sheets
# --------------------------------------------------------------------------------------------
def two_sheets(tmp_path: Path) -> Path:
    return write_workbook(
        tmp_path / "two.xlsx",
        {"Report": [["Campaign", "Cost"], ["Brand", 10]], "Notes": [["Exported by", "Ana"]]},
    )


def test_the_first_sheet_is_read_by_default(tmp_path: Path) -> None:
    copy, rows = convert(two_sheets(tmp_path), tmp_path)
    assert (copy.sheet, copy.sheets) == ("Report", ("Report", "Notes"))
    assert rows == [["Campaign", "Cost"], ["Brand", "10"]]
    assert copy.decisions == (
        "Read the Excel sheet \u201cReport\u201d (the first of 2 sheets: Report, Notes).",
    )


def test_another_sheet_is_read_by_name(tmp_path: Path) -> None:
    copy, rows = convert(two_sheets(tmp_path), tmp_path, sheet="Notes")
    assert copy.sheet == "Notes"
    assert rows == [["Exported by", "Ana"]]
    assert copy.decisions == (
        "Read the Excel sheet \u201cNotes\u201d (as chosen, of 2 sheets: Report, Notes).",
    )


def test_an_unknown_sheet_is_refused_with_the_sheets_listed(tmp_path: Path) -> None:
    target = tmp_path / "sheet.csv"
    with pytest.raises(UnreadableFileError) as raised:
        spreadsheet_to_csv(two_sheets(tmp_path), target, sheet="Deals")
    assert str(raised.value) == (
        "The workbook has no sheet \u201cDeals\u201d; its sheets are: Report, Notes."
    )
    assert not target.exists()


def test_sheet_names(tmp_path: Path) -> None:
    assert sheet_names(two_sheets(tmp_path)) == ("Report", "Notes")


def test_a_chart_sheet_and_a_hidden_sheet_are_passed_over_by_default(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    data = workbook.active
    data.title = "Data"
    data.append(["Campaign", "Cost"])
    data.append(["Brand", 10])
    chart = openpyxl.chart.BarChart()
    chart.add_data(openpyxl.chart.Reference(data, min_col=2, min_row=1, max_row=2))
    workbook.create_chartsheet("Chart", 0).add_chart(chart)
    hidden = workbook.create_sheet("Lookup", 1)
    hidden["A1"] = "helper"
    hidden.sheet_state = "hidden"
    path = tmp_path / "charted.xlsx"
    workbook.save(path)
    copy, rows = convert(path, tmp_path)
    assert copy.sheet == "Data"
    assert rows == [["Campaign", "Cost"], ["Brand", "10"]]
    assert copy.decisions[0] == (
        "Read the Excel sheet \u201cData\u201d (the first visible worksheet of 3 sheets: "
        "Chart, Lookup, Data)."
    )


def test_an_empty_sheet_is_refused(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "empty.xlsx", {"Report": [], "Notes": [["a"]]})
    target = tmp_path / "sheet.csv"
    with pytest.raises(UnreadableFileError) as raised:
        spreadsheet_to_csv(path, target)
    assert str(raised.value).startswith(
        "The sheet \u201cReport\u201d is empty: choose the sheet that holds the report "
        "(the workbook's sheets: Report, Notes)"
    )
    assert not target.exists()


def test_a_sheet_of_empty_text_only_is_empty_too(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "blank.xlsx", {"Report": [["placeholder"]]})
    patch_cells(path, {"A1": '<c r="A1" t="inlineStr"><is><t></t></is></c>'})
    with pytest.raises(UnreadableFileError, match="is empty"):
        spreadsheet_to_csv(path, tmp_path / "sheet.csv")
    assert not (tmp_path / "sheet.csv").exists()


def test_an_opendocument_spreadsheet_is_read_too(tmp_path: Path) -> None:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Spend">'
        "<table:table-row>"
        '<table:table-cell office:value-type="string"><text:p>Day</text:p></table:table-cell>'
        '<table:table-cell office:value-type="string"><text:p>Cost</text:p></table:table-cell>'
        "</table:table-row><table:table-row>"
        '<table:table-cell office:value-type="date" office:date-value="2026-06-01">'
        "<text:p>01/06/2026</text:p></table:table-cell>"
        '<table:table-cell office:value-type="float" office:value="1234.56">'
        "<text:p>1,234.56</text:p></table:table-cell>"
        "</table:table-row></table:table></office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    path = tmp_path / "spend.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
            ' manifest:version="1.2"><manifest:file-entry manifest:full-path="/"'
            ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
    assert is_spreadsheet(path.read_bytes()[:8])
    copy, rows = convert(path, tmp_path)
    assert copy.sheets == ("Spend",)
    assert rows == [["Day", "Cost"], ["2026-06-01", "1234.56"]]  # the value, not "1,234.56"


# --------------------------------------------------------------------------------------------
# Files that cannot be read: a message, never a traceback
# --------------------------------------------------------------------------------------------
def _random_after_zip_header(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04" + random.Random(42).randbytes(4096))


def _zip_of_other_files(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")


def _truncated_workbook(path: Path) -> None:
    write_workbook(path, {"Report": [["a", 1]] * 200})
    path.write_bytes(path.read_bytes()[:1500])


def _damaged_sheet_xml(path: Path) -> None:
    write_workbook(path, {"Report": [["a", 1]]})
    patch_cells(path, {"A1": '<c r="A1" t="inlineStr"><is><t>unclosed</is></c>'})


def _random_after_ole2_header(path: Path) -> None:
    path.write_bytes(OLE2_MAGIC + random.Random(42).randbytes(4096))


def _encrypted_package(path: Path) -> None:
    """The shape of a password-protected .xlsx: an OLE2 container with an EncryptedPackage."""
    noise = random.Random(42).randbytes(2048)
    path.write_bytes(OLE2_MAGIC + noise + "EncryptedPackage".encode("utf-16-le") + noise)


@pytest.mark.parametrize("file_name", ["report.xlsx", "3f2a9c41"])  # archived uploads: no suffix
@pytest.mark.parametrize(
    ("damage", "reason", "advice"),
    [
        (
            _random_after_zip_header,
            "it is damaged or incomplete (was the download cut short?)",
            ADVICE,
        ),
        (_truncated_workbook, "it is damaged or incomplete (was the download cut short?)", ADVICE),
        (_zip_of_other_files, "it is a ZIP archive that holds no workbook", ADVICE),
        (_damaged_sheet_xml, "part of it is damaged (the reader says \u201c", ADVICE),
        (_random_after_ole2_header, "part of it is damaged (the reader says \u201c", ADVICE),
        (
            _encrypted_package,
            "it is protected by a password",
            "Save it again from Excel without the password, or export the report as CSV.",
        ),
    ],
)
def test_a_workbook_that_cannot_be_opened_gives_a_plain_message(
    tmp_path: Path, file_name: str, damage, reason: str, advice: str
) -> None:
    path = tmp_path / file_name
    damage(path)
    target = tmp_path / "sheet.csv"
    with pytest.raises(UnreadableFileError) as raised:
        spreadsheet_to_csv(path, target)
    message = str(raised.value)
    assert message.startswith(UNOPENABLE + reason)
    assert message.endswith(advice)
    assert not target.exists()


def test_sheet_names_of_a_broken_file_gives_a_plain_message(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    _random_after_zip_header(path)
    with pytest.raises(UnreadableFileError, match=re.escape(UNOPENABLE)):
        sheet_names(path)


def test_a_missing_file_is_the_callers_mistake(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        spreadsheet_to_csv(tmp_path / "missing.xlsx", tmp_path / "sheet.csv")


# --------------------------------------------------------------------------------------------
# Bounding the work
# --------------------------------------------------------------------------------------------
def small_grid(tmp_path: Path, columns: int = 4) -> Path:
    rows = [[f"r{row}c{column}" for column in range(columns)] for row in range(3)]
    return write_workbook(tmp_path / "grid.xlsx", {"Grid": rows})


def test_a_sheet_larger_than_max_cells_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "sheet.csv"
    with pytest.raises(UnreadableFileError) as raised:
        spreadsheet_to_csv(small_grid(tmp_path), target, max_cells=11)
    assert str(raised.value) == (
        "The sheet \u201cGrid\u201d reaches row 3 and column 4 (12 cells), more than the 11 read "
        "here. Delete the empty rows and columns after the data, or export the report as CSV."
    )
    assert not target.exists()
    assert spreadsheet_to_csv(small_grid(tmp_path), target, max_cells=12).rows == 3


def test_the_size_check_counts_columns_past_z_exactly(tmp_path: Path) -> None:
    # 3 rows to column AB: 84 cells (the quick scan first allows up to 702 columns for "AB").
    path = small_grid(tmp_path, columns=28)
    assert spreadsheet_to_csv(path, tmp_path / "sheet.csv", max_cells=84).rows == 3
    with pytest.raises(UnreadableFileError, match=r"column 28 \(84 cells\)"):
        spreadsheet_to_csv(path, tmp_path / "sheet.csv", max_cells=83)


def test_an_opendocument_sheet_larger_than_max_cells_is_refused_too(tmp_path: Path) -> None:
    # No quick scan for .ods: the size calamine read is checked before any row is written.
    test_an_opendocument_spreadsheet_is_read_too(tmp_path)
    with pytest.raises(UnreadableFileError, match=r"row 2 and column 2 \(4 cells\)"):
        spreadsheet_to_csv(tmp_path / "spend.ods", tmp_path / "other.csv", max_cells=3)


def test_a_tiny_file_reaching_the_last_cell_is_refused_before_calamine_reads_it(
    tmp_path: Path,
) -> None:
    """calamine would allocate 17 billion cells (550 GB) and abort the process: run it apart."""
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Campaign"
    workbook.active["XFD1048576"] = "stray"
    path = tmp_path / "stray.xlsx"
    workbook.save(path)
    assert path.stat().st_size < 10_000
    script = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))\n"
        "from core.store.ingest.detect import UnreadableFileError\n"
        "from core.store.ingest.spreadsheet import spreadsheet_to_csv\n"
        "try:\n"
        "    spreadsheet_to_csv(Path(sys.argv[1]), Path(sys.argv[2]))\n"
        "except UnreadableFileError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path), str(tmp_path / "sheet.csv")],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(
        "The sheet \u201cSheet\u201d reaches row 1,048,576 and column 16,384 "
        "(17,179,869,184 cells), more than the 200,000,000 read here."
    )


# --------------------------------------------------------------------------------------------
# Property: whatever openpyxl stores reads back the same
# --------------------------------------------------------------------------------------------
# Characters XML 1.0 cannot hold (openpyxl refuses them) and surrogates are left out; so are
# "_x0041_"-style sequences, which the xlsx format reserves for escapes (Excel writes a literal
# one as "_x005F_x0041_"; openpyxl does not, and calamine rightly decodes them).
_XML_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")
TEXT = st.text(
    st.characters(
        codec="utf-8",
        exclude_characters="".join(map(chr, [*range(0, 9), 11, 12, *range(14, 32)])),
    ),
    max_size=12,
).filter(lambda text: not text.startswith("=") and not _XML_ESCAPE.search(text))
CELL = st.one_of(
    st.none(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(min_value=-1e307, max_value=1e307),  # Excel's largest is 9.99999999999999E+307
    TEXT,
)
GRID = st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=6)


def _is_empty(value: object) -> bool:
    return value is None or value == ""


def _expected_grid(grid: list[list[object]]) -> list[list[object]]:
    """The grid as the CSV holds it: rectangular, without trailing empty rows and columns."""
    width = max(len(row) for row in grid)
    rows = [[*row, *[None] * (width - len(row))] for row in grid]
    while rows and all(_is_empty(value) for value in rows[-1]):
        rows.pop()
    while rows and all(_is_empty(row[-1]) for row in rows):
        rows = [row[:-1] for row in rows]
    return rows


@settings(deadline=None, max_examples=150)
@given(grid=GRID)
def test_any_grid_reads_back_as_stored(grid: list[list[object]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_workbook(Path(folder) / "grid.xlsx", {"Grid": grid})
        expected = _expected_grid(grid)
        if not expected:
            with pytest.raises(UnreadableFileError, match="is empty"):
                spreadsheet_to_csv(path, Path(folder) / "grid.csv")
            return
        copy = spreadsheet_to_csv(path, Path(folder) / "grid.csv")
        rows = csv_rows(copy.path)
    assert copy.rows == len(expected)
    assert [len(row) for row in rows] == [len(row) for row in expected]
    for written_row, expected_row in zip(rows, expected, strict=True):
        for text, value in zip(written_row, expected_row, strict=True):
            if _is_empty(value):
                assert text == ""
            elif isinstance(value, float):
                stored = float(f"{value:.16g}")  # what openpyxl writes ("%.16g")
                assert "e" not in text.lower()
                assert not text.endswith(".0")
                assert math.isfinite(float(text)) and float(text) == stored
            elif isinstance(value, int):
                assert text == str(value)
            else:
                assert text == value
