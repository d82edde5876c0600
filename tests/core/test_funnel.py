"""Pipeline coverage, the waterfall, funnel conversions and volumes, the SLA and win rates.

Expected numbers are worked out by hand in the comments.
"""

from __future__ import annotations

import doctest
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.funnel
from core.funnel import (
    FUNNEL_STAGES,
    VERSION_COLUMNS,
    WATERFALL_OUTFLOWS,
    WATERFALL_STEPS,
    Coverage,
    Ratio,
    SlaSummary,
    coverage_status,
    funnel_volumes,
    pipeline_coverage,
    pipeline_waterfall,
    ratio,
    required_coverage,
    sla_summary,
    sourced_pipeline_needed,
    stage_conversions,
    typical_days,
    win_rates_by_channel,
)

Q4 = (date(2026, 11, 1), date(2027, 1, 31))  # Q4 FY2027: November to January


def test_docstring_examples_hold():
    failures, tried = doctest.testmod(core.funnel)
    assert tried > 0 and failures == 0


# -- Ratio -----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_a_ratio_refuses_values_that_are_not_finite(value):
    with pytest.raises(ValueError, match="a ratio must be finite"):
        Ratio(value)


@pytest.mark.parametrize("reason", [None, ""])
def test_an_undefined_ratio_needs_a_reason(reason):
    with pytest.raises(ValueError, match="an undefined ratio needs a reason"):
        Ratio(None, reason)


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (1, 4, Ratio(0.25)),
        (0, 4, Ratio(0.0)),  # a defined zero, not undefined
        (3, 2, Ratio(1.5)),
        (1, 0, Ratio(None, "no deals closed")),
        (0, 0, Ratio(None, "no deals closed")),
    ],
)
def test_ratio(numerator, denominator, expected):
    assert ratio(numerator, denominator, "no deals closed") == expected


# -- Coverage --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("open_pipeline", "target", "won_to_date", "expected", "remaining"),
    [
        (900, 1000, 700, 3.0, 300),  # 900 / (1000 - 700)
        (3_000_000, 2_000_000, 500_000, 2.0, 1_500_000),  # 3M / 1.5M
        (1_000, 4_000, 0, 0.25, 4_000),  # nothing won yet: 1,000 / 4,000
        (0, 1_000, 200, 0.0, 800),  # no open pipeline: a defined zero
        (450, 1_000, 999, 450.0, 1),  # 450 / 1
    ],
)
def test_pipeline_coverage(open_pipeline, target, won_to_date, expected, remaining):
    coverage = pipeline_coverage(open_pipeline, target, won_to_date, "Q4 FY2027")
    assert coverage.value == pytest.approx(expected)
    assert coverage.reason is None
    assert coverage.remaining_target == remaining
    assert (coverage.open_pipeline, coverage.target, coverage.won_to_date) == (
        open_pipeline,
        target,
        won_to_date,
    )


@pytest.mark.parametrize(
    ("target", "won_to_date", "period_label", "reason", "remaining"),
    [
        (None, 0, "Q1 FY2028", "no bookings target is set for Q1 FY2028", None),
        (None, 0, "", "no bookings target is set for the period", None),
        (0, 0, "Q1 FY2028", "no bookings target is set for Q1 FY2028", 0),  # zero: no target
        (
            1_000,
            1_200,
            "Q4 FY2027",
            "the Q4 FY2027 target is already met ($1,200 won against $1,000)",
            -200,
        ),
        (
            1_000_000,
            1_000_000,  # exactly met: nothing left to cover
            "Q4 FY2027",
            "the Q4 FY2027 target is already met ($1,000,000 won against $1,000,000)",
            0,
        ),
    ],
)
def test_coverage_is_undefined_without_a_target_left_to_win(
    target, won_to_date, period_label, reason, remaining
):
    coverage = pipeline_coverage(900, target, won_to_date, period_label)
    assert coverage.value is None
    assert coverage.reason == reason
    assert coverage.remaining_target == remaining


@pytest.mark.parametrize(("open_pipeline", "won_to_date"), [(-1, 0), (0, -5), (-1, -1)])
def test_negative_pipeline_or_bookings_are_refused(open_pipeline, won_to_date):
    with pytest.raises(ValueError, match="must not be negative, got"):
        pipeline_coverage(open_pipeline, 1_000, won_to_date)


def test_coverage_is_a_ratio():
    assert isinstance(pipeline_coverage(1, 2, 0), Ratio)
    assert Coverage(None, "no target", target=None).remaining_target is None


@pytest.mark.parametrize(
    ("win_rate", "expected"),
    [(0.25, 4.0), (0.3, 1 / 0.3), (0.5, 2.0), (1.0, 1.0), (0.01, 100.0)],
)
def test_required_coverage_is_one_over_the_win_rate(win_rate, expected):
    required = required_coverage(win_rate)
    assert required.value == pytest.approx(expected)
    assert required.reason is None


