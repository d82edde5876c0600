"""AppTest of the Data page on real exports (issue 25), in a store that reports in EUR: what each
vendor value loads as, a channel for a whole file, missing exchange rates typed in, rows that
load with a warning, and Excel workbooks with their sheets."""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime
from pathlib import Path

import pytest

from core.company import CompanySettings
from core.store import queries
from core.store.company import save_company_settings
from core.store.engine import create_store_engine
from core.store.ingest.pipeline import IngestOptions, ingest_file
from core.store.restate import restatements
from core.store.schema import VERSIONED_TABLES, migrate
from tests.pages.conftest import query_value, scalar
from tests.pages.helpers import open_page
from tests.stores import fresh_store_url
from ui.ingest_values import fixed_key, sheet_key, value_key

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "exports" / "real"
DATA = "pages/data.py"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOW = datetime(2026, 11, 23, 9, 0)


def eur_store(folder: Path, *, rates: bool) -> str:
    """A new store reporting in EUR; with ``rates``, the monthly EUR rates of 2026 loaded."""
    url = fresh_store_url(folder / "eur.duckdb")
    engine = create_store_engine(url)
    try:
        migrate(engine)
        settings = CompanySettings(
            name="Acme", fiscal_year_start_month=4, fiscal_year_named_by="end", currency="EUR"
        )
        save_company_settings(engine, settings, None, "tester", NOW)
        if rates:
            loaded = ingest_file(
                engine, REAL / "rates_monthly_eur.csv", IngestOptions(uploaded_by="tester")
            )
            assert loaded.loaded, loaded.message
    finally:
        engine.dispose()
    return url


@pytest.fixture
def eur_url(tmp_path) -> str:
    return eur_store(tmp_path, rates=False)


@pytest.fixture
def eur_with_rates_url(tmp_path) -> str:
    return eur_store(tmp_path, rates=True)


MULTICURRENCY = "salesforce_dataloader_opportunities_multicurrency.csv"


def load_files(url: str, *paths: Path) -> None:
    """Load each file into the store at ``url``, as the tester, in order."""
    engine = create_store_engine(url)
    try:
        for path in paths:
            report = ingest_file(engine, path, IngestOptions(uploaded_by="tester"))
            assert report.loaded, report.message
    finally:
        engine.dispose()


def tag_of(name: str) -> str:
    return hashlib.sha256((REAL / name).read_bytes()).hexdigest()[:10]


def upload(app, name: str, mime: str = "text/csv"):
    app.get("file_uploader")[0].set_value((name, (REAL / name).read_bytes(), mime)).run()
    assert not app.exception, [item.value for item in app.exception]
    return app


def text(element) -> str:
    return str(element.value).replace("\\", "")


def load_button(app):
    return next(
        button
        for button in app.button
        if button.label.startswith("Load ") and " into " in button.label
    )


def load(app, name: str = "Dana Whitfield"):
    app.text_input(key="uploader_name").input(name).run()
    button = load_button(app)
    assert not button.disabled, [text(item) for item in (*app.error, *app.warning)]
    button.click().run()
    assert not app.exception and not app.error, [text(item) for item in app.error]
    return app


def newest_upload(url: str) -> int:
    return int(scalar(url, "select max(upload_id) from uploads"))


def ids_of_type(name: str, vendor_type: str) -> list[str]:
    """The opportunity ids of a Salesforce report whose Type is ``vendor_type`` (read by csv)."""
    with (REAL / name).open(encoding="utf-8", newline="") as handle:
        return [
            row["Opportunity ID"]
            for row in csv.DictReader(handle)
            if row.get("Type") == vendor_type and row.get("Opportunity ID")
        ]


SALESFORCE = "salesforce_report_custom_types.csv"
GOOGLE_AUD = "google_ads_campaign_report_aud_no_day.csv"
MICROSOFT = "microsoft_ads_campaign_daily.csv"


