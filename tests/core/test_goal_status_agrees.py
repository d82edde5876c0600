"""Status and chance agree under one rule (issue 26, finding 9): a goal with a stated chance of
reaching target below the goal_status definition's red_below_chance is red whatever its
projection; a version of the rule without the threshold judges by the projection alone; the
numbers a status rests on never read alike after rounding."""

from __future__ import annotations

import pytest

from core.definitions import DEFAULT_DEFINITIONS
from core.formatting import format_apart
from core.goals import GoalRule, chance_status


@pytest.mark.parametrize(
    ("status", "chance", "threshold", "expected"),
    [
        ("amber", 0.03, 0.1, "red"),  # the audit's amber with a 3% chance
        ("green", 0.02, 0.1, "red"),
        ("amber", 0.1, 0.1, "amber"),  # at the threshold: allowed
        ("amber", 0.5, 0.1, "amber"),
        ("green", None, 0.1, "green"),  # no stated chance: nothing to disagree with
        ("red", 0.9, 0.1, "red"),  # the rule only ever makes a status worse
        ("not_started", 0.0, 0.1, "not_started"),
        ("amber", 0.03, None, "amber"),  # a version recorded before the threshold existed
    ],
)
def test_status_follows_the_chance_rule(status, chance, threshold, expected):
    assert chance_status(status, chance, threshold)[0] == expected


def test_the_shipped_rule_has_the_threshold_and_older_versions_keep_theirs():
    shipped = GoalRule.from_parameters(DEFAULT_DEFINITIONS["goal_status"].parameters)
    assert shipped.red_below_chance == 0.1
    older = GoalRule.from_parameters({"green_at": 1.0, "amber_at": 0.9, "pacing": "seasonal"})
    assert older.red_below_chance is None


def test_the_reason_is_written_with_enough_digits():
    status, note = chance_status("amber", 0.004, 0.1)
    assert status == "red"
    assert note == (
        "Red: a 0.4% chance of reaching target, below the 10% the rule allows for amber or green"
    )


@pytest.mark.parametrize(
    ("values", "unit", "expected"),
    [
        # The audit's CAC goal: $16K target, actual, expected and projected, "At risk".
        ([16_000.0, 15_820.0, 16_000.0, 16_480.0], "usd",
         ["$16,000", "$15,820", "$16,000", "$16,480"]),
        ([2_240_000.0, 3_050_000.0], "usd", ["$2.24M", "$3.05M"]),  # already apart
        ([0.2512, 0.2514], "ratio", ["25.120%", "25.140%"]),
        ([120.0, 120.0], "count", ["120", "120"]),  # equal values may read alike
    ],
)  # fmt: skip
def test_figures_behind_a_status_never_read_alike(values, unit, expected):
    assert format_apart(values, unit) == expected
