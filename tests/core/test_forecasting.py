"""Forecast accuracy: hand-computed scores, scikit-learn as an independent check, hypothesis
properties, the judged submission, horizons, ranges, misses, the sentence and golden values.

Expected numbers are worked out by hand in the comments.
"""

from __future__ import annotations

import doctest
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import mean_absolute_percentage_error

import core.forecasting
from core.forecasting import (
    CATEGORIES,
    FINAL_MONTH_WEEKS,
    HORIZON_EDGES,
    AccuracyStats,
    accuracy,
    accuracy_table,
    baseline_forecast,
    bias_adjusted,
    horizon_table,
    judged,
    misses,
    range_calibration,
    score,
    summary_sentence,
)

Q1_END = date(2026, 4, 30)  # Q1 FY2027 (February fiscal year): 1 Feb - 30 Apr 2026
Q2_END = date(2026, 7, 31)
Q2 = {"period_label": "Q2 FY2027", "period_end": Q2_END}  # row(**Q2): the next quarter
Q3 = {"period_label": "Q3 FY2027", "period_end": date(2026, 10, 31)}  # still open in tests


def row(
    forecaster: str = "Ana",
    metric: str = "bookings",
    period_label: str = "Q1 FY2027",
    period_end: date = Q1_END,
    weeks_before: float = 1,
    category: str = "most_likely",
    value: float = 100.0,
    actual: float = 100.0,
) -> dict[str, object]:
    """One submission, dated ``weeks_before`` the period's last day (negative: after it)."""
    return {
        "forecaster": forecaster,
        "metric": metric,
        "period_label": period_label,
        "period_start": period_end.replace(day=1) - timedelta(days=62),
        "period_end": period_end,
        "submitted_on": period_end - timedelta(days=round(weeks_before * 7)),
        "category": category,
        "value": value,
        "actual": actual,
    }


def scored_frame(*rows: dict[str, object]) -> pd.DataFrame:
    return score(pd.DataFrame(list(rows)))


def test_docstring_examples_hold():
    failures, tried = doctest.testmod(core.forecasting)
    assert tried > 0 and failures == 0


# -- one submission: error, APE, accuracy score ----------------------------------------------
@pytest.mark.parametrize(
    ("value", "actual", "error", "ape", "accuracy_score"),
    [
        (110.0, 100.0, 10.0, 0.10, 0.90),  # 10 / 100 over
        (90.0, 100.0, -10.0, 0.10, 0.90),  # 10 / 100 under: APE and score are symmetric
        (250.0, 100.0, 150.0, 1.50, 0.0),  # 1 - 1.5 < 0: the score stops at zero
        (100.0, 100.0, 0.0, 0.0, 1.0),  # perfect
        (10.0, 0.0, 10.0, math.nan, math.nan),  # zero actual: never divided by
        (-90.0, -100.0, 10.0, 0.10, math.nan),  # |10| / |-100|; no score for A <= 0
        (100.0, math.nan, math.nan, math.nan, math.nan),  # open period
    ],
)
def test_score_one_submission(value, actual, error, ape, accuracy_score):
    scored = scored_frame(row(value=value, actual=actual))
    got = scored.iloc[0]
    for name, expected in (("error", error), ("ape", ape), ("accuracy_score", accuracy_score)):
        if math.isnan(expected):
            assert math.isnan(got[name]), name
        else:
            assert got[name] == pytest.approx(expected), name
    assert got["abs_error"] == pytest.approx(abs(error), nan_ok=True)


@pytest.mark.parametrize(
    ("days_before", "weeks", "horizon"),
    [
        (0, 0.0, "0-2 weeks"),  # submitted on the last day
        (13, 13 / 7, "0-2 weeks"),
        (14, 2.0, "2-4 weeks"),  # lower edge inclusive
        (27, 27 / 7, "2-4 weeks"),
        (28, 4.0, "4-8 weeks"),
        (56, 8.0, "8-13 weeks"),
        (90, 90 / 7, "8-13 weeks"),
        (91, 13.0, "13-26 weeks"),
        (181, 181 / 7, "13-26 weeks"),
        (182, 26.0, "26+ weeks"),
        (400, 400 / 7, "26+ weeks"),
        (-1, -1 / 7, "after the period"),  # submitted the day after it ended
    ],
)
def test_horizon_buckets(days_before, weeks, horizon):
    scored = scored_frame(row(weeks_before=days_before / 7))
    assert scored["horizon_weeks"].iloc[0] == pytest.approx(weeks)
    assert scored["horizon"].iloc[0] == horizon


