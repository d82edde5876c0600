"""Attribution, the Wilson interval, the campaign scorecard, trends and what's working.

Expected numbers are worked out by hand in the comments.
"""

from __future__ import annotations

import doctest
import math
from datetime import date
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.campaigns
from core.campaigns import (
    ATTRIBUTION_MODELS,
    CREDIT_COLUMNS,
    NO_TOUCH,
    OPPORTUNITY_COLUMNS,
    SCORECARD_INPUT_COLUMNS,
    TOUCH_COLUMNS,
    UNKNOWN_CAMPAIGN,
    attribute,
    reconciles,
    scorecard,
    wilson_interval,
    with_trend,
    working_and_not,
)


def test_docstring_examples_hold():
    failures, tried = doctest.testmod(core.campaigns)
    assert tried > 0 and failures == 0


# -- Fixture: six opportunities ---------------------------------------------------------------
# A: 4 touches of 3 campaigns, 21, 14, 7 and 0 days before creation; the lead was created an
#    hour after the third touch, so the third is the lead-creation touch.
# B: a single touch.           C: two touches, lead creation unknown (-> the last touch).
# D: no touch at all.          E: one touch before creation, one after it (ignored).
# F: 3 touches; the lead was created right after the first, which is also the lead touch.
OPPORTUNITIES = pd.DataFrame(
    {
        "opportunity_id": ["A", "B", "C", "D", "E", "F"],
        "created_at": pd.to_datetime(
            [
                "2026-11-29 12:00",
                "2026-11-20 09:00",
                "2026-11-25 08:00",
                "2026-11-26 14:00",
                "2026-11-10 16:00",
                "2026-11-28 10:00",
            ]
        ),
        "lead_created_at": pd.to_datetime(
            ["2026-11-22 13:00", None, None, None, "2026-11-01 09:00", "2026-11-02 10:00"]
        ),
        "amount_usd": [12_000.0, 5_000.0, 3_000.0, 2_000.0, 1_000.0, 6_500.0],
        "is_won": [True, False, True, False, False, True],
        "won_usd": [12_000.0, 0.0, 3_000.0, 0.0, 0.0, 6_500.0],
    }
)
CHANNELS = {"webinar": "events", "ebook": "content", "search": "paid_search", "social": "social"}
_TOUCHES = [
    ("A", "a1", "2026-11-08 12:00", "webinar"),  # 21 days before creation: first
    ("A", "a2", "2026-11-15 12:00", "ebook"),  # 14 days: the middle one
    ("A", "a3", "2026-11-22 12:00", "search"),  # 7 days: lead creation (lead at 13:00)
    ("A", "a4", "2026-11-29 12:00", "ebook"),  # 0 days: the last, at creation itself
    ("B", "b1", "2026-11-10 09:00", "search"),
    ("C", "c1", "2026-11-18 08:00", "webinar"),  # 7 days before creation
    ("C", "c2", "2026-11-25 08:00", "social"),  # 0 days before creation
    ("E", "e1", "2026-11-03 16:00", "ebook"),  # 7 days before creation
    ("E", "e2", "2026-11-12 16:00", "webinar"),  # two days AFTER creation: ignored
    ("F", "f1", "2026-10-31 10:00", "social"),  # 28 days before; the lead came 2 days later
    ("F", "f2", "2026-11-14 10:00", "webinar"),  # 14 days before
    ("F", "f3", "2026-11-21 10:00", "search"),  # 7 days before
]
TOUCHES = pd.DataFrame(
    {
        "opportunity_id": [row[0] for row in _TOUCHES],
        "touch_id": [row[1] for row in _TOUCHES],
        "touched_at": pd.to_datetime([row[2] for row in _TOUCHES]),
        "campaign_id": [row[3] for row in _TOUCHES],
        "channel": [CHANNELS[row[3]] for row in _TOUCHES],
    }
)
# B, D and E are the same under every model: B's one touch, nothing, E's one touch before.
ALWAYS = {("B", "search"): 1.0, ("D", NO_TOUCH): 1.0, ("E", "ebook"): 1.0}
EXPECTED_CREDITS = {
    "first_touch": {
        ("A", "webinar"): 1.0,
        ("C", "webinar"): 1.0,
        ("F", "social"): 1.0,
    },
    "last_touch": {
        ("A", "ebook"): 1.0,
        ("C", "social"): 1.0,
        ("F", "search"): 1.0,
    },
    "linear": {
        # A: 1/4 each; ebook has two of the four touches.
        ("A", "webinar"): 0.25,
        ("A", "ebook"): 0.5,
        ("A", "search"): 0.25,
        ("C", "webinar"): 0.5,
        ("C", "social"): 0.5,
        ("F", "social"): 1 / 3,
        ("F", "webinar"): 1 / 3,
        ("F", "search"): 1 / 3,
    },
    "u_shaped": {
        # A: first a1 0.4, lead-creation a3 0.4, the rest (a2, a4) 0.2 / 2 = 0.1 each.
        ("A", "webinar"): 0.4,
        ("A", "ebook"): 0.1 + 0.1,
        ("A", "search"): 0.4,
        # C: first c1 0.4, lead touch = last c2 0.4, no rest: 0.4 / 0.8 each.
        ("C", "webinar"): 0.5,
        ("C", "social"): 0.5,
        # F: f1 is first and lead touch, 0.4 + 0.4; the rest (f2, f3) 0.1 each.
        ("F", "social"): 0.8,
        ("F", "webinar"): 0.1,
        ("F", "search"): 0.1,
    },
    "w_shaped": {
        # A: first a1 0.3, lead a3 0.3, opportunity creation a4 0.3, the rest (a2) 0.1.
        ("A", "webinar"): 0.3,
        ("A", "ebook"): 0.1 + 0.3,
        ("A", "search"): 0.3,
        # C: first c1 0.3, c2 is lead touch and last, 0.3 + 0.3; no rest: / 0.9.
        ("C", "webinar"): 0.3 / 0.9,
        ("C", "social"): 0.6 / 0.9,
        # F: f1 first and lead 0.3 + 0.3, last f3 0.3, the rest (f2) 0.1.
        ("F", "social"): 0.6,
        ("F", "webinar"): 0.1,
        ("F", "search"): 0.3,
    },
    "time_decay": {
        # A: 21, 14, 7, 0 days with a 7-day half-life weigh 1/8, 1/4, 1/2, 1 (sum 15/8):
        # 1/15, 2/15, 4/15, 8/15; ebook holds a2 and a4: 2/15 + 8/15 = 2/3.
        ("A", "webinar"): 1 / 15,
        ("A", "ebook"): 10 / 15,
        ("A", "search"): 4 / 15,
        # C: 7 and 0 days weigh 1/2 and 1: 1/3 and 2/3.
        ("C", "webinar"): 1 / 3,
        ("C", "social"): 2 / 3,
        # F: 28, 14, 7 days weigh 1/16, 1/4, 1/2 (sum 13/16): 1/13, 4/13, 8/13.
        ("F", "social"): 1 / 13,
        ("F", "webinar"): 4 / 13,
        ("F", "search"): 8 / 13,
    },
}


