"""Fiscal calendar: fiscal years, quarters, months and weeks, period labels and "as of" dates.

A fiscal year starts on the first day of ``start_month`` and, by default, is named after the
calendar year in which it ends (Salesforce's default): with ``start_month=2`` the year from
1 Feb 2026 to 31 Jan 2027 is ``FY2027`` and 23 Nov 2026 falls in ``Q4 FY2027``.

Fiscal weeks are seven-day blocks counted from the first day of the fiscal year; the last week
of a year is shorter (one or two days) and numbered 53. Weekly analytics that need weeks that do
not restart every year (response curves) use :func:`week_start` (Monday-based) instead.

Examples
--------
>>> cal = FiscalCalendar(start_month=2)
>>> cal.quarter_containing(date(2026, 11, 23)).label
'Q4 FY2027'
>>> cal.parse("Q1 FY2027").start, cal.parse("Q1 FY2027").end
(datetime.date(2026, 2, 1), datetime.date(2026, 4, 30))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

PeriodKind = Literal["year", "quarter", "month", "week"]
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, order=True)
class FiscalPeriod:
    """A fiscal year, quarter, month or week with inclusive start and end dates."""

    start: date
    end: date
    kind: PeriodKind
    fiscal_year: int
    number: int

    @property
    def label(self) -> str:
        """Label as executives read it: ``FY2027``, ``Q3 FY2027``, ``Nov 2026``, ``W12 FY2027``."""
        if self.kind == "year":
            return f"FY{self.fiscal_year}"
        if self.kind == "quarter":
            return f"Q{self.number} FY{self.fiscal_year}"
        if self.kind == "month":
            return f"{MONTH_NAMES[self.start.month - 1]} {self.start.year}"
        return f"W{self.number:02d} FY{self.fiscal_year}"

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls inside the period."""
        return self.start <= day <= self.end

    def to_date(self, as_of: date) -> date:
        """Last day of the period counted so far: ``as_of`` clamped into the period."""
        return min(max(as_of, self.start - timedelta(days=1)), self.end)

    def elapsed_days(self, as_of: date) -> int:
        """Days of the period elapsed by ``as_of``, inclusive (0 before it starts)."""
        if as_of < self.start:
            return 0
        return (min(as_of, self.end) - self.start).days + 1

    def elapsed_share(self, as_of: date) -> float:
        """Share of the period elapsed by ``as_of`` (inclusive), between 0 and 1."""
        return self.elapsed_days(as_of) / self.days

    def __str__(self) -> str:
        return self.label