def test_horizon_edges_are_the_contract():
    assert HORIZON_EDGES == (0, 2, 4, 8, 13, 26)
    assert CATEGORIES == ("commit", "most_likely", "best_case")


def test_score_accepts_timestamps_and_leaves_its_input_alone():
    frame = pd.DataFrame([row(weeks_before=2)])
    before = frame.copy()
    timestamps = frame.assign(
        period_end=pd.to_datetime(frame["period_end"]),
        submitted_on=pd.to_datetime(frame["submitted_on"]),
    )
    assert score(frame)["horizon_weeks"].iloc[0] == 2.0
    assert score(timestamps)["horizon_weeks"].iloc[0] == 2.0
    pd.testing.assert_frame_equal(frame, before)
    assert "error" not in frame


def test_score_names_missing_columns():
    frame = pd.DataFrame([row()]).drop(columns=["actual", "submitted_on"])
    with pytest.raises(ValueError, match="submitted_on, actual"):
        score(frame)


def test_score_names_a_category_it_does_not_know():
    with pytest.raises(ValueError, match=r"commit, most_likely, best_case, got 'upside'"):
        scored_frame(row(), row(category="upside"))


def test_score_of_no_submissions_is_empty():
    scored = score(pd.DataFrame(columns=list(row())))
    assert scored.empty
    assert {"error", "ape", "horizon_weeks", "horizon"} <= set(scored.columns)


# -- a set of forecasts: hand-computed statistics --------------------------------------------
ACCURACY_CASES = {
    # errors 10, -10, 0, 30; APE .1 .1 0 .3 -> MAPE .5/4 = .125; WAPE 50/400 = .125;
    # bias 30/400 = .075; within 5%: only the perfect one (1/4); within 10%: 3/4;
    # scores .9 .9 1 .7 -> .875.
    "mixed": ([110, 90, 100, 130], [100, 100, 100, 100], AccuracyStats(4, 0, 0.125, 0.125, 0.075, 0.25, 0.75, 0.875)),
    # The zero actual counts (count 4, zero_actuals 1) and adds its |10| to WAPE's and bias's
    # numerators, but nothing to MAPE or the hit rates. APE .05 .1 0 -> MAPE .15/3 = .05;
    # WAPE (5+20+10+0)/350 = .1; bias (-5+20+10+0)/350 = 1/14; within 5%: 2 of 3;
    # within 10%: 3 of 3; scores .95 .9 1 -> .95.
    "zero actual": ([95, 220, 10, 50], [100, 200, 0, 50], AccuracyStats(4, 1, 0.05, 0.1, 1 / 14, 2 / 3, 1.0, 0.95)),
    # Under-forecast: errors -20, -10 -> MAPE .15, WAPE 30/200 = .15, bias -.15; 10% hit 1/2.
    "pessimistic": ([80, 90], [100, 100], AccuracyStats(2, 0, 0.15, 0.15, -0.15, 0.0, 0.5, 0.85)),
    # 1.05 - 1.0 is 0.0500000000000000444 in floats: still a 5% hit.
    "exactly 5%": ([1.05], [1.0], AccuracyStats(1, 0, 0.05, 0.05, 0.05, 1.0, 1.0, 0.95)),
    # 250 for 100: APE 1.5; the score stops at 0.
    "far over": ([250], [100], AccuracyStats(1, 0, 1.5, 1.5, 1.5, 0.0, 0.0, 0.0)),
    # A negative actual: |10| / |-100| = .1 and bias 10/100; no accuracy score for A <= 0.
    "negative actual": ([-90], [-100], AccuracyStats(1, 0, 0.1, 0.1, 0.1, 0.0, 1.0, None)),
    # Only zero actuals: counted, and nothing that would divide by them.
    "only zero actuals": ([10, 0], [0, 0], AccuracyStats(2, 2, None, None, None, None, None, None)),
    # The open period (NaN actual) is not counted at all.
    "unknown actual": ([100, 120], [100, math.nan], AccuracyStats(1, 0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0)),
    "nothing": ([], [], AccuracyStats(0, 0, None, None, None, None, None, None)),
}  # fmt: skip


