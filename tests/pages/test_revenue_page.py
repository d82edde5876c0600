"""Revenue page: headline numbers against the store, the segment choice, empty states."""

from __future__ import annotations

from datetime import date

from core.store.engine import create_store_engine
from core.store.schema import migrate
from tests.core.store.helpers import load, new_store, opportunity, url_of
from tests.pages.conftest import scalar
from tests.pages.helpers import metric, open_page
from tests.pages.test_app import assert_no_errors
from tests.stores import fresh_store_url


def _page(app_for, url, **query):
    return open_page(app_for, url, "pages/revenue.py", **query)


def _millions(text: str) -> float:
    """``$3.62M`` or ``$823K`` in dollars."""
    assert text.startswith("$") and text[-1] in "KM", text
    return float(text[1:-1]) * (1e6 if text.endswith("M") else 1e3)


def test_the_page_shows_the_bridge_retention_and_bookings(app_for, demo_store_url):
    app = _page(app_for, demo_store_url)
    headings = [item.value for item in app.subheader]
    assert headings == [
        "ARR bridge, Q4 FY2027",
        "Net and gross revenue retention",
        "Logo churn by quarter",
        "Bookings: new business, expansion, renewal",
    ]
    # ARR of November 2026, straight from the store: on the 23rd the month is not over, so the
    # card says run rate to date, never "at end of" (issue 26, finding 5).
    expected = scalar(
        demo_store_url, "select sum(arr_usd) from current_revenue where month = date '2026-11-01'"
    )
    card = metric(app, "ARR run rate, Nov 2026 to date")
    assert abs(_millions(card.value) - expected) <= 0.05e6
    quarters = app.table[0].value
    assert list(quarters.columns[:8]) == [
        "Period", "Start", "New", "Reactivation", "Expansion", "Contraction", "Churn", "End",
    ]  # fmt: skip
    unescaped = quarters.map(lambda cell: cell.replace("\\", ""))  # cells are escaped Markdown
    assert unescaped["Period"].iloc[-1] == "Q4 FY2027 (1 mo)"  # November so far
    assert all(cell.startswith("-$") or cell == "$0" for cell in unescaped["Contraction"])
    nrr = metric(app, "Net revenue retention")
    assert nrr.value.endswith("%") and 50 < float(nrr.value[:-1]) < 150
    grr = float(metric(app, "Gross revenue retention").value[:-1])
    assert grr <= 100 and grr <= float(nrr.value[:-1])
    sourced = metric(app, "Marketing-sourced share of new business, Q4 FY2027")
    assert sourced.value.endswith("%")
    assert "definition v1" in sourced.help


def test_a_past_quarters_arr_card_names_that_quarters_last_month(app_for, demo_store_url):
    """Q3 FY2027 (Aug-Oct 2026) seen on 23 Nov: October's ARR, labelled October (the card
    said "Nov 2026" over October's value before; issue 26, finding 5)."""
    app = _page(app_for, demo_store_url, period="Q3 FY2027")
    expected = scalar(
        demo_store_url, "select sum(arr_usd) from current_revenue where month = date '2026-10-01'"
    )
    card = metric(app, "ARR ")
    assert card.label == "ARR at end of Oct 2026"
    assert abs(_millions(card.value) - expected) <= 0.05e6


def test_choosing_a_segment_narrows_every_number_and_the_link(app_for, demo_store_url):
    app = _page(app_for, demo_store_url)
    everyone = _millions(metric(app, "ARR run rate").value)
    app.selectbox(key="revenue_segment").select("SMB").run()
    assert_no_errors(app)
    smb = _millions(metric(app, "ARR run rate").value)
    expected = scalar(
        demo_store_url,
        "select sum(arr_usd) from current_revenue where month = date '2026-11-01' "
        "and segment = 'SMB'",
    )
    assert abs(smb - expected) <= 0.05e6 and smb < everyone
    assert app.query_params["segment"] in ("SMB", ["SMB"])


def test_a_link_opens_a_segment_and_a_bad_one_is_named(app_for, demo_store_url):
    app = _page(app_for, demo_store_url, segment="Enterprise")
    assert app.selectbox(key="revenue_segment").value == "Enterprise"
    app = _page(app_for, demo_store_url, segment="Galactic")
    assert any("Galactic" in item.value for item in app.warning)
    assert app.selectbox(key="revenue_segment").value == "All segments"


def test_without_arr_the_page_says_what_to_upload(app_for, tmp_path):
    engine = new_store(tmp_path / "store.duckdb")
    won = {"is_closed": True, "is_won": True, "stage": "Closed Won"}
    load(engine, "opportunities", [opportunity("A", 100.0, "2026-08-01", "2026-09-01", **won)],
         date(2026, 11, 23))  # fmt: skip
    engine.dispose()
    app = _page(app_for, url_of(engine))
    assert any("No ARR is loaded" in item.value for item in app.info)


def test_an_empty_store_says_so(app_for, tmp_path):
    url = fresh_store_url(tmp_path / "empty.duckdb")
    engine = create_store_engine(url)
    migrate(engine)
    engine.dispose()
    app = _page(app_for, url)
    assert any("The store holds no data yet" in item.value for item in app.info)
    assert not app.metric
