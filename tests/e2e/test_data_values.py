"""A real export in a store that reports in another currency, in a real browser: the Google Ads
report in AUD without a Day column arrives in a EUR store with no AUD rate; the analyst types
June's rate on the Data page, and the file then loads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.company import CompanySettings
from core.store.company import save_company_settings
from core.store.engine import create_store_engine
from core.store.schema import migrate
from tests.e2e.conftest import (
    SERVER_LOG,
    assert_no_problems,
    pick_option,
    save_screenshot,
    serve_app,
    wait_for_app,
)
from tests.stores import fresh_store_url

pytestmark = pytest.mark.browser

EXPORT = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "exports"
    / "real"
    / "google_ads_campaign_report_aud_no_day.csv"
)


@pytest.fixture
def eur_app_server(tmp_path: Path) -> Iterator[str]:
    """The app on a new store set up as a EUR company, holding no exchange rates."""
    store_url = fresh_store_url(tmp_path / "eur.duckdb")
    engine = create_store_engine(store_url)
    try:
        migrate(engine)
        settings = CompanySettings(
            name="Acme", fiscal_year_start_month=4, fiscal_year_named_by="end", currency="EUR"
        )
        save_company_settings(engine, settings, None, "tester", datetime(2026, 11, 23, 9, 0))
    finally:
        engine.dispose()
    with serve_app(store_url, SERVER_LOG.with_name("streamlit-eur-server.log")) as base_url:
        yield base_url


def test_a_missing_rate_is_typed_in_and_the_file_loads(
    page: Page, eur_app_server: str, tmp_path: Path
) -> None:
    page.goto(f"{eur_app_server}/data")
    wait_for_app(page, "Data")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(EXPORT))
    expect(page.get_by_role("heading", name=re.compile(re.escape(EXPORT.name)))).to_be_visible()
    wait_for_app(page)
    expect(
        page.get_by_text("No exchange rate to EUR for AUD in June 2026: nothing was loaded.")
    ).to_be_visible()
    load = page.get_by_role("button", name="Load 8 rows into Spend")
    expect(load).to_be_disabled()
    assert_no_problems(page)

    page.get_by_label("1 AUD in EUR, June 2026").fill("0.6021")
    page.get_by_label("Your name (recorded with the rates)").fill("Dana Whitfield")
    save_screenshot(page, "data-rates-form")
    page.get_by_role("button", name="Load the rates").click()
    expect(page.get_by_text("1 rate for AUD loaded")).to_be_visible()
    wait_for_app(page)
    expect(page.get_by_text("No exchange rate to EUR")).to_have_count(0)
    expect(page.get_by_label("Your name (recorded with the upload)")).to_have_value(
        "Dana Whitfield"
    )
    expect(load).to_be_enabled()

    load.click()
    expect(
        page.get_by_text(re.compile(re.escape(EXPORT.name) + r": Loaded 8 rows into spend"))
    ).to_be_visible()
    wait_for_app(page)
    assert_no_problems(page)
    save_screenshot(page, "data-rates")

    # June's rate changes later: the spend already loaded is restated, shown beside as reported.
    new_rates = tmp_path / "rates_june_revised.csv"
    new_rates.write_text("month,currency,rate\n2026-06,AUD,0.6500\n", encoding="utf-8")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(new_rates))
    expect(page.get_by_role("heading", name=re.compile(re.escape(new_rates.name)))).to_be_visible()
    wait_for_app(page)
    # The name typed for the first file is offered again for the next one.
    expect(page.get_by_label("Your name (recorded with the upload)")).to_have_value(
        "Dana Whitfield"
    )
    page.get_by_role("button", name=re.compile(r"^Load 1 row into")).click()
    expect(
        page.get_by_text(
            re.compile(r"Restated at the rates in force: [0-9,]+ spend records in AUD, June 2026")
        )
    ).to_be_visible()
    wait_for_app(page)
    page.get_by_role("tab", name="What the store holds").click()
    expect(page.get_by_role("heading", name="Exchange rates")).to_be_visible()
    expect(
        page.get_by_text("New rates restated amounts already loaded in 1 table-month")
    ).to_be_visible()
    assert_no_problems(page)
    save_screenshot(page, "data-rates-restated")


SALESFORCE = EXPORT.with_name("salesforce_report_custom_types.csv")


def test_unmapped_values_and_warnings_are_shown_and_a_value_is_mapped(
    page: Page, eur_app_server: str
) -> None:
    page.goto(f"{eur_app_server}/data")
    wait_for_app(page, "Data")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(SALESFORCE))
    expect(page.get_by_role("heading", name=re.compile(re.escape(SALESFORCE.name)))).to_be_visible()
    wait_for_app(page)
    expect(page.get_by_text("Type → opportunity type: 6 values, 2 unmapped")).to_be_visible()
    expect(page.get_by_text("10 rows will load with a warning")).to_be_visible()
    opportunity = page.get_by_role("combobox", name="Type: Opportunity loads as")
    expect(opportunity).to_have_value("Other (unmapped)")
    save_screenshot(page, "data-values")
    pick_option(page, opportunity, "New business")
    expect(page.get_by_text("Type → opportunity type: 6 values, 1 unmapped")).to_be_visible()
    # The text can show while the rerun the choice started is still drawing, with the old box
    # not yet removed (seen once in CI: two boxes of that name): wait for the run to end.
    wait_for_app(page)
    expect(opportunity).to_have_count(1)
    expect(opportunity).to_have_value("New business")
    assert_no_problems(page)