@pytest.mark.parametrize(
    ("win_rate", "window", "reason"),
    [
        (None, "the last four quarters", "no deals closed in the last four quarters"),
        (None, "FY2026", "no deals closed in FY2026"),
        (0.0, "the last four quarters", "no deal was won in the last four quarters"),
        (0, "FY2026", "no deal was won in FY2026"),
    ],
)
def test_required_coverage_is_undefined_without_a_win(win_rate, window, reason):
    assert required_coverage(win_rate, window) == Ratio(None, reason)


@pytest.mark.parametrize("win_rate", [-0.1, 1.01, 25.0])
def test_a_win_rate_outside_0_and_1_is_refused(win_rate):
    with pytest.raises(ValueError, match=f"win rate must be between 0 and 1, got {win_rate}"):
        required_coverage(win_rate)


UNDEFINED = Ratio(None, "undefined")


@pytest.mark.parametrize(
    ("coverage", "required", "status"),
    [
        (Ratio(4.0), Ratio(4.0), "green"),  # exactly required
        (Ratio(6.0), Ratio(4.0), "green"),
        (Ratio(3.99), Ratio(4.0), "amber"),  # just below
        (Ratio(3.2), Ratio(4.0), "amber"),  # exactly 80% of 4.0 is still amber
        (Ratio(3.19), Ratio(4.0), "red"),  # below 3.2
        (Ratio(0.0), Ratio(4.0), "red"),
        (Ratio(1.0), Ratio(1.0), "green"),  # a 100% win rate needs 1x
        (UNDEFINED, Ratio(4.0), None),
        (Ratio(4.0), UNDEFINED, None),
        (UNDEFINED, UNDEFINED, None),
    ],
)
def test_coverage_status(coverage, required, status):
    assert coverage_status(coverage, required) == status


def test_coverage_status_of_computed_coverage():
    # 1.2M / (2M - 0.5M) = 0.8 against 1 / 0.25 = 4: 0.8 < 3.2 is red.
    assert (
        coverage_status(pipeline_coverage(1_200_000, 2_000_000, 500_000), required_coverage(0.25))
        == "red"
    )
    # 4.5M / 1.5M = 3.0 against 1 / 0.3 = 3.33: 3.0 >= 2.67 is amber.
    assert (
        coverage_status(pipeline_coverage(4_500_000, 2_000_000, 500_000), required_coverage(0.3))
        == "amber"
    )


# -- Sourced pipeline needed -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("open_pipeline", "target", "won", "required", "share", "expected"),
    [
        # 3 x (1,000 - 0) = 3,000 needed, 2,000 in hand: gap 1,000, marketing 60% = 600.
        (2_000, 1_000, 0, 3.0, 0.6, (3_000.0, 2_000, 1_000.0, 0.6, 600.0, None)),
        # 4 x (10,000 - 4,000) = 24,000 needed, 18,000 in hand: gap 6,000, 25% = 1,500.
        (18_000, 10_000, 4_000, 4.0, 0.25, (24_000.0, 18_000, 6_000.0, 0.25, 1_500.0, None)),
        # 2 x 1,000 = 2,000 needed, 5,000 in hand: no gap, nothing asked of marketing.
        (5_000, 1_000, 0, 2.0, 0.5, (2_000.0, 5_000, 0.0, 0.5, 0.0, None)),
        # Marketing sources everything: the whole gap, 3,000 - 1,000 = 2,000.
        (1_000, 1_000, 0, 3.0, 1.0, (3_000.0, 1_000, 2_000.0, 1.0, 2_000.0, None)),
        # Marketing sourced nothing lately: 0 of the 2,000 gap.
        (1_000, 1_000, 0, 3.0, 0.0, (3_000.0, 1_000, 2_000.0, 0.0, 0.0, None)),
        # No pipeline created lately: the gap is known, marketing's part is not.
        (
            1_000,
            1_000,
            0,
            3.0,
            None,
            (3_000.0, 1_000, 2_000.0, None, None, "no pipeline was created lately to share"),
        ),
    ],
)
def test_sourced_pipeline_needed(open_pipeline, target, won, required, share, expected):
    need = sourced_pipeline_needed(
        pipeline_coverage(open_pipeline, target, won), Ratio(required), share
    )
    got = (
        need.required_pipeline,
        need.in_hand,
        need.gap,
        need.sourced_share,
        need.sourced_needed,
        need.reason,
    )
    assert got == pytest.approx(expected)


def test_nothing_is_needed_without_a_required_coverage():
    need = sourced_pipeline_needed(
        pipeline_coverage(2_000, 1_000, 0), required_coverage(None, "FY2026"), 0.5
    )
    assert (need.required_pipeline, need.gap, need.sourced_needed) == (None, None, None)
    assert need.in_hand == 2_000
    assert need.reason == "no deals closed in FY2026"