def credits_by_campaign(credits: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {(row.opportunity_id, row.campaign_id): row.credit for row in credits.itertuples()}


def test_every_model_has_hand_computed_credits():
    assert set(EXPECTED_CREDITS) == set(ATTRIBUTION_MODELS)


@pytest.mark.parametrize("model", ATTRIBUTION_MODELS)
def test_attribution_credits_by_hand(model):
    credits = attribute(OPPORTUNITIES, TOUCHES, model)
    expected = {**EXPECTED_CREDITS[model], **ALWAYS}
    found = credits_by_campaign(credits)
    assert set(found) == set(expected)
    for key, credit in expected.items():
        assert found[key] == pytest.approx(credit, abs=1e-12), key
    assert list(credits.columns) == list(CREDIT_COLUMNS)


@pytest.mark.parametrize("model", ATTRIBUTION_MODELS)
def test_attributed_dollars_are_the_credit_times_the_amounts(model):
    credits = attribute(OPPORTUNITIES, TOUCHES, model)
    amounts = OPPORTUNITIES.set_index("opportunity_id")
    expected_pipeline = credits["credit"] * credits["opportunity_id"].map(amounts["amount_usd"])
    expected_bookings = credits["credit"] * credits["opportunity_id"].map(amounts["won_usd"])
    assert credits["pipeline_usd"].to_numpy() == pytest.approx(expected_pipeline.to_numpy())
    assert credits["bookings_usd"].to_numpy() == pytest.approx(expected_bookings.to_numpy())
    # The totals reconcile with the CRM's: 29,500 created, 21,500 won.
    assert credits["pipeline_usd"].sum() == pytest.approx(29_500.0)
    assert credits["bookings_usd"].sum() == pytest.approx(21_500.0)
    assert reconciles(credits, OPPORTUNITIES)


def test_w_shaped_dollars_for_the_four_touch_opportunity():
    credits = attribute(OPPORTUNITIES, TOUCHES, "w_shaped")
    a = credits.loc[credits["opportunity_id"] == "A"].set_index("campaign_id")
    # ebook 0.4 x 12,000 = 4,800; webinar and search 0.3 x 12,000 = 3,600.
    assert a["pipeline_usd"].to_dict() == pytest.approx(
        {"ebook": 4_800.0, "search": 3_600.0, "webinar": 3_600.0}
    )
    assert a["channel"].to_dict() == {
        "ebook": "content",
        "search": "paid_search",
        "webinar": "events",
    }


def test_touches_of_one_campaign_merge_into_one_row():
    credits = attribute(OPPORTUNITIES, TOUCHES, "linear")
    assert not credits.duplicated(["opportunity_id", "campaign_id", "channel"]).any()
    assert len(credits.loc[credits["opportunity_id"] == "A"]) == 3  # 4 touches, 3 campaigns


def test_an_opportunity_without_touches_is_credited_to_no_touch():
    credits = attribute(OPPORTUNITIES, TOUCHES.iloc[:0], "linear")
    assert credits["campaign_id"].tolist() == [NO_TOUCH] * 6
    assert credits["channel"].tolist() == [NO_TOUCH] * 6
    assert credits["credit"].tolist() == [1.0] * 6
    assert credits["pipeline_usd"].tolist() == OPPORTUNITIES["amount_usd"].tolist()


def test_no_opportunities_give_an_empty_frame_with_the_columns():
    credits = attribute(OPPORTUNITIES.iloc[:0], TOUCHES, "u_shaped")
    assert credits.empty
    assert list(credits.columns) == list(CREDIT_COLUMNS)


@pytest.mark.parametrize(
    ("half_life_days", "expected"),
    [
        (7.0, (2 / 3, 1 / 3)),  # 0 and 7 days: weights 1 and 1/2
        (3.5, (0.8, 0.2)),  # 7 days are two half-lives: 1 and 1/4 -> 4/5, 1/5
        (14.0, (1 / (1 + 2**-0.5), 2**-0.5 / (1 + 2**-0.5))),  # half a half-life: 1, 0.7071
    ],
)
def test_time_decay_by_hand(half_life_days, expected):
    credits = attribute(
        OPPORTUNITIES.loc[OPPORTUNITIES["opportunity_id"] == "C"],
        TOUCHES,
        "time_decay",
        half_life_days,
    ).set_index("campaign_id")
    assert credits.loc["social", "credit"] == pytest.approx(expected[0], abs=1e-12)  # 0 days
    assert credits.loc["webinar", "credit"] == pytest.approx(expected[1], abs=1e-12)  # 7 days


def test_time_decay_keeps_a_share_for_very_old_touches():
    # 2,000 days at a 1-day half-life weighs 2^-2000, which underflows: shares are taken
    # relative to the newest touch, so the opportunity still gets all its credit.
    opportunity = OPPORTUNITIES.iloc[[1]]
    touches = pd.DataFrame(
        {
            "opportunity_id": ["B", "B"],
            "touch_id": ["old", "older"],
            "touched_at": pd.to_datetime(["2021-05-29 09:00", "2021-05-01 09:00"]),
            "campaign_id": ["ebook", "webinar"],
            "channel": ["content", "events"],
        }
    )
    credits = attribute(opportunity, touches, "time_decay", half_life_days=1.0)
    assert credits["credit"].sum() == pytest.approx(1.0)
    assert credits_by_campaign(credits)[("B", "ebook")] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "created_at",
    [
        [date(2026, 11, 20)],  # a date
        pd.to_datetime(["2026-11-20"]),  # the same date read into a timestamp column
        ["2026-11-20"],  # or as text
    ],
)
def test_a_creation_date_includes_that_days_touches(created_at):
    opportunity = pd.DataFrame(
        {
            "opportunity_id": ["o1"],
            "created_at": created_at,
            "lead_created_at": [pd.NaT],
            "amount_usd": [100.0],
            "won_usd": [0.0],
        }
    )
    touches = pd.DataFrame(
        {
            "opportunity_id": ["o1", "o1", "o1"],
            "touch_id": ["t1", "t2", "t3"],
            "touched_at": pd.to_datetime(
                ["2026-11-13 18:00", "2026-11-20 18:00", "2026-11-21 00:00"]
            ),
            "campaign_id": ["ebook", "webinar", "search"],
            "channel": ["content", "events", "paid_search"],
        }
    )
    credits = attribute(opportunity, touches, "last_touch")
    # 18:00 on the creation day counts; midnight after it is the next day and does not.
    assert credits_by_campaign(credits) == {("o1", "webinar"): 1.0}
    # Ages count from the end of the day: 6 hours and 7 days 6 hours (1 and 1/2 at a 7-day
    # half-life): 2/3 and 1/3.
    decayed = credits_by_campaign(attribute(opportunity, touches, "time_decay"))
    assert decayed == pytest.approx({("o1", "webinar"): 2 / 3, ("o1", "ebook"): 1 / 3})


