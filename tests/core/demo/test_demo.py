"""The demo company: deterministic files, believable invariants, vendor-shaped exports.

The session's demo store (tests/conftest.py) is generated through the CLI at scale 0.1 with a
fixed seed and as-of date; these tests read it and the exports it was loaded from.
"""

import json
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.demo import DemoOptions, generate_demo
from core.demo.profile import CHANNELS, scaled
from core.demo.simulate import hill
from core.revenue import arr_bridge, bridge_imbalance
from tests.conftest import DEMO_AS_OF, DEMO_SCALE, DEMO_SEED


@pytest.fixture(scope="module")
def store(demo_template, tmp_path_factory):
    """Read-only connection to a private copy of the demo store."""
    path = tmp_path_factory.mktemp("demo-read") / "store.duckdb"
    path.write_bytes(demo_template.store_path.read_bytes())
    connection = duckdb.connect(str(path), read_only=True)
    yield connection
    connection.close()


def frame(store, sql: str) -> pd.DataFrame:
    return store.execute(sql).df()


@pytest.mark.slow
def test_same_seed_same_files_byte_for_byte(demo_template, tmp_path):
    options = DemoOptions(as_of=DEMO_AS_OF, seed=DEMO_SEED, scale=float(DEMO_SCALE))
    generate_demo(options, tmp_path / "again")  # files only, no store
    first = sorted(
        path.relative_to(demo_template.exports)
        for path in demo_template.exports.rglob("*")
        if path.is_file()
    )
    second = sorted(
        path.relative_to(tmp_path / "again")
        for path in (tmp_path / "again").rglob("*")
        if path.is_file()
    )
    assert first == second
    assert len(first) > 200
    for relative in first:
        assert (demo_template.exports / relative).read_bytes() == (
            tmp_path / "again" / relative
        ).read_bytes(), relative


def test_another_seed_gives_other_numbers(tmp_path):
    options = DemoOptions(as_of=DEMO_AS_OF, seed=DEMO_SEED + 1, scale=0.05)
    summary = generate_demo(options, tmp_path / "other")
    contacts = next((tmp_path / "other" / "marketing").glob("hubspot_contacts_*.csv"))
    assert summary.rows_by_kind()["leads"] == sum(1 for _ in contacts.open(encoding="utf-8")) - 1


def test_history_spans_three_fiscal_years_and_ends_on_the_as_of_date(store):
    spans = frame(
        store,
        """
        select (select min(spend_date) from current_spend) as first_spend,
               (select max(spend_date) from current_spend) as last_spend,
               (select max(created_date) from current_opportunities) as last_created,
               (select max(created_at) from current_leads) as last_lead,
               (select max(touched_at) from current_touches) as last_touch,
               (select max(snapshot_date) from uploads) as last_snapshot,
               (select max(month) from current_revenue) as last_month,
               (select max(submitted_on) from current_forecasts) as last_forecast
        """,
    ).iloc[0]
    assert spans["first_spend"].date() == date(2023, 2, 1)  # first day of FY2024
    assert spans["last_spend"].date() == DEMO_AS_OF
    for column in ("last_created", "last_snapshot", "last_forecast"):
        assert spans[column].date() <= DEMO_AS_OF
    assert spans["last_lead"] < pd.Timestamp(DEMO_AS_OF) + pd.Timedelta(days=1)
    assert spans["last_touch"] < pd.Timestamp(DEMO_AS_OF) + pd.Timedelta(days=1)
    assert spans["last_month"].date() == date(2026, 11, 1)


def test_volumes_match_the_scale(store):
    counts = frame(
        store,
        """
        select (select count(*) from current_leads) as leads,
               (select count(*) from current_opportunities) as opportunities,
               (select count(*) from opportunities) as opportunity_versions,
               (select count(distinct channel) from current_spend) as channels
        """,
    ).iloc[0]
    # Scale 1 is about 50k leads and 5k-7k opportunities; scale 0.1 a tenth of that.
    assert 3_500 <= counts["leads"] <= 7_000
    assert 450 <= counts["opportunities"] <= 1_000
    assert counts["opportunity_versions"] > 5 * counts["opportunities"]  # weekly versions
    assert counts["channels"] == 8


