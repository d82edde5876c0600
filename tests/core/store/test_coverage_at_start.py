"""Coverage at a period's start uses each deal as the exports showed it on the eve of the
period, never today's version (issue 26, finding 2), as the waterfall's "open at start" does.

Q3 FY2027 (Aug-Oct 2026), bookings target 1,000. Export of 31 Jul: A (300, due 10 Sep) and
B (200, due 20 Oct) open, C (100, due 5 Nov, after the quarter) open. Export of 15 Sep: A won,
B resized to 900 and pulled in to 1 Oct, C pulled into the quarter (25 Oct), D created (400).
Open at the start and due in the quarter: A 300 + B 200 = 500, so coverage 0.5, whatever
happened since. Read from the 15 Sep versions it would be (900 + 100 + 400) / 1000 = 1.4.
"""

from __future__ import annotations

from datetime import date

import pytest

from core.definitions import DEFAULT_DEFINITIONS
from core.store.metrics import metric_value
from tests.core.store.helpers import load, new_store, opportunity

FIRST, LAST = date(2026, 8, 1), date(2026, 10, 31)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    engine = new_store(tmp_path_factory.mktemp("coverage") / "store.duckdb")
    a = opportunity("A", 300.0, "2026-06-01", "2026-09-10")
    b = opportunity("B", 200.0, "2026-06-15", "2026-10-20")
    c = opportunity("C", 100.0, "2026-07-01", "2026-11-05")
    load(engine, "opportunities", [a, b, c], date(2026, 7, 31))
    later = [
        {**a, "is_closed": True, "is_won": True, "stage": "Closed Won"},
        {**b, "amount_usd": 900.0, "close_date": date(2026, 10, 1)},
        {**c, "close_date": date(2026, 10, 25)},
        opportunity("D", 400.0, "2026-08-20", "2026-10-30"),
    ]
    load(engine, "opportunities", later, date(2026, 9, 15))
    load(
        engine,
        "goals",
        [{"goal_id": "G1", "level": "quarterly", "goal_name": "Bookings Q3",
          "metric": "bookings", "target": 1000.0, "period_label": "Q3 FY2027",
          "period_start": FIRST, "period_end": LAST, "direction": "higher"}],
        date(2026, 7, 31),
    )  # fmt: skip
    yield engine
    engine.dispose()


def test_coverage_at_the_start_reads_the_deals_as_they_were_then(store):
    coverage = DEFAULT_DEFINITIONS["coverage"]
    assert metric_value(store, coverage, FIRST, LAST) == pytest.approx(0.5)


def test_a_later_export_never_moves_the_coverage_the_quarter_started_with(store):
    coverage = DEFAULT_DEFINITIONS["coverage"]
    before = metric_value(store, coverage, FIRST, LAST)
    load(
        store,
        "opportunities",
        [opportunity("E", 5000.0, "2026-07-20", "2026-09-30")],  # backdated creation, new export
        date(2026, 10, 1),
    )
    assert metric_value(store, coverage, FIRST, LAST) == before
