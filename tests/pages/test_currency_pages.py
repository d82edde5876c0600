"""A store that reports in euros shows euros on every page of money, and never a dollar sign.

The demo's amounts are generated as US-dollar numbers; setting the store's reporting currency to
EUR afterwards makes this a display test only: the same numbers, written as euros. What must
hold is that no formatter falls back to "$" (issue 25).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from pptx import Presentation
from pypdf import PdfReader

from core.definitions import DEFAULT_DEFINITIONS
from core.formatting import format_money, format_usd
from core.review_pack import PackContent, pack_pdf, pack_pptx
from core.store import queries
from core.store import reviews as store_reviews
from core.store.engine import create_store_engine
from core.store.writes import set_setting
from tests.conftest import DEMO_AS_OF
from tests.pages.helpers import metric, open_page
from tests.pages.test_app import assert_no_errors

# The demo's vision goal is named "Reach $40M ARR by ...": a name the company typed, not an
# amount the app formatted. Tables that show goal names are read without those columns.
NAME_COLUMNS = ("Goal", "Name", "Campaign", "Opportunity", "Decision", "File")


@pytest.fixture
def euro_store_url(demo_store_url: str) -> str:
    """A copy of the demo store whose reporting currency is the euro."""
    engine = create_store_engine(demo_store_url)
    try:
        with engine.begin() as connection:
            set_setting(connection, "currency", "EUR", "test", datetime.now(UTC))
    finally:
        engine.dispose()
    return demo_store_url


def _texts(app) -> list[str]:
    """What a reader sees as text: metric labels, values, deltas and help; markdown; captions."""
    texts = []
    for card in app.metric:
        texts += [card.label, card.value, card.proto.delta, card.proto.help]
    texts += [item.value for item in app.markdown]
    texts += [item.value for item in app.caption]
    texts += [item.value for item in app.info] + [item.value for item in app.warning]
    return [str(text) for text in texts if text]


def _table_cells(app) -> list[str]:
    """Every header and cell of the page's tables, except the columns holding names."""
    cells = []
    for element in [*app.table, *app.dataframe]:
        frame = element.value
        for column in frame.columns:
            if str(column) in NAME_COLUMNS:
                continue
            cells.append(str(column))
            cells += [str(value) for value in frame[column].tolist()]
    return cells


def _assert_in_euros(app) -> None:
    """Euros are shown, and no dollar sign: not in text, not in a table."""
    assert_no_errors(app)
    texts = _texts(app)
    dollars = [text for text in texts + _table_cells(app) if "$" in text]
    assert not dollars, dollars
    assert any("€" in text for text in texts), texts


def test_the_overview_headlines_are_in_euros(app_for, euro_store_url):
    app = open_page(app_for, euro_store_url, "pages/overview.py")
    _assert_in_euros(app)
    arr = metric(app, "ARR ")
    assert arr.value.startswith("€") and arr.value.endswith("M")
    assert "last year" in arr.proto.delta and "€" in arr.proto.delta
    # What's working is ranked by pipeline per euro, or it says why nothing can be ranked yet.
    assert any("by pipeline per euro" in item.value for item in app.markdown) or any(
        "€1,000 of spend" in item.value for item in app.caption
    )


def test_the_revenue_page_is_in_euros(app_for, euro_store_url):
    app = open_page(app_for, euro_store_url, "pages/revenue.py")
    _assert_in_euros(app)
    assert metric(app, "ARR ").value.startswith("€")
    assert any(cell.startswith("€") for cell in _table_cells(app))  # the bridge by quarter


def test_the_pipeline_page_is_in_euros(app_for, euro_store_url):
    app = open_page(app_for, euro_store_url, "pages/pipeline.py")
    _assert_in_euros(app)
    coverage = metric(app, "Coverage of")
    assert "Open: €" in coverage.proto.help
    assert any("of pipeline" in item.value and "€" in item.value for item in app.markdown)


def test_the_campaigns_page_is_in_euros(app_for, euro_store_url):
    app = open_page(app_for, euro_store_url, "pages/campaigns.py")
    _assert_in_euros(app)
    scorecard = next(
        frame.value for frame in app.dataframe if "Pipeline per €" in frame.value.columns
    )
    assert "Pipeline per $" not in scorecard.columns
    assert any("Credited pipeline per €" in str(table.value.columns) for table in app.table)
    rank_by = next(box for box in app.selectbox if box.label == "Rank what's working by")
    assert "Pipeline per euro" in rank_by.options


def test_the_budget_scenarios_page_is_in_euros(app_for, euro_store_url):
    app = open_page(app_for, euro_store_url, "pages/scenarios.py")
    app.slider(key="scenario_change_paid_search").set_value(-30).run()
    _assert_in_euros(app)
    sentence = next(item.value for item in app.markdown if "saves" in item.value)
    assert "€" in sentence and "$" not in sentence
    assert metric(app, "Saves").value.startswith("€")
    assert all("$" not in slider.label for slider in app.slider)
    assert any("plan €" in slider.label for slider in app.slider)


def test_the_review_page_is_in_euros(app_for, euro_store_url):
    app = app_for(euro_store_url).run()
    app.text_input(key="review_by_overview").input("Dana Whitfield")
    next(button for button in app.button if button.label == "Start a review now").click().run()
    assert_no_errors(app)
    app.switch_page("pages/review.py").run()
    _assert_in_euros(app)
    frozen = [card for card in app.metric if card.value.startswith("€")]
    assert len(frozen) >= 3  # ARR, pipeline, bookings and spend as frozen


def test_the_goals_and_forecasts_pages_are_in_euros(app_for, euro_store_url):
    for page in ("pages/goals.py", "pages/forecasts.py"):
        app = open_page(app_for, euro_store_url, page)
        assert_no_errors(app)
        dollars = [text for text in _texts(app) + _table_cells(app) if re.search(r"\$\d", text)]
        assert not dollars, (page, dollars)
        assert any("€" in cell for cell in _texts(app) + _table_cells(app)), page


def _euro_snapshot(url: str) -> dict[str, object]:
    engine = create_store_engine(url)
    try:
        settings = queries.settings(engine)
        calendar = queries.fiscal_calendar(settings)
        return store_reviews.build_snapshot(
            engine, DEFAULT_DEFINITIONS, calendar, calendar.quarter_containing(DEMO_AS_OF),
            DEMO_AS_OF, settings, with_scenario=False,
        )  # fmt: skip
    finally:
        engine.dispose()


def test_the_pack_is_in_euros(euro_store_url):
    snapshot = _euro_snapshot(euro_store_url)
    assert snapshot["currency"] == "EUR"  # frozen with the snapshot
    content = PackContent(1, date(2026, 11, 23), "Dana", snapshot, [], [])
    arr = next(row for row in snapshot["headlines"] if row["metric"] == "arr")["value"]

    reader = PdfReader(io.BytesIO(pack_pdf(content)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert format_money(arr, "EUR") in text
    assert format_usd(arr) not in text
    assert "amounts in EUR" in text

    deck = Presentation(io.BytesIO(pack_pptx(content)))
    goal_names = {str(goal["name"]).strip() for goal in snapshot["goals"]}
    cells = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_table:
                cells += [cell.text for row in shape.table.rows for cell in row.cells]
            elif shape.has_text_frame:
                cells.append(shape.text_frame.text)
    shown = [cell for cell in cells if cell.strip() not in goal_names]
    assert any(format_money(arr, "EUR") in cell for cell in shown)
    assert not [cell for cell in shown if "$" in cell]