def test_arr_bridge_balances_every_month(store):
    arr = frame(store, "select account_id, month, arr_usd from current_revenue")
    bridge = arr_bridge(arr)
    assert len(bridge) >= 44
    assert bridge_imbalance(bridge).abs().max() < 0.01
    for component in (
        "new_usd",
        "expansion_usd",
        "contraction_usd",
        "churn_usd",
        "reactivation_usd",
    ):
        assert bridge[component].sum() > 0, f"the demo never shows {component}"


def test_won_new_business_becomes_arr_the_month_after_closing(store):
    missing = frame(
        store,
        """
        with won as (
            select account_id, date_trunc('month', close_date) + interval 1 month as first_month
            from current_opportunities
            where opportunity_type = 'new_business' and is_won and close_date >= date '2023-02-01'
              and close_date < date '2026-10-01'
        )
        select count(*) as missing
        from won
        where not exists (
            select 1 from current_revenue as revenue
            where revenue.account_id = won.account_id and revenue.month = won.first_month
              and revenue.arr_usd > 0
        )
        """,
    ).iloc[0]["missing"]
    assert missing == 0


def test_opportunities_close_after_they_open(store):
    bad = frame(
        store,
        """
        select
            count(*) filter (where close_date < created_date) as closes_before_created,
            count(*) filter (where is_won and not is_closed) as won_but_open,
            count(*) filter (where is_closed and stage not in ('Closed Won', 'Closed Lost'))
                as closed_in_open_stage,
            count(*) filter (where amount_usd <= 0) as not_positive
        from opportunities
        """,
    ).iloc[0]
    assert bad.tolist() == [0, 0, 0, 0]


def test_funnel_stages_happen_in_order(store):
    bad = frame(
        store,
        """
        select
            count(*) filter (where mql_at < created_at) as mql_before_created,
            count(*) filter (where sql_at < mql_at) as sql_before_mql,
            count(*) filter (where opportunity_at < sql_at) as opportunity_before_sql,
            count(*) filter (where customer_at < opportunity_at) as customer_before_opportunity,
            count(*) filter (where sql_at is not null and mql_at is null) as sql_without_mql,
            count(*) filter (where first_worked_at < mql_at) as worked_before_mql
        from current_leads
        """,
    ).iloc[0]
    assert bad.tolist() == [0, 0, 0, 0, 0, 0]


def test_forecasts_are_submitted_before_period_end_and_ordered_by_category(store):
    forecasts = frame(store, "select * from current_forecasts")
    assert (forecasts["submitted_on"] <= forecasts["period_end"]).all()
    wide = forecasts.pivot_table(
        index=["submitted_on", "period_label", "metric", "forecaster"],
        columns="category",
        values="value",
    )
    assert (
        (wide["commit"] <= wide["most_likely"]) & (wide["most_likely"] <= wide["best_case"])
    ).all()
    assert set(forecasts["metric"]) == {"bookings", "pipeline_created", "mqls"}
    assert forecasts["forecaster"].nunique() == 3


def test_forecasts_are_optimistic_early_and_converge(store):
    errors = frame(
        store,
        """
        with actual_bookings as (
            select period_label, sum(amount_usd) as actual
            from current_forecasts as forecast
            join current_opportunities as opportunity
              on opportunity.close_date between forecast.period_start and forecast.period_end
            where forecast.metric = 'bookings' and opportunity.is_won
              and opportunity.opportunity_type in ('new_business', 'expansion')
              and forecast.forecast_id in (select min(forecast_id) from current_forecasts group by period_label)
            group by period_label
        ),
        scored as (
            select forecast.period_end - forecast.submitted_on as days_left,
                   (forecast.value - actual.actual) / actual.actual as error
            from current_forecasts as forecast
            join actual_bookings as actual using (period_label)
            where forecast.metric = 'bookings' and forecast.category = 'most_likely'
              and forecast.forecaster = 'Dana Whitfield' and forecast.period_end < date '2026-11-01'
        )
        select avg(error) filter (where days_left > 70) as early_bias,
               avg(error) filter (where days_left < 21) as late_bias
        from scored
        """,
    ).iloc[0]
    assert errors["early_bias"] > 0.05  # optimistic far from the period's end
    assert abs(errors["late_bias"]) < errors["early_bias"]


