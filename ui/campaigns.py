"""The Campaigns page's cached reads and the tables it shows.

Attribution and the scorecard are computed once per store URL, data version, quarter, as-of
day and model; switching models or drilling down reruns only cached functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import streamlit as st

from core.calendar import FiscalCalendar
from core.campaigns import (
    ATTRIBUTION_MODELS,
    active,
    model_rankings,
    scorecard,
    with_trend,
    working_and_not,
)
from core.channels import PAID_CHANNELS, channel_label
from core.definitions import ATTRIBUTION_MODEL_LABELS
from core.formatting import (
    DEFAULT_CURRENCY,
    currency_symbol,
    currency_unit,
    format_metric,
    format_money,
    format_money_exact,
    money_column_format,
)
from core.goals import STATUS_LABELS
from core.store import campaigns as store_campaigns
from ui.data import CACHE, definitions_on
from ui.scenarios import prepared
from ui.store import store_engine

MODEL_KEY, LEVEL_KEY, RANK_KEY = "campaigns_model", "campaigns_level", "campaigns_rank_by"
CHANNEL_KEY, CAMPAIGN_KEY = "campaigns_channel", "campaigns_campaign"
LEVELS = {"channel": "Channels", "campaign": "Campaigns"}
TREND_COLUMNS = ("spend_usd", "pipeline_usd", "bookings_usd", "pipeline_roi")
RANK_METRICS = {
    "pipeline_roi": ("Pipeline per dollar", True),
    "bookings_roi": ("Bookings per dollar", True),
    "cost_per_opportunity": ("Cost per opportunity", False),
    "cac": ("CAC", False),
    "cost_per_mql": ("Cost per MQL", False),
    "pipeline_usd": ("Pipeline", True),
}


def rank_label(metric: str, currency: str = DEFAULT_CURRENCY) -> str:
    """How a ranking metric reads in the store's currency: ``Pipeline per euro``."""
    return RANK_METRICS[metric][0].replace("per dollar", f"per {currency_unit(currency)}")


@dataclass(frozen=True)
class CampaignView:
    """One model's scorecards for the quarter to date, with the prior quarter's for trends."""

    campaigns: pd.DataFrame
    channels: pd.DataFrame
    credits: pd.DataFrame  # per opportunity and campaign
    first_day: date
    last_day: date
    prior_first: date
    prior_last: date
    model: str
    pipeline_total: float
    bookings_total: float


@st.cache_data(**CACHE)
def _window(
    url: str, version: int, first: date, last: date, converted_by: date
) -> tuple[store_campaigns.AttributionInputs, pd.DataFrame]:
    """A window's deals, touches and campaign totals (MQL-to-SQL counting the conversions dated
    up to ``converted_by``): read once, whichever model is chosen."""
    engine, definitions = store_engine(url), definitions_on(url, version, last)
    return (
        store_campaigns.attribution_inputs(engine, definitions, first, last),
        store_campaigns.campaign_totals(engine, definitions, first, last, converted_by),
    )


def _rows(
    url: str, version: int, first: date, last: date, model: str, converted_by: date
) -> store_campaigns.CampaignRows:
    return store_campaigns.rows_under(*_window(url, version, first, last, converted_by), model)


@st.cache_data(**CACHE)
def campaign_view(
    url: str,
    version: int,
    calendar: FiscalCalendar,
    period_label: str,
    as_of: date,
    model: str,
    currency: str = DEFAULT_CURRENCY,
) -> CampaignView:
    """Scorecards of campaigns and channels for the quarter to date under ``model`` (the
    evidence text in ``currency``, the store's)."""
    period = calendar.parse(period_label)
    last = min(as_of, period.end)
    prior = calendar.shift(period, -1)
    prior_last = calendar.comparable_as_of(period, last, prior)
    now = _rows(url, version, period.start, last, model, as_of)
    # Like for like: the quarter before to the same day, its conversions to that day.
    before = _rows(url, version, prior.start, prior_last, model, prior_last)
    # Payback uses the gross margin of the CAC payback definition in effect.
    margin = float(definitions_on(url, version, last)["payback"].parameters["gross_margin"])  # type: ignore[arg-type]

    def card(rows: pd.DataFrame) -> pd.DataFrame:
        return scorecard(rows, gross_margin=margin, currency=currency)

    campaigns = with_trend(
        card(active(now.campaigns)), card(before.campaigns), "campaign_id", TREND_COLUMNS
    )
    channels = with_trend(card(now.channels), card(before.channels), "channel", TREND_COLUMNS)
    credits = now.credits
    return CampaignView(
        campaigns=campaigns,
        channels=channels,
        credits=credits,
        first_day=period.start,
        last_day=last,
        prior_first=prior.start,
        prior_last=prior_last,
        model=model,
        pipeline_total=float(credits["pipeline_usd"].sum()),
        bookings_total=float(credits["bookings_usd"].sum()),
    )


