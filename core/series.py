"""A metric as daily parts, so any window's value is arithmetic rather than another query.

``core.store.series`` reads the parts from the store (one grouped query per metric); goals use
them for the value to date, the same days of earlier periods and the trend, hundreds of windows
in all, without going back to the database.

Examples
--------
>>> from datetime import date
>>> days = pd.DataFrame({"day": [date(2026, 11, 1), date(2026, 11, 3)],
...                      "numerator": [10.0, 5.0], "denominator": [2.0, 1.0]})
>>> series = MetricSeries.from_frame(days, "sum", date(2026, 11, 1), date(2026, 11, 30))
>>> first, second, last = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 30)
>>> series.value(first, second), series.value(first, last)
(10.0, 15.0)
>>> ratio = MetricSeries.from_frame(days, "ratio", date(2026, 11, 1), date(2026, 11, 30))
>>> ratio.value(date(2026, 11, 1), date(2026, 11, 30))
5.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core.definitions import Aggregation


@dataclass(frozen=True, eq=False)
class MetricSeries:
    """Daily numerator and denominator from ``first_day`` to ``last_day``.

    ``sum``: a window's value is the sum of numerators. ``ratio``: sum of numerators over sum
    of denominators. ``level``: numerator over denominator on the window's last day (each day
    holds the level of its month).
    """

    aggregation: Aggregation
    first_day: date
    last_day: date
    numerator: np.ndarray
    denominator: np.ndarray

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, aggregation: Aggregation, first_day: date, last_day: date
    ) -> MetricSeries:
        """From rows of (``day``, ``numerator``, ``denominator``); missing days are zero.

        For ``level`` series the rows are months (``day`` = the month's first day) and each day
        takes its month's value; months without a row have no value (denominator zero).
        """
        if aggregation == "point":
            raise ValueError("a point metric has no daily parts")
        if last_day < first_day:
            raise ValueError(f"series ends {last_day} before it starts {first_day}")
        length = (last_day - first_day).days + 1
        numerator = np.zeros(length)
        denominator = np.zeros(length)
        if not frame.empty:
            days = pd.to_datetime(frame["day"]).dt.date
            if aggregation == "level":
                months = {
                    (day.year, day.month): (float(num), float(den))
                    for day, num, den in zip(
                        days, frame["numerator"], frame["denominator"], strict=True
                    )
                }
                for offset in range(length):
                    day = first_day + timedelta(days=offset)
                    num, den = months.get((day.year, day.month), (0.0, 0.0))
                    numerator[offset], denominator[offset] = num, den
            else:
                offsets = np.array([(day - first_day).days for day in days], dtype=np.int64)
                inside = (offsets >= 0) & (offsets < length)
                np.add.at(numerator, offsets[inside], frame["numerator"].to_numpy(float)[inside])
                np.add.at(
                    denominator, offsets[inside], frame["denominator"].to_numpy(float)[inside]
                )
        return cls(
            aggregation=aggregation,
            first_day=first_day,
            last_day=last_day,
            numerator=np.concatenate([[0.0], np.cumsum(numerator)])
            if aggregation != "level"
            else numerator,
            denominator=np.concatenate([[0.0], np.cumsum(denominator)])
            if aggregation != "level"
            else denominator,
        )

    def covers(self, first_day: date, last_day: date) -> bool:
        """Whether the window lies inside the series."""
        return self.first_day <= first_day and last_day <= self.last_day

    def value(self, first_day: date, last_day: date) -> float | None:
        """The metric over ``first_day``..``last_day``; ``None`` when undefined (x/0, no level)."""
        if last_day < first_day:
            raise ValueError(f"window ends {last_day} before it starts {first_day}")
        if not self.covers(first_day, last_day):
            raise ValueError(
                f"window {first_day}..{last_day} is outside the series "
                f"{self.first_day}..{self.last_day}"
            )
        end = (last_day - self.first_day).days
        if self.aggregation == "level":
            denominator = float(self.denominator[end])
            return float(self.numerator[end]) / denominator if denominator else None
        start = (first_day - self.first_day).days
        total = float(self.numerator[end + 1] - self.numerator[start])
        if self.aggregation == "sum":
            return total
        denominator = float(self.denominator[end + 1] - self.denominator[start])
        return total / denominator if denominator else None


def sum_by_period(
    frame: pd.DataFrame,
    date_column: str,
    period_of: Callable[[date], str],
    value_columns: Sequence[str],
    keys: Sequence[str] = (),
) -> pd.DataFrame:
    """Values summed per period (``period_of`` names the period of a day), keeping ``keys``.

    Periods come out in date order with ``period`` first; the input is not modified.

    >>> days = pd.DataFrame({"day": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-02-02"]),
    ...                      "amount_usd": [1.0, 2.0, 4.0]})
    >>> sum_by_period(days, "day", lambda day: f"{day:%b}", ["amount_usd"]).to_dict("list")
    {'period': ['Jan', 'Feb'], 'amount_usd': [3.0, 4.0]}
    """
    missing = {date_column, *value_columns, *keys} - set(frame.columns)
    if missing:
        raise ValueError(f"frame needs columns {', '.join(sorted(missing))}")
    columns = ["period", *keys, *value_columns]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    days = pd.to_datetime(frame[date_column])
    labelled = frame.assign(period=[period_of(day.date()) for day in days], _order=days.to_numpy())
    first_seen = labelled.groupby("period")["_order"].min()
    totals = labelled.groupby(["period", *keys], sort=False)[list(value_columns)].sum()
    totals = totals.reset_index()
    totals["_order"] = totals["period"].map(first_seen)
    return (
        totals.sort_values(["_order", *keys]).drop(columns="_order").reset_index(drop=True)[columns]
    )
