"""A real company's own exports (``tests/fixtures/exports/real``) into a store set up as "Acme,
fiscal year from April, EUR" (issue 25).

The files were written from the vendors' documented columns, not from our generator, and
``expected.json`` beside them holds what a person reads in each file (rows, money per currency
and month), computed with Python's ``csv`` and ``decimal`` from the files alone. The rates come
from ``rates_monthly_eur.csv``, read here with ``csv`` too. So every expectation below comes
from the files, never from the loader:

- nothing is dropped or altered: the amounts stored as written (``original_amount``) add up,
  per currency and month, to the file's totals, to the cent;
- every converted amount is the written amount times the rate of its currency and month,
  rounded to the cent (half away from zero), row by row;
- a total over a date range (no day column) is spread over its days so that each campaign's
  converted days add up to its converted total exactly.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.company import CompanySettings
from core.store.company import save_company_settings
from core.store.engine import create_store_engine
from core.store.ingest.pipeline import IngestOptions, IngestReport, ingest_file, rejects_of
from core.store.schema import migrate
from tests.stores import fresh_store_url

REAL = Path(__file__).resolve().parents[3] / "fixtures" / "exports" / "real"
EXPECTED = json.loads((REAL / "expected.json").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 23, 9, 0)
ACME = CompanySettings(
    name="Acme", fiscal_year_start_month=4, fiscal_year_named_by="end", currency="EUR"
)
CENT = Decimal("0.01")


def monthly_rates(name: str = "rates_monthly_eur.csv") -> dict[tuple[str, str], Decimal]:
    """(currency, 'YYYY-MM') -> EUR per unit, read from the rates file with csv."""
    with (REAL / name).open(encoding="utf-8-sig", newline="") as handle:
        return {
            (row["currency"], row["month"][:7]): Decimal(row["rate"])
            for row in csv.DictReader(handle)
        }


RATES = monthly_rates()


def converted(amount: Decimal, currency: str, month: str) -> Decimal:
    """What one amount is worth in EUR at its month's rate, to the cent."""
    if currency == "EUR":
        return amount
    return (amount * RATES[(currency, month)]).quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def load(engine: Engine, name: str, **options: object) -> IngestReport:
    return ingest_file(engine, REAL / name, IngestOptions(now=NOW, **options))  # type: ignore[arg-type]


def rows_of(engine: Engine, table: str, upload_id: int | None) -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.read_sql(
            sa.text(f"select * from {table} where upload_id = :upload_id"),
            connection,
            params={"upload_id": upload_id},
        )


def original_totals(frame: pd.DataFrame, day_column: str) -> dict[str, dict[str, str]]:
    """What was stored as written, per currency and month: the file's totals if nothing was
    lost."""
    found: dict[str, dict[str, Decimal]] = {}
    for amount, code, day in zip(
        frame["original_amount"], frame["original_currency"], frame[day_column], strict=True
    ):
        if pd.isna(amount):
            continue
        month = pd.Timestamp(day).strftime("%Y-%m")
        by_month = found.setdefault(str(code), {})
        by_month[month] = by_month.get(month, Decimal(0)) + Decimal(str(amount))
    return {
        code: {month: f"{total.quantize(CENT)}" for month, total in sorted(months.items())}
        for code, months in found.items()
    }


def assert_converted_row_by_row(frame: pd.DataFrame, store_column: str, day_column: str) -> None:
    for amount, code, day, stored, rate in zip(
        frame["original_amount"],
        frame["original_currency"],
        frame[day_column],
        frame[store_column],
        frame["exchange_rate"],
        strict=True,
    ):
        if pd.isna(amount):
            continue
        month = pd.Timestamp(day).strftime("%Y-%m")
        assert money(stored) == converted(Decimal(str(amount)), str(code), month), (code, day)
        assert Decimal(str(rate)) == (Decimal(1) if code == "EUR" else RATES[(code, month)])


