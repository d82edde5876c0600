"""The CSV writer: the fast Arrow path writes exactly what the csv module would."""

import pandas as pd
import pytest

from core.demo.exports import CsvExport

ROWS = pd.DataFrame(
    {
        "name": ["Acme Labs", "", None, "Brightwave Logistics"],
        "amount": ["1200.00", "0.50", "3.00", "12.00"],
        "note": ["x", None, "", "z"],
    }
)


@pytest.mark.parametrize("quote_all", [False, True])
@pytest.mark.parametrize(("separator", "line_end"), [(",", "\n"), ("\t", "\r\n"), (";", "\n")])
def test_arrow_and_csv_module_write_the_same_bytes(tmp_path, quote_all, separator, line_end):
    fast, slow = tmp_path / "fast.csv", tmp_path / "slow.csv"
    with CsvExport(
        fast,
        list(ROWS.columns),
        ["Report title"],
        separator,
        quote_all=quote_all,
        line_end=line_end,
    ) as export:
        export.write(ROWS)
    with CsvExport(
        slow,
        list(ROWS.columns),
        ["Report title"],
        separator,
        quote_all=quote_all,
        line_end=line_end,
    ) as export:
        export._write_with_arrow = lambda rows: False  # force the csv module path
        export.write(ROWS)
    assert fast.read_bytes() == slow.read_bytes()


def test_values_that_need_quotes_are_quoted(tmp_path):
    path = tmp_path / "quoted.csv"
    with CsvExport(path, ["name", "cost"]) as export:
        export.write(pd.DataFrame({"name": ['Say "hi", Inc.'], "cost": ["1,234.56"]}))
    assert path.read_text() == 'name,cost\n"Say ""hi"", Inc.","1,234.56"\n'


def test_utf16_files_carry_a_byte_order_mark(tmp_path):
    path = tmp_path / "excel.csv"
    with CsvExport(
        path, ["Day", "Cost"], separator="\t", encoding="utf-16", line_end="\r\n"
    ) as export:
        export.write(pd.DataFrame({"Day": ["2026-11-23"], "Cost": ["1,234.56"]}))
    raw = path.read_bytes()
    assert raw[:2] == b"\xff\xfe"
    assert raw.decode("utf-16") == "Day\tCost\r\n2026-11-23\t1,234.56\r\n"
