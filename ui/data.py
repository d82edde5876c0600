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
from core.definitions import MetricDefinition
from core.overview import OverviewWindows
from core.store import definitions as store_definitions
from core.store import metrics, queries
from core.store import overview as store_overview
from core.store.overview import OVERVIEW_METRICS
from ui.store import store_engine

CACHE = {"ttl": 3600, "max_entries": 256, "show_spinner": False}


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


@st.cache_resource(ttl=3600, max_entries=64, show_spinner=False)
def definition_histories(url: str, version: int) -> dict[str, tuple[MetricDefinition, ...]]:
    """Every version of every metric definition (immutable objects, shared, not copied)."""
    del version
    return store_definitions.all_histories(store_engine(url))


def definitions_on(url: str, version: int, day: date) -> dict[str, MetricDefinition]:
    """The version of every metric in effect on ``day``."""
    return store_definitions.definitions_on(definition_histories(url, version), day)


@st.cache_data(**CACHE)
def overview_totals(
    url: str, version: int, calendar: FiscalCalendar, period_label: str, as_of: date
) -> dict[str, tuple[float, float]]:
    """Headline values to date and for the same days last year, per Overview metric."""
    definitions = definitions_on(url, version, as_of)
    return store_overview.headline_totals(
        store_engine(url), definitions, calendar, calendar.parse(period_label), as_of
    )


@st.cache_data(**CACHE)
def overview_windows_loaded(
    url: str, version: int, calendar: FiscalCalendar, period_label: str, as_of: date
) -> OverviewWindows:
    """The Overview's windows, ARR at the latest month the billing rows reach."""
    del version  # part of the cache key: a new upload can reach a later month
    return store_overview.loaded_windows(
        store_engine(url), calendar, calendar.parse(period_label), as_of
    )


@st.cache_data(**CACHE)
def restatements(
    url: str, version: int, calendar: FiscalCalendar, period_label: str, as_of: date
) -> list[dict[str, object]]:
    """Overview metrics whose definition changed since the period began: both numbers."""
    engine = store_engine(url)
    windows = store_overview.loaded_windows(engine, calendar, calendar.parse(period_label), as_of)
    current = definitions_on(url, version, as_of)
    reported = definitions_on(url, version, windows.period.start)
    rows = []
    for metric in OVERVIEW_METRICS:
        old, new = reported[metric], current[metric]
        if old.version == new.version:
            continue
        first, last = (
            (windows.arr_month, windows.arr_month)
            if metric == "arr"
            else (windows.period.start, windows.to_date)
        )
        before = metrics.metric_value(engine, old, first, last, reported)
        after = metrics.metric_value(engine, new, first, last, current)
        rows.append(
            {
                "metric": new.label,
                "reported_version": old.version,
                "reported": before,
                "restated_version": new.version,
                "restated": after,
                "difference": None if before is None or after is None else after - before,
                "reason": new.reason,
                "unit": new.unit,
            }
        )
    return rows


@st.cache_data(**CACHE)
def overview_trends(
    url: str, version: int, calendar: FiscalCalendar, period_label: str, as_of: date
) -> dict[str, pd.DataFrame]:
    """Quarterly totals for this fiscal year and last, and ARR by month for two years."""
    definitions = definitions_on(url, version, as_of)
    return store_overview.trends(
        store_engine(url), definitions, calendar, calendar.parse(period_label), as_of
    )


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
