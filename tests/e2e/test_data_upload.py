"""The Data page in a real browser: upload an export, load it, see it, undo it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_no_problems, save_screenshot, wait_for_app

pytestmark = pytest.mark.browser

CAMPAIGNS = (
    "campaign_id,campaign_name,channel,objective,start_date,end_date,budget,goal_id,owner\n"
    "E2E-1,Browser Test Webinar,Webinars,Demand generation,2026-11-01,2026-11-30,5000,,Lena Fischer\n"
    "E2E-2,Browser Test Roadshow,Events,Demand generation,2026-11-10,2026-11-12,9000,,Owen Park\n"
)
BAD_SPEND = (
    "date,channel,amount,campaign_id\n2026-11-02,events,-40,E2E-1\n2026-11-03,events,twelve,E2E-1\n"
)


def open_data_page(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/data")
    wait_for_app(page, "Data")


def upload(page: Page, path: Path) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    expect(page.get_by_role("heading", name=re.compile(re.escape(path.name)))).to_be_visible()
    wait_for_app(page)


def uploads_loaded(page: Page) -> int:
    value = (
        page.get_by_test_id("stMetric")
        .filter(has_text="Uploads loaded")
        .get_by_test_id("stMetricValue")
    )
    return int(value.inner_text().replace(",", ""))


def test_upload_load_see_and_undo(page: Page, app_server: str, tmp_path: Path) -> None:
    export = tmp_path / "browser_campaigns.csv"
    export.write_text(CAMPAIGNS, encoding="utf-8")
    open_data_page(page, app_server)
    before = uploads_loaded(page)
    upload(page, export)
    assert_no_problems(page)
    expect(page.get_by_text("2 rows read, 0 rows skipped")).to_be_visible()
    load = page.get_by_role("button", name="Load 2 rows into Campaigns")
    expect(load).to_be_disabled()  # whose upload is it?
    page.get_by_label("Your name (recorded with the upload)").fill("Dana Whitfield")
    page.get_by_label("Your name (recorded with the upload)").press("Enter")
    wait_for_app(page)
    expect(load).to_be_enabled()
    save_screenshot(page, "data-upload-checked")
    load.click()
    expect(page.get_by_text(re.compile(r"Loaded 2 rows into campaigns"))).to_be_visible()
    wait_for_app(page)
    assert uploads_loaded(page) == before + 1
    page.get_by_role("tab", name="Upload history").click()
    history = page.get_by_role("combobox", name="Upload", exact=True)
    expect(history).to_have_value(
        re.compile(r"^\d+ · browser_campaigns\.csv · Campaigns · loaded$")
    )
    save_screenshot(page, "data-history")
    page.get_by_text(re.compile(r"^Undo upload \d+$")).click()
    wait_for_app(page)
    save_screenshot(page, "data-undo-confirmed")
    page.get_by_role("button", name="Undo", exact=True).click()
    expect(page.get_by_text(re.compile(r"undone: its rows no longer count"))).to_be_visible()
    wait_for_app(page)
    assert uploads_loaded(page) == before
    assert_no_problems(page)


def test_a_malformed_export_shows_its_rows_and_loads_nothing(
    page: Page, app_server: str, tmp_path: Path
) -> None:
    export = tmp_path / "browser_bad_spend.csv"
    export.write_text(BAD_SPEND, encoding="utf-8")
    open_data_page(page, app_server)
    before = uploads_loaded(page)
    upload(page, export)
    expect(
        page.get_by_text("2 problems in 2 of 2 rows: nothing was loaded.", exact=False)
    ).to_be_visible()
    errors = page.get_by_test_id("stDataFrame").first
    expect(errors).to_contain_text("is negative; spend must be zero or more")
    expect(page.get_by_role("button", name=re.compile(r"^Load "))).to_be_disabled()
    expect(page.get_by_role("button", name="Download the 2 problems as CSV")).to_be_visible()
    save_screenshot(page, "data-upload-problems")
    assert uploads_loaded(page) == before
    expect(page.get_by_test_id("stException")).to_have_count(0)  # a message, not a crash
