"""Daily metric series agree with metric_value; goals are tracked, edited and commented.

Uses the hand-built store of ``test_metrics`` (window Aug 1 - Oct 31 2026).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.definitions import DEFAULT_DEFINITIONS, METRIC_AGGREGATIONS
from core.store import goals as store_goals
from core.store.metrics import metric_value
from core.store.series import metric_series
from tests.core.store.helpers import load, new_store, opportunity
from tests.core.store.test_metrics import FIRST, LAST, store  # noqa: F401 - the shared fixture

WINDOWS = [
    (FIRST, LAST),
    (date(2026, 8, 1), date(2026, 8, 31)),
    (date(2026, 9, 1), date(2026, 10, 15)),
    (date(2026, 10, 1), date(2026, 11, 22)),
]


@pytest.mark.parametrize(
    "metric",
    [metric for metric, kind in METRIC_AGGREGATIONS.items() if kind in ("sum", "level")],
)
def test_sums_and_levels_of_the_series_equal_metric_value(store, metric):  # noqa: F811
    definition = DEFAULT_DEFINITIONS[metric]
    series = metric_series(store, definition, date(2025, 10, 1), date(2026, 11, 30))
    assert series is not None
    for first, last in WINDOWS:
        assert series.value(first, last) == pytest.approx(
            metric_value(store, definition, first, last)
        ), (metric, first, last)


@pytest.mark.parametrize("metric", ["win_rate", "cac", "cost_per_mql", "payback"])
def test_ratios_of_the_series_equal_metric_value_when_no_customer_wins_twice(store, metric):  # noqa: F811
    definition = DEFAULT_DEFINITIONS[metric]
    series = metric_series(store, definition, date(2025, 10, 1), date(2026, 11, 30))
    assert series.value(FIRST, LAST) == pytest.approx(metric_value(store, definition, FIRST, LAST))


def test_point_metrics_have_no_series(store):  # noqa: F811
    assert metric_series(store, DEFAULT_DEFINITIONS["coverage"], FIRST, LAST) is None


def test_campaign_series_keep_one_campaign(store):  # noqa: F811
    spend = metric_series(store, DEFAULT_DEFINITIONS["spend"], FIRST, LAST, campaign_id="C1")
    assert spend.value(FIRST, LAST) == 1000.0  # C1's Aug 10 spend; its Nov 1 spend is outside
    with pytest.raises(ValueError, match="cannot be measured for one campaign"):
        metric_series(store, DEFAULT_DEFINITIONS["arr"], FIRST, LAST, campaign_id="C1")


# -- goals in a store of their own -----------------------------------------------------------
Q = (date(2026, 8, 1), date(2026, 10, 31))  # Q3 FY2027, 92 days
NOW = datetime(2026, 11, 23, 10, 0)


def goal(goal_id: str, target: float, parent: str | None = None, **extra: object) -> dict:
    row = {
        "goal_id": goal_id,
        "parent_goal_id": parent,
        "level": "quarterly",
        "goal_name": f"Goal {goal_id}",
        "metric": "bookings",
        "target": target,
        "period_label": "Q3 FY2027",
        "period_start": Q[0],
        "period_end": Q[1],
        "owner": "Dana",
        "direction": "higher",
        "campaign_id": None,
    }
    row.update(extra)
    return row


@pytest.fixture
def goal_store(tmp_path):
    engine = new_store(tmp_path / "goals.duckdb")
    won = {"is_closed": True, "is_won": True, "stage": "Closed Won"}
    load(
        engine,
        "opportunities",
        [
            opportunity("A", 300.0, "2026-07-01", "2026-08-20", **won),
            opportunity("B", 100.0, "2026-07-01", "2026-09-05", account_id="002B", **won),
            opportunity("C", 50.0, "2026-11-01", "2026-11-02", account_id="003C", **won),
        ],
        date(2026, 11, 23),
    )
    load(
        engine,
        "goals",
        [
            goal("Y", 2000.0, level="annual", period_label="FY2027",
                 period_start=date(2026, 2, 1), period_end=date(2027, 1, 31)),
            goal("Q3", 800.0, parent="Y"),
        ],
        date(2026, 11, 1),
    )  # fmt: skip
    yield engine
    engine.dispose()


def tracked_row(engine, goal_id: str, as_of: date = date(2026, 9, 15)) -> dict:
    frame = store_goals.track_goals(engine, as_of, DEFAULT_DEFINITIONS)
    return frame.set_index("goal_id").loc[goal_id].to_dict()


def test_a_goal_is_tracked_from_the_store(goal_store):
    row = tracked_row(goal_store, "Q3")
    # Aug 1 - Sep 15 = 46 of 92 days; bookings A 300 + B 100 = 400; no earlier year: linear.
    assert row["actual"] == 400.0
    assert row["elapsed_share"] == pytest.approx(0.5)
    assert row["expected"] == pytest.approx(400.0)
    assert row["pace"] == pytest.approx(1.0)
    assert row["projection"] == pytest.approx(800.0)
    assert row["status"] == "green"
    assert row["relation"] == "rolls_up"
    assert row["contribution"] == pytest.approx(1.0)  # all of the year's bookings so far
    assert row["probability"] is None or row["probability"] != row["probability"]  # NaN
    assert row["probability_note"].startswith("Too little history")


def test_editing_a_target_makes_a_new_version_and_logs_the_change(goal_store):
    upload_id = store_goals.record_goal_edits(goal_store, {"Q3": {"target": 850.0}}, "Dana", NOW)
    assert tracked_row(goal_store, "Q3")["status"] == "amber"  # projection 800 / 850 = 0.94
    log = store_goals.goal_change_log(goal_store)
    assert log[["goal_id", "field", "old_value", "new_value", "changed_by", "status"]].to_dict(
        "records"
    ) == [
        {
            "goal_id": "Q3",
            "field": "target",
            "old_value": "800.00",
            "new_value": "850.00",
            "changed_by": "Dana",
            "status": "loaded",
        }
    ]
    with goal_store.connect() as connection:
        source, kind = connection.execute(
            sa.text("select source, kind from uploads where upload_id = :id"), {"id": upload_id}
        ).one()
        versions = connection.execute(
            sa.text("select count(*) from goals where goal_id = 'Q3'")
        ).scalar_one()
    assert (source, kind, versions) == ("goals_page", "goals", 2)


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ({"Q3": {"target": 0.0}}, "Goal Q3 (Goal Q3): target 0.00 must be above zero"),
        ({"Q3": {"parent_goal_id": "Q3"}}, "Goal Q3 (Goal Q3): parent_goal_id is the goal itself"),
        ({"Y": {"parent_goal_id": "Q3"}}, "makes a cycle: Q3 → Y → Q3"),
        ({"Q3": {"parent_goal_id": "NOPE"}}, "the parent must exist"),
        ({"Q3": {"direction": "sideways"}}, "direction must be higher or lower"),
        ({"Q3": {"target": "lots"}}, "target must be a number"),
        ({"Q3": {"metric": "arr"}}, "metric cannot be edited here"),
        ({"ZZ": {"target": 5.0}}, "There is no goal 'ZZ'."),
        ({"Q3": {"target": 800.0}}, "Nothing changed"),
    ],
)
def test_bad_edits_are_refused_and_store_nothing(goal_store, edits, message):
    with goal_store.connect() as connection:
        before = connection.execute(sa.text("select count(*) from uploads")).scalar_one()
    with pytest.raises(store_goals.GoalEditError) as refused:
        store_goals.record_goal_edits(goal_store, edits, "Dana", NOW)
    assert any(message in problem for problem in refused.value.problems), refused.value.problems
    with goal_store.connect() as connection:
        after = connection.execute(sa.text("select count(*) from uploads")).scalar_one()
        changes = connection.execute(sa.text("select count(*) from goal_changes")).scalar_one()
    assert (after, changes) == (before, 0)


def test_an_edit_needs_an_author(goal_store):
    with pytest.raises(store_goals.GoalEditError, match="your name is required"):
        store_goals.record_goal_edits(goal_store, {"Q3": {"target": 900.0}}, "  ", NOW)


def test_comments_are_appended_with_author_and_date(goal_store):
    store_goals.add_comment(goal_store, "Q3", "Amber: two deals slipped.", "Dana", NOW)
    later = NOW + timedelta(days=1)
    store_goals.add_comment(goal_store, "Q3", "Recovered one.", "Sam", later)
    comments = store_goals.comments(goal_store, "Q3")
    assert list(comments["comment"]) == ["Recovered one.", "Amber: two deals slipped."]
    assert list(store_goals.latest_comments(goal_store)["author"]) == ["Sam"]
    for text, author, problem in (
        ("", "Dana", "empty"),
        ("x", "", "author"),
        ("x", "D", "no goal"),
    ):
        with pytest.raises(ValueError, match=problem):
            store_goals.add_comment(
                goal_store, "Q3" if problem != "no goal" else "NOPE", text, author, NOW
            )


def test_undoing_a_page_edit_restores_the_target_and_says_so_in_the_log(goal_store):
    from core.store.ingest.pipeline import undo_upload

    upload_id = store_goals.record_goal_edits(goal_store, {"Q3": {"target": 850.0}}, "Dana", NOW)
    undo_upload(goal_store, upload_id, "Sam")
    assert tracked_row(goal_store, "Q3")["target"] == 800.0
    assert list(store_goals.goal_change_log(goal_store)["status"]) == ["undone"]
