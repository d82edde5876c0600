"""Pipeline & Sales: coverage, the quarter's waterfall, the funnel and the Marketing-Sales SLA."""

import streamlit as st

from core import charts
from core.formatting import escape_markdown, format_day, format_money
from core.funnel import WATERFALL_LABELS
from ui import context
from ui import pipeline as views
from ui.data import definitions_on
from ui.tables import for_markdown

review = context.open_page("Pipeline & Sales")

url, version, as_of, calendar = review.cache_keys
period, currency = review.period, review.currency


def money(value: float | None) -> str:
    """An amount in the store's reporting currency."""
    return format_money(value, currency)


definitions = definitions_on(url, version, as_of)
st.caption(
    f"{escape_markdown(review.company_name)} · {period.label} · as of {format_day(as_of)} · "
    f"{context.freshness(review)}"
)

# -- Coverage --------------------------------------------------------------------------------
st.subheader("Coverage")
next_period = calendar.shift(period, 1)
reports = [
    views.coverage(url, version, calendar, label, as_of, currency)
    for label in (period.label, next_period.label)
]
columns = st.columns(3)
to_go = definitions["coverage_to_go"]
for column, report in zip(columns, reports, strict=False):
    value = report.coverage
    column.metric(
        f"Coverage of {report.period.label} bookings to go",
        views.ratio_text(value),
        views.coverage_delta(report),
        delta_color="normal",
        border=True,
        help=f"{to_go.help_text()} Open: {money(value.open_pipeline)}; target: "
        f"{money(value.target)}; won so far: {money(value.won_to_date)}.",
    )
    if value.reason:
        column.caption(f"n/a: {escape_markdown(value.reason)}.")
current = reports[0]
columns[2].metric(
    "Required coverage",
    views.ratio_text(current.required),
    f"1 / win rate of {views.share(current.win_rate)}" if current.win_rate else None,
    delta_color="off",
    delta_arrow="off",
    border=True,
    help=f"{definitions['win_rate'].help_text()} Over deals closed "
    f"{format_day(current.win_rate_window[0])} – {format_day(current.win_rate_window[1])}.",
)
if current.required.reason:
    columns[2].caption(f"n/a: {escape_markdown(current.required.reason)}.")
if current.at_start is not None:
    st.caption(
        f"At the start of {period.label} coverage was {views.multiple(current.at_start)} "
        f"({escape_markdown(definitions['coverage'].reference)}: pipeline open then with a close "
        "date in the quarter over its bookings target)."
    )

# -- What marketing's goals mean for Sales ---------------------------------------------------
st.subheader("What Sales needs from marketing")
for report in reports:
    need = report.need
    label = report.period.label
    if need.required_pipeline is None:
        st.markdown(
            f"- **{label}**: {money(need.in_hand)} of pipeline is open with a close date in "
            f"the quarter; no need can be worked out ({escape_markdown(need.reason or '')})."
        )
        continue
    if need.gap:
        share = (
            f" At marketing's {views.share(need.sourced_share)} share of pipeline created over "
            f"the last four quarters, that is **{money(need.sourced_needed)} of "
            "marketing-sourced pipeline** due in the quarter."
            if need.sourced_needed is not None
            else ""
        )
        st.markdown(
            f"- **{label}**: keeping coverage at the required "
            f"{views.multiple(report.required.value)} needs {money(need.required_pipeline)} "
            f"of pipeline due in the quarter; {money(need.in_hand)} is in hand, "
            f"**{money(need.gap)} short**.{share}"
        )
    else:
        st.markdown(
            f"- **{label}**: {money(need.in_hand)} of pipeline due in the quarter covers the "
            f"{money(need.required_pipeline)} the required "
            f"{views.multiple(report.required.value)} needs; nothing more is needed to keep "
            "coverage."
        )

# -- Waterfall -------------------------------------------------------------------------------
st.subheader(f"How {period.label} pipeline moved")
flow = views.waterfall(url, version, calendar, period.label, as_of)
if flow.waterfall is None:
    st.info(f"No waterfall for {period.label}: {escape_markdown(flow.reason or '')}.")
