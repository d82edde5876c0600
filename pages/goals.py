"""Goals: the tree from the vision to campaigns, how each goal is tracking, and its targets."""

import streamlit as st

from core import charts
from core.definitions import FORECAST_METRICS
from core.formatting import escape_markdown, format_day, format_metric
from core.goals import ancestors
from core.store.goals import GoalEditError, record_goal_edits
from ui import access, context, data
from ui import forecasts as forecast_views
from ui import goals as goal_views
from ui.store import store_engine

review = context.open_page("Goals")

url, version, as_of, period = review.store_url, review.store_version, review.as_of, review.period
currency = review.currency
for message in goal_views.pop_flash():
    st.success(escape_markdown(message), icon=":material/check_circle:")
tracked = goal_views.tracking(url, version, as_of)
if tracked.empty:
    st.info(
        "No goals are loaded yet. Upload a goals file on the Data page (the generic goals "
        "format: goal_id, parent_goal_id, level, goal_name, metric, target, period, owner, "
        "direction, campaign_id; see data/examples/goals.csv).",
        icon=":material/flag:",
    )
    st.stop()

definitions = data.definitions_on(url, version, as_of)
rule = definitions["goal_status"]
st.caption(
    f"As of {format_day(as_of)} · {rule.reference}: green when the projection reaches "
    f"{rule.parameters['green_at']:.0%} of target, amber from {rule.parameters['amber_at']:.0%}"
    + (
        f", red whatever the projection when the chance of reaching target is under "
        f"{float(rule.parameters['red_below_chance']):.0%}"  # type: ignore[arg-type]
        if rule.parameters.get("red_below_chance") is not None
        else ""
    )
    + "; lower-is-better goals inverted. Pacing method per goal in its detail."
)
current = goal_views.for_period(tracked, period.start, period.end)
redefined = goal_views.redefined_note(current)
if redefined:
    st.warning(redefined + " The Definitions page shows what changed.", icon=":material/rule:")

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader(f"This quarter: {period.label}")
    quarter = current[current["level"] == "quarterly"]
    if quarter.empty:
        st.info(f"No quarterly goals are set for {period.label}.")
    else:
        st.dataframe(
            goal_views.scorecard_table(quarter, currency=currency).drop(
                columns=["Level", "Commentary"]
            ),
            hide_index=True,
            width="stretch",
            column_config=goal_views.SCORECARD_CONFIG,
        )
with right:
    st.subheader("Toward the vision")
    visions = tracked[(tracked["level"] == "vision")]
    vision = visions[visions["period_start"] <= as_of].head(1)
    if vision.empty:
        st.info("No vision goal is set. Add one (level “vision”) to see the long-term path.")
    else:
        goal = vision.iloc[0]
        paths = goal_views.trajectory(url, version, as_of, goal["goal_id"])
        if paths is None or paths.empty:
            st.info(
                f"“{escape_markdown(goal['goal_name'])}” measures "
                f"{escape_markdown(goal['metric'])}, which has no path to draw month by month."
            )
        else:
            milestones = goal_views.milestones(tracked, goal["goal_id"])
            st.altair_chart(
                charts.goal_trajectory(paths, milestones, goal["goal_name"], currency),
                width="stretch",
            )
            unit = goal["unit"]
            st.caption(
                f"{goal_views.status_text(goal['status'])}: at the growth rate of the last 12 "
                f"months the vision ends at "
                f"{format_metric(goal['projection'], unit, currency=currency)} against "
                f"{format_metric(goal['target'], unit, currency=currency)} "
                f"({goal['pacing_method']}). Diamonds "
                "are the annual milestones."
            )

if current.empty:
    st.info(
        f"No goal covers {period.label}. Choose another quarter in the sidebar, or load goals "
        "for it on the Data page.",
        icon=":material/flag:",
    )
    st.stop()

st.subheader("The goal tree")
st.caption(
    f"Goals that cover {period.label}: the vision, the year's goals, the quarter's targets and "
    "the campaigns serving them. Children that measure their parent's metric add up to it; "
    "the others contribute."
)
st.dataframe(
    goal_views.tree_table(current, tracked, currency),
    hide_index=True,
    width="stretch",
    column_config={"Goal": st.column_config.TextColumn(width="large")},
)