def add_months(day: date, months: int) -> date:
    """First day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def month_start(day: date) -> date:
    """First day of the calendar month containing ``day``."""
    return date(day.year, day.month, 1)


def week_start(day: date) -> date:
    """Monday of the week containing ``day`` (weeks that do not restart each fiscal year)."""
    return day - timedelta(days=day.weekday())


_LABEL_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^q([1-4])\s*[- ]?\s*fy\s*'?(\d{2}|\d{4})$"), "qy"),
    (re.compile(r"^fy\s*'?(\d{2}|\d{4})\s*[- ]?\s*q([1-4])$"), "yq"),
    (re.compile(r"^(\d{4})\s*-?\s*q([1-4])$"), "yq"),
    (re.compile(r"^fy\s*'?(\d{2}|\d{4})$"), "y"),
    (re.compile(r"^w(\d{1,2})\s*fy\s*'?(\d{2}|\d{4})$"), "wy"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "calendar_month"),
    (re.compile(r"^([a-z]{3})\s+(\d{4})$"), "month_name"),
)


def _full_year(text: str) -> int:
    year = int(text)
    return 2000 + year if year < 100 else year


@dataclass(frozen=True)
class FiscalCalendar:
    """Fiscal calendar defined by the month the fiscal year starts in.

    Parameters
    ----------
    start_month
        Calendar month (1-12) on whose first day the fiscal year starts.
    named_by
        ``"end"`` (default) names a fiscal year after the calendar year it ends in;
        ``"start"`` after the calendar year it starts in.
    """

    start_month: int = 1
    named_by: Literal["end", "start"] = "end"

    def __post_init__(self) -> None:
        if not 1 <= self.start_month <= 12:
            raise ValueError(
                f"fiscal year start month must be between 1 and 12, got {self.start_month}"
            )
        if self.named_by not in ("end", "start"):
            raise ValueError(f"named_by must be 'end' or 'start', got {self.named_by!r}")

    # -- years ---------------------------------------------------------------------------
    def _start_year_of(self, fiscal_year: int) -> int:
        """Calendar year in which fiscal year ``fiscal_year`` starts."""
        if self.named_by == "start" or self.start_month == 1:
            return fiscal_year
        return fiscal_year - 1

    def fiscal_year_of(self, day: date) -> int:
        """Fiscal year (by name) containing ``day``."""
        start_year = day.year if day.month >= self.start_month else day.year - 1
        if self.named_by == "start" or self.start_month == 1:
            return start_year
        return start_year + 1

    def year(self, fiscal_year: int) -> FiscalPeriod:
        """The fiscal year named ``fiscal_year``."""
        start = date(self._start_year_of(fiscal_year), self.start_month, 1)
        end = add_months(start, 12) - timedelta(days=1)
        return FiscalPeriod(start, end, "year", fiscal_year, 1)

    def year_containing(self, day: date) -> FiscalPeriod:
        """The fiscal year containing ``day``."""
        return self.year(self.fiscal_year_of(day))

    # -- quarters ------------------------------------------------------------------------
    def quarter(self, fiscal_year: int, number: int) -> FiscalPeriod:
        """Quarter ``number`` (1-4) of fiscal year ``fiscal_year``."""
        if not 1 <= number <= 4:
            raise ValueError(f"quarter must be between 1 and 4, got {number}")
        start = add_months(self.year(fiscal_year).start, 3 * (number - 1))
        end = add_months(start, 3) - timedelta(days=1)
        return FiscalPeriod(start, end, "quarter", fiscal_year, number)

    def quarter_containing(self, day: date) -> FiscalPeriod:
        """The fiscal quarter containing ``day``."""
        fiscal_year = self.fiscal_year_of(day)
        months_in = self._months_into_year(day)
        return self.quarter(fiscal_year, months_in // 3 + 1)

    # -- months --------------------------------------------------------------------------
    def _months_into_year(self, day: date) -> int:
        return (day.month - self.start_month) % 12

    def month_containing(self, day: date) -> FiscalPeriod:
        """The calendar month containing ``day``, numbered within its fiscal year (1-12)."""
        start = month_start(day)
        end = add_months(start, 1) - timedelta(days=1)
        return FiscalPeriod(
            start, end, "month", self.fiscal_year_of(day), self._months_into_year(day) + 1
        )

    # -- weeks ---------------------------------------------------------------------------
    def week_containing(self, day: date) -> FiscalPeriod:
        """Fiscal week (7-day blocks from the year's first day; week 53 is short)."""
        year = self.year_containing(day)
        number = (day - year.start).days // 7 + 1
        start = year.start + timedelta(days=7 * (number - 1))
        end = min(start + timedelta(days=6), year.end)
        return FiscalPeriod(start, end, "week", year.fiscal_year, number)

    # -- navigation ----------------------------------------------------------------------
    def containing(self, day: date, kind: PeriodKind) -> FiscalPeriod:
        """The period of ``kind`` containing ``day``."""
        finders = {
            "year": self.year_containing,
            "quarter": self.quarter_containing,
            "month": self.month_containing,
            "week": self.week_containing,
        }
        if kind not in finders:
            raise ValueError(f"period kind must be one of {sorted(finders)}, got {kind!r}")
        return finders[kind](day)

    def shift(self, period: FiscalPeriod, steps: int) -> FiscalPeriod:
        """The period ``steps`` periods of the same kind after (or before, if negative)."""
        if period.kind == "year":
            return self.year(period.fiscal_year + steps)
        if period.kind == "quarter":
            index = period.fiscal_year * 4 + (period.number - 1) + steps
            return self.quarter(index // 4, index % 4 + 1)
        if period.kind == "month":
            return self.month_containing(add_months(period.start, steps))
        # Weeks are walked one at a time because the short week 53 breaks 7-day arithmetic.
        day = period.start
        for _ in range(abs(steps)):
            if steps > 0:
                day = self.week_containing(day).end + timedelta(days=1)
            else:
                day = self.week_containing(day - timedelta(days=1)).start
        return self.week_containing(day)

    def same_period_last_year(self, period: FiscalPeriod) -> FiscalPeriod:
        """The period of the same kind and number one fiscal year earlier."""
        if period.kind == "year":
            return self.year(period.fiscal_year - 1)
        if period.kind == "quarter":
            return self.quarter(period.fiscal_year - 1, period.number)
        if period.kind == "month":
            return self.month_containing(add_months(period.start, -12))
        last_year = self.year(period.fiscal_year - 1)
        start = last_year.start + timedelta(days=7 * (period.number - 1))
        return self.week_containing(min(start, last_year.end))

    def comparable_as_of(self, period: FiscalPeriod, as_of: date, other: FiscalPeriod) -> date:
        """The day in ``other`` as far into it as ``as_of`` is into ``period``.

        Used for like-for-like comparisons: quarter-to-date this year against the same number
        of days of the same quarter last year.
        """
        elapsed = period.elapsed_days(as_of)
        if elapsed >= period.days:
            return other.end
        return min(other.start + timedelta(days=elapsed - 1), other.end)

    def periods_between(self, first: date, last: date, kind: PeriodKind) -> list[FiscalPeriod]:
        """All periods of ``kind`` overlapping the dates ``first``..``last`` in order."""
        if last < first:
            raise ValueError(f"last date {last} is before first date {first}")
        periods = [self.containing(first, kind)]
        while periods[-1].end < last:
            periods.append(self.shift(periods[-1], 1))
        return periods

    # -- labels --------------------------------------------------------------------------
    def parse(self, label: str) -> FiscalPeriod:
        """Period from a label: ``Q3 FY2027``, ``FY2027 Q3``, ``FY27``, ``2026-11``, ``Nov 2026``.

        Raises
        ------
        ValueError
            When the label is not one of the accepted forms; the message lists them.
        """
        text = " ".join(label.strip().lower().split())
        for pattern, form in _LABEL_PATTERNS:
            match = pattern.match(text)
            if not match:
                continue
            if form == "qy":
                return self.quarter(_full_year(match.group(2)), int(match.group(1)))
            if form == "yq":
                return self.quarter(_full_year(match.group(1)), int(match.group(2)))
            if form == "y":
                return self.year(_full_year(match.group(1)))
            if form == "wy":
                return self._week(_full_year(match.group(2)), int(match.group(1)), label)
            if form == "calendar_month":
                month = int(match.group(2))
                if 1 <= month <= 12:
                    return self.month_containing(date(int(match.group(1)), month, 1))
            if form == "month_name":
                names = [name.lower() for name in MONTH_NAMES]
                if match.group(1) in names:
                    month = names.index(match.group(1)) + 1
                    return self.month_containing(date(int(match.group(2)), month, 1))
        raise ValueError(
            f"period {label!r} is not a period label; expected one of 'Q3 FY2027', "
            "'FY2027 Q3', 'FY2027', 'W12 FY2027', '2026-11' or 'Nov 2026'"
        )

    def _week(self, fiscal_year: int, number: int, label: str) -> FiscalPeriod:
        year = self.year(fiscal_year)
        start = year.start + timedelta(days=7 * (number - 1))
        if number < 1 or start > year.end:
            raise ValueError(f"period {label!r}: FY{fiscal_year} has no week {number}")
        return self.week_containing(start)