def test_unmapped_values_are_listed_first_and_a_choice_loads_and_is_remembered(
    app_for, eur_with_rates_url
):
    app = upload(open_page(app_for, eur_with_rates_url, DATA), SALESFORCE)
    tag = tag_of(SALESFORCE)
    assert any(text(item).startswith("**Values**") for item in app.markdown)
    opportunity = app.selectbox(key=value_key(tag, "opportunity_type", "Opportunity"))
    assert opportunity.value == "other"
    assert opportunity.format_func(opportunity.value) == "Other (unmapped)"
    # Unmapped values come first in their field, each marked.
    type_rows = [
        text(item)
        for item in app.markdown
        if text(item).split(" :orange")[0] in {"Opportunity", "Partner Resale", "New Customer"}
    ]
    assert type_rows[:2] == [
        "Opportunity :orange-badge[Unmapped]",
        "Partner Resale :orange-badge[Unmapped]",
    ]
    assert type_rows[2] == "New Customer"
    opportunity.set_value("new_business").run()
    assert app.selectbox(key=value_key(tag, "opportunity_type", "Opportunity")).value == (
        "new_business"
    )
    load(app)
    upload_id = newest_upload(eur_with_rates_url)
    ids = ids_of_type(SALESFORCE, "Opportunity")
    assert len(ids) == 4
    listed = ", ".join(f"'{item}'" for item in ids)
    types = query_value(
        eur_with_rates_url,
        "select string_agg(distinct opportunity_type, ',') from opportunities "
        f"where upload_id = {upload_id} and opportunity_id in ({listed})",
    )
    assert types == "new_business"
    assert (
        scalar(
            eur_with_rates_url,
            "select count(*) from opportunities "
            f"where upload_id = {upload_id} and opportunity_type = 'other'",
        )
        == 4  # Partner Resale, left unmapped
    )
    remembered = query_value(
        eur_with_rates_url,
        "select value from value_mappings where source = 'salesforce_report' "
        "and field = 'opportunity_type' and vendor_value = 'opportunity'",
    )
    assert remembered == "new_business"


def test_missing_rates_are_entered_on_the_page_and_the_file_then_loads(app_for, eur_url):
    app = upload(open_page(app_for, eur_url, DATA), GOOGLE_AUD)
    tag = tag_of(GOOGLE_AUD)
    warning = text(app.warning[0])
    assert warning.startswith("No exchange rate to EUR for AUD in June 2026: nothing was loaded.")
    rate = app.number_input(key=f"rate_{tag}_AUD_2026-06")
    assert rate.label == "1 AUD in EUR, June 2026"
    assert load_button(app).disabled
    rate.set_value(0.6021)
    app.text_input(key="rates_by").input("Dana Whitfield")
    next(button for button in app.button if button.label == "Load the rates").click().run()
    assert not app.exception and not app.error, [text(item) for item in app.error]
    assert "1 rate for AUD loaded" in text(app.success[0])
    assert not [item for item in app.warning if "No exchange rate" in text(item)]
    assert app.text_input(key="uploader_name").value == "Dana Whitfield"  # asked once
    stored = query_value(
        eur_url,
        "select rate from current_exchange_rates where currency = 'AUD' "
        "and rate_date = date '2026-06-01'",
    )
    assert float(stored) == pytest.approx(0.6021)
    load_button(app).click().run()
    assert not app.exception and not app.error
    assert text(app.success[0]).startswith(f"{GOOGLE_AUD}: Loaded 8 rows into spend")
    rates_used = query_value(
        eur_url,
        "select string_agg(distinct cast(exchange_rate as varchar), ',') from spend "
        f"where upload_id = {newest_upload(eur_url)}",
    )
    assert float(rates_used) == pytest.approx(0.6021)


def test_a_report_without_a_channel_asks_for_one_and_loads_with_it(app_for, eur_with_rates_url):
    app = upload(open_page(app_for, eur_with_rates_url, DATA), MICROSOFT)
    tag = tag_of(MICROSOFT)
    assert "Nothing in the file says which channel it is" in text(app.error[0])
    channel = app.selectbox(key=fixed_key(tag, "channel"))
    assert channel.label == "Channel of every row"
    assert "Paid search" in channel.options and "Other (unmapped)" not in channel.options
    assert load_button(app).disabled
    channel.set_value("paid_search").run()
    assert not app.exception
    app.radio(key=f"order_{tag}").set_value("mdy").run()
    load(app)
    upload_id = newest_upload(eur_with_rates_url)
    assert (
        query_value(
            eur_with_rates_url,
            f"select string_agg(distinct channel, ',') from spend where upload_id = {upload_id}",
        )
        == "paid_search"
    )
    assert (
        scalar(eur_with_rates_url, f"select count(*) from spend where upload_id = {upload_id}")
        == 20
    )


def channel_name(app):
    return next(item for item in app.text_input if item.label == "Channel name")


