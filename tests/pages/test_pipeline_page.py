"""Pipeline & Sales page: coverage against the store, the period choice, empty states."""

from __future__ import annotations

from datetime import date

from core.store.engine import create_store_engine
from core.store.schema import migrate
from tests.core.store.helpers import load, new_store, opportunity, url_of
from tests.pages.conftest import scalar
from tests.pages.helpers import metric, open_page
from tests.pages.test_app import assert_no_errors
from tests.stores import fresh_store_url

# Open new-business and expansion pipeline due in Q4 FY2027 as the exports to 23 Nov showed it,
# written here independently of core.store.pipeline.
OPEN_Q4 = """
with versions as (
    select amount_usd, close_date, is_closed,
           row_number() over (
               partition by opportunity_id order by snapshot_date desc, upload_id desc
           ) as version_rank
    from opportunity_versions
    where snapshot_date <= date '2026-11-23'
      and opportunity_type in ('new_business', 'expansion')
)
select sum(amount_usd) from versions
where version_rank = 1 and not is_closed
  and close_date between date '2026-11-01' and date '2027-01-31'
"""
WON_Q4 = """
select coalesce(sum(amount_usd), 0) from current_opportunities
where is_won and opportunity_type in ('new_business', 'expansion')
  and close_date between date '2026-11-01' and date '2026-11-23'
"""
TARGET_Q4 = """
select sum(target) from current_goals
where metric = 'bookings' and level <> 'campaign'
  and period_start = date '2026-11-01' and period_end = date '2027-01-31'
"""


def _page(app_for, url, **query):
    return open_page(app_for, url, "pages/pipeline.py", **query)


def test_coverage_matches_the_store(app_for, demo_store_url):
    app = _page(app_for, demo_store_url)
    assert [item.value for item in app.subheader] == [
        "Coverage",
        "What Sales needs from marketing",
        "How Q4 FY2027 pipeline moved",
        "Pipeline created by source",
        "Funnel",
        "Win rates and sales cycle by source",
        "Marketing–Sales SLA",
    ]
    open_q4 = scalar(demo_store_url, OPEN_Q4)
    won = scalar(demo_store_url, WON_Q4)
    target = scalar(demo_store_url, TARGET_Q4)
    card = metric(app, "Coverage of Q4 FY2027 bookings to go")
    assert card.value == f"{open_q4 / (target - won):.1f}x"
    assert "Pipeline coverage of the target to go (definition v1)" in card.help
    required = metric(app, "Required coverage")
    assert required.value.endswith("x") and float(required.value[:-1]) > 1
    assert any("**Q4 FY2027**" in item.value for item in app.markdown)
    # Next quarter has no bookings target in the demo: said, not divided by.
    assert metric(app, "Coverage of Q1 FY2028 bookings to go").value == "n/a"
    assert any("no bookings target is set for Q1 FY2028" in item.value for item in app.caption)


def test_the_funnel_the_win_rates_and_the_sla_are_shown(app_for, demo_store_url):
    app = _page(app_for, demo_store_url)
    by_source = app.dataframe[0].value
    assert "MQL → SQL" in by_source.columns and "Paid search" in set(by_source["Source"])
    by_cohort = app.dataframe[1].value
    assert len(by_cohort) == 12
    # The youngest cohorts have not had time to be won: flagged, not read as a collapse.
    assert "maturing" in by_cohort["Opportunity → Won"].iloc[-1]
    rates = app.dataframe[2].value
    assert rates["Win rate (amount)"].str.endswith("%").all()
    within = metric(app, "MQLs worked within 48 hours")
    assert within.value.endswith("%")
    assert "Marketing-Sales SLA (definition v1)" in within.help
    # On 23 Nov no month of Q4 is old enough to judge acceptance or recycling: not stated,
    # said why, and November flagged in the months table (not read as a drop in recycling).
    recycled = metric(app, "MQLs recycled to marketing")
    assert (recycled.value, recycled.delta) == ("n/a", "November 2026: too young to judge")
    assert any(
        item.value.startswith(
            "November 2026 left out of acceptance and recycling: too young to judge"
        )
        for item in app.caption
    )
    months = next(t.value for t in app.table if "Recycled" in t.value.columns)
    assert "too young" in months["Recycled"].iloc[-1]  # markdown-escaped "(too young)"
    assert not months["Recycled"].iloc[:-1].str.contains("too young").any()


# Recycled share of the MQLs of August and September 2026, written here independently.
RECYCLED_AUG_SEP = """
with mqls as (
    select least(mql_at, sql_at, opportunity_at, customer_at) as mql_at, lead_status
    from current_leads
)
select avg(case when lead_status = 'Recycled' then 1.0 else 0.0 end) from mqls
where mql_at >= timestamp '2026-08-01' and mql_at < timestamp '2026-10-01'
"""


def test_the_sla_headline_leaves_out_months_too_young_to_judge(app_for, demo_store_url):
    app = _page(app_for, demo_store_url, period="Q3 FY2027", as_of="2026-10-20")
    # On 20 Oct October's MQLs have not had the days most take to become SQLs: the recycled
    # share is August's and September's only.
    recycled = metric(app, "MQLs recycled to marketing")
    assert recycled.value == f"{scalar(demo_store_url, RECYCLED_AUG_SEP):.0%}"
    assert recycled.delta.endswith("MQLs to 30 Sep 2026")
    assert any(
        item.value.startswith("October 2026 left out of acceptance and recycling")
        for item in app.caption
    )


def test_choosing_another_quarter_moves_every_section(app_for, demo_store_url):
    app = _page(app_for, demo_store_url)
    app.sidebar.selectbox(key="period").select("Q3 FY2027").run()
    assert_no_errors(app)
    assert "How Q3 FY2027 pipeline moved" in [item.value for item in app.subheader]
    assert metric(app, "Coverage of Q3 FY2027 bookings to go")
    assert metric(app, "Coverage of Q4 FY2027 bookings to go")


def test_a_store_without_leads_or_early_exports_says_why(app_for, tmp_path):
    engine = new_store(tmp_path / "store.duckdb")
    load(
        engine,
        "opportunities",
        [opportunity("A", 100.0, "2026-11-02", "2026-12-20")],
        date(2026, 11, 23),
    )
    engine.dispose()
    app = _page(app_for, url_of(engine))
    infos = " ".join(item.value for item in app.info)
    assert "needs one from before the period began" in infos
    assert "no first-worked times" in infos
    # No fiscal year set: calendar quarters, so 23 Nov 2026 is in Q4 FY2026.
    assert metric(app, "Coverage of Q4 FY2026 bookings to go").value == "n/a"


def test_an_empty_store_says_so(app_for, tmp_path):
    url = fresh_store_url(tmp_path / "empty.duckdb")
    engine = create_store_engine(url)
    migrate(engine)
    engine.dispose()
    app = _page(app_for, url)
    assert any("The store holds no data yet" in item.value for item in app.info)