@st.cache_data(**CACHE)
def rankings(
    url: str, version: int, calendar: FiscalCalendar, period_label: str, as_of: date, level: str
) -> pd.DataFrame:
    """Attributed pipeline and its rank under every model, per channel or campaign."""
    period = calendar.parse(period_label)
    last = min(as_of, period.end)
    by_model = {}
    for model in ATTRIBUTION_MODELS:
        found = _rows(url, version, period.start, last, model, as_of)
        by_model[model] = found.channels if level == "channel" else found.campaigns
    key = "channel" if level == "channel" else "campaign_id"
    return model_rankings(by_model, key)


@st.cache_data(**CACHE)
def incremental_roi(url: str, version: int, as_of: date, calendar: FiscalCalendar) -> pd.DataFrame:
    """Per paid channel, the budget simulator's marginal pipeline per dollar at planned spend."""
    ready = prepared(url, version, as_of, calendar)
    if ready is None:
        return pd.DataFrame(columns=["channel", "marginal_roi", "method"])
    model = ready.model
    rows = []
    for index, curve in enumerate(model.curves):
        weekly = float(model.plan[index, :13].mean())
        marginal = float(curve.marginal_roi(np.array([weekly]))[0]) if weekly > 0 else math.nan
        rows.append({"channel": curve.channel, "marginal_roi": marginal, "method": curve.method})
    return pd.DataFrame(rows)


@st.cache_data(**CACHE)
def drill_down(url: str, version: int, opportunity_ids: tuple[str, ...]) -> pd.DataFrame:
    """Details of the opportunities credited to a campaign."""
    del version
    return store_campaigns.opportunity_details(store_engine(url), list(opportunity_ids))


# -- Views -----------------------------------------------------------------------------------


def model_label(model: str) -> str:
    return ATTRIBUTION_MODEL_LABELS.get(model, model)


def name_of(row: pd.Series, level: str) -> str:
    return channel_label(str(row["channel"])) if level == "channel" else str(row["name"])


SCORECARD_COLUMNS = {
    "spend_usd": "Spend",
    "touches": "Touches",
    "leads": "Leads",
    "mqls": "MQLs",
    "sqls": "SQLs",
    "opportunities": "Opportunities (credited)",
    "pipeline_usd": "Pipeline",
    "bookings_usd": "Bookings",
    "new_arr_usd": "New ARR",
    "cost_per_mql": "Cost per MQL",
    "cost_per_opportunity": "Cost per opportunity",
    "cac": "CAC",
    "pipeline_roi": "Pipeline per $",
    "bookings_roi": "Bookings per $",
    "payback_months": "Payback (months)",
    "mql_to_sql": "MQL → SQL",
    "win_rate": "Win rate",
    "pipeline_usd_change": "Pipeline vs prior",
    "pipeline_roi_change": "Pipeline per $ vs prior",
}


def scorecard_labels(currency: str = DEFAULT_CURRENCY) -> dict[str, str]:
    """:data:`SCORECARD_COLUMNS` in the store's currency: ``Pipeline per €``."""
    per = f"per {currency_symbol(currency).strip()}"
    return {column: label.replace("per $", per) for column, label in SCORECARD_COLUMNS.items()}


