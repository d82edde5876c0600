"""Campaigns page: the scorecard reconciles, models switch, drill-down, downloads; the
Overview's what's working."""

from __future__ import annotations

import io

import pandas as pd

from core.store.engine import create_store_engine
from core.store.schema import migrate
from tests.pages.conftest import query_value, scalar
from tests.pages.helpers import open_page
from tests.pages.test_app import assert_no_errors
from tests.stores import fresh_store_url

PIPELINE_Q4 = """
select sum(amount_usd) from current_opportunities
where opportunity_type = 'new_business'
  and created_date between date '2026-11-01' and date '2026-11-23'
"""


def _page(app_for, url, **query):
    return open_page(app_for, url, "pages/campaigns.py", **query)


def _scorecard(app):
    return next(frame.value for frame in app.dataframe if "Pipeline per $" in frame.value.columns)


def test_the_scorecard_reconciles_with_the_crm(app_for, demo_store_url):
    app = _page(app_for, demo_store_url)
    assert [item.value for item in app.subheader] == [
        "What's working, and what isn't",
        "Scorecard",
        "Credited or incremental?",
        "Drill down",
    ]
    card = _scorecard(app)
    assert "Channel" in card.columns and "(no campaign touch)" in set(card["Channel"])
    expected = scalar(demo_store_url, PIPELINE_Q4)
    assert abs(card["Pipeline"].sum() - expected) < 0.01
    caption = " ".join(item.value for item in app.caption)
    assert "W-shaped" in caption and "equal the CRM" in caption
    assert app.query_params["model"] in ("w_shaped", ["w_shaped"])


def test_credited_beside_incremental_per_paid_channel(app_for, demo_store_url):
    app = _page(app_for, demo_store_url)
    table = next(t.value for t in app.table if "Curve" in t.value.columns)
    card = _scorecard(app).set_index("Channel")
    assert len(table) == 8  # one row per paid channel with a response curve
    for row in table.to_dict(orient="records"):
        name = row["Channel"].replace("\\", "")
        credited = row["Credited pipeline per $ (attribution)"].replace("\\", "")
        assert credited == f"${card.loc[name, 'Pipeline per $']:.2f}", name
        assert row["Incremental pipeline per extra $ (response curve)"].replace("\\", "")[0] == "$"


def test_switching_models_moves_credit_but_not_the_total(app_for, demo_store_url):
    app = _page(app_for, demo_store_url)
    before = _scorecard(app).set_index("Channel")["Pipeline"]
    app.selectbox(key="campaigns_model").select("first_touch").run()
    assert_no_errors(app)
    after = _scorecard(app).set_index("Channel")["Pipeline"]
    assert abs(after.sum() - before.sum()) < 0.01
    assert not after.equals(before)
    assert app.query_params["model"] in ("first_touch", ["first_touch"])


def test_campaign_level_drill_down_and_downloads(app_for, demo_store_url):
    app = _page(app_for, demo_store_url, level="campaign")
    card = _scorecard(app)
    assert "Campaign" in card.columns and len(card) > 10
    # Downloads are safe CSV: nothing a spreadsheet would run.
    download = app.get("download_button")[0]
    assert download.proto.label == "Download the scorecard (CSV)"
    # Drill down: a channel, then a campaign credited with deals, then those deals.
    paid = {"Paid search", "Paid social", "LinkedIn", "Events", "Webinars", "Content & SEO",
            "Partners", "Outbound"}  # fmt: skip
    credited = card[(card["Pipeline"] > 0) & card["Channel"].isin(paid)]
    campaign_name, channel = credited.iloc[0]["Campaign"], credited.iloc[0]["Channel"]
    channel_key = {"Paid search": "paid_search", "Paid social": "paid_social",
                   "LinkedIn": "linkedin", "Events": "events", "Webinars": "webinars",
                   "Content & SEO": "content_seo", "Partners": "partners",
                   "Outbound": "outbound"}[channel]  # fmt: skip
    app.selectbox(key="campaigns_channel").select(channel_key).run()
    assert_no_errors(app)
    assert campaign_name in app.selectbox(key="campaigns_campaign").options
    escaped = campaign_name.replace("'", "''")
    campaign_id = query_value(
        demo_store_url,
        f"select campaign_id from current_campaigns where campaign_name = '{escaped}'",
    )
    app.session_state["campaigns_campaign"] = campaign_id
    app.run()
    assert_no_errors(app)
    deals = app.dataframe[-1].value
    assert list(deals.columns[:4]) == ["Opportunity", "Account", "Type", "Stage"]
    assert (deals["Credit"] > 0).all() and (deals["Credit"] <= 1).all()
    assert abs(deals["Credited pipeline"].sum() - credited.iloc[0]["Pipeline"]) < 0.01
    labels = [button.proto.label for button in app.get("download_button")]
    assert "Download these opportunities (CSV)" in labels


def test_a_bad_model_in_the_link_is_named(app_for, demo_store_url):
    app = _page(app_for, demo_store_url, model="guesswork")
    assert any("guesswork" in item.value for item in app.warning)
    assert app.selectbox(key="campaigns_model").value == "w_shaped"


def test_the_overview_says_what_is_working_or_that_it_is_too_early(app_for, demo_store_url):
    app = app_for(demo_store_url).run()
    assert_no_errors(app)
    assert "What's working, and what isn't" in [item.value for item in app.subheader]
    # The test demo (scale 0.1) has a few dozen deals a quarter: no channel reaches the five
    # credited opportunities needed to rank, and the Overview says so rather than rank noise.
    assert any("Nothing has enough data in Q4 FY2027" in item.value for item in app.caption)


def test_an_empty_store_says_so(app_for, tmp_path):
    url = fresh_store_url(tmp_path / "empty.duckdb")
    engine = create_store_engine(url)
    migrate(engine)
    engine.dispose()
    app = _page(app_for, url)
    assert any("The store holds no data yet" in item.value for item in app.info)


def test_safe_csv_of_a_scorecard_neutralises_formulas():
    from core.safe_export import safe_csv

    frame = pd.DataFrame({"name": ['=HYPERLINK("http://x")', "Webinars"], "spend_usd": [-5.0, 1.0]})
    text = safe_csv(frame).decode("utf-8-sig")
    read = pd.read_csv(io.StringIO(text))
    assert read["name"].iloc[0].startswith("'=")
    assert read["spend_usd"].iloc[0] == -5.0
