"""Number formatting: table-driven."""

import math
from datetime import date

import pytest

from core.formatting import (
    format_change,
    format_count,
    format_day,
    format_metric,
    format_usd,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (36_044_920.0, "$36.0M"),
        (2_684_000.0, "$2.68M"),
        (845_300.0, "$845K"),
        (12_500.0, "$12K"),
        (9_999.0, "$9,999"),
        (999_499.0, "$999K"),
        (999_600.0, "$1.00M"),  # never "$1000K"
        (9_996_000.0, "$10.0M"),
        (0.0, "$0"),
        (-2_100_000.0, "-$2.10M"),
        (1_250_000_000.0, "$1.25B"),
        (None, "n/a"),
        (math.nan, "n/a"),
    ],
)
def test_format_usd(value, text):
    assert format_usd(value) == text


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (0.123, "+12.3%"),
        (-0.04, "-4.0%"),
        (0.0, "+0.0%"),
        (12.923, "+1,292%"),
        (-1.0, "-100%"),
        (None, None),
        (math.inf, None),
    ],
)
def test_format_change(change, text):
    assert format_change(change) == text


def test_format_count_and_day():
    assert format_count(12480) == "12,480"
    assert format_count(None) == "n/a"
    assert format_day(date(2026, 11, 3)) == "3 Nov 2026"


@pytest.mark.parametrize(
    ("value", "unit", "signed", "text"),
    [
        (628_000.0, "usd", True, "+$628K"),
        (-1_500.0, "usd", True, "-$1,500"),
        (1_250.0, "count", False, "1,250"),
        (0.5882, "ratio", False, "58.8%"),
        (-0.031, "ratio", True, "-3.1% pts"),
        (5.24, "months", False, "5.2 months"),
        (None, "usd", True, "n/a"),
    ],
)
def test_format_metric(value, unit, signed, text):
    assert format_metric(value, unit, signed=signed) == text
