"""Definitions page: read the registry, refuse an edit without a reason, record a version and
see its effect and the restatement on the Overview."""

from __future__ import annotations

from datetime import date

from core.formatting import escape_markdown
from core.store import definitions as store_definitions
from core.store.engine import create_store_engine
from tests.pages.conftest import scalar
from tests.pages.test_app import assert_no_errors, metric_values
from tests.stores import fresh_store_url


def _form_fields(app):
    return {widget.label: widget for widget in app.text_input} | {
        widget.label: widget for widget in app.text_area
    }


def test_the_page_lists_every_definition_and_its_history(app_for, demo_store_url):
    app = app_for(demo_store_url).run()
    app.switch_page("pages/definitions.py").run()
    assert_no_errors(app)
    current = app.dataframe[0].value
    assert "Bookings" in list(current["Metric"])
    assert set(current["Version"]) == {"v1"}
    history = app.dataframe[1].value
    assert list(history["Change"]) == ["First version (shipped with the app)"]


def test_an_edit_without_a_reason_is_refused_and_changes_nothing(app_for, demo_store_url):
    app = app_for(demo_store_url).run()
    app.switch_page("pages/definitions.py").run()
    app.selectbox(key="definitions_metric").set_value("bookings").run()
    fields = _form_fields(app)
    fields["Your name (required)"].input("Dana Whitfield")
    app.multiselect(key="definition_bookings_opportunity_types").set_value(
        ["new_business", "expansion", "renewal"]
    )
    app.button[0].click().run()
    assert [error.value for error in app.error] == [
        escape_markdown(
            "Give the reason for the change (at least 10 characters): definitions never change "
            "without one."
        )
    ]
    assert scalar(demo_store_url, "select count(*) from metric_definitions") == 0


def test_recording_a_version_shows_its_effect_and_restates_the_overview(app_for, demo_store_url):
    before = scalar(
        demo_store_url,
        "select sum(amount_usd) from current_opportunities where is_won and "
        "opportunity_type in ('new_business', 'expansion') and close_date between '2026-11-01' "
        "and '2026-11-23'",
    )
    renewals = scalar(
        demo_store_url,
        "select sum(amount_usd) from current_opportunities where is_won and "
        "opportunity_type = 'renewal' and close_date between '2026-11-01' and '2026-11-23'",
    )
    app = app_for(demo_store_url).run()
    app.switch_page("pages/definitions.py").run()
    app.selectbox(key="definitions_metric").set_value("bookings").run()
    app.multiselect(key="definition_bookings_opportunity_types").set_value(
        ["new_business", "expansion", "renewal"]
    )
    # "From Q4 on": stated, because the form's default (today) is after the demo's as-of day
    # whenever the suite runs later than 23 Nov 2026, and a version effective after the as-of
    # day is rightly not in effect on it.
    app.date_input(key="definition_bookings_effective").set_value(date(2026, 11, 2))
    fields = _form_fields(app)
    fields["Your name (required)"].input("Dana Whitfield")
    fields["Approved by (optional)"].input("Chris Ortega (CFO)")
    fields["Reason for the change (required)"].input(
        "The board asked for renewals inside bookings from Q4 on."
    )
    app.button[0].click().run()
    assert_no_errors(app)
    assert "Recorded Bookings version 2" in app.success[0].value
    current = app.dataframe[0].value
    bookings = current[current["Metric"] == "Bookings"].iloc[0]
    assert bookings["Version"] == "v2"
    assert "Renewal" in bookings["Parameters"]
    history = app.dataframe[1].value
    assert list(history["Version"]) == ["v2", "v1"]
    assert history.iloc[0]["Approved by"] == "Chris Ortega (CFO)"
    assert (
        "Opportunity types counted: New business, Expansion → New business, Expansion, Renewal"
        in (history.iloc[0]["Change"])
    )
    effects = app.dataframe[2].value
    assert list(effects.columns) == ["Quarter", "Under v1", "Under v2", "Difference"]
    assert len(effects) == 4

    # The old version still gives the old number; the new one adds renewals.
    engine = create_store_engine(demo_store_url)
    try:
        versions = store_definitions.history(engine, "bookings")
    finally:
        engine.dispose()
    assert [definition.version for definition in versions] == [1, 2]

    app.switch_page("pages/overview.py").run()
    assert_no_errors(app)
    # The scorecard comes first; the restatement table is the one with a Metric column.
    restated = next(table.value for table in app.dataframe if "Metric" in table.value.columns)
    row = restated.iloc[0]
    assert row["Metric"] == "Bookings"
    assert row["As reported"].endswith("(v1)") and row["Restated"].endswith("(v2)")
    assert row["Why it changed"] == "The board asked for renewals inside bookings from Q4 on."
    headline = metric_values(app)["Bookings, Q4 FY2027"]
    assert headline != ""
    assert before > 0 and renewals >= 0


def test_an_empty_store_still_lists_the_definitions(app_for, tmp_path):
    from core.store.schema import migrate

    url = fresh_store_url(tmp_path / "empty.duckdb")
    engine = create_store_engine(url)
    migrate(engine)
    engine.dispose()
    app = app_for(url).run()
    app.switch_page("pages/definitions.py").run()
    assert_no_errors(app)
    assert len(app.dataframe[0].value) == 21
    app.selectbox(key="definitions_metric").set_value("bookings").run()
    assert_no_errors(app)
    assert app.subheader[1].value == "Bookings: version 1"
