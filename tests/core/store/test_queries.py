"""Read queries against a small hand-built store: every expected number is worked out by hand."""

from datetime import date

import pandas as pd
import pytest

from core.store import queries
from tests.core.store.helpers import NOW, load, new_store, opportunity


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = new_store(tmp_path_factory.mktemp("queries") / "store.duckdb")
    load(
        engine,
        "opportunities",
        [
            opportunity(
                "006A",
                100.0,
                "2026-01-05",
                "2026-02-10",
                is_closed=True,
                is_won=True,
                stage="Closed Won",
            ),
            opportunity(
                "006B",
                40.0,
                "2026-01-20",
                "2026-02-20",
                is_closed=True,
                is_won=False,
                stage="Closed Lost",
            ),
            opportunity("006C", 60.0, "2026-02-03", "2026-03-30"),
            opportunity(
                "006D",
                25.0,
                "2026-02-11",
                "2026-02-27",
                opportunity_type="expansion",
                is_closed=True,
                is_won=True,
                stage="Closed Won",
            ),
            opportunity(
                "006E",
                500.0,
                "2026-02-12",
                "2026-02-28",
                opportunity_type="renewal",
                is_closed=True,
                is_won=True,
                stage="Closed Won",
            ),
        ],
        date(2026, 2, 28),
    )
    # A later export changes 006C's amount: the current version counts, not the old one.
    load(
        engine,
        "opportunities",
        [opportunity("006C", 80.0, "2026-02-03", "2026-03-30")],
        date(2026, 3, 2),
    )
    spend = [
        {
            "spend_date": date(2026, 1, 31),
            "campaign_id": "701A",
            "source": "google_ads",
            "channel": "paid_search",
            "amount_usd": 10.0,
        },
        {
            "spend_date": date(2026, 2, 1),
            "campaign_id": "701A",
            "source": "google_ads",
            "channel": "paid_search",
            "amount_usd": 7.5,
        },
        {
            "spend_date": date(2026, 2, 2),
            "campaign_id": "701B",
            "source": "finance",
            "channel": "events",
            "amount_usd": 2.5,
        },
    ]
    load(engine, "spend", spend, date(2026, 2, 2))
    revenue = [
        {"account_id": "001A", "month": date(2026, 1, 1), "arr_usd": 1200.0},
        {"account_id": "001B", "month": date(2026, 1, 1), "arr_usd": 600.0},
        {"account_id": "001A", "month": date(2026, 2, 1), "arr_usd": 1500.0},
    ]
    load(engine, "revenue", revenue, date(2026, 2, 28))
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    ("first", "last", "date_field", "types", "won_only", "expected"),
    [
        # Created in January: A (100) + B (40).
        (date(2026, 1, 1), date(2026, 1, 31), "created_date", ["new_business"], False, 140.0),
        # Created in February, new business: C at its current amount (80, not 60).
        (date(2026, 2, 1), date(2026, 2, 28), "created_date", ["new_business"], False, 80.0),
        # Won in February, new business and expansion (bookings): A (100) + D (25).
        (
            date(2026, 2, 1),
            date(2026, 2, 28),
            "close_date",
            ["new_business", "expansion"],
            True,
            125.0,
        ),
        # Window edges are inclusive: A closes on 10 Feb.
        (date(2026, 2, 10), date(2026, 2, 10), "close_date", ["new_business"], True, 100.0),
        (date(2026, 3, 1), date(2026, 3, 31), "close_date", ["renewal"], True, 0.0),
    ],
)
def test_opportunity_amount(engine, first, last, date_field, types, won_only, expected):
    assert queries.opportunity_amount(engine, first, last, date_field, types, won_only) == expected


def test_opportunity_amount_by_month(engine):
    monthly = queries.opportunity_amount_by_month(
        engine, date(2026, 1, 1), date(2026, 3, 31), "created_date", ["new_business"]
    )
    assert monthly["month"].dt.strftime("%Y-%m").tolist() == ["2026-01", "2026-02"]
    assert monthly["amount_usd"].tolist() == [140.0, 80.0]


def test_date_field_must_come_from_the_allow_list(engine):
    with pytest.raises(
        ValueError, match="must be one of created_date, close_date, got 'amount_usd; drop'"
    ):
        queries.opportunity_amount(
            engine, date(2026, 1, 1), date(2026, 1, 2), "amount_usd; drop", ["x"]
        )


def test_spend(engine):
    assert (
        queries.spend_amount(engine, date(2026, 2, 1), date(2026, 2, 28), ["paid_search", "events"])
        == 10.0
    )
    assert (
        queries.spend_amount(engine, date(2026, 1, 1), date(2026, 2, 28), ["paid_search"]) == 17.5
    )
    monthly = queries.spend_by_month(engine, date(2026, 1, 1), date(2026, 2, 28), ["paid_search"])
    assert monthly["amount_usd"].tolist() == [10.0, 7.5]


def test_arr_by_month(engine):
    arr = queries.arr_by_month(engine, date(2026, 1, 1), date(2026, 2, 1))
    assert arr[["arr_usd", "account_count"]].values.tolist() == [[1800.0, 2], [1500.0, 1]]


def test_extent_summary_and_history(engine):
    extent = queries.data_extent(engine)
    # Opportunities start on 5 Jan, ARR on 1 Jan, spend on 31 Jan: all three cover from 31 Jan.
    assert extent == queries.DataExtent(date(2026, 1, 31), date(2026, 3, 2), 4, NOW)
    summary = queries.table_summary(engine).set_index("table_name")
    assert summary.loc["opportunities", ["stored_rows", "current_rows", "uploads"]].tolist() == [
        6,
        5,
        2,
    ]
    assert summary.loc["spend", "first_date"] == pd.Timestamp("2026-01-31").date()
    assert summary.loc["goals", "current_rows"] == 0
    history = queries.upload_history(engine, limit=2)
    assert history["upload_id"].tolist() == [4, 3]
    with pytest.raises(ValueError, match="limit must be at least 1"):
        queries.upload_history(engine, limit=0)


def test_fiscal_calendar_from_settings():
    assert queries.fiscal_calendar({}).start_month == 1
    calendar = queries.fiscal_calendar(
        {"fiscal_year_start_month": "2", "fiscal_year_named_by": "start"}
    )
    assert (calendar.start_month, calendar.named_by) == (2, "start")


def test_a_campaign_list_loaded_later_does_not_move_the_data_date(tmp_path):
    engine = new_store(tmp_path / "store.duckdb")
    load(engine, "opportunities", [opportunity("006A", 100.0, "2026-01-05", "2026-02-10")],
         date(2026, 3, 2))  # fmt: skip
    campaign = {"campaign_id": "701A", "campaign_name": "Renamed", "channel": "paid_search"}
    load(engine, "campaigns", [campaign], date(2026, 4, 15))
    assert queries.data_extent(engine).data_through == date(2026, 3, 2)
    assert queries.data_extent(engine).upload_count == 2  # the list is loaded, and counted