# --------------------------------------------------------------------------------------------
# Spend
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "preset", "rows"),
    [
        ("google_ads_campaign_report_aud_by_day.csv", "google_ads", 49),
        ("google_ads_campaign_report_by_day.xlsx", "google_ads", 49),
        ("meta_ads_manager_eur_daily.csv", "meta_ads", 42),
    ],
)
def test_daily_ad_reports_load_converted_at_each_months_rate(acme, name, preset, rows):
    expected = EXPECTED[name]
    report = load(acme, name)
    assert report.status == "loaded", report.message
    assert report.preset is not None and report.preset.name == preset
    assert report.rows_valid == rows == expected["data_rows"]
    assert report.rows_skipped == expected["skipped_rows"]
    stored = rows_of(acme, "spend", report.upload_id)
    assert original_totals(stored, "spend_date") == expected["totals"]
    assert_converted_row_by_row(stored, "amount_usd", "spend_date")
    assert not stored["is_spread"].any()


def test_meta_boosted_posts_sharing_a_name_on_a_day_add_up(acme):
    expected = EXPECTED["meta_ads_manager_eur_daily.csv"]
    report = load(acme, "meta_ads_manager_eur_daily.csv")
    # 42 rows; 4 groups of 2 rows share a name on a day: 38 records, none refused.
    assert report.rows_stored == expected["data_rows"] - (
        expected["shared_name_rows"] - expected["shared_name_groups"]
    )
    assert report.message.startswith("Loaded 42 rows into spend as 38 records")
    stored = rows_of(acme, "spend", report.upload_id)
    assert not stored.duplicated(["spend_date", "campaign_id", "source"]).any()
    assert money(stored["amount_usd"].sum()) == Decimal(expected["totals"]["EUR"]["2026-09"])


@pytest.mark.parametrize(
    ("name", "days"),
    [
        ("google_ads_campaign_report_aud_no_day.csv", 25),
        ("google_ads_campaign_report_uk_no_day_utf16.csv", 31),
    ],
)
def test_google_ads_without_day_is_spread_over_the_range_to_the_cent(acme, name, days):
    expected = EXPECTED[name]
    report = load(acme, name)
    assert report.status == "loaded", report.message
    assert report.preset is not None and report.preset.name == "google_ads_totals"
    assert report.rows_valid == expected["data_rows"]
    assert report.rows_stored == expected["data_rows"] * days
    assert any("spread evenly" in decision for decision in report.decisions)
    stored = rows_of(acme, "spend", report.upload_id)
    assert stored["is_spread"].all()
    assert original_totals(stored, "spend_date") == expected["totals"]
    ((code, months),) = expected["totals"].items()
    ((month, _),) = months.items()
    for _campaign, days_of in stored.groupby("campaign_id"):
        assert len(days_of) == days
        written = sum(Decimal(str(value)) for value in days_of["original_amount"])
        # The campaign's days in EUR add up to its total converted once, to the cent ...
        assert money(days_of["amount_usd"].sum()) == converted(written, code, month)
        # ... and no day differs from another by more than a cent.
        cents = (days_of["amount_usd"] * 100).round().astype(int)
        assert cents.max() - cents.min() <= 1


def test_meta_totals_over_a_period_spread_and_keyed_by_campaign_id(acme):
    expected = EXPECTED["meta_ads_manager_eur_period.csv"]
    report = load(acme, "meta_ads_manager_eur_period.csv")
    assert report.status == "loaded", report.message
    assert report.preset is not None and report.preset.name == "meta_ads_period"
    assert report.rows_skipped == expected["skipped_rows"]  # the account summary row
    stored = rows_of(acme, "spend", report.upload_id)
    assert original_totals(stored, "spend_date") == expected["totals"]
    ids = set(stored["campaign_id"])
    for campaign_ids in expected["same_name_different_id"].values():
        assert set(campaign_ids) <= ids  # two boosted posts of one name stay two campaigns
    assert len(stored) == expected["data_rows"] * 31


def test_google_ads_all_time_is_refused_with_what_to_do(acme):
    report = load(acme, "google_ads_campaign_report_all_time.csv")
    assert report.status == "unreadable"
    assert "All time" in report.message
    assert "Segment > Time > Day" in report.message


def test_a_platform_without_a_channel_column_loads_once_the_channel_is_set(acme):
    name = "microsoft_ads_campaign_daily.csv"
    refused = load(acme, name, date_order="mdy")
    assert refused.status == "invalid"
    assert "--set channel=paid_social" in refused.message
    report = load(acme, name, date_order="mdy", fixed_values={"channel": "Paid search"})
    assert report.status == "loaded", report.message
    stored = rows_of(acme, "spend", report.upload_id)
    assert set(stored["channel"]) == {"paid_search"}
    assert original_totals(stored, "spend_date") == EXPECTED[name]["totals"]
    assert_converted_row_by_row(stored, "amount_usd", "spend_date")


