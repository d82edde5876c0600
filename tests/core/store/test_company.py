"""Company settings in a real store: set up, changed key by key in one transaction, audited,
refused to the wrong people, on a read-only store, and for a currency once amounts are stored.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from core.access import AccessDeniedError, Actor, Role
from core.company import CompanySettings, CurrencyChangeError, StoreCounts
from core.store import audit, queries
from core.store import company as store_company
from core.store.engine import ReadOnlyStoreError
from core.store.ingest.pipeline import undo_upload
from core.store.schema import open_store
from tests.core.store.helpers import load, new_store, opportunity, url_of

NOW = datetime(2026, 10, 15, 9, 30)
ACME = CompanySettings("Acme", 2, "end", "USD")
ADMIN = Actor("Ada Admin", Role.ADMIN, email="ada@example.com", signed_in=True)
EDITOR = Actor("Ed Editor", Role.EDITOR, email="ed@example.com", signed_in=True)
VIEWER = Actor("Vera Viewer", Role.VIEWER, email="vera@example.com", signed_in=True)


@pytest.fixture
def engine(tmp_path):
    engine = new_store(tmp_path / "store.duckdb")
    yield engine
    engine.dispose()


def goal(goal_id: str) -> dict:
    return {
        "goal_id": goal_id,
        "level": "quarterly",
        "goal_name": f"Pipeline {goal_id}",
        "metric": "pipeline",
        "target": 1_000_000.0,
        "period_label": "Q3 FY2027",
        "period_start": date(2026, 8, 1),
        "period_end": date(2026, 10, 31),
        "direction": "higher",
    }


def spend_row(day: str, amount: float) -> dict:
    return {
        "spend_date": date.fromisoformat(day),
        "campaign_id": "C-1",
        "source": "google_ads",
        "channel": "paid_search",
        "amount_usd": amount,
    }


def settings_rows(engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select key, value, updated_by from settings order by key")
        ).all()
    return {key: (value, by) for key, value, by in rows}


def audit_rows(engine) -> list[tuple[str, str, str, dict | None, dict | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "select actor, target, summary, before_json, after_json from audit_log "
                "where action = 'change_setting' order by audit_id"
            )
        ).all()
    return [
        (actor, target, summary, json.loads(before or "null"), json.loads(after or "null"))
        for actor, target, summary, before, after in rows
    ]


def test_an_empty_store_is_not_set_up(engine):
    assert store_company.company_settings(engine) is None
    assert store_company.store_counts(engine) == StoreCounts()


def test_the_first_set_up_writes_every_key_audited_and_bumps_the_version_once(engine):
    version = queries.data_version(engine)
    effect = store_company.save_company_settings(
        engine, CompanySettings("Acme", 4, "end", "eur"), None, "Dana Lee", NOW
    )
    assert effect == (
        "Company name set to Acme.",
        "Fiscal year starts in April, named by the year it ends in: the current quarter is "
        "Q3 FY2027 (1 Oct – 31 Dec 2026).",
        "Reporting currency set to EUR: amounts load in EUR from now on (other currencies are "
        "converted at the exchange rates you load).",
    )
    assert store_company.company_settings(engine) == CompanySettings("Acme", 4, "end", "EUR")
    assert settings_rows(engine) == {
        "company_name": ("Acme", "Dana Lee"),
        "currency": ("EUR", "Dana Lee"),
        "fiscal_year_named_by": ("end", "Dana Lee"),
        "fiscal_year_start_month": ("4", "Dana Lee"),
    }
    assert queries.data_version(engine) == version + 1
    assert [(target, before, after) for _actor, target, _s, before, after in audit_rows(engine)] == [
        ("setting company_name", {"company_name": None}, {"company_name": "Acme"}),
        ("setting fiscal_year_start_month", {"fiscal_year_start_month": None},
         {"fiscal_year_start_month": "4"}),
        ("setting fiscal_year_named_by", {"fiscal_year_named_by": None},
         {"fiscal_year_named_by": "end"}),
        ("setting currency", {"currency": None}, {"currency": "EUR"}),
    ]  # fmt: skip
    # The rest of the app reads the same calendar.
    calendar = queries.fiscal_calendar(queries.settings(engine))
    assert calendar.quarter_containing(NOW.date()).label == "Q3 FY2027"


def test_saving_the_same_settings_writes_nothing(engine):
    store_company.save_company_settings(engine, ACME, None, "Dana", NOW)
    version, audited = queries.data_version(engine), audit_rows(engine)
    assert store_company.save_company_settings(engine, ACME, None, "Sam", NOW) == ()
    assert queries.data_version(engine) == version
    assert audit_rows(engine) == audited
    assert {by for _value, by in settings_rows(engine).values()} == {"Dana"}


def test_a_fiscal_year_change_writes_only_that_key_and_says_what_the_plans_keep(engine):
    store_company.save_company_settings(engine, ACME, None, "Dana", NOW)
    load(engine, "goals", [goal("G-1"), goal("G-2")], date(2026, 8, 1))
    load(
        engine,
        "forecasts",
        [
            {
                "forecast_id": "F-1",
                "submitted_on": date(2026, 8, 3),
                "period_label": "Q3 FY2027",
                "period_start": date(2026, 8, 1),
                "period_end": date(2026, 10, 31),
                "metric": "bookings",
                "value": 500_000.0,
                "category": "commit",
                "forecaster": "Sam",
            }
        ],
        date(2026, 8, 3),
    )
    before = len(audit_rows(engine))
    effect = store_company.save_company_settings(
        engine, CompanySettings("Acme", 4, "end", "USD"), ADMIN, "ignored", NOW
    )
    assert effect == (
        "Fiscal year now starts in April (was February): the current quarter Q3 FY2027 "
        "(1 Aug – 31 Oct 2026) becomes Q3 FY2027 (1 Oct – 31 Dec 2026).",
        "2 goals and 1 forecast were loaded with period labels of the old calendar: they keep "
        "their dates (their Q3 FY2027 still means 1 Aug – 31 Oct 2026), so their labels no "
        "longer match the new quarters.",
    )
    rows = settings_rows(engine)
    assert rows["fiscal_year_start_month"] == ("4", "Ada Admin <ada@example.com>")
    assert rows["company_name"] == ("Acme", "Dana")  # unchanged keys are not rewritten
    new_rows = audit_rows(engine)[before:]
    assert [target for _actor, target, *_rest in new_rows] == [
        "setting fiscal_year_start_month",
        "company settings",
    ]
    actor, _target, summary, old, new = new_rows[1]
    assert actor == "Ada Admin <ada@example.com>"
    assert summary == " ".join(effect)
    assert (old["fiscal_year_start_month"], new["fiscal_year_start_month"]) == ("2", "4")
    assert old["currency"] == new["currency"] == "USD"
    # The goals keep their dates and labels.
    with engine.connect() as connection:
        periods = connection.execute(
            sa.text("select distinct period_label, period_start, period_end from current_goals")
        ).all()
    assert periods == [("Q3 FY2027", date(2026, 8, 1), date(2026, 10, 31))]


def test_a_name_change_on_a_store_with_data_is_audited_once(engine):
    store_company.save_company_settings(engine, ACME, None, "Dana", NOW)
    load(engine, "goals", [goal("G-1")], date(2026, 8, 1))
    before = len(audit_rows(engine))
    effect = store_company.save_company_settings(
        engine, CompanySettings("Acme Corp", 2, "end", "USD"), None, "Dana", NOW
    )
    assert effect == ("Company name now Acme Corp (was Acme).",)
    assert [row[1] for row in audit_rows(engine)[before:]] == ["setting company_name"]


@pytest.mark.parametrize(
    ("kind", "rows", "listed"),
    [
        ("opportunities", [opportunity("006A", 100.0, "2026-01-05", "2026-02-10")],
         "1 opportunity"),
        ("spend", [spend_row("2026-09-01", 50.0), spend_row("2026-09-02", 60.0)],
         "2 spend rows"),
        ("revenue", [{"account_id": "001A", "month": date(2026, 9, 1), "arr_usd": 1200.0}],
         "1 ARR row"),
        ("budgets", [{"period_label": "Q3 FY2027", "channel": "events",
                      "period_start": date(2026, 8, 1), "period_end": date(2026, 10, 31),
                      "planned_spend_usd": 9000.0}], "1 budget"),
        ("campaigns", [{"campaign_id": "C-1", "campaign_name": "Roadshow", "channel": "events",
                        "budget_usd": 8000.0},
                       {"campaign_id": "C-2", "campaign_name": "No budget", "channel": "events"}],
         "1 campaign budget"),
    ],
)  # fmt: skip
def test_amounts_without_their_currency_refuse_a_currency_change(engine, kind, rows, listed):
    # Rows written straight to the store carry no original currency (as before schema 14):
    # nothing says what they were written in, so they cannot be restated.
    store_company.save_company_settings(engine, ACME, None, "Dana", NOW)
    load(engine, kind, rows, date(2026, 10, 1))
    stored, audited = settings_rows(engine), audit_rows(engine)
    version = queries.data_version(engine)
    with pytest.raises(CurrencyChangeError) as refused:
        store_company.save_company_settings(
            engine, CompanySettings("Acme GmbH", 4, "end", "EUR"), None, "Dana", NOW
        )
    assert str(refused.value) == (
        f"Some amounts cannot be restated in EUR ({listed}): they were loaded before currencies "
        "were recorded, or have no day to read a rate for (a campaign budget without a start "
        "date). Undo those uploads and load their files again with dates, or keep USD."
    )
    # Nothing of the change was written, not even the name and month beside the currency.
    assert settings_rows(engine) == stored
    assert audit_rows(engine) == audited
    assert queries.data_version(engine) == version


def test_rates_alone_are_rebased_through_the_new_currency(engine):
    store_company.save_company_settings(engine, ACME, None, "Dana", NOW)
    # Rates convert other currencies to the reporting one: they are rates to USD.
    rates = [{"currency": "EUR", "rate_date": date(2026, 9, 1), "rate_period": "month",
              "rate": 1.25}]  # fmt: skip
    load(engine, "exchange_rates", rates, date(2026, 10, 1))
    effect = store_company.save_company_settings(
        engine, CompanySettings("Acme", 2, "end", "EUR"), None, "Dana", NOW
    )
    assert "restated in EUR" in effect[0]
    with engine.connect() as connection:
        rebased = connection.execute(
            sa.text("select currency, rate_date, rate_period, rate from current_exchange_rates")
        ).all()
    assert rebased == [("USD", date(2026, 9, 1), "month", 0.8)]


def test_amounts_loaded_before_set_up_are_usd_so_a_first_set_up_in_eur_is_refused(engine):
    load(engine, "spend", [spend_row("2026-09-01", 50.0)], date(2026, 9, 1))
    with pytest.raises(CurrencyChangeError, match=r"cannot be restated in EUR \(1 spend row\)"):
        store_company.save_company_settings(
            engine, CompanySettings("Acme", 4, "end", "EUR"), None, "Dana", NOW
        )
    assert store_company.company_settings(engine) is None
    effect = store_company.save_company_settings(
        engine, CompanySettings("Acme", 1, "end", "USD"), None, "Dana", NOW
    )
    assert effect[-1] == "Reporting currency set to USD, the currency of the amounts loaded so far."


def test_the_currency_may_change_while_only_plans_or_undone_amounts_are_stored(engine):
    store_company.save_company_settings(engine, ACME, None, "Dana", NOW)
    load(engine, "goals", [goal("G-1")], date(2026, 8, 1))
    upload_id = load(engine, "spend", [spend_row("2026-09-01", 50.0)], date(2026, 9, 1))
    undo_upload(engine, upload_id, "Dana", NOW)  # its rows stop counting
    assert store_company.store_counts(engine) == StoreCounts(goals=1)
    effect = store_company.save_company_settings(
        engine, CompanySettings("Acme", 2, "end", "GBP"), None, "Dana", NOW
    )
    assert effect == (
        "Reporting currency now GBP (was USD). Amounts loaded so far stay in USD as loaded: any "
        "money among the targets of 1 goal is not converted; amounts load in GBP from now on "
        "(other currencies are converted at the exchange rates you load).",
    )
    assert store_company.company_settings(engine).currency == "GBP"
    assert audit_rows(engine)[-1][1] == "company settings"


def test_the_store_counts_what_a_change_concerns(engine):
    load(engine, "goals", [goal("G-1"), goal("G-2")], date(2026, 8, 1))
    load(engine, "goals", [goal("G-1")], date(2026, 8, 2))  # a new version, not a new goal
    load(engine, "opportunities", [opportunity("006A", 100.0, "2026-01-05", "2026-02-10"),
                                   opportunity("006B", 200.0, "2026-01-06", "2026-02-11")],
         date(2026, 2, 1))  # fmt: skip
    assert store_company.store_counts(engine) == StoreCounts(goals=2, opportunities=2)


@pytest.mark.parametrize("actor", [VIEWER, EDITOR])
def test_only_admins_change_the_settings(engine, actor):
    with pytest.raises(AccessDeniedError, match="may not change a setting"):
        store_company.save_company_settings(engine, ACME, actor, "", NOW)
    assert settings_rows(engine) == {}
    assert audit_rows(engine) == []


def test_a_local_caller_must_say_who_they_are(engine):
    with pytest.raises(ValueError, match="Say who is making the change"):
        store_company.save_company_settings(engine, ACME, None, "  ", NOW)
    assert settings_rows(engine) == {}


def test_a_read_only_store_refuses_the_change(engine):
    url = url_of(engine)
    engine.dispose()
    reader = open_store(url, read_only=True)
    try:
        with pytest.raises(ReadOnlyStoreError):
            store_company.save_company_settings(reader, ACME, None, "Dana", NOW)
        assert store_company.company_settings(reader) is None
    finally:
        reader.dispose()


def test_a_failure_part_way_leaves_every_setting_as_it_was(engine, monkeypatch):
    store_company.save_company_settings(engine, ACME, None, "Dana", NOW)
    load(engine, "goals", [goal("G-1")], date(2026, 8, 1))
    stored = settings_rows(engine)
    original = audit.record

    def failing(connection, actor, action, target, *args, **kwargs):
        if target == "company settings":
            raise RuntimeError("the disk is full")
        return original(connection, actor, action, target, *args, **kwargs)

    monkeypatch.setattr(audit, "record", failing)
    with pytest.raises(RuntimeError, match="the disk is full"):
        store_company.save_company_settings(
            engine, CompanySettings("Acme", 4, "start", "USD"), None, "Dana", NOW
        )
    assert settings_rows(engine) == stored
