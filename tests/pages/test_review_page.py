"""Review: starting one on the Overview, the frozen numbers, since last review after an upload,
notes, decisions and the pack."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from core.store.engine import create_store_engine
from core.store.schema import migrate
from tests.core.store.helpers import load, opportunity
from tests.pages.conftest import query_value
from tests.pages.test_app import assert_no_errors
from tests.stores import fresh_store_url


def _start_on_the_overview(app_for, url):
    app = app_for(url).run()
    assert_no_errors(app)
    app.text_input(key="review_by_overview").input("Dana Whitfield")
    next(button for button in app.button if button.label == "Start a review now").click().run()
    assert_no_errors(app)
    return app


def _review_page(app):
    app.switch_page("pages/review.py").run()
    assert_no_errors(app)
    return app


def test_starting_a_review_on_the_overview_freezes_it(app_for, demo_store_url):
    app = _start_on_the_overview(app_for, demo_store_url)
    assert any("Review 1 started by Dana Whitfield" in item.value for item in app.success)
    assert query_value(demo_store_url, "select count(*) from reviews") == 1
    assert any("last review" in item.value for item in app.caption)


def test_a_review_without_a_name_is_refused(app_for, demo_store_url):
    app = app_for(demo_store_url).run()
    next(button for button in app.button if button.label == "Start a review now").click().run()
    assert any("the name of the person is required" in item.value for item in app.error)
    assert query_value(demo_store_url, "select count(*) from reviews") == 0


def test_since_last_review_shows_the_upload_and_the_frozen_numbers_stay(app_for, demo_store_url):
    app = _review_page(_start_on_the_overview(app_for, demo_store_url))
    headings = [item.value for item in app.subheader]
    assert headings[:2] == [f"As frozen on {date.today().day} {date.today():%b %Y}",
                            "Since the last review"]  # fmt: skip
    frozen = {metric.label: metric.value for metric in app.metric}
    assert any(
        "No upload, definition or setting changed since this review" in item.value
        for item in app.caption
    )

    engine = create_store_engine(demo_store_url)
    won = {"is_closed": True, "is_won": True, "stage": "Closed Won"}
    load(engine, "opportunities",
         [opportunity("LATE-DEAL", 2_000_000.0, "2026-11-02", "2026-11-20", **won)],
         date(2026, 11, 23), "late_salesforce_export.csv")  # fmt: skip
    engine.dispose()
    app.run()
    assert_no_errors(app)
    assert {metric.label: metric.value for metric in app.metric} == frozen
    uploads = next(table.value for table in app.table if "File" in table.value.columns)
    # Escaped once for Markdown, so the browser shows the name as it is.
    assert "late\\_salesforce\\_export\\.csv" in set(uploads["File"])
    headlines = next(table.value for table in app.table if "At the last review" in table.value)
    bookings = headlines[headlines["Measure"] == "Bookings"].iloc[0]
    assert bookings["Change"].replace("\\", "").startswith("+$2.00M")


def test_notes_decisions_and_the_pack(app_for, demo_store_url):
    app = _review_page(_start_on_the_overview(app_for, demo_store_url))
    note_form = next(area for area in app.text_area if area.label == "Note")
    note_form.input("Coverage is amber: two more webinars in December.")
    [box for box in app.text_input if box.label == "Your name"][-1].input("Dana Whitfield")
    next(button for button in app.button if button.label == "Add note").click().run()
    assert_no_errors(app)
    assert any("two more webinars" in item.value for item in app.markdown)

    next(box for box in app.text_input if box.label == "Decision").input("Move $50K to partners")
    next(box for box in app.text_input if box.label == "Owner").input("CMO")
    next(box for box in app.text_input if box.label == "Recorded by").input("Dana Whitfield")
    next(button for button in app.button if button.label == "Record the decision").click().run()
    assert_no_errors(app)
    decisions = next(table.value for table in app.table if "Decision" in table.value.columns)
    assert decisions["Decision"].str.replace("\\", "").tolist() == ["Move $50K to partners"]

    downloads = {button.proto.label: button for button in app.get("download_button")}
    assert set(downloads) >= {"Download the pack (PDF)", "Download the pack (PowerPoint)"}
    url = downloads["Download the pack (PDF)"].proto.url
    assert url  # the media file the browser downloads


def test_the_review_page_on_an_empty_store(app_for, tmp_path):
    url = fresh_store_url(tmp_path / "empty.duckdb")
    engine = create_store_engine(url)
    migrate(engine)
    engine.dispose()
    app = app_for(url).run()
    app.switch_page("pages/review.py").run()
    assert_no_errors(app)
    assert any("The store holds no data yet" in item.value for item in app.info)


def test_pack_bytes_are_a_pdf_with_the_frozen_headlines(demo_store_url):
    from core.review_pack import PackContent, pack_pdf
    from core.store import reviews

    engine = create_store_engine(demo_store_url)
    try:
        from core.definitions import DEFAULT_DEFINITIONS
        from core.store import queries

        settings = queries.settings(engine)
        calendar = queries.fiscal_calendar(settings)
        as_of = date(2026, 11, 23)
        snapshot = reviews.build_snapshot(
            engine, DEFAULT_DEFINITIONS, calendar, calendar.quarter_containing(as_of), as_of,
            settings, with_scenario=False,
        )  # fmt: skip
    finally:
        engine.dispose()
    data = pack_pdf(PackContent(1, as_of, "Dana", snapshot, [], []))
    assert data.startswith(b"%PDF")
    assert "Scorecard" in PdfReader(io.BytesIO(data)).pages[1].extract_text()


def test_changing_the_cadence_moves_the_next_review_and_no_number(app_for, demo_store_url):
    app = _review_page(_start_on_the_overview(app_for, demo_store_url))
    version = query_value(demo_store_url, "select data_version from store_state")
    days = next(box for box in app.number_input if box.label == "Days between reviews")
    assert days.value == 14
    days.set_value(7)
    next(box for box in app.text_input if box.key == "review_cadence_by").input("Dana Whitfield")
    next(button for button in app.button if button.label == "Save the cadence").click().run()
    assert_no_errors(app)
    assert any("Reviews are now every 7 days" in item.value for item in app.success)
    today = date.today()
    in_a_week = date.fromordinal(today.toordinal() + 7)
    line = next(item.value for item in app.markdown if item.value.startswith("**Next review:"))
    assert f"{in_a_week.day} {in_a_week:%b %Y}" in line and "(every 7 days)" in line
    # The cadence changes no number: every cached page stays valid.
    assert query_value(demo_store_url, "select data_version from store_state") == version


def test_a_definition_change_since_the_review_is_named_beside_the_numbers(app_for, demo_store_url):
    """Issue 26, finding 1: "Since the last review" names a definition change as a cause of
    movement, beside the uploads, and marks the numbers it redefined."""
    from datetime import datetime

    from core.definitions import ProposedChange
    from core.store import definitions as store_definitions

    app = _review_page(_start_on_the_overview(app_for, demo_store_url))
    engine = create_store_engine(demo_store_url)
    store_definitions.record_change(
        engine,
        "bookings",
        ProposedChange(
            parameters={},
            description="Bookings: closed-won amounts, new business and expansion.",
            effective_from=date(2026, 11, 1),
            author="Finance",
            reason="Finance asked for the wording to name expansion explicitly.",
        ),
        now=datetime.now(),
    )
    engine.dispose()
    app.run()
    assert_no_errors(app)
    warning = next(
        item.value for item in app.warning if "Redefined since this review" in item.value
    )
    assert "Bookings (v1 → v2)" in warning
    headlines = next(table.value for table in app.table if "At the last review" in table.value)
    bookings = headlines[headlines["Measure"] == "Bookings"].iloc[0]
    assert bookings["Definition"].replace("\\", "") == "v1 → v2 (redefined)"
    assert headlines[headlines["Measure"] != "Bookings"]["Definition"].eq("v1").all()
    rules = next(table.value for table in app.table if "What" in table.value.columns)
    assert list(rules["Change"]) == ["Definition"]
    assert "bookings v1 -> v2" in rules["What"].iloc[0].replace("\\", "")
    assert not any("No upload, definition or setting" in item.value for item in app.caption)
    goals = next(table.value for table in app.table if "Projection then" in table.value.columns)
    marked = [name.replace("\\", "") for name in goals["Goal"] if "redefined" in name]
    assert marked and all("(redefined v1 → v2)" in name for name in marked)
    assert all("Bookings" in name for name in marked)