def test_a_touch_at_the_creation_instant_counts_and_one_after_it_does_not():
    opportunity = OPPORTUNITIES.iloc[[1]]  # B, created 2026-11-20 09:00
    touches = pd.DataFrame(
        {
            "opportunity_id": ["B", "B"],
            "touch_id": ["at", "after"],
            "touched_at": pd.to_datetime(["2026-11-20 09:00", "2026-11-20 09:01"]),
            "campaign_id": ["ebook", "webinar"],
            "channel": ["content", "events"],
        }
    )
    assert credits_by_campaign(attribute(opportunity, touches, "last_touch")) == {
        ("B", "ebook"): 1.0
    }


def test_touches_at_the_same_time_are_ordered_by_touch_id():
    opportunity = OPPORTUNITIES.iloc[[1]]
    touches = pd.DataFrame(
        {
            "opportunity_id": ["B", "B"],
            "touch_id": ["t2", "t1"],
            "touched_at": pd.to_datetime(["2026-11-10 09:00", "2026-11-10 09:00"]),
            "campaign_id": ["webinar", "ebook"],
            "channel": ["events", "content"],
        }
    )
    assert credits_by_campaign(attribute(opportunity, touches, "first_touch")) == {
        ("B", "ebook"): 1.0
    }
    assert credits_by_campaign(attribute(opportunity, touches, "last_touch")) == {
        ("B", "webinar"): 1.0
    }


