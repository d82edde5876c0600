"""Model honesty: the simulator recovers the demo company's true response curves.

The demo company at scale 1 is generated from known curves (``ground_truth.json``). For a 30%
cut of each channel for one quarter (13 weeks from the horizon start), the simulated pipeline
loss over 18 months is compared with the loss the true curves give on the same spend history
and plan.

Tolerance, and why: 20%, plus the channel's luck of the draw. At scale 1 a channel sources
1-3 opportunities a week with lognormal amounts, so the pipeline it actually sourced over the
demo's history differs from what its true curve expected by a few to ~16% (seed 42: events
-16%). No model fitted to that data can see through that gap (the data are all anyone has), so
the bound per channel is ``20% + |realised / expected - 1|``; the median error across channels
must still be under 10%. A channel the model itself refuses to fit (the average-return
fallback) must have the truth inside its stated 10-90% range instead.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest

from core.cli import main as cli_main
from core.demo.simulate import lagged_adstock, seasonality, to_day
from core.response import hill
from core.scenarios import simulate
from core.store import queries
from core.store.engine import create_store_engine
from core.store.scenarios import prepare

AS_OF = date(2026, 11, 23)
# About the model, not the engine: the scale-1 demo it builds runs in the DuckDB pass only.
pytestmark = [pytest.mark.timeout(900), pytest.mark.duckdb_only]


@pytest.fixture(scope="module")
def scale_one(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale-one")
    store = folder / "marketing.duckdb"
    code = cli_main(
        ["demo", "--db", f"duckdb:///{store}", "--scale", "1", "--seed", "42",
         "--as-of", AS_OF.isoformat(), "--out", str(folder / "demo"), "--json"]
    )  # fmt: skip
    assert code == 0
    truth = json.loads((folder / "demo" / "ground_truth.json").read_text())
    engine = create_store_engine(f"duckdb:///{store}")
    calendar = queries.fiscal_calendar(queries.settings(engine))
    prepared = prepare(engine, AS_OF, calendar)
    engine.dispose()
    return prepared, truth


def _true_pipeline(channel: dict, spend: np.ndarray, weeks: np.ndarray) -> np.ndarray:
    days = np.array([to_day(week.astype(object)) for week in weeks])
    season = seasonality(
        days, channel["seasonality_amplitude"], channel["seasonality_peak_iso_week"]
    )
    stock = lagged_adstock(
        spend, channel["theta"], channel["lag_weeks"],
        channel["typical_weekly_spend_usd"] / (1 - channel["theta"]),
    )  # fmt: skip
    return (
        season
        * channel["beta_usd"]
        * hill(stock, channel["half_saturation_usd"], channel["hill_k"])
    )


@pytest.mark.slow
def test_a_quarter_cut_recovers_the_true_loss_on_every_channel(scale_one):
    prepared, truth = scale_one
    data, model = prepared.data, prepared.model
    weeks = np.concatenate([data.weeks, model.week_starts])
    errors = {}
    for index, channel in enumerate(model.channels):
        true = truth["channels"][channel]
        plan = model.plan[index]
        cut = plan.copy()
        cut[:13] *= 0.7
        history = data.spend[index]
        base = _true_pipeline(true, np.concatenate([history, plan]), weeks)
        after = _true_pipeline(true, np.concatenate([history, cut]), weeks)
        true_loss = float((base - after)[len(history) :].sum())
        expected = _true_pipeline(true, history, data.weeks)[1:].sum()
        luck = abs(float(data.pipeline[index, 1:].sum()) / float(expected) - 1)
        result = simulate(model, {channel: -0.3}, start_week=0, weeks=13)
        curve = model.curves[index]
        errors[channel] = result.pipeline.loss / true_loss - 1
        if curve.method == "fitted":
            assert abs(errors[channel]) <= 0.20 + luck, (
                f"{channel}: simulated {result.pipeline.loss:,.0f} vs true {true_loss:,.0f} "
                f"({errors[channel]:+.0%}; allowed ±{0.20 + luck:.0%})"
            )
        else:
            assert result.pipeline.low <= true_loss <= result.pipeline.high, channel
    assert sum(curve.method == "fitted" for curve in model.curves) >= 6
    assert float(np.median(np.abs(list(errors.values())))) < 0.10, errors


def test_fitting_every_channel_with_ranges_is_cached_work_under_ten_seconds(scale_one):
    """Not a timing test (those live in bench/): the fit has its range for every channel."""
    prepared, _ = scale_one
    assert all(len(curve.theta) == prepared.model.draws for curve in prepared.curves)
    assert prepared.model.horizon_start == AS_OF - timedelta(days=AS_OF.weekday())
