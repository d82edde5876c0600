"""Goal pacing, projection, probability, status, tree checks and roll-up.

Expected numbers are worked out by hand in the comments.
"""

from __future__ import annotations

import doctest
import math
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.goals
import core.series
from core.goals import (
    GoalPlan,
    GoalRule,
    Observed,
    ancestors,
    contribution_shares,
    elapsed_share,
    goal_problems,
    goal_relations,
    goal_status,
    level_path,
    level_projection,
    reach_probability,
    roll_up,
    seasonal_share,
    track_goal,
)

Q4 = (date(2026, 11, 1), date(2027, 1, 31))  # Q4 FY2027: 30 + 31 + 31 = 92 days
LINEAR = GoalRule(pacing="linear")


def plan(
    target: float,
    period: tuple[date, date] = Q4,
    aggregation: str = "sum",
    direction: str = "higher",
    metric: str = "sourced_pipeline",
) -> GoalPlan:
    return GoalPlan(
        "G", "Goal", "quarterly", metric, aggregation, target, direction, period[0], period[1]
    )  # type: ignore[arg-type]


def test_docstring_examples_hold():
    for module in (core.goals, core.series):
        failures, tried = doctest.testmod(module)
        assert tried > 0 and failures == 0, module.__name__


# -- elapsed share ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "end", "as_of", "expected"),
    [
        (*Q4, date(2026, 10, 15), 0.0),  # not started
        (*Q4, date(2026, 11, 1), 1 / 92),  # the first day counts
        (*Q4, date(2026, 12, 16), 46 / 92),  # 30 Nov days + 16 Dec days = 46
        (*Q4, date(2027, 1, 31), 1.0),  # the last day
        (*Q4, date(2027, 3, 1), 1.0),  # ended
        (date(2024, 2, 1), date(2024, 2, 29), date(2024, 2, 15), 15 / 29),  # leap February
        (date(2023, 2, 1), date(2023, 2, 28), date(2023, 2, 14), 0.5),  # 14 of 28
    ],
)
def test_elapsed_share(start, end, as_of, expected):
    assert elapsed_share(start, end, as_of) == pytest.approx(expected)


def test_a_period_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        elapsed_share(date(2026, 2, 1), date(2026, 1, 1), date(2026, 1, 15))