def test_a_touch_listed_twice_counts_once():
    doubled = pd.concat([TOUCHES, TOUCHES.iloc[[1]]], ignore_index=True)  # a2 twice
    assert credits_by_campaign(attribute(OPPORTUNITIES, doubled, "linear")) == pytest.approx(
        credits_by_campaign(attribute(OPPORTUNITIES, TOUCHES, "linear"))
    )


def test_touches_of_unknown_opportunities_and_without_a_campaign():
    touches = pd.concat(
        [
            TOUCHES,
            pd.DataFrame(
                {
                    "opportunity_id": ["Z", "D"],
                    "touch_id": ["z1", "d1"],
                    "touched_at": pd.to_datetime(["2026-11-01", "2026-11-01"]),
                    "campaign_id": ["webinar", None],
                    "channel": ["events", "events"],
                }
            ),
        ],
        ignore_index=True,
    )
    credits = attribute(OPPORTUNITIES, touches, "linear")
    assert "Z" not in set(credits["opportunity_id"])  # not among the opportunities: dropped
    assert credits_by_campaign(credits)[("D", UNKNOWN_CAMPAIGN)] == 1.0


def test_output_is_sorted_by_opportunity_then_campaign():
    credits = attribute(OPPORTUNITIES, TOUCHES, "linear")
    ordered = credits.sort_values(["opportunity_id", "campaign_id", "channel"])
    assert credits.index.tolist() == ordered.index.tolist()


# -- Attribution input checks ------------------------------------------------------------------
def test_an_unknown_model_is_refused_with_the_models():
    with pytest.raises(
        ValueError,
        match=r"unknown attribution model 'position_based'; expected "
        r"one of first_touch, last_touch, linear, u_shaped, w_shaped, time_decay",
    ):
        attribute(OPPORTUNITIES, TOUCHES, "position_based")


@pytest.mark.parametrize("half_life_days", [0, -7.0, math.nan])
def test_a_half_life_must_be_positive(half_life_days):
    with pytest.raises(ValueError, match="half_life_days must be more than 0 days, got"):
        attribute(OPPORTUNITIES, TOUCHES, "time_decay", half_life_days)


@pytest.mark.parametrize("column", OPPORTUNITY_COLUMNS)
def test_opportunities_missing_a_column_are_refused(column):
    with pytest.raises(ValueError, match=f"opportunities need columns .*; missing {column}$"):
        attribute(OPPORTUNITIES.drop(columns=column), TOUCHES, "linear")


def test_touches_missing_columns_are_refused_naming_them():
    with pytest.raises(ValueError, match=r"touches need columns .*; missing touched_at, channel$"):
        attribute(OPPORTUNITIES, TOUCHES.drop(columns=["channel", "touched_at"]), "linear")


def test_repeated_opportunities_are_refused():
    with pytest.raises(ValueError, match="one row per opportunity; 'B' repeats"):
        attribute(pd.concat([OPPORTUNITIES, OPPORTUNITIES.iloc[[1]]]), TOUCHES, "linear")


def test_opportunities_without_a_creation_date_are_refused():
    undated = OPPORTUNITIES.assign(
        created_at=OPPORTUNITIES["created_at"].where(OPPORTUNITIES["opportunity_id"] != "C")
    )
    with pytest.raises(
        ValueError, match="opportunities: some rows have no created_at; every opportunity needs"
    ):
        attribute(undated, TOUCHES, "linear")


def test_touches_without_a_time_are_refused():
    untimed = TOUCHES.assign(touched_at=TOUCHES["touched_at"].where(TOUCHES["touch_id"] != "a1"))
    with pytest.raises(ValueError, match="touches: some rows have no touched_at"):
        attribute(OPPORTUNITIES, untimed, "linear")


# -- Attribution properties --------------------------------------------------------------------
BASE = pd.Timestamp("2026-01-01")
CAMPAIGNS = ("webinar", "ebook", "search", "social")


