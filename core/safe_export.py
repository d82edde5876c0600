"""Files people download from the app: CSV that a spreadsheet opens without running anything.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice (CSV injection). Text cells that start so are prefixed with an apostrophe,
which spreadsheets show as text; numeric columns are left alone, so negative numbers stay numbers.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot be read as formulas; the input is unchanged."""
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        text = values.astype(object)
        risky = text.map(lambda value: isinstance(value, str) and value.startswith(FORMULA_STARTS))
        safe[column] = text.where(~risky, "'" + text.astype(str))
    return safe


def safe_csv(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV (with a byte-order mark, so Excel reads accents) for download."""
    return neutralize_formulas(frame).to_csv(index=False).encode("utf-8-sig")
