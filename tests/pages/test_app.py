"""AppTest: every page runs against the demo store, an empty store and a busy store."""

import json
import subprocess
import sys

import pytest

from core.formatting import escape_markdown, format_usd
from core.store.engine import create_store_engine
from core.store.schema import migrate
from tests.pages.conftest import scalar
from tests.stores import fresh_store_url


def metric_values(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def assert_no_errors(app) -> None:
    assert not app.exception, [item.value for item in app.exception]
    assert not app.error, [item.value for item in app.error]


def test_overview_headlines_match_the_store(app_for, demo_store_url):
    # Expected values straight from the store, written independently of core.store.queries.
    arr = scalar(
        demo_store_url, "select sum(arr_usd) from current_revenue where month = date '2026-11-01'"
    )
    pipeline = scalar(
        demo_store_url,
        "select sum(amount_usd) from current_opportunities where opportunity_type = 'new_business' "
        "and created_date between date '2026-11-01' and date '2026-11-23'",
    )
    bookings = scalar(
        demo_store_url,
        "select sum(amount_usd) from current_opportunities where is_won "
        "and opportunity_type in ('new_business', 'expansion') "
        "and close_date between date '2026-11-01' and date '2026-11-23'",
    )
    spend = scalar(
        demo_store_url,
        "select sum(amount_usd) from current_spend where spend_date between date '2026-11-01' and date '2026-11-23'",
    )
    spend_last_year = scalar(
        demo_store_url,
        "select sum(amount_usd) from current_spend where spend_date between date '2025-11-01' and date '2025-11-23'",
    )
    app = app_for(demo_store_url).run()
    assert_no_errors(app)
    values = metric_values(app)
    assert values == {
        "ARR run rate, Nov 2026 to date": format_usd(arr),  # November not over on the 23rd
        "Pipeline created, Q4 FY2027": format_usd(pipeline),
        "Bookings, Q4 FY2027": format_usd(bookings),
        "Marketing spend, Q4 FY2027": format_usd(spend),
    }
    spend_metric = next(
        metric for metric in app.metric if metric.label.startswith("Marketing spend")
    )
    change = (spend - spend_last_year) / spend_last_year * 100
    assert spend_metric.delta == f"{change:+.1f}% vs {format_usd(spend_last_year)} last year"
    assert "Marketing spend (definition v1)" in spend_metric.proto.help
    assert any("Demo data: Lumora Analytics" in info.value for info in app.info)
    assert "Q4 FY2027 to date (1 Nov 2026 – 23 Nov 2026)" in app.caption[0].value
    titles = {json.loads(chart.proto.spec)["title"]["text"] for chart in app.get("vega_lite_chart")}
    assert titles == {
        "ARR by month (definition v1)",
        "Pipeline created by quarter (definition v1)",
        "Bookings by quarter (definition v1)",
        "Marketing spend by quarter (definition v1)",
    }
    # Last year's bar for the running quarter covers the same days (issue 26, finding 5).
    assert any(
        "Q4 FY2026 the same days a year earlier, to 23 Nov 2025" in caption.value
        for caption in app.caption
    )


def test_sidebar_state_lives_in_the_url(app_for, demo_store_url):
    app = app_for(demo_store_url).run()
    assert app.sidebar.selectbox[0].value == "Q4 FY2027"
    assert app.query_params["period"] == ["Q4 FY2027"] or app.query_params["period"] == "Q4 FY2027"
    app.sidebar.selectbox[0].set_value("Q3 FY2027").run()
    assert_no_errors(app)
    assert "Bookings, Q3 FY2027" in metric_values(app)
    assert "Q3 FY2027 complete" in app.caption[0].value
    period = app.query_params["period"]
    assert (period[0] if isinstance(period, list) else period) == "Q3 FY2027"


def test_a_shared_link_restores_the_view(app_for, demo_store_url):
    pipeline = scalar(
        demo_store_url,
        "select sum(amount_usd) from current_opportunities where opportunity_type = 'new_business' "
        "and created_date between date '2025-05-01' and date '2025-07-31'",
    )
    app = app_for(demo_store_url, period="Q2 FY2026", as_of="2026-11-23").run()
    assert_no_errors(app)
    assert app.sidebar.selectbox[0].value == "Q2 FY2026"
    assert metric_values(app)["Pipeline created, Q2 FY2026"] == format_usd(pipeline)


def test_a_past_as_of_date_counts_only_what_had_happened(app_for, demo_store_url):
    pipeline = scalar(
        demo_store_url,
        "select sum(amount_usd) from current_opportunities where opportunity_type = 'new_business' "
        "and created_date between date '2026-08-01' and date '2026-09-15'",
    )
    app = app_for(demo_store_url, period="Q3 FY2027", as_of="2026-09-15").run()
    assert_no_errors(app)
    assert metric_values(app)["Pipeline created, Q3 FY2027"] == format_usd(pipeline)
    assert "Q3 FY2027 to date (1 Aug 2026 – 15 Sep 2026)" in app.caption[0].value


@pytest.mark.parametrize(
    ("params", "warning"),
    [
        ({"period": "Q9 FY1999"}, "The link's quarter “Q9 FY1999” is not in the data"),
        ({"as_of": "yesterday"}, "The link's as-of date “yesterday” is not a date"),
        ({"as_of": "1999-01-01"}, "outside the data"),
    ],
)
def test_a_broken_link_falls_back_and_says_so(app_for, demo_store_url, params, warning):
    app = app_for(demo_store_url, **params).run()
    assert_no_errors(app)
    assert any(warning in item.value for item in app.sidebar.warning)
    assert app.sidebar.selectbox[0].value == "Q4 FY2027"


@pytest.mark.parametrize("key", ["period", "as_of"])
def test_a_hostile_link_is_echoed_as_text(app_for, demo_store_url, key):
    """A crafted link cannot put a link, an image or markup into the app's own warning."""
    hostile = "[Q4 FY2027](javascript:alert(1)) <img src=x onerror=alert(2)> **bold**"
    app = app_for(demo_store_url, **{key: hostile}).run()
    assert_no_errors(app)
    shown = next(item.value for item in app.sidebar.warning if "The link's" in item.value)
    assert escape_markdown(hostile) in shown
    assert "[Q4" not in shown.replace("\\[Q4", "")  # every bracket is escaped


def test_a_future_quarter_explains_itself(app_for, demo_store_url):
    app = app_for(demo_store_url, period="Q4 FY2027", as_of="2026-10-15").run()
    assert_no_errors(app)
    assert any("starts on 1 Nov 2026, after the as-of date" in item.value for item in app.info)


def test_data_page_lists_what_the_store_holds(app_for, demo_store_url, demo_template):
    uploads = scalar(demo_store_url, "select count(*) from uploads")
    app = app_for(demo_store_url).run()
    app.switch_page("pages/data.py").run()
    assert_no_errors(app)
    values = metric_values(app)
    assert values["Uploads loaded"] == f"{int(uploads):,}"
    assert values["Data through"] == "23 Nov 2026"
    tables = app.dataframe[0].value
    assert list(tables["table_label"]) == [
        "Campaigns", "Spend", "Campaign touches", "Leads and contacts", "Opportunities",
        "ARR by account and month", "Goals", "Forecasts", "Budgets", "Exchange rates",
    ]  # fmt: skip
    assert len(app.dataframe[1].value) == 200  # the 200 latest uploads


def test_empty_store_shows_empty_states(app_for, tmp_path):
    url = fresh_store_url(tmp_path / "empty.duckdb")
    engine = create_store_engine(url)
    migrate(engine)
    engine.dispose()
    app = app_for(url).run()
    assert_no_errors(app)
    assert any("The store holds no data yet" in item.value for item in app.info)
    assert not app.metric
    app.switch_page("pages/data.py").run()
    assert_no_errors(app)
    assert metric_values(app)["Uploads loaded"] == "0"
    assert any("The store is empty" in item.value for item in app.info)
    assert not any("Demo data" in item.value for item in app.info)


@pytest.mark.duckdb_only  # DuckDB's file lock
def test_a_store_held_by_another_process_is_explained(app_for, tmp_path):
    path = tmp_path / "held.duckdb"
    create_store_engine(f"duckdb:///{path}").dispose()
    code = f"import duckdb, sys\nc = duckdb.connect({str(path)!r})\nprint('ready', flush=True)\nsys.stdin.read()\n"
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        app = app_for(f"duckdb:///{path}").run()
        assert not app.exception
        assert len(app.error) == 1
        assert app.error[0].value.startswith("The store cannot be opened. The store ")
        assert "in use by another process" in app.error[0].value
    finally:
        holder.communicate("")
