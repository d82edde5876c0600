"""Forecast accuracy: every number we promised against what happened, and the current call."""

from datetime import date

import streamlit as st

from core.definitions import FORECAST_METRICS
from core.forecasting import horizon_table, misses, summary_sentence
from core.formatting import escape_markdown, format_day
from core.store.forecasts import CATEGORY_ORDER, ForecastEntryError, submit_forecast
from ui import access, context
from ui import forecasts as views
from ui import goals as goal_views
from ui.store import store_engine

SAVED_KEY = "forecast_saved_message"

review = context.open_page("Forecast accuracy")

url, version, as_of, calendar = review.cache_keys
currency = review.currency
if SAVED_KEY in st.session_state:
    st.success(escape_markdown(st.session_state.pop(SAVED_KEY)), icon=":material/check_circle:")
restated = st.toggle(
    "Restate every forecast under the definitions in effect now",
    key="forecast_restated",
    help="Off: each forecast is judged under the definition in effect when it was submitted "
    "(a forecast made under Bookings v1 is held to the v1 actual). On: every forecast is "
    "judged under the as-of day's definitions, as if they had always applied.",
)
with st.spinner("Judging every forecast against its actual…"):
    through = views.calls_through(as_of, review.data_through, date.today())
    report = views.report(url, version, as_of, calendar, through, restated)

scored = report.scored
forecast_metrics = (
    []
    if scored.empty
    else sorted(scored["metric"].unique(), key=lambda name: (name != "bookings", name))
)
if not forecast_metrics:
    st.info(
        "No forecasts are loaded. Upload a forecasts CSV on the Data page (one row per "
        "submission: submitted_on, period, metric, value, category, forecaster) or enter one "
        "below.",
        icon=":material/query_stats:",
    )
else:
    linked = st.query_params.get("metric")
    if views.METRIC_KEY not in st.session_state:
        if linked and linked not in forecast_metrics:
            st.warning(
                f"The link asks for forecasts of {escape_markdown(linked)}, which has none; "
                "showing bookings instead."
            )
        st.session_state[views.METRIC_KEY] = (
            linked if linked in forecast_metrics else forecast_metrics[0]
        )
    metric = st.selectbox(
        "Metric", forecast_metrics, key=views.METRIC_KEY, format_func=views.metric_label
    )
    st.query_params["metric"] = metric
    label = views.metric_label(metric)
    sentence = summary_sentence(scored, metric, views.in_sentence(label), category=report.category)
    st.markdown(f"#### {escape_markdown(sentence)}" if sentence else "")
    if sentence is None:
        st.markdown(f"No {escape_markdown(views.in_sentence(label))} forecast has been judged yet.")
    st.caption(
        views.definitions_caption(
            report.definition_versions, report.category, report.submission, restated
        )
    )
    spanned = report.definition_versions.get(metric, ())
    if len(spanned) > 1:
        st.info(
            f"{escape_markdown(label)} forecasts span definitions "
            f"{', '.join(f'v{number}' for number in spanned)}: each is judged under the one in "
            "effect when it was submitted, never against an actual counted another way. Turn "
            "on the restatement above to judge them all under today's.",
            icon=":material/rule:",
        )

    # -- The current call --------------------------------------------------------------------
    st.subheader("The current call")
    current = report.current
    open_periods = (
        [] if current.empty else list(current[current["metric"] == metric]["period_label"].unique())
    )
    if not open_periods:
        st.markdown(
            f"No {escape_markdown(views.in_sentence(label))} forecast for a period still open."
        )
    baselines = {(item.metric, item.period_label): item for item in report.baselines}
    for period_label in open_periods:
        st.markdown(f"**{escape_markdown(period_label)}**")
        st.table(
            views.current_view(current[current["period_label"] == period_label], metric, currency),
            hide_index=True,
        )
        call = baselines.get((metric, period_label))
        if call is not None and call.value is not None:
            st.markdown(
                f"Data baseline: **{views.amount(call.value, metric, currency)}**, "
                f"{escape_markdown(call.note)}."
            )
            start = current.loc[current["period_label"] == period_label, "period_start"].iloc[0]
            if call.method == "pipeline" and start <= as_of:
                record = views.track_record(url, version, as_of, calendar, metric, start)
                judged = record.dropna(subset=["baseline", "actual"])
                judged = judged[judged["actual"] != 0]
                if not judged.empty:
                    errors = (judged["error"] / judged["actual"]).abs()
                    bias = judged["error"].sum() / judged["actual"].abs().sum()
                    st.caption(
                        f"At this point of the last {len(judged)} quarters the baseline was "
                        f"{errors.mean():.0%} off on average ({bias:+.0%} bias): read it as a "
                        "second opinion, not the truth."
                    )
        elif call is not None:
            st.caption(f"No data baseline: {escape_markdown(call.note)}.")
        # The Goals page's projection of the same metric and quarter, beside the baseline.
        if call is not None and call.value is not None:
            period = calendar.parse(period_label)
            goals = goal_views.tracking(url, version, as_of)
            same = (
                goals[
                    (goals["metric"] == metric)
                    & (goals["period_start"] == period.start)
                    & (goals["period_end"] == period.end)
                    & goals["projection"].notna()
                ]
                if not goals.empty
                else goals
            )
            for goal in same.itertuples():
                st.caption(
                    escape_markdown(
                        views.reconciliation(
                            str(goal.goal_name), float(goal.projection), call.value, metric,
                            currency,
                        )
                    )
                )  # fmt: skip

    # -- Accuracy of closed periods ------------------------------------------------------------
    st.subheader("How accurate we have been")
    accuracy = report.accuracy
    if accuracy.empty or metric not in set(accuracy["metric"]):
        st.markdown("No closed period has both a forecast and an actual yet.")
    else:
        st.table(views.accuracy_view(accuracy[accuracy["metric"] == metric]), hide_index=True)
        st.caption(
            "MAPE: mean absolute % error. WAPE: total error over total actual. Bias: total "
            "(forecast - actual) over total actual, positive when optimistic. Within 5%/10%: "
            "share of periods called that closely. Periods with an actual of zero are counted, "
            "never divided by."
        )
        others = accuracy[accuracy["metric"] != metric]
        if not others.empty:
            st.markdown("**Every other metric forecast**")
            table = views.accuracy_view(others)
            table.insert(0, "Metric", [views.metric_label(name) for name in others["metric"]])
            st.table(table, hide_index=True)

    # -- How the call converges ----------------------------------------------------------------
    st.subheader("How the call converges as the period closes")
    closed = scored[(scored["metric"] == metric) & scored["actual"].notna()]
    if closed.empty:
        st.markdown("Nothing to show until a forecast period closes.")
    else:
        by_horizon = horizon_table(closed, category=report.category, by=("metric", "forecaster"))
        st.altair_chart(views.horizon_chart(by_horizon), width="stretch")

    st.markdown("**One period, submission by submission**")
    periods = (
        scored[scored["metric"] == metric]
        .sort_values("period_end", ascending=False)["period_label"]
        .drop_duplicates()
        .tolist()
    )
    closed_labels = [p for p in periods if p in set(closed["period_label"])]
    default = closed_labels[0] if closed_labels else periods[0]
    chosen = st.selectbox("Period", periods, index=periods.index(default), key=views.PERIOD_KEY)
    chosen_call = baselines.get((metric, chosen))
    st.altair_chart(
        views.call_history_chart(
            scored, metric, chosen, None if chosen_call is None else chosen_call.value, currency
        ),
        width="stretch",
    )
    st.caption(
        "Lines: each forecaster's most likely call; shaded: their commit to best case range; "
        "dashed: the actual once the period closed, else the data baseline."
    )

    # -- Missed periods -----------------------------------------------------------------------
    st.subheader("Missed periods")
    judged = report.judged[report.judged["actual"].notna()]
    missed = misses(judged, tolerance=0.10)
    st.markdown(
        f"{len(missed)} of {len(judged)} judged calls (every metric, every forecaster) missed by "
        "more than 10%. None is left out."
    )
    if not missed.empty:
        st.table(views.misses_view(missed, currency), hide_index=True)

