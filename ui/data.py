"""Cached reads for the pages, keyed by the store URL and data version.

Each function is cached with a bound (``ttl``, ``max_entries``) and takes only hashable plain
values, so a new upload (a new data version) refreshes every page at once and nothing here
depends on widgets.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core.calendar import FiscalCalendar
from core.definitions import DEFAULT_DEFINITIONS
from core.overview import fiscal_quarter_totals, overview_windows
from core.store import queries
from ui.store import store_engine

CACHE = {"ttl": 3600, "max_entries": 256, "show_spinner": False}
OVERVIEW_METRICS = ("arr", "pipeline_created", "bookings", "spend")


@st.cache_data(**CACHE)
def store_settings(url: str, version: int) -> dict[str, str]:
    """Settings of the store."""
    del version
    return queries.settings(store_engine(url))


@st.cache_data(**CACHE)
def data_extent(url: str, version: int) -> queries.DataExtent:
    """First date and data-through date of the store."""
    del version
    return queries.data_extent(store_engine(url))


def _opportunity_window(url: str, metric: str, first: date, last: date) -> float:
    parameters = DEFAULT_DEFINITIONS[metric].parameters
    return queries.opportunity_amount(
        store_engine(url),
        first,
        last,
        str(parameters["date_field"]),
        tuple(parameters["opportunity_types"]),  # type: ignore[arg-type]
        won_only=metric == "bookings",
    )


@st.cache_data(**CACHE)
def overview_totals(
    url: str, version: int, calendar: FiscalCalendar, period_label: str, as_of: date
) -> dict[str, tuple[float, float]]:
    """Headline values to date and for the same days last year, per Overview metric."""
    del version
    engine = store_engine(url)
    windows = overview_windows(calendar, calendar.parse(period_label), as_of)
    period, last_year = windows.period, windows.last_year
    channels = tuple(DEFAULT_DEFINITIONS["spend"].parameters["channels"])  # type: ignore[arg-type]
    arr = queries.arr_by_month(engine, windows.arr_month_last_year, windows.arr_month)
    arr_by_month = dict(zip(arr["month"].dt.date, arr["arr_usd"], strict=True))
    totals = {
        "arr": (
            float(arr_by_month.get(windows.arr_month, 0.0)),
            float(arr_by_month.get(windows.arr_month_last_year, 0.0)),
        )
    }
    for metric in ("pipeline_created", "bookings"):
        totals[metric] = (
            _opportunity_window(url, metric, period.start, windows.to_date),
            _opportunity_window(url, metric, last_year.start, windows.last_year_to_date),
        )
    totals["spend"] = (
        queries.spend_amount(engine, period.start, windows.to_date, channels),
        queries.spend_amount(engine, last_year.start, windows.last_year_to_date, channels),
    )
    return totals


@st.cache_data(**CACHE)
def overview_trends(
    url: str, version: int, calendar: FiscalCalendar, period_label: str, as_of: date
) -> dict[str, pd.DataFrame]:
    """Quarterly totals for this fiscal year and last, and ARR by month for two years."""
    del version
    engine = store_engine(url)
    windows = overview_windows(calendar, calendar.parse(period_label), as_of)
    first = calendar.year(windows.period.fiscal_year - 1).start
    last = windows.to_date
    definitions = DEFAULT_DEFINITIONS
    channels = tuple(definitions["spend"].parameters["channels"])  # type: ignore[arg-type]
    trends: dict[str, pd.DataFrame] = {}
    for metric in ("pipeline_created", "bookings"):
        parameters = definitions[metric].parameters
        monthly = queries.opportunity_amount_by_month(
            engine,
            first,
            last,
            str(parameters["date_field"]),
            tuple(parameters["opportunity_types"]),  # type: ignore[arg-type]
            won_only=metric == "bookings",
        )
        trends[metric] = fiscal_quarter_totals(monthly, calendar, "amount_usd")
    trends["spend"] = fiscal_quarter_totals(
        queries.spend_by_month(engine, first, last, channels), calendar, "amount_usd"
    )
    arr_first = pd.Timestamp(windows.arr_month) - pd.DateOffset(months=23)
    trends["arr"] = queries.arr_by_month(engine, arr_first.date(), windows.arr_month)
    return trends


@st.cache_data(**CACHE)
def table_summary(url: str, version: int) -> pd.DataFrame:
    """What each table holds."""
    del version
    return queries.table_summary(store_engine(url))


@st.cache_data(**CACHE)
def upload_history(url: str, version: int, limit: int) -> pd.DataFrame:
    """The latest uploads."""
    del version
    return queries.upload_history(store_engine(url), limit)
