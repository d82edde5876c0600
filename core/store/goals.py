"""Goals in the store: reading them, measuring them, editing them and commenting on them.

Edits made on the Goals page are stored like an upload (source ``goals_page``): the changed goals
get new versions, so the Data page lists the edit and can undo it, and ``goal_changes`` records
who changed which field from what to what. Commentary is appended to ``goal_comments``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.access import Actor, acting
from core.calendar import add_months
from core.definitions import CAMPAIGN_METRICS, METRIC_AGGREGATIONS, MetricDefinition, in_effect
from core.goals import (
    GOAL_COLUMNS,
    GoalPlan,
    GoalRule,
    GoalTracking,
    Observed,
    contribution_shares,
    goal_problems,
    goal_relations,
    track_goal,
    trajectory,
)
from core.series import MetricSeries
from core.store import audit, metrics
from core.store.engine import ensure_writable
from core.store.ingest.bulk import UploadRecord, append_upload, page_snapshot
from core.store.schema import bump_data_version, goal_changes, goal_comments, uploads
from core.store.series import history_start, metric_series, table_first_days

EDITABLE_FIELDS = ("goal_name", "target", "owner", "direction", "parent_goal_id")
FIELD_LABELS = {
    "goal_name": "name",
    "target": "target",
    "owner": "owner",
    "direction": "direction",
    "parent_goal_id": "parent",
}
PAGE_SOURCE = "goals_page"
MAX_COMMENT_LENGTH = 2_000
SEASONAL_YEARS = 3
COMPARABLE_PERIODS = 8
TREND_POINTS = 60


class GoalEditError(ValueError):
    """Goal edits that were refused; ``problems`` says why, one sentence per goal and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------