@pytest.mark.parametrize(
    ("forecast", "actual", "expected"), ACCURACY_CASES.values(), ids=ACCURACY_CASES.keys()
)
def test_accuracy_by_hand(forecast, actual, expected):
    got = accuracy(forecast, actual)
    for name, value in vars(expected).items():
        if value is None:
            assert getattr(got, name) is None, name
        else:
            assert getattr(got, name) == pytest.approx(value, abs=1e-12), name


def test_accuracy_lengths_must_match():
    with pytest.raises(ValueError, match="same length, got 2 and 3"):
        accuracy([1, 2], [1, 2, 3])


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_mape_agrees_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    sign = rng.choice([-1.0, 1.0], 500)
    actual = sign * rng.uniform(1, 1_000_000, 500)  # no zeros: scikit-learn divides by eps
    forecast = actual * rng.normal(1.0, 0.3, 500)
    expected = mean_absolute_percentage_error(actual, forecast)
    assert accuracy(forecast, actual).mape == pytest.approx(expected, rel=1e-12)


# -- properties ------------------------------------------------------------------------------
# Money and counts: zero or at least a cent either way (subnormal floats are not amounts).
cents = st.floats(min_value=0.01, max_value=1e6)
amounts = st.one_of(st.just(0.0), cents, cents.map(lambda amount: -amount))
non_negative = st.one_of(st.just(0.0), cents)


@settings(max_examples=200, deadline=None)
@given(st.lists(amounts, min_size=1, max_size=30))
def test_a_perfect_forecast_is_perfect(actual):
    stats = accuracy(actual, actual)
    assert stats.count == len(actual)
    if any(actual):
        assert stats.mape == 0.0 and stats.bias == 0.0 and stats.wape == 0.0
        assert stats.hit_rate_5 == 1.0 and stats.hit_rate_10 == 1.0
    scored = scored_frame(*(row(value=a, actual=a) for a in actual))
    assert (scored["error"] == 0).all()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(cents, amounts), min_size=1, max_size=30),
    st.floats(min_value=1.01, max_value=10),
)
def test_scaling_forecasts_up_raises_the_bias(pairs, factor):
    forecast = np.array([f for f, _ in pairs])
    actual = np.array([a for _, a in pairs])
    before, after = accuracy(forecast, actual), accuracy(forecast * factor, actual)
    if before.bias is None:  # every actual is zero
        assert after.bias is None
    else:
        assert after.bias > before.bias


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(non_negative, amounts), max_size=30))
def test_statistics_stay_in_their_ranges(pairs):
    """Forecasts of amounts are never negative, so the bias cannot fall below -100%."""
    forecast = [f for f, _ in pairs]
    actual = [a for _, a in pairs]
    stats = accuracy(forecast, actual)
    assert stats.wape is None or stats.wape >= 0
    assert stats.bias is None or stats.bias >= -1
    assert stats.mape is None or stats.mape >= 0
    assert stats.accuracy_score is None or 0 <= stats.accuracy_score <= 1
    for rate in (stats.hit_rate_5, stats.hit_rate_10):
        assert rate is None or 0 <= rate <= 1
    if pairs:
        scores = scored_frame(*(row(value=f, actual=a) for f, a in pairs))["accuracy_score"]
        assert scores.dropna().between(0, 1).all()


# -- the judged submission -------------------------------------------------------------------
def judging_fixture() -> pd.DataFrame:
    return scored_frame(
        row(weeks_before=12, value=1.0),  # the first call
        row(weeks_before=3, value=2.0),
        row(weeks_before=0, value=2.5),  # on the last day: still in time
        row(weeks_before=-1, value=3.0),  # after the end: never counts
        row(weeks_before=1, category="commit", value=9.0),  # another category
        row(forecaster="Ben", weeks_before=-2, value=7.0),  # only late: Ben is not judged
        row(**Q2, weeks_before=5, value=4.0, actual=math.nan),
    )