# -- tracking: table of hand-computed cases --------------------------------------------------
CASES = {
    # 45 of 90 days (Feb-Apr 2024): expected 450, pace 400/450, projection 400/0.5 = 800,
    # needed (900-400)/45 days x 7 = 77.78 a week, run so far 400/45 x 7 = 62.22; 800/900 < 0.9.
    "sum, linear, behind": {
        "plan": plan(900, (date(2024, 2, 1), date(2024, 4, 30))),
        "observed": Observed(actual=400),
        "as_of": date(2024, 3, 16),
        "rule": LINEAR,
        "expected": 450.0,
        "pace": 400 / 450,
        "projection": 800.0,
        "gap": -100.0,
        "required_per_week": 500 / 45 * 7,
        "current_per_week": 400 / 45 * 7,
        "status": "red",
        "method": "linear",
    },
    # Earlier years reached 45% by day 46: expected 0.45 x 1.2M = 540K, projection
    # 500K / 0.45 = 1,111,111; 1,111,111 / 1.2M = 0.926 is amber.
    "sum, seasonal": {
        "plan": plan(1_200_000),
        "observed": Observed(actual=500_000, same_period_before=((450, 1000), (900, 2000))),
        "as_of": date(2026, 12, 16),
        "rule": GoalRule(),
        "expected": 540_000.0,
        "pace": 500_000 / 540_000,
        "projection": 500_000 / 0.45,
        "gap": 500_000 / 0.45 - 1_200_000,
        "required_per_week": 700_000 / 46 * 7,
        "current_per_week": 500_000 / 46 * 7,
        "status": "amber",
        "method": "seasonal (2 earlier years)",
    },
    # Seasonal asked for, no earlier year: linear, and the method says why.
    "sum, seasonal without history": {
        "plan": plan(920),
        "observed": Observed(actual=460),
        "as_of": date(2026, 12, 16),
        "rule": GoalRule(),
        "expected": 460.0,
        "pace": 1.0,
        "projection": 920.0,
        "gap": 0.0,
        "required_per_week": 460 / 46 * 7,
        "current_per_week": 460 / 46 * 7,
        "status": "green",
        "method": "linear (no earlier year to learn the season from)",
    },
    # Not started: nothing expected yet; the whole target over 92 days = 91,304.35 a week.
    "not started": {
        "plan": plan(1_200_000),
        "observed": Observed(actual=None),
        "as_of": date(2026, 10, 20),
        "rule": GoalRule(),
        "expected": None,
        "pace": None,
        "projection": None,
        "gap": None,
        "required_per_week": 1_200_000 / 92 * 7,
        "current_per_week": None,
        "status": "not_started",
        "method": "linear",
    },
    # Ended: the projection is the final value; 1.25M / 1.2M.
    "ended": {
        "plan": plan(1_200_000),
        "observed": Observed(actual=1_250_000),
        "as_of": date(2027, 2, 10),
        "rule": GoalRule(),
        "expected": 1_200_000.0,
        "pace": 1_250_000 / 1_200_000,
        "projection": 1_250_000.0,
        "gap": 50_000.0,
        "required_per_week": None,
        "current_per_week": 1_250_000 / 92 * 7,
        "status": "green",
        "method": "linear",
    },
    # Lower is better (CAC): nothing accumulates; 20,000 / 22,000 = 0.909 is amber.
    "lower is better, amber": {
        "plan": plan(20_000, aggregation="ratio", direction="lower", metric="cac"),
        "observed": Observed(actual=22_000),
        "as_of": date(2026, 12, 16),
        "rule": GoalRule(),
        "expected": 20_000.0,
        "pace": 1.1,
        "projection": 22_000.0,
        "gap": 2_000.0,
        "required_per_week": None,
        "current_per_week": None,
        "status": "amber",
        "method": "the ratio to date against the target",
    },
    "lower is better, red": {
        "plan": plan(20_000, aggregation="ratio", direction="lower", metric="cac"),
        "observed": Observed(actual=25_000),  # 20/25 = 0.8
        "as_of": date(2026, 12, 16),
        "rule": GoalRule(),
        "expected": 20_000.0,
        "pace": 1.25,
        "projection": 25_000.0,
        "gap": 5_000.0,
        "required_per_week": None,
        "current_per_week": None,
        "status": "red",
        "method": "the ratio to date against the target",
    },
    "lower is better, green": {
        "plan": plan(20_000, aggregation="ratio", direction="lower", metric="cac"),
        "observed": Observed(actual=19_000),
        "as_of": date(2026, 12, 16),
        "rule": GoalRule(),
        "expected": 20_000.0,
        "pace": 0.95,
        "projection": 19_000.0,
        "gap": -1_000.0,
        "required_per_week": None,
        "current_per_week": None,
        "status": "green",
        "method": "the ratio to date against the target",
    },
    # A level (ARR) from 100 to 121 over 10 days, 5 days in: path 100 x 1.21^0.5 = 110;
    # 105 so far projects to 100 x 1.05^2 = 110.25; 110.25 / 121 = 0.911 is amber;
    # (121 - 105) / 5 days x 7 = 22.4 a week needed, 5 / 5 x 7 = 7 a week so far.
    "level": {
        "plan": plan(121, (date(2026, 1, 1), date(2026, 1, 10)), aggregation="level", metric="arr"),
        "observed": Observed(actual=105, start_level=100),
        "as_of": date(2026, 1, 5),
        "rule": GoalRule(),
        "expected": 110.0,
        "pace": 105 / 110,
        "projection": 110.25,
        "gap": 110.25 - 121,
        "required_per_week": 22.4,
        "current_per_week": 7.0,
        "status": "amber",
        "method": "constant growth from the level at the start",
    },
    # Leap-year February: 15 of 29 days; 150 of 290 is exactly on plan.
    "leap February": {
        "plan": plan(290, (date(2024, 2, 1), date(2024, 2, 29))),
        "observed": Observed(actual=150),
        "as_of": date(2024, 2, 15),
        "rule": LINEAR,
        "expected": 150.0,
        "pace": 1.0,
        "projection": 290.0,
        "gap": 0.0,
        "required_per_week": 140 / 14 * 7,
        "current_per_week": 150 / 15 * 7,
        "status": "green",
        "method": "linear",
    },
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_tracking(case):
    tracked = track_goal(case["plan"], case["observed"], case["as_of"], case["rule"])
    for name in (
        "expected",
        "pace",
        "projection",
        "gap",
        "required_per_week",
        "current_per_week",
    ):
        wanted = case[name]
        got = getattr(tracked, name)
        if wanted is None:
            assert got is None, name
        else:
            assert got == pytest.approx(wanted, rel=1e-9, abs=1e-9), name
    assert tracked.status == case["status"]
    assert tracked.pacing_method == case["method"]


def test_an_ended_period_says_whether_the_target_was_reached():
    reached = track_goal(plan(100), Observed(actual=100), date(2027, 2, 1), GoalRule())
    missed = track_goal(plan(100), Observed(actual=99), date(2027, 2, 1), GoalRule())
    assert reached.probability.value == 1.0 and "reached" in reached.probability.note
    assert missed.probability.value == 0.0 and "missed" in missed.probability.note


def test_a_period_that_has_not_started_states_no_probability():
    tracked = track_goal(plan(100), Observed(actual=None), date(2026, 10, 1), GoalRule())
    assert tracked.probability.value is None
    assert tracked.probability.note == "The period has not started."


def test_thresholds_come_from_the_rule():
    strict = GoalRule(green_at=1.1, amber_at=1.0)
    tracked = track_goal(plan(920), Observed(actual=460), date(2026, 12, 16), strict)
    assert tracked.status == "amber"  # on plan, but green needs 110%


def test_rule_from_registry_parameters_defaults_pacing_to_seasonal():
    assert GoalRule.from_parameters({"green_at": 1.0, "amber_at": 0.9}).pacing == "seasonal"
    rule = GoalRule.from_parameters({"green_at": 1.05, "amber_at": 0.8, "pacing": "linear"})
    assert (rule.green_at, rule.amber_at, rule.pacing) == (1.05, 0.8, "linear")


# -- pieces ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([], None),
        ([(10.0, 0.0)], None),  # a year with nothing says nothing about the season
        ([(40.0, 100.0), (60.0, 120.0)], 0.45),  # (0.40 + 0.50) / 2
        ([(40.0, 100.0), (5.0, 0.0)], 0.40),
    ],
)
def test_seasonal_share(history, expected):
    assert seasonal_share(history) == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("projection", "target", "direction", "expected"),
    [
        (100.0, 100.0, "higher", "green"),
        (90.0, 100.0, "higher", "amber"),  # exactly at the amber line
        (89.9, 100.0, "higher", "red"),
        (None, 100.0, "higher", "no_data"),
        (100.0, 100.0, "lower", "green"),
        (111.0, 100.0, "lower", "amber"),  # 100/111 = 0.9009
        (112.0, 100.0, "lower", "red"),  # 100/112 = 0.893
        (0.0, 100.0, "lower", "green"),  # nothing spent per customer
    ],
)
def test_goal_status(projection, target, direction, expected):
    assert goal_status(projection, target, direction, 1.0, 0.9) == expected