def test_a_channel_the_company_uses_can_be_added_and_chosen(app_for, eur_with_rates_url):
    app = upload(open_page(app_for, eur_with_rates_url, DATA), MICROSOFT)
    tag = tag_of(MICROSOFT)
    channel_name(app).input("Paid search")  # in a form: sent with its button
    next(button for button in app.button if button.label == "Add the channel").click().run()
    assert "Paid search is already a channel" in text(app.error[0])
    channel_name(app).input("Microsoft Ads")
    next(button for button in app.button if button.label == "Add the channel").click().run()
    assert not app.exception
    assert "Channel Microsoft Ads added" in text(app.success[0])
    channel = app.selectbox(key=fixed_key(tag, "channel"))
    assert "Microsoft Ads" in channel.options
    assert channel.value == "microsoft_ads"
    assert not app.error  # the file was checked with the new channel
    assert "reads both as month/day/year" in text(app.warning[0])


def test_an_excel_workbook_is_recognised(app_for, eur_url):
    name = "google_ads_campaign_report_by_day.xlsx"
    app = upload(open_page(app_for, eur_url, DATA), name, XLSX)
    assert name.replace(".", "\\.").replace("_", "\\_") in app.subheader[0].value
    assert any("Recognised as a Google Ads export" in text(item) for item in app.markdown)
    assert not [box for box in app.selectbox if box.label == "Sheet"]  # one sheet
    assert "AUD in June 2026" in text(app.warning[0])
    assert app.get("file_uploader")[0].label == "Export file (CSV or Excel)"


def test_a_workbook_with_two_sheets_asks_which_one(app_for, eur_url):
    name = "salesforce_report_two_sheets.xlsx"
    app = upload(open_page(app_for, eur_url, DATA), name, XLSX)
    sheet = app.selectbox(key=sheet_key(tag_of(name)))
    assert sheet.options == ["Report", "Summary"] and sheet.value == "Report"
    assert any("15 valid rows for Opportunities" in text(item) for item in app.caption)
    sheet.set_value("Summary").run()
    assert "format was not recognised" in text(app.error[0])
    app.selectbox(key=sheet_key(tag_of(name))).set_value("Report").run()
    assert not app.error
    assert load_button(app).label == "Load 15 rows into Opportunities"


def test_rows_with_a_warning_are_listed_before_and_after_loading(app_for, eur_with_rates_url):
    app = upload(open_page(app_for, eur_with_rates_url, DATA), SALESFORCE)
    warning = next(item for item in app.warning if "with a warning" in text(item))
    assert text(warning).startswith("10 rows will load with a warning")
    listed = next(frame.value for frame in app.dataframe if "warning" in frame.value.columns)
    assert len(listed) == 10
    assert list(listed.columns) == ["row", "column", "value", "warning"]
    assert (listed["warning"].str.startswith("closes before it was created")).sum() == 6
    assert (listed["warning"].str.startswith("is blank: loaded as 0")).sum() == 4
    assert "Download the 10 warnings as CSV" in [item.label for item in app.get("download_button")]
    load(app)
    assert "10 rows loaded with a warning" in text(app.success[0])
    after = next(item for item in app.warning if "with a warning" in text(item))
    assert text(after).startswith("10 rows loaded with a warning")
    stored = scalar(
        eur_with_rates_url,
        f"select count(*) from upload_warnings where upload_id = {newest_upload(eur_with_rates_url)}",
    )
    assert stored == 10
    # Later, in the upload history: counted, and downloadable exactly as listed.
    history = next(frame.value for frame in app.dataframe if "rows_warned" in frame.value.columns)
    assert history.loc[history["file_name"] == SALESFORCE, "rows_warned"].tolist() == [10]
    assert "Download the 10 warnings" in [item.label for item in app.get("download_button")]
    engine = create_store_engine(eur_with_rates_url)
    try:
        kept = queries.warnings_of(engine, newest_upload(eur_with_rates_url))
    finally:
        engine.dispose()
    assert list(kept.columns) == ["row", "column", "value", "warning"]
    assert sorted(kept["row"]) == sorted(listed["row"])


