"""The simulator: hand-computed chains, properties (hypothesis) and the least-harm cut."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendar import FiscalCalendar
from core.response import LINEAR_HALF_SATURATION, ResponseCurve, fit_response
from core.scenarios import (
    _band,
    build_model,
    goal_effects,
    horizon_weeks,
    least_harm,
    pro_rata,
    simulate,
    summary_sentence,
)

HISTORY = np.arange("2024-01-01", "2026-11-02", 7, dtype="datetime64[D]")
START = date(2026, 11, 2)  # a Monday
CALENDAR = FiscalCalendar(2)


def _linear(channel: str, roas: float, draws: int = 1) -> ResponseCurve:
    """Pipeline = roas x spend, no carryover: the chain can be computed by hand."""
    coefficients = np.zeros((draws, 5))
    coefficients[:, 0] = roas * LINEAR_HALF_SATURATION
    return ResponseCurve(
        channel=channel, method="average", lag_weeks=0, theta=np.zeros(draws),
        hill_k=np.ones(draws), half_saturation=np.full(draws, LINEAR_HALF_SATURATION),
        coefficients=coefficients, weeks=150, r_squared=None, holdout_mape=None,
        mean_weekly_spend=1_000.0, mean_weekly_pipeline=roas * 1_000.0,
    )  # fmt: skip


def _hill(channel: str, theta: float, h: float, k: float, beta: float) -> ResponseCurve:
    coefficients = np.array([[beta, 0.0, 0.0, 0.0, 0.0]])
    return ResponseCurve(
        channel=channel, method="fitted", lag_weeks=0, theta=np.array([theta]),
        hill_k=np.array([k]), half_saturation=np.array([h]), coefficients=coefficients,
        weeks=150, r_squared=0.5, holdout_mape=0.3, mean_weekly_spend=1_000.0,
        mean_weekly_pipeline=1_000.0, initial_adstock=1_000.0,
    )  # fmt: skip


def _model(curves, spend=1_000.0, close_lag=(1.0,), win=0.25):
    channels = len(curves)
    return build_model(
        curves,
        HISTORY,
        np.full((channels, len(HISTORY)), spend),
        START,
        None,
        win_rates={curve.channel: (win, 0) for curve in curves},
        close_lag=np.array(close_lag),
        calendar=CALENDAR,
    )


def test_a_linear_channel_by_hand():
    """30% of $1,000/week for 4 weeks saves $1,200; at 5x return that is $6,000 of pipeline,
    $1,500 of bookings (25% win, closing the week it is created) and, booked in November, $125
    of revenue a month for 18 months ($2,250)."""
    model = _model([_linear("events", 5.0)])
    result = simulate(model, {"events": -0.3}, start_week=0, weeks=4)
    assert result.savings == pytest.approx(1_200.0)
    assert result.pipeline.loss == pytest.approx(6_000.0)
    assert result.bookings.loss == pytest.approx(1_500.0)
    assert result.new_arr.loss == pytest.approx(1_500.0)
    assert result.revenue.loss == pytest.approx(1_500.0 / 12 * 18)
    assert result.pipeline.this_quarter[0] == pytest.approx(6_000.0)  # Nov is in Q4 (Feb FY)
    assert result.bookings.monthly[0][0] == pytest.approx(1_500.0)
    assert result.window == (date(2026, 11, 2), date(2026, 11, 29))


def test_closing_lag_moves_bookings_into_next_quarter():
    # Every won dollar closes 13 weeks after creation: November's pipeline books in February.
    lag = np.zeros(14)
    lag[13] = 1.0
    model = _model([_linear("events", 5.0)], close_lag=lag)
    result = simulate(model, {"events": -0.3}, start_week=0, weeks=4)
    assert result.bookings.this_quarter[0] == pytest.approx(0.0)
    assert result.bookings.next_quarter[0] == pytest.approx(1_500.0)
    assert result.pipeline_closing_next_quarter[0] == pytest.approx(6_000.0)


def test_carryover_keeps_losing_after_the_window():
    model = _model([_hill("events", 0.5, 2_000.0, 1.0, 10_000.0)])
    result = simulate(model, {"events": -0.5}, start_week=0, weeks=1)
    weekly_lost_in_window = result.pipeline.monthly[0][0]
    assert result.pipeline.loss > 0 and weekly_lost_in_window > 0
    # Adstock halves each week after a one-week cut: the loss spreads over later weeks.
    single_week = 10_000.0 * (2_000 / 4_000 - 1_750 / 3_750)
    assert result.pipeline.loss > single_week * 1.5


def test_horizon_is_eighteen_months_of_mondays():
    weeks = horizon_weeks(START)
    assert weeks[0] == np.datetime64("2026-11-02") and weeks[-1] < np.datetime64("2028-05-01")
    assert weeks[-1] + 7 >= np.datetime64("2028-05-01")
    with pytest.raises(ValueError, match="Monday"):
        horizon_weeks(date(2026, 11, 3))


@pytest.mark.parametrize(
    ("changes", "start", "weeks", "message"),
    [
        ({"tiktok": -0.3}, 0, 13, "unknown channel 'tiktok'; channels: events, linkedin"),
        ({"events": -1.3}, 0, 13, "change for events must be between -100% and \\+50%"),
        ({"events": 0.6}, 0, 13, "change for events"),
        ({"events": -0.3}, -1, 13, "start_week"),
        ({"events": -0.3}, 0, 0, "weeks must be between 1"),
    ],
)
def test_wrong_scenarios_name_the_channel_or_value(changes, start, weeks, message):
    model = _model([_linear("events", 5.0), _linear("linkedin", 3.0)])
    with pytest.raises(ValueError, match=message):
        simulate(model, changes, start, weeks)


# -- properties ------------------------------------------------------------------------------
SATURATING = [
    _hill("events", 0.5, 1_500.0, 1.6, 12_000.0),
    _hill("linkedin", 0.3, 4_000.0, 1.2, 20_000.0),
    _hill("paid_search", 0.1, 600.0, 1.4, 5_000.0),
]
MODEL = _model(SATURATING)
cuts = st.floats(min_value=-1.0, max_value=0.5, allow_nan=False)
windows = st.tuples(st.integers(0, 20), st.integers(1, 26))


@given(window=windows)
@settings(max_examples=25, deadline=None)
def test_a_zero_change_changes_nothing(window):
    result = simulate(MODEL, dict.fromkeys(MODEL.channels, 0.0), *window)
    assert result.savings == 0.0
    for measure in ("pipeline", "bookings", "new_arr", "revenue"):
        assert result.outcome(measure).loss == pytest.approx(0.0, abs=1e-9)


@given(first=cuts, second=cuts, window=windows)
@settings(max_examples=40, deadline=None)
def test_a_deeper_cut_never_loses_less_and_cutting_never_adds_pipeline(first, second, window):
    shallow, deep = max(first, second), min(first, second)
    lost_shallow = simulate(MODEL, {"events": shallow}, *window).pipeline.loss
    lost_deep = simulate(MODEL, {"events": deep}, *window).pipeline.loss
    assert lost_deep >= lost_shallow - 1e-6
    if deep <= 0:
        assert lost_deep >= -1e-6  # a cut never increases pipeline


@given(changes=st.fixed_dictionaries(dict.fromkeys(MODEL.channels, cuts)), window=windows)
@settings(max_examples=30, deadline=None)
def test_savings_equal_the_spend_removed(changes, window):
    result = simulate(MODEL, changes, *window)
    start, weeks = window
    removed = sum(
        -changes[channel] * MODEL.plan[index, start : start + weeks].sum()
        for index, channel in enumerate(MODEL.channels)
    )
    assert result.savings == pytest.approx(removed)
    assert sum(result.savings_by_channel.values()) == pytest.approx(result.savings)


@given(share=st.floats(min_value=0.0, max_value=1.0), window=windows)
@settings(max_examples=30, deadline=None)
def test_least_harm_never_loses_more_than_pro_rata(share, window):
    available = float(MODEL.window_spend(*window).sum())
    saving = share * available
    best = least_harm(MODEL, saving, *window)
    even = pro_rata(MODEL, saving, *window)
    assert best.savings == pytest.approx(saving, abs=1e-6 * available + 1e-6)
    assert best.pipeline_loss <= even.pipeline_loss + 1e-6
    assert all(-1.0 <= change <= 0.0 for change in best.changes.values())


def test_least_harm_takes_money_where_it_costs_least():
    """A saturated channel loses little per dollar; a linear 10x channel loses $10 per dollar."""
    model = _model([_linear("linkedin", 10.0), _hill("paid_search", 0.0, 100.0, 1.0, 5_000.0)])
    plan = least_harm(model, 1_000.0 * 4 * 0.5, 0, 4)
    assert plan.changes["paid_search"] == pytest.approx(-0.5)  # $2,000 of its $4,000
    assert plan.changes["linkedin"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="more than the"):
        least_harm(model, 1e9, 0, 4)


def test_ranges_surround_the_estimate():
    rng = np.random.default_rng(0)
    spend = 1_000 * np.exp(rng.normal(0, 0.4, len(HISTORY)))
    curve = fit_response("events", HISTORY, spend, 4 * spend * rng.gamma(4, 0.25, len(HISTORY)))
    model = _model([curve])
    model = replace(model)  # the model is a plain frozen value
    result = simulate(model, {"events": -0.4}, 0, 13)
    assert result.pipeline.low <= result.pipeline.loss <= result.pipeline.high
    assert result.pipeline.low < result.pipeline.high


@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=60),
)
def test_a_range_always_contains_the_number_beside_it(values):
    """Draw 0 is the estimate; a skewed bootstrap stretches the range rather than excluding it."""
    point, low, high = _band(np.array(values))
    assert low <= point <= high
    assert point == values[0]


def test_a_skewed_bootstrap_stretches_the_range_to_the_estimate():
    assert _band(np.array([10.0, 1.0, 2.0, 3.0, 4.0])) == (10.0, pytest.approx(1.4), 10.0)


def test_goal_effects_and_the_sentence():
    model = _model([_linear("events", 5.0)])
    result = simulate(model, {"events": -0.3}, 0, 4)
    goals = [
        {"goal_name": "ARR at the end of FY2027", "period_label": "FY2027", "metric": "arr",
         "period_start": date(2026, 2, 1), "period_end": date(2027, 1, 31),
         "target": 100_000.0, "projection": 97_000.0},
        {"goal_name": "Pipeline in Q4", "period_label": "Q4 FY2027", "metric": "sourced_pipeline",
         "period_start": date(2026, 11, 1), "period_end": date(2027, 1, 31),
         "target": 60_000.0, "projection": 60_000.0},
        {"goal_name": "MQLs", "period_label": "Q4 FY2027", "metric": "mqls",
         "period_start": date(2026, 11, 1), "period_end": date(2027, 1, 31),
         "target": 10.0, "projection": 9.0},
    ]  # fmt: skip
    arr, pipeline = goal_effects(result, goals)
    assert arr.before == pytest.approx(0.97) and arr.after == pytest.approx(0.955)
    assert pipeline.loss == pytest.approx(6_000.0) and pipeline.after == pytest.approx(0.9)
    sentence = summary_sentence(result, {"events": "Events"})
    assert sentence.startswith("Cutting Events by 30% for 4 weeks from 2 Nov 2026 saves $1,200")
    assert "$6,000 of pipeline" in sentence
    assert summary_sentence(simulate(model, {}, 0, 4), {}).startswith("No spend is changed")
    in_euros = summary_sentence(result, {"events": "Events"}, currency="EUR")
    assert in_euros == sentence.replace("$", "€")  # the same numbers, in the store's currency
