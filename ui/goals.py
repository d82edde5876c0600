"""Goals for the pages: cached tracking, and the tables the Overview and Goals pages show.

Cached reads are keyed by the store URL, data version and as-of day, so an upload, an edit or
a comment (each a new data version) refreshes every page at once.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import streamlit as st

from core.formatting import (
    DEFAULT_CURRENCY,
    escape_markdown,
    format_apart,
    format_day,
    format_metric,
)
from core.goals import LEVEL_LABELS, RELATION_LABELS, STATUS_LABELS, goals_for_period, roll_up
from core.store import goals as store_goals
from ui import access
from ui.data import CACHE, definition_histories, definitions_on
from ui.store import store_engine

STATUS_ICONS = {
    "green": "🟢",
    "amber": "🟠",
    "red": "🔴",
    "not_started": "⚪",
    "no_data": "⚪",
}
EDITOR_COLUMNS = {
    "goal_id": "Goal ID",
    "goal_name": "Goal",
    "level": "Level",
    "period_label": "Period",
    "metric": "Metric",
    "target": "Target",
    "direction": "Better when",
    "owner": "Owner",
    "parent_goal_id": "Parent goal",
}
EDITABLE = ("goal_name", "target", "direction", "owner", "parent_goal_id")


@st.cache_data(**CACHE)
def tracking(url: str, version: int, as_of: date) -> pd.DataFrame:
    """Every goal's tracking on ``as_of``, under the definitions in effect that day."""
    definitions = definitions_on(url, version, as_of)
    return store_goals.track_goals(
        store_engine(url), as_of, definitions, histories=definition_histories(url, version)
    )


@st.cache_data(**CACHE)
def comments(url: str, version: int) -> pd.DataFrame:
    """Commentary on goals, newest first."""
    del version
    return store_goals.comments(store_engine(url))


@st.cache_data(**CACHE)
def change_log(url: str, version: int) -> pd.DataFrame:
    """Edits made on the Goals page, newest first."""
    del version
    return store_goals.goal_change_log(store_engine(url))


@st.cache_data(**CACHE)
def trajectory(url: str, version: int, as_of: date, goal_id: str) -> pd.DataFrame | None:
    """The path of a level goal (the vision) 12 months back and 18 ahead."""
    goals = tracking(url, version, as_of)
    goal = goals[goals["goal_id"] == goal_id].iloc[0].to_dict()
    definitions = definitions_on(url, version, as_of)
    return store_goals.vision_trajectory(store_engine(url), goal, definitions, as_of)


@st.cache_data(**CACHE)
def campaigns_serving(url: str, version: int, as_of: date, goal_id: str) -> pd.DataFrame:
    """Campaigns linked to the goal with their part of its metric."""
    goals = tracking(url, version, as_of)
    goal = goals[goals["goal_id"] == goal_id].iloc[0].to_dict()
    definitions = definitions_on(url, version, as_of)
    return store_goals.campaigns_serving(store_engine(url), goal, definitions, as_of)


def for_period(tracked: pd.DataFrame, first_day: date, last_day: date) -> pd.DataFrame:
    """The goals a review of the quarter looks at, in tree order."""
    if tracked.empty:
        return tracked
    return goals_for_period(tracked, first_day, last_day)


def _value(value: object, unit: str, currency: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format_metric(float(value), unit, currency=currency)  # type: ignore[arg-type]


def _apart(values: list[object], unit: str, currency: str) -> list[str]:
    """:func:`format_apart` of a goal's figures, an em dash for a missing one."""
    numbers = [
        None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)  # type: ignore[arg-type]
        for value in values
    ]
    texts = format_apart(numbers, unit, currency)
    return ["—" if number is None else text for number, text in zip(numbers, texts, strict=True)]


def _share(value: object) -> str:
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "—"
    share = float(value)  # type: ignore[arg-type]
    if 0 < abs(share) < 0.01:  # a 0.4% chance is not "0%"
        return f"{share * 100:.1f}%"
    return f"{share * 100:.0f}%"


