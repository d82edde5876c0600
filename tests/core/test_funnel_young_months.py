"""Months too young to judge: one rule for the funnel's cohorts and the SLA's months."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.funnel import cohort_is_maturing, stage_conversions, young_months


@pytest.mark.parametrize(
    ("month", "wait_days", "as_of", "maturing"),
    [
        (date(2026, 9, 1), 10.0, date(2026, 10, 10), False),  # 30 Sep + 10 = 10 Oct: not after
        (date(2026, 9, 1), 10.0, date(2026, 10, 9), True),  # 10 Oct is after 9 Oct
        (date(2026, 9, 1), 10.5, date(2026, 10, 10), True),  # 10 Oct midday is after
        (date(2026, 10, 1), 0.0, date(2026, 10, 30), True),  # the month is not over
        (date(2026, 10, 1), None, date(2026, 10, 31), False),  # no typical time: its end
        (date(2026, 2, 1), 7.0, date(2026, 3, 7), False),  # 28 Feb + 7 = 7 Mar
    ],
)
def test_a_month_is_too_young_until_its_end_plus_the_wait(month, wait_days, as_of, maturing):
    assert cohort_is_maturing(month, wait_days, as_of) is maturing
    assert cohort_is_maturing(pd.Timestamp(month), wait_days, pd.Timestamp(as_of)) is maturing


@pytest.mark.parametrize(
    ("first_day", "last_day", "as_of", "wait_days", "young"),
    [
        # Q4 FY2027 on 23 Nov 2026, MQLs taking 7 days: November (30 Nov + 7) is too young.
        (date(2026, 11, 1), date(2026, 11, 23), date(2026, 11, 23), 7.0, (date(2026, 11, 1),)),
        # The same quarter on 15 Jan 2027: December ended 31 Dec, + 7 = 7 Jan: judged.
        (date(2026, 11, 1), date(2027, 1, 15), date(2027, 1, 15), 7.0, (date(2027, 1, 1),)),
        # On 5 Jan 2027 December is still too young (7 Jan is after 5 Jan).
        (
            date(2026, 11, 1),
            date(2027, 1, 5),
            date(2027, 1, 5),
            7.0,
            (date(2026, 12, 1), date(2027, 1, 1)),
        ),
        # A quarter long over: nothing is young.
        (date(2026, 5, 1), date(2026, 7, 31), date(2026, 11, 23), 30.0, ()),
        # A wait of 45 days on 10 Dec: October (31 Oct + 45 = 15 Dec) is young, September
        # (30 Sep + 45 = 14 Nov) is not.
        (
            date(2026, 8, 1),
            date(2026, 10, 31),
            date(2026, 12, 10),
            45.0,
            (date(2026, 10, 1),),
        ),
    ],
)
def test_young_months_of_a_window(first_day, last_day, as_of, wait_days, young):
    assert young_months(first_day, last_day, as_of, wait_days) == young


def test_young_months_refuse_a_window_that_ends_before_it_starts():
    with pytest.raises(ValueError, match="is before first_day"):
        young_months(date(2026, 11, 1), date(2026, 10, 31), date(2026, 11, 23), 7.0)


def test_the_funnel_flags_its_cohorts_by_the_same_rule():
    months = [pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-01")]
    counts = pd.DataFrame(
        {
            "month": months,
            "stage": ["mql", "mql"],
            "entered": [10, 10],
            "advanced": [5, 1],
            "median_days": [3.0, 2.0],
        }
    )
    as_of = pd.Timestamp("2026-10-15")
    table = stage_conversions(counts, "month", as_of, {"mql": 14.0})
    assert list(table["mql_maturing"]) == [
        cohort_is_maturing(month, 14.0, as_of) for month in months
    ]
    assert list(table["mql_maturing"]) == [False, True]  # 14 Oct and 14 Nov
