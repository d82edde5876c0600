"""Overview trends compare like for like (issue 26, finding 5): the quarter still running counts
its days to date, and last year's same quarter the same days, not its whole. Expectations are
hand-computed from the rows below."""

from __future__ import annotations

from datetime import date

import pytest

from core.calendar import FiscalCalendar
from core.overview import arr_label
from core.store import definitions as store_definitions
from core.store.overview import trends
from tests.core.store.helpers import load, new_store, opportunity

CALENDAR = FiscalCalendar(2)  # the year starts in February: Q4 FY2027 is Nov 2026 - Jan 2027


def _won(key: str, amount: float, day: str) -> dict:
    return opportunity(key, amount, day, day, is_closed=True, is_won=True, stage="Closed Won")


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = new_store(tmp_path_factory.mktemp("like") / "store.duckdb")
    load(
        engine,
        "opportunities",
        [
            _won("Q3-LY", 50.0, "2025-09-01"),  # a complete quarter last year: counted whole
            _won("Q4-LY-EARLY", 100.0, "2025-11-10"),  # before 23 Nov 2025: the same days
            _won("Q4-LY-LATE", 1000.0, "2025-12-15"),  # after them: not yet comparable
            _won("Q4-NOW", 300.0, "2026-11-05"),
        ],
        date(2026, 11, 23),
    )
    spend = [(date(2025, 11, 20), 10.0), (date(2025, 11, 24), 20.0), (date(2026, 11, 2), 5.0)]
    rows = [
        {"spend_date": day, "campaign_id": "C", "source": "t", "channel": "paid_search",
         "amount_usd": amount}
        for day, amount in spend
    ]  # fmt: skip
    load(engine, "spend", rows, date(2026, 11, 23))
    yield engine
    engine.dispose()


def _by_label(frame) -> dict[str, float]:
    return dict(zip(frame["label"], frame["amount_usd"], strict=True))


def _trends(engine, as_of: date):
    definitions = store_definitions.definitions_on(store_definitions.all_histories(engine), as_of)
    return trends(engine, definitions, CALENDAR, CALENDAR.parse("Q4 FY2027"), as_of)


def test_last_years_bar_covers_the_same_days_as_the_quarter_to_date(engine):
    found = _trends(engine, date(2026, 11, 23))
    assert _by_label(found["bookings"]) == {
        "Q3 FY2026": 50.0,
        "Q4 FY2026": 100.0,  # 1 to 23 Nov 2025, like 1 to 23 Nov 2026
        "Q4 FY2027": 300.0,
    }
    assert _by_label(found["pipeline_created"])["Q4 FY2026"] == 100.0
    assert _by_label(found["spend"]) == {"Q4 FY2026": 10.0, "Q4 FY2027": 5.0}


def test_a_complete_quarter_is_compared_with_last_years_whole_quarter(engine):
    found = _trends(engine, date(2027, 2, 5))  # Q4 FY2027 ended on 31 Jan 2027
    assert _by_label(found["bookings"])["Q4 FY2026"] == 1100.0
    assert _by_label(found["spend"])["Q4 FY2026"] == 30.0


@pytest.mark.parametrize(
    ("month", "as_of", "label"),
    [
        (date(2026, 12, 1), date(2026, 12, 7), "ARR run rate, Dec 2026 to date"),
        (date(2026, 11, 1), date(2026, 11, 30), "ARR at end of Nov 2026"),
        (date(2026, 11, 1), date(2026, 11, 29), "ARR run rate, Nov 2026 to date"),
        (date(2026, 10, 1), date(2026, 12, 7), "ARR at end of Oct 2026"),  # a past quarter
        (date(2024, 2, 1), date(2024, 2, 29), "ARR at end of Feb 2024"),  # leap day
    ],
)
def test_arr_is_at_end_of_a_month_only_once_it_has_ended(month, as_of, label):
    assert arr_label(month, as_of) == label
