"""The review scorecard's headline numbers: this period to date against last year.

Pure functions: the page fetches totals for the windows computed here (``core.store.queries``)
and turns them into :class:`Headline` values and quarterly comparison frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from core.calendar import FiscalCalendar, FiscalPeriod, add_months, month_start
from core.definitions import MetricDefinition


@dataclass(frozen=True)
class OverviewWindows:
    """The windows a period and as-of date compare: to date, and the same days last year."""

    period: FiscalPeriod
    as_of: date
    to_date: date
    last_year: FiscalPeriod
    last_year_to_date: date
    arr_month: date
    arr_month_last_year: date

    @property
    def has_started(self) -> bool:
        """Whether the period had begun by the as-of date."""
        return self.as_of >= self.period.start

    @property
    def is_complete(self) -> bool:
        """Whether the whole period lies on or before the as-of date."""
        return self.as_of >= self.period.end


def overview_windows(
    calendar: FiscalCalendar, period: FiscalPeriod, as_of: date
) -> OverviewWindows:
    """Windows for ``period`` seen on ``as_of``: to date, and the comparable days last year."""
    last_year = calendar.same_period_last_year(period)
    to_date = period.to_date(as_of)
    last_year_to_date = calendar.comparable_as_of(period, as_of, last_year)
    arr_day = max(min(to_date, period.end), period.start - timedelta(days=1))
    return OverviewWindows(
        period=period,
        as_of=as_of,
        to_date=to_date,
        last_year=last_year,
        last_year_to_date=last_year_to_date,
        arr_month=month_start(arr_day),
        arr_month_last_year=add_months(month_start(arr_day), -12),
    )


def arr_label(month: date, as_of: date) -> str:
    """The headline label of ARR read from ``month``'s billing rows, seen on ``as_of``.

    A month that has not ended on the as-of day is a run rate to date, never "at end of" it.

    >>> arr_label(date(2026, 11, 1), date(2026, 12, 7))
    'ARR at end of Nov 2026'
    >>> arr_label(date(2026, 12, 1), date(2026, 12, 7))
    'ARR run rate, Dec 2026 to date'
    >>> arr_label(date(2026, 12, 1), date(2026, 12, 31))
    'ARR at end of Dec 2026'
    """
    if as_of < add_months(month_start(month), 1) - timedelta(days=1):
        return f"ARR run rate, {month:%b %Y} to date"
    return f"ARR at end of {month:%b %Y}"


def running_quarter(
    calendar: FiscalCalendar, windows: OverviewWindows
) -> tuple[FiscalPeriod, FiscalPeriod, date] | None:
    """The quarter still running on the as-of day, last year's same quarter and the day in it
    as far in (the same days last year); ``None`` once the period is complete."""
    if windows.is_complete or not windows.has_started:
        return None
    running = calendar.quarter_containing(windows.to_date)
    before = calendar.same_period_last_year(running)
    return running, before, calendar.comparable_as_of(running, windows.to_date, before)


@dataclass(frozen=True)
class Headline:
    """A headline number, what it compares with, and the definition it follows."""

    definition: MetricDefinition
    value: float
    comparison: float | None

    @property
    def change(self) -> float | None:
        """Relative change against the comparison; ``None`` when it is zero or missing."""
        if self.comparison is None or self.comparison == 0:
            return None
        return (self.value - self.comparison) / abs(self.comparison)


def fiscal_quarter_totals(
    monthly: pd.DataFrame, calendar: FiscalCalendar, value_column: str
) -> pd.DataFrame:
    """Monthly values summed into fiscal quarters: ``fiscal_year``, ``quarter``, ``label``, value.

    The input is not modified. Fiscal quarters are whole calendar months, so monthly totals
    add up exactly.
    """
    if monthly.empty:
        return pd.DataFrame(columns=["fiscal_year", "quarter", "label", value_column])
    quarters = [
        calendar.quarter_containing(pd.Timestamp(month).date()) for month in monthly["month"]
    ]
    frame = pd.DataFrame(
        {
            "fiscal_year": [quarter.fiscal_year for quarter in quarters],
            "quarter": [quarter.number for quarter in quarters],
            "label": [quarter.label for quarter in quarters],
            value_column: monthly[value_column].to_numpy(),
        }
    )
    totals = frame.groupby(["fiscal_year", "quarter", "label"], as_index=False)[value_column].sum()
    return totals.sort_values(["fiscal_year", "quarter"]).reset_index(drop=True)