def test_level_path_and_projection_are_compound_and_fall_back_to_linear():
    assert level_path(100, 121, 0.5) == pytest.approx(110)
    assert level_projection(100, 110, 0.5) == pytest.approx(121)
    assert level_path(0, 100, 0.25) == pytest.approx(25)  # no growth rate from zero
    assert level_projection(0, 25, 0.25) == pytest.approx(100)


# -- probability -----------------------------------------------------------------------------
def test_probability_needs_history():
    found = reach_probability(100, 200, "higher", [(50, 100), (40, 100)])
    assert found.value is None
    assert found.note.startswith("Too little history: 2 comparable past periods")
    assert found.periods == 2


def test_probability_golden_value():
    """Do not update unless the mathematics changed.

    Ratios 2, 2.5 and 1.667: logs 0.6931, 0.9163, 0.5108; mean 0.7068, sd 0.2031, widened by
    sqrt(4/3) to 0.2345. Needed ln(200/100) = 0.6931: t = (0.6931 - 0.7068) / 0.2345 = -0.0584;
    P(T_2 >= -0.0584) = 0.5206.
    """
    found = reach_probability(100, 200, "higher", [(50, 100), (40, 100), (60, 100)])
    assert found.value == pytest.approx(0.5206, abs=5e-4)
    assert found.periods == 3


