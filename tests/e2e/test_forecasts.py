"""Forecast accuracy in the browser: the page reads well, and a forecast entered shows at once."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_no_problems, save_screenshot, wait_for_app


def test_entering_a_forecast_shows_in_the_current_call(page: Page, fresh_app_server: str) -> None:
    page.goto(f"{fresh_app_server}/forecasts")
    wait_for_app(page, "Forecast accuracy")
    headline = page.get_by_text(
        re.compile(r"Over the last 6 quarters marketing's bookings forecasts were")
    )
    expect(headline).to_be_visible(timeout=120_000)
    expect(page.get_by_role("heading", name="Missed periods")).to_be_visible()
    assert_no_problems(page)
    save_screenshot(page, "forecasts")

    page.get_by_role("textbox", name="Forecaster").fill("Chris Ortega")
    page.get_by_label("Commit", exact=True).fill("3000000")
    page.get_by_label("Most likely (required)").fill("3200000")
    page.get_by_label("Best case", exact=True).fill("3500000")
    page.get_by_role("button", name="Submit forecast").click()
    expect(page.get_by_text(re.compile(r"Forecast saved \(upload \d+\)"))).to_be_visible(
        timeout=60_000
    )
    wait_for_app(page)
    expect(page.get_by_role("cell", name="Chris Ortega").first).to_be_visible()
    expect(page.get_by_role("cell", name="$3.20M").first).to_be_visible()
    assert_no_problems(page)
    save_screenshot(page, "forecasts-entered")