@pytest.mark.parametrize(
    ("category", "submission", "values"),
    [
        ("most_likely", "latest", [2.5, 4.0]),
        ("most_likely", "first", [1.0, 4.0]),
        ("commit", "latest", [9.0]),
        ("best_case", "latest", []),
    ],
)
def test_judged_picks_one_submission_in_time(category, submission, values):
    chosen = judged(judging_fixture(), category=category, submission=submission)
    assert chosen["value"].tolist() == values
    assert (chosen["forecaster"] == "Ana").all()
    assert not chosen.duplicated(["forecaster", "metric", "period_label"]).any()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"category": "upside"}, "category must be one of commit, most_likely, best_case, got 'upside'"),
        ({"submission": "middle"}, "submission must be one of latest, first, got 'middle'"),
    ],
)  # fmt: skip
def test_judged_refuses_unknown_choices(arguments, message):
    with pytest.raises(ValueError, match=message):
        judged(judging_fixture(), **arguments)


# -- accuracy by horizon ---------------------------------------------------------------------
def test_horizon_table_by_hand():
    scored = scored_frame(
        # Q1, actual 100: 20 weeks out 130, 10 weeks out 120, 1 week out 105, after the end 100
        row(weeks_before=20, value=130.0),
        row(weeks_before=10, value=120.0),
        row(weeks_before=1, value=105.0),
        row(weeks_before=-1, value=100.0),
        row(weeks_before=1, category="commit", value=50.0),
        # Q2, actual 200: 20 weeks out 150, 1 week out 210
        row(**Q2, weeks_before=20, value=150.0, actual=200.0),
        row(**Q2, weeks_before=1, value=210.0, actual=200.0),
        # Q3 is open: no actual, not counted
        row(**Q3, weeks_before=1, value=1.0, actual=math.nan),
    )
    table = horizon_table(scored)
    # 13-26 weeks: 130 and 150 for 100 and 200 -> bias (30 - 50) / 300, MAPE (.3 + .25) / 2
    # 8-13 weeks: 120 for 100 -> bias .2; 0-2 weeks: 105 and 210 -> bias 15/300 = .05, both
    # exactly 5% off, so both hit.
    assert table["horizon"].tolist() == ["13-26 weeks", "8-13 weeks", "0-2 weeks"]
    assert table["horizon_order"].tolist() == [1, 2, 5]  # far from the end first
    assert table["count"].tolist() == [2, 1, 2]
    assert table["bias"].tolist() == pytest.approx([-20 / 300, 0.2, 0.05])
    assert table["mape"].tolist() == pytest.approx([0.275, 0.2, 0.05])
    assert table["hit_rate_5"].tolist() == [0.0, 0.0, 1.0]
    assert list(table.columns[:3]) == ["metric", "horizon", "horizon_order"]


# -- range calibration -----------------------------------------------------------------------
def range_fixture() -> pd.DataFrame:
    def call(forecaster, label, end, weeks, commit, best, actual):
        rows = []
        if commit is not None:
            rows.append(row(forecaster, "bookings", label, end, weeks, "commit", commit, actual))
        if best is not None:
            rows.append(row(forecaster, "bookings", label, end, weeks, "best_case", best, actual))
        return rows

    return scored_frame(
        # Ana, Q1 (actual 100): [80, 120] holds it; a week later [105, 130] does not.
        *call("Ana", "Q1 FY2027", Q1_END, 6, 80.0, 120.0, 100.0),
        *call("Ana", "Q1 FY2027", Q1_END, 5, 105.0, 130.0, 100.0),
        *call("Ana", "Q1 FY2027", Q1_END, -1, 90.0, 110.0, 100.0),  # after the end: ignored
        # Ana, Q2 (actual 200): [150, 210] holds it; the later commit has no best case.
        *call("Ana", "Q2 FY2027", Q2_END, 6, 150.0, 210.0, 200.0),
        *call("Ana", "Q2 FY2027", Q2_END, 2, 205.0, None, 200.0),
        # Ana, Q3: still open.
        *call("Ana", "Q3 FY2027", date(2026, 10, 31), 2, 1.0, 2.0, math.nan),
        # Ben, Q1: a range of one point that is exactly right is inside (both ends count).
        *call("Ben", "Q1 FY2027", Q1_END, 1, 100.0, 100.0, 100.0),
    )