def test_probability_without_spread_is_certain_either_way():
    history = [(50, 100)] * 4  # every period doubled
    assert reach_probability(100, 200, "higher", history).value == 1.0
    assert reach_probability(100, 201, "higher", history).value == 0.0
    assert reach_probability(100, 200, "lower", history).value == 1.0
    assert reach_probability(100, 199, "lower", history).value == 0.0


def test_probability_ignores_periods_without_data_and_says_nothing_from_nothing():
    history = [(0, 100), (50, 0), (50, 100), (40, 100), (60, 100)]
    assert reach_probability(100, 200, "higher", history).periods == 3
    assert reach_probability(0, 200, "higher", history).value is None


# -- properties ------------------------------------------------------------------------------
targets = st.floats(min_value=1, max_value=1e9, allow_nan=False)
days_into_q4 = st.integers(min_value=0, max_value=91)


@given(target=targets, days=days_into_q4)
def test_an_on_plan_actual_has_pace_one_and_projects_to_target(target, days):
    as_of = Q4[0] + timedelta(days=days)
    share = elapsed_share(*Q4, as_of)
    tracked = track_goal(plan(target), Observed(actual=target * share), as_of, LINEAR)
    assert tracked.pace == pytest.approx(1.0)
    assert tracked.projection == pytest.approx(target)
    assert tracked.status == "green"


@given(
    target=targets,
    days=st.integers(min_value=0, max_value=90),
    seasonal=st.floats(min_value=0.01, max_value=0.99),
)
def test_projection_equals_target_when_actual_equals_expected(target, days, seasonal):
    as_of = Q4[0] + timedelta(days=days)
    observed = Observed(actual=None, same_period_before=((seasonal, 1.0),))
    expected = track_goal(plan(target), observed, as_of, GoalRule()).expected
    on_plan = Observed(actual=expected, same_period_before=((seasonal, 1.0),))
    tracked = track_goal(plan(target), on_plan, as_of, GoalRule())
    assert tracked.projection == pytest.approx(target)
    assert tracked.pace == pytest.approx(1.0)


@given(
    start=st.floats(min_value=1, max_value=1e8),
    growth=st.floats(min_value=0.5, max_value=3),
    days=st.integers(min_value=0, max_value=8),
)
def test_a_level_on_its_path_projects_to_target(start, growth, days):
    period = (date(2026, 1, 1), date(2026, 1, 10))
    as_of = period[0] + timedelta(days=days)
    goal = plan(start * growth, period, aggregation="level", metric="arr")
    share = elapsed_share(*period, as_of)
    observed = Observed(actual=level_path(start, start * growth, share), start_level=start)
    tracked = track_goal(goal, observed, as_of, GoalRule())
    assert tracked.pace == pytest.approx(1.0)
    assert tracked.projection == pytest.approx(start * growth, rel=1e-6)


STATUS_ORDER = {"red": 0, "amber": 1, "green": 2}


@given(
    target=targets,
    low=st.floats(min_value=0, max_value=1e9),
    more=st.floats(min_value=0, max_value=1e9),
    direction=st.sampled_from(["higher", "lower"]),
)
def test_a_better_projection_never_has_a_worse_status(target, low, more, direction):
    high = low + more
    worse, better = (low, high) if direction == "higher" else (high, low)
    first = goal_status(worse, target, direction, 1.0, 0.9)
    second = goal_status(better, target, direction, 1.0, 0.9)
    assert STATUS_ORDER[second] >= STATUS_ORDER[first]


