"""Reviews: a frozen snapshot never moves, notes and decisions, the cadence, and the pack."""

from __future__ import annotations

import io
from datetime import date, datetime

import pypdfium2
import pytest
from pptx import Presentation
from pypdf import PdfReader

from core.definitions import DEFAULT_DEFINITIONS
from core.formatting import format_usd
from core.review import goal_movements, headline_changes, open_decisions
from core.review_pack import PackContent, pack_pdf, pack_pptx
from core.store import queries
from core.store import reviews as store_reviews
from core.store.engine import create_store_engine
from tests.conftest import DEMO_AS_OF, copy_store
from tests.core.store.helpers import load, opportunity


@pytest.fixture(scope="module")
def demo(demo_template, tmp_path_factory):
    url = copy_store(demo_template, tmp_path_factory.mktemp("demo-reviews"))
    engine = create_store_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def frozen(demo):
    settings = queries.settings(demo)
    calendar = queries.fiscal_calendar(settings)
    period = calendar.quarter_containing(DEMO_AS_OF)
    snapshot = store_reviews.build_snapshot(
        demo, DEFAULT_DEFINITIONS, calendar, period, DEMO_AS_OF, settings, with_scenario=False
    )
    review_id = store_reviews.start_review(
        demo, snapshot, "Dana Whitfield", DEMO_AS_OF, now=datetime(2026, 11, 23, 9)
    )
    return review_id, snapshot, calendar, period


def _headline(snapshot, metric):
    return next(row for row in snapshot["headlines"] if row["metric"] == metric)


def test_the_snapshot_holds_every_section(frozen):
    _, snapshot, _, _ = frozen
    assert snapshot["period"] == "Q4 FY2027" and snapshot["as_of"] == DEMO_AS_OF.isoformat()
    for section in ("headlines", "goals", "revenue", "pipeline", "forecasts", "working", "charts"):
        assert snapshot[section], section
    assert {row["metric"] for row in snapshot["headlines"]} == {
        "arr", "pipeline_created", "bookings", "spend",
    }  # fmt: skip
    assert snapshot["definitions"]["bookings"]["version"] == 1
    assert snapshot["goals"][0]["level"] == "vision"


def test_a_frozen_review_does_not_move_when_new_data_arrives(demo, frozen):
    review_id, snapshot, calendar, period = frozen
    before_upload = store_reviews.load_review(demo, review_id).snapshot
    won = {"is_closed": True, "is_won": True, "stage": "Closed Won"}
    load(
        demo,
        "opportunities",
        [opportunity("NEW-BIG-DEAL", 5_000_000.0, "2026-11-02", "2026-11-20", **won)],
        DEMO_AS_OF,
        "late_export.csv",
    )
    after_upload = store_reviews.load_review(demo, review_id).snapshot
    assert after_upload == before_upload == snapshot
    now = store_reviews.build_snapshot(
        demo, DEFAULT_DEFINITIONS, calendar, period, DEMO_AS_OF, queries.settings(demo),
        with_scenario=False,
    )  # fmt: skip
    changes = headline_changes(snapshot, now).set_index("metric")
    assert changes.loc["bookings", "change"] == pytest.approx(5_000_000.0)
    assert changes.index[0] in ("bookings", "pipeline_created")  # biggest relative move first
    moves = goal_movements(snapshot, now)
    assert not moves.empty
    uploads = store_reviews.uploads_since(demo, snapshot, datetime(2026, 11, 23, 9))
    assert "late_export.csv" in set(uploads["file_name"])


def test_notes_and_decisions_carry_forward_until_closed(demo, frozen):
    review_id, snapshot, _, _ = frozen
    store_reviews.add_note(demo, review_id, "Coverage is amber: two more webinars.", "Dana")
    with pytest.raises(store_reviews.ReviewError, match=r"Write the note\. Say who is writing"):
        store_reviews.add_note(demo, review_id, "  ", "")
    key = store_reviews.record_decision(
        demo, review_id, "Move $50K from search to partners", "CMO", date(2026, 12, 15), "Dana"
    )
    with pytest.raises(store_reviews.ReviewError, match="Name the owner"):
        store_reviews.record_decision(demo, review_id, "Something", "", None, "Dana")
    second = store_reviews.start_review(demo, snapshot, "Priya Raman", date(2026, 12, 7))
    assert open_decisions(store_reviews.decisions(demo))["decision_key"].tolist() == [key]
    store_reviews.record_decision(
        demo, second, "Move $50K from search to partners", "CMO", date(2026, 12, 15), "Priya",
        status="done", decision_key=key,
    )  # fmt: skip
    everything = store_reviews.decisions(demo)
    assert open_decisions(everything).empty
    closed = everything.set_index("decision_key").loc[key]
    assert (closed["status"], closed["raised_in"], closed["changed_in"]) == (
        "done",
        review_id,
        second,
    )
    # As the first review saw it, the decision was open.
    assert store_reviews.decisions(demo, review_id).iloc[0]["status"] == "open"