@pytest.mark.parametrize(
    ("submission", "expected"),
    [
        # latest: Ana's Q1 [105, 130] misses 100, Q2 [150, 210] holds 200 -> 1 of 2
        ("latest", [["Ana", "bookings", 2, 1, 0.5], ["Ben", "bookings", 1, 1, 1.0]]),
        # first: Ana's Q1 [80, 120] holds 100 -> 2 of 2
        ("first", [["Ana", "bookings", 2, 2, 1.0], ["Ben", "bookings", 1, 1, 1.0]]),
    ],
)
def test_range_calibration_by_hand(submission, expected):
    table = range_calibration(range_fixture(), submission=submission)
    assert list(table.columns) == ["forecaster", "metric", "periods", "inside", "share"]
    assert table.values.tolist() == expected


def test_range_calibration_without_ranges_is_empty():
    table = range_calibration(scored_frame(row()))
    assert table.empty
    assert list(table.columns) == ["forecaster", "metric", "periods", "inside", "share"]


# -- baseline and bias adjustment ------------------------------------------------------------
def test_baseline_forecast_by_hand():
    # 100K x .2 + 200K x .5 + 50K x .9 = 20K + 100K + 45K = 165K; 10% slip -> 148.5K;
    # plus 500K closed = 648.5K.
    got = baseline_forecast(500_000, [100_000, 200_000, 50_000], [0.2, 0.5, 0.9], 0.1)
    assert got == pytest.approx(648_500)
    assert baseline_forecast(500_000, [], [], 0.3) == 500_000  # nothing open
    assert baseline_forecast(0, [100_000], [1.0], 1.0) == 0  # everything slips


@pytest.mark.parametrize(
    ("amounts", "rates", "slip", "message"),
    [
        ([100.0], [1.2], 0.1, "stage_win_rates must be between 0 and 1, got 1.2"),
        ([100.0], [-0.1], 0.1, "stage_win_rates must be between 0 and 1, got -0.1"),
        ([100.0], [0.5], 1.5, "slip_rate must be between 0 and 1, got 1.5"),
        ([100.0], [0.5], -0.2, "slip_rate must be between 0 and 1, got -0.2"),
        ([100.0, -5.0], [0.5, 0.5], 0.1, "open_amounts must not be negative, got -5"),
        ([100.0, 50.0], [0.5], 0.1, "same length, got 2 and 1"),
    ],
)
def test_baseline_forecast_says_what_it_expected(amounts, rates, slip, message):
    with pytest.raises(ValueError, match=message):
        baseline_forecast(0.0, amounts, rates, slip)


@pytest.mark.parametrize(
    ("value", "bias", "expected"),
    [
        (1_150_000, 0.15, 1_000_000),  # 15% optimistic: divide by 1.15
        (900, -0.10, 1_000),  # 10% pessimistic: divide by 0.9
        (500, 0.0, 500),
        (500, None, 500),  # no history
        (500, math.nan, 500),  # no history, as a table cell
    ],
)
def test_bias_adjusted(value, bias, expected):
    assert bias_adjusted(value, bias) == pytest.approx(expected)


@pytest.mark.parametrize(("bias", "shown"), [(-1.0, "-100%"), (-1.5, "-150%")])
def test_bias_adjusted_refuses_a_bias_of_minus_100_percent_or_less(bias, shown):
    with pytest.raises(ValueError, match=f"bias must be above -100%, got {shown}"):
        bias_adjusted(100.0, bias)


