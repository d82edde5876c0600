"""Campaign totals and attribution inputs on a small hand-built store; reconciliation on the
demo company under every model."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.campaigns import ATTRIBUTION_MODELS, NO_TOUCH, attribute, reconciles
from core.definitions import DEFAULT_DEFINITIONS
from core.store import campaigns
from core.store.engine import create_store_engine
from core.store.metrics import metric_value
from tests.conftest import DEMO_AS_OF, copy_store
from tests.core.store.helpers import load, new_store, opportunity

FIRST, LAST = date(2026, 8, 1), date(2026, 10, 31)
WON = {"is_closed": True, "is_won": True, "stage": "Closed Won"}
LOST = {"is_closed": True, "is_won": False, "stage": "Closed Lost"}


def touch(touch_id, when, account, campaign, channel="webinars"):
    return {"touch_id": touch_id, "touched_at": datetime.fromisoformat(when),
            "account_id": account, "campaign_id": campaign, "channel": channel,
            "touch_type": "attended"}  # fmt: skip


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = new_store(tmp_path_factory.mktemp("campaigns") / "store.duckdb")
    snapshot = date(2026, 11, 23)
    load(
        engine,
        "campaigns",
        [
            {"campaign_id": "W", "campaign_name": "Webinar series", "channel": "webinars"},
            {"campaign_id": "E", "campaign_name": "Field event", "channel": "events"},
            {"campaign_id": "OLD", "campaign_name": "Last year's push", "channel": "events"},
        ],
        snapshot,
    )
    load(
        engine,
        "spend",
        [
            {"spend_date": date(2026, 8, 10), "campaign_id": "W", "source": "t",
             "channel": "webinars", "amount_usd": 1000.0},
            {"spend_date": date(2026, 11, 2), "campaign_id": "W", "source": "t",
             "channel": "webinars", "amount_usd": 999.0},  # after the window
            {"spend_date": date(2026, 9, 1), "campaign_id": "E", "source": "t",
             "channel": "events", "amount_usd": 500.0},
        ],
        snapshot,
    )  # fmt: skip
    load(
        engine,
        "opportunities",
        [
            # Created Aug 20; its account was touched by W (Aug 1) and E (on the day, Aug 20).
            opportunity("A", 100.0, "2026-08-20", "2026-10-10", account_id="X", campaign_id="W",
                        **WON),
            # Created Sep 15, touched by W on Sep 16 (after creation): nothing before it.
            opportunity("B", 300.0, "2026-09-15", "2026-12-01", account_id="Y"),
            # Created before the window, won in it: bookings, not pipeline; W touched it
            # 100 days before creation (outside the 90-day window).
            opportunity("C", 50.0, "2026-07-01", "2026-09-30", account_id="Z", campaign_id="E",
                        **WON),
            opportunity("D", 70.0, "2026-08-05", "2026-09-05", account_id="V", campaign_id="E",
                        **LOST),
        ],
        snapshot,
    )  # fmt: skip
    load(
        engine,
        "touches",
        [
            touch("T1", "2026-08-01 09:00", "X", "W"),
            touch("T2", "2026-08-20 15:00", "X", "E", "events"),
            touch("T3", "2026-09-16 09:00", "Y", "W"),
            touch("T4", "2026-03-23 09:00", "Z", "W"),
            touch("T5", "2026-08-04 09:00", "V", "E", "events"),
        ],
        snapshot,
    )
    load(
        engine,
        "leads",
        [
            {"lead_id": "L1", "created_at": datetime(2026, 7, 20), "account_id": "X",
             "mql_at": datetime(2026, 8, 2), "sql_at": datetime(2026, 8, 9),
             "source_campaign_id": "W"},
            {"lead_id": "L2", "created_at": datetime(2026, 8, 3), "account_id": "Y",
             "mql_at": datetime(2026, 8, 10), "source_campaign_id": "W"},
            # An MQL from before the window that became an SQL in it.
            {"lead_id": "L3", "created_at": datetime(2026, 6, 1), "account_id": "Q",
             "mql_at": datetime(2026, 7, 1), "sql_at": datetime(2026, 8, 15),
             "source_campaign_id": "E"},
        ],
        snapshot,
    )  # fmt: skip
    return engine


def test_campaign_totals_by_hand(engine):
    totals = campaigns.campaign_totals(engine, DEFAULT_DEFINITIONS, FIRST, LAST)
    rows = totals.set_index("campaign_id")
    assert set(rows.index) == {"W", "E", "OLD"}
    web, event = rows.loc["W"], rows.loc["E"]
    assert (web["spend_usd"], event["spend_usd"]) == (1000.0, 500.0)  # November is outside
    assert (web["touches"], event["touches"]) == (2, 2)  # T1, T3; T2, T5 (T4 was in March)
    assert (web["leads"], web["mqls"], web["sqls"], web["mqls_to_sql"]) == (1, 2, 1, 1)
    # E's SQL came from a July MQL: an SQL of the window, not a conversion of its MQLs.
    assert (event["mqls"], event["sqls"], event["mqls_to_sql"]) == (0, 1, 0)
    assert (event["won"], event["closed"]) == (1, 2)  # C won, D lost, both primary E
    assert rows.loc["OLD", "spend_usd"] == 0 and rows.loc["OLD", "touches"] == 0


def test_attribution_inputs_keep_the_window_and_the_creation_day(engine):
    inputs = campaigns.attribution_inputs(engine, DEFAULT_DEFINITIONS, FIRST, LAST)
    deals = inputs.opportunities.set_index("opportunity_id")
    # Pipeline: created in the window (A, B, D); bookings: won in it (A, C).
    assert deals["amount_usd"].to_dict() == {"A": 100.0, "B": 300.0, "C": 0.0, "D": 70.0}
    assert deals["won_usd"].to_dict() == {"A": 100.0, "B": 0.0, "C": 50.0, "D": 0.0}
    assert deals.loc["A", "lead_created_at"] == datetime(2026, 7, 20)
    matched = inputs.touches.groupby("opportunity_id")["touch_id"].apply(list).to_dict()
    # T2 on A's creation day counts; T3 after B's creation and T4 100 days before C's do not.
    assert matched == {"A": ["T1", "T2"], "D": ["T5"]}
    assert inputs.window_days == 90


@pytest.mark.parametrize("model", ATTRIBUTION_MODELS)
def test_credit_reconciles_with_the_registry_on_the_small_store(engine, model):
    inputs = campaigns.attribution_inputs(engine, DEFAULT_DEFINITIONS, FIRST, LAST)
    credits = attribute(inputs.opportunities, inputs.touches, model)
    assert reconciles(credits, inputs.opportunities)
    assert credits["pipeline_usd"].sum() == pytest.approx(
        metric_value(engine, DEFAULT_DEFINITIONS["pipeline_created"], FIRST, LAST)
    )
    assert credits["bookings_usd"].sum() == pytest.approx(
        metric_value(engine, DEFAULT_DEFINITIONS["bookings"], FIRST, LAST)
    )
    # B and C had no touch in their windows: their whole amount is said, not dropped.
    untouched = credits[credits["campaign_id"] == NO_TOUCH]
    assert set(untouched["opportunity_id"]) == {"B", "C"}


def test_first_and_last_touch_on_the_small_store(engine):
    rows = campaigns.campaign_rows_for(
        engine, DEFAULT_DEFINITIONS, FIRST, LAST, ["first_touch", "last_touch"]
    )
    first = rows["first_touch"].campaigns.set_index("campaign_id")
    last = rows["last_touch"].campaigns.set_index("campaign_id")
    # A (100, won): first touch W (Aug 1), last touch E (Aug 20). D (70): only E.
    assert first.loc["W", "pipeline_usd"] == 100.0 and first.loc["W", "bookings_usd"] == 100.0
    assert first.loc["E", "pipeline_usd"] == 70.0
    assert last.loc["E", "pipeline_usd"] == 170.0 and last.loc["W", "pipeline_usd"] == 0.0
    channels = rows["last_touch"].channels.set_index("channel")
    assert channels.loc["events", "pipeline_usd"] == 170.0
    assert channels.loc["events", "spend_usd"] == 500.0


def test_drill_down_details(engine):
    details = campaigns.opportunity_details(engine, ["A", "D"])
    assert details["opportunity_id"].tolist() == ["A", "D"]  # largest first
    assert campaigns.opportunity_details(engine, []).empty


@pytest.fixture(scope="module")
def demo(demo_template, tmp_path_factory):
    url = copy_store(demo_template, tmp_path_factory.mktemp("demo-campaigns"))
    engine = create_store_engine(url)
    yield engine
    engine.dispose()


def test_attribution_reconciles_with_the_crm_on_the_demo_under_every_model(demo):
    first, last = date(2026, 5, 1), DEMO_AS_OF
    pipeline = metric_value(demo, DEFAULT_DEFINITIONS["pipeline_created"], first, last)
    bookings = metric_value(demo, DEFAULT_DEFINITIONS["bookings"], first, last)
    rows = campaigns.campaign_rows_for(demo, DEFAULT_DEFINITIONS, first, last, ATTRIBUTION_MODELS)
    rankings = set()
    for model, found in rows.items():
        for frame in (found.credits, found.campaigns, found.channels):
            assert frame["pipeline_usd"].sum() == pytest.approx(pipeline), model
            assert frame["bookings_usd"].sum() == pytest.approx(bookings), model
        per_deal = found.credits.groupby("opportunity_id")["credit"].sum()
        assert (per_deal - 1).abs().max() < 1e-9, model
        order = found.channels.sort_values("pipeline_usd", ascending=False)["channel"]
        rankings.add(tuple(order))
    assert len(rankings) > 1  # the models really differ
