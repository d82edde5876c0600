"""Setting up the company on an empty store in a real browser: the form, its preview of the
current quarter, the saved settings' effect and the sidebar's line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.calendar import FiscalCalendar
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


@pytest.fixture
def empty_app_server(tmp_path: Path) -> Iterator[str]:
    """The app on a new, empty store (the app creates and migrates it on first use)."""
    store_url = fresh_store_url(tmp_path / "empty.duckdb")
    with serve_app(store_url, SERVER_LOG.with_name("streamlit-empty-server.log")) as base_url:
        yield base_url


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label``."""
    pick_option(page, page.get_by_role("combobox", name=label), option)


def type_in(page: Page, label: str, text: str) -> None:
    field = page.get_by_label(label)
    field.fill(text)
    field.press("Enter")
    wait_for_app(page)


def test_set_up_a_company_on_an_empty_store(page: Page, empty_app_server: str) -> None:
    page.goto(f"{empty_app_server}/data")
    wait_for_app(page, "Data")
    expect(page.get_by_role("heading", name="Set up your company")).to_be_visible()
    save = page.get_by_role("button", name="Save the company settings")
    expect(save).to_be_disabled()

    type_in(page, "Company name", "Acme")
    choose(page, "Fiscal year starts in", "April")
    quarter = FiscalCalendar(4).quarter_containing(date.today()).label
    expect(page.get_by_text(re.compile(rf"falls in {quarter} \("))).to_be_visible()
    choose(page, "Reporting currency", "EUR · Euro")
    type_in(page, "Your name (recorded with the settings)", "Dana Lee")
    expect(save).to_be_enabled()
    assert_no_problems(page)
    save_screenshot(page, "company-setup-form")

    save.click()
    expect(page.get_by_text("Company name set to Acme.")).to_be_visible()
    wait_for_app(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Acme · FY starts April · EUR", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Set up your company")).to_have_count(0)
    expect(page.get_by_text("Company settings", exact=True)).to_be_visible()
    assert_no_problems(page)
    save_screenshot(page, "company-setup-saved")

    # Later, the settings sit in a closed expander; a change shows its effect before applying.
    page.get_by_text("Company settings", exact=True).click()
    wait_for_app(page)  # opening it reruns the page (its key keeps it open)
    expect(page.get_by_text(re.compile(r"^Today, .* falls in "))).to_be_visible()
    choose(page, "Fiscal year starts in", "July")
    expect(page.get_by_text("What the change does")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"^Fiscal year now starts in July \(was April\)"))
    ).to_be_visible()
    expect(page.get_by_role("button", name="Apply the change")).to_be_disabled()  # who?
    assert_no_problems(page)
    save_screenshot(page, "company-settings-change-preview")