# -- misses ----------------------------------------------------------------------------------
def test_misses_newest_and_largest_first():
    scored = scored_frame(
        # Q1 (ends 30 Apr), actual 100
        row("Ana", value=130.0),  # +30, APE .3: a miss
        row("Ben", value=95.0),  # APE .05: fine
        row("Cy", value=60.0),  # -40, APE .4: a miss
        # Q2 (ends 31 Jul), actual 100 unless said
        row("Ana", **Q2, value=150.0),  # +50, APE .5: a miss
        row("Ben", **Q2, value=10.0, actual=0.0),  # a miss of undefined size
        row("Cy", **Q2, value=0.0, actual=0.0),  # right
        row("Dee", **Q2, value=110.0),  # exactly 10%: not a miss
        row("Eve", **Q2, value=90.0, actual=math.nan),  # not known yet
    )
    calls = judged(scored)
    missed = misses(calls, tolerance=0.10)
    assert list(missed.columns) == [
        "forecaster", "metric", "period_label", "period_end", "value", "actual", "error", "ape",
        "direction", "zero_actual",
    ]  # fmt: skip
    # Q2 before Q1; within a period the larger |error| first (50 > 10; 40 > 30).
    assert missed[["forecaster", "period_label"]].values.tolist() == [
        ["Ana", "Q2 FY2027"],
        ["Ben", "Q2 FY2027"],
        ["Cy", "Q1 FY2027"],
        ["Ana", "Q1 FY2027"],
    ]
    assert missed["direction"].tolist() == ["over", "over", "under", "over"]
    assert missed["zero_actual"].tolist() == [False, True, False, False]
    assert missed["error"].tolist() == [50.0, 10.0, -40.0, 30.0]
    assert math.isnan(missed["ape"].iloc[1])
    assert missed["ape"].drop(index=1).tolist() == pytest.approx([0.5, 0.4, 0.3])
    assert misses(calls, tolerance=0.5)["forecaster"].tolist() == ["Ben"]  # only the undefined


# -- the sentence ----------------------------------------------------------------------------
def test_summary_sentence_optimistic_with_a_final_month():
    scored = scored_frame(
        # Ana: 10 weeks out, then 2 weeks out (her latest, and in the final month).
        row("Ana", weeks_before=10, value=130.0),
        row("Ana", weeks_before=2, value=110.0),
        row("Ana", **Q2, weeks_before=10, value=120.0),
        row("Ana", **Q2, weeks_before=2, value=106.0),
        # Ben's latest is 10 weeks out: judged, but nothing in the final month.
        row("Ben", weeks_before=10, value=140.0),
        row("Ben", **Q2, weeks_before=10, value=144.0),
        # Not counted: a commit, a late call, an open quarter.
        row("Ana", weeks_before=1, category="commit", value=50.0),
        row("Ana", weeks_before=-1, value=500.0),
        row("Ana", **Q3, value=900.0, actual=math.nan),
    )
    # Every most-likely call before the end: 130, 110, 120, 106, 140, 144 for six actuals of
    # 100 -> (30 + 10 + 20 + 6 + 40 + 44) / 600 = 25%.
    # Final month: 110 and 106 -> 16 / 200 = 8%. Six quarters asked, two closed.
    assert summary_sentence(scored, "bookings", "bookings") == (
        "Over the last 2 quarters marketing's bookings forecasts were 25% optimistic on "
        "average, 8% in the final month."
    )


def test_summary_sentence_averages_every_call_not_only_the_last():
    """What the business heard on average: the early optimistic call counts, not only the
    accurate one made as the quarter closed."""
    scored = scored_frame(
        row("Ana", weeks_before=10, value=150.0),
        row("Ana", weeks_before=5, value=120.0),
        row("Ana", weeks_before=1, value=102.0),
    )
    # Every call: (50 + 20 + 2) / 300 = 24%; final month (1 week): 2 / 100 = 2%.
    assert summary_sentence(scored, "bookings", "bookings") == (
        "Over the last quarter marketing's bookings forecasts were 24% optimistic on average, "
        "2% in the final month."
    )


def test_summary_sentence_pessimistic_over_one_quarter():
    scored = scored_frame(
        row("Ana", metric="pipeline", weeks_before=3, value=190.0, actual=200.0),
        row("Ben", metric="pipeline", weeks_before=8, value=170.0, actual=200.0),
    )
    # Every call: (-10 - 30) / 400 = -10%; final month (3 weeks <= 4.35): Ana's -10 / 200 = -5%.
    assert summary_sentence(scored, "pipeline", "pipeline created") == (
        "Over the last quarter marketing's pipeline created forecasts were 10% pessimistic on "
        "average, 5% in the final month."
    )