def scorecard_frame(
    card: pd.DataFrame, level: str, currency: str = DEFAULT_CURRENCY
) -> pd.DataFrame:
    """The scorecard as the page's sortable table: numbers kept numeric, names readable."""
    frame = pd.DataFrame(
        {"Channel" if level == "channel" else "Campaign": card.apply(name_of, axis=1, level=level)}
    )
    if level == "campaign":
        frame["Channel"] = card["channel"].map(channel_label)
    for column, label in scorecard_labels(currency).items():
        frame[label] = card[column]
    frame["MQL → SQL 95% range"] = [
        "" if math.isnan(low) else f"{low:.0%}–{high:.0%}"
        for low, high in zip(card["mql_to_sql_low"], card["mql_to_sql_high"], strict=True)
    ]
    frame["Win rate 95% range"] = [
        "" if math.isnan(low) else f"{low:.0%}–{high:.0%}"
        for low, high in zip(card["win_rate_low"], card["win_rate_high"], strict=True)
    ]
    frame["Evidence"] = card["evidence"].where(card["too_little_data"], "")
    return frame


def column_config(currency: str = DEFAULT_CURRENCY) -> dict[str, object]:
    labels = scorecard_labels(currency)
    money = {
        label: st.column_config.NumberColumn(label, format=money_column_format(currency))
        for column, label in labels.items()
        if column.endswith("_usd") or column in ("cost_per_mql", "cost_per_opportunity", "cac")
    }
    ratios = {
        label: st.column_config.NumberColumn(label, format="%.2f")
        for column, label in labels.items()
        if column in ("pipeline_roi", "bookings_roi")
    }
    shares = {
        label: st.column_config.NumberColumn(label, format="percent")
        for column, label in labels.items()
        if column in ("mql_to_sql", "win_rate", "pipeline_usd_change", "pipeline_roi_change")
    }
    counts = {
        label: st.column_config.NumberColumn(label, format="%.1f")
        for column, label in labels.items()
        if column in ("opportunities", "payback_months")
    }
    return {**money, **ratios, **shares, **counts}


def download_frame(card: pd.DataFrame, level: str) -> pd.DataFrame:
    """The scorecard for download: raw numbers with plain column names."""
    key = ["channel"] if level == "channel" else ["campaign_id", "name", "channel"]
    columns = [*key, *SCORECARD_COLUMNS, "too_little_data", "evidence"]
    return card[[column for column in columns if column in card.columns]]


def working_view(
    rows: pd.DataFrame, metric: str, level: str, currency: str = DEFAULT_CURRENCY
) -> pd.DataFrame:
    """Top or bottom rows with the evidence behind them, as text (money in ``currency``)."""

    def money(value: float) -> str:
        return format_money(value, currency)

    return pd.DataFrame(
        {
            "Campaign" if level == "campaign" else "Channel": rows.apply(
                name_of, axis=1, level=level
            ),
            rank_label(metric, currency): [
                _metric_text(metric, value, currency) for value in rows[metric]
            ],
            "Spend": rows["spend_usd"].map(money),
            "Pipeline": rows["pipeline_usd"].map(money),
            "Opportunities": rows["opportunities"].map(lambda count: f"{count:.1f}"),
            "Bookings": rows["bookings_usd"].map(money),
        }
    )


def _metric_text(metric: str, value: float, currency: str) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if metric.endswith("_roi"):
        return format_money_exact(value, currency, 2)
    return format_money(value, currency)


def incremental_view(
    channels: pd.DataFrame, marginal: pd.DataFrame, currency: str = DEFAULT_CURRENCY
) -> pd.DataFrame:
    """Credited pipeline per dollar (attribution) beside incremental (the simulator's curve)."""
    merged = channels.merge(marginal, on="channel", how="inner")
    per = currency_symbol(currency).strip()
    return pd.DataFrame(
        {
            "Channel": merged["channel"].map(channel_label),
            f"Credited pipeline per {per} (attribution)": [
                _metric_text("pipeline_roi", value, currency) for value in merged["pipeline_roi"]
            ],
            f"Incremental pipeline per extra {per} (response curve)": [
                _metric_text("pipeline_roi", value, currency) for value in merged["marginal_roi"]
            ],
            "Curve": merged["method"].map(
                {"fitted": "fitted", "average": "average return (no trustworthy curve)"}
            ),
        }
    )


def channel_sort_key(channel: str) -> tuple[int, str]:
    """Paid channels first in the app's order, then the rest by name."""
    if channel in PAID_CHANNELS:
        return (0, f"{PAID_CHANNELS.index(channel):02d}")
    return (1, channel)


def channel_text(channel: str) -> str:
    return channel_label(channel)