def _status_cell(goal: object) -> str:
    """The status, and beside it the status as reported under the definition the goal was set
    against when its metric has been redefined since: "🟢 On track (restated v2; as reported
    v1: 🔴 Off track)"."""
    status = status_text(str(goal.status))  # type: ignore[attr-defined]
    reported = getattr(goal, "reported_version", None)
    if reported is None or pd.isna(reported):
        return status
    version = int(goal.definition_version)  # type: ignore[attr-defined]
    was = status_text(str(goal.reported_status))  # type: ignore[attr-defined]
    return f"{status} (restated v{version}; as reported v{int(reported)}: {was})"


def redefined_note(goals: pd.DataFrame) -> str | None:
    """A sentence naming how many goals measure a metric redefined since their period began."""
    if goals.empty or "reported_version" not in goals.columns:
        return None
    changed = goals[goals["reported_version"].notna()]
    if changed.empty:
        return None
    flipped = int((changed["reported_status"] != changed["status"]).sum())
    return (
        f"{len(changed)} goal{'s' if len(changed) != 1 else ''} measure a metric redefined "
        "since their period began: each status is restated under today's definition, with the "
        "status as reported under the one it was set against beside it"
        + (f"; {flipped} changed status only because of the new definition." if flipped else ".")
    )


def status_text(status: str) -> str:
    """``🟢 On track``."""
    return f"{STATUS_ICONS.get(status, '⚪')} {STATUS_LABELS.get(status, status)}"


def scorecard_table(
    goals: pd.DataFrame, latest: pd.DataFrame | None = None, currency: str = DEFAULT_CURRENCY
) -> pd.DataFrame:
    """One row per goal as the review reads it: status, numbers in their units (money in
    ``currency``), trend, note."""
    notes = {}
    if latest is not None and not latest.empty:
        for row in latest.itertuples(index=False):
            notes[row.goal_id] = f"{row.comment} — {row.author}, {format_day(row.written_at)}"
    rows = []
    for goal in goals.itertuples(index=False):
        unit = goal.unit
        indent = "    " * int(getattr(goal, "depth", 0))
        lower = " (lower is better)" if goal.direction == "lower" else ""
        # Enough digits that the numbers the status rests on never read alike.
        target, actual, expected, projected = _apart(
            [goal.target, goal.actual, goal.expected, goal.projection], unit, currency
        )
        rows.append(
            {
                "Status": _status_cell(goal),
                "Goal": f"{indent}{goal.goal_name}{lower}",
                "Level": LEVEL_LABELS.get(goal.level, goal.level),
                "Owner": goal.owner or "—",
                "Target": target,
                "Actual to date": actual,
                "Expected by now": expected,
                "Pace": _share(goal.pace),
                "Projected": projected,
                "Chance": _share(goal.probability),
                "Trend": list(goal.trend) if isinstance(goal.trend, list) else [],
                "Commentary": notes.get(goal.goal_id, ""),
            }
        )
    return pd.DataFrame(rows)


SCORECARD_CONFIG = {
    "Status": st.column_config.TextColumn(width="small"),
    "Goal": st.column_config.TextColumn(width="large"),
    "Trend": st.column_config.LineChartColumn("Trend to date", width="small"),
    "Chance": st.column_config.TextColumn(
        "Chance", help="Chance of reaching the target, from how comparable past periods finished."
    ),
    "Pace": st.column_config.TextColumn(help="Actual to date over expected to date."),
    "Commentary": st.column_config.TextColumn(width="medium"),
}