@pytest.mark.parametrize(
    ("target", "won", "reason"),
    [
        (None, 0, "no bookings target is set for Q1 FY2028"),
        (1_000, 1_500, "the Q1 FY2028 target is already met ($1,500 won against $1,000)"),
    ],
)
def test_nothing_is_needed_without_a_target_left_to_win(target, won, reason):
    need = sourced_pipeline_needed(
        pipeline_coverage(2_000, target, won, "Q1 FY2028"), Ratio(3.0), 0.5
    )
    assert (need.required_pipeline, need.gap, need.sourced_needed) == (None, None, None)
    assert (need.in_hand, need.sourced_share) == (2_000, 0.5)
    assert need.reason == reason


@pytest.mark.parametrize("share", [-0.01, 1.5])
def test_a_sourced_share_outside_0_and_1_is_refused(share):
    with pytest.raises(ValueError, match=f"sourced share must be between 0 and 1, got {share}"):
        sourced_pipeline_needed(pipeline_coverage(1, 2, 0), Ratio(3.0), share)


# -- The pipeline waterfall ------------------------------------------------------------------
def version(
    opportunity_id: str,
    start: tuple[float, date, bool] | None,
    end: tuple[float, date, bool, bool] | None,
) -> dict[str, object]:
    """A version row: ``start`` is (amount, close date, closed), ``end`` adds won."""
    start_amount, start_close, start_closed = start if start else (None, None, None)
    end_amount, end_close, end_closed, end_won = end if end else (None, None, None, None)
    return {
        "opportunity_id": opportunity_id,
        "seen_at_start": start is not None,
        "start_amount_usd": start_amount,
        "start_close_date": start_close,
        "start_is_closed": start_closed,
        "end_amount_usd": end_amount,
        "end_close_date": end_close,
        "end_is_closed": end_closed,
        "end_is_won": end_won,
    }


OPEN, CLOSED, WON, LOST = False, True, True, False

# Q4 FY2027 (1 Nov 2026 - 31 Jan 2027). Each deal's path, and what it adds:
QUARTER_VERSIONS = pd.DataFrame(
    [
        # In at start at 100, open at end at 150: start 100, increased 50, end 150.
        version("grows", (100.0, date(2026, 12, 15), OPEN), (150.0, date(2027, 1, 10), OPEN, LOST)),
        # In at start at 200, won at 160: start 200, decreased 40, won 160.
        version(
            "shrinks_and_wins",
            (200.0, date(2026, 11, 20), OPEN),
            (160.0, date(2026, 11, 18), CLOSED, WON),
        ),
        # In at start at 80, lost at 80: start 80, lost 80.
        version("lost", (80.0, date(2026, 12, 1), OPEN), (80.0, date(2026, 12, 3), CLOSED, LOST)),
        # In at start at 120, moved to March (Q1 FY2028) at 130: start 120, pushed out 120
        # (its start amount: the 10 it grew by happened outside the window).
        version("pushed", (120.0, date(2027, 1, 20), OPEN), (130.0, date(2027, 3, 15), OPEN, LOST)),
        # Due in April at the start, January at the end, at 70: pulled in 70, end 70.
        version("pulled", (60.0, date(2027, 4, 10), OPEN), (70.0, date(2027, 1, 5), OPEN, LOST)),
        # No version before the window; won at 90: created 90, won 90.
        version("new_and_won", None, (90.0, date(2026, 12, 20), CLOSED, WON)),
        # Already lost before the window (its close date then in November, since corrected
        # to the October day it was lost): not open at the start, not in at the end.
        version(
            "closed_before",
            (40.0, date(2026, 11, 5), CLOSED),
            (40.0, date(2026, 10, 28), CLOSED, LOST),
        ),
        # Due in October at the start, in February at the end: never in the window.
        version("outside", (50.0, date(2026, 10, 15), OPEN), (55.0, date(2027, 2, 10), OPEN, LOST)),
    ]
)
# start 100 + 200 + 80 + 120 = 500; created 90; pulled in 70; pushed out 120; increased 50;
# decreased 40; won 160 + 90 = 250; lost 80; end 150 + 70 = 220.
# 500 + 90 + 70 - 120 + 50 - 40 - 250 - 80 = 220.
QUARTER_STEPS = {
    "open_at_start": 500.0,
    "created": 90.0,
    "pulled_in": 70.0,
    "pushed_out": 120.0,
    "increased": 50.0,
    "decreased": 40.0,
    "won": 250.0,
    "lost": 80.0,
    "open_at_end": 220.0,
}


def test_waterfall_of_a_quarter():
    flow = pipeline_waterfall(QUARTER_VERSIONS, *Q4)
    assert {step: getattr(flow, step) for step in WATERFALL_STEPS} == QUARTER_STEPS
    assert flow.imbalance == 0
    assert (flow.first_day, flow.last_day) == Q4


