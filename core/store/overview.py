"""The Overview's numbers (headline totals against last year, and the trends behind the charts),
for the page and for the frozen record a review keeps of them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date

import pandas as pd
from sqlalchemy.engine import Engine

from core.calendar import FiscalCalendar, FiscalPeriod, add_months
from core.definitions import MetricDefinition
from core.overview import (
    OverviewWindows,
    fiscal_quarter_totals,
    overview_windows,
    running_quarter,
)
from core.store import metrics, queries

OVERVIEW_METRICS = ("arr", "pipeline_created", "bookings", "spend")


def loaded_windows(
    engine: Engine, calendar: FiscalCalendar, period: FiscalPeriod, as_of: date
) -> OverviewWindows:
    """:func:`core.overview.overview_windows`, ARR read from the latest month the billing rows
    reach: a billing export that stops at the last closed month gives that month's ARR (and
    says so in its label), never $0 for a month it does not cover yet."""
    windows = overview_windows(calendar, period, as_of)
    loaded = queries.latest_revenue_month(engine, windows.arr_month)
    if loaded is None or loaded >= windows.arr_month:
        return windows
    return replace(windows, arr_month=loaded, arr_month_last_year=add_months(loaded, -12))


def headline_totals(
    engine: Engine,
    definitions: Mapping[str, MetricDefinition],
    calendar: FiscalCalendar,
    period: FiscalPeriod,
    as_of: date,
) -> dict[str, tuple[float, float]]:
    """Each headline's value to date and for the same days last year (ARR: at month end).

    Both are computed under the definitions in effect on the as-of date, so the comparison is
    like for like.
    """
    windows = loaded_windows(engine, calendar, period, as_of)
    to_date = (
        (windows.period.start, windows.to_date),
        (windows.last_year.start, windows.last_year_to_date),
    )
    spans = {
        "arr": ((windows.arr_month, windows.arr_month), (windows.arr_month_last_year,) * 2),
        **dict.fromkeys(("pipeline_created", "bookings", "spend"), to_date),
    }
    totals = {}
    for metric in OVERVIEW_METRICS:
        now, before = (
            metrics.metric_value(engine, definitions[metric], first, last, definitions) or 0.0
            for first, last in spans[metric]
        )
        totals[metric] = (now, before)
    return totals


def trends(
    engine: Engine,
    definitions: Mapping[str, MetricDefinition],
    calendar: FiscalCalendar,
    period: FiscalPeriod,
    as_of: date,
) -> dict[str, pd.DataFrame]:
    """Quarterly totals for this fiscal year and last, and ARR by month for two years."""
    windows = loaded_windows(engine, calendar, period, as_of)
    first = calendar.year(windows.period.fiscal_year - 1).start
    last = windows.to_date
    channels = tuple(definitions["spend"].parameters["channels"])  # type: ignore[arg-type]
    # Like for like: the quarter still running counts its days to date, so last year's same
    # quarter counts the same days, not the whole quarter.
    running = running_quarter(calendar, windows)

    def quarterly(fetch: Callable[[date, date], pd.DataFrame]) -> pd.DataFrame:
        totals = fiscal_quarter_totals(fetch(first, last), calendar, "amount_usd")
        if running is not None:
            _, before, through = running
            partial = fetch(before.start, through)
            at = totals["label"] == before.label
            if at.any():
                totals.loc[at, "amount_usd"] = float(partial["amount_usd"].sum())
        return totals

    found: dict[str, pd.DataFrame] = {}
    for metric, date_field in (("pipeline_created", "created_date"), ("bookings", "close_date")):
        types = tuple(definitions[metric].parameters["opportunity_types"])  # type: ignore[arg-type]
        found[metric] = quarterly(
            lambda start, end, field=date_field, kinds=types, won=metric == "bookings": (
                queries.opportunity_amount_by_month(engine, start, end, field, kinds, won_only=won)
            )
        )
    found["spend"] = quarterly(
        lambda start, end: queries.spend_by_month(engine, start, end, channels)
    )
    arr_first = pd.Timestamp(windows.arr_month) - pd.DateOffset(months=23)
    minimum = float(definitions["arr"].parameters["minimum_account_arr_usd"])  # type: ignore[arg-type]
    found["arr"] = queries.arr_by_month(engine, arr_first.date(), windows.arr_month, minimum)
    return found