else:
    st.altair_chart(
        charts.waterfall(
            flow.waterfall.steps(),
            f"Pipeline due in {period.label}, {format_day(period.start)} to "
            f"{format_day(flow.end_day)}",
            currency=currency,
        ),
        width="stretch",
    )
    st.caption(
        "From the opportunity exports: open at the start (the last export before the quarter) + "
        "created or first seen + pulled in from other quarters - pushed out + increased - "
        "decreased - won - lost = open at the end. "
        + " · ".join(
            f"{WATERFALL_LABELS[step]} {money(getattr(flow.waterfall, step))}"
            for step in ("created", "pulled_in", "pushed_out")
        )
        + f". {escape_markdown(to_go.reference)} says which deal types count."
    )

# -- Pipeline created by source --------------------------------------------------------------
st.subheader("Pipeline created by source")
created = views.created_by_quarter(url, version, calendar, period.label, as_of)
if created.empty:
    st.info(f"No pipeline was created in the six quarters up to {period.label}.")
else:
    st.altair_chart(
        charts.stacked_bars(
            created,
            "period",
            "amount_usd",
            "source",
            "Pipeline created per quarter",
            currency=currency,
        ),
        width="stretch",
    )
    st.table(for_markdown(views.created_view(created, currency)), hide_index=True)
    st.caption(definitions["pipeline_created"].help_text())

# -- Funnel ----------------------------------------------------------------------------------
st.subheader("Funnel")
funnel = views.funnel(url, version, calendar, period.label, as_of)
if funnel.volumes["count"].sum() == 0:
    st.info(f"No leads reached any stage in {period.label} by {format_day(as_of)}.")
else:
    st.altair_chart(
        charts.funnel(
            views.volumes_view(funnel.volumes),
            f"Leads reaching each stage in {period.label} (to {format_day(funnel.last_day)})",
        ),
        width="stretch",
    )
st.markdown(
    f"**Conversion by source**, leads reaching each stage {format_day(funnel.first_day)} – "
    f"{format_day(funnel.last_day)}, and whether they have reached the next since"
)
if funnel.by_channel.empty:
    st.caption("No leads in the last twelve months.")
else:
    st.dataframe(
        views.conversion_view(funnel.by_channel, "channel", "Source"),
        hide_index=True,
        width="stretch",
    )
st.markdown("**Conversion by monthly cohort** (the month each lead reached the earlier stage)")
if funnel.by_cohort.empty:
    st.caption("No leads in the last twelve months.")
else:
    st.dataframe(
        views.conversion_view(funnel.by_cohort, "cohort_month", "Cohort"),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        "A lead that skipped a stage (straight to SQL) counts as passing through it. "
        "*Maturing*: most leads take longer than this cohort has had to reach the next stage, "
        "so its conversion will still rise."
    )

# -- Win rates -------------------------------------------------------------------------------
rates, first, last = views.win_rates(url, version, calendar, as_of)
st.subheader("Win rates and sales cycle by source")
if rates.empty:
    st.info(f"No deals closed {format_day(first)} – {format_day(last)}.")
else:
    st.dataframe(views.win_rate_view(rates, currency), hide_index=True, width="stretch")
    st.caption(
        f"Deals closed {format_day(first)} – {format_day(last)}. "
        f"{escape_markdown(definitions['win_rate'].help_text())}"
    )

# -- SLA -------------------------------------------------------------------------------------
st.subheader("Marketing–Sales SLA")
sla_definition = definitions["sales_sla"]
sla = views.sla(url, version, calendar, period.label, as_of)
if sla is None:
    st.info(
        "The leads in the store carry no first-worked times, so the SLA cannot be judged. The "
        "HubSpot contacts export has them as “Date of first engagement”."
    )
elif sla.all_mqls.mqls == 0:
    st.info(f"No MQLs in {period.label} by {format_day(as_of)}.")
else:
    for column, (label, value, counts) in zip(st.columns(3), views.sla_cards(sla), strict=True):
        column.metric(
            label,
            views.ratio_text(value, as_multiple=False),
            counts,
            delta_color="off",
            delta_arrow="off",
            border=True,
            help=sla_definition.help_text(),
        )
    if sla.young_months:
        st.caption(views.sla_young_text(sla))
    if not sla.months.empty:
        st.table(for_markdown(views.sla_months_view(sla.months)), hide_index=True)