def test_waterfall_moves_per_opportunity():
    moves = pipeline_waterfall(QUARTER_VERSIONS, *Q4).moves.set_index("opportunity_id")
    assert moves["entry"].to_dict() == {
        "grows": "stayed",
        "shrinks_and_wins": "stayed",
        "lost": "stayed",
        "pushed": "pushed_out",
        "pulled": "pulled_in",
        "new_and_won": "created",
    }  # closed_before and outside are left out
    assert moves["outcome"].to_dict() == {
        "grows": "open_at_end",
        "shrinks_and_wins": "won",
        "lost": "lost",
        "pushed": "",
        "pulled": "open_at_end",
        "new_and_won": "won",
    }
    # Only deals in at both ends change in amount: +50 and -40.
    assert moves["change_usd"].to_dict() == {
        "grows": 50.0,
        "shrinks_and_wins": -40.0,
        "lost": 0.0,
        "pushed": 0.0,
        "pulled": 0.0,
        "new_and_won": 0.0,
    }
    assert math.isnan(moves.loc["new_and_won", "start_amount_usd"])  # no start version
    assert moves.loc["pushed", "start_amount_usd"] == 120.0
    assert moves.loc["pushed", "end_amount_usd"] == 130.0


def test_waterfall_steps_for_a_chart():
    steps = pipeline_waterfall(QUARTER_VERSIONS, *Q4).steps()
    assert steps["step"].tolist() == list(WATERFALL_STEPS)
    assert steps["label"].tolist() == [
        "Open at start",
        "Created",
        "Pulled in",
        "Pushed out",
        "Increased",
        "Decreased",
        "Won",
        "Lost",
        "Open at end",
    ]
    assert steps["amount_usd"].tolist() == [
        500.0,
        90.0,
        70.0,
        -120.0,
        50.0,
        -40.0,
        -250.0,
        -80.0,
        220.0,
    ]
    assert steps["is_total"].tolist() == [
        True,
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
    ]
    # The bars between the totals add up from the first total to the last.
    assert steps["amount_usd"].iloc[:-1].sum() == steps["amount_usd"].iloc[-1]
    assert set(steps.loc[steps["amount_usd"] < 0, "step"]) == WATERFALL_OUTFLOWS


def test_a_deal_closed_before_the_window_is_ignored_even_with_a_close_date_in_it():
    # Lost in October, before the window opened, with its planned close date (15 December)
    # left as it was: at both ends it is the same closed deal, so nothing moved in Q4.
    before = pd.DataFrame(
        [
            version(
                "grows", (100.0, date(2026, 12, 15), OPEN), (150.0, date(2027, 1, 10), OPEN, LOST)
            ),
            version(
                "lost_in_october",
                (40.0, date(2026, 12, 15), CLOSED),
                (40.0, date(2026, 12, 15), CLOSED, LOST),
            ),
        ]
    )
    flow = pipeline_waterfall(before, *Q4)
    assert flow.open_at_start == 100.0
    assert flow.imbalance == 0
    # Counting it would also count a loss from October in Q4's lost.
    assert (flow.pulled_in, flow.lost) == (0.0, 0.0), "a deal closed before the window moved in it"


def test_a_deal_with_no_version_at_the_end_is_pushed_out():
    versions = pd.DataFrame([version("deleted", (100.0, date(2026, 12, 1), OPEN), None)])
    flow = pipeline_waterfall(versions, *Q4)
    assert (flow.open_at_start, flow.pushed_out, flow.open_at_end) == (100.0, 100.0, 0.0)
    assert flow.moves["entry"].tolist() == ["pushed_out"]


def test_a_waterfall_of_nothing_is_zero():
    flow = pipeline_waterfall(pd.DataFrame(columns=list(VERSION_COLUMNS)), *Q4)
    assert all(getattr(flow, step) == 0 for step in WATERFALL_STEPS)
    assert flow.moves.empty


def test_a_one_day_window_is_allowed():
    day = date(2026, 12, 15)
    flow = pipeline_waterfall(QUARTER_VERSIONS, day, day)
    # Only "grows" is due on 15 December at the start; it is due on 10 January at the end.
    assert (flow.open_at_start, flow.pushed_out, flow.open_at_end) == (100.0, 100.0, 0.0)


def test_the_waterfall_does_not_modify_its_input():
    before = QUARTER_VERSIONS.copy(deep=True)
    pipeline_waterfall(QUARTER_VERSIONS, *Q4)
    pd.testing.assert_frame_equal(QUARTER_VERSIONS, before)


@pytest.mark.parametrize(
    ("dropped", "message"),
    [
        (["end_is_won"], "missing end_is_won$"),
        (["seen_at_start", "start_amount_usd"], "missing seen_at_start, start_amount_usd$"),
    ],
)
def test_versions_without_a_column_are_refused(dropped, message):
    with pytest.raises(
        ValueError, match="opportunity versions need columns opportunity_id, "
    ) as refused:
        pipeline_waterfall(QUARTER_VERSIONS.drop(columns=dropped), *Q4)
    assert refused.match(message)


