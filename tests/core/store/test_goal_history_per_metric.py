"""Seasonal pacing learns from the history of the data each goal's metric reads.

Opportunities go back two years; spend was exported only from October 2026. Bookings goals pace
by the season of their two earlier years, spend goals linearly (their data has no earlier year).
"""

from __future__ import annotations

from datetime import date

import pytest

from core.definitions import DEFAULT_DEFINITIONS, METRIC_AGGREGATIONS
from core.store import goals as store_goals
from core.store.series import METRIC_TABLES, history_start, table_first_days
from tests.core.store.helpers import load, new_store, opportunity

AS_OF = date(2026, 12, 15)  # day 45 of Q4 (1 Nov 2026 - 31 Jan 2027, 92 days)
WON = {"is_closed": True, "is_won": True, "stage": "Closed Won"}


def goal(goal_id: str, metric: str, target: float) -> dict:
    return {
        "goal_id": goal_id,
        "parent_goal_id": None,
        "level": "quarterly",
        "goal_name": f"Goal {goal_id}",
        "metric": metric,
        "target": target,
        "period_label": "Q4 FY2027",
        "period_start": date(2026, 11, 1),
        "period_end": date(2027, 1, 31),
        "owner": "Dana",
        "direction": "higher",
        "campaign_id": None,
    }


def spend(day: date, amount: float) -> dict:
    return {
        "spend_date": day,
        "campaign_id": "C1",
        "source": "t",
        "channel": "paid_search",
        "amount_usd": amount,
    }


@pytest.fixture
def store(tmp_path):
    engine = new_store(tmp_path / "store.duckdb")
    load(
        engine,
        "opportunities",
        [
            # Q4 two years back: 200 of 400 won by 15 Dec 2024 (half).
            opportunity("A", 200.0, "2024-09-01", "2024-12-01", **WON),
            opportunity("B", 200.0, "2024-09-02", "2025-01-20", **WON),
            # Q4 a year back: 100 of 400 won by 15 Dec 2025 (a quarter).
            opportunity("C", 100.0, "2025-09-01", "2025-11-20", **WON),
            opportunity("D", 300.0, "2025-09-02", "2026-01-10", **WON),
            # This Q4 so far.
            opportunity("E", 150.0, "2026-09-01", "2026-12-01", **WON),
        ],
        date(2026, 12, 15),
    )
    load(
        engine,
        "spend",
        [spend(date(2026, 10, 1), 100.0), spend(date(2026, 11, 10), 300.0)],
        date(2026, 12, 15),
    )
    load(
        engine,
        "goals",
        [goal("BOOK", "bookings", 1000.0), goal("SPEND", "spend", 920.0)],
        date(2026, 11, 1),
    )
    yield engine
    engine.dispose()


def test_each_table_has_its_own_first_day(store):
    firsts = table_first_days(store)
    assert firsts == {"opportunities": date(2024, 9, 1), "spend": date(2026, 10, 1)}
    assert history_start(firsts, "bookings") == date(2024, 9, 1)
    assert history_start(firsts, "spend") == date(2026, 10, 1)
    # CAC reads both: its history starts where the shorter one does.
    assert history_start(firsts, "cac") == date(2026, 10, 1)
    assert history_start(firsts, "mqls") is None  # no leads loaded


def test_every_metric_with_a_history_names_the_tables_it_reads():
    with_history = {metric for metric, kind in METRIC_AGGREGATIONS.items() if kind != "point"}
    assert with_history == set(METRIC_TABLES)


@pytest.mark.parametrize(
    ("goal_id", "method", "expected_share", "expected"),
    [
        # Same days of earlier years: 200/400 = 0.5 (Q4 FY2025) and 100/400 = 0.25 (Q4 FY2026),
        # averaged 0.375 of 1,000.
        ("BOOK", "seasonal (2 earlier years)", 0.375, 375.0),
        # Spend starts 1 Oct 2026: no earlier Q4 to learn from, so 45 of 92 days of 920.
        (
            "SPEND",
            "linear (its data starts 1 Oct 2026: no earlier year to learn the season from)",
            45 / 92,
            450.0,
        ),
    ],
)
def test_each_goal_paces_on_the_history_of_its_own_metric(
    store, goal_id, method, expected_share, expected
):
    tracked = store_goals.track_goals(store, AS_OF, DEFAULT_DEFINITIONS).set_index("goal_id")
    row = tracked.loc[goal_id]
    assert row["pacing_method"] == method
    assert row["expected_share"] == pytest.approx(expected_share)
    assert row["expected"] == pytest.approx(expected)
    assert row["actual"] == pytest.approx({"BOOK": 150.0, "SPEND": 300.0}[goal_id])
