"""Campaigns: what is working and what is not, per channel and campaign, under any model."""

import streamlit as st

from core.campaigns import ATTRIBUTION_MODELS, NO_TOUCH, working_and_not
from core.formatting import (
    currency_unit,
    escape_markdown,
    format_day,
    format_money,
    format_money_exact,
)
from core.safe_export import safe_csv
from ui import campaigns as views
from ui import context
from ui import goals as goal_views
from ui.data import definitions_on
from ui.tables import for_markdown

review = context.open_page("Campaigns")

url, version, as_of, calendar = review.cache_keys
period, currency = review.period, review.currency
definitions = definitions_on(url, version, as_of)
default_model = str(definitions["attribution"].parameters["model"])
linked = st.query_params.get("model")
if views.MODEL_KEY not in st.session_state:
    if linked and linked not in ATTRIBUTION_MODELS:
        st.warning(
            f"The link's attribution model “{escape_markdown(linked)}” is not one of "
            f"{', '.join(ATTRIBUTION_MODELS)}; showing {views.model_label(default_model)}."
        )
    st.session_state[views.MODEL_KEY] = linked if linked in ATTRIBUTION_MODELS else default_model
if views.LEVEL_KEY not in st.session_state:
    level_link = st.query_params.get("level")
    st.session_state[views.LEVEL_KEY] = level_link if level_link in views.LEVELS else "channel"

controls = st.columns([2, 2, 2])
model = controls[0].selectbox(
    "Attribution model",
    ATTRIBUTION_MODELS,
    key=views.MODEL_KEY,
    format_func=views.model_label,
    help=f"How credit for a deal is shared among the campaigns that touched its account in the "
    f"{definitions['influenced_pipeline'].parameters['influence_window_days']} days before it "
    f"was created. The registry's choice ({escape_markdown(definitions['attribution'].reference)}"
    f") is {views.model_label(default_model)}.",
)
level = controls[1].segmented_control(
    "Show", list(views.LEVELS), key=views.LEVEL_KEY, format_func=views.LEVELS.get
)
level = level or "channel"
rank_by = controls[2].selectbox(
    "Rank what's working by",
    list(views.RANK_METRICS),
    key=views.RANK_KEY,
    format_func=lambda metric: views.rank_label(metric, currency),
)
st.query_params["model"] = model
st.query_params["level"] = level

with st.spinner("Sharing each deal's credit among the campaigns that touched it…"):
    view = views.campaign_view(url, version, calendar, period.label, as_of, model, currency)
card = view.channels if level == "channel" else view.campaigns
st.caption(
    f"{period.label}, {format_day(view.first_day)} – {format_day(view.last_day)}, under "
    f"{views.model_label(model)} attribution; trends against {format_day(view.prior_first)} – "
    f"{format_day(view.prior_last)}. Attributed pipeline "
    f"{format_money(view.pipeline_total, currency)} and bookings "
    f"{format_money(view.bookings_total, currency)} equal the CRM's "
    f"({escape_markdown(definitions['pipeline_created'].reference)}, "
    f"{escape_markdown(definitions['bookings'].reference)}): deals no campaign touched are "
    f"listed as “{NO_TOUCH}”, not dropped."
)

# -- What's working and what isn't ------------------------------------------------------------
label, higher_is_better = views.rank_label(rank_by, currency), views.RANK_METRICS[rank_by][1]
best, worst = working_and_not(card, rank_by, 3, higher_is_better)
st.subheader("What's working, and what isn't")
left, right = st.columns(2)
with left:
    st.markdown(f"**Working best** by {label.lower()}")
    if best.empty:
        st.caption("Nothing has enough data to rank yet.")
    else:
        st.table(for_markdown(views.working_view(best, rank_by, level, currency)), hide_index=True)
with right:
    st.markdown(f"**Working least** by {label.lower()}")
    if worst.empty:
        st.caption("Nothing has enough data to rank yet.")
    else:
        st.table(for_markdown(views.working_view(worst, rank_by, level, currency)), hide_index=True)
