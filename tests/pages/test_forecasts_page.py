"""Forecast accuracy page: the headline, the tables against SQL, the link, entering a forecast."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from core.store.engine import create_store_engine
from tests.core.store.helpers import count_renewals_in_bookings
from tests.pages.conftest import query_value, scalar
from tests.pages.test_app import assert_no_errors


def _page(app_for, url, **query_params):
    app = app_for(url, **query_params).run()
    app.switch_page("pages/forecasts.py").run()
    assert_no_errors(app)
    return app


def _plain(cell: str) -> str:
    """A static table's cell without its Markdown escapes."""
    return cell.replace("\\", "")


def _judged_bookings(url: str) -> pd.DataFrame:
    """Each forecaster's latest most-likely bookings call before each closed quarter ended,
    beside the quarter's won new-business and expansion bookings: written here in SQL,
    independently of core.forecasting."""
    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            return pd.read_sql(
                sa.text(
                    """
                    with calls as (
                        select forecaster, period_label, period_start, period_end, value,
                               row_number() over (
                                   partition by forecaster, period_label
                                   order by submitted_on desc
                               ) as newest
                        from current_forecasts
                        where metric = 'bookings' and category = 'most_likely'
                          and submitted_on <= period_end and period_end <= date '2026-11-23'
                    )
                    select forecaster, period_label, value, (
                        select coalesce(sum(amount_usd), 0) from current_opportunities
                        where is_won and opportunity_type in ('new_business', 'expansion')
                          and close_date between calls.period_start and calls.period_end
                    ) as actual
                    from calls where newest = 1
                    """
                ),
                connection,
            )
    finally:
        engine.dispose()


def test_the_page_judges_every_forecaster_against_sql(app_for, demo_store_url):
    app = _page(app_for, demo_store_url)
    headings = [item.value for item in app.subheader]
    assert headings[:4] == [
        "The current call",
        "How accurate we have been",
        "How the call converges as the period closes",
        "Missed periods",
    ]
    assert headings[-1] == "Enter a forecast"
    assert any(
        item.value.startswith("#### Over the last 6 quarters marketing") for item in app.markdown
    )
    judged = _judged_bookings(demo_store_url)
    table = app.table[1].value  # the current call comes first, then bookings accuracy
    for forecaster, calls in judged.groupby("forecaster"):
        ape = ((calls["value"] - calls["actual"]).abs() / calls["actual"]).mean()
        bias = (calls["value"] - calls["actual"]).sum() / calls["actual"].abs().sum()
        row = table[table["Forecaster"] == forecaster].iloc[0]
        assert row["Periods judged"] == str(len(calls))  # a static table: cells are text
        assert _plain(row["MAPE"]) == f"{ape:.1%}"
        assert _plain(row["Bias (+ optimistic)"]) == f"{bias:+.1%}"


def test_a_link_opens_another_metric_and_a_bad_one_is_named(app_for, demo_store_url):
    app = _page(app_for, demo_store_url, metric="mqls")
    assert app.selectbox(key="forecast_metric").value == "mqls"
    assert any("marketing's MQLs forecasts" in item.value for item in app.markdown)
    bad = _page(app_for, demo_store_url, metric="revenue")
    assert bad.selectbox(key="forecast_metric").value == "bookings"
    assert "forecasts of revenue" in bad.warning[0].value


def _fill(app, who, values, metric="bookings"):
    app.text_input(key="forecast_entry_who").input(who)
    app.selectbox(key="forecast_entry_metric").set_value(metric)
    for category, value in zip(("commit", "most_likely", "best_case"), values, strict=True):
        app.number_input(key=f"forecast_entry_{category}").set_value(value)
    return app


def test_entering_a_forecast_supersedes_nothing_and_shows_at_once(app_for, demo_store_url):
    before = scalar(demo_store_url, "select count(*) from forecasts")
    app = _page(app_for, demo_store_url)
    _fill(app, "Chris Ortega", (3_000_000, 3_200_000, 3_500_000))
    app.button(key="FormSubmitter:forecast_entry-Submit forecast").click().run()
    assert_no_errors(app)
    assert "Forecast saved" in app.success[0].value
    assert scalar(demo_store_url, "select count(*) from forecasts") == before + 3
    today = date.today().isoformat()
    assert (
        scalar(
            demo_store_url,
            "select value from current_forecasts where forecaster = 'Chris Ortega' and "
            f"category = 'most_likely' and submitted_on = date '{today}'",
        )
        == 3_200_000
    )
    assert (
        query_value(demo_store_url, "select source from uploads order by upload_id desc limit 1")
        == "forecast_form"
    )
    current = app.table[0].value
    assert "Chris Ortega" in set(current["Forecaster"])


def test_a_wrong_forecast_is_refused_with_every_reason_and_nothing_stored(app_for, demo_store_url):
    before = scalar(demo_store_url, "select count(*) from forecasts")
    app = _page(app_for, demo_store_url)
    _fill(app, "  ", (3_300_000, 3_200_000, None))
    app.button(key="FormSubmitter:forecast_entry-Submit forecast").click().run()
    problems = [item.value for item in app.error]
    assert any("forecaster's name is required" in problem for problem in problems)
    assert any("Commit must not exceed most likely" in problem for problem in problems)
    assert scalar(demo_store_url, "select count(*) from forecasts") == before


def test_a_definition_change_is_judged_per_forecast_or_restated_on_request(app_for, demo_store_url):
    """Issue 26, finding 1: after Bookings v2, the page says forecasts span v1 and v2 and
    judges each under its own; the toggle restates all under v2, and says so."""

    engine = create_store_engine(demo_store_url)
    count_renewals_in_bookings(engine, date(2026, 6, 1))
    engine.dispose()
    app = _page(app_for, demo_store_url)
    assert any("forecasts span definitions v1, v2" in item.value for item in app.info)
    assert any(
        "each forecast under the definition in effect when it was submitted (Bookings v1 and v2"
        in item.value
        for item in app.caption
    )
    app.toggle(key="forecast_restated").set_value(True).run()
    assert_no_errors(app)
    assert not any("forecasts span definitions" in item.value for item in app.info)
    assert any(
        "every forecast restated under the definitions in effect on the as-of day (Bookings v2"
        in item.value
        for item in app.caption
    )
