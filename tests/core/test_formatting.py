"""Number formatting: table-driven."""

import math
from datetime import date

import pytest

from core.formatting import (
    axis_money_label_expr,
    currency_symbol,
    currency_unit,
    format_change,
    format_count,
    format_day,
    format_metric,
    format_money,
    format_money_exact,
    format_usd,
    money_column_format,
    money_slider_format,
    money_title,
    tooltip_money_format,
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


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (36_044_920.0, "USD", "$36.0M"),
        (36_044_920.0, "EUR", "€36.0M"),
        (845_300.0, "GBP", "£845K"),
        (1_250.0, "JPY", "¥1,250"),
        (2_684_000.0, "INR", "₹2.68M"),
        (999_600.0, "AUD", "A$1.00M"),  # never "A$1000K"
        (12_500.0, "CAD", "C$12K"),
        (9_999.0, "NZD", "NZ$9,999"),
        (-2_100_000.0, "EUR", "-€2.10M"),
        (-2_100_000.0, "CHF", "-CHF 2.10M"),
        (1_250_000_000.0, "SEK", "SEK 1.25B"),
        (845_300.0, "ZAR", "ZAR 845K"),  # a code with no symbol here is written out
        (845_300.0, "eur", "€845K"),  # codes are read in any case
        (0.0, "EUR", "€0"),
        (None, "EUR", "n/a"),
        (math.nan, "GBP", "n/a"),
    ],
)
def test_format_money(value, currency, text):
    assert format_money(value, currency) == text


@pytest.mark.parametrize(
    "value", [36_044_920.0, 2_684_000.0, 845_300.0, 9_999.0, -2_100_000.0, 0.0, None, math.nan]
)
def test_format_usd_is_format_money_in_dollars(value):
    assert format_usd(value) == format_money(value) == format_money(value, "USD")


@pytest.mark.parametrize("code", ["", "EU", "EURO", "€", "12A", None])
def test_a_currency_that_is_not_a_code_is_refused(code):
    with pytest.raises(ValueError, match="three-letter ISO 4217 code"):
        format_money(1.0, code)


@pytest.mark.parametrize(
    ("currency", "symbol", "unit", "column", "slider"),
    [
        ("USD", "$", "dollar", "dollar", "$%d"),
        ("EUR", "€", "euro", "euro", "€%d"),
        ("JPY", "¥", "yen", "yen", "¥%d"),
        ("GBP", "£", "pound", "£%,.2f", "£%d"),
        ("INR", "₹", "rupee", "₹%,.2f", "₹%d"),
        ("AUD", "A$", "Australian dollar", "A$%,.2f", "A$%d"),
        ("CHF", "CHF ", "franc", "CHF %,.2f", "CHF %d"),
        ("KRW", "₩", "won", "₩%,.0f", "₩%d"),  # no minor unit: whole amounts
        ("ZAR", "ZAR ", "ZAR", "ZAR %,.2f", "ZAR %d"),
    ],
)
def test_symbols_units_and_streamlit_formats(currency, symbol, unit, column, slider):
    assert currency_symbol(currency) == symbol
    assert currency_unit(currency) == unit
    assert money_column_format(currency) == column
    assert money_slider_format(currency) == slider


@pytest.mark.parametrize(
    ("value", "currency", "decimals", "text"),
    [
        (1_250.0, "EUR", 0, "€1,250"),
        (2.4, "USD", 2, "$2.40"),
        (-999.4, "GBP", 0, "-£999"),
        (1_000.0, "CHF", 0, "CHF 1,000"),
        (None, "EUR", 0, "n/a"),
    ],
)
def test_format_money_exact(value, currency, decimals, text):
    assert format_money_exact(value, currency, decimals) == text


def test_axis_labels_carry_the_symbol_d3_cannot_write():
    euro = axis_money_label_expr("EUR")
    assert "'€' + format(datum.value / 1e6, '.1f') + 'M'" in euro
    assert "'$'" not in euro
    assert "'.2f') + 'M'" in axis_money_label_expr("EUR", millions_decimals=2)
    assert "'CHF '" in axis_money_label_expr("CHF")


@pytest.mark.parametrize(
    ("currency", "tooltip", "title"),
    [("USD", "$,.0f", "Amount"), ("EUR", ",.0f", "Amount (€)"), ("CHF", ",.0f", "Amount (CHF)")],
)
def test_tooltips_name_a_currency_d3_cannot_write(currency, tooltip, title):
    assert tooltip_money_format(currency) == tooltip
    assert money_title("Amount", currency) == title


@pytest.mark.parametrize(
    ("value", "unit", "signed", "currency", "text"),
    [
        (628_000.0, "usd", True, "EUR", "+€628K"),
        (-1_500.0, "usd", True, "GBP", "-£1,500"),
        (628_000.0, "usd", False, "USD", "$628K"),
        (1_250.0, "count", False, "EUR", "1,250"),  # only money carries the currency
        (0.5882, "ratio", False, "EUR", "58.8%"),
    ],
)
def test_format_metric_in_the_reporting_currency(value, unit, signed, currency, text):
    assert format_metric(value, unit, signed=signed, currency=currency) == text
