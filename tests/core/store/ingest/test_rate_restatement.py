"""A change of exchange rates restates amounts already loaded, like a changed definition.

The facts keep every amount as reported (converted at the rate in force when it loaded); what
the app reads (``current_*``, the opportunity versions and history, the stage visits, the ARR
summary) follows the rate in force now. Undoing the new rates takes the restatement back.
Expectations are computed here with ``decimal`` from the files' own cells and the rates typed
in the tests, never read back from the loader.
"""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.store.company import save_company_settings
from core.store.engine import create_store_engine
from core.store.ingest.pipeline import IngestOptions, ingest_file, undo_upload
from core.store.restate import restatements
from core.store.schema import MIGRATIONS, VERSIONED_TABLES, migrate
from tests.core.store.ingest.test_real_exports import (
    ACME,
    NOW,
    RATES,
    REAL,
    load,
    rows_of,
)
from tests.core.store.test_current_tables import assert_current_is_live
from tests.stores import fresh_store_url

CENT = Decimal("0.01")
NEW_AUD_JULY = Decimal("0.6500")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _aud_july_deals() -> dict[str, Decimal]:
    """Opportunity id -> amount written, for the AUD deals closing in July 2026 (from csv)."""
    path = REAL / "salesforce_dataloader_opportunities_multicurrency.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {
            row["ID"]: Decimal(row["AMOUNT"])
            for row in csv.DictReader(handle)
            if row["CURRENCYISOCODE"] == "AUD" and row["CLOSEDATE"].startswith("2026-07")
        }


def _current(engine: Engine, relation: str, ids: list[str]) -> dict[str, float]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                f"select opportunity_id, amount_usd from {relation} where opportunity_id in :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": ids},
        ).all()
    return {str(key): float(value) for key, value in rows}


def _new_rates(engine: Engine, tmp_path, text: str):
    path = tmp_path / "new_rates.csv"
    path.write_text(text, encoding="utf-8")
    report = ingest_file(engine, path, IngestOptions(now=NOW))
    assert report.status == "loaded", report.message
    return report


def test_a_new_rate_restates_loaded_amounts_and_undo_takes_it_back(acme, tmp_path):
    report = load(acme, "salesforce_dataloader_opportunities_multicurrency.csv")
    assert report.status == "loaded", report.message
    deals = _aud_july_deals()
    assert deals  # the file has AUD deals closing in July
    ids = sorted(deals)
    old_rate = RATES[("AUD", "2026-07")]
    reported = {key: float(_cents(amount * old_rate)) for key, amount in deals.items()}
    restated = {key: float(_cents(amount * NEW_AUD_JULY)) for key, amount in deals.items()}
    assert _current(acme, "current_opportunities", ids) == reported
    others_before = rows_of(acme, "current_opportunities", report.upload_id)
    others_before = others_before[~others_before["opportunity_id"].isin(ids)]

    rates = _new_rates(acme, tmp_path, f"month,currency,rate\n2026-07,AUD,{NEW_AUD_JULY}\n")

    # What the app reads follows the new rate, row by row, to the cent.
    for relation in ("current_opportunities", "opportunity_versions", "opportunity_history"):
        assert _current(acme, relation, ids) == restated, relation
    with acme.connect() as connection:
        visits = connection.execute(
            sa.text(
                "select distinct amount_usd from opportunity_stage_visits "
                "where opportunity_id = :id"
            ),
            {"id": ids[0]},
        ).all()
    assert [float(value) for (value,) in visits] == [restated[ids[0]]]
    # The facts keep them as reported; nothing else moved.
    facts = rows_of(acme, "opportunities", report.upload_id).set_index("opportunity_id")
    assert {key: float(facts.loc[key, "amount_usd"]) for key in ids} == reported
    assert {float(facts.loc[key, "exchange_rate"]) for key in ids} == {float(old_rate)}
    others = rows_of(acme, "current_opportunities", report.upload_id)
    others = others[~others["opportunity_id"].isin(ids)]
    pd.testing.assert_frame_equal(
        others.sort_values("opportunity_id").reset_index(drop=True),
        others_before.sort_values("opportunity_id").reset_index(drop=True),
    )
    assert_current_is_live(acme)

    # Shown like a changed definition: as reported and restated, for the month it moved.
    reported_total = sum(_cents(amount * old_rate) for amount in deals.values())
    restated_total = sum(_cents(amount * NEW_AUD_JULY) for amount in deals.values())
    with acme.connect() as connection:
        found = restatements(connection, VERSIONED_TABLES)
    assert [(r.table, r.currency, r.month.isoformat(), r.records) for r in found] == [
        ("opportunities", "AUD", "2026-07-01", len(deals))
    ]
    assert (found[0].reported, found[0].restated) == (reported_total, restated_total)
    assert found[0].rates_reported == (float(old_rate), float(old_rate))
    assert found[0].rate_now == (float(NEW_AUD_JULY), float(NEW_AUD_JULY))
    said = [d for d in rates.decisions if d.startswith("Restated at the rates in force")]
    assert said == [
        f"Restated at the rates in force: {len(deals)} opportunities record"
        f"{'s' if len(deals) > 1 else ''} in AUD, July 2026: €{reported_total:,.2f} as "
        f"reported, €{restated_total:,.2f} restated. The upload history keeps every amount as "
        "reported; undo these rates to take it back."
    ]

    # Undo the new rates: every amount stands as reported again.
    undo_upload(acme, rates.upload_id, by="test")
    for relation in ("current_opportunities", "opportunity_versions", "opportunity_history"):
        assert _current(acme, relation, ids) == reported, relation
    with acme.connect() as connection:
        assert restatements(connection, VERSIONED_TABLES) == []
    assert_current_is_live(acme)


