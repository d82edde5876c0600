"""Read-only warehouse mode in a real browser: the numbers and the simulator work, nothing can be
changed, and the Data page says why uploads are off."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from core.store.engine import READ_ONLY_ENV
from tests.conftest import DemoTemplate, copy_store
from tests.e2e.conftest import (
    SERVER_LOG,
    assert_no_problems,
    save_screenshot,
    serve_app,
    wait_for_app,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def read_only_app_server(
    demo_template: DemoTemplate, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app reading a copy of the demo store read-only, as it would read a warehouse."""
    store_url = copy_store(demo_template, tmp_path_factory.mktemp("read-only-store"))
    with serve_app(
        store_url,
        SERVER_LOG.with_name("streamlit-read-only-server.log"),
        extra_env={READ_ONLY_ENV: "true"},
    ) as base_url:
        yield base_url


def test_the_data_page_explains_that_uploads_are_off(page: Page, read_only_app_server: str):
    page.goto(read_only_app_server + "/data")
    wait_for_app(page, "Data")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Read-only warehouse mode.")).to_be_visible()
    expect(page.get_by_text("Loading exports is turned off here.")).to_be_visible()
    expect(page.get_by_test_id("stFileUploaderDropzoneInput")).to_have_count(0)
    page.get_by_role("tab", name="Upload history").click()
    wait_for_app(page)
    expect(page.get_by_role("button", name="Undo")).to_have_count(0)
    assert_no_problems(page)
    page.get_by_role("tab", name="Load an export").click()
    wait_for_app(page)
    save_screenshot(page, "warehouse-data")


def test_the_budget_sliders_still_answer(page: Page, read_only_app_server: str):
    page.goto(read_only_app_server + "/scenarios")
    wait_for_app(page, "Budget scenarios")
    slider = page.get_by_test_id("stSlider").filter(has_text="Paid search").get_by_role("slider")
    expect(slider).to_be_visible(timeout=120_000)  # the fit runs in memory: nothing is stored
    slider.focus()
    for _ in range(4):  # 5% a step: a 20% cut
        slider.press("ArrowLeft")
    expect(page).to_have_url(re.compile(r"cut_paid_search=-20"), timeout=30_000)
    expect(page.get_by_text("Cutting Paid search by 20%")).to_be_visible()
    expect(page.get_by_text("Saving scenarios is turned off here.")).to_be_attached()  # folded
    assert_no_problems(page)
