"""Every lead is in its channel's row, whether or not a campaign sourced it, and a cost ratio
with no spend recorded is n/a, not $0 (issue 26, finding 7). Hand-built store; expectations
computed from the rows below."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest

from core.campaigns import NO_TOUCH, scorecard
from core.definitions import DEFAULT_DEFINITIONS
from core.store import campaigns
from tests.core.store.helpers import load, new_store, opportunity

FIRST, LAST = date(2026, 8, 1), date(2026, 10, 31)


def _lead(key: str, mql: datetime | None, campaign: str | None, channel: str | None) -> dict:
    return {"lead_id": key, "created_at": datetime(2026, 7, 1), "mql_at": mql,
            "source_campaign_id": campaign, "source_channel": channel}  # fmt: skip


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = new_store(tmp_path_factory.mktemp("sources") / "store.duckdb")
    snapshot = date(2026, 11, 23)
    load(
        engine,
        "campaigns",
        [{"campaign_id": "W", "campaign_name": "Webinar series", "channel": "webinars"}],
        snapshot,
    )
    rows = [{"spend_date": date(2026, 8, 10), "campaign_id": "W", "source": "t",
             "channel": "webinars", "amount_usd": 1000.0}]  # fmt: skip
    load(engine, "spend", rows, snapshot)
    load(
        engine,
        "leads",
        [
            _lead("L1", datetime(2026, 8, 2), "W", "webinars"),
            _lead("L2", datetime(2026, 8, 5), None, "direct"),  # no campaign: still direct
            _lead("L3", datetime(2026, 9, 9), None, "direct"),
            _lead("L4", datetime(2026, 9, 10), "GONE", "events"),  # a campaign nobody loaded
            _lead("L5", datetime(2026, 6, 1), None, "direct"),  # an MQL before the window
            _lead("L6", None, None, None),  # no source at all, not an MQL
        ],
        snapshot,
    )
    # A won new-business deal nothing touched: credited to "(no campaign touch)".
    won = {"is_closed": True, "is_won": True, "stage": "Closed Won"}
    load(
        engine, "opportunities", [opportunity("A", 500.0, "2026-08-20", "2026-09-30", **won)],
        snapshot,
    )  # fmt: skip
    yield engine
    engine.dispose()


def test_every_mql_of_the_window_is_in_a_channel_row(engine):
    rows = campaigns.campaign_rows_for(engine, DEFAULT_DEFINITIONS, FIRST, LAST, ["last_touch"])
    channels = rows["last_touch"].channels.set_index("name")
    assert int(channels["mqls"].sum()) == 4  # L1-L4; L5 became an MQL in June
    assert int(channels.loc["direct", "mqls"]) == 2
    assert int(channels.loc["events", "mqls"]) == 1
    assert int(channels.loc["webinars", "mqls"]) == 1
    by_campaign = rows["last_touch"].campaigns.set_index("campaign_id")
    assert int(by_campaign.loc["(no campaign: direct)", "mqls"]) == 2
    assert int(by_campaign.loc["GONE", "mqls"]) == 1


def test_a_cost_ratio_without_spend_is_not_applicable_not_zero(engine):
    rows = campaigns.campaign_rows_for(engine, DEFAULT_DEFINITIONS, FIRST, LAST, ["last_touch"])
    card = scorecard(rows["last_touch"].channels, min_opportunities=0, min_spend_usd=0).set_index(
        "name"
    )
    untouched = card.loc[NO_TOUCH]
    assert untouched["new_customers"] == 1.0 and untouched["spend_usd"] == 0.0
    for ratio in ("cac", "payback_months", "cost_per_opportunity"):
        assert math.isnan(untouched[ratio]), ratio  # was $0 and 0 months
    assert math.isnan(card.loc["direct", "cost_per_mql"])
    assert card.loc["webinars", "cost_per_mql"] == 1000.0  # one MQL, $1,000 spent
