"""The app in a real browser: menu pages, the sidebar's period control and shareable links."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import assert_no_problems, save_screenshot, start_review, wait_for_app

pytestmark = pytest.mark.browser

DEFAULT_PERIOD = "Q4 FY2027"
OTHER_PERIOD = "Q3 FY2027"
DEMO_AS_OF = "2026-11-23"
# An as-of date other than the default, inside Q3 FY2027 (Aug-Oct 2026), to show it is kept.
LINK_AS_OF = "2026-10-15"

OVERVIEW_METRICS = ("ARR ", "Pipeline created,", "Bookings,", "Marketing spend,")
DATA_METRICS = ("Uploads loaded", "Data through", "Rows kept")


def period_in_url(label: str) -> re.Pattern[str]:
    """``period=<label>`` in a URL, with the space encoded as ``+`` or ``%20``."""
    first, second = (re.escape(part) for part in label.split(" "))
    return re.compile(rf"[?&]period={first}(\+|%20){second}(&|$)")


def as_of_in_url(day: str) -> re.Pattern[str]:
    return re.compile(rf"[?&]as_of={re.escape(day)}(&|$)")


def menu_link(page: Page, title: str) -> Locator:
    """The sidebar menu entry for a page."""
    return page.get_by_test_id("stSidebarNavLink").filter(has=page.get_by_text(title, exact=True))


def period_box(page: Page) -> Locator:
    """The sidebar's "Fiscal quarter" selectbox (a combobox input holding the label)."""
    return page.get_by_role("combobox", name="Fiscal quarter")


def as_of_value(page: Page) -> Locator:
    """The "As of" date input's hidden ``<input type=date>``: its value is the ISO date."""
    return page.get_by_test_id("stDateInput").locator('input[type="date"]')


def metric(page: Page, label_start: str) -> Locator:
    """The ``st.metric`` card whose label starts with ``label_start``."""
    label = page.get_by_test_id("stMetricLabel").filter(
        has_text=re.compile("^" + re.escape(label_start))
    )
    return page.get_by_test_id("stMetric").filter(has=label)


def open_app(page: Page, url: str) -> None:
    """Open a link to the app; it lands on the Overview page."""
    page.goto(url)
    wait_for_app(page, "Overview")


def go_to(page: Page, title: str) -> None:
    """Open a page the way a user does: through the sidebar menu."""
    menu_link(page, title).click()
    wait_for_app(page, title)


def expect_overview(page: Page, period: str) -> None:
    """The Overview shows its four headline cards for ``period`` and its four charts."""
    metrics = page.get_by_test_id("stMetric")
    expect(metrics).to_have_count(len(OVERVIEW_METRICS))
    for label_start in OVERVIEW_METRICS:
        card = metric(page, label_start)
        expect(card).to_have_count(1)
        expect(card.get_by_test_id("stMetricValue")).to_have_text(re.compile(r"\$\d"))
    for label_start in OVERVIEW_METRICS[1:]:
        expect(metric(page, label_start).get_by_test_id("stMetricLabel")).to_contain_text(period)
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(4)
    for index in range(4):
        # Vega draws into a canvas (or an SVG) once the chart has data and a size.
        expect(charts.nth(index).locator("canvas, svg").first).to_be_visible()


def expect_data_page(page: Page) -> None:
    """The Data page shows its three summary cards and both tables."""
    for label_start in DATA_METRICS:
        card = metric(page, label_start)
        expect(card).to_have_count(1)
        expect(card.get_by_test_id("stMetricValue")).not_to_have_text("")
    expect(metric(page, "Uploads loaded").get_by_test_id("stMetricValue")).to_have_text(
        re.compile(r"^[1-9][\d,]*$")
    )
    expect(page.get_by_test_id("stDataFrame")).to_have_count(2)


@dataclass(frozen=True)
class MenuPage:
    title: str
    path: re.Pattern[str]
    screenshot: str