def test_a_currency_without_a_rate_for_a_month_is_refused_naming_both(tmp_path):
    engine = create_store_engine(fresh_store_url(tmp_path / "missing.duckdb"))
    migrate(engine)
    try:
        save_company_settings(engine, ACME, None, "tester", NOW)
        assert load(engine, "rates_missing_aud_june.csv").status == "loaded"
        for name in EXPECTED["rates_missing_aud_june.csv"]["refuse_with_this_file"]:
            report = load(engine, name)
            assert report.status == "needs_rates", (name, report.message)
            assert [(item.currency, item.months) for item in report.missing_rates] == [
                ("AUD", (date(2026, 6, 1),))
            ]
            assert report.message.startswith("No exchange rate to EUR for AUD in June 2026")
            with engine.connect() as connection:
                count = connection.execute(sa.text("select count(*) from spend")).scalar_one()
            assert count == 0
    finally:
        engine.dispose()


def test_a_days_rate_wins_over_its_months(acme, tmp_path):
    assert load(acme, "rates_daily_eur.csv").status == "loaded"
    spend = tmp_path / "usd_spend.csv"
    spend.write_text(
        "date,channel,amount,campaign_id\n2026-06-03,events,100.00,EV-1\n"
        "2026-06-20,events,100.00,EV-1\n",
        encoding="utf-8",
    )
    report = ingest_file(acme, spend, IngestOptions(now=NOW, fixed_values={"currency": "usd"}))
    assert report.status == "loaded", report.message
    with (REAL / "rates_daily_eur.csv").open(encoding="utf-8-sig", newline="") as handle:
        daily = {row["date"]: Decimal(row["rate"]) for row in csv.DictReader(handle)}
    stored = rows_of(acme, "spend", report.upload_id).sort_values("spend_date")
    assert [money(value) for value in stored["amount_usd"]] == [
        (Decimal(100) * daily["2026-06-03"]).quantize(CENT, rounding=ROUND_HALF_UP),
        (Decimal(100) * RATES[("USD", "2026-06")]).quantize(CENT, rounding=ROUND_HALF_UP),
    ]


# --------------------------------------------------------------------------------------------
# Opportunities
# --------------------------------------------------------------------------------------------
def test_salesforce_custom_types_blank_amounts_and_backfills_load_with_warnings(acme):
    name = "salesforce_report_custom_types.csv"
    expected = EXPECTED[name]
    report = load(acme, name)
    assert report.status == "loaded", report.message
    assert report.rows_valid == expected["data_rows"]  # "Sum Wong" and friends are kept
    assert (
        report.warning_count
        == expected["blank_amount_rows"] + expected["close_before_created_rows"]
    )
    warnings = report.warnings["warning"]
    assert warnings.str.startswith("is blank: loaded as 0").sum() == expected["blank_amount_rows"]
    assert (
        warnings.str.startswith("closes before it was created").sum()
        == expected["close_before_created_rows"]
    )
    stored = rows_of(acme, "opportunities", report.upload_id)
    assert original_totals(stored, "close_date") == expected["totals"]
    assert_converted_row_by_row(stored, "amount_usd", "close_date")
    assert (stored.loc[stored["original_amount"].isna(), "amount_usd"] == 0).all()
    # Types no default names load as Other and are listed with their counts.
    listed = {
        item.value: (item.rows, item.loads_as, item.origin)
        for item in report.values
        if item.field == "opportunity_type"
    }
    counts = expected["type_counts"]
    assert listed["Opportunity"] == (counts["Opportunity"], "other", "unmapped")
    assert listed["Partner Resale"] == (counts["Partner Resale"], "other", "unmapped")
    assert listed["New Customer"] == (counts["New Customer"], "new_business", "default")
    assert listed["Existing Customer - Upgrade"][1:] == ("expansion", "default")


