"""Overview windows, headline changes and fiscal quarter totals."""

from datetime import date

import pandas as pd
import pytest

from core.calendar import FiscalCalendar
from core.definitions import DEFAULT_DEFINITIONS, default_definition
from core.overview import Headline, fiscal_quarter_totals, overview_windows

FEB = FiscalCalendar(start_month=2)


def test_windows_to_date_and_last_year():
    windows = overview_windows(FEB, FEB.parse("Q4 FY2027"), date(2026, 11, 23))
    assert windows.to_date == date(2026, 11, 23)
    assert windows.last_year.label == "Q4 FY2026"
    assert windows.last_year_to_date == date(2025, 11, 23)
    assert windows.arr_month == date(2026, 11, 1)
    assert windows.arr_month_last_year == date(2025, 11, 1)
    assert windows.has_started and not windows.is_complete


def test_windows_for_a_complete_quarter_compare_whole_quarters():
    windows = overview_windows(FEB, FEB.parse("Q3 FY2027"), date(2026, 11, 23))
    assert windows.is_complete
    assert windows.to_date == date(2026, 10, 31)
    assert windows.last_year_to_date == date(2025, 10, 31)
    assert windows.arr_month == date(2026, 10, 1)


def test_windows_for_a_future_quarter():
    windows = overview_windows(FEB, FEB.parse("Q1 FY2028"), date(2026, 11, 23))
    assert not windows.has_started


@pytest.mark.parametrize(
    ("value", "comparison", "change"),
    [
        (120.0, 100.0, 0.2),
        (80.0, 100.0, -0.2),
        (50.0, 0.0, None),
        (50.0, None, None),
        (-10.0, -20.0, 0.5),
    ],
)
def test_headline_change(value, comparison, change):
    headline = Headline(default_definition("bookings"), value, comparison)
    assert headline.change == (pytest.approx(change) if change is not None else None)


def test_fiscal_quarter_totals_sum_months_into_quarters():
    monthly = pd.DataFrame(
        {
            "month": pd.to_datetime(
                ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"]
            ),
            "amount_usd": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    totals = fiscal_quarter_totals(monthly, FEB, "amount_usd")
    assert totals[["label", "amount_usd"]].values.tolist() == [
        ["Q4 FY2026", 1.0],
        ["Q1 FY2027", 9.0],
        ["Q2 FY2027", 5.0],
    ]
    assert fiscal_quarter_totals(monthly.iloc[0:0], FEB, "amount_usd").empty


def test_definitions_name_their_version_and_reject_unknown_metrics():
    assert default_definition("bookings").help_text().startswith("Bookings (definition v1): ")
    assert DEFAULT_DEFINITIONS["spend"].direction == "neutral"
    with pytest.raises(ValueError, match="unknown metric 'bookngs'; known metrics: arr, "):
        default_definition("bookngs")