def campaign_deals(credits: pd.DataFrame, campaign_id: str) -> pd.DataFrame:
    """The deals crediting a campaign: ``opportunity_id``, ``credit``, the credited amounts."""
    rows = credits[credits["campaign_id"] == campaign_id]
    return (
        rows.groupby("opportunity_id", as_index=False)[["credit", "pipeline_usd", "bookings_usd"]]
        .sum()
        .sort_values("pipeline_usd", ascending=False)
    )


def deals_view(deals: pd.DataFrame, details: pd.DataFrame) -> pd.DataFrame:
    """The credited deals with their names, stage and amounts, for the drill-down table."""
    merged = deals.merge(details, on="opportunity_id", how="left")
    return pd.DataFrame(
        {
            "Opportunity": merged["opportunity_name"].fillna(merged["opportunity_id"]),
            "Account": merged["account_id"],
            "Type": merged["opportunity_type"],
            "Stage": merged["stage"],
            "Amount": merged["amount_usd"],
            "Created": merged["created_date"],
            "Close date": merged["close_date"],
            "Credit": merged["credit"],
            "Credited pipeline": merged["pipeline_usd"],
            "Credited bookings": merged["bookings_usd"],
        }
    )


def goals_of(
    tracked: pd.DataFrame, campaign_id: str, currency: str = DEFAULT_CURRENCY
) -> list[str]:
    """``Goal name: $310K of $340K target (green)`` for each goal the campaign is linked to."""
    if tracked.empty or "campaign_id" not in tracked.columns:
        return []
    rows = tracked[tracked["campaign_id"] == campaign_id]
    return [
        f"Goal “{row['goal_name']}” ({row['period_label']}): "
        f"{format_metric(row['actual'], row['unit'], currency=currency)} of "
        f"{format_metric(row['target'], row['unit'], currency=currency)} target, "
        f"{STATUS_LABELS.get(row['status'], row['status'])}"
        for row in rows.to_dict(orient="records")
    ]


def rankings_view(
    ranks: pd.DataFrame, level: str, currency: str = DEFAULT_CURRENCY
) -> pd.DataFrame:
    """Rank and credited pipeline per model, one column per model, for what earned any."""
    if ranks.empty:
        return pd.DataFrame()
    pipeline_columns = [f"{model}_pipeline_usd" for model in ATTRIBUTION_MODELS]
    earned = ranks[ranks[pipeline_columns].fillna(0).sum(axis=1) > 0]
    names = (
        earned["name"].map(lambda key: channel_label(str(key)))
        if level == "channel"
        else earned["name"]
    )
    table = pd.DataFrame({"Channel" if level == "channel" else "Campaign": names})
    for model in ATTRIBUTION_MODELS:
        table[model_label(model)] = [
            "" if pd.isna(rank) else f"#{int(rank)} · {format_money(pipeline, currency)}"
            for rank, pipeline in zip(
                earned[f"{model}_rank"], earned[f"{model}_pipeline_usd"], strict=True
            )
        ]
    return table.reset_index(drop=True)


@dataclass(frozen=True)
class Ranked:
    """The best and worst of a quarter, and what was ranked (campaigns or channels)."""

    best: pd.DataFrame
    worst: pd.DataFrame
    level: str
    period_label: str
    note: str


def what_is_working(
    url: str,
    version: int,
    calendar: FiscalCalendar,
    period_label: str,
    as_of: date,
    model: str,
    currency: str = DEFAULT_CURRENCY,
) -> Ranked | None:
    """Top and bottom three by pipeline per dollar: campaigns of the quarter to date, else its
    channels, else (early in a quarter) the quarter before; ``None`` when nothing can be ranked.
    """
    period = calendar.parse(period_label)
    previous = calendar.shift(period, -1)
    tries = ((period, ""), (previous, f"Too early in {period.label} to rank: {previous.label}."))
    for quarter, note in tries:
        day = min(as_of, quarter.end)
        view = campaign_view(url, version, calendar, quarter.label, day, model, currency)
        for level, card in (("campaign", view.campaigns), ("channel", view.channels)):
            best, worst = working_and_not(card, "pipeline_roi", 3)
            if not best.empty:
                scope = "" if level == "campaign" else " Too few deals per campaign: channels."
                return Ranked(best, worst, level, quarter.label, (note + scope).strip())
    return None
