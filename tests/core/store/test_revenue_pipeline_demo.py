"""Invariants on the whole demo company: every bridge and waterfall balances, every month.

The demo store (scale 0.1, as of 23 Nov 2026) has three-plus years of ARR and weekly
opportunity exports, so these run over every month and fiscal quarter it holds.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from core.calendar import add_months
from core.definitions import DEFAULT_DEFINITIONS
from core.revenue import bridge_imbalance, bridges_with_retention
from core.store import pipeline, queries
from core.store import revenue as store_revenue
from core.store.engine import create_store_engine
from core.store.metrics import metric_value
from tests.conftest import DEMO_AS_OF, copy_store


@pytest.fixture(scope="module")
def demo(demo_template, tmp_path_factory):
    url = copy_store(demo_template, tmp_path_factory.mktemp("demo-invariants"))
    engine = create_store_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def calendar(demo):
    return queries.fiscal_calendar(queries.settings(demo))


@pytest.fixture(scope="module")
def bridges(demo, calendar):
    arr = store_revenue.arr_by_account(demo, DEMO_AS_OF)
    return bridges_with_retention(arr, lambda day: calendar.quarter_containing(day).label)


def test_every_monthly_and_quarterly_bridge_balances(bridges):
    months, quarters = bridges
    assert len(months) >= 40 and len(quarters) >= 13
    assert bridge_imbalance(months).abs().max() < 1e-6
    assert bridge_imbalance(quarters).abs().max() < 1e-6
    # Each quarter starts where the quarter before it ended.
    assert (
        quarters["start_arr_usd"].iloc[1:].to_numpy() == quarters["end_arr_usd"].iloc[:-1]
    ).all()


def test_retention_is_the_registry_number_and_grr_never_exceeds_100_percent(demo, bridges):
    months, _ = bridges
    defined = months.dropna(subset=["nrr"])
    assert len(defined) >= 24
    assert (defined["grr"] <= 1.0 + 1e-12).all()
    assert (defined["grr"] <= defined["nrr"] + 1e-12).all()
    for month in defined["month"].iloc[::5]:
        day = month.date()
        for measure in ("nrr", "grr"):
            expected = metric_value(demo, DEFAULT_DEFINITIONS[measure], day, day)
            row = defined[defined["month"] == month].iloc[0]
            assert row[measure] == pytest.approx(expected, rel=1e-12), (measure, day)


def test_every_month_and_quarter_of_pipeline_balances(demo, calendar):
    definition = DEFAULT_DEFINITIONS["coverage_to_go"]
    types = list(definition.parameters["opportunity_types"])
    first_export = pipeline.first_snapshot(demo)
    windows = []
    month = add_months(first_export, 1)
    while month <= DEMO_AS_OF:
        windows.append((month, min(add_months(month, 1) - timedelta(days=1), DEMO_AS_OF)))
        month = add_months(month, 1)
    quarters = calendar.periods_between(first_export + timedelta(days=1), DEMO_AS_OF, "quarter")
    windows += [(quarter.start, quarter.end) for quarter in quarters[1:]]
    assert len(windows) >= 50
    for first, last in windows:
        report = pipeline.window_waterfall(demo, definition, first, last, DEMO_AS_OF)
        flow = report.waterfall
        assert flow is not None, (first, report.reason)
        scale = 1.0 + flow.open_at_start + flow.created + flow.pulled_in
        assert abs(flow.imbalance) < 1e-6 * scale, (first, last)
        assert min(getattr(flow, step) for step in ("created", "won", "lost", "pushed_out")) >= 0
        # The ends are the open pipeline the exports showed on those days.
        start = pipeline.open_pipeline_on(demo, types, first, last, first - timedelta(days=1))
        end = pipeline.open_pipeline_on(demo, types, first, last, report.end_day)
        assert flow.open_at_start == pytest.approx(start)
        assert flow.open_at_end == pytest.approx(end)


def test_funnel_never_advances_more_leads_than_entered(demo):
    counts = pipeline.funnel_counts(demo, date(2025, 12, 1), DEMO_AS_OF)
    for frame in (counts.overall, counts.by_channel, counts.by_month):
        assert (frame["advanced"] <= frame["entered"]).all()
        assert (frame.loc[frame["stage"] == "customer", "advanced"] == 0).all()
    overall = counts.overall.set_index("stage")["entered"]
    # The months are the window's: the cohorts add up to the whole.
    by_month = counts.by_month.groupby("stage")["entered"].sum()
    assert by_month.to_dict() == overall.to_dict()
    assert pd.Series(counts.by_channel.groupby("stage")["entered"].sum()).to_dict() == (
        overall.to_dict()
    )