st.subheader("One goal in detail")
names = dict(zip(current["goal_id"], current["goal_name"], strict=True))
chosen = st.selectbox(
    "Goal",
    list(names),
    format_func=lambda goal_id: f"{names[goal_id]} ({goal_id})",
    key="goal_detail",
)
if chosen is not None:
    goal = current[current["goal_id"] == chosen].iloc[0]
    chain = [names.get(parent, parent) for parent in ancestors(tracked, chosen)]
    if chain:
        st.markdown("Serves: " + " → ".join(escape_markdown(name) for name in reversed(chain)))
    detail, side = st.columns([3, 2], gap="large")
    with detail:
        st.dataframe(goal_views.detail_rows(goal, currency), hide_index=True, width="stretch")
        # The Forecast accuracy page's data baseline of the same quarter, beside the projection.
        quarter = review.calendar.quarter_containing(goal["period_start"])
        if (
            goal["metric"] in FORECAST_METRICS
            and quarter.start == goal["period_start"]
            and quarter.end == goal["period_end"]
            and goal["period_start"] <= as_of < goal["period_end"]
            and goal["projection"] is not None
            and goal["projection"] == goal["projection"]  # not NaN
        ):
            call = forecast_views.baseline_of(
                url, version, as_of, review.calendar, goal["metric"], quarter.label
            )
            if call.value is not None:
                st.caption(
                    escape_markdown(
                        forecast_views.reconciliation(
                            str(goal["goal_name"]), float(goal["projection"]), call.value,
                            goal["metric"], currency,
                        )
                    )
                )  # fmt: skip
    with side:
        serving = goal_views.campaigns_serving(url, version, as_of, chosen)
        if serving.empty:
            st.caption("No campaign is linked to this goal.")
        else:
            st.dataframe(
                goal_views.campaign_table(serving, goal, currency),
                hide_index=True,
                width="stretch",
            )
        notes = goal_views.comments(url, version)
        notes = notes[notes["goal_id"] == chosen]
        st.markdown("**Commentary**")
        if notes.empty:
            st.caption("No commentary yet.")
        for note in notes.head(5).itertuples(index=False):
            st.text(f"{note.comment}\n— {note.author}, {format_day(note.written_at)}")
    if access.can("comment_goal"):
        goal_views.comment_form(url, {chosen: names[chosen]}, key="goal_page")

st.subheader("Edit goals")
st.caption(
    "Change a name, target, owner, direction or parent, then save with your name. Every change "
    "is checked against the whole tree, kept with who made it and when, and can be undone on "
    "the Data page."
)
original = goal_views.editor_frame(current)
if not access.can("edit_goals"):
    st.dataframe(original, width="stretch")
    access.read_only_note("Editing goals", "edit_goals")
else:
    edited = st.data_editor(
        original,
        key="goal_editor",
        width="stretch",
        disabled=["Level", "Period", "Metric"],
        column_config={
            "Target": st.column_config.NumberColumn(format="%.2f", required=True),
            "Better when": st.column_config.SelectboxColumn(
                options=["higher", "lower"], required=True
            ),
            "Goal": st.column_config.TextColumn(required=True, width="large"),
        },
    )
    edits = goal_views.edits_from_editor(original, edited)
    author = access.who("goal_editor_author", "Your name (recorded with the change)")
    if st.button(
        f"Save {len(edits)} changed goal{'s' if len(edits) != 1 else ''}",
        type="primary",
        disabled=not edits,
    ):
        try:
            record_goal_edits(
                store_engine(url), edits, author.label if author else "", actor=author
            )
        except GoalEditError as error:
            for problem in error.problems:
                st.error(escape_markdown(problem), icon=":material/error:")
        else:
            goal_views.flash(f"Saved changes to {len(edits)} goal{'s' if len(edits) != 1 else ''}.")
            del st.session_state["goal_editor"]
            st.rerun()

log = goal_views.change_log(url, version)
with st.expander(f"Change log ({len(log)} change{'s' if len(log) != 1 else ''})"):
    if log.empty:
        st.caption("No goal has been edited on this page yet.")
    else:
        st.dataframe(goal_views.change_log_table(log), hide_index=True, width="stretch")