def test_a_window_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="last_day 2026-10-31 is before first_day 2026-11-01"):
        pipeline_waterfall(QUARTER_VERSIONS, date(2026, 11, 1), date(2026, 10, 31))


# Close dates before, on the edges of, inside and after Q4 FY2027, or none.
close_dates = st.one_of(
    st.none(),
    st.sampled_from([date(2026, 10, 31), date(2026, 11, 1), date(2027, 1, 31), date(2027, 2, 1)]),
    st.dates(min_value=date(2026, 8, 1), max_value=date(2027, 5, 31)),
)
amounts = st.one_of(st.none(), st.floats(min_value=0, max_value=1e8, allow_nan=False))
flags = st.one_of(st.none(), st.booleans())
version_rows = st.fixed_dictionaries(
    {
        "opportunity_id": st.text(min_size=1, max_size=4),
        "seen_at_start": st.booleans(),
        "start_amount_usd": amounts,
        "start_close_date": close_dates,
        "start_is_closed": flags,
        "end_amount_usd": amounts,
        "end_close_date": close_dates,
        "end_is_closed": flags,
        "end_is_won": flags,
    }
)


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(version_rows, max_size=25))
def test_every_waterfall_balances(rows):
    versions = pd.DataFrame(rows, columns=list(VERSION_COLUMNS))
    before = versions.copy(deep=True)
    flow = pipeline_waterfall(versions, *Q4)
    total = sum(row[name] or 0.0 for row in rows for name in ("start_amount_usd", "end_amount_usd"))
    assert abs(flow.imbalance) < 1e-6 * (1 + total)
    assert all(getattr(flow, step) >= 0 for step in WATERFALL_STEPS)
    assert set(flow.moves["entry"]) <= {"created", "pulled_in", "pushed_out", "stayed"}
    pd.testing.assert_frame_equal(versions, before)


# -- Stage conversions -----------------------------------------------------------------------
def stage_rows(
    entered: list[int], advanced: list[int], median_days: list[float], **extra: object
) -> list[dict]:
    return [
        {"stage": stage, "entered": came, "advanced": went, "median_days": days, **extra}
        for stage, came, went, days in zip(
            FUNNEL_STAGES, entered, advanced, median_days, strict=False
        )
    ]


# 1,000 leads, 300 to MQL (30%), 120 of them to SQL (40%), 40 to an opportunity (1/3), 10 won
# (25%).
OVERALL = pd.DataFrame(
    stage_rows([1_000, 300, 120, 40, 10], [300, 120, 40, 10, 0], [12.0, 3.5, 14.0, 45.0, math.nan])
)


def test_stage_conversions_overall():
    conversions = stage_conversions(OVERALL)
    assert len(conversions) == 1
    row = conversions.iloc[0]
    assert [row[f"{stage}_count"] for stage in FUNNEL_STAGES] == [1_000, 300, 120, 40, 10]
    assert [row[f"{stage}_conversion"] for stage in FUNNEL_STAGES[:-1]] == pytest.approx(
        [0.3, 0.4, 1 / 3, 0.25]
    )
    assert [row[f"{stage}_median_days"] for stage in FUNNEL_STAGES[:-1]] == [12.0, 3.5, 14.0, 45.0]
    # The last stage has nothing to convert to; no group column, no maturing flags.
    assert "customer_conversion" not in conversions.columns
    assert "customer_median_days" not in conversions.columns
    assert not any(column.endswith("_maturing") for column in conversions.columns)
    assert "_group" not in conversions.columns


def test_stage_conversions_by_channel():
    counts = pd.DataFrame(
        # Webinars: 200 leads, 50 MQLs (25%), 10 SQLs (20%), 5 opportunities (50%), 1 won.
        stage_rows(
            [200, 50, 10, 5, 1],
            [50, 10, 5, 1, 0],
            [10.0, 2.0, 20.0, 60.0, math.nan],
            channel="webinar",
        )
        # Paid search: 400 leads, 100 MQLs (25%), no SQL row at all: 0 SQLs from 100 MQLs.
        + stage_rows([400, 100], [100, 0], [5.0, math.nan], channel="paid_search")
    )
    conversions = stage_conversions(counts, group_column="channel").set_index("channel")
    assert conversions.index.tolist() == ["paid_search", "webinar"]  # sorted
    webinar, paid = conversions.loc["webinar"], conversions.loc["paid_search"]
    assert [webinar[f"{stage}_conversion"] for stage in FUNNEL_STAGES[:-1]] == pytest.approx(
        [0.25, 0.2, 0.5, 0.2]
    )
    assert (paid["lead_conversion"], paid["mql_conversion"]) == (0.25, 0.0)
    # Nobody reached SQL or later: nothing to convert, not a 0% conversion.
    assert [paid[f"{stage}_count"] for stage in FUNNEL_STAGES] == [400, 100, 0, 0, 0]
    assert math.isnan(paid["sql_conversion"]) and math.isnan(paid["opportunity_conversion"])
    assert math.isnan(paid["sql_median_days"])