def test_a_value_mapping_is_applied_and_remembered_for_the_format(acme, tmp_path):
    name = "salesforce_report_custom_types.csv"
    chosen = {
        "opportunity_type": {
            "Opportunity": "new_business",
            "New Business / Add-on": "expansion",
            "Partner Resale": "new_business",
        },
        "lead_source": {"Online Form": "direct"},
    }
    report = load(acme, name, value_mapping=chosen, remember_mapping=True)
    assert report.status == "loaded", report.message
    stored = rows_of(acme, "opportunities", report.upload_id)
    counts = EXPECTED[name]["type_counts"]
    assert (stored["opportunity_type"] == "other").sum() == 0
    assert (stored["opportunity_type"] == "expansion").sum() == (
        counts["New Business / Add-on"] + counts["Existing Customer - Upgrade"]
    )
    # The same format next time: remembered, without choosing again.
    again = tmp_path / "next_week.csv"
    again.write_bytes((REAL / name).read_bytes() + b"\n")
    second = ingest_file(acme, again, IngestOptions(now=NOW, dry_run=True))
    origins = {(item.field, item.value): item.origin for item in second.values}
    assert origins[("opportunity_type", "Opportunity")] == "remembered"
    assert origins[("lead_source", "Online Form")] == "remembered"


def test_multi_currency_salesforce_converts_row_by_row(acme):
    name = "salesforce_dataloader_opportunities_multicurrency.csv"
    expected = EXPECTED[name]
    report = load(acme, name)
    assert report.status == "loaded", report.message
    stored = rows_of(acme, "opportunities", report.upload_id)
    assert len(stored) == expected["data_rows"]
    assert original_totals(stored, "close_date") == expected["totals"]
    assert_converted_row_by_row(stored, "amount_usd", "close_date")
    assert stored["original_currency"].value_counts().to_dict() == expected["currency_counts"]


@pytest.mark.parametrize(
    ("name", "preset"),
    [
        ("fivetran_salesforce_opportunity.csv", "salesforce_warehouse"),
        ("salesforce_report_nul_bytes.csv", "salesforce_report"),
        ("salesforce_report_two_sheets.xlsx", "salesforce_report"),
        ("hubspot_deals.xlsx", "hubspot_deals"),
    ],
)
def test_other_opportunity_shapes_load_every_amount(acme, name, preset):
    expected = EXPECTED[name]
    # These orgs bill in USD and their files name no currency: the analyst says so once.
    report = load(acme, name, fixed_values={"currency": "USD"})
    assert report.status == "loaded", report.message
    assert report.preset is not None and report.preset.name == preset
    stored = rows_of(acme, "opportunities", report.upload_id)
    assert len(stored) == expected["data_rows"] - expected.get("deleted_rows", 0)
    assert original_totals(stored, "close_date") == expected["totals"]
    assert_converted_row_by_row(stored, "amount_usd", "close_date")


def test_a_file_naming_no_currency_reads_as_the_reporting_currency_and_says_so(acme):
    report = load(acme, "hubspot_deals.xlsx", dry_run=True)
    assert report.status == "ready", report.message
    assert any("amounts read as EUR, the reporting currency" in d for d in report.decisions)


def test_nul_bytes_are_removed_and_their_lines_named(acme):
    report = load(acme, "salesforce_report_nul_bytes.csv")
    removed = [decision for decision in report.decisions if "NUL byte" in decision]
    assert (
        removed
        and f"Removed {EXPECTED['salesforce_report_nul_bytes.csv']['nul_bytes']} NUL bytes"
        in removed[0]
    )


def test_a_workbooks_second_sheet_can_be_chosen(acme):
    report = load(acme, "salesforce_report_two_sheets.xlsx", sheet="Summary", dry_run=True)
    assert report.sheets == ("Report", "Summary")
    assert report.status != "loaded"


# --------------------------------------------------------------------------------------------
# Leads and campaigns
# --------------------------------------------------------------------------------------------
def test_hubspot_contacts_today_keep_their_source_stages_and_linkedin(acme):
    name = "hubspot_contacts_current.csv"
    expected = EXPECTED[name]
    report = load(acme, name)
    assert report.status == "loaded", report.message
    assert report.preset is not None and report.preset.name == "hubspot_contacts"
    stored = rows_of(acme, "leads", report.upload_id)
    assert len(stored) == expected["data_rows"]
    channels = stored["source_channel"].value_counts().to_dict()
    sources = expected["source_counts"]
    assert channels["linkedin"] == sources["Paid Social|LinkedIn"]
    assert channels["paid_social"] == sources["Paid Social|Facebook"]
    assert channels["paid_search"] == sources["Paid Search|Google"]
    assert channels["content_seo"] == sources["Organic Search"]
    assert stored["source_channel"].notna().all()
    reached = expected["reached_stage_counts"]
    assert stored["mql_at"].notna().sum() == reached["Marketing Qualified Lead"]
    assert stored["sql_at"].notna().sum() == reached["Sales Qualified Lead"]
    assert stored["customer_at"].notna().sum() == reached["Customer"]