@st.composite
def deals_and_touches(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    count = draw(st.integers(0, 6))
    created = [BASE + pd.Timedelta(hours=draw(st.integers(0, 24 * 90))) for _ in range(count)]
    lead = [
        pd.NaT
        if draw(st.booleans())
        else stamp - pd.Timedelta(hours=draw(st.integers(-24 * 10, 24 * 60)))
        for stamp in created
    ]
    amounts = [draw(st.floats(0, 1e6, allow_nan=False)) for _ in range(count)]
    won = [draw(st.booleans()) for _ in range(count)]
    opportunities = pd.DataFrame(
        {
            "opportunity_id": [f"o{index}" for index in range(count)],
            "created_at": pd.to_datetime(pd.Series(created, dtype="datetime64[ns]")),
            "lead_created_at": pd.to_datetime(pd.Series(lead, dtype="datetime64[ns]")),
            "amount_usd": amounts,
            "is_won": won,
            "won_usd": [
                amount if is_won else 0.0 for amount, is_won in zip(amounts, won, strict=True)
            ],
        }
    )
    rows = []
    for index in range(draw(st.integers(0, 25)) if count else 0):
        deal = draw(st.integers(0, count - 1))
        campaign = draw(st.sampled_from(CAMPAIGNS))
        # Mostly before creation, some after it (to be dropped), ties on the hour allowed.
        hours_before = draw(st.integers(-48, 24 * 100))
        rows.append(
            (
                f"o{deal}",
                f"t{index:02d}",
                created[deal] - pd.Timedelta(hours=hours_before),
                campaign,
                CHANNELS[campaign],
            )
        )
    touches = pd.DataFrame(rows, columns=list(TOUCH_COLUMNS))
    touches["touched_at"] = pd.to_datetime(touches["touched_at"])
    return opportunities, touches


@settings(max_examples=60, deadline=None)
@given(
    frames=deals_and_touches(),
    model=st.sampled_from(ATTRIBUTION_MODELS),
    half_life_days=st.sampled_from([0.5, 7.0, 30.0]),
    data=st.data(),
)
def test_attribution_properties(frames, model, half_life_days, data):
    opportunities, touches = frames
    opportunities_before, touches_before = opportunities.copy(), touches.copy()
    credits = attribute(opportunities, touches, model, half_life_days)

    # Inputs are not mutated.
    pd.testing.assert_frame_equal(opportunities, opportunities_before)
    pd.testing.assert_frame_equal(touches, touches_before)
    # Every opportunity is credited in full, by shares in (0, 1].
    per_opportunity = credits.groupby("opportunity_id")["credit"].sum()
    assert set(per_opportunity.index) == set(opportunities["opportunity_id"])
    assert np.all(np.abs(per_opportunity.to_numpy() - 1.0) <= 1e-12)
    assert ((credits["credit"] > 0) & (credits["credit"] <= 1)).all()
    # Attributed dollars reconcile with the CRM's.
    assert credits["pipeline_usd"].sum() == pytest.approx(opportunities["amount_usd"].sum())
    assert credits["bookings_usd"].sum() == pytest.approx(opportunities["won_usd"].sum())
    assert reconciles(credits, opportunities)
    # The order of the input rows changes nothing.
    shuffled_opportunities = opportunities.iloc[
        data.draw(st.permutations(range(len(opportunities))))
    ]
    shuffled_touches = touches.iloc[data.draw(st.permutations(range(len(touches))))]
    reshuffled = attribute(shuffled_opportunities, shuffled_touches, model, half_life_days)
    pd.testing.assert_frame_equal(reshuffled, credits, check_exact=False, rtol=1e-12)


# -- Reconciliation ------------------------------------------------------------------------------
def test_reconciles_catches_what_does_not_add_up():
    credits = attribute(OPPORTUNITIES, TOUCHES, "u_shaped")
    assert reconciles(credits, OPPORTUNITIES)
    assert not reconciles(credits.iloc[1:], OPPORTUNITIES)  # a share of A is missing
    assert not reconciles(credits.loc[credits["opportunity_id"] != "D"], OPPORTUNITIES)
    assert not reconciles(credits, OPPORTUNITIES.iloc[1:])  # credits of an unknown deal
    inflated = credits.assign(pipeline_usd=credits["pipeline_usd"] * 1.01)
    assert not reconciles(inflated, OPPORTUNITIES)
    shifted = credits.assign(bookings_usd=credits["bookings_usd"] + 1.0)
    assert not reconciles(shifted, OPPORTUNITIES)


def test_reconciles_needs_the_columns():
    with pytest.raises(ValueError, match=r"credits need columns .*; missing pipeline_usd"):
        reconciles(
            pd.DataFrame({"opportunity_id": [], "credit": [], "bookings_usd": []}), OPPORTUNITIES
        )


# -- Wilson interval ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_known_values(successes, trials, low, high):
    assert wilson_interval(successes, trials) == pytest.approx((low, high), abs=1e-3)


def test_wilson_bounds_at_zero_and_all_are_exact():
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0


def closed_form(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    """Wilson's interval written the other way round: (2np + z^2 ± z·sqrt(z^2 + 4np(1-p)))
    / (2(n + z^2))."""
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    p = successes / trials
    spread = z * math.sqrt(z**2 + 4 * trials * p * (1 - p))
    return (
        (2 * trials * p + z**2 - spread) / (2 * (trials + z**2)),
        (2 * trials * p + z**2 + spread) / (2 * (trials + z**2)),
    )


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
@pytest.mark.parametrize(("successes", "trials"), [(0, 1), (1, 1), (3, 7), (81, 263), (999, 1000)])
def test_wilson_matches_scipy_and_the_closed_form(successes, trials, confidence):
    stats = pytest.importorskip("scipy.stats")
    expected = stats.binomtest(successes, trials).proportion_ci(confidence, method="wilson")
    interval = wilson_interval(successes, trials, confidence)
    assert interval == pytest.approx((expected.low, expected.high), abs=1e-9)
    assert interval == pytest.approx(closed_form(successes, trials, confidence), abs=1e-9)


def test_wilson_is_undefined_without_trials():
    assert wilson_interval(0, 0) is None


@settings(max_examples=60, deadline=None)
@given(
    trials=st.integers(1, 10_000),
    share=st.floats(0, 1),
    confidence=st.floats(0.5, 0.999),
    factor=st.integers(2, 50),
)
def test_wilson_properties(trials, share, confidence, factor):
    successes = round(share * trials)
    low, high = wilson_interval(successes, trials, confidence)
    assert 0 <= low <= successes / trials <= high <= 1
    # The same share from more trials: a narrower interval.
    more_low, more_high = wilson_interval(successes * factor, trials * factor, confidence)
    assert more_high - more_low < high - low
    # More confidence: at least as wide.
    wider_low, wider_high = wilson_interval(successes, trials, (1 + confidence) / 2)
    assert wider_low <= low and high <= wider_high


@pytest.mark.parametrize(
    ("successes", "trials", "confidence", "message"),
    [
        (-1, 10, 0.95, "successes must not be negative, got -1"),
        (1, -10, 0.95, "trials must not be negative, got -10"),
        (11, 10, 0.95, r"successes \(11\) cannot exceed trials \(10\)"),
        (1.5, 10, 0.95, "successes must be a whole number, got 1.5"),
        (1, 10, 0.0, "confidence must be strictly between 0 and 1, got 0.0"),
        (1, 10, 1.0, "confidence must be strictly between 0 and 1, got 1.0"),
        (1, 10, 95, "confidence must be strictly between 0 and 1, got 95"),
    ],
)
def test_wilson_input_checks(successes, trials, confidence, message):
    with pytest.raises(ValueError, match=message):
        wilson_interval(successes, trials, confidence)


def test_wilson_takes_whole_floats_and_numpy_counts():
    assert wilson_interval(81.0, np.int64(263)) == wilson_interval(81, 263)


# -- Scorecard ----------------------------------------------------------------------------------
ROWS = pd.DataFrame(
    {
        "name": ["Webinars", "Organic", "Trade show"],
        "campaign_id": ["c-web", "c-org", "c-show"],  # carried through untouched
        "spend_usd": [20_000.0, 0.0, 400.0],
        "touches": [900, 500, 30],
        "leads": [300, 200, 10],
        "mqls": [100, 50, 0],
        "sqls": [45, 12, 0],  # SQLs of the window, some from earlier MQLs
        "mqls_to_sql": [40, 10, 0],  # of the window's MQLs, those that became SQLs
        "opportunities": [20, 8, 3],
        "won": [5, 2, 0],
        "closed": [10, 4, 0],
        "pipeline_usd": [400_000.0, 160_000.0, 60_000.0],
        "bookings_usd": [100_000.0, 40_000.0, 0.0],
        "new_arr_usd": [100_000.0, 40_000.0, 0.0],
        "new_customers": [5, 2, 0],
    }
)
NAN = math.nan


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        # No spend recorded (Organic): a cost ratio is unknown, NaN, never 0 (issue 26, #7).
        ("cost_per_mql", [200.0, NAN, NAN]),  # 20,000 / 100; no spend; no MQLs: NaN
        ("cost_per_opportunity", [1_000.0, NAN, 400 / 3]),  # 20,000 / 20; 400 / 3
        ("cac", [4_000.0, NAN, NAN]),  # 20,000 / 5 customers
        ("pipeline_roi", [20.0, NAN, 150.0]),  # 400,000 / 20,000; no spend; 60,000 / 400
        ("bookings_roi", [5.0, NAN, 0.0]),  # 100,000 / 20,000; 0 / 400
        ("payback_months", [3.0, NAN, NAN]),  # 12 x 20,000 / (100,000 x 0.8) = 3; no ARR
        ("mql_to_sql", [0.4, 0.2, NAN]),  # 40 / 100; 10 / 50; no MQLs
        ("win_rate", [0.5, 0.5, NAN]),  # 5 / 10; 2 / 4; nothing closed
    ],
)
def test_scorecard_ratios_by_hand(column, expected):
    card = scorecard(ROWS)
    assert card[column].tolist() == pytest.approx(expected, nan_ok=True)
    assert not np.isinf(card[column]).any()


