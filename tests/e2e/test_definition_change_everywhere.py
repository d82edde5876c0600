"""A definition change in a real browser (issue 26, finding 1): after Bookings v2 is recorded
on the Definitions page, the Goals page, Forecast accuracy and the Review each say what it
changed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_no_problems, save_screenshot, start_review, wait_for_app

pytestmark = pytest.mark.browser


def _go(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNavLink").filter(has=page.get_by_text(title, exact=True)).click()
    wait_for_app(page, title)


def _record_bookings_v2(page: Page) -> None:
    """Bookings v2 counts renewals from 2 Nov 2026 (inside Q4 FY2027, before the as-of day)."""
    _go(page, "Definitions")
    page.get_by_role("combobox", name="Metric").click()
    page.get_by_role("option", name="Bookings", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Bookings: version 1")).to_be_visible()
    page.get_by_role("tab", name="Record a new version").click()
    page.get_by_role("combobox", name=re.compile("Opportunity types counted")).click()
    page.get_by_role("option", name="Renewal", exact=True).click()
    page.keyboard.press("Escape")
    for part, value in (("year", "2026"), ("month", "11"), ("day", "02")):
        page.get_by_role("spinbutton", name=f"{part}, In effect from").click()
        page.keyboard.type(value)
    expect(page.get_by_role("spinbutton", name="day, In effect from")).to_have_text("02")
    page.get_by_role("textbox", name="Your name (required)").fill("Dana Whitfield")
    page.get_by_role("textbox", name="Reason for the change (required)").fill(
        "The board asked for renewals inside bookings."
    )
    page.get_by_role("button", name="Record new version").click()
    expect(page.get_by_text(re.compile(r"Recorded Bookings version 2"))).to_be_visible()
    wait_for_app(page)


def test_a_definition_change_is_named_wherever_its_numbers_appear(
    page: Page, fresh_app_server: str
) -> None:
    page.goto(fresh_app_server)
    wait_for_app(page, "Overview")
    # Freeze a review first, so "Since the last review" has something to compare with.
    start_review(page, "Dana Whitfield")

    _record_bookings_v2(page)

    _go(page, "Goals")
    expect(page.get_by_text(re.compile(r"measure a metric redefined since"))).to_be_visible()
    assert_no_problems(page)
    save_screenshot(page, "goals-redefined")

    _go(page, "Forecast accuracy")
    expect(page.get_by_text(re.compile(r"forecasts span definitions v1, v2"))).to_be_visible()
    assert_no_problems(page)
    save_screenshot(page, "forecasts-redefined")

    _go(page, "Review")
    expect(page.get_by_text(re.compile(r"Redefined since this review: Bookings"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"What changed the rules"))).to_be_visible()
    assert_no_problems(page)
    save_screenshot(page, "review-redefined")
