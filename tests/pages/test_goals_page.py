"""Goals page and the Overview scorecard: tracked goals, an edit that changes the status, a
refused edit, and commentary."""

from __future__ import annotations

from core.formatting import escape_markdown
from tests.core.store.helpers import count_renewals_in_bookings
from tests.pages.conftest import scalar
from tests.pages.test_app import assert_no_errors
from tests.stores import fresh_store_url

QUARTER_GOAL = "G-Q4-FY2027-SALES-BOOKINGS"


def _goals_page(app_for, url):
    app = app_for(url).run()
    app.switch_page("pages/goals.py").run()
    assert_no_errors(app)
    return app


def _row(frame, goal_name):
    return frame[frame["Goal"].str.strip() == goal_name].iloc[0]


def test_the_goals_page_shows_the_quarter_the_tree_and_the_vision(app_for, demo_store_url):
    app = _goals_page(app_for, demo_store_url)
    headings = [item.value for item in app.subheader]
    assert headings[:2] == ["This quarter: Q4 FY2027", "Toward the vision"]
    quarter = app.dataframe[0].value
    assert len(quarter) == 3  # sourced pipeline, MQLs and bookings targets of Q4 FY2027
    assert set(quarter["Status"]) <= {"🟢 On track", "🟠 At risk", "🔴 Off track"}
    tree = app.dataframe[1].value
    assert tree["Goal"].iloc[0].startswith("Reach $")  # the vision heads the tree
    assert any(tree["Goal"].str.startswith("    "))  # children indented under parents
    assert any("adds up to its parent" in note for note in tree["How it serves its parent"])
    detail = app.dataframe[2].value
    assert "Chance of reaching target" in list(detail["Figure"])