MENU_PAGES = [
    MenuPage("Overview", re.compile(r"^http://127\.0\.0\.1:\d+/(overview)?(\?|$)"), "overview"),
    MenuPage("Review", re.compile(r"^http://127\.0\.0\.1:\d+/review(\?|$)"), "review"),
    MenuPage("Goals", re.compile(r"^http://127\.0\.0\.1:\d+/goals(\?|$)"), "goals"),
    MenuPage("Revenue", re.compile(r"^http://127\.0\.0\.1:\d+/revenue(\?|$)"), "revenue"),
    MenuPage(
        "Pipeline & Sales", re.compile(r"^http://127\.0\.0\.1:\d+/pipeline(\?|$)"), "pipeline"
    ),
    MenuPage(
        "Forecast accuracy", re.compile(r"^http://127\.0\.0\.1:\d+/forecasts(\?|$)"), "forecasts"
    ),
    MenuPage(
        "Budget scenarios", re.compile(r"^http://127\.0\.0\.1:\d+/scenarios(\?|$)"), "scenarios"
    ),
    MenuPage("Campaigns", re.compile(r"^http://127\.0\.0\.1:\d+/campaigns(\?|$)"), "campaigns"),
    MenuPage(
        "Definitions", re.compile(r"^http://127\.0\.0\.1:\d+/definitions(\?|$)"), "definitions"
    ),
    MenuPage("Data", re.compile(r"^http://127\.0\.0\.1:\d+/data(\?|$)"), "data"),
]


@pytest.mark.parametrize("menu_page", MENU_PAGES, ids=lambda menu_page: menu_page.screenshot)
def test_menu_page_opens_without_errors(page: Page, app_server: str, menu_page: MenuPage) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_app(page, app_server + "/")
    if menu_page.title == "Overview":
        # The app opens on the Overview: leave it, so the menu click really changes page.
        go_to(page, "Data")
    go_to(page, menu_page.title)

    expect(page).to_have_url(menu_page.path)
    expect(menu_link(page, menu_page.title)).to_have_attribute("aria-current", "page")
    expect(page).to_have_title("Marketing Review")
    assert_no_problems(page)
    if menu_page.title == "Overview":
        expect_overview(page, DEFAULT_PERIOD)
    elif menu_page.title == "Goals":
        expect(page.get_by_role("heading", name="This quarter: Q4 FY2027")).to_be_visible()
        expect(page.get_by_role("heading", name="Toward the vision")).to_be_visible()
        expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    elif menu_page.title == "Review":
        expect(page.get_by_text(re.compile(r"^Next review: "))).to_be_visible()
    elif menu_page.title == "Revenue":
        expect(page.get_by_role("heading", name="ARR bridge, Q4 FY2027")).to_be_visible()
        expect(metric(page, "Net revenue retention")).to_have_count(1)
        expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(3)
    elif menu_page.title == "Pipeline & Sales":
        expect(page.get_by_role("heading", name="How Q4 FY2027 pipeline moved")).to_be_visible()
        expect(metric(page, "Coverage of Q4 FY2027 bookings to go")).to_have_count(1)
        expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(3)
    elif menu_page.title == "Forecast accuracy":
        expect(
            page.get_by_text(re.compile(r"^Over the last \d+ quarters marketing"))
        ).to_be_visible()
        expect(page.get_by_role("heading", name="The current call")).to_be_visible()
        expect(page.get_by_role("heading", name="Missed periods")).to_be_visible()
        expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    elif menu_page.title == "Budget scenarios":
        expect(page.get_by_role("heading", name="What it costs")).to_be_visible()
        expect(page.get_by_role("heading", name="Response curves")).to_be_visible()
    elif menu_page.title == "Campaigns":
        expect(page.get_by_role("heading", name="What's working, and what isn't")).to_be_visible()
        expect(page.get_by_role("heading", name="Scorecard")).to_be_visible()
        expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    elif menu_page.title == "Definitions":
        expect(page.get_by_role("heading", name="In effect on 23 Nov 2026")).to_be_visible()
        expect(page.get_by_role("heading", name="ARR: version 1")).to_be_visible()
        expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    else:
        expect_data_page(page)
    save_screenshot(page, menu_page.screenshot)
    assert not errors, f"JavaScript errors on the {menu_page.title} page: {errors}"