def test_a_day_rate_restates_spend_of_that_day_only(acme, tmp_path):
    report = load(acme, "google_ads_campaign_report_aud_by_day.csv")
    assert report.status == "loaded", report.message
    facts = rows_of(acme, "spend", report.upload_id)
    day = sorted(facts["spend_date"].astype(str))[0]
    on_day = facts[facts["spend_date"].astype(str) == day]
    rate = Decimal("0.7000")
    _new_rates(acme, tmp_path, f"date,currency,rate\n{day},AUD,{rate}\n")
    current = rows_of(acme, "current_spend", report.upload_id)
    moved = current[current["spend_date"].astype(str) == day]
    expected = sorted(
        float(_cents(Decimal(str(amount)) * rate)) for amount in on_day["original_amount"]
    )
    assert sorted(moved["amount_usd"].astype(float)) == expected
    still = current[current["spend_date"].astype(str) != day].sort_values(
        ["spend_date", "campaign_id"]
    )
    before = facts[facts["spend_date"].astype(str) != day].sort_values(
        ["spend_date", "campaign_id"]
    )
    assert still["amount_usd"].tolist() == before["amount_usd"].tolist()
    assert_current_is_live(acme)


def _refreshed(engine: Engine) -> dict[str, tuple[str, object]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select table_name, upload_ids, refreshed_at from current_tables")
        ).all()
    return {str(name): (str(ids), at) for name, ids, at in rows if name != "exchange_rates"}


def test_a_rate_for_a_currency_nobody_loaded_restates_nothing(acme, tmp_path):
    load(acme, "salesforce_dataloader_opportunities_multicurrency.csv")
    before = _refreshed(acme)
    rates = _new_rates(acme, tmp_path, "month,currency,rate\n2026-07,JPY,0.0061\n")
    assert not [d for d in rates.decisions if d.startswith("Restated")]
    with acme.connect() as connection:
        assert restatements(connection, VERSIONED_TABLES) == []
    # Only the rates table moved: no money table was rebuilt for a currency none holds.
    assert _refreshed(acme) == before


def test_schema_16_restates_a_store_that_kept_amounts_as_loaded(tmp_path):
    """Before schema 16 the current tables kept every amount at the rate it loaded at."""
    engine = create_store_engine(fresh_store_url(tmp_path / "old.duckdb"))
    try:
        up_to_15 = {version: MIGRATIONS[version] for version in range(1, 16)}
        assert migrate(engine, up_to_15) == 15
        save_company_settings(engine, ACME, None, "tester", NOW)
        assert load(engine, "rates_monthly_eur.csv").loaded
        deals = load(engine, "salesforce_dataloader_opportunities_multicurrency.csv")
        _new_rates(engine, tmp_path, f"month,currency,rate\n2026-07,AUD,{NEW_AUD_JULY}\n")
        ids = sorted(_aud_july_deals())
        with engine.begin() as connection:  # as release 15 left it: amounts as loaded
            connection.execute(
                sa.text(
                    "update current_opportunities as cur set amount_usd = fact.amount_usd, "
                    "exchange_rate = fact.exchange_rate from opportunities as fact "
                    "where fact.upload_id = cur.upload_id "
                    "and fact.opportunity_id = cur.opportunity_id"
                )
            )
        old_rate = RATES[("AUD", "2026-07")]
        amounts = _aud_july_deals()
        as_loaded = {key: float(_cents(amounts[key] * old_rate)) for key in ids}
        assert _current(engine, "current_opportunities", ids) == as_loaded
        assert migrate(engine) == 16
        restated = {key: float(_cents(amounts[key] * NEW_AUD_JULY)) for key in ids}
        assert _current(engine, "current_opportunities", ids) == restated
        assert rows_of(engine, "opportunities", deals.upload_id)["amount_usd"].notna().all()
        assert_current_is_live(engine)
    finally:
        engine.dispose()


def test_a_total_spread_over_its_days_is_restated_to_the_cent(acme, tmp_path):
    """Each campaign's days add up to its written total times the new rate, exactly."""
    name = "google_ads_campaign_report_aud_no_day.csv"
    with (REAL / name).open(encoding="utf-8-sig", newline="") as handle:
        lines = handle.read().splitlines()[2:]  # a title line and the date range first
    totals = {
        row["Campaign"]: Decimal(row["Cost"].replace(",", ""))
        for row in csv.DictReader(lines)
        if row["Campaign"] and not row["Campaign status"].startswith("Total")
    }
    report = load(acme, name)
    assert report.status == "loaded", report.message
    rate = Decimal("0.6500")
    _new_rates(acme, tmp_path, f"month,currency,rate\n2026-06,AUD,{rate}\n")
    with acme.connect() as connection:
        rows = connection.execute(
            sa.text(
                "select campaign_id, amount_usd, exchange_rate from current_spend "
                "where upload_id = :upload_id"
            ),
            {"upload_id": report.upload_id},
        ).all()
    restated: dict[str, Decimal] = {}
    for campaign, amount, applied in rows:
        restated[campaign] = restated.get(campaign, Decimal(0)) + Decimal(str(amount))
        assert applied == float(rate)
    assert sorted(restated.values()) == sorted(_cents(total * rate) for total in totals.values())
    with acme.connect() as connection:
        (found,) = restatements(connection, VERSIONED_TABLES)
    assert found.restated == sum(_cents(total * rate) for total in totals.values())
    assert_current_is_live(acme)