@pytest.mark.parametrize(
    "name", ["salesforce_lead_api.csv", "salesforce_lead_dataloader_upper.csv"]
)
def test_salesforce_leads_load_with_their_sources_mapped_or_listed(acme, name):
    expected = EXPECTED[name]
    report = load(acme, name)
    assert report.status == "loaded", report.message
    assert report.preset is not None and report.preset.name == "salesforce_leads"
    stored = rows_of(acme, "leads", report.upload_id)
    assert len(stored) == expected["data_rows"]
    sources = expected["lead_source_counts"]
    channels = stored["source_channel"].value_counts().to_dict()
    assert channels["linkedin"] == sources["LinkedIn"]
    assert channels["partners"] == sources["Partner Referral"]
    listed = {item.value: item for item in report.values}
    assert listed["Online Form"].loads_as == "other"
    assert listed["Online Form"].rows == sources["Online Form"]
    assert stored["opportunity_at"].notna().sum() == expected["converted_rows"]


def test_salesforce_campaigns_take_their_channel_from_type(acme):
    name = "salesforce_campaign_api.csv"
    expected = EXPECTED[name]
    report = load(acme, name, fixed_values={"currency": "USD"})
    assert report.status == "loaded", report.message
    assert report.preset is not None and report.preset.name == "salesforce_campaigns"
    stored = rows_of(acme, "campaigns", report.upload_id)
    assert len(stored) == expected["data_rows"]
    by_type = dict(zip(stored["campaign_name"], stored["channel"], strict=True))
    assert "other" not in {by_type[name] for name in by_type if "Expo" in name}
    # The planned budget (BudgetedCost) per start month, read from the file with csv.
    with (REAL / name).open(encoding="utf-8-sig", newline="") as handle:
        budgets: dict[str, Decimal] = {}
        for row in csv.DictReader(handle):
            if row["BudgetedCost"]:
                month = row["StartDate"][:7]
                budgets[month] = budgets.get(month, Decimal(0)) + Decimal(row["BudgetedCost"])
    assert original_totals(stored, "start_date") == {
        "USD": {month: f"{total.quantize(CENT)}" for month, total in sorted(budgets.items())}
    }
    assert_converted_row_by_row(stored, "budget_usd", "start_date")


# --------------------------------------------------------------------------------------------
# Files that cannot load say what to do
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("no_data_available.csv", "No data available"),
        ("headerless_spend.csv", "looks like data, not column names"),
        ("wide_spend_by_month.csv", "one column per month"),
    ],
)
def test_files_that_cannot_load_say_what_to_do(acme, name, words):
    report = load(acme, name)
    assert report.status in ("unreadable", "invalid")
    assert words in report.message
    with acme.connect() as connection:
        assert connection.execute(sa.text("select count(*) from uploads")).scalar_one() == 1


def test_warnings_are_kept_with_the_upload(acme):
    report = load(acme, "salesforce_report_custom_types.csv")
    with acme.connect() as connection:
        kept = connection.execute(
            sa.text("select count(*) from upload_warnings where upload_id = :upload_id"),
            {"upload_id": report.upload_id},
        ).scalar_one()
    assert kept == report.warning_count
    assert rejects_of(acme, report.upload_id).empty


def test_hubspot_paid_social_without_its_drill_down_is_called_out(acme, tmp_path):
    header = "Record ID,Email,Lifecycle Stage,Create Date,Original Traffic Source\n"
    rows = "".join(
        f"{n},c{n}@example.com,Lead,2026-03-0{n} 10:00,{source}\n"
        for n, source in enumerate(["Paid Social", "Paid Social", "Organic Search"], start=1)
    )
    path = tmp_path / "contacts.csv"
    path.write_text(header + rows, encoding="utf-8")
    report = ingest_file(acme, path, IngestOptions(now=NOW))
    assert report.status == "loaded", report.message
    assert any(
        d.startswith("2 contacts came from Paid Social with no drill-down")
        for d in report.decisions
    )