def test_choosing_a_quarter_updates_url_and_numbers(page: Page, app_server: str) -> None:
    open_app(page, app_server + "/")
    box = period_box(page)
    expect(box).to_have_value(DEFAULT_PERIOD)
    pipeline = metric(page, "Pipeline created,")
    expect(pipeline.get_by_test_id("stMetricLabel")).to_contain_text(DEFAULT_PERIOD)
    before = pipeline.get_by_test_id("stMetricValue").inner_text()

    box.click()
    page.get_by_role("option", name=OTHER_PERIOD, exact=True).click()

    # The URL changes during the rerun the choice triggers; then wait for that run to end.
    expect(page).to_have_url(period_in_url(OTHER_PERIOD))
    wait_for_app(page, "Overview")
    expect(box).to_have_value(OTHER_PERIOD)
    expect(page).to_have_url(as_of_in_url(DEMO_AS_OF))
    for label_start in OVERVIEW_METRICS[1:]:
        expect(metric(page, label_start).get_by_test_id("stMetricLabel")).to_contain_text(
            OTHER_PERIOD
        )
    value = pipeline.get_by_test_id("stMetricValue")
    expect(value).not_to_have_text(before)
    after = value.inner_text()
    assert after != before, f"Pipeline created stayed {before} after choosing {OTHER_PERIOD}"
    assert_no_problems(page)


def test_link_restores_the_view(page: Page, app_server: str) -> None:
    open_app(page, f"{app_server}/?period=Q3+FY2027&as_of={DEMO_AS_OF}")

    expect(period_box(page)).to_have_value(OTHER_PERIOD)
    expect(as_of_value(page)).to_have_value(DEMO_AS_OF)
    expect(page).to_have_url(period_in_url(OTHER_PERIOD))
    expect(page).to_have_url(as_of_in_url(DEMO_AS_OF))
    expect(page.get_by_test_id("stSidebar").get_by_test_id("stAlertContentWarning")).to_have_count(
        0
    )
    assert_no_problems(page)
    expect_overview(page, OTHER_PERIOD)


def test_invalid_period_in_link_falls_back_with_a_warning(page: Page, app_server: str) -> None:
    open_app(page, f"{app_server}/?period=Q9+FY1999")

    warning = page.get_by_test_id("stSidebar").get_by_test_id("stAlertContentWarning")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("Q9 FY1999")
    expect(warning).to_contain_text(DEFAULT_PERIOD)
    expect(period_box(page)).to_have_value(DEFAULT_PERIOD)
    expect(page).to_have_url(period_in_url(DEFAULT_PERIOD))
    expect(page).to_have_url(as_of_in_url(DEMO_AS_OF))
    assert_no_problems(page)
    expect_overview(page, DEFAULT_PERIOD)


def test_period_and_as_of_survive_page_switches(page: Page, app_server: str) -> None:
    open_app(page, f"{app_server}/?period=Q3+FY2027&as_of={LINK_AS_OF}")
    expect(period_box(page)).to_have_value(OTHER_PERIOD)

    go_to(page, "Data")
    expect(page).to_have_url(re.compile(r"/data\?"))
    expect(page).to_have_url(period_in_url(OTHER_PERIOD))
    expect(page).to_have_url(as_of_in_url(LINK_AS_OF))
    expect(period_box(page)).to_have_value(OTHER_PERIOD)
    assert_no_problems(page)

    go_to(page, "Overview")
    expect(page).to_have_url(period_in_url(OTHER_PERIOD))
    expect(page).to_have_url(as_of_in_url(LINK_AS_OF))
    expect(period_box(page)).to_have_value(OTHER_PERIOD)
    expect(as_of_value(page)).to_have_value(LINK_AS_OF)
    assert_no_problems(page)
    expect_overview(page, OTHER_PERIOD)