AS_OF = pd.Timestamp("2026-10-15")
TYPICAL = {"lead": 30.0, "mql": 10.0, "sql": 15.0, "opportunity": 90.0}


def test_young_cohorts_are_flagged_as_maturing():
    counts = pd.DataFrame(
        stage_rows(
            [100, 40, 20, 10, 2],
            [40, 20, 10, 2, 0],
            [9.0, 4.0, 7.0, 50.0, math.nan],
            month=pd.Timestamp("2026-01-01"),
        )
        + stage_rows(
            [100, 30, 10, 4, 0],
            [30, 10, 4, 0, 0],
            [8.0, 3.0, 6.0, math.nan, math.nan],
            month=pd.Timestamp("2026-09-01"),
        )
    )
    conversions = stage_conversions(counts, "month", maturing_before=AS_OF, typical_days=TYPICAL)
    january, september = conversions.iloc[0], conversions.iloc[1]
    assert (january["month"], september["month"]) == (
        pd.Timestamp("2026-01-01"),
        pd.Timestamp("2026-09-01"),
    )
    # January ends on 31 Jan; + 90 days = 1 May, long before 15 October: nothing maturing.
    assert [january[f"{stage}_maturing"] for stage in FUNNEL_STAGES[:-1]] == [False] * 4
    # September ends on 30 Sep: lead + 30 = 30 Oct (after: maturing), MQL + 10 = 10 Oct
    # (before: mature), SQL + 15 = 15 Oct (not after the as-of day: mature), opportunity + 90 =
    # 29 Dec (maturing).
    assert [september[f"{stage}_maturing"] for stage in FUNNEL_STAGES[:-1]] == [
        True,
        False,
        False,
        True,
    ]
    assert "customer_maturing" not in conversions.columns
    assert september["lead_conversion"] == pytest.approx(0.3)
    assert september["opportunity_conversion"] == 0.0


def test_a_stage_without_a_typical_time_matures_at_the_month_end():
    counts = pd.DataFrame(stage_rows([10, 5], [5, 1], [3.0, 2.0], month=pd.Timestamp("2026-10-01")))
    conversions = stage_conversions(counts, "month", maturing_before=AS_OF, typical_days={})
    # October ends on 31 October, after 15 October: still maturing even with no wait.
    assert bool(conversions.iloc[0]["lead_maturing"])


def test_a_stage_nobody_entered_has_no_conversion():
    counts = pd.DataFrame(stage_rows([100, 0, 0], [0, 0, 0], [math.nan] * 3))
    row = stage_conversions(counts).iloc[0]
    assert row["lead_conversion"] == 0.0  # 0 of 100: a real zero
    assert math.isnan(row["mql_conversion"])  # 0 of 0: undefined
    assert row["customer_count"] == 0


def test_unknown_stages_are_refused():
    counts = pd.concat([OVERALL, pd.DataFrame(stage_rows([5], [1], [1.0]))])
    counts.loc[counts.index[-1], "stage"] = "marketing_lead"
    with pytest.raises(
        ValueError,
        match="unknown funnel stage marketing_lead; stages are lead, mql, sql, opportunity, customer",
    ):
        stage_conversions(counts)


def test_more_advancing_than_entering_is_refused():
    counts = OVERALL.copy()
    counts.loc[1, "advanced"] = 301
    with pytest.raises(ValueError, match="more leads advancing than entering"):
        stage_conversions(counts)


@pytest.mark.parametrize(
    ("columns", "group_column", "message"),
    [
        (["stage", "entered", "advanced"], None, "stage counts need columns median_days$"),
        (
            ["stage", "entered", "median_days"],
            "month",
            "stage counts need columns advanced, month$",
        ),
    ],
)
def test_counts_without_a_column_are_refused(columns, group_column, message):
    with pytest.raises(ValueError, match=message):
        stage_conversions(OVERALL[columns], group_column)


def test_stage_conversions_do_not_modify_their_input():
    before = OVERALL.copy(deep=True)
    stage_conversions(OVERALL)
    stage_conversions(OVERALL.assign(month=pd.Timestamp("2026-09-01")), "month", AS_OF, TYPICAL)
    pd.testing.assert_frame_equal(OVERALL, before)


@st.composite
def funnels(draw: st.DrawFn) -> pd.DataFrame:
    rows = []
    for channel in draw(
        st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True)
    ):
        for stage in draw(st.lists(st.sampled_from(FUNNEL_STAGES), min_size=1, unique=True)):
            entered = draw(st.integers(min_value=0, max_value=10_000))
            advanced = draw(st.integers(min_value=0, max_value=entered))
            rows.append(
                {
                    "stage": stage,
                    "entered": entered,
                    "advanced": advanced,
                    "median_days": 1.0,
                    "channel": channel,
                }
            )
    return pd.DataFrame(rows)