def test_references_resolve(store):
    dangling = frame(
        store,
        """
        select
            (select count(*) from current_spend where campaign_id not in
                (select campaign_id from current_campaigns)) as spend,
            (select count(*) from current_opportunities where campaign_id is not null
                and campaign_id not in (select campaign_id from current_campaigns)) as opportunities,
            (select count(*) from current_leads where source_campaign_id is not null
                and source_campaign_id not in (select campaign_id from current_campaigns)) as leads,
            (select count(*) from current_touches where campaign_id is not null
                and campaign_id not in (select campaign_id from current_campaigns)) as touches,
            (select count(*) from current_goals where parent_goal_id is not null
                and parent_goal_id not in (select goal_id from current_goals)) as goals
        """,
    ).iloc[0]
    assert dangling.tolist() == [0, 0, 0, 0, 0]


def test_goal_tree_runs_from_vision_to_campaigns(store):
    goals = frame(store, "select * from current_goals")
    levels = goals.set_index("goal_id")["level"]
    parent_level = goals["parent_goal_id"].map(levels)
    allowed = {
        "annual": {"vision", "annual"},
        "quarterly": {"annual"},
        "campaign": {"quarterly"},
    }
    for level, parents in allowed.items():
        assert set(parent_level[goals["level"] == level]) <= parents, level
    assert (goals["level"] == "vision").sum() == 1
    assert {"arr", "new_arr", "sourced_pipeline", "mqls", "cac", "bookings"} <= set(goals["metric"])
    assert (goals.loc[goals["metric"] == "cac", "direction"] == "lower").all()
    assert goals.loc[goals["level"] == "campaign", "campaign_id"].notna().all()


def test_ground_truth_describes_each_channel_curve(demo_template):
    truth = json.loads((demo_template.exports / "ground_truth.json").read_text())
    assert len(truth["channels"]) == 8
    assert truth["past_saturation"] and truth["room_to_grow"]
    assert truth["seed"] == DEMO_SEED and truth["as_of"] == DEMO_AS_OF.isoformat()
    for channel in CHANNELS:
        entry = truth["channels"][channel.channel]
        expected = scaled(channel, float(DEMO_SCALE))
        # At typical spend, the curve gives the typical pipeline: beta * hill(steady adstock).
        steady = entry["typical_weekly_spend_usd"] / (1 - entry["theta"])
        response = (
            entry["beta_usd"]
            * hill(pd.Series([steady]).to_numpy(), entry["half_saturation_usd"], entry["hill_k"])[0]
        )
        assert response == pytest.approx(expected.typical_weekly_pipeline_usd, rel=1e-3)
    saturated = truth["channels"][truth["past_saturation"][0]]["saturation_at_typical_spend"]
    growing = truth["channels"][truth["room_to_grow"][0]]["saturation_at_typical_spend"]
    assert saturated > 0.75 > 0.35 > growing


# ------------------------------------------------------------------------------------------
# Vendor shapes: the files look like what users download, and say what the store holds.
# ------------------------------------------------------------------------------------------
def lines(path: Path, encoding: str = "utf-8") -> list[str]:
    return path.read_text(encoding=encoding).splitlines()


def test_google_ads_reports_have_title_lines_and_total_rows(demo_template):
    plain = lines(
        next((demo_template.exports / "ads").glob("google_ads_campaign_report_FY2027.csv"))
    )
    assert plain[0] == "Campaign report"
    assert plain[1] == "February 1, 2026 - November 23, 2026"
    assert plain[2] == "Day,Campaign,Campaign type,Currency code,Cost,Impr.,Clicks,Conversions"
    assert plain[-2].startswith("Total: Account,") and plain[-1].startswith("Total: Search,")
    assert any('"' in line and "," in line.split('"')[1] for line in plain[3:-2]), (
        "no quoted thousands"
    )
    excel = next((demo_template.exports / "ads").glob("*_excel.csv"))
    raw = excel.read_bytes()
    assert raw[:2] == b"\xff\xfe"  # UTF-16 little-endian byte-order mark
    text = lines(excel, "utf-16")
    assert text[2].split("\t")[:2] == ["Day", "Campaign"]
    assert b"\r\n".decode() in raw.decode("utf-16")


