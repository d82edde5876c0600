"""Changing the reporting currency once amounts are loaded restates every amount (issue 25).

Acme reports in EUR with monthly rates to EUR (USD, GBP, AUD). It loads a multi-currency
Salesforce export and then changes to USD. Expectations are computed here from the file's cells
and the rates file with ``csv`` and ``decimal``: a currency's rate to USD is its rate to EUR
divided by USD's rate to EUR for the month (EUR's own: 1 over USD's), to 12 decimals, and each
amount is the written amount times that rate, rounded to the cent half away from zero.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.company import CompanySettings, CurrencyChangeError
from core.store import queries
from core.store.company import preview_change, save_company_settings
from core.store.engine import create_store_engine
from core.store.restate import restatements
from core.store.schema import VERSIONED_TABLES, migrate
from tests.core.store.ingest.test_real_exports import ACME, NOW, RATES, REAL, load
from tests.core.store.test_current_tables import assert_current_is_live
from tests.stores import fresh_store_url

FILE = "salesforce_dataloader_opportunities_multicurrency.csv"
IN_USD = CompanySettings("Acme", 4, "end", "USD")
LATER = datetime(2026, 11, 30, 9, 0)
CENT = Decimal("0.01")
DIGITS = Decimal("1e-12")


def _to_usd(amount: Decimal, currency: str, month: str) -> Decimal:
    if currency == "USD":
        return amount
    via = RATES[("USD", month)]
    rate = (Decimal(1) / via if currency == "EUR" else RATES[(currency, month)] / via).quantize(
        DIGITS
    )
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def _written() -> dict[str, tuple[Decimal, str, str]]:
    """Opportunity id -> (amount written, currency, close month), from the file."""
    with (REAL / FILE).open(encoding="utf-8-sig", newline="") as handle:
        return {
            row["ID"]: (Decimal(row["AMOUNT"]), row["CURRENCYISOCODE"], row["CLOSEDATE"][:7])
            for row in csv.DictReader(handle)
            if row["AMOUNT"]
        }


def _amounts(engine: Engine, relation: str) -> dict[str, Decimal]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                f"select opportunity_id, amount_usd from {relation} "
                "where original_amount is not null"
            )
        ).all()
    return {str(key): Decimal(str(value)) for key, value in rows}


def _statuses(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select file_name, status from uploads order by upload_id")
        ).all()
    return [(str(name), str(status)) for name, status in rows]


def test_a_new_reporting_currency_restates_every_amount(acme):
    assert load(acme, FILE).loaded
    written = _written()
    assert {currency for _, currency, _ in written.values()} >= {"USD", "EUR", "GBP", "AUD"}
    as_reported = _amounts(acme, "current_opportunities")  # in EUR

    preview = preview_change(acme, IN_USD, NOW.date())
    effect = save_company_settings(acme, IN_USD, None, "Dana", LATER)
    assert effect == preview
    assert "restated in USD from the amounts as written" in effect[0]
    assert effect[-1].startswith("Every amount already loaded (")

    expected = {key: _to_usd(*value) for key, value in written.items()}
    for relation in ("current_opportunities", "opportunity_versions", "opportunity_history"):
        assert _amounts(acme, relation) == expected, relation
    # The facts keep every amount as reported, in EUR.
    assert _amounts(acme, "opportunities") == as_reported
    statuses = _statuses(acme)
    assert statuses[0] == ("rates_monthly_eur.csv", "undone")  # rates to EUR: superseded
    assert statuses[-1][0].startswith("rates rebased from EUR to USD") and statuses[-1][1] == (
        "loaded"
    )
    with acme.connect() as connection:
        rates = dict(
            connection.execute(
                sa.text(
                    "select currency, rate from current_exchange_rates "
                    "where rate_date = date '2026-07-01'"
                )
            ).all()
        )
        found = restatements(connection, VERSIONED_TABLES)
        reported_in = connection.execute(
            sa.text("select distinct reporting_currency from uploads where kind = 'opportunities'")
        ).scalar_one()
    assert "USD" not in rates  # the unit now
    assert Decimal(str(rates["EUR"])) == (Decimal(1) / RATES[("USD", "2026-07")]).quantize(DIGITS)
    assert reported_in == "EUR"
    assert {item.reported_in for item in found} == {"EUR"}
    assert {item.restated_in for item in found} == {"USD"}
    assert all(item.difference is None for item in found)
    assert sum(item.records for item in found) == len(written)
    assert sum(item.restated for item in found) == sum(expected.values())
    assert queries.settings(acme)["currency"] == "USD"
    assert_current_is_live(acme)


def _acme_with(tmp_path, rates: str) -> Engine:
    """A new store set up as Acme (EUR) holding only the rates written in ``rates``."""
    engine = create_store_engine(fresh_store_url(tmp_path / "acme.duckdb"))
    migrate(engine)
    save_company_settings(engine, ACME, None, "tester", NOW)
    path = tmp_path / "rates.csv"
    path.write_text(rates, encoding="utf-8")
    assert load(engine, str(path)).loaded
    return engine


def test_a_month_without_the_new_currency_s_rate_refuses_the_change_and_writes_nothing(tmp_path):
    engine = _acme_with(tmp_path, "month,currency,rate\n2026-06,AUD,0.6021\n")
    try:
        assert load(engine, "google_ads_campaign_report_aud_no_day.csv").loaded
        before = (_statuses(engine), queries.settings(engine), queries.data_version(engine))
        with pytest.raises(CurrencyChangeError) as refused:
            preview_change(engine, IN_USD, NOW.date())
        with pytest.raises(CurrencyChangeError) as refused_again:
            save_company_settings(engine, IN_USD, None, "Dana", LATER)
        assert str(refused.value) == str(refused_again.value)
        assert str(refused.value).startswith(
            "To report in USD, every amount is restated through USD's rate to EUR, and some "
            "months have none: USD in June 2026. Load USD's rate to EUR for those months first"
        )
        assert (_statuses(engine), queries.settings(engine), queries.data_version(engine)) == (
            before
        )
    finally:
        engine.dispose()


def test_rates_alone_are_rebased(tmp_path):
    engine = _acme_with(
        tmp_path, "month,currency,rate\n2026-06,USD,0.8\n2026-06,AUD,0.6\n2026-07,GBP,1.17\n"
    )
    try:
        effect = save_company_settings(engine, IN_USD, None, "Dana", LATER)
        assert effect[-1].endswith(
            "1 rate to EUR cannot be rebased (no USD rate for their month; no amount needs "
            "them) and no longer count."
        )
        with engine.connect() as connection:
            rebased = connection.execute(
                sa.text("select currency, rate_date, rate from current_exchange_rates order by 1")
            ).all()
        assert rebased == [("AUD", date(2026, 6, 1), 0.75), ("EUR", date(2026, 6, 1), 1.25)]
    finally:
        engine.dispose()
