"""``python -m core rates``: list the rates in force, add some by hand, and see what a change of
rates restated (as reported beside restated), as a person reads it and as JSON.

A store set up as "Acme, EUR" loads the multi-currency Salesforce export; the AUD rate of July
is then changed by hand. Expectations come from the file's cells and the typed rates.
"""

from __future__ import annotations

import csv
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest

from core.store.engine import create_store_engine
from core.store.schema import migrate
from tests.core.store.ingest.test_real_exports import RATES, REAL
from tests.core.test_cli_settings import cli, run_cli
from tests.stores import fresh_store_url

FILE = REAL / "salesforce_dataloader_opportunities_multicurrency.csv"
CENT = Decimal("0.01")


def _aud_july_amounts() -> list[Decimal]:
    with FILE.open(encoding="utf-8-sig", newline="") as handle:
        return [
            Decimal(row["AMOUNT"])
            for row in csv.DictReader(handle)
            if row["CURRENCYISOCODE"] == "AUD" and row["CLOSEDATE"].startswith("2026-07")
        ]


@pytest.fixture
def acme_url(tmp_path):
    empty_url = fresh_store_url(tmp_path / "acme.duckdb")
    engine = create_store_engine(empty_url)
    migrate(engine)
    engine.dispose()
    code, _out, err = cli(
        "settings", "--db", empty_url, "--company-name", "Acme", "--fiscal-year-start", "April",
        "--currency", "EUR", "--by", "tester",
    )  # fmt: skip
    assert code == 0, err
    code, _out, err = cli(
        "ingest", str(REAL / "rates_monthly_eur.csv"), "--db", empty_url, "--by", "tester"
    )
    assert code == 0, err
    return empty_url


def test_rates_lists_the_rates_and_nothing_restated(acme_url):
    code, out, err = cli("rates", "--db", acme_url)
    assert (code, err) == (0, "")
    assert out.startswith("Rates to EUR (1 unit of the currency buys):\n")
    assert "  AUD  2026-07     0.5985\n" in out
    assert "Restated" not in out
    code, out, _err = cli("rates", "--db", acme_url, "--restated")
    assert (code, out) == (0, "Nothing restated: every amount stands at the rate it loaded at.\n")


def test_a_rate_typed_by_hand_restates_and_says_so(acme_url):
    code, _out, err = cli("ingest", str(FILE), "--db", acme_url, "--by", "tester")
    assert code == 0, err
    amounts = _aud_july_amounts()
    old, new = RATES[("AUD", "2026-07")], Decimal("0.65")
    reported = sum((a * old).quantize(CENT, rounding=ROUND_HALF_UP) for a in amounts)
    restated = sum((a * new).quantize(CENT, rounding=ROUND_HALF_UP) for a in amounts)

    code, out, err = cli("rates", "--db", acme_url, "--add", "AUD", "2026-07", "0.65")
    assert (code, err) == (0, ""), err
    assert out.startswith("Loaded 1 row into exchange_rates")
    assert (
        f"  Restated at the rates in force: {len(amounts)} opportunities "
        f"record{'s' if len(amounts) > 1 else ''} in AUD, "
        f"July 2026: €{reported:,.2f} as reported, €{restated:,.2f} restated."
    ) in out

    code, out, err = cli("rates", "--db", acme_url)
    assert (code, err) == (0, "")
    assert "  AUD  2026-07     0.65\n" in out
    records = f"{len(amounts):>7,} records"
    assert (
        f"  opportunities AUD  2026-07  {records}  as reported €{reported:,.2f}  "
        f"restated €{restated:,.2f}  (€{restated - reported:,.2f})\n"
    ) in out

    code, out, err = cli("rates", "--db", acme_url, "--restated", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == [
        {
            "table": "opportunities",
            "currency": "AUD",
            "month": "2026-07-01",
            "records": len(amounts),
            "reported": float(reported),
            "restated": float(restated),
            "difference": float(restated - reported),
            "rate_reported": f"{float(old):g}",
            "rate_now": "0.65",
            "reported_in": "EUR",
            "restated_in": "EUR",
        }
    ]


def test_rates_as_a_command_prints_no_traceback_on_a_bad_rate(acme_url):
    result = run_cli("rates", "--db", acme_url, "--add", "AUD", "2026-07", "minus one")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "a rate is a number such as 0.6021" in result.stderr


def test_a_new_reporting_currency_restates_and_rates_show_both(acme_url):
    code, _out, err = cli("ingest", str(FILE), "--db", acme_url, "--by", "tester")
    assert code == 0, err
    code, out, err = cli("settings", "--db", acme_url, "--currency", "USD", "--by", "Dana")
    assert (code, err) == (0, ""), err
    assert "Reporting currency now USD (was EUR): the amounts already loaded" in out
    code, out, err = cli("rates", "--db", acme_url)
    assert (code, err) == (0, "")
    assert out.startswith("Rates to USD (1 unit of the currency buys):\n")
    assert "  EUR  2026-07  " in out and "  USD  " not in out
    amounts = _aud_july_amounts()
    rate = (RATES[("AUD", "2026-07")] / RATES[("USD", "2026-07")]).quantize(Decimal("1e-12"))
    restated = sum((a * rate).quantize(CENT, rounding=ROUND_HALF_UP) for a in amounts)
    reported = sum(
        (a * RATES[("AUD", "2026-07")]).quantize(CENT, rounding=ROUND_HALF_UP) for a in amounts
    )
    assert (
        f"  opportunities AUD  2026-07  {len(amounts):>7,} records  as reported "
        f"€{reported:,.2f}  restated ${restated:,.2f}\n"
    ) in out