def test_linkedin_meta_and_finance_shapes(demo_template):
    linkedin = lines(demo_template.exports / "ads" / "linkedin_campaign_performance_FY2027.csv")
    assert linkedin[0].startswith("Campaign Performance Report")
    assert linkedin[1].startswith("Report Start: 2/1/2026")
    assert linkedin[5].startswith("Start Date (in UTC),Account Name,Currency,Campaign Group Name")
    meta = lines(demo_template.exports / "ads" / "meta_ads_report_FY2027.csv")
    assert (
        meta[0]
        == "Reporting starts,Reporting ends,Campaign name,Day,Amount spent (USD),Impressions,Reach,Link clicks,Results"
    )
    finance = lines(demo_template.exports / "finance" / "marketing_spend_FY2027.csv")
    assert finance[0] == "date,campaign_id,campaign_name,channel,amount,currency"


def test_salesforce_and_hubspot_shapes(demo_template):
    snapshot = sorted((demo_template.exports / "crm" / "opportunities").glob("*.csv"))[-1]
    header = lines(snapshot)[0]
    assert header.startswith(
        '"ID","ACCOUNTID","ACCOUNT.NAME","NAME","STAGENAME","AMOUNT","CLOSEDATE","CREATEDDATE"'
    )
    row = pd.read_csv(snapshot, dtype=str).iloc[0]
    assert row["ISCLOSED"] in ("true", "false")
    assert pd.Series(row["CREATEDDATE"]).str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z").all()
    assert len(row["ID"]) == 18 and row["ID"].startswith("006")
    contacts = pd.read_csv(
        next((demo_template.exports / "marketing").glob("hubspot_contacts_*.csv")), dtype=str
    )
    for column in (
        "Record ID",
        "Email",
        "Lifecycle Stage",
        "Create Date",
        "Became a Marketing Qualified Lead Date",
        "Became a Sales Qualified Lead Date",
        "Became an Opportunity Date",
        "Became a Customer Date",
        "Original Source",
    ):
        assert column in contacts.columns
    assert contacts["Create Date"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d").all()


def test_files_say_what_the_store_holds(demo_template, store):
    # Google Ads: the cost column (with thousands separators) adds up to the loaded spend.
    report = demo_template.exports / "ads" / "google_ads_campaign_report_FY2027.csv"
    rows = pd.read_csv(report, skiprows=2, dtype=str)
    rows = rows[~rows["Day"].str.startswith("Total")]
    cost = rows["Cost"].str.replace(",", "").astype(float).sum()
    loaded = frame(
        store,
        "select sum(amount_usd) as total from current_spend where source = 'google_ads' and spend_date >= date '2026-02-01'",
    ).iloc[0]["total"]
    assert cost == pytest.approx(loaded, abs=0.01)
    # Billing: MRR x 12 is the ARR in the store.
    billing = pd.read_csv(demo_template.exports / "finance" / "billing_mrr_by_account.csv")
    arr = frame(store, "select sum(arr_usd) as total from current_revenue").iloc[0]["total"]
    assert billing["mrr"].sum() * 12 == pytest.approx(arr, abs=1.0)
    # Salesforce: the last weekly export holds the versions loaded from it.
    snapshot = sorted((demo_template.exports / "crm" / "opportunities").glob("*.csv"))[-1]
    exported = pd.read_csv(snapshot, dtype={"AMOUNT": float})
    stored = frame(
        store,
        f"""
        select opportunity_id, amount_usd, stage from opportunities
        where upload_id = (select upload_id from uploads where file_name = '{snapshot.name}')
        """,
    )
    merged = exported.merge(stored, left_on="ID", right_on="opportunity_id")
    assert len(merged) == len(exported) == len(stored)
    assert (merged["AMOUNT"] == merged["amount_usd"]).all() and (
        merged["STAGENAME"] == merged["stage"]
    ).all()


def test_manifest_lists_every_export_with_its_snapshot_date(demo_template):
    manifest = json.loads((demo_template.exports / "manifest.json").read_text())
    paths = {entry["path"] for entry in manifest}
    on_disk = {
        str(path.relative_to(demo_template.exports))
        for path in demo_template.exports.rglob("*.csv")
    }
    assert paths == on_disk
    assert all(date.fromisoformat(entry["snapshot_date"]) <= DEMO_AS_OF for entry in manifest)


@pytest.mark.parametrize(
    ("scale", "seed", "message"), [(0, 1, "scale must be above 0"), (1, -1, "seed")]
)
def test_options_are_checked(scale, seed, message):
    with pytest.raises(ValueError, match=message):
        DemoOptions(as_of=DEMO_AS_OF, seed=seed, scale=scale)
