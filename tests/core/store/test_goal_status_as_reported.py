"""A goal whose metric was redefined since its period began shows its status restated under
today's definition with the status as reported under the one it was set against beside it
(issue 26, finding 1): never a silent flip from red to green.

Q3 FY2027 (Aug-Oct 2026) bookings goal, target 1,000. Won in Q3: new business 100 and a
renewal 1,000. Bookings v1 counts new business and expansion (100: red); v2, in effect from
1 Oct 2026, counts renewals too (1,100: green).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.store import definitions as store_definitions
from core.store.goals import track_goals
from tests.core.store.helpers import count_renewals_in_bookings, load, new_store, opportunity

AS_OF = date(2026, 11, 23)
WON = {"is_closed": True, "is_won": True, "stage": "Closed Won"}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = new_store(tmp_path_factory.mktemp("reported") / "store.duckdb")
    deals = [
        opportunity("NEW", 100.0, "2026-07-01", "2026-09-10", **WON),
        opportunity("RENEW", 1000.0, "2026-07-01", "2026-09-20", opportunity_type="renewal",
                    **WON),
    ]  # fmt: skip
    load(engine, "opportunities", deals, date(2026, 11, 20))
    load(
        engine,
        "goals",
        [{"goal_id": "G1", "level": "quarterly", "goal_name": "Bookings Q3",
          "metric": "bookings", "target": 1000.0, "period_label": "Q3 FY2027",
          "period_start": date(2026, 8, 1), "period_end": date(2026, 10, 31),
          "direction": "higher"}],
        date(2026, 7, 31),
    )  # fmt: skip
    count_renewals_in_bookings(engine, date(2026, 10, 1), datetime(2026, 10, 1, 9, 0))
    yield engine
    engine.dispose()


def test_the_status_is_restated_with_the_status_as_reported_beside_it(engine):
    definitions = store_definitions.current_definitions(engine, AS_OF)
    histories = store_definitions.all_histories(engine)
    goal = track_goals(engine, AS_OF, definitions, histories=histories).iloc[0]
    assert (goal["definition_version"], goal["status"], goal["actual"]) == (2, "green", 1100.0)
    assert (goal["reported_version"], goal["reported_status"]) == (1, "red")
    assert goal["reported_projection"] == 100.0


def test_without_a_redefinition_nothing_is_reported_twice(engine):
    definitions = store_definitions.current_definitions(engine, date(2026, 9, 15))
    histories = store_definitions.all_histories(engine)
    goal = track_goals(engine, date(2026, 9, 15), definitions, histories=histories).iloc[0]
    assert goal["definition_version"] == 1
    assert goal["reported_version"] is None and goal["reported_status"] is None