def test_the_cadence_is_a_setting(demo):
    assert store_reviews.cadence_days(queries.settings(demo)) == 14
    store_reviews.set_cadence(demo, 7, "Dana")
    assert store_reviews.cadence_days(queries.settings(demo)) == 7
    with pytest.raises(store_reviews.ReviewError, match="1 to 90 days, got 0"):
        store_reviews.set_cadence(demo, 0, "Dana")


def test_changes_since_list_definitions_and_settings_that_move_numbers(demo):
    """Issue 26, finding 1: definition and setting changes after a review are causes of
    movement; a new review cadence or company name moves no number and is left out."""
    from datetime import timedelta

    from core.definitions import ProposedChange
    from core.store import definitions as store_definitions
    from core.store.writes import set_setting

    moment = datetime.now()  # after the demo's own setup, which is audited too
    later = lambda minutes: moment + timedelta(minutes=minutes)  # noqa: E731
    store_reviews.set_cadence(demo, 7, "Dana", now=later(1))
    store_definitions.record_change(
        demo,
        "bookings",
        ProposedChange(
            parameters={},
            description="Bookings: closed-won amounts, new business and expansion.",
            effective_from=date(2026, 12, 1),
            author="Finance",
            reason="Name expansion explicitly.",
        ),
        now=later(2),
    )
    with demo.begin() as connection:
        set_setting(connection, "company_name", "Renamed", "Dana", later(3))
        set_setting(connection, "fiscal_year_start_month", "4", "Dana", later(4))
    changes = store_reviews.changes_since(demo, moment)
    assert changes["kind"].tolist() == ["Setting", "Definition"]  # newest first
    assert changes["summary"].iloc[0] == "fiscal_year_start_month: 2 -> 4"
    assert changes["summary"].iloc[1].startswith("bookings v1 -> v2 from 2026-12-01")
    assert store_reviews.changes_since(demo, later(5)).empty


def test_starting_a_review_needs_a_name(demo, frozen):
    with pytest.raises(store_reviews.ReviewError, match="the name of the person is required"):
        store_reviews.start_review(demo, frozen[1], " ", DEMO_AS_OF)


def _content(snapshot):
    return PackContent(
        review_id=1,
        review_date=DEMO_AS_OF,
        started_by="Dana Whitfield",
        snapshot=snapshot,
        notes=[{"note": "Coverage is amber.", "author": "Dana", "written_at": "2026-11-23T10:00"}],
        decisions=[
            {
                "decision": "Add two webinars",
                "owner": "CMO",
                "due_date": "2026-12-15",
                "status": "open",
            }
        ],
    )


def test_the_pdf_pack_has_the_frozen_numbers_and_a_title_page(frozen):
    _, snapshot, _, _ = frozen
    data = pack_pdf(_content(snapshot))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 9  # title, eight sections
    text = "\n".join(page.extract_text() for page in reader.pages)
    for metric in ("arr", "pipeline_created", "bookings", "spend"):
        assert format_usd(_headline(snapshot, metric)["value"]) in text, metric
    for goal in snapshot["goals"][:3]:
        assert goal["name"].split(" ")[0] in text
    for title in ("Scorecard", "Revenue", "Pipeline and coverage", "Forecast accuracy",
                  "Budget scenario", "What's working", "Commentary and decisions",
                  "Appendix: metric definitions"):  # fmt: skip
        assert title in text, title
    assert "Add two webinars" in text and "Coverage is amber." in text
    assert snapshot["forecasts"]["sentence"] in text.replace("\n", " ")
    # Page 1, rendered, is not blank.
    document = pypdfium2.PdfDocument(data)
    try:
        image = document[0].render(scale=1).to_pil().convert("L")
    finally:
        document.close()
    low, high = image.getextrema()
    assert high - low > 100
    assert sum(1 for value in image.get_flattened_data() if value < 128) > 500  # dark text


def test_the_powerpoint_pack_opens_with_a_slide_per_section(frozen):
    _, snapshot, _, _ = frozen
    deck = Presentation(io.BytesIO(pack_pptx(_content(snapshot))))
    titles = [slide.shapes.title.text for slide in deck.slides if slide.shapes.title]
    assert titles[0].startswith("Marketing review")
    assert "Scorecard" in titles and "Appendix: metric definitions" in titles
    pictures = [shape for slide in deck.slides for shape in slide.shapes if shape.shape_type == 13]
    assert pictures  # the charts, as images