def test_summary_sentence_without_a_final_month_over_the_last_periods():
    months = [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    scored = scored_frame(
        *(
            row(metric="mql", period_label=f"{end:%b %Y}", period_end=end, weeks_before=8, value=value)
            for end, value in zip(months, [200.0, 110.0, 115.0, 111.0], strict=True)
        )
    )  # fmt: skip
    # The last 3 months: (10 + 15 + 11) / 300 = 12%; January's 100% is outside the window, and
    # 8 weeks out is not the final month. Labels not starting with "Q" are periods.
    assert summary_sentence(scored, "mql", "MQL", periods=3) == (
        "Over the last 3 periods marketing's MQL forecasts were 12% optimistic on average."
    )


def test_summary_sentence_on_target_and_turning_in_the_final_month():
    scored = scored_frame(
        row("Ana", weeks_before=1, value=970.0, actual=1_000.0),
        row("Ben", weeks_before=6, value=1_034.0, actual=1_000.0),
    )
    # Judged: (-30 + 34) / 2000 = 0.2%: on target; the final month is Ana's -3%.
    assert summary_sentence(scored, "bookings", "bookings") == (
        "Over the last quarter marketing's bookings forecasts were on target on average, "
        "3% pessimistic in the final month."
    )


def test_summary_sentence_says_nothing_without_a_closed_period():
    open_only = scored_frame(row(actual=math.nan))
    assert summary_sentence(open_only, "bookings", "bookings") is None
    assert summary_sentence(scored_frame(row()), "mql", "MQL") is None  # no such metric


def test_final_month_is_four_and_a_third_weeks():
    assert FINAL_MONTH_WEEKS == 4.35


# -- golden values ---------------------------------------------------------------------------
def test_accuracy_table_golden_values():
    """Golden values: do not update unless the mathematics changed.

    bookings/Ana: 110, 95, 130 for 100 each -> errors 10, -5, 30; APE .1, .05, .3;
    MAPE .45/3 = .15; WAPE 45/300 = .15; bias 35/300; hits 1/3 and 2/3; score 2.55/3 = .85.
    bookings/Ben: 80 for 100 and 100 for 0 -> MAPE .2 (the zero actual is left out);
    WAPE (20 + 100)/100 = 1.2; bias (-20 + 100)/100 = .8; no hits; score .8.
    mql/Ana: 500 for 500 and 450 for 400 -> APE 0, .125; MAPE .0625; WAPE and bias 50/900;
    hits 1/2 and 1/2; score (1 + .875)/2 = .9375.
    mql/Ben: open, so absent.
    """
    quarters = [
        ("Q2 FY2026", date(2025, 7, 31)),
        ("Q3 FY2026", date(2025, 10, 31)),
        ("Q4 FY2026", date(2026, 1, 31)),
    ]
    cases = [
        ("Ana", "bookings", [110.0, 95.0, 130.0], [100.0, 100.0, 100.0]),
        ("Ben", "bookings", [80.0, 100.0], [100.0, 0.0]),
        ("Ana", "mql", [500.0, 450.0], [500.0, 400.0]),
        ("Ben", "mql", [700.0], [math.nan]),
    ]
    rows = [
        row(forecaster, metric, label, end, 1, "most_likely", value, actual)
        for forecaster, metric, values, actuals in cases
        for (label, end), value, actual in zip(quarters, values, actuals, strict=False)
    ]
    table = accuracy_table(judged(scored_frame(*rows)), ["metric", "forecaster"])
    expected = pd.DataFrame(
        {
            "metric": ["bookings", "bookings", "mql"],
            "forecaster": ["Ana", "Ben", "Ana"],
            "count": [3, 2, 2],
            "zero_actuals": [0, 1, 0],
            "mape": [0.15, 0.2, 0.0625],
            "wape": [0.15, 1.2, 50 / 900],
            "bias": [35 / 300, 0.8, 50 / 900],
            "hit_rate_5": [1 / 3, 0.0, 0.5],
            "hit_rate_10": [2 / 3, 0.0, 0.5],
            "accuracy_score": [0.85, 0.8, 0.9375],
        }
    )
    pd.testing.assert_frame_equal(table, expected, check_exact=False, rtol=1e-12, check_dtype=False)
    assert table["count"].dtype.kind == "i" and table["zero_actuals"].dtype.kind == "i"


def test_accuracy_table_of_nothing_has_the_columns():
    table = accuracy_table(scored_frame(row(actual=math.nan)), ["metric"])
    assert table.empty
    assert list(table.columns) == [
        "metric", "count", "zero_actuals", "mape", "wape", "bias", "hit_rate_5", "hit_rate_10",
        "accuracy_score",
    ]  # fmt: skip