def test_editing_a_target_updates_the_status_and_the_log(app_for, demo_store_url):
    app = _goals_page(app_for, demo_store_url)
    bookings = _row(app.dataframe[0].value, "Bookings (sales target) in Q4 FY2027")
    assert bookings["Status"] == "🟢 On track"
    editor = app.data_editor(key="goal_editor")
    position = list(editor.value.index).index(QUARTER_GOAL)
    app.session_state["goal_editor"] = {
        "edited_rows": {position: {"Target": 9_000_000.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    app.text_input(key="goal_editor_author").input("Dana Whitfield").run()
    save = next(button for button in app.button if button.label.startswith("Save 1 changed"))
    save.click().run()
    assert_no_errors(app)
    assert any("Saved changes to 1 goal" in item.value for item in app.success)
    bookings = _row(app.dataframe[0].value, "Bookings (sales target) in Q4 FY2027")
    assert bookings["Target"] == "$9.00M"
    assert bookings["Status"] == "🔴 Off track"
    assert (
        scalar(
            demo_store_url,
            f"select count(*) from goal_changes where goal_id = '{QUARTER_GOAL}' "
            "and field = 'target' and new_value = '9000000.00' and changed_by = 'Dana Whitfield'",
        )
        == 1
    )


def test_a_bad_edit_is_refused_with_the_goal_named_and_nothing_stored(app_for, demo_store_url):
    app = _goals_page(app_for, demo_store_url)
    position = list(app.data_editor(key="goal_editor").value.index).index(QUARTER_GOAL)
    app.session_state["goal_editor"] = {
        "edited_rows": {position: {"Target": 0.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    app.text_input(key="goal_editor_author").input("Dana Whitfield").run()
    next(button for button in app.button if button.label.startswith("Save 1 changed")).click().run()
    assert [item.value for item in app.error] == [
        escape_markdown(
            f"Goal {QUARTER_GOAL} (Bookings (sales target) in Q4 FY2027): target 0.00 must be "
            "above zero for a higher-is-better goal"
        )
    ]
    assert scalar(demo_store_url, "select count(*) from goal_changes") == 0


def test_overview_scorecard_and_commentary(app_for, demo_store_url):
    app = app_for(demo_store_url).run()
    assert_no_errors(app)
    assert next(item.value for item in app.subheader) == "Scorecard"
    scorecard = app.dataframe[0].value
    assert list(scorecard["Level"].unique()) == ["Vision", "Annual", "Quarterly"]
    assert {"Target", "Actual to date", "Pace", "Projected", "Chance", "Trend"} <= set(
        scorecard.columns
    )
    assert any("As of 23 Nov 2026" in item.value for item in app.markdown)
    form = {widget.label: widget for widget in app.text_area} | {
        widget.label: widget for widget in app.text_input
    }
    app.selectbox(key="overview_comment_goal").set_value("G-Q4-FY2027-MKT-MQL")
    form["Why this status, and what we are doing about it"].input(
        "Red: webinar calendar slipped two weeks; two extra sessions booked for December."
    )
    form["Your name"].input("Marcus Lee")
    next(button for button in app.button if button.label == "Add commentary").click().run()
    assert_no_errors(app)
    row = _row(app.dataframe[0].value, "MQLs in Q4 FY2027")
    assert row["Commentary"].startswith("Red: webinar calendar slipped two weeks")
    assert "Marcus Lee" in row["Commentary"]


def test_goals_page_on_an_empty_store(app_for, tmp_path):
    from core.store.engine import create_store_engine
    from core.store.schema import migrate

    url = fresh_store_url(tmp_path / "empty.duckdb")
    engine = create_store_engine(url)
    migrate(engine)
    engine.dispose()
    app = app_for(url).run()
    app.switch_page("pages/goals.py").run()
    assert_no_errors(app)
    assert any("The store holds no data yet" in item.value for item in app.info)


def test_without_goals_and_for_a_quarter_no_goal_covers_the_page_says_so(app_for, demo_store_url):
    from pathlib import Path

    from core.store.engine import create_store_engine
    from core.store.ingest.pipeline import IngestOptions, ingest_file, undo_upload

    engine = create_store_engine(demo_store_url)
    try:
        demo_goals = scalar(
            demo_store_url,
            "select upload_id from uploads where kind = 'goals' and status = 'loaded'",
        )
        undo_upload(engine, int(demo_goals), "Tester")
    finally:
        engine.dispose()
    app = _goals_page(app_for, demo_store_url)
    assert any("No goals are loaded yet" in item.value for item in app.info)

    # Goals for FY2027 only: a quarter of FY2024 is covered by none of them.
    engine = create_store_engine(demo_store_url)
    try:
        examples = Path(__file__).resolve().parents[2] / "data" / "examples" / "goals.csv"
        assert ingest_file(engine, examples, IngestOptions(uploaded_by="Tester")).loaded
    finally:
        engine.dispose()
    app = app_for(demo_store_url, period="Q1 FY2024").run()
    app.switch_page("pages/goals.py").run()
    assert_no_errors(app)
    assert any("No goal covers Q1 FY2024" in item.value for item in app.info)


def test_the_goal_projection_and_the_forecast_baseline_are_set_side_by_side(
    app_for, demo_store_url
):
    """Issue 26, finding 10: the bookings goal's projection and the Forecast accuracy page's
    data baseline of the same quarter appear on both pages, with what each rests on."""
    app = _goals_page(app_for, demo_store_url)
    app.selectbox(key="goal_detail").set_value(QUARTER_GOAL).run()
    assert_no_errors(app)
    on_goals = [item.value for item in app.caption if "the data baseline says" in item.value]
    assert len(on_goals) == 1
    sentence = on_goals[0].replace("\\", "")
    assert sentence.startswith("The goal “Bookings (sales target) in Q4 FY2027” projects $")
    assert "carries the pace to date forward" in sentence and "win rate of their stage" in sentence
    app.switch_page("pages/forecasts.py").run()
    assert_no_errors(app)
    on_forecasts = [item.value for item in app.caption if "the data baseline says" in item.value]
    assert [text.replace("\\", "") for text in on_forecasts] == [sentence]


def test_no_goal_is_amber_or_green_with_a_chance_under_the_rules_threshold(app_for, demo_store_url):
    """Issue 26, finding 9: status and chance agree on every goal the page shows."""
    app = _goals_page(app_for, demo_store_url)
    assert any("under 10%" in item.value for item in app.caption)
    for frame in (app.dataframe[0].value, app.dataframe[1].value):
        if "Chance" not in frame.columns:
            continue
        for status, chance in zip(frame["Status"], frame["Chance"], strict=True):
            if chance in ("—", "") or not str(chance).endswith("%"):
                continue
            if float(str(chance)[:-1]) < 10:
                assert status.endswith(("Off track", "Not started", "No data")), (status, chance)


def test_a_redefined_goal_shows_its_status_as_reported_beside_the_restated(app_for, demo_store_url):
    """Issue 26, finding 1: after Bookings v2 (renewals counted, in effect mid-quarter), the
    quarter's bookings goal shows the restated status with the one as reported under v1."""
    from datetime import date

    from core.store.engine import create_store_engine

    engine = create_store_engine(demo_store_url)
    count_renewals_in_bookings(engine, date(2026, 11, 10))
    engine.dispose()
    app = _goals_page(app_for, demo_store_url)
    assert any("measure a metric redefined" in item.value for item in app.warning)
    quarter = app.dataframe[0].value
    bookings = quarter[quarter["Goal"].str.contains("Bookings")].iloc[0]
    assert "(restated v2; as reported v1: " in bookings["Status"]
    app.selectbox(key="goal_detail").set_value(QUARTER_GOAL).run()
    detail = app.dataframe[2].value
    assert "Status as reported (v1)" in list(detail["Figure"])
