"""Comparing two frozen reviews, the cadence and JSON-ready values, by hand."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.review import (
    check_decision,
    forecast_changes,
    goal_movements,
    headline_changes,
    jsonable,
    next_review_date,
    open_decisions,
    redefinitions,
)


def goal(goal_id, status, projection, target=100.0, name=None):
    return {"goal_id": goal_id, "name": name or goal_id, "status": status,
            "projection": projection, "target": target, "unit": "usd"}  # fmt: skip


def test_goal_movements_put_status_changes_first_then_the_biggest_move():
    then = {"goals": [goal("a", "green", 110), goal("b", "amber", 95), goal("c", "green", 120),
                      goal("gone", "red", 50)]}  # fmt: skip
    now = {"goals": [goal("a", "green", 140), goal("b", "red", 80), goal("c", "amber", 99),
                     goal("new", "green", 101)]}  # fmt: skip
    moves = goal_movements(then, now)
    # b: amber -> red (one step), c: green -> amber (one step, -21% of target beats b's -15%);
    # a: no status change but +30%; new and gone: one side missing.
    assert moves["goal_id"].tolist()[:3] == ["c", "b", "a"]
    row = moves.set_index("goal_id")
    assert row.loc["c", "move"] == pytest.approx(-0.21)
    assert row.loc["a", "move"] == pytest.approx(0.30)
    assert math.isnan(row.loc["new", "move"]) and pd.isna(row.loc["new", "status_then"])
    assert pd.isna(row.loc["gone", "status_now"])


def test_a_redefined_headline_says_so_beside_its_change():
    """Issue 26, finding 1: a number computed under another definition version than at the
    review is marked, and the redefinitions are listed; an unrecorded version marks nothing."""
    then = {
        "headlines": [{"metric": "bookings", "value": 2.24e6}, {"metric": "arr", "value": 9.0}],
        "definitions": {"bookings": {"version": 1}, "arr": {"version": 3}},
    }
    now = {
        "headlines": [{"metric": "bookings", "value": 8.33e6, "label": "Bookings"},
                      {"metric": "arr", "value": 9.0, "label": "ARR"}],
        "definitions": {"bookings": {"version": 2, "label": "Bookings"}, "arr": {"version": 3}},
    }  # fmt: skip
    changes = headline_changes(then, now).set_index("metric")
    assert changes.loc["bookings", ["version_then", "version_now", "redefined"]].tolist() == [
        1, 2, True,
    ]  # fmt: skip
    assert not changes.loc["arr", "redefined"]
    listed = redefinitions(then, now)
    assert listed.to_dict("records") == [
        {"metric": "bookings", "label": "Bookings", "version_then": 1, "version_now": 2}
    ]
    assert redefinitions({"headlines": []}, now).empty  # a snapshot without versions
    assert not headline_changes({"headlines": []}, now)["redefined"].any()


def test_headline_changes_largest_relative_first():
    then = {"headlines": [{"metric": "arr", "value": 100.0}, {"metric": "bookings", "value": 10.0}]}
    now = {"headlines": [{"metric": "arr", "value": 101.0, "label": "ARR", "unit": "usd"},
                         {"metric": "bookings", "value": 15.0, "label": "Bookings",
                          "unit": "usd"}]}  # fmt: skip
    changes = headline_changes(then, now)
    assert changes["metric"].tolist() == ["bookings", "arr"]
    assert changes["change"].tolist() == [5.0, 1.0]
    assert changes["relative"].tolist() == [0.5, 0.01]


def test_forecast_changes_by_metric_period_and_forecaster():
    def call(who, value):
        return {"metric": "bookings", "period": "Q4 FY2027", "forecaster": who,
                "most_likely": value}  # fmt: skip

    then = {"forecasts": {"current": [call("Dana", 100.0), call("Priya", 90.0)]}}
    now = {"forecasts": {"current": [call("Dana", 80.0), call("Priya", 95.0), call("Lee", 10.0)]}}
    changes = forecast_changes(then, now).set_index("forecaster")
    assert changes.loc["Dana", "change"] == -20.0 and changes.loc["Priya", "change"] == 5.0
    assert pd.isna(changes.loc["Lee", "change"])  # no call then: no change to state
    assert forecast_changes(then, now)["forecaster"].iloc[0] == "Dana"


@pytest.mark.parametrize(
    ("last", "cadence", "today", "expected"),
    [
        (None, 14, date(2026, 12, 1), date(2026, 12, 1)),  # none held: today
        (date(2026, 12, 1), 14, date(2026, 12, 3), date(2026, 12, 15)),
        (date(2026, 12, 1), 14, date(2026, 12, 15), date(2026, 12, 15)),  # due today
        (date(2026, 11, 1), 14, date(2026, 12, 1), date(2026, 12, 13)),  # overdue: next on cadence
        (date(2026, 12, 1), 7, date(2026, 12, 2), date(2026, 12, 8)),
    ],
)
def test_next_review_date(last, cadence, today, expected):
    assert next_review_date(last, cadence, today) == expected


def test_a_cadence_under_a_day_is_refused():
    with pytest.raises(ValueError, match="at least one day, got 0"):
        next_review_date(date(2026, 12, 1), 0, date(2026, 12, 1))


@given(st.integers(1, 60), st.integers(0, 400))
@settings(max_examples=60, deadline=None)
def test_the_next_review_is_never_in_the_past(cadence, days_since):
    last = date(2026, 1, 1)
    today = date.fromordinal(last.toordinal() + days_since)
    found = next_review_date(last, cadence, today)
    assert found >= today and (found - last).days % cadence == 0


def test_jsonable_makes_every_value_json_ready():
    value = {"when": datetime(2026, 12, 1, 9), "day": pd.Timestamp("2026-12-01"),
             "nan": float("nan"), "inf": float("inf"), "n": np.float64(1.5), "k": np.int64(2),
             "nested": [(date(2026, 1, 1), None)]}  # fmt: skip
    assert jsonable(value) == {
        "when": "2026-12-01T09:00:00", "day": "2026-12-01T00:00:00", "nan": None, "inf": None,
        "n": 1.5, "k": 2, "nested": [["2026-01-01", None]],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("decision", "owner", "status", "problems"),
    [
        ("Add webinars", "CMO", "open", []),
        ("", "CMO", "open", ["Write the decision."]),
        ("Add webinars", " ", "open", ["Name the owner."]),
        (
            "Add webinars",
            "CMO",
            "maybe",
            ["Status must be one of open, done, dropped, got 'maybe'."],
        ),
        ("x" * 501, "CMO", "open", ["The decision is 501 characters; keep it to 500."]),
    ],
)
def test_check_decision(decision, owner, status, problems):
    assert check_decision(decision, owner, status) == problems


def test_open_decisions_earliest_due_first():
    frame = pd.DataFrame({"decision": ["b", "a", "c"], "status": ["open", "open", "done"],
                          "due_date": [date(2026, 12, 20), date(2026, 12, 10), None]})  # fmt: skip
    assert open_decisions(frame)["decision"].tolist() == ["a", "b"]