@settings(max_examples=80, deadline=None)
@given(counts=funnels())
def test_conversions_stay_between_0_and_1(counts):
    conversions = stage_conversions(counts, "channel")
    assert len(conversions) == counts["channel"].nunique()
    for stage in FUNNEL_STAGES[:-1]:
        values = conversions[f"{stage}_conversion"].dropna()
        assert ((values >= 0) & (values <= 1)).all()
        # Undefined exactly when nobody entered the stage.
        assert (
            conversions[f"{stage}_conversion"].isna() == (conversions[f"{stage}_count"] == 0)
        ).all()


# -- Funnel volumes --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("entered", "counts", "shares"),
    [
        # 1,000 -> 300 (30%) -> 120 (40%) -> 40 (1/3) -> 10 (25%).
        (
            {"lead": 1_000, "mql": 300, "sql": 120, "opportunity": 40, "customer": 10},
            [1_000, 300, 120, 40, 10],
            [math.nan, 0.3, 0.4, 1 / 3, 0.25],
        ),
        # No SQL row: 0 SQLs, 0% of MQLs; nothing to share after it.
        ({"lead": 200, "mql": 50}, [200, 50, 0, 0, 0], [math.nan, 0.25, 0.0, math.nan, math.nan]),
        # Given out of order; a zero stage in the middle: 0% of leads, then undefined, and the
        # 5 opportunities after 0 SQLs (a window's volumes need not nest) have no share either.
        (
            {"opportunity": 5, "lead": 80, "sql": 0},
            [80, 0, 0, 5, 0],
            [math.nan, 0.0, math.nan, math.nan, 0.0],
        ),
        ({}, [0, 0, 0, 0, 0], [math.nan] * 5),  # nothing at all
    ],
)
def test_funnel_volumes(entered, counts, shares):
    frame = pd.DataFrame({"stage": list(entered), "entered": list(entered.values())})
    volumes = funnel_volumes(frame)
    assert volumes["stage"].tolist() == list(FUNNEL_STAGES)
    assert volumes["label"].tolist() == ["Lead", "MQL", "SQL", "Opportunity", "Won"]
    assert volumes["count"].tolist() == counts
    assert volumes["share_of_previous"].tolist() == pytest.approx(shares, nan_ok=True)


# -- SLA -------------------------------------------------------------------------------------
def sla_counts(**changes: float | int | None) -> dict[str, float | int | None]:
    counts: dict[str, float | int | None] = {
        "mqls": 10,
        "worked": 8,
        "worked_within": 6,
        "pending": 1,
        "accepted": 4,
        "recycled": 2,
        "median_hours_to_work": 20.0,
    }
    return {**counts, **changes}


@pytest.mark.parametrize(
    ("counts", "within", "acceptance", "recycled"),
    [
        # 6 worked within 48h of the 10 - 1 pending = 9 judged; 4 / 10 accepted; 2 / 10 recycled.
        (sla_counts(), 6 / 9, 0.4, 0.2),
        # Nothing pending: 6 of all 10.
        (sla_counts(pending=0), 0.6, 0.4, 0.2),
        # The pending MQLs would have counted as misses: 6 / (10 - 2) = 0.75, not 6 / 10.
        (sla_counts(pending=2), 0.75, 0.4, 0.2),
        # Everything worked in time: 8 / (10 - 2) = 1.
        (sla_counts(worked_within=8, pending=2), 1.0, 0.4, 0.2),
        # Missing counts are zeros: nothing worked of 10 judged.
        ({"mqls": 10}, 0.0, 0.0, 0.0),
    ],
)
def test_sla_summary(counts, within, acceptance, recycled):
    summary = sla_summary(counts, 48)
    assert summary.within_sla.value == pytest.approx(within)
    assert summary.acceptance.value == pytest.approx(acceptance)
    assert summary.recycled_share.value == pytest.approx(recycled)
    assert summary.window_hours == 48


def test_sla_summary_keeps_the_counts():
    assert sla_summary(sla_counts(), 24) == SlaSummary(
        mqls=10,
        worked=8,
        worked_within=6,
        pending=1,
        accepted=4,
        recycled=2,
        median_hours_to_work=20.0,
        window_hours=24,
    )


def test_an_sla_with_every_mql_pending_is_undefined():
    summary = sla_summary(sla_counts(worked=0, worked_within=0, pending=10), 48)
    assert summary.within_sla == Ratio(None, "no MQL whose follow-up window has passed")
    assert summary.acceptance.value == pytest.approx(0.4)


def test_an_sla_without_mqls_is_undefined():
    summary = sla_summary({"mqls": 0, "median_hours_to_work": None}, 48)
    assert summary.within_sla == Ratio(None, "no MQL whose follow-up window has passed")
    assert summary.acceptance == Ratio(None, "no MQLs")
    assert summary.recycled_share == Ratio(None, "no MQLs")


