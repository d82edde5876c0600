"""The Definitions page in a real browser: record a new version and see the Overview restate."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_no_problems, save_screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_record_a_version_and_see_the_restatement(page: Page, fresh_app_server: str) -> None:
    page.goto(f"{fresh_app_server}/definitions")
    wait_for_app(page, "Definitions")
    expect(page.get_by_role("heading", name="ARR: version 1")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(page.get_by_role("combobox", name="Fiscal quarter")).to_be_visible()
    assert_no_problems(page)
    save_screenshot(page, "definitions")

    metric = page.get_by_role("combobox", name="Metric")
    metric.click()
    page.get_by_role("option", name="Bookings", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Bookings: version 1")).to_be_visible()

    page.get_by_role("tab", name="Record a new version").click()
    types = page.get_by_role("combobox", name=re.compile("Opportunity types counted"))
    types.click()
    page.get_by_role("option", name="Renewal", exact=True).click()
    page.keyboard.press("Escape")
    # Stated, not the default (today): after the demo's as-of day a version effective today is
    # rightly not in effect on it, and the heading below would still say version 1.
    for part, value in (("year", "2026"), ("month", "11"), ("day", "02")):
        page.get_by_role("spinbutton", name=f"{part}, In effect from").click()
        page.keyboard.type(value)
    expect(page.get_by_role("spinbutton", name="day, In effect from")).to_have_text("02")
    page.get_by_role("textbox", name="Your name (required)").fill("Dana Whitfield")
    page.get_by_role("textbox", name="Approved by (optional)").fill("Chris Ortega (CFO)")
    page.get_by_role("textbox", name="Reason for the change (required)").fill(
        "The board asked for renewals inside bookings."
    )
    save_screenshot(page, "definitions-edit")
    page.get_by_role("button", name="Record new version").click()
    expect(page.get_by_text(re.compile(r"Recorded Bookings version 2"))).to_be_visible()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Bookings: version 2")).to_be_visible()
    assert_no_problems(page)

    page.get_by_role("tab", name="Effect of each change").click()
    expect(page.get_by_text("v1 → v2", exact=False)).to_be_visible()
    save_screenshot(page, "definitions-effect")

    page.get_by_test_id("stSidebarNavLink").filter(
        has=page.get_by_text("Overview", exact=True)
    ).click()
    wait_for_app(page, "Overview")
    expect(
        page.get_by_text(re.compile(r"1 definition changed since Q4 FY2027 began"))
    ).to_be_visible()
    assert_no_problems(page)
    save_screenshot(page, "overview-restated")
