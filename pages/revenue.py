"""Revenue: the ARR bridge, retention, logo churn and what marketing owns of bookings."""

import streamlit as st

from core import charts
from core.formatting import escape_markdown, format_day, format_money
from core.overview import arr_label
from ui import context
from ui import revenue as views
from ui.data import definitions_on
from ui.tables import for_markdown

SEGMENT_KEY = "revenue_segment"

review = context.open_page("Revenue")

url, version, as_of, calendar = review.cache_keys
period, currency = review.period, review.currency
definitions = definitions_on(url, version, as_of)
segments = views.revenue_view(url, version, calendar, period.label, as_of).segments
choices = [views.ALL_SEGMENTS, *segments]
linked = st.query_params.get("segment")
if SEGMENT_KEY not in st.session_state:
    if linked and linked not in choices:
        st.warning(f"The link's segment “{escape_markdown(linked)}” is not in the data.")
    st.session_state[SEGMENT_KEY] = linked if linked in choices else views.ALL_SEGMENTS
header, chooser = st.columns([3, 1], vertical_alignment="bottom")
header.caption(
    f"{escape_markdown(review.company_name)} · {period.label} · as of {format_day(as_of)} · "
    f"{context.freshness(review)}"
)
segment = chooser.selectbox(
    "Segment",
    choices,
    key=SEGMENT_KEY,
    disabled=not segments,
    help="Accounts belong to the segment of their latest billing row.",
)
if segment == views.ALL_SEGMENTS:
    st.query_params.pop("segment", None)
else:
    st.query_params["segment"] = segment
view = views.revenue_view(url, version, calendar, period.label, as_of, segment)

if view.last_month is None:
    st.info(
        "No ARR is loaded up to this date. Upload the billing export (ARR or MRR by account and "
        "month) on the Data page.",
        icon=":material/payments:",
    )
else:
    bridge = view.quarter_bridge
    latest = view.retention.iloc[-1] if not view.retention.empty else None
    cards = st.columns(4)
    if bridge is not None:
        change = bridge["end_arr_usd"] - bridge["start_arr_usd"]
        cards[0].metric(
            arr_label(bridge["last_month"], as_of),
            format_money(bridge["end_arr_usd"], currency),
            f"{format_money(change, currency)} in {period.label}",
            delta_color="normal",
            border=True,
            help=definitions["arr"].help_text(),
        )
    else:
        cards[0].metric("ARR", "n/a", border=True, help=definitions["arr"].help_text())
    for card, measure in zip(cards[1:3], ("nrr", "grr"), strict=True):
        value = None if latest is None else latest[measure]
        card.metric(
            f"{definitions[measure].label} ({definitions[measure].parameters['window_months']} mo)",
            views.percent(value),
            None if latest is None else f"{latest['month']:%b %Y}",
            delta_color="off",
            delta_arrow="off",
            border=True,
            help=definitions[measure].help_text(),
        )
        if latest is not None and isinstance(latest["retention_reason"], str):
            card.caption(f"n/a: {escape_markdown(latest['retention_reason'])}")
    churn = view.churn
    cards[3].metric(
        f"Logo churn, {period.label}",
        "n/a" if churn is None or churn.rate is None else f"{churn.rate:.1%}",
        None
        if churn is None
        else f"{churn.churned_accounts:,} of {churn.accounts_at_start:,} paying accounts",
        delta_color="off",
        delta_arrow="off",
        border=True,
        help="Accounts paying at the start of the quarter with no ARR at its end (or in the "
        "latest month so far), over the accounts paying at its start.",
    )
    if churn is not None and churn.reason:
        cards[3].caption(f"n/a: {escape_markdown(churn.reason)}")

    st.subheader(f"ARR bridge, {period.label}")
    if bridge is None:
        st.info(f"No ARR months fall in {period.label} by {format_day(as_of)}.")
    else:
        months = int(bridge["months"])
        st.altair_chart(
            charts.waterfall(
                views.bridge_steps(bridge),
                f"From {format_money(bridge['start_arr_usd'], currency)} to "
                f"{format_money(bridge['end_arr_usd'], currency)}"
                + (f" ({months} month{'s' if months > 1 else ''} so far)" if months < 3 else ""),
                from_zero=False,
                currency=currency,
            ),
            width="stretch",
        )
    st.markdown(
        "**By quarter** (start + new + reactivation + expansion − contraction − churn = end)"
    )
    st.table(for_markdown(views.bridge_table(view.quarters, "period", currency)), hide_index=True)
    with st.expander("By month, the last twelve", icon=":material/calendar_month:"):
        st.table(for_markdown(views.bridge_table(view.months, "month", currency)), hide_index=True)
    st.caption(
        "New: an account's first ARR. Reactivation: ARR again after a month or more without. "
        f"{escape_markdown(definitions['new_arr'].reference)} counts "
        f"{escape_markdown(definitions['new_arr'].parameter_summary())}."
    )

    st.subheader("Net and gross revenue retention")
    if view.retention.dropna(subset=["nrr"]).empty:
        st.info(
            "Retention needs ARR from at least a year before: the cohort is the accounts paying "
            "then."
        )
    else:
        st.altair_chart(
            charts.ratio_lines(
                views.retention_frame(view.retention), "NRR and GRR, trailing twelve months"
            ),
            width="stretch",
        )
        st.caption(
            f"{escape_markdown(definitions['nrr'].help_text())} "
            f"{escape_markdown(definitions['grr'].help_text())}"
        )

    st.subheader("Logo churn by quarter")
    st.table(for_markdown(views.churn_table(view.churn_by_quarter)), hide_index=True)

st.subheader("Bookings: new business, expansion, renewal")
if view.bookings.empty:
    st.info(f"No deals were won in the eight quarters up to {period.label}.")
else:
    st.altair_chart(
        charts.stacked_bars(
            view.bookings,
            "period",
            "amount_usd",
            "type_label",
            "Won per quarter, by type",
            order=views.TYPE_ORDER,
            colours=views.TYPE_COLOURS,
            currency=currency,
        ),
        width="stretch",
    )
shares = (
    ("sourced_pipeline", f"Marketing-sourced share of new business, {period.label}", view.sourced),
    (
        "influenced_pipeline",
        f"Marketing-influenced share of expansion and renewal, {period.label}",
        view.influenced,
    ),
)
for column, (metric, label, value) in zip(st.columns(2), shares, strict=True):
    column.metric(
        label,
        views.share_text(value),
        None
        if value is None
        else f"{format_money(value.part, currency)} of {format_money(value.whole, currency)}",
        delta_color="off",
        delta_arrow="off",
        border=True,
        help=definitions[metric].help_text(),
    )
for value in (view.sourced, view.influenced):
    if value is not None and value.reason:
        st.caption(f"n/a: {escape_markdown(value.reason)}")
if not view.ownership.empty:
    st.table(for_markdown(views.ownership_table(view.ownership, currency)), hide_index=True)
    st.caption(
        f"Won deals by close date. Sourced: the source channel is one of "
        f"{escape_markdown(definitions['sourced_pipeline'].reference)}'s marketing channels. "
        f"Influenced: the account had a campaign touch within "
        f"{definitions['influenced_pipeline'].parameters['influence_window_days']} days before "
        f"the deal was created ({escape_markdown(definitions['influenced_pipeline'].reference)})."
    )
