"""Overview: the review scorecard's headline numbers and their trends."""

from datetime import date

import streamlit as st

from core import charts
from core.formatting import (
    currency_unit,
    escape_markdown,
    format_change,
    format_day,
    format_money,
    format_money_exact,
    plural,
)
from core.overview import Headline, arr_label, running_quarter
from ui import access, context, data, rates
from ui import campaigns as campaign_views
from ui import goals as goal_views
from ui import review as review_views
from ui.definitions import restatement_table
from ui.tables import for_markdown

# Up is good, down is good (costs), or neither (spend): how each delta is coloured.
DELTA_COLORS = {"higher": "normal", "lower": "inverse", "neutral": "off"}

review = context.current()
st.title("Overview")
review = context.stop_if_empty(
    review,
    "The store holds no data yet. Load the demo company with `python -m core demo`, "
    "or see the Data page for what the store expects.",
)

windows = data.overview_windows_loaded(
    review.store_url, review.store_version, review.calendar, review.period.label, review.as_of
)
compared = running_quarter(review.calendar, windows)  # last year's same days
currency = review.currency
if not windows.has_started:
    st.info(
        f"{review.period.label} starts on {format_day(review.period.start)}, after the as-of date."
    )
    st.stop()

span = f"{format_day(review.period.start)} – {format_day(windows.to_date)}"
status = "complete" if windows.is_complete else "to date"
st.caption(
    f"{escape_markdown(review.company_name)} · {review.period.label} {status} ({span}) · "
    f"compared with the same days of {windows.last_year.label}"
)
st.markdown(f"**As of {format_day(review.as_of)}** · {context.freshness(review)}")
last_review = review_views.latest(review.store_url)
flash = review_views.pop_flash()
if flash:
    st.success(escape_markdown(flash), icon=":material/check_circle:")
review_line, review_link = st.columns([4, 1], vertical_alignment="center")
next_review = review_views.next_date(review.store_url, date.today())
review_line.caption(
    f"Next review {format_day(next_review)}"
    + (
        f" · last review {format_day(last_review.review_date)} by "
        f"{escape_markdown(last_review.started_by)}"
        if last_review
        else " · no review held yet"
    )
)
review_link.page_link("pages/review.py", label="Since last review", icon=":material/event_note:")
if access.can("start_review"):
    with st.expander("Start a review: freeze these numbers", icon=":material/lock_clock:"):
        review_views.start_form(
            review.store_url,
            review.store_version,
            review.calendar,
            review.period.label,
            review.as_of,
            key="overview",
        )

definitions = data.definitions_on(review.store_url, review.store_version, review.as_of)
totals = data.overview_totals(
    review.store_url, review.store_version, review.calendar, review.period.label, review.as_of
)
labels = {
    "arr": arr_label(windows.arr_month, review.as_of),
    "pipeline_created": f"Pipeline created, {review.period.label}",
    "bookings": f"Bookings, {review.period.label}",
    "spend": f"Marketing spend, {review.period.label}",
}
columns = st.columns(4)
for column, metric in zip(columns, data.OVERVIEW_METRICS, strict=True):
    value, last_year = totals[metric]
    headline = Headline(definitions[metric], value, last_year)
    change = format_change(headline.change)
    column.metric(
        labels[metric],
        format_money(value, currency),
        delta=f"{change} vs {format_money(last_year, currency)} last year" if change else None,
        delta_color=DELTA_COLORS[headline.definition.direction],
        help=headline.definition.help_text(),
        border=True,
    )

for message in goal_views.pop_flash():
    st.success(escape_markdown(message), icon=":material/check_circle:")
st.subheader("Scorecard")
tracked = goal_views.tracking(review.store_url, review.store_version, review.as_of)
scorecard = goal_views.for_period(tracked, review.period.start, review.period.end)
scorecard = scorecard[scorecard["level"] != "campaign"] if not scorecard.empty else scorecard
if scorecard.empty:
    st.info(
        f"No company or marketing goals cover {review.period.label}. Load goals on the Data "
        "page (generic goals format) to see target, pace, projection and status here.",
        icon=":material/flag:",
    )
