"""The Overview's ARR card reads the latest month the billing rows reach (a billing export often
stops at the last closed month): on 20 Nov with rows through October it shows October's ARR,
labelled "at end of Oct 2026", and last year's October beside it, never $0 for November.
Expectations are hand-computed from the rows below."""

from __future__ import annotations

from datetime import date

import pytest

from core.calendar import FiscalCalendar
from core.overview import arr_label
from core.store import definitions as store_definitions
from core.store.overview import headline_totals, loaded_windows
from core.store.reviews import build_snapshot
from tests.core.store.helpers import load, new_store

CALENDAR = FiscalCalendar(2)  # Q4 FY2027 is Nov 2026 - Jan 2027
QUARTER = CALENDAR.parse("Q4 FY2027")
AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = new_store(tmp_path_factory.mktemp("arr-month") / "store.duckdb")
    rows = [
        {"account_id": "A1", "month": date(2025, 10, 1), "arr_usd": 1000.0},
        {"account_id": "A1", "month": date(2026, 9, 1), "arr_usd": 1200.0},
        {"account_id": "A1", "month": date(2026, 10, 1), "arr_usd": 1500.0},
        {"account_id": "A2", "month": date(2026, 10, 1), "arr_usd": 250.5},
    ]
    load(engine, "revenue", rows, date(2026, 11, 5))
    yield engine
    engine.dispose()


def _definitions(engine):
    return store_definitions.definitions_on(store_definitions.all_histories(engine), AS_OF)


def test_the_arr_month_falls_back_to_the_last_month_billed(engine):
    windows = loaded_windows(engine, CALENDAR, QUARTER, AS_OF)
    assert windows.arr_month == date(2026, 10, 1)  # November has no billing row yet
    assert windows.arr_month_last_year == date(2025, 10, 1)
    assert arr_label(windows.arr_month, AS_OF) == "ARR at end of Oct 2026"


def test_the_headline_is_octobers_arr_not_zero(engine):
    totals = headline_totals(engine, _definitions(engine), CALENDAR, QUARTER, AS_OF)
    assert totals["arr"] == (1750.5, 1000.0)  # 1,500 + 250.50; last October 1,000


def test_a_month_that_is_billed_is_kept(engine):
    # As of 31 Oct the as-of month (October) has rows: nothing moves.
    windows = loaded_windows(engine, CALENDAR, CALENDAR.parse("Q3 FY2027"), date(2026, 10, 31))
    assert windows.arr_month == date(2026, 10, 1)


def test_the_review_snapshot_records_the_month_it_read(engine):
    snapshot = build_snapshot(
        engine, _definitions(engine), CALENDAR, QUARTER, AS_OF, {"currency": "USD"}
    )
    assert snapshot["arr_month"] == "2026-10-01"  # JSON-ready