flagged = card[card["too_little_data"]]
if not flagged.empty:
    st.caption(
        f"{len(flagged)} with too little data to rank (fewer than 5 credited opportunities or "
        f"under {format_money_exact(1_000, currency)} of spend) are in the scorecard below with "
        "their evidence, not ranked."
    )

# -- Scorecard ---------------------------------------------------------------------------------
st.subheader("Scorecard")
if card.empty:
    st.info(f"No spend, touches, leads or deals in {period.label} yet.")
else:
    st.dataframe(
        views.scorecard_frame(card, level, currency),
        hide_index=True,
        width="stretch",
        column_config=views.column_config(currency),
    )
    st.download_button(
        "Download the scorecard (CSV)",
        safe_csv(views.download_frame(card, level)),
        file_name=f"scorecard-{level}-{period.label.replace(' ', '-')}-{model}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    st.caption(
        "Sort by any column. Pipeline, bookings, new ARR and credited opportunities follow the "
        "attribution model; leads, MQLs and SQLs are those the campaign sourced; win rate is "
        "among deals whose primary campaign it is. Ranges are Wilson 95% intervals: a wide one "
        "means the rate rests on few leads or deals."
    )

# -- Credited against incremental ---------------------------------------------------------------
st.subheader("Credited or incremental?")
marginal = views.incremental_roi(url, version, as_of, calendar)
if marginal.empty:
    st.caption("The budget simulator has no response curves yet (no spend loaded).")
else:
    st.table(
        for_markdown(views.incremental_view(view.channels, marginal, currency)), hide_index=True
    )
    st.caption(
        "Attribution credits each channel with the pipeline of deals it touched; the response "
        f"curve (Budget scenarios) estimates the pipeline one more {currency_unit(currency)} "
        "would add at planned spend. A channel can be well credited and still past the point "
        "where more spend pays."
    )

# -- Rankings across models ---------------------------------------------------------------------
with st.expander("How the ranking changes between models", icon=":material/swap_vert:"):
    ranks = views.rankings(url, version, calendar, period.label, as_of, level)
    st.caption(
        "Rank by credited pipeline (1 = most) under each model, with the pipeline credited. "
        "Position-based models favour the campaigns that start or convert journeys; linear "
        "and time decay spread credit over the nurture in between."
    )
    st.dataframe(views.rankings_view(ranks, level, currency), hide_index=True, width="stretch")

# -- Drill-down -----------------------------------------------------------------------------------
st.subheader("Drill down")
channels = sorted(view.channels["channel"].unique(), key=views.channel_sort_key)
channel = st.selectbox("Channel", channels, key=views.CHANNEL_KEY, format_func=views.channel_text)
in_channel = view.campaigns[view.campaigns["channel"] == channel]
st.dataframe(
    views.scorecard_frame(in_channel, "campaign", currency),
    hide_index=True,
    width="stretch",
    column_config=views.column_config(currency),
)
names = dict(zip(in_channel["campaign_id"], in_channel["name"], strict=True))
if names:
    campaign = st.selectbox("Campaign", list(names), key=views.CAMPAIGN_KEY, format_func=names.get)
    deals = views.campaign_deals(view.credits, campaign)
    if deals.empty:
        st.caption("No deal in the period credits this campaign.")
    else:
        details = views.drill_down(url, version, tuple(deals["opportunity_id"]))
        table = views.deals_view(deals, details)
        st.dataframe(table, hide_index=True, width="stretch")
        st.download_button(
            "Download these opportunities (CSV)",
            safe_csv(table),
            file_name=f"opportunities-{campaign}.csv",
            mime="text/csv",
            icon=":material/download:",
        )
    goals = goal_views.tracking(url, version, as_of)
    linked_goals = views.goals_of(goals, campaign, currency)
    for goal in linked_goals:
        st.markdown(f"- {escape_markdown(goal)}")