else:
    redefined = goal_views.redefined_note(scorecard)
    if redefined:
        st.warning(redefined, icon=":material/rule:")
    counts = scorecard["status"].value_counts()
    st.caption(
        " · ".join(
            f"{goal_views.status_text(status)}: {counts[status]}"
            for status in ("green", "amber", "red", "not_started", "no_data")
            if status in counts
        )
        + f" · {definitions['goal_status'].reference} · the Goals page has each goal's working"
    )
    latest = goal_views.latest_comments(review.store_url, review.store_version)
    st.dataframe(
        goal_views.scorecard_table(scorecard, latest, currency),
        hide_index=True,
        width="stretch",
        column_config=goal_views.SCORECARD_CONFIG,
    )
    if access.can("comment_goal"):
        with st.expander("Add commentary to a goal (why this status, what we are doing)"):
            goal_views.comment_form(
                review.store_url,
                dict(zip(scorecard["goal_id"], scorecard["goal_name"], strict=True)),
                key="overview",
            )

st.subheader("What's working, and what isn't")
model = str(definitions["attribution"].parameters["model"])
ranked = campaign_views.what_is_working(
    review.store_url,
    review.store_version,
    review.calendar,
    review.period.label,
    review.as_of,
    model,
    currency,
)
if ranked is None:
    st.caption(
        f"Nothing has enough data in {review.period.label} or the quarter before to rank (5 "
        f"credited opportunities and {format_money_exact(1_000, currency)} of spend)."
    )
else:
    left, right = st.columns(2)
    for column, rows, title in (
        (left, ranked.best, "Working best"),
        (right, ranked.worst, "Working least"),
    ):
        with column:
            st.markdown(
                f"**{title}** in {ranked.period_label}, by pipeline per {currency_unit(currency)}"
            )
            if not rows.empty:
                working = campaign_views.working_view(rows, "pipeline_roi", ranked.level, currency)
                st.table(for_markdown(working), hide_index=True)
    st.caption(
        f"{campaign_views.model_label(model)} attribution "
        f"({definitions['attribution'].reference}); what has too little data is not ranked. "
        f"{ranked.note} The Campaigns page has the whole scorecard."
    )
st.page_link("pages/campaigns.py", label="Every campaign and channel", icon=":material/campaign:")

rates.period_notice(
    review.store_url, review.store_version, review.period.start, review.as_of, currency
)
restated = data.restatements(
    review.store_url, review.store_version, review.calendar, review.period.label, review.as_of
)
if restated:
    st.warning(
        f"{plural(len(restated), 'definition')} changed since {review.period.label} began: "
        "the headline numbers follow the definitions in effect now (restated); the table shows "
        "them as reported under the earlier version too.",
        icon=":material/history_edu:",
    )
    st.dataframe(
        restatement_table(restated, currency),
        hide_index=True,
        width="stretch",
        column_config={
            "As reported": st.column_config.TextColumn(),
            "Restated": st.column_config.TextColumn(),
            "Difference": st.column_config.TextColumn(),
        },
    )

trends = data.overview_trends(
    review.store_url, review.store_version, review.calendar, review.period.label, review.as_of
)
year = review.period.fiscal_year
titles = {
    "pipeline_created": "Pipeline created by quarter",
    "bookings": "Bookings by quarter",
    "spend": "Marketing spend by quarter",
}
left, right = st.columns(2)
with left:
    if trends["arr"].empty:
        st.info("No ARR recorded in the last two years.")
    else:
        chart = charts.arr_trend(
            trends["arr"], f"ARR by month (definition v{definitions['arr'].version})", currency
        )
        st.altair_chart(chart, width="stretch")
for index, (metric, title) in enumerate(titles.items()):
    target = right if index % 2 == 0 else left
    with target:
        frame = trends[metric]
        if frame.empty:
            st.info(f"No {definitions[metric].label.lower()} in FY{year - 1} or FY{year} yet.")
        else:
            running = None if windows.is_complete else review.period.label
            versioned = f"{title} (definition v{definitions[metric].version})"
            chart = charts.quarterly_comparison(
                frame, year, versioned, in_progress=running, currency=currency
            )
            st.altair_chart(chart, width="stretch")
st.caption(
    f"Bars compare FY{year} with FY{year - 1}; {review.period.label} counts the days to "
    f"{format_day(windows.to_date)}"
    + (
        f", and {compared[1].label} the same days a year earlier, to {format_day(compared[2])}"
        if compared is not None
        else ""
    )
    + ". Hover a number for its definition."
)
