"""Budget scenarios: drag a slider, see what a cut costs in pipeline, bookings and revenue."""

import streamlit as st

from core.channels import CHANNEL_LABELS, channel_label
from core.formatting import (
    currency_unit,
    escape_markdown,
    format_day,
    format_money,
    money_slider_format,
)
from core.scenarios import (
    goal_effects,
    least_harm,
    planned_pipeline_closing_next_quarter,
    pro_rata,
    simulate,
    summary_sentence,
)
from core.store.scenarios import save_scenario, saved_scenario_list
from ui import access, context
from ui import goals as goal_views
from ui import scenarios as views
from ui.store import store_engine
from ui.tables import for_markdown

review = context.open_page("Budget scenarios")

url, version, as_of = review.store_url, review.store_version, review.as_of
currency = review.currency


def money(value: float) -> str:
    """An amount in the store's reporting currency."""
    return format_money(value, currency)


with st.spinner("Fitting each channel's response curve (once per data version)…"):
    prepared = views.prepared(url, version, as_of, review.calendar)
if prepared is None:
    st.info(
        "No marketing spend is loaded up to this date, so there is nothing to cut. Upload ad "
        "platform or finance spend exports on the Data page.",
        icon=":material/savings:",
    )
    st.stop()

model = prepared.model
for warning in views.initialise_state(model):
    st.warning(escape_markdown(warning))
st.caption(
    f"Curves fitted on {prepared.data.weeks.size} weeks of spend, sourced pipeline and leads to "
    f"{format_day(prepared.data.weeks[-1].astype(object))} (the last full week before "
    f"{format_day(as_of)}). Plan: the budgets table where it has one, else the last 13 weeks' "
    f"run rate. Ranges are the 10th-90th percentile of {model.draws} bootstrap refits."
)
fallbacks = [curve for curve in model.curves if curve.method != "fitted"]
for curve in fallbacks:
    st.warning(
        f"{channel_label(curve.channel)} has no trustworthy curve ({escape_markdown(curve.note)}): "
        "it uses its average return on spend over the last year, with a wide range.",
        icon=":material/warning:",
    )


def _apply_least_harm() -> None:
    saving = float(st.session_state.get(views.SAVING_KEY, 0))
    start = views.start_choices(model).index(st.session_state[views.START_KEY])
    plan = least_harm(model, saving, start, st.session_state[views.WEEKS_KEY])
    for channel, change in plan.changes.items():
        st.session_state[views.CHANGE_KEY + channel] = round(change * 100)


def _apply_pro_rata() -> None:
    saving = float(st.session_state.get(views.SAVING_KEY, 0))
    start = views.start_choices(model).index(st.session_state[views.START_KEY])
    plan = pro_rata(model, saving, start, st.session_state[views.WEEKS_KEY])
    for channel, change in plan.changes.items():
        st.session_state[views.CHANGE_KEY + channel] = round(change * 100)


def _reset() -> None:
    for channel in model.channels:
        st.session_state[views.CHANGE_KEY + channel] = 0