@pytest.mark.parametrize(
    ("median", "expected"), [(None, None), (math.nan, None), (np.nan, None), (12, 12.0), (0.5, 0.5)]
)
def test_sla_median_hours(median, expected):
    assert sla_summary(sla_counts(median_hours_to_work=median), 48).median_hours_to_work == expected
    assert (
        sla_summary(
            {k: v for k, v in sla_counts().items() if k != "median_hours_to_work"}, 48
        ).median_hours_to_work
        is None
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"worked_within": 9}, "worked within the window <= worked <= MQLs, got 9, 8 and 10"),
        ({"worked": 11}, "worked within the window <= worked <= MQLs, got 6, 11 and 10"),
        ({"mqls": 0}, "worked within the window <= worked <= MQLs, got 6, 8 and 0"),
    ],
)
def test_inconsistent_sla_counts_are_refused(changes, message):
    with pytest.raises(ValueError, match=f"SLA counts are inconsistent: {message}"):
        sla_summary(sla_counts(**changes), 48)


@pytest.mark.parametrize(
    "changes",
    [
        {"pending": 5},  # 8 worked + 5 pending of 10 MQLs: within 6 / (10 - 5) = 120%
        {"accepted": 12},  # 12 SQLs from 10 MQLs: acceptance 120%
        {"recycled": 11},  # 11 of 10 MQLs recycled
    ],
)
def test_sla_counts_beyond_the_mqls_are_refused(changes):
    with pytest.raises(ValueError, match="SLA counts are inconsistent"):
        sla_summary(sla_counts(**changes), 48)


@pytest.mark.parametrize("window_hours", [0, -48])
def test_an_sla_window_under_an_hour_is_refused(window_hours):
    with pytest.raises(
        ValueError, match=f"the SLA window must be at least one hour, got {window_hours}"
    ):
        sla_summary(sla_counts(), window_hours)


# -- Win rates by channel --------------------------------------------------------------------
CLOSED_BY_CHANNEL = pd.DataFrame(
    {
        "channel": ["webinar", "paid_search", "events", "partner"],
        "won_count": [1, 3, 0, 2],
        "lost_count": [3, 1, 0, 2],
        "won_usd": [100.0, 900.0, 0.0, 100.0],
        "lost_usd": [100.0, 100.0, 0.0, 300.0],
        "median_cycle_days": [40.0, 65.0, math.nan, 30.0],
    }
)


def test_win_rates_by_channel():
    rates = win_rates_by_channel(CLOSED_BY_CHANNEL)
    # Won amount, largest first; partner and webinar tie at 100 and go by name.
    assert rates["channel"].tolist() == ["paid_search", "partner", "webinar", "events"]
    rates = rates.set_index("channel")
    assert rates["closed_count"].to_dict() == {
        "paid_search": 4,
        "partner": 4,
        "webinar": 4,
        "events": 0,
    }
    # By amount: 900 / 1,000, 100 / 400, 100 / 200. By count: 3 / 4, 2 / 4, 1 / 4.
    assert rates.loc[
        ["paid_search", "partner", "webinar"], "win_rate_amount"
    ].tolist() == pytest.approx([0.9, 0.25, 0.5])
    assert rates.loc[
        ["paid_search", "partner", "webinar"], "win_rate_count"
    ].tolist() == pytest.approx([0.75, 0.5, 0.25])
    # Events closed nothing: no win rate, not 0%.
    assert math.isnan(rates.loc["events", "win_rate_amount"])
    assert math.isnan(rates.loc["events", "win_rate_count"])
    assert rates.loc["paid_search", "median_cycle_days"] == 65.0


def test_zero_amount_deals_have_a_rate_by_count_only():
    closed = CLOSED_BY_CHANNEL.iloc[:1].assign(won_usd=0.0, lost_usd=0.0)
    rates = win_rates_by_channel(closed)
    assert math.isnan(rates["win_rate_amount"].iloc[0])
    assert rates["win_rate_count"].iloc[0] == 0.25


def test_win_rates_do_not_modify_their_input():
    before = CLOSED_BY_CHANNEL.copy(deep=True)
    win_rates_by_channel(CLOSED_BY_CHANNEL)
    pd.testing.assert_frame_equal(CLOSED_BY_CHANNEL, before)


def test_closed_deals_without_a_column_are_refused():
    with pytest.raises(
        ValueError, match=r"closed deals by channel need columns lost_usd, won_count$"
    ):
        win_rates_by_channel(CLOSED_BY_CHANNEL.drop(columns=["won_count", "lost_usd"]))


# -- Helpers ---------------------------------------------------------------------------------
def test_typical_days():
    counts = pd.DataFrame({"stage": ["lead", "mql", "sql"], "p80_days": [30.0, None, 12.5]})
    assert typical_days(counts) == {"lead": 30.0, "sql": 12.5}  # no days for MQL: left out
    assert typical_days(counts, "p90_days") == {}
    assert typical_days(pd.DataFrame()) == {}


def test_a_negative_target_is_refused():
    with pytest.raises(ValueError, match="a bookings target must not be negative, got -1000"):
        pipeline_coverage(100.0, -1000.0, 0.0)