@settings(max_examples=60)
@given(
    ratios=st.lists(st.floats(min_value=1.01, max_value=5), min_size=3, max_size=8),
    actual=st.floats(min_value=1, max_value=1e6),
    lower=st.floats(min_value=1, max_value=1e7),
    extra=st.floats(min_value=0, max_value=1e7),
)
def test_probability_is_a_probability_and_falls_as_the_target_rises(ratios, actual, lower, extra):
    history = [(100.0, 100.0 * ratio) for ratio in ratios]
    easy = reach_probability(actual, lower, "higher", history).value
    hard = reach_probability(actual, lower + extra, "higher", history).value
    assert easy is not None and hard is not None
    assert 0.0 <= hard <= easy <= 1.0


@given(days=st.integers(min_value=-30, max_value=200), more=st.integers(min_value=0, max_value=90))
def test_elapsed_share_stays_in_unit_range_and_never_goes_back(days, more):
    first = elapsed_share(*Q4, Q4[0] + timedelta(days=days))
    later = elapsed_share(*Q4, Q4[0] + timedelta(days=days + more))
    assert 0.0 <= first <= later <= 1.0


# -- the tree --------------------------------------------------------------------------------
def goal_rows(*rows: tuple) -> pd.DataFrame:
    columns = ["goal_id", "parent_goal_id", "level", "metric", "target", "direction"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["goal_name"] = frame["goal_id"] + " name"
    frame["period_start"] = date(2026, 2, 1)
    frame["period_end"] = date(2027, 1, 31)
    frame["campaign_id"] = None
    return frame


TREE = goal_rows(
    ("V", None, "vision", "arr", 95e6, "higher"),
    ("Y", "V", "annual", "arr", 40e6, "higher"),
    ("N", "Y", "annual", "new_arr", 9e6, "higher"),
    ("P", "N", "annual", "sourced_pipeline", 20e6, "higher"),
    ("P1", "P", "quarterly", "sourced_pipeline", 4e6, "higher"),
    ("P2", "P", "quarterly", "sourced_pipeline", 5e6, "higher"),
    ("C", "P2", "campaign", "sourced_pipeline", 0.5e6, "higher"),
    ("K", "N", "annual", "cac", 20_000, "lower"),
)


def test_a_valid_tree_has_no_problems():
    assert goal_problems(TREE) == []


def test_relations():
    relations = goal_relations(TREE).to_dict()
    assert relations == {
        "V": "top",
        "Y": "milestone",  # ARR at the end of a year is a point on the vision's path
        "N": "contributor",
        "P": "contributor",
        "P1": "rolls_up",
        "P2": "rolls_up",
        "C": "campaign",
        "K": "contributor",
    }


def test_roll_up_adds_children_that_measure_the_parents_metric():
    tracked = TREE.assign(relation=goal_relations(TREE).to_numpy())
    tracked["actual"] = tracked["goal_id"].map({"P": 10e6, "P1": 4.5e6, "P2": 3.5e6, "C": 0.7e6})
    rolled = roll_up(tracked).set_index("goal_id")
    assert list(rolled.index) == ["P"]  # only P has children that add up to it
    row = rolled.loc["P"]
    assert row["children"] == 2
    assert row["children_target"] == 9e6  # 4M + 5M
    assert row["target_covered"] == pytest.approx(0.45)  # 9M of 20M planned by quarter
    assert row["children_actual"] == 8e6
    assert row["actual_covered"] == pytest.approx(0.8)
    shares = contribution_shares(tracked)
    assert shares["P1"] + shares["P2"] == pytest.approx(row["actual_covered"])
    assert shares["C"] == pytest.approx(0.2)  # 0.7M of P2's 3.5M
    assert math.isnan(shares["K"])  # a contributor of another metric is never summed


@settings(max_examples=50)
@given(
    quarters=st.lists(
        st.tuples(st.floats(min_value=0, max_value=1e7), st.floats(min_value=1, max_value=1e7)),
        min_size=1,
        max_size=4,
    )
)
def test_roll_up_invariants(quarters):
    rows = [("Y", None, "annual", "bookings", 1e7, "higher")]
    rows += [
        (f"Q{i}", "Y", "quarterly", "bookings", target, "higher")
        for i, (_a, target) in enumerate(quarters)
    ]
    tree = goal_rows(*rows)
    tree["relation"] = goal_relations(tree).to_numpy()
    actuals = {f"Q{i}": actual for i, (actual, _t) in enumerate(quarters)}
    actuals["Y"] = sum(actuals.values())
    tree["actual"] = tree["goal_id"].map(actuals)
    rolled = roll_up(tree).iloc[0]
    assert rolled["children_target"] == pytest.approx(sum(target for _a, target in quarters))
    assert rolled["children_actual"] == pytest.approx(actuals["Y"])
    shares = contribution_shares(tree).drop("Y")
    if actuals["Y"] > 0:
        assert shares.sum() == pytest.approx(1.0)


def problems_of(frame: pd.DataFrame) -> dict[tuple[str, str], str]:
    return {(problem.goal_id, problem.field): problem.problem for problem in goal_problems(frame)}


@pytest.mark.parametrize(
    ("change", "goal", "field", "says"),
    [
        ({"target": 0.0}, "P1", "target", "must be above zero for a higher-is-better goal"),
        ({"target": -5.0}, "P1", "target", "must be above zero"),
        ({"metric": "happiness"}, "P1", "metric", "is not a metric in the definitions registry"),
        ({"level": "monthly"}, "P1", "level", "is not one of vision, annual, quarterly"),
        ({"direction": "sideways"}, "P1", "direction", "must be higher or lower"),
        ({"parent_goal_id": "NOPE"}, "P1", "parent_goal_id", "the parent must exist"),
        ({"parent_goal_id": "P1"}, "P1", "parent_goal_id", "is the goal itself"),
        ({"period_end": date(2026, 1, 1)}, "P1", "period_end", "is before the start 2026-02-01"),
    ],
)
def test_each_bad_goal_is_named_with_its_problem(change, goal, field, says):
    frame = TREE.copy()
    row = frame.index[frame["goal_id"] == goal][0]
    for column, value in change.items():
        frame.at[row, column] = value
    found = problems_of(frame)
    assert says in found[(goal, field)]


def test_lower_is_better_allows_zero_but_not_negative_targets():
    frame = TREE.copy()
    frame.loc[frame["goal_id"] == "K", "target"] = 0.0
    assert problems_of(frame) == {}
    frame.loc[frame["goal_id"] == "K", "target"] = -1.0
    assert problems_of(frame)[("K", "target")] == "must not be below zero"


def test_a_cycle_names_every_goal_on_it():
    frame = TREE.copy()
    frame.loc[frame["goal_id"] == "V", "parent_goal_id"] = "P"  # V -> P -> N -> Y -> V
    found = problems_of(frame)
    on_cycle = {goal for goal, field in found if field == "parent_goal_id"}
    assert on_cycle == {"V", "Y", "N", "P"}
    assert found[("V", "parent_goal_id")] == "makes a cycle: V → P → N → Y → V"


def test_campaign_goals_must_measure_something_a_campaign_has():
    frame = TREE.copy()
    frame.loc[frame["goal_id"] == "C", "metric"] = "arr"
    assert "cannot be measured for one campaign" in problems_of(frame)[("C", "metric")]


def test_ancestors_walk_to_the_top():
    assert ancestors(TREE, "C") == ["P2", "P", "N", "Y", "V"]
    assert ancestors(TREE, "V") == []


def test_functions_do_not_mutate_their_inputs():
    before = TREE.copy()
    tracked = TREE.assign(relation=goal_relations(TREE).to_numpy(), actual=1.0)
    snapshot = tracked.copy()
    goal_problems(TREE)
    roll_up(tracked)
    contribution_shares(tracked)
    pd.testing.assert_frame_equal(TREE, before)
    pd.testing.assert_frame_equal(tracked, snapshot)