@st.fragment
def scenario_panel() -> None:
    """The interactive part: a slider move reruns only this."""
    controls, results = st.columns([1, 2], gap="large")
    with controls:
        st.subheader("Change the plan")
        mondays = views.start_choices(model)
        st.selectbox(
            "Change starts",
            mondays,
            key=views.START_KEY,
            format_func=format_day,
            help="Changes start on a Monday; spend before then is as it happened.",
        )
        st.slider(
            "For how many weeks",
            1,
            views.MAX_WEEKS,
            key=views.WEEKS_KEY,
            help="After the window, spend returns to plan; carryover fades as the curves say.",
        )
        start_week = mondays.index(st.session_state[views.START_KEY])
        weeks = min(st.session_state[views.WEEKS_KEY], len(model.week_starts) - start_week)
        window_spend = model.window_spend(start_week, weeks)
        for index, channel in enumerate(model.channels):
            st.slider(
                f"{channel_label(channel)} · plan {money(window_spend[index])}",
                -100,
                50,
                step=5,
                key=views.CHANGE_KEY + channel,
                format="%d%%",
            )
        st.button("Reset to plan", on_click=_reset, icon=":material/restart_alt:")
        st.divider()
        st.markdown("**Find the least harmful cut**")
        total = float(window_spend.sum())
        step = max(1000, round(total / 200, -3))
        if st.session_state.get(views.SAVING_KEY, 0) > total:
            st.session_state[views.SAVING_KEY] = 0
        st.slider(
            "Total saving needed",
            0,
            int(total // step * step),
            step=int(step),
            key=views.SAVING_KEY,
            format=money_slider_format(currency),
            help="Spend to remove from the window, across channels.",
        )
        left, right = st.columns(2)
        left.button(
            "Least-harm cut",
            on_click=_apply_least_harm,
            type="primary",
            icon=":material/auto_fix_high:",
            help="Takes the saving where it loses the least pipeline (equal marginal returns).",
        )
        right.button("Pro-rata cut", on_click=_apply_pro_rata, icon=":material/balance:")

    changes = views.current_changes(model)
    views.write_link(model, changes)
    result = simulate(model, changes, start_week, weeks)
    with results:
        st.subheader("What it costs")
        st.markdown(escape_markdown(summary_sentence(result, CHANNEL_LABELS, currency)))
        months = len(result.months)
        # Two even rows: the saving and what it costs now, then what it costs the P&L.
        cards = [*st.columns(3), *st.columns(3)[:2]]
        window_plan = float(window_spend.sum())
        cards[0].metric(
            "Saves",
            money(result.savings),
            f"{result.savings / window_plan:.0%} of planned spend" if window_plan else None,
            delta_color="off",
            delta_arrow="off",
            border=True,
            help="Spend removed from the plan in the window (negative when spend is added).",
        )
        for index, measure in enumerate(views.MEASURE_LABELS):
            outcome = result.outcome(measure)
            cards[index + 1].metric(
                f"{views.CARD_LABELS[measure]} lost ({months} mo)",
                money(outcome.loss),
                f"{money(outcome.low)} to {money(outcome.high)}",
                delta_color="off",
                delta_arrow="off",
                border=True,
                help=f"{views.MEASURE_LABELS[measure]} lost over the next {months} months; "
                "below it the 10-90% range.",
            )
        # A static table wraps its cells, so every range stays readable on a projector.
        st.table(for_markdown(views.impact_table(result, model, currency)), hide_index=True)
        saving = float(st.session_state.get(views.SAVING_KEY, 0))
        if saving > 0:
            best = least_harm(model, saving, start_week, weeks)
            even = pro_rata(model, saving, start_week, weeks)
            st.markdown(
                f"**Saving {money(saving)}:** the least-harm cut loses "
                f"{money(best.pipeline_loss)} of pipeline; the same saving cut pro rata "
                f"loses {money(even.pipeline_loss)}."
            )
            st.dataframe(
                [
                    {
                        "Channel": channel_label(channel),
                        "Least-harm cut": f"{best.changes[channel]:+.0%}",
                        "Pro-rata cut": f"{even.changes[channel]:+.0%}",
                    }
                    for channel in model.channels
                ],
                hide_index=True,
            )
        st.markdown("**Month by month** (the line is the estimate, the band the 10-90% range)")
        st.altair_chart(views.impact_chart(views.monthly_frame(result), currency), width="stretch")

        st.markdown("**Effect on the goals**")
        tracked = goal_views.tracking(url, version, as_of)
        rows = tracked[tracked["level"] != "campaign"].to_dict(orient="records")
        effects = [effect for effect in goal_effects(result, rows) if effect.loss]
        visible = [effect for effect in effects if views.moves_visibly(effect)]
        for effect in visible:
            st.markdown(
                f"- {escape_markdown(views.goal_title(effect))}: projected "
                f"attainment {'falls' if effect.after < effect.before else 'rises'} from "
                f"{effect.before:.0%} to {effect.after:.0%}"
            )
        if len(effects) > len(visible):
            hidden = len(effects) - len(visible)
            st.markdown(
                f"- {hidden} other goal{'s' if hidden > 1 else ''} "
                f"move{'s' if hidden == 1 else ''} by less than one percentage point."
            )
        label, first, _ = model.next_quarter
        open_now, target, win_rate = views.coverage_inputs(
            url, version, as_of, review.calendar, label
        )
        planned = open_now + planned_pipeline_closing_next_quarter(
            model, prepared.data.unpaid_pipeline
        )
        after = planned - result.pipeline_closing_next_quarter[0]
        if target:
            required = f" against {1 / win_rate:.1f}x required" if win_rate else ""
            st.markdown(
                f"- {label} pipeline coverage {'falls' if after < planned else 'moves'} from "
                f"{planned / target:.1f}x to {after / target:.1f}x{required} (pipeline expected "
                f"open when the quarter starts with a close date in it, over its bookings target)"
            )
        else:
            st.markdown(
                f"- Pipeline expected to be open on {format_day(first)} with a close date in "
                f"{label}: {money(planned)} before, {money(after)} after (no bookings "
                f"target is set for {label} yet, so no coverage ratio)."
            )
        if not effects and not result.savings:
            st.caption("Move a slider to see what a change does to the goals.")

    with st.expander("Save or compare scenarios", icon=":material/bookmark:"):
        _save_and_compare(changes, result)


def _save_form(engine: object, changes: dict[str, float]) -> None:
    with st.form("save_scenario", clear_on_submit=True, border=False):
        name_column, by_column, button_column = st.columns([3, 2, 1], vertical_alignment="bottom")
        name = name_column.text_input("Scenario name", max_chars=80)
        saved_by = access.who("scenario_saved_by", form=by_column)
        if button_column.form_submit_button("Save", icon=":material/save:"):
            settings = views.settings_of(
                changes, st.session_state[views.START_KEY], st.session_state[views.WEEKS_KEY]
            )
            try:
                save_scenario(engine, name, settings, actor=saved_by)  # type: ignore[arg-type]
            except ValueError as error:
                st.error(escape_markdown(str(error)))
            else:
                st.success(f"Saved “{escape_markdown(name.strip())}”.")


def _save_and_compare(changes: dict[str, float], result: object) -> None:
    engine = store_engine(url)
    if access.can("save_scenario"):
        _save_form(engine, changes)
    else:
        access.read_only_note("Saving scenarios", "save_scenario")
    saved = saved_scenario_list(engine)
    if saved.empty:
        st.caption("No saved scenarios yet. Saved scenarios are recomputed on today's data.")
        return
    chosen = st.multiselect(
        "Compare side by side", saved["name"].tolist(), default=saved["name"].tolist()[:3]
    )
    compared = {"This scenario (unsaved)": result}
    for row in saved[saved["name"].isin(chosen)].itertuples():
        settings = row.settings
        known = {
            channel: float(change)
            for channel, change in settings.get("changes", {}).items()
            if channel in model.channels
        }
        start_week, weeks = views.window_of(model, settings)
        compared[row.name] = simulate(model, known, start_week, weeks)
    st.dataframe(views.comparison_table(compared, currency), hide_index=True, width="stretch")
    st.caption(
        "Link to this scenario: copy the address bar; it keeps every slider, the start and the "
        "duration."
    )


scenario_panel()

st.subheader("Response curves")
st.caption(
    "Weekly pipeline each channel sources at a steady weekly spend, in an average week, with "
    "the 10-90% band. Red: planned spend for the next 13 weeks. Orange: the spend above which "
    f"an extra {currency_unit(currency)} brings less than one {currency_unit(currency)} of "
    "pipeline."
)
curves, marks = views.curve_frame(model, currency)
st.altair_chart(views.curves_chart(curves, marks, currency), width="stretch")
with st.expander("How far to trust each curve", icon=":material/query_stats:"):
    st.caption(
        "R² is in-sample on weekly pipeline, which is lumpy (a few deals a week), so it is low "
        "even for a good curve; the error on the last 13 weeks is from a fit that never saw "
        "them (sum of absolute weekly errors over the sum of pipeline). Leads sourced by each "
        "channel pin the curve's shape; pipeline sets its amounts."
    )
    st.dataframe(
        views.fit_table(model), hide_index=True, width="stretch", column_config=views.FIT_CONFIG
    )