def detail_rows(goal: pd.Series, currency: str = DEFAULT_CURRENCY) -> pd.DataFrame:
    """The figures behind one goal's status, each with how it was worked out."""
    unit = goal["unit"]
    per_week = goal["aggregation"] in ("sum", "level")
    owner = goal["owner"] or "no owner"

    apart = dict(
        zip(
            ("target", "actual", "expected", "projection"),
            _apart([goal[name] for name in ("target", "actual", "expected", "projection")], unit,
                   currency),
            strict=True,
        )
    )  # fmt: skip

    def value(field: str) -> str:
        return apart[field] if field in apart else _value(goal[field], unit, currency)

    needed = value("required_per_week") if per_week else "—"
    so_far = value("current_per_week") if per_week else "—"
    rows = [
        ("Target", value("target"), f"{goal['period_label']}, owned by {owner}"),
        (
            "Actual to date",
            value("actual"),
            f"Definition v{goal['definition_version']} of {goal['metric']}",
        ),
        ("Elapsed", _share(goal["elapsed_share"]), "Share of the period's days gone"),
        ("Expected by now", value("expected"), f"Pacing: {goal['pacing_method']}"),
        ("Pace", _share(goal["pace"]), "Actual to date over expected by now"),
        ("Projected at period end", value("projection"), "If the rest goes as so far"),
        ("Gap to target", value("gap"), "Projected minus target"),
        ("Needed per week from here", needed, "What is still missing over the weeks left"),
        ("Run so far per week", so_far, "What the period has averaged so far"),
        ("Chance of reaching target", _share(goal["probability"]), goal["probability_note"]),
        (
            "Status",
            status_text(goal["status"]),
            goal.get("status_note") or "Projection against target and thresholds",
        ),
    ]
    reported = goal.get("reported_version")
    if reported is not None and not pd.isna(reported):
        rows.append(
            (
                f"Status as reported (v{int(reported)})",
                status_text(str(goal["reported_status"])),
                f"Under the {goal['metric']} definition in effect when the period began "
                f"(projection {_value(goal['reported_projection'], unit, currency)}); the status "
                f"above is restated under v{goal['definition_version']}",
            )
        )
    return pd.DataFrame(rows, columns=["Figure", "Value", "How"])


def tree_table(
    goals: pd.DataFrame, every_goal: pd.DataFrame, currency: str = DEFAULT_CURRENCY
) -> pd.DataFrame:
    """Goals with their place in the tree and what rolls up into what.

    Roll-ups count every child in ``every_goal`` (all four quarters of a year, not only the
    quarter on screen).
    """
    rolled = roll_up(every_goal).set_index("goal_id") if not every_goal.empty else pd.DataFrame()
    rows = []
    for goal in goals.itertuples(index=False):
        unit = goal.unit
        note = RELATION_LABELS.get(goal.relation, "")
        if goal.goal_id in rolled.index:
            parts = rolled.loc[goal.goal_id]
            note = (
                f"{note}; its {int(parts['children'])} parts' targets add up to "
                f"{_share(parts['target_covered'])} of its target, their actuals to "
                f"{_share(parts['actual_covered'])} of its actual"
            )
        if isinstance(goal.contribution, float) and not math.isnan(goal.contribution):
            note = f"{note}; {_share(goal.contribution)} of its parent so far"
        rows.append(
            {
                "Goal": "    " * int(goal.depth) + str(goal.goal_name),
                "Status": status_text(goal.status),
                "Period": goal.period_label,
                "Target": _value(goal.target, unit, currency),
                "Actual": _value(goal.actual, unit, currency),
                "How it serves its parent": note,
            }
        )
    return pd.DataFrame(rows)


def editor_frame(goals: pd.DataFrame) -> pd.DataFrame:
    """The goals as the editor shows them (labelled columns, goal id as the index)."""
    frame = goals[list(EDITOR_COLUMNS)].rename(columns=EDITOR_COLUMNS)
    return frame.set_index("Goal ID")