def test_scorecard_intervals_are_wilson_and_nan_without_trials():
    card = scorecard(ROWS)
    assert (card.loc[0, "mql_to_sql_low"], card.loc[0, "mql_to_sql_high"]) == wilson_interval(
        40, 100
    )
    assert (card.loc[1, "win_rate_low"], card.loc[1, "win_rate_high"]) == wilson_interval(2, 4)
    row = card.loc[2]
    assert all(
        math.isnan(row[column])
        for column in ("mql_to_sql_low", "mql_to_sql_high", "win_rate_low", "win_rate_high")
    )


def test_scorecard_flags_too_little_data_and_says_why():
    card = scorecard(ROWS)
    assert card["too_little_data"].tolist() == [False, True, True]
    assert card["evidence"].tolist() == [
        "",
        "spend $0, under $1,000",
        "3 opportunities, fewer than 5 needed to rank; spend $400, under $1,000",
    ]


def test_scorecard_thresholds_and_margin_are_parameters():
    card = scorecard(ROWS, min_opportunities=1, min_spend_usd=0.0, gross_margin=0.5)
    assert card["too_little_data"].tolist() == [False, False, False]
    assert card["evidence"].tolist() == ["", "", ""]
    assert card.loc[0, "payback_months"] == pytest.approx(4.8)  # 240,000 / 50,000
    one = scorecard(ROWS.assign(opportunities=[1, 8, 3]), min_spend_usd=0.0)
    assert one.loc[0, "evidence"] == "1 opportunity, fewer than 5 needed to rank"