# -- Enter a forecast ---------------------------------------------------------------------------
st.subheader("Enter a forecast")
if not access.can("submit_forecast"):
    access.read_only_note("Entering forecasts", "submit_forecast")
    st.stop()
today = date.today()
quarter = calendar.quarter_containing(today)
choices = [calendar.shift(quarter, steps) for steps in range(3)]
with st.form("forecast_entry", clear_on_submit=False, border=True):
    st.caption(
        f"Submitted today, {format_day(today)}. A submission is never edited afterwards: a "
        "later one supersedes it, and every submission stays in the upload history."
    )
    left, right = st.columns(2)
    who = left.text_input(
        "Forecaster",
        max_chars=80,
        placeholder="Whose call it is",
        key="forecast_entry_who",
        value=access.user().actor.name if access.user().actor else "",
    )
    period = right.selectbox(
        "Period", choices, format_func=lambda item: item.label, key="forecast_entry_period"
    )
    chosen_metric = left.selectbox(
        "Metric",
        FORECAST_METRICS,
        index=FORECAST_METRICS.index("bookings"),
        format_func=views.metric_label,
        key="forecast_entry_metric",
    )
    values = {}
    columns = st.columns(3)
    for column, category in zip(columns, CATEGORY_ORDER, strict=True):
        values[category] = column.number_input(
            views.CATEGORY_LABELS[category] + (" (required)" if category == "most_likely" else ""),
            min_value=0.0,
            value=None,
            step=1000.0,
            format="%.0f",
            key=f"forecast_entry_{category}",
        )
    if st.form_submit_button("Submit forecast", type="primary", icon=":material/send:"):
        try:
            upload_id = submit_forecast(
                store_engine(url),
                who,
                period,
                chosen_metric,
                values,
                submitted_on=today,
                actor=access.user().actor,
            )
        except ForecastEntryError as error:
            for problem in error.problems:
                st.error(escape_markdown(problem), icon=":material/error:")
        else:
            st.session_state[SAVED_KEY] = (
                f"Forecast saved (upload {upload_id}): {views.metric_label(chosen_metric)} for "
                f"{period.label} by {who.strip()}."
            )
            st.rerun()
