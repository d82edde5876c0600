"""A forecast is judged under the definition in effect when it was submitted, or all are
restated under the as-of day's on request; never mixed silently (issue 26, finding 1).

Hand-built store (fiscal years from February: Q3 FY2027 is Aug-Oct 2026): in Q3 a new-business
deal of 100 and a renewal of 1,000 were won. Bookings v1 counts new business and expansion
(100); v2, in effect from 1 Oct 2026, counts renewals too (1,100).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.calendar import FiscalCalendar
from core.store import definitions as store_definitions
from core.store import forecasts as store_forecasts
from tests.core.store.helpers import count_renewals_in_bookings, load, new_store, opportunity

CALENDAR = FiscalCalendar(2)
Q3 = CALENDAR.parse("Q3 FY2027")
AS_OF = date(2026, 11, 23)
WON = {"is_closed": True, "is_won": True, "stage": "Closed Won"}


def _forecast(who: str, submitted: date, value: float) -> dict:
    return {
        "forecast_id": f"{who}-{submitted}", "submitted_on": submitted,
        "period_label": Q3.label, "period_start": Q3.start, "period_end": Q3.end,
        "metric": "bookings", "value": value, "category": "most_likely", "forecaster": who,
    }  # fmt: skip


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = new_store(tmp_path_factory.mktemp("redefined") / "store.duckdb")
    deals = [
        opportunity("NEW", 100.0, "2026-07-01", "2026-09-10", **WON),
        opportunity("RENEW", 1000.0, "2026-07-01", "2026-09-20", opportunity_type="renewal",
                    **WON),
    ]  # fmt: skip
    load(engine, "opportunities", deals, date(2026, 11, 20))
    load(
        engine,
        "forecasts",
        [_forecast("Dana", date(2026, 8, 15), 100.0), _forecast("Sam", date(2026, 10, 15), 1100.0)],
        date(2026, 10, 15),
    )
    count_renewals_in_bookings(engine, date(2026, 10, 1), datetime(2026, 10, 1, 9, 0))
    yield engine
    engine.dispose()


def _actuals(report) -> dict[str, tuple[float, int]]:
    scored = report.scored
    return {
        row.forecaster: (float(row.actual), int(row.definition_version))
        for row in scored.itertuples()
    }


def test_each_forecast_is_held_to_the_definition_it_was_made_under(engine):
    definitions = store_definitions.current_definitions(engine, AS_OF)
    report = store_forecasts.accuracy_report(
        engine,
        AS_OF,
        CALENDAR,
        definitions,
        with_baselines=False,
        histories=store_definitions.all_histories(engine),
    )
    # Dana forecast 100 in August under v1 (new business): exact. Sam forecast 1,100 in
    # October under v2 (renewals too): exact. Before, both were judged against 1,100.
    assert _actuals(report) == {"Dana": (100.0, 1), "Sam": (1100.0, 2)}
    assert report.definition_versions == {"bookings": (1, 2)}


def test_on_request_every_forecast_is_restated_under_the_current_definition(engine):
    definitions = store_definitions.current_definitions(engine, AS_OF)
    report = store_forecasts.accuracy_report(
        engine, AS_OF, CALENDAR, definitions, with_baselines=False
    )
    assert _actuals(report) == {"Dana": (1100.0, 2), "Sam": (1100.0, 2)}
    assert report.definition_versions == {"bookings": (2,)}