def edits_from_editor(original: pd.DataFrame, edited: pd.DataFrame) -> dict[str, dict[str, object]]:
    """The fields changed in the editor, per goal id, under the store's field names."""
    names = {label: name for name, label in EDITOR_COLUMNS.items()}
    edits: dict[str, dict[str, object]] = {}
    for goal_id in original.index:
        for label in original.columns:
            field = names[label]
            if field not in EDITABLE:
                continue
            before, after = original.at[goal_id, label], edited.at[goal_id, label]
            if _same(before, after):
                continue
            edits.setdefault(str(goal_id), {})[field] = (
                None if _missing(after) else (float(after) if field == "target" else str(after))
            )
    return edits


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _same(before: object, after: object) -> bool:
    if _missing(before) and _missing(after):
        return True
    if _missing(before) or _missing(after):
        return str(after).strip() == "" if _missing(before) else False
    return before == after


_FLASH_KEY = "_goal_flash"


def flash(message: str) -> None:
    """Keep a message to show after the rerun that follows a change."""
    st.session_state.setdefault(_FLASH_KEY, []).append(message)


def pop_flash() -> list[str]:
    """Messages kept by :func:`flash`, once."""
    return st.session_state.pop(_FLASH_KEY, [])


def milestones(tracked: pd.DataFrame, goal_id: str) -> pd.DataFrame:
    """Children of a level goal that are points on its path (annual ARR targets)."""
    children = tracked[
        (tracked["parent_goal_id"] == goal_id) & (tracked["relation"] == "milestone")
    ]
    return pd.DataFrame(
        {
            "month_end": pd.to_datetime(children["period_end"]),
            "target": children["target"].astype(float),
            "name": children["goal_name"],
        }
    )


def campaign_table(
    serving: pd.DataFrame, goal: pd.Series, currency: str = DEFAULT_CURRENCY
) -> pd.DataFrame:
    """Campaigns linked to a goal with their part of its metric and of its actual so far."""
    actual = goal["actual"]
    shares = [
        _share(value / actual) if value is not None and actual else "—"
        for value in serving["value"]
    ]
    return pd.DataFrame(
        {
            "Campaign serving this goal": serving["campaign_name"],
            "Channel": serving["channel"],
            goal["metric"].replace("_", " ").capitalize(): [
                _value(value, goal["unit"], currency) for value in serving["value"]
            ],
            "Share of the goal so far": shares,
        }
    )


def change_log_table(log: pd.DataFrame) -> pd.DataFrame:
    """The goal change log as readers see it."""
    return pd.DataFrame(
        {
            "When": log["changed_at"],
            "Who": log["changed_by"],
            "Goal": log["goal_id"],
            "Field": log["field"].map(store_goals.FIELD_LABELS).fillna(log["field"]),
            "Before": log["old_value"],
            "After": log["new_value"],
            "Status": log["status"].map({"loaded": "in effect", "undone": "undone"}),
        }
    )


def comment_form(url: str, goals: dict[str, str], key: str) -> None:
    """A form to add commentary ("why amber, what we are doing") to one of ``goals``."""
    with st.form(f"{key}_comment", clear_on_submit=False, border=True):
        st.markdown("**Add commentary**")
        if len(goals) > 1:
            goal_id = st.selectbox(
                "Goal",
                list(goals),
                format_func=lambda value: goals[value],
                key=f"{key}_comment_goal",
            )
        else:
            goal_id = next(iter(goals))
        text = st.text_area(
            "Why this status, and what we are doing about it",
            key=f"{key}_comment_text",
            max_chars=store_goals.MAX_COMMENT_LENGTH,
        )
        author = access.who(f"{key}_comment_author")
        submitted = st.form_submit_button("Add commentary")
    if submitted and goal_id is not None:
        try:
            store_goals.add_comment(
                store_engine(url), goal_id, text, author.label if author else "", actor=author
            )
        except ValueError as error:
            st.error(escape_markdown(str(error)), icon=":material/error:")
        else:
            flash(f"Commentary added to “{goals[goal_id]}”.")
            st.rerun()


@st.cache_data(**CACHE)
def latest_comments(url: str, version: int) -> pd.DataFrame:
    """The newest comment on each goal."""
    del version
    return store_goals.latest_comments(store_engine(url))