def test_scorecard_keeps_rows_columns_and_leaves_its_input_alone():
    before = ROWS.copy()
    card = scorecard(ROWS)
    pd.testing.assert_frame_equal(ROWS, before)
    pd.testing.assert_frame_equal(card[list(ROWS.columns)], ROWS)
    assert card["campaign_id"].tolist() == ["c-web", "c-org", "c-show"]


@pytest.mark.parametrize("column", SCORECARD_INPUT_COLUMNS)
def test_scorecard_rows_missing_a_column_are_refused(column):
    with pytest.raises(ValueError, match=f"scorecard rows need columns .*; missing {column}$"):
        scorecard(ROWS.drop(columns=column))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"won": [11, 2, 0]}, "won cannot exceed closed .*, got more for Webinars"),
        ({"mqls_to_sql": [40, 60, 0]}, "mqls_to_sql cannot exceed mqls .*, got more for Organic"),
        ({"spend_usd": [-1.0, 0.0, 400.0]}, "cannot be negative; found negative spend_usd"),
        ({"mqls": [100, None, 0]}, "scorecard rows: some rows have no mqls; use 0 for none"),
    ],
)
def test_scorecard_input_checks(change, message):
    with pytest.raises(ValueError, match=message):
        scorecard(ROWS.assign(**change))


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"gross_margin": 0.0}, "gross margin must be above 0 and at most 1, got 0.0"),
        ({"gross_margin": 1.5}, "gross margin must be above 0 and at most 1, got 1.5"),
        ({"min_opportunities": -1}, "minimums must not be negative"),
        ({"min_opportunities": 2.5}, "min_opportunities must be a whole number, got 2.5"),
    ],
)
def test_scorecard_parameter_checks(keywords, message):
    with pytest.raises(ValueError, match=message):
        scorecard(ROWS, **keywords)


# -- Trend ---------------------------------------------------------------------------------------
def test_with_trend_by_hand():
    current = pd.DataFrame(
        {"name": ["a", "b", "d"], "cac": [120.0, 50.0, 80.0], "mqls": [50, 0, 10]}
    )
    prior = pd.DataFrame({"name": ["c", "b", "a"], "cac": [10.0, 0.0, 100.0], "mqls": [5, 10, 40]})
    before = (current.copy(), prior.copy())
    trended = with_trend(current, prior, "name", ["cac", "mqls"])
    assert trended["name"].tolist() == ["a", "b", "d"]  # c is only in the prior: dropped
    assert trended["cac_prior"].tolist() == pytest.approx([100.0, 0.0, NAN], nan_ok=True)
    # a: (120 - 100) / 100; b: the prior is 0; d: no prior.
    assert trended["cac_change"].tolist() == pytest.approx([0.2, NAN, NAN], nan_ok=True)
    # a: (50 - 40) / 40; b: (0 - 10) / 10; d: no prior.
    assert trended["mqls_change"].tolist() == pytest.approx([0.25, -1.0, NAN], nan_ok=True)
    pd.testing.assert_frame_equal(current, before[0])
    pd.testing.assert_frame_equal(prior, before[1])


def test_with_trend_divides_by_the_size_of_a_negative_prior():
    current = pd.DataFrame({"name": ["a"], "net_usd": [-25.0]})
    prior = pd.DataFrame({"name": ["a"], "net_usd": [-50.0]})
    # (-25 - -50) / |-50| = +0.5: it improved.
    assert with_trend(current, prior, "name", ["net_usd"])["net_usd_change"].tolist() == [0.5]


def test_with_trend_input_checks():
    current = pd.DataFrame({"name": ["a"], "cac": [1.0]})
    with pytest.raises(
        ValueError, match="rows of the prior period need columns name, cac; missing cac"
    ):
        with_trend(current, pd.DataFrame({"name": ["a"]}), "name", ["cac"])
    with pytest.raises(ValueError, match="the prior period needs one row per name"):
        with_trend(current, pd.DataFrame({"name": ["a", "a"], "cac": [1.0, 2.0]}), "name", ["cac"])


