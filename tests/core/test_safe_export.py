"""Downloads neutralise formulas in text cells and leave numbers alone."""

import pandas as pd
import pytest

from core.formatting import escape_markdown
from core.safe_export import neutralize_formulas, safe_csv


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("Acme Labs", "Acme Labs"),
        ("", ""),
    ],
)
def test_text_cells_that_start_a_formula_are_neutralised(value, expected):
    frame = pd.DataFrame({"name": [value]})
    assert neutralize_formulas(frame)["name"].tolist() == [expected]


def test_numbers_stay_numbers_and_the_input_is_unchanged():
    frame = pd.DataFrame({"amount": [-5.0, 3.5], "row": [2, 3], "note": ["-x", None]})
    before = frame.copy()
    safe = neutralize_formulas(frame)
    assert safe["amount"].tolist() == [-5.0, 3.5]
    assert safe["note"].tolist()[0] == "'-x"
    pd.testing.assert_frame_equal(frame, before)
    assert safe_csv(frame).startswith(b"\xef\xbb\xbfamount,row,note\r\n") or safe_csv(
        frame
    ).startswith(b"\xef\xbb\xbfamount,row,note\n")


def test_markdown_is_escaped():
    assert escape_markdown("[click](javascript:alert(1)) *bold*") == (
        "\\[click\\]\\(javascript\\:alert\\(1\\)\\) \\*bold\\*"
    )