def current_goals(engine: Engine) -> pd.DataFrame:
    """Every current goal (columns of :data:`core.goals.GOAL_COLUMNS`), by period and level."""
    columns = ", ".join(GOAL_COLUMNS)
    sql = sa.text(
        f"""
        with ordered as (
            select {columns},
                case level when 'vision' then 0 when 'annual' then 1
                           when 'quarterly' then 2 else 3 end as level_order
            from current_goals
        )
        select {columns} from ordered order by period_start, level_order, goal_id
        """  # noqa: S608 - column names come from core.goals
    )
    with engine.connect() as connection:
        frame = pd.read_sql(sql, connection)
    for column in ("period_start", "period_end"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    frame["target"] = frame["target"].astype(float)
    return frame


def goal_change_log(engine: Engine, goal_id: str | None = None, limit: int = 200) -> pd.DataFrame:
    """Edits made on the Goals page, newest first, with whether the edit was undone since."""
    query = (
        sa.select(
            goal_changes.c.changed_at,
            goal_changes.c.changed_by,
            goal_changes.c.goal_id,
            goal_changes.c.field,
            goal_changes.c.old_value,
            goal_changes.c.new_value,
            goal_changes.c.upload_id,
            uploads.c.status,
        )
        .join(uploads, uploads.c.upload_id == goal_changes.c.upload_id)
        .order_by(goal_changes.c.changed_at.desc(), goal_changes.c.change_id.desc())
        .limit(limit)
    )
    if goal_id is not None:
        query = query.where(goal_changes.c.goal_id == goal_id)
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def comments(engine: Engine, goal_id: str | None = None, limit: int = 500) -> pd.DataFrame:
    """Commentary on goals, newest first."""
    query = (
        sa.select(
            goal_comments.c.goal_id,
            goal_comments.c.comment,
            goal_comments.c.author,
            goal_comments.c.written_at,
        )
        .order_by(goal_comments.c.written_at.desc(), goal_comments.c.comment_id.desc())
        .limit(limit)
    )
    if goal_id is not None:
        query = query.where(goal_comments.c.goal_id == goal_id)
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def latest_comments(engine: Engine) -> pd.DataFrame:
    """The newest comment on each goal that has one."""
    every = comments(engine, limit=100_000)
    return every.drop_duplicates("goal_id", keep="first").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
def add_comment(
    engine: Engine,
    goal_id: str,
    text: str,
    author: str = "",
    now: datetime | None = None,
    *,
    actor: Actor | None = None,
) -> None:
    """Append a comment to a goal; ``ValueError`` naming what is missing or wrong.

    ``actor`` is the signed-in writer (editors and admins); without one, ``author`` names a
    local caller.
    """
    text, author = text.strip(), author.strip()
    if actor is None and not author:
        raise ValueError("Say who is writing: the author is required.")
    ensure_writable(engine)
    who = acting(actor, author, "comment_goal")
    now = now or datetime.now()
    if not text:
        raise ValueError("The comment is empty.")
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValueError(
            f"The comment is {len(text):,} characters; keep it to {MAX_COMMENT_LENGTH:,}."
        )
    with engine.begin() as connection:
        known = connection.execute(
            sa.text("select count(*) from current_goals where goal_id = :goal_id"),
            {"goal_id": goal_id},
        ).scalar_one()
        if not known:
            raise ValueError(f"There is no goal {goal_id!r} to comment on.")
        connection.execute(
            goal_comments.insert().values(
                goal_id=goal_id, comment=text, author=who.label, written_at=now
            )
        )
        audit.record(
            connection,
            who,
            "comment_goal",
            f"goal {goal_id}",
            f"Commented on goal {goal_id}",
            after={"comment": text},
            now=now,
        )
        bump_data_version(connection)


def _checked_value(goal_id: str, field: str, value: object) -> object:
    if field not in EDITABLE_FIELDS:
        editable = ", ".join(EDITABLE_FIELDS)
        raise GoalEditError(
            [f"Goal {goal_id}: {field} cannot be edited here; editable: {editable}"]
        )
    if field == "target":
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise GoalEditError([f"Goal {goal_id}: target must be a number, got {value!r}"])
        return float(value)
    text = None if value is None else str(value).strip()
    if field in ("goal_name", "direction") and not text:
        raise GoalEditError([f"Goal {goal_id}: {FIELD_LABELS[field]} is required"])
    return text or None


def _as_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def record_goal_edits(
    engine: Engine,
    edits: Mapping[str, Mapping[str, object]],
    author: str = "",
    now: datetime | None = None,
    *,
    actor: Actor | None = None,
) -> int:
    """Store edited goals as new versions and log each changed field; return the upload id.

    ``actor`` is the signed-in editor (editors and admins); without one, ``author`` names a
    local caller.

    ``edits`` maps a goal id to the fields changed (``goal_name``, ``target``, ``owner``,
    ``direction``, ``parent_goal_id``). The whole tree, as it would be after the edit, must
    pass :func:`core.goals.goal_problems`; otherwise :class:`GoalEditError` lists every problem
    and nothing is stored.
    """
    now = now or datetime.now()
    author = author.strip()
    if actor is None and not author:
        raise GoalEditError(["Say who is making the change: your name is required."])
    ensure_writable(engine)
    who = acting(actor, author, "edit_goals")
    author = who.label
    goals = current_goals(engine)
    by_id = goals.set_index("goal_id", drop=False)
    unknown = [goal_id for goal_id in edits if goal_id not in by_id.index]
    if unknown:
        raise GoalEditError([f"There is no goal {goal_id!r}." for goal_id in unknown])
    changes: list[dict[str, object]] = []
    after = by_id.copy()
    for goal_id, fields in edits.items():
        for field, raw in fields.items():
            value = _checked_value(goal_id, field, raw)
            old = by_id.at[goal_id, field]
            if _as_text(old) == _as_text(value):
                continue
            after.at[goal_id, field] = value
            changes.append(
                {
                    "goal_id": goal_id,
                    "field": field,
                    "old_value": _as_text(old),
                    "new_value": _as_text(value),
                }
            )
    if not changes:
        raise GoalEditError(["Nothing changed: every value is as it was."])
    names = dict(zip(after["goal_id"], after["goal_name"], strict=True))
    edited = {str(change["goal_id"]) for change in changes}
    problems = [
        problem.message(names.get(problem.goal_id))
        for problem in goal_problems(after.reset_index(drop=True))
        if problem.goal_id in edited or problem.field == "parent_goal_id"
    ]
    if problems:
        raise GoalEditError(problems)
    rows = after.loc[sorted(edited)].reset_index(drop=True)[list(GOAL_COLUMNS)]
    payload = json.dumps(changes, sort_keys=True, default=str).encode()
    with engine.begin() as connection:
        record = UploadRecord(
            file_name=f"Goals page edit ({len(changes)} change{'s' if len(changes) != 1 else ''})",
            sha256=hashlib.sha256(payload).hexdigest(),
            size_bytes=len(payload),
            source=PAGE_SOURCE,
            kind="goals",
            snapshot_date=page_snapshot(connection, "goals", now.date()),
            uploaded_by=author,
            note="; ".join(
                f"{change['goal_id']} {FIELD_LABELS[str(change['field'])]}: "
                f"{change['old_value']} -> {change['new_value']}"
                for change in changes
            )[:1000],
        )
        upload_id = append_upload(connection, record, "goals", rows, now)
        for change in changes:
            connection.execute(
                goal_changes.insert().values(
                    **change, changed_by=author, changed_at=now, upload_id=upload_id
                )
            )
        audit.record(
            connection,
            who,
            "edit_goals",
            f"upload {upload_id}",
            record.note or "",
            before={f"{c['goal_id']}.{c['field']}": c["old_value"] for c in changes},
            after={f"{c['goal_id']}.{c['field']}": c["new_value"] for c in changes},
            now=now,
        )
    return upload_id


# --------------------------------------------------------------------------------------------
# Tracking
# --------------------------------------------------------------------------------------------
def _period_months(start: date, end: date) -> int | None:
    after = end + timedelta(days=1)
    if start.day != 1 or after.day != 1:
        return None
    return (after.year - start.year) * 12 + after.month - start.month


def _shifted(start: date, end: date, months_back: int | None, days_back: int) -> tuple[date, date]:
    """The same period moved back by whole months (when both ends are month bounds) or days."""
    if months_back is not None:
        months = _period_months(start, end)
        first = add_months(start, -months_back)
        return first, add_months(first, months or 0) - timedelta(days=1)
    first = start - timedelta(days=days_back)
    return first, end - timedelta(days=days_back)


def _history(
    series: MetricSeries,
    start: date,
    end: date,
    days_gone: int,
    as_of: date,
    data_first: date,
    shifts: list[tuple[int | None, int]],
) -> tuple[tuple[float, float], ...]:
    """(value by the same day, final value) of each earlier period with complete data.

    ``shifts`` are (months back, days back) pairs; months apply when the period is whole months.
    """
    found = []
    for months_back, days_back in shifts:
        first, last = _shifted(start, end, months_back, days_back)
        if first < data_first or last > as_of or not series.covers(first, last):
            continue
        same_day = min(first + timedelta(days=max(days_gone, 1) - 1), last)
        to_date, final = series.value(first, same_day), series.value(first, last)
        if to_date is None or final is None:
            continue
        found.append((to_date, final))
    return tuple(found)


def _trend(series: MetricSeries, start: date, end: date, as_of: date) -> tuple[float, ...]:
    last = min(as_of, end)
    if last < start or not series.covers(start, last):
        return ()
    span = (last - start).days + 1
    step = 7 if span <= 190 else 30
    days = list(range(step - 1, span, step))
    if not days or days[-1] != span - 1:
        days.append(span - 1)
    days = days[-TREND_POINTS:]
    values = []
    for offset in days:
        value = series.value(start, start + timedelta(days=offset))
        if value is not None:
            values.append(float(value))
    return tuple(values)


def track_goals(
    engine: Engine,
    as_of: date,
    definitions: Mapping[str, MetricDefinition],
    goals: pd.DataFrame | None = None,
    histories: Mapping[str, Sequence[MetricDefinition]] | None = None,
) -> pd.DataFrame:
    """Every goal's tracking on ``as_of`` under ``definitions`` (one row per goal).

    With ``histories`` (every version of every metric), a goal whose metric was redefined
    since its period began is also tracked under the version in effect then, the definition
    it was set against: ``reported_version``, ``reported_status`` and ``reported_projection``
    (``None`` when the version is the same), so a status is shown "as reported / restated"
    and never flips silently.

    Columns: the goal's own (:data:`core.goals.GOAL_COLUMNS`), then ``unit``, ``aggregation``,
    ``relation``, ``elapsed_share``, ``expected_share``, ``pacing_method``, ``actual``,
    ``expected``, ``pace``, ``projection``, ``gap``, ``required_per_week``,
    ``current_per_week``, ``probability``, ``probability_note``, ``status``, ``status_share``,
    ``trend`` (a list of values to date), ``contribution`` (share of the parent's actual).
    """
    goals = current_goals(engine) if goals is None else goals
    if goals.empty:
        return pd.DataFrame(columns=[*GOAL_COLUMNS, "status"])
    rule = GoalRule.from_parameters(definitions["goal_status"].parameters)
    first_days = table_first_days(engine)
    earliest_goal = min(goals["period_start"])
    # One series per metric version and campaign, shared by every goal that reads it (the goals
    # tracked again under the version they were set against included).
    cache: dict[tuple[str, int, str | None], MetricSeries | None] = {}

    def series_of(definition: MetricDefinition, campaign: str | None) -> MetricSeries | None:
        key = (definition.metric, definition.version, campaign)
        if key not in cache:
            # From where the metric's own tables start: a short spend history does not cut
            # the bookings history that seasonal pacing learns from.
            data_first = history_start(first_days, definition.metric) or earliest_goal
            series_first = min(data_first, earliest_goal) - timedelta(days=1)
            cache[key] = metric_series(
                engine, definition, series_first, max(as_of, series_first), campaign
            )
        return cache[key]

    def series_for(metric: str, campaign: str | None) -> MetricSeries | None:
        return series_of(definitions[metric], campaign)

    rows = []
    for goal in goals.itertuples(index=False):
        metric = str(goal.metric)
        aggregation = METRIC_AGGREGATIONS.get(metric)
        if aggregation is None or metric not in definitions:
            continue  # refused on the way in; a goal stored before the rule is skipped
        campaign = (
            goal.campaign_id if goal.level == "campaign" and metric in CAMPAIGN_METRICS else None
        )
        campaign = None if campaign is None or pd.isna(campaign) else str(campaign)
        plan = GoalPlan(
            goal_id=str(goal.goal_id),
            name=str(goal.goal_name),
            level=str(goal.level),
            metric=metric,
            aggregation=aggregation,
            target=float(goal.target),
            direction="lower" if goal.direction == "lower" else "higher",
            period_start=goal.period_start,
            period_end=goal.period_end,
        )
        tracking = _track_one(
            engine,
            plan,
            campaign,
            definitions,
            as_of,
            history_start(first_days, metric),
            rule,
            series_for,
        )
        row = _row(goal, tracking, definitions[metric])
        row.update(reported_version=None, reported_status=None, reported_projection=None)
        if histories is not None and histories.get(metric):
            then = in_effect(histories[metric], min(plan.period_start, as_of))
            if then.version != definitions[metric].version:
                reported = {**definitions, metric: then}
                earlier = _track_one(
                    engine,
                    plan,
                    campaign,
                    reported,
                    as_of,
                    history_start(first_days, metric),
                    rule,
                    lambda name, chosen, used=reported: series_of(used[name], chosen),
                )
                row.update(
                    reported_version=then.version,
                    reported_status=earlier.status,
                    reported_projection=earlier.projection,
                )
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["relation"] = goal_relations(frame).to_numpy()
    frame["contribution"] = contribution_shares(frame).to_numpy()
    return frame


def _track_one(
    engine: Engine,
    plan: GoalPlan,
    campaign: str | None,
    definitions: Mapping[str, MetricDefinition],
    as_of: date,
    data_start: date | None,
    rule: GoalRule,
    series_for: object,
) -> GoalTracking:
    """One goal; ``data_start`` is the first day its metric's data covers (``None``: no data)."""
    data_first = data_start or plan.period_start
    series: MetricSeries | None = (
        None if plan.aggregation == "point" else series_for(plan.metric, campaign)  # type: ignore[operator]
    )
    start, end = plan.period_start, plan.period_end
    last = min(as_of, end)
    days_gone = max(0, (last - start).days + 1)
    actual: float | None = None
    if days_gone:
        exact = plan.aggregation in ("ratio", "point") and campaign is None
        if exact or series is None or not series.covers(start, last):
            actual = metrics.metric_value(
                engine, definitions[plan.metric], start, last, definitions
            )
        else:
            actual = series.value(start, last)
    start_level = None
    same_period: tuple[tuple[float, float], ...] = ()
    comparable: tuple[tuple[float, float], ...] = ()
    label = ""
    trend: tuple[float, ...] = ()
    if series is not None:
        before = start - timedelta(days=1)
        if plan.aggregation == "level" and series.covers(before, before):
            start_level = series.value(before, before)
        months = _period_months(start, end)
        length = (end - start).days + 1
        if length <= 366 and days_gone:
            same_period = _history(
                series,
                start,
                end,
                days_gone,
                as_of,
                data_first,
                [
                    (12 * years if months is not None else None, 364 * years)
                    for years in range(1, SEASONAL_YEARS + 1)
                ],
            )
        usable = [pair for pair in same_period if pair[0] > 0 and pair[1] > 0]
        if len(usable) >= rule.min_history:
            comparable, label = same_period, "the same period in earlier years"
        elif days_gone:
            comparable = _history(
                series,
                start,
                end,
                days_gone,
                as_of,
                data_first,
                [
                    (steps * months if months is not None else None, steps * length)
                    for steps in range(1, COMPARABLE_PERIODS + 1)
                ],
            )
            label = "the periods of the same length before"
        trend = _trend(series, start, end, as_of)
    observed = Observed(
        actual=actual,
        start_level=start_level,
        same_period_before=same_period,
        comparable=comparable,
        comparable_label=label,
        history_start=data_start,
    )
    return track_goal(plan, observed, as_of, rule, trend)


def _row(goal: object, tracking: GoalTracking, definition: MetricDefinition) -> dict[str, object]:
    row = {column: getattr(goal, column) for column in GOAL_COLUMNS}
    row.update(
        unit=definition.unit,
        aggregation=tracking.plan.aggregation,
        definition_version=definition.version,
        elapsed_share=tracking.elapsed_share,
        expected_share=tracking.expected_share,
        pacing_method=tracking.pacing_method,
        actual=tracking.actual,
        expected=tracking.expected,
        pace=tracking.pace,
        projection=tracking.projection,
        gap=tracking.gap,
        required_per_week=tracking.required_per_week,
        current_per_week=tracking.current_per_week,
        probability=tracking.probability.value,
        probability_note=tracking.probability.note,
        status=tracking.status,
        status_note=tracking.status_note,
        status_share=tracking.status_share,
        trend=list(tracking.trend),
    )
    return row


def campaigns_serving(
    engine: Engine,
    goal: Mapping[str, object],
    definitions: Mapping[str, MetricDefinition],
    as_of: date,
) -> pd.DataFrame:
    """Campaigns linked to the goal, each with the goal's metric for that campaign to date.

    Columns ``campaign_id``, ``campaign_name``, ``channel``, ``value`` (``None`` when the
    metric cannot be split by campaign).
    """
    with engine.connect() as connection:
        linked = pd.read_sql(
            sa.text(
                """
                select campaign_id, campaign_name, channel from current_campaigns
                where goal_id = :goal_id order by campaign_name
                """
            ),
            connection,
            params={"goal_id": goal["goal_id"]},
        )
    metric = str(goal["metric"])
    start, end = goal["period_start"], goal["period_end"]
    last = min(as_of, end)  # type: ignore[type-var]
    values: list[float | None] = []
    for campaign_id in linked["campaign_id"]:
        if metric not in CAMPAIGN_METRICS or last < start:  # type: ignore[operator]
            values.append(None)
            continue
        series = metric_series(engine, definitions[metric], start, last, str(campaign_id))  # type: ignore[arg-type]
        values.append(None if series is None else series.value(start, last))  # type: ignore[arg-type]
    linked["value"] = values
    return linked


def vision_trajectory(
    engine: Engine,
    goal: Mapping[str, object],
    definitions: Mapping[str, MetricDefinition],
    as_of: date,
    months_back: int = 12,
    months_ahead: int = 18,
) -> pd.DataFrame | None:
    """The last ``months_back`` and next ``months_ahead`` months of a level goal's path.

    Rows of :func:`core.goals.trajectory`; ``None`` when the goal's metric is not a level (a
    sum over years has no single path to draw) or the goal has not started.
    """
    metric = str(goal["metric"])
    start: date = goal["period_start"]  # type: ignore[assignment]
    end: date = goal["period_end"]  # type: ignore[assignment]
    if METRIC_AGGREGATIONS.get(metric) != "level" or as_of < start:
        return None
    first = min(start - timedelta(days=1), add_months(as_of.replace(day=1), -months_back))
    series = metric_series(engine, definitions[metric], first, as_of)
    if series is None:
        return None
    start_level = series.value(start - timedelta(days=1), start - timedelta(days=1)) or 0.0
    points = []
    month = add_months(as_of.replace(day=1), -months_back)
    while month <= as_of:
        month_end = min(add_months(month, 1) - timedelta(days=1), as_of)
        if month_end >= series.first_day:
            points.append(
                (add_months(month, 1) - timedelta(days=1), series.value(month_end, month_end))
            )
        month = add_months(month, 1)
    actual = pd.DataFrame(points, columns=["month_end", "value"])
    return trajectory(
        start_level,
        float(goal["target"]),
        start,
        end,
        actual,
        months_ahead,
    )