# -- What's working and what isn't ---------------------------------------------------------------
CARD = pd.DataFrame(
    {
        "name": ["a", "b", "c", "d", "e", "f", "g", "h", "i"],
        "pipeline_roi": [3.0, 9.0, 1.0, 5.0, 7.0, 5.0, 50.0, NAN, 0.5],
        "cac": [900.0, 300.0, 2_000.0, 700.0, 400.0, 700.0, 10.0, 500.0, 5_000.0],
        "too_little_data": [False, False, False, False, False, False, True, False, False],
    }
)


def names(frame: pd.DataFrame) -> list[str]:
    return frame["name"].tolist()


def test_working_and_not_best_first_and_worst_first():
    best, worst = working_and_not(CARD, "pipeline_roi", count=3)
    # g (50x) has too little data; h has no value. Ranked: b 9, e 7, d 5, f 5, a 3, c 1, i 0.5.
    assert names(best) == ["b", "e", "d"]  # d before f: the same 5x, by name
    assert names(worst) == ["i", "c", "a"]


def test_working_and_not_for_costs_lower_is_better():
    best, worst = working_and_not(CARD, "cac", count=2, higher_is_better=False)
    # Ranked (g flagged): b 300, e 400, h 500, d 700, f 700, a 900, c 2,000, i 5,000.
    assert names(best) == ["b", "e"]
    assert names(worst) == ["i", "c"]


def test_ties_at_the_bottom_go_by_name():
    best, worst = working_and_not(CARD.assign(pipeline_roi=1.0), "pipeline_roi", count=2)
    # All equal: by name a, b, c, d, e, f, h, i (g is flagged).
    assert names(best) == ["a", "b"]
    assert names(worst) == ["h", "i"]


@pytest.mark.parametrize(
    ("keep", "expected_best", "expected_worst"),
    [
        (["a", "b", "c", "d", "e"], ["b", "e", "d"], ["c", "a"]),  # 5 rows: 3 and 2
        (["a", "b", "c", "d"], ["b", "d"], ["c", "a"]),  # 4 rows: 2 and 2
        (["a"], ["a"], []),  # one row: it is the better half
        ([], [], []),
    ],
)
def test_fewer_rows_than_both_lists_are_split(keep, expected_best, expected_worst):
    best, worst = working_and_not(CARD.loc[CARD["name"].isin(keep)], "pipeline_roi", count=3)
    assert names(best) == expected_best
    assert names(worst) == expected_worst


def test_working_and_not_keep_the_cards_index_and_leave_it_alone():
    before = CARD.copy()
    best, worst = working_and_not(CARD, "pipeline_roi", count=1)
    assert best.index.tolist() == [1] and worst.index.tolist() == [8]
    pd.testing.assert_frame_equal(CARD, before)


def test_an_unknown_metric_is_refused_with_the_numeric_columns():
    with pytest.raises(
        ValueError,
        match=r"unknown metric 'roas'; expected one of the "
        r"scorecard's numeric columns: pipeline_roi, cac$",
    ):
        working_and_not(CARD, "roas")
    with pytest.raises(ValueError, match="unknown metric 'name'"):
        working_and_not(CARD, "name")


@pytest.mark.parametrize("count", [0, -1, 1.5])
def test_count_must_be_a_positive_whole_number(count):
    with pytest.raises(ValueError, match="count must be a whole number of at least 1"):
        working_and_not(CARD, "cac", count=count)


def test_working_and_not_on_a_real_scorecard():
    card = scorecard(ROWS, min_opportunities=1, min_spend_usd=0.0)
    best, worst = working_and_not(card, "pipeline_roi", count=1)
    # Organic has no spend (NaN return): Trade show 150x is best, Webinars 20x worst.
    assert names(best) == ["Trade show"]
    assert names(worst) == ["Webinars"]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.tuples(st.one_of(st.none(), st.floats(-1e6, 1e6)), st.booleans()), max_size=15
    ),
    count=st.integers(1, 5),
    higher_is_better=st.booleans(),
)
def test_working_and_not_properties(values, count, higher_is_better):
    card = pd.DataFrame(
        {
            "name": [f"n{index:02d}" for index in range(len(values))],
            "metric": [NAN if value is None else value for value, _ in values],
            "too_little_data": [flagged for _, flagged in values],
        }
    )
    best, worst = working_and_not(card, "metric", count, higher_is_better)
    assert set(best.index).isdisjoint(worst.index)
    assert len(best) <= count and len(worst) <= count
    eligible = card.loc[~card["too_little_data"] & card["metric"].notna()]
    assert len(best) + len(worst) == min(len(eligible), 2 * count)
    assert not best["too_little_data"].any() and not worst["too_little_data"].any()
    assert len(best) >= len(worst)
    if len(best) and len(worst):
        if higher_is_better:
            assert best["metric"].min() >= worst["metric"].max()
        else:
            assert best["metric"].max() <= worst["metric"].min()