def test_a_link_is_the_first_request_a_new_server_sees(page: Page, fresh_app_server: str) -> None:
    """Right after a restart, a shared deep link opens the full app, not a bare page file.

    (Streamlit's legacy pages-folder mode would otherwise run pages/data.py alone, with a menu
    of file names and no sidebar; see ui.context.)
    """
    page.goto(f"{fresh_app_server}/data?period=Q3+FY2027&as_of={DEMO_AS_OF}")
    wait_for_app(page, "Data")
    assert_no_problems(page)
    expect(menu_link(page, "Overview")).to_be_visible()
    expect(menu_link(page, "Data")).to_be_visible()
    expect(menu_link(page, "Definitions")).to_be_visible()
    expect(menu_link(page, "Goals")).to_be_visible()
    # Only the menu of app.py (Overview, Review, Goals, Revenue, Pipeline & Sales, Forecast
    # accuracy, Budget scenarios, Campaigns, Definitions, Data, and Audit for the local
    # single user, who is an admin), not a menu of page files.
    expect(menu_link(page, "Audit")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(11)
    expect(period_box(page)).to_have_value(OTHER_PERIOD)
    expect(page).to_have_url(period_in_url(OTHER_PERIOD))


def test_moving_a_budget_slider_shows_what_the_cut_costs(page: Page, app_server: str) -> None:
    page.goto(app_server + "/scenarios")
    wait_for_app(page, "Budget scenarios")
    saves = metric(page, "Saves").get_by_test_id("stMetricValue")
    expect(saves).to_have_text("$0", timeout=120_000)
    slider = page.get_by_test_id("stSlider").filter(has_text="Paid search").get_by_role("slider")
    slider.focus()
    for _ in range(6):  # 5% a step: a 30% cut
        slider.press("ArrowLeft")
    expect(page).to_have_url(re.compile(r"cut_paid_search=-30"), timeout=30_000)
    expect(saves).not_to_have_text("$0", timeout=30_000)
    lost = metric(page, "Pipeline lost").get_by_test_id("stMetricValue")
    expect(lost).not_to_have_text("$0")
    expect(page.get_by_text("Cutting Paid search by 30%")).to_be_visible()
    assert_no_problems(page)
    save_screenshot(page, "scenarios-cut")
    # The link reopens the same scenario in a new page.
    saved, cost = saves.inner_text(), lost.inner_text()
    other = page.context.new_page()
    other.goto(page.url)
    wait_for_app(other, "Budget scenarios")
    expect(
        other.get_by_test_id("stSlider").filter(has_text="Paid search").get_by_role("slider")
    ).to_have_value("-30")
    expect(metric(other, "Saves").get_by_test_id("stMetricValue")).to_have_text(saved)
    expect(metric(other, "Pipeline lost").get_by_test_id("stMetricValue")).to_have_text(cost)
    other.close()


def test_the_least_harm_cut_meets_the_saving(page: Page, app_server: str) -> None:
    page.goto(app_server + "/scenarios")
    wait_for_app(page, "Budget scenarios")
    expect(metric(page, "Saves").get_by_test_id("stMetricValue")).to_have_text(
        "$0", timeout=120_000
    )
    saving = page.get_by_test_id("stSlider").filter(has_text="Total saving needed")
    saving.get_by_role("slider").focus()
    for _ in range(10):
        saving.get_by_role("slider").press("ArrowRight")
    wait_for_app(page)
    page.get_by_role("button", name="Least-harm cut").click()
    wait_for_app(page)
    expect(
        page.get_by_text(re.compile(r"the least-harm cut loses .* pro rata loses"))
    ).to_be_visible(timeout=30_000)
    expect(metric(page, "Saves").get_by_test_id("stMetricValue")).not_to_have_text("$0")
    assert_no_problems(page)
    save_screenshot(page, "scenarios-least-harm")


def test_choosing_a_segment_narrows_the_revenue_page(page: Page, app_server: str) -> None:
    page.goto(app_server + "/revenue")
    wait_for_app(page, "Revenue")
    arr = metric(page, "ARR run rate").get_by_test_id("stMetricValue")
    everyone = arr.inner_text()
    page.get_by_role("combobox", name="Segment").click()
    page.get_by_role("option", name="SMB", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]segment=SMB(&|$)"))
    wait_for_app(page, "Revenue")
    expect(arr).not_to_have_text(everyone)
    assert_no_problems(page)
    save_screenshot(page, "revenue-segment")
    # The link reopens the segment.
    link = page.url
    other = page.context.new_page()
    other.goto(link)
    wait_for_app(other, "Revenue")
    expect(other.get_by_role("combobox", name="Segment")).to_have_value("SMB")
    expect(metric(other, "ARR run rate").get_by_test_id("stMetricValue")).to_have_text(
        arr.inner_text()
    )
    other.close()


def test_another_quarter_moves_the_pipeline_page(page: Page, app_server: str) -> None:
    page.goto(app_server + "/pipeline")
    wait_for_app(page, "Pipeline & Sales")
    expect(page.get_by_role("heading", name="How Q4 FY2027 pipeline moved")).to_be_visible()
    box = period_box(page)
    box.click()
    page.get_by_role("option", name=OTHER_PERIOD, exact=True).click()
    expect(page).to_have_url(period_in_url(OTHER_PERIOD))
    wait_for_app(page, "Pipeline & Sales")
    expect(page.get_by_role("heading", name="How Q3 FY2027 pipeline moved")).to_be_visible()
    expect(metric(page, "Coverage of Q3 FY2027 bookings to go")).to_have_count(1)
    assert_no_problems(page)


def test_switching_the_attribution_model_keeps_the_link(page: Page, app_server: str) -> None:
    page.goto(app_server + "/campaigns")
    wait_for_app(page, "Campaigns")
    box = page.get_by_role("combobox", name="Attribution model")
    expect(box).to_have_value("W-shaped (30/30/30/10)")
    box.click()
    page.get_by_role("option", name="First touch", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]model=first_touch(&|$)"))
    wait_for_app(page, "Campaigns")
    expect(page.get_by_text(re.compile(r"under First touch attribution"))).to_be_visible()
    assert_no_problems(page)
    save_screenshot(page, "campaigns-first-touch")
    other = page.context.new_page()
    other.goto(page.url)
    wait_for_app(other, "Campaigns")
    expect(other.get_by_role("combobox", name="Attribution model")).to_have_value("First touch")
    other.close()


def test_starting_a_review_and_downloading_the_pack(
    page: Page, fresh_app_server: str, tmp_path
) -> None:
    open_app(page, fresh_app_server + "/")
    start_review(page, "Dana Whitfield")
    wait_for_app(page, "Overview")
    go_to(page, "Review")
    expect(page.get_by_role("heading", name=re.compile(r"^As frozen on "))).to_be_visible()
    expect(page.get_by_role("heading", name="Since the last review")).to_be_visible()
    assert_no_problems(page)
    save_screenshot(page, "review")
    with page.expect_download(timeout=120_000) as download_info:
        page.get_by_role("button", name="Download the pack (PDF)").click()
    target = tmp_path / "pack.pdf"
    download_info.value.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000


def test_editing_a_goal_target_in_the_browser_turns_it_red(
    page: Page, fresh_app_server: str
) -> None:
    page.goto(fresh_app_server + "/goals")
    wait_for_app(page, "Goals")
    editor = page.get_by_test_id("stDataFrame").filter(has=page.get_by_test_id("glide-cell-0-0"))
    editor = editor.filter(has_text="G-VISION")
    goal = editor.locator("td").filter(has_text=re.compile(r"^G-FY2027-MKT-MQL$"))
    row = int(str(goal.first.get_attribute("data-testid")).rsplit("-", 1)[-1])
    target = editor.get_by_test_id(f"glide-cell-5-{row}")
    before = target.inner_text()
    # The grid is a canvas: select its first cell, walk to the goal's Target, type over it.
    editor.scroll_into_view_if_needed()
    expect(editor).to_be_in_viewport()
    box = editor.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 60, box["y"] + 52)
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # opens the cell's editor in the grid's overlay
    cell_editor = page.locator("#portal input, #portal textarea").first
    expect(cell_editor).to_be_visible(timeout=10_000)
    cell_editor.fill(str(int(float(before)) * 100))
    cell_editor.press("Enter")
    save = page.get_by_role("button", name="Save 1 changed goal")
    expect(save).to_be_enabled(timeout=30_000)
    page.get_by_role("textbox", name="Your name (recorded with the change)").fill("Dana Whitfield")
    save.click()
    expect(page.get_by_text(re.compile(r"Saved changes to 1 goal"))).to_be_visible(timeout=60_000)
    wait_for_app(page, "Goals")
    assert_no_problems(page)
    save_screenshot(page, "goals-edited")
    # The Overview's scorecard now shows the goal off track.
    go_to(page, "Overview")
    scorecard = page.get_by_test_id("stDataFrame").filter(has_text="MQLs in FY2027").first
    cells = scorecard.locator("td")
    status = None
    for index in range(cells.count()):
        if cells.nth(index).inner_text().strip() == "MQLs in FY2027":
            cell_row = str(cells.nth(index).get_attribute("data-testid")).rsplit("-", 1)[-1]
            status = scorecard.get_by_test_id(f"glide-cell-0-{cell_row}").inner_text()
            break
    assert status is not None and "Off track" in status, status