def test_a_currency_set_for_a_file_that_names_none_is_converted(app_for, eur_url):
    name = "hubspot_deals.xlsx"
    app = upload(open_page(app_for, eur_url, DATA), name, XLSX)
    currency = app.text_input(key=fixed_key(tag_of(name), "currency"))
    assert currency.label == "Currency of every amount"
    assert any(text(item).startswith("Amounts read as EUR (20 ") for item in app.caption)
    assert not app.warning and not app.error  # ready, read in the reporting currency
    currency.input("US").run()
    assert text(app.error[0]) == "A currency is three letters, such as AUD or EUR."
    app.text_input(key=fixed_key(tag_of(name), "currency")).input("usd").run()
    assert not app.error
    assert text(app.warning[0]).startswith("No exchange rate to EUR for USD in")


def test_new_rates_show_what_they_restated_as_reported_beside_restated(
    app_for, eur_with_rates_url, tmp_path
):
    new_rate = tmp_path / "aud_july.csv"
    new_rate.write_text("month,currency,rate\n2026-07,AUD,0.65\n", encoding="utf-8")
    load_files(eur_with_rates_url, REAL / MULTICURRENCY, new_rate)
    with REAL.joinpath(MULTICURRENCY).open(encoding="utf-8-sig", newline="") as handle:
        deals_in_july = [
            row
            for row in csv.DictReader(handle)
            if row["CURRENCYISOCODE"] == "AUD" and row["CLOSEDATE"].startswith("2026-07")
        ]
    app = open_page(app_for, eur_with_rates_url, DATA)
    assert [item.value for item in app.subheader] == ["Exchange rates"]
    assert "restated amounts already loaded in 1 table-month" in app.warning[0].value
    restated = next(frame.value for frame in app.dataframe if "rate_now" in frame.value.columns)
    assert restated[["table", "currency", "records", "rate_now"]].values.tolist() == [
        ["Opportunities", "AUD", len(deals_in_july), "0.65"]
    ]
    rates = next(frame.value for frame in app.dataframe if "rate_period" in frame.value.columns)
    assert ("AUD", 0.65) in set(zip(rates["currency"], rates["rate"], strict=True))


def test_the_overview_says_when_its_amounts_stand_restated_at_new_rates(
    app_for, eur_with_rates_url, tmp_path
):
    revised = tmp_path / "aud_june.csv"
    revised.write_text("month,currency,rate\n2026-06,AUD,0.65\n", encoding="utf-8")
    load_files(eur_with_rates_url, REAL / "google_ads_campaign_report_aud_no_day.csv", revised)
    engine = create_store_engine(eur_with_rates_url)
    try:
        with engine.connect() as connection:
            found = restatements(connection, VERSIONED_TABLES)
    finally:
        engine.dispose()
    (june,) = found
    app = open_page(app_for, eur_with_rates_url, "pages/overview.py")
    notice = next(text(item) for item in app.warning if "Exchange rates changed" in text(item))
    assert notice == (
        "Exchange rates changed after some of these amounts loaded; they are shown at the rates "
        f"in force (restated): spend in AUD, Jun 2026: €{june.reported:,.2f} as reported, "
        f"€{june.restated:,.2f} restated. The Data page lists every restatement."
    )


def test_a_currency_change_is_previewed_then_restates_every_amount(app_for, eur_with_rates_url):
    load_files(eur_with_rates_url, REAL / MULTICURRENCY)
    app = open_page(app_for, eur_with_rates_url, DATA)
    app.selectbox(key="company_change_currency").set_value("USD").run()
    assert not app.error and not app.exception
    preview = next(text(item) for item in app.info if "What the change does" in text(item))
    assert "Reporting currency now USD (was EUR): the amounts already loaded" in preview
    assert "Every amount already loaded (" in preview
    assert query_value(eur_with_rates_url, "select value from settings where key = 'currency'") == (
        "EUR"
    )  # previewed, not applied
    app.text_input(key="company_change_by").input("Dana Lee").run()
    next(item for item in app.button if item.label == "Apply the change").click().run()
    assert not app.exception
    assert text(app.success[0]).startswith("Reporting currency now USD (was EUR)")
    assert query_value(eur_with_rates_url, "select value from settings where key = 'currency'") == (
        "USD"
    )
    # What the store holds shows the amounts as reported in EUR beside restated in USD.
    restated = next(frame.value for frame in app.dataframe if "rate_now" in frame.value.columns)
    assert restated["reported"].str.startswith("€").all()
    assert restated["restated"].str.startswith("$").all()
    assert (restated["difference"] == "n/a (another currency)").all()
