"""Response curves: golden transforms, input checks, fitting recovers known curves, fallbacks."""

from __future__ import annotations

import numpy as np
import pytest

from core.response import adstock, fit_response, hill, season_features

WEEKS = np.arange("2023-01-02", "2026-11-02", 7, dtype="datetime64[D]")


def test_adstock_golden_values():
    """Do not update unless the mathematics changed: a(t) = x(t - lag) + theta a(t - 1)."""
    spend = np.array([100.0, 0.0, 50.0, 0.0])
    assert adstock(spend, 0.5).tolist() == [100.0, 50.0, 75.0, 37.5]
    assert adstock(spend, 0.5, lag_weeks=1).tolist() == [0.0, 100.0, 50.0, 75.0]
    # A steady state carries over: constant spend 10 with theta 0.5 stays at 20.
    assert adstock(np.full(3, 10.0), 0.5, initial=20.0).tolist() == [20.0, 20.0, 20.0]
    assert adstock(np.full(3, 10.0), 0.5, lag_weeks=2, initial=20.0).tolist() == [20.0] * 3


def test_hill_golden_values():
    """Do not update unless the mathematics changed: a^k / (a^k + h^k)."""
    values = hill(np.array([0.0, 50.0, 100.0, 200.0]), 100.0, 2.0)
    np.testing.assert_allclose(values, [0.0, 0.2, 0.5, 0.8])
    np.testing.assert_allclose(hill(np.array([300.0]), 100.0, 1.0), [0.75])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: adstock(np.ones(3), 1.0), "theta"),
        (lambda: adstock(np.ones(3), 0.2, lag_weeks=-1), "lag_weeks"),
        (lambda: hill(np.ones(3), 0.0, 1.0), "half_saturation"),
        (lambda: fit_response("x", WEEKS[:3], np.ones(3), np.ones(2)), "same length"),
        (lambda: fit_response("x", WEEKS[:3], -np.ones(3), np.ones(3)), "negative"),
        (lambda: fit_response("x", WEEKS[:3], np.ones(3), np.ones(3), draws=0), "draws"),
    ],
)
def test_wrong_parameters_name_themselves(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_season_flags_christmas_and_thanksgiving_weeks():
    features = season_features(
        np.array(["2026-11-23", "2026-11-30", "2026-12-28", "2027-01-04"], dtype="datetime64[D]")
    )
    assert features[:, 3].tolist() == [0.0, 0.0, 1.0, 0.0]  # year end
    assert features[:, 4].tolist() == [1.0, 0.0, 0.0, 0.0]  # Thanksgiving (26 Nov 2026)


def _synthetic(seed: int, theta=0.4, lag=1, k=1.5, h=15_000.0, beta=80_000.0, leads_per=2_000.0):
    rng = np.random.default_rng(seed)
    spend = 10_000 * np.exp(rng.normal(0, 0.35, len(WEEKS)))
    spend[60:73] *= 0.4  # a designed cut, as the demo company runs
    response = beta * hill(adstock(spend, theta, lag, 10_000 / (1 - theta)), h, k)
    pipeline = rng.gamma(16.0, response / 16.0)  # about 25% weekly noise
    leads = rng.poisson(response / leads_per).astype(float)
    return spend, pipeline, leads, (theta, lag, k, h, beta)


def test_fitting_recovers_a_known_curve_and_its_cut_effect():
    spend, pipeline, leads, (theta, lag, k, h, beta) = _synthetic(1)
    curve = fit_response("events", WEEKS, spend, pipeline, leads=leads, draws=20, seed=3)
    assert curve.method == "fitted" and curve.lag_weeks == lag
    # What matters for a cut: the pipeline lost when steady spend falls 30%.
    true_loss = beta * (
        hill(np.array([10_000 / (1 - theta)]), h, k) - hill(np.array([7_000 / (1 - theta)]), h, k)
    )
    fitted_loss = curve.weekly_response(np.array([10_000.0])) - curve.weekly_response(
        np.array([7_000.0])
    )
    assert fitted_loss[0] == pytest.approx(true_loss[0], rel=0.10)
    assert 0.0 < curve.r_squared <= 1.0 and curve.holdout_mape is not None


def test_without_leads_the_fit_uses_pipeline_alone():
    spend, pipeline, _, _ = _synthetic(2)
    curve = fit_response("events", WEEKS, spend, pipeline, draws=3)
    assert curve.method == "fitted" and len(curve.theta) == 3


@pytest.mark.parametrize(
    ("weeks", "spend", "reason"),
    [
        (30, None, "only 30 weeks"),
        (len(WEEKS), np.full(len(WEEKS), 5_000.0), "spend barely varied"),
        (len(WEEKS), np.zeros(len(WEEKS)), "no spend recorded"),
    ],
)
def test_too_little_history_or_variation_falls_back_and_says_so(weeks, spend, reason):
    rng = np.random.default_rng(0)
    spend = spend if spend is not None else rng.uniform(1_000, 9_000, weeks)
    pipeline = rng.uniform(0, 20_000, weeks)
    curve = fit_response("webinars", WEEKS[:weeks], spend, pipeline, draws=30)
    assert curve.method == "average" and reason in curve.note
    if spend.sum() > 0:
        # Linear at the average return, with a wide range across draws.
        roas = pipeline[-52:].mean() / spend[-52:].mean()
        np.testing.assert_allclose(curve.weekly_response(np.array([1_000.0])), [1_000 * roas])
        spread = [curve.weekly_response(np.array([1_000.0]), d)[0] for d in range(30)]
        assert np.percentile(spread, 90) / np.percentile(spread, 10) > 2.0


def test_marginal_return_and_break_even():
    spend, pipeline, leads, _ = _synthetic(4)
    curve = fit_response("linkedin", WEEKS, spend, pipeline, leads=leads, draws=1)
    break_even = curve.break_even_spend(200_000)
    assert break_even is not None
    assert curve.marginal_roi(np.array([break_even * 1.05]))[0] < 1.0
    assert curve.marginal_roi(np.array([break_even * 0.9]))[0] >= 1.0
