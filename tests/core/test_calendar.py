"""Fiscal calendar: hand-checked periods across year boundaries and leap years, and invariants."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.calendar import FiscalCalendar, FiscalPeriod, month_start, week_start

FEB = FiscalCalendar(start_month=2)
JAN = FiscalCalendar(start_month=1)
JUL_START_NAMED = FiscalCalendar(start_month=7, named_by="start")


@pytest.mark.parametrize(
    ("calendar", "day", "label", "start", "end"),
    [
        # February fiscal years are named after the year they end in.
        (FEB, date(2026, 11, 23), "Q4 FY2027", date(2026, 11, 1), date(2027, 1, 31)),
        (FEB, date(2026, 2, 1), "Q1 FY2027", date(2026, 2, 1), date(2026, 4, 30)),
        (FEB, date(2026, 1, 31), "Q4 FY2026", date(2025, 11, 1), date(2026, 1, 31)),
        (FEB, date(2026, 8, 15), "Q3 FY2027", date(2026, 8, 1), date(2026, 10, 31)),
        # Leap day falls in Q4 of the fiscal year that started the previous February.
        (FEB, date(2028, 2, 29), "Q1 FY2029", date(2028, 2, 1), date(2028, 4, 30)),
        (FEB, date(2028, 1, 31), "Q4 FY2028", date(2027, 11, 1), date(2028, 1, 31)),
        (JAN, date(2024, 2, 29), "Q1 FY2024", date(2024, 1, 1), date(2024, 3, 31)),
        (JAN, date(2024, 12, 31), "Q4 FY2024", date(2024, 10, 1), date(2024, 12, 31)),
        # Named by start: July 2026 - June 2027 is FY2026.
        (JUL_START_NAMED, date(2027, 6, 30), "Q4 FY2026", date(2027, 4, 1), date(2027, 6, 30)),
        (JUL_START_NAMED, date(2026, 7, 1), "Q1 FY2026", date(2026, 7, 1), date(2026, 9, 30)),
    ],
)
def test_quarter_containing(calendar, day, label, start, end):
    quarter = calendar.quarter_containing(day)
    assert (quarter.label, quarter.start, quarter.end) == (label, start, end)


@pytest.mark.parametrize(
    ("calendar", "fiscal_year", "start", "end", "days"),
    [
        (FEB, 2027, date(2026, 2, 1), date(2027, 1, 31), 365),
        (FEB, 2029, date(2028, 2, 1), date(2029, 1, 31), 366),  # contains 29 Feb 2028
        (FEB, 2028, date(2027, 2, 1), date(2028, 1, 31), 365),
        (JAN, 2024, date(2024, 1, 1), date(2024, 12, 31), 366),
        (FiscalCalendar(start_month=10), 2027, date(2026, 10, 1), date(2027, 9, 30), 365),
    ],
)
def test_fiscal_year_bounds(calendar, fiscal_year, start, end, days):
    year = calendar.year(fiscal_year)
    assert (year.start, year.end, year.days, year.label) == (start, end, days, f"FY{fiscal_year}")


@pytest.mark.parametrize(
    ("day", "number", "start", "end"),
    [
        (date(2026, 2, 1), 1, date(2026, 2, 1), date(2026, 2, 7)),
        (date(2026, 2, 8), 2, date(2026, 2, 8), date(2026, 2, 14)),
        # 365-day year: week 53 is the single last day.
        (date(2027, 1, 31), 53, date(2027, 1, 31), date(2027, 1, 31)),
        (date(2027, 1, 30), 52, date(2027, 1, 24), date(2027, 1, 30)),
        # 366-day year (FY2029 holds 29 Feb 2028): week 53 is two days.
        (date(2029, 1, 30), 53, date(2029, 1, 30), date(2029, 1, 31)),
    ],
)
def test_fiscal_week(day, number, start, end):
    week = FEB.week_containing(day)
    assert (week.number, week.start, week.end) == (number, start, end)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Q3 FY2027", ("quarter", date(2026, 8, 1), date(2026, 10, 31))),
        ("q3 fy27", ("quarter", date(2026, 8, 1), date(2026, 10, 31))),
        ("FY2027 Q3", ("quarter", date(2026, 8, 1), date(2026, 10, 31))),
        ("FY27-Q3", ("quarter", date(2026, 8, 1), date(2026, 10, 31))),
        ("2027-Q3", ("quarter", date(2026, 8, 1), date(2026, 10, 31))),
        ("FY2027", ("year", date(2026, 2, 1), date(2027, 1, 31))),
        (" fy 2030 ", ("year", date(2029, 2, 1), date(2030, 1, 31))),
        ("2026-11", ("month", date(2026, 11, 1), date(2026, 11, 30))),
        ("Feb 2028", ("month", date(2028, 2, 1), date(2028, 2, 29))),
        ("W01 FY2027", ("week", date(2026, 2, 1), date(2026, 2, 7))),
    ],
)
def test_parse_labels(label, expected):
    period = FEB.parse(label)
    assert (period.kind, period.start, period.end) == expected


@pytest.mark.parametrize("label", ["Q5 FY2027", "next quarter", "2026-13", "W54 FY2027", ""])
def test_parse_rejects_what_is_not_a_period(label):
    with pytest.raises(ValueError, match="period"):
        FEB.parse(label)


def test_start_month_is_checked():
    with pytest.raises(ValueError, match="between 1 and 12, got 13"):
        FiscalCalendar(start_month=13)


@pytest.mark.parametrize(
    ("as_of", "elapsed_days", "share"),
    [
        (date(2026, 10, 31), 0, 0.0),  # the day before Q4 starts
        (date(2026, 11, 1), 1, 1 / 92),  # first day counts: inclusive
        (date(2026, 11, 23), 23, 23 / 92),
        (date(2027, 1, 31), 92, 1.0),
        (date(2027, 6, 1), 92, 1.0),
    ],
)
def test_elapsed_share_is_inclusive(as_of, elapsed_days, share):
    quarter = FEB.parse("Q4 FY2027")
    assert quarter.elapsed_days(as_of) == elapsed_days
    assert quarter.elapsed_share(as_of) == pytest.approx(share)


@pytest.mark.parametrize(
    ("label", "steps", "expected"),
    [
        ("Q4 FY2027", 1, "Q1 FY2028"),
        ("Q1 FY2027", -1, "Q4 FY2026"),
        ("Q2 FY2027", -8, "Q2 FY2025"),
        ("FY2027", 3, "FY2030"),
        ("Jan 2027", 1, "Feb 2027"),
        ("W53 FY2027", 1, "W01 FY2028"),
        ("W01 FY2028", -1, "W53 FY2027"),
    ],
)
def test_shift(label, steps, expected):
    assert FEB.shift(FEB.parse(label), steps).label == expected


def test_comparable_as_of_last_year():
    quarter = FEB.parse("Q4 FY2027")
    last_year = FEB.same_period_last_year(quarter)
    assert last_year.label == "Q4 FY2026"
    assert FEB.comparable_as_of(quarter, date(2026, 11, 23), last_year) == date(2025, 11, 23)
    # A complete period compares with the complete period last year.
    assert FEB.comparable_as_of(quarter, date(2027, 3, 1), last_year) == last_year.end


def test_periods_between_spans_year_boundary():
    quarters = FEB.periods_between(date(2026, 12, 15), date(2027, 5, 2), "quarter")
    assert [quarter.label for quarter in quarters] == ["Q4 FY2027", "Q1 FY2028", "Q2 FY2028"]


def test_calendar_helpers():
    assert week_start(date(2026, 11, 23)) == date(2026, 11, 23)  # a Monday
    assert week_start(date(2026, 11, 29)) == date(2026, 11, 23)
    assert month_start(date(2028, 2, 29)) == date(2028, 2, 1)
    assert FEB.month_containing(date(2026, 11, 23)).number == 10


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
calendars = st.builds(
    FiscalCalendar,
    start_month=st.integers(min_value=1, max_value=12),
    named_by=st.sampled_from(["end", "start"]),
)


@given(calendar=calendars, day=days, kind=st.sampled_from(["year", "quarter", "month", "week"]))
def test_periods_contain_their_day_and_tile_time(calendar, day, kind):
    period = calendar.containing(day, kind)
    assert period.contains(day)
    following = calendar.shift(period, 1)
    assert following.start == period.end + timedelta(days=1)
    assert calendar.shift(following, -1) == period
    assert calendar.parse(period.label) == period


@given(calendar=calendars, day=days)
def test_four_quarters_make_the_year(calendar, day):
    year = calendar.year_containing(day)
    quarters = [calendar.quarter(year.fiscal_year, number) for number in range(1, 5)]
    assert quarters[0].start == year.start and quarters[-1].end == year.end
    assert sum(quarter.days for quarter in quarters) == year.days
    assert calendar.quarter_containing(day) in quarters


@given(calendar=calendars, day=days, as_of=days)
def test_elapsed_share_bounded(calendar, day, as_of):
    share = calendar.quarter_containing(day).elapsed_share(as_of)
    assert 0.0 <= share <= 1.0


def test_period_is_hashable_and_ordered():
    periods = {FEB.parse("Q1 FY2027"), FEB.parse("Q1 FY2027")}
    assert len(periods) == 1
    assert FEB.parse("Q1 FY2027") < FEB.parse("Q2 FY2027")
    assert isinstance(next(iter(periods)), FiscalPeriod)
