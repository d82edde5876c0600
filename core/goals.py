"""Goals: the tree from the vision to campaigns, and how each goal is tracking.

Pure functions: plain values and DataFrames in, frozen dataclasses and DataFrames out. Reading
goals and measuring their metrics is ``core.store.goals``; this module does the arithmetic of
``../shared/DOMAIN.md`` ("Goals and pacing") and checks that a set of goals is a tree.

Quickstart
----------
A quarterly pipeline target of $1.2M, 46 days into a 92-day quarter, with $500K so far and
earlier years having reached 45% of their quarter's pipeline by the same day:

>>> from datetime import date
>>> plan = GoalPlan("G1", "Pipeline Q4", "quarterly", "sourced_pipeline", "sum",
...                 1_200_000, "higher", date(2026, 11, 1), date(2027, 1, 31))
>>> seen = Observed(actual=500_000, same_period_before=((450.0, 1000.0), (900.0, 2000.0)))
>>> tracked = track_goal(plan, seen, date(2026, 12, 16), GoalRule())
>>> round(tracked.expected), round(tracked.pace, 3), round(tracked.projection)
(540000, 0.926, 1111111)
>>> tracked.status
'amber'

Kinds of metric (``core.definitions.METRIC_AGGREGATIONS``) pace differently:

- ``sum`` (pipeline, bookings, MQLs): the target accumulates through the period, linearly or
  as the same days of earlier years did (seasonal).
- ``level`` (ARR, NRR): the value moves from where it stood when the period began towards the
  target along a constant-growth path; the projection continues the growth so far.
- ``ratio`` and ``point`` (CAC, win rate, coverage): nothing accumulates; the value to date is
  the projection and the target is expected all along.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import fmean, stdev
from typing import Literal

import pandas as pd
from scipy import stats

from core.calendar import add_months, month_start
from core.definitions import CAMPAIGN_METRICS, METRIC_AGGREGATIONS, Aggregation

Level = Literal["vision", "annual", "quarterly", "campaign"]
Direction = Literal["higher", "lower"]
Status = Literal["green", "amber", "red", "not_started", "no_data"]
Relation = Literal["rolls_up", "milestone", "contributor", "campaign", "top"]

LEVELS: tuple[Level, ...] = ("vision", "annual", "quarterly", "campaign")
LEVEL_LABELS: Mapping[str, str] = {
    "vision": "Vision",
    "annual": "Annual",
    "quarterly": "Quarterly",
    "campaign": "Campaign",
}
STATUS_LABELS: Mapping[str, str] = {
    "green": "On track",
    "amber": "At risk",
    "red": "Off track",
    "not_started": "Not started",
    "no_data": "No data",
}
RELATION_LABELS: Mapping[str, str] = {
    "rolls_up": "adds up to its parent",
    "milestone": "a milestone on its parent's path",
    "contributor": "contributes to its parent",
    "campaign": "a campaign serving its parent",
    "top": "top of the tree",
}
MIN_HISTORY = 3  # comparable past periods needed before a probability is stated
DAYS_PER_WEEK = 7


# --------------------------------------------------------------------------------------------
# Inputs and results
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GoalPlan:
    """One goal as it was set: what is measured, how much, over which days, which way is good."""

    goal_id: str
    name: str
    level: str
    metric: str
    aggregation: Aggregation
    target: float
    direction: Direction
    period_start: date
    period_end: date


@dataclass(frozen=True)
class Observed:
    """What the store measured for a goal.

    ``actual``: the metric from the period's start to the as-of day (``None`` when undefined,
    e.g. a ratio over nothing). ``start_level``: for ``level`` metrics, the value when the
    period began. ``same_period_before``: (value by the same day, final value) of the same
    period in earlier years, for seasonal pacing. ``comparable``: (value by the same day, final
    value) of comparable past periods, for the probability. ``history_start``: the first day
    the data the metric reads covers (``None`` when unknown), named when it leaves no earlier
    year to pace by.
    """

    actual: float | None
    start_level: float | None = None
    same_period_before: tuple[tuple[float, float], ...] = ()
    comparable: tuple[tuple[float, float], ...] = ()
    comparable_label: str = ""
    history_start: date | None = None


@dataclass(frozen=True)
class GoalRule:
    """The status thresholds and pacing method (the registry's ``goal_status`` definition)."""

    green_at: float = 1.0
    amber_at: float = 0.9
    pacing: Literal["seasonal", "linear"] = "seasonal"
    min_history: int = MIN_HISTORY
    # A goal whose stated chance of reaching target is below this is red, whatever its
    # projection: "at risk" with a 3% chance reads as a promise the numbers do not make.
    # None: no such rule (versions of the definition recorded before it existed).
    red_below_chance: float | None = None

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, object]) -> GoalRule:
        """The rule from a ``goal_status`` definition's parameters (pacing defaults to seasonal;
        a version without ``red_below_chance`` judges by the projection alone, as it did)."""
        pacing = str(parameters.get("pacing", "seasonal"))
        chance = parameters.get("red_below_chance")
        return cls(
            green_at=float(parameters["green_at"]),  # type: ignore[arg-type]
            amber_at=float(parameters["amber_at"]),  # type: ignore[arg-type]
            pacing="linear" if pacing == "linear" else "seasonal",
            red_below_chance=None if chance is None else float(chance),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class Probability:
    """Chance of reaching the target, or why it is not stated."""

    value: float | None
    note: str
    periods: int = 0


@dataclass(frozen=True)
class GoalTracking:
    """How a goal is tracking on the as-of day (every figure in the goal's metric unit)."""

    plan: GoalPlan
    as_of: date
    elapsed_share: float
    expected_share: float
    pacing_method: str
    actual: float | None
    expected: float | None
    pace: float | None
    projection: float | None
    gap: float | None  # projection - target: negative is short for higher-is-better
    required_per_week: float | None
    current_per_week: float | None
    probability: Probability
    status: Status
    status_share: float | None  # projection as a share of target (inverted for lower)
    trend: tuple[float, ...] = field(default_factory=tuple)
    status_note: str = "Projection against target and thresholds"  # why this status

    @property
    def has_started(self) -> bool:
        """Whether the as-of day is on or after the period's first day."""
        return self.as_of >= self.plan.period_start

    @property
    def has_ended(self) -> bool:
        """Whether the period's last day is on or before the as-of day."""
        return self.as_of >= self.plan.period_end


# --------------------------------------------------------------------------------------------
# Pacing arithmetic
# --------------------------------------------------------------------------------------------
def period_days(period_start: date, period_end: date) -> int:
    """Days in the period, both ends included."""
    return (period_end - period_start).days + 1


def elapsed_days(period_start: date, period_end: date, as_of: date) -> int:
    """Days of the period up to and including ``as_of`` (0 before it starts)."""
    if as_of < period_start:
        return 0
    return min(as_of, period_end).toordinal() - period_start.toordinal() + 1


def elapsed_share(period_start: date, period_end: date, as_of: date) -> float:
    """Share of the period's days elapsed by the end of ``as_of``, from 0 to 1.

    Examples
    --------
    >>> elapsed_share(date(2024, 2, 1), date(2024, 2, 29), date(2024, 2, 15))  # leap February
    0.5172413793103449
    """
    if period_end < period_start:
        raise ValueError(f"period ends {period_end} before it starts {period_start}")
    return elapsed_days(period_start, period_end, as_of) / period_days(period_start, period_end)


def seasonal_share(same_period_before: Sequence[tuple[float, float]]) -> float | None:
    """Average share of the final value reached by the same day in earlier years.

    Years whose final value is zero say nothing about the season and are left out; ``None``
    when no year is left.

    Examples
    --------
    >>> seasonal_share([(40.0, 100.0), (60.0, 120.0)])
    0.45
    """
    shares = [to_date / final for to_date, final in same_period_before if final > 0]
    if not shares:
        return None
    return min(1.0, max(0.0, fmean(shares)))


def expected_to_date(target: float, share: float) -> float:
    """Target times the share of it expected by now."""
    return target * share


def pace(actual: float | None, expected: float | None) -> float | None:
    """Actual to date over expected to date (1 = on plan); ``None`` when nothing is expected."""
    if actual is None or expected is None or expected == 0:
        return None
    return actual / expected


def run_rate_projection(actual: float | None, share: float) -> float | None:
    """End-of-period value if the rest of the period goes as it has: actual / share."""
    if actual is None or share <= 0:
        return None
    return actual / share


def level_path(start_level: float, target: float, share: float) -> float:
    """The level expected after ``share`` of the period on a constant-growth path to target.

    Linear when either end is not positive (growth rates need positive levels).

    Examples
    --------
    >>> round(level_path(100.0, 121.0, 0.5), 6)  # 10% a half-period, twice
    110.0
    """
    if start_level > 0 and target > 0:
        return start_level * (target / start_level) ** share
    return start_level + (target - start_level) * share


def level_projection(start_level: float, actual: float, share: float) -> float | None:
    """End-of-period level if the growth so far continues at the same rate."""
    if share <= 0:
        return None
    if start_level > 0 and actual > 0:
        return start_level * (actual / start_level) ** (1 / share)
    return start_level + (actual - start_level) / share


def required_run_rate(target: float, actual: float | None, remaining_days: int) -> float | None:
    """What is still needed, per day, over the days left (``None`` once the period is over)."""
    if remaining_days <= 0:
        return None
    return (target - (actual or 0.0)) / remaining_days


def status_share(projection: float | None, target: float, direction: Direction) -> float | None:
    """The projection as a share of target, inverted when lower is better (above 1 is good)."""
    if projection is None:
        return None
    if direction == "higher":
        return projection / target if target else None
    if projection <= 0:
        return math.inf
    return target / projection


def goal_status(
    projection: float | None, target: float, direction: Direction, green_at: float, amber_at: float
) -> Status:
    """Red, amber or green from the projection against the target and the thresholds.

    Examples
    --------
    >>> goal_status(95.0, 100.0, "higher", 1.0, 0.9), goal_status(95.0, 100.0, "lower", 1.0, 0.9)
    ('amber', 'green')
    """
    share = status_share(projection, target, direction)
    if share is None:
        return "no_data"
    if share >= green_at - 1e-12:
        return "green"
    if share >= amber_at - 1e-12:
        return "amber"
    return "red"


def chance_status(
    status: Status, chance: float | None, red_below_chance: float | None
) -> tuple[Status, str]:
    """The status the projection gave, made to agree with the chance of reaching target.

    Green or amber with a stated chance below ``red_below_chance`` is red: the two never say
    different things. Returns the status and why, in words.

    >>> chance_status("amber", 0.03, 0.1)
    ('red', 'Red: a 3% chance of reaching target, below the 10% the rule allows for amber or green')
    >>> chance_status("amber", 0.4, 0.1)[0], chance_status("amber", None, 0.1)[0]
    ('amber', 'amber')
    >>> chance_status("green", 0.03, None)[0]  # a version of the rule without the threshold
    'green'
    """
    reason = "Projection against target and thresholds"
    if (
        status in ("green", "amber")
        and chance is not None
        and red_below_chance is not None
        and chance < red_below_chance
    ):
        return "red", (
            f"Red: a {_percent(chance)} chance of reaching target, below the "
            f"{_percent(red_below_chance)} the rule allows for amber or green"
        )
    return status, reason


def _percent(share: float) -> str:
    """``3%``, ``0.4%`` (enough digits that a small chance is never shown as 0%)."""
    return f"{share:.0%}" if share >= 0.01 or share == 0 else f"{share:.1%}"


def reach_probability(
    actual: float | None,
    target: float,
    direction: Direction,
    comparable: Sequence[tuple[float, float]],
    min_history: int = MIN_HISTORY,
    label: str = "",
) -> Probability:
    """Chance the final value reaches the target, from how comparable periods finished.

    Each comparable past period grew from its value by the same day to its final value by a
    ratio; the final value here is ``actual`` times such a ratio. The log-ratios are treated as
    a sample from a normal distribution of unknown spread, so the predictive distribution is a
    Student t with ``n - 1`` degrees of freedom, widened by ``sqrt(1 + 1/n)``.

    Examples
    --------
    >>> p = reach_probability(100.0, 200.0, "higher", [(50, 100), (40, 100), (60, 100)])
    >>> round(p.value, 3), p.periods
    (0.52, 3)
    """
    usable = [(to_date, final) for to_date, final in comparable if to_date > 0 and final > 0]
    where = f" ({label})" if label else ""
    if len(usable) < min_history:
        return Probability(
            None,
            f"Too little history: {len(usable)} comparable past period"
            f"{'' if len(usable) == 1 else 's'} with data{where}, {min_history} needed.",
            len(usable),
        )
    if actual is None or actual <= 0 or target <= 0:
        return Probability(None, "Nothing to project from yet (no value to date).", len(usable))
    logs = [math.log(final / to_date) for to_date, final in usable]
    needed = math.log(target / actual)
    centre = fmean(logs)
    spread = stdev(logs) * math.sqrt(1 + 1 / len(logs))
    if spread == 0:
        reached = centre >= needed if direction == "higher" else centre <= needed
        chance = 1.0 if reached else 0.0
    else:
        below = float(stats.t.cdf((needed - centre) / spread, df=len(logs) - 1))
        chance = 1.0 - below if direction == "higher" else below
    note = f"From how {len(usable)} comparable past periods finished{where}."
    return Probability(chance, note, len(usable))


# --------------------------------------------------------------------------------------------
# One goal
# --------------------------------------------------------------------------------------------
def _pacing_share(
    plan: GoalPlan, observed: Observed, share: float, rule: GoalRule
) -> tuple[float, str]:
    if plan.aggregation != "sum":
        methods = {
            "level": "constant growth from the level at the start",
            "ratio": "the ratio to date against the target",
            "point": "the value to date against the target",
        }
        return share, methods[plan.aggregation]
    if rule.pacing == "seasonal" and 0 < share < 1:
        seasonal = seasonal_share(observed.same_period_before)
        if seasonal is not None and seasonal > 0:
            years = sum(1 for _to_date, final in observed.same_period_before if final > 0)
            return seasonal, f"seasonal ({years} earlier year{'s' if years != 1 else ''})"
        return share, f"linear ({_no_season_reason(plan, observed.history_start)})"
    return share, "linear"


def _no_season_reason(plan: GoalPlan, history_start: date | None) -> str:
    reason = "no earlier year to learn the season from"
    if history_start is not None and history_start > add_months(plan.period_start, -12):
        return f"its data starts {history_start.day} {history_start:%b %Y}: {reason}"
    return reason


def track_goal(
    plan: GoalPlan,
    observed: Observed,
    as_of: date,
    rule: GoalRule,
    trend: Sequence[float] = (),
) -> GoalTracking:
    """Expected to date, pace, projection, gap, run rates, probability and status of a goal.

    Examples
    --------
    >>> plan = GoalPlan("G", "MQLs", "quarterly", "mqls", "sum", 900, "higher",
    ...                 date(2024, 2, 1), date(2024, 4, 30))  # 90 days (leap year)
    >>> t = track_goal(plan, Observed(actual=450), date(2024, 3, 16), GoalRule(pacing="linear"))
    >>> t.elapsed_share, t.expected, t.pace, t.projection, t.status
    (0.5, 450.0, 1.0, 900.0, 'green')
    """
    if plan.period_end < plan.period_start:
        raise ValueError(
            f"goal {plan.goal_id} ends on {plan.period_end} before it starts on {plan.period_start}"
        )
    share = elapsed_share(plan.period_start, plan.period_end, as_of)
    total_days = period_days(plan.period_start, plan.period_end)
    days_gone = elapsed_days(plan.period_start, plan.period_end, as_of)
    remaining = total_days - days_gone
    actual = observed.actual
    expected_share, method = _pacing_share(plan, observed, share, rule)
    start_level = observed.start_level if observed.start_level is not None else 0.0
    required = required_run_rate(plan.target, actual, remaining)
    required_per_week = (
        required * DAYS_PER_WEEK
        if required is not None and plan.aggregation in ("sum", "level")
        else None
    )
    if days_gone == 0:
        opening = plan.aggregation == "level" and observed.start_level is not None
        return GoalTracking(
            plan=plan,
            as_of=as_of,
            elapsed_share=0.0,
            expected_share=0.0,
            pacing_method=method,
            actual=None,
            expected=start_level if opening else None,
            pace=None,
            projection=None,
            gap=None,
            required_per_week=(
                (plan.target - start_level) / total_days * DAYS_PER_WEEK
                if opening
                else required_per_week
            ),
            current_per_week=None,
            probability=Probability(None, "The period has not started."),
            status="not_started",
            status_share=None,
            trend=tuple(trend),
        )
    if plan.aggregation == "sum":
        expected = expected_to_date(plan.target, expected_share)
        projection = run_rate_projection(actual, expected_share)
        current = (actual or 0.0) / days_gone * DAYS_PER_WEEK
    elif plan.aggregation == "level":
        expected = level_path(start_level, plan.target, share)
        projection = None if actual is None else level_projection(start_level, actual, share)
        current = None if actual is None else (actual - start_level) / days_gone * DAYS_PER_WEEK
    else:
        expected = plan.target
        projection = actual
        current = None
    if share >= 1:
        projection = actual
        reached = status_share(actual, plan.target, plan.direction)
        probability = Probability(
            None if reached is None else float(reached >= 1 - 1e-12),
            "The period is over: the target was "
            + ("reached." if reached is not None and reached >= 1 - 1e-12 else "missed."),
        )
    else:
        probability = reach_probability(
            actual,
            plan.target,
            plan.direction,
            observed.comparable,
            rule.min_history,
            observed.comparable_label,
        )
    status = goal_status(projection, plan.target, plan.direction, rule.green_at, rule.amber_at)
    status, note = chance_status(status, probability.value, rule.red_below_chance)
    return GoalTracking(
        plan=plan,
        as_of=as_of,
        elapsed_share=share,
        expected_share=expected_share,
        pacing_method=method,
        actual=actual,
        expected=expected,
        pace=pace(actual, expected),
        projection=projection,
        gap=None if projection is None else projection - plan.target,
        required_per_week=required_per_week,
        current_per_week=current,
        probability=probability,
        status=status,
        status_share=status_share(projection, plan.target, plan.direction),
        trend=tuple(trend),
        status_note=note,
    )


# --------------------------------------------------------------------------------------------
# The tree
# --------------------------------------------------------------------------------------------
GOAL_COLUMNS = (
    "goal_id",
    "parent_goal_id",
    "level",
    "goal_name",
    "metric",
    "target",
    "period_label",
    "period_start",
    "period_end",
    "owner",
    "direction",
    "campaign_id",
)


@dataclass(frozen=True)
class GoalProblem:
    """Something wrong with one goal, said so its owner can fix it."""

    goal_id: str
    field: str
    value: str
    problem: str

    def message(self, goal_name: str | None = None) -> str:
        """``Goal G-1 (Pipeline Q4): target 0 must be above zero ...``."""
        named = f"{self.goal_id} ({goal_name})" if goal_name else self.goal_id
        return f"Goal {named}: {self.field} {self.problem}"


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _as_day(value: object) -> date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def goal_problems(
    goals: pd.DataFrame, metrics: Mapping[str, Aggregation] = METRIC_AGGREGATIONS
) -> list[GoalProblem]:
    """Every reason the goals are not a valid tree, goal by goal (empty when they are).

    Checks: known level, metric and direction; a target above zero when higher is better (and
    not below zero otherwise); the period ending on or after it starts; the parent existing;
    no goal its own ancestor; campaign goals measuring something a campaign can be measured on.
    """
    problems: list[GoalProblem] = []
    ids = {str(goal_id) for goal_id in goals["goal_id"]}
    parents: dict[str, str | None] = {}
    for row in goals.itertuples(index=False):
        goal_id = str(row.goal_id)
        parent = _text(row.parent_goal_id)
        parents[goal_id] = parent
        level = _text(row.level)
        if level not in LEVELS:
            problems.append(
                GoalProblem(
                    goal_id, "level", str(level), f"“{level}” is not one of {', '.join(LEVELS)}"
                )
            )
        metric = _text(row.metric)
        if metric not in metrics:
            problems.append(
                GoalProblem(
                    goal_id,
                    "metric",
                    str(metric),
                    f"“{metric}” is not a metric in the definitions registry (known: "
                    f"{', '.join(sorted(metrics))})",
                )
            )
        elif level == "campaign" and metric not in CAMPAIGN_METRICS:
            problems.append(
                GoalProblem(
                    goal_id,
                    "metric",
                    metric,
                    f"“{metric}” cannot be measured for one campaign; campaign goals may "
                    f"measure {', '.join(sorted(CAMPAIGN_METRICS))}",
                )
            )
        direction = _text(row.direction)
        if direction not in ("higher", "lower"):
            problems.append(
                GoalProblem(goal_id, "direction", str(direction), "must be higher or lower")
            )
        target = row.target
        if target is None or (isinstance(target, float) and math.isnan(target)):
            problems.append(GoalProblem(goal_id, "target", "", "is required"))
        elif direction == "higher" and float(target) <= 0:
            problems.append(
                GoalProblem(
                    goal_id,
                    "target",
                    f"{float(target):,.2f}",
                    f"{float(target):,.2f} must be above zero for a higher-is-better goal",
                )
            )
        elif direction == "lower" and float(target) < 0:
            problems.append(
                GoalProblem(goal_id, "target", f"{float(target):,.2f}", "must not be below zero")
            )
        start, end = _as_day(row.period_start), _as_day(row.period_end)
        if start is None or end is None:
            problems.append(GoalProblem(goal_id, "period", "", "needs a start and an end date"))
        elif end < start:
            problems.append(
                GoalProblem(
                    goal_id,
                    "period_end",
                    end.isoformat(),
                    f"{end.isoformat()} is before the start {start.isoformat()}",
                )
            )
        if parent is not None and parent not in ids:
            problems.append(
                GoalProblem(
                    goal_id,
                    "parent_goal_id",
                    parent,
                    f"“{parent}” is not a goal: the parent must exist",
                )
            )
        if parent == goal_id:
            problems.append(
                GoalProblem(goal_id, "parent_goal_id", parent, "is the goal itself: a cycle")
            )
    problems.extend(_cycle_problems(parents))
    return problems


def _cycle_problems(parents: Mapping[str, str | None]) -> list[GoalProblem]:
    """One problem per goal on a cycle of parents longer than one (self-parents are separate)."""
    problems = []
    on_cycle: set[str] = set()
    for start in parents:
        path: list[str] = []
        seen: set[str] = set()
        current: str | None = start
        while current is not None and current in parents and current not in seen:
            seen.add(current)
            path.append(current)
            current = parents[current]
        if current is not None and current in seen and current == start and len(path) > 1:
            on_cycle.update(path)
    for goal_id in sorted(on_cycle):
        cycle = [goal_id]
        current = parents[goal_id]
        while current is not None and current != goal_id:
            cycle.append(current)
            current = parents[current]
        problems.append(
            GoalProblem(
                goal_id,
                "parent_goal_id",
                str(parents[goal_id]),
                "makes a cycle: " + " → ".join([*cycle, goal_id]),
            )
        )
    return problems


def goal_relations(
    goals: pd.DataFrame, metrics: Mapping[str, Aggregation] = METRIC_AGGREGATIONS
) -> pd.Series:
    """How each goal relates to its parent, indexed by goal id.

    ``rolls_up``: same additive metric as the parent, a part of its period (quarters of a year);
    ``milestone``: same metric that does not add up (ARR at the end of each year of the vision);
    ``campaign``: a campaign goal; ``contributor``: a different metric; ``top``: no parent.
    """
    by_id = goals.set_index("goal_id")
    relations = {}
    for row in goals.itertuples(index=False):
        parent_id = _text(row.parent_goal_id)
        if parent_id is None or parent_id not in by_id.index:
            relations[row.goal_id] = "top"
            continue
        parent = by_id.loc[parent_id]
        if row.level == "campaign":
            relations[row.goal_id] = "campaign"
        elif row.metric != parent["metric"]:
            relations[row.goal_id] = "contributor"
        elif metrics.get(str(row.metric)) == "sum":
            relations[row.goal_id] = "rolls_up"
        else:
            relations[row.goal_id] = "milestone"
    return pd.Series(relations, name="relation", dtype="object").reindex(goals["goal_id"])


def roll_up(tracked: pd.DataFrame) -> pd.DataFrame:
    """Per parent goal, what its rolling-up children add to, beside its own target and actual.

    ``tracked`` has ``goal_id``, ``parent_goal_id``, ``relation``, ``target`` and ``actual``.
    Returns one row per parent with rolling-up children: ``children``, ``children_target``,
    ``children_actual``, ``target_covered`` (children's targets over the parent's target) and
    ``actual_covered`` (children's actuals over the parent's actual).

    Examples
    --------
    >>> frame = pd.DataFrame({"goal_id": ["Y", "Q1", "Q2"], "parent_goal_id": [None, "Y", "Y"],
    ...     "relation": ["top", "rolls_up", "rolls_up"], "target": [100.0, 40.0, 50.0],
    ...     "actual": [70.0, 45.0, 25.0]})
    >>> roll_up(frame).iloc[0].to_dict()["target_covered"]
    0.9
    """
    children = tracked[tracked["relation"] == "rolls_up"]
    columns = [
        "goal_id",
        "children",
        "children_target",
        "children_actual",
        "target_covered",
        "actual_covered",
    ]
    if children.empty:
        return pd.DataFrame(columns=columns)
    sums = children.groupby("parent_goal_id").agg(
        children=("goal_id", "size"),
        children_target=("target", "sum"),
        children_actual=("actual", lambda values: values.sum(min_count=1)),
    )
    parents = tracked.set_index("goal_id")[["target", "actual"]]
    joined = sums.join(parents, how="left")
    joined["target_covered"] = joined["children_target"] / joined["target"].where(
        joined["target"] != 0
    )
    joined["actual_covered"] = joined["children_actual"] / joined["actual"].where(
        joined["actual"] != 0
    )
    joined.index.name = "goal_id"
    return joined.reset_index()[columns]


def contribution_shares(tracked: pd.DataFrame) -> pd.Series:
    """Each rolling-up or campaign goal's actual as a share of its parent's actual."""
    actual = tracked.set_index("goal_id")["actual"]
    parent_actual = tracked["parent_goal_id"].map(actual)
    share = tracked["actual"] / parent_actual.where(parent_actual > 0)
    share = share.where(tracked["relation"].isin(["rolls_up", "campaign"]))
    return pd.Series(share.to_numpy(), index=tracked["goal_id"], name="contribution")


def ancestors(goals: pd.DataFrame, goal_id: str) -> list[str]:
    """The goal's parent, grandparent and so on up to the top (cycles stop the walk)."""
    parents = dict(zip(goals["goal_id"], goals["parent_goal_id"], strict=True))
    chain: list[str] = []
    current = _text(parents.get(goal_id))
    while current is not None and current not in chain and current != goal_id:
        chain.append(current)
        current = _text(parents.get(current))
    return chain


def active_on(goals: pd.DataFrame, day: date) -> pd.Series:
    """Whether each goal's period contains ``day``."""
    start = pd.to_datetime(goals["period_start"]).dt.date
    end = pd.to_datetime(goals["period_end"]).dt.date
    return (start <= day) & (end >= day)


def trajectory(
    start_level: float,
    target: float,
    period_start: date,
    period_end: date,
    actual_by_month: pd.DataFrame,
    months_ahead: int = 18,
) -> pd.DataFrame:
    """Required, actual and projected path of a level goal (e.g. ARR toward the vision).

    ``actual_by_month`` has ``month_end`` and ``value`` (the level at each month's end, up to the
    as-of month). The required path grows at the constant rate that reaches the target at the
    period's end; the projection continues the growth rate of the last 12 months (or of as many
    as there are) for ``months_ahead`` months. Returns long rows: ``month_end``, ``path``
    (``Required``, ``Actual``, ``Projected``) and ``value``.
    """
    rows: list[tuple[date, str, float]] = []
    actual = actual_by_month.dropna(subset=["value"]).sort_values("month_end")
    months = list(actual["month_end"])
    if not months:
        return pd.DataFrame(columns=["month_end", "path", "value"])
    last_month, last_value = months[-1], float(actual["value"].iloc[-1])
    horizon = _month_end(add_months(last_month, months_ahead))
    every_month = []
    month = months[0]
    while month <= min(horizon, _month_end(period_end)):
        every_month.append(month)
        month = _month_end(add_months(month, 1))
    for month in every_month:
        share = elapsed_share(period_start, period_end, month)
        rows.append((month, "Required", level_path(start_level, target, share)))
    for month, value in zip(months, actual["value"], strict=True):
        rows.append((month, "Actual", float(value)))
    back = actual[actual["month_end"] <= _month_end(add_months(last_month, -12))]
    base_month, base_value = (
        (back["month_end"].iloc[-1], float(back["value"].iloc[-1]))
        if not back.empty
        else (months[0], float(actual["value"].iloc[0]))
    )
    steps = _months_between(base_month, last_month)
    monthly = (
        (last_value / base_value) ** (1 / steps)
        if steps and base_value > 0 and last_value > 0
        else 1.0
    )
    rows.append((last_month, "Projected", last_value))
    month, value = last_month, last_value
    while month < horizon:
        month = _month_end(add_months(month, 1))
        value *= monthly
        rows.append((month, "Projected", value))
    return pd.DataFrame(rows, columns=["month_end", "path", "value"])


def _month_end(day: date) -> date:
    return add_months(month_start(day), 1) - timedelta(days=1)


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def goals_for_period(goals: pd.DataFrame, first_day: date, last_day: date) -> pd.DataFrame:
    """The goals a review of ``first_day``..``last_day`` (a quarter) looks at, in tree order.

    The vision and annual goals whose period contains the quarter, the quarterly goals of the
    quarter itself, and campaign goals whose period lies inside it.
    """
    start = pd.to_datetime(goals["period_start"]).dt.date
    end = pd.to_datetime(goals["period_end"]).dt.date
    containing = (start <= first_day) & (end >= last_day)
    inside = (start >= first_day) & (end <= last_day)
    level = goals["level"]
    keep = (level.isin(["vision", "annual"]) & containing) | (
        level.isin(["quarterly", "campaign"]) & inside
    )
    return in_tree_order(goals[keep])


def in_tree_order(goals: pd.DataFrame) -> pd.DataFrame:
    """Goals ordered parent first, children under it (by level, then id); adds ``depth``.

    A goal whose parent is not among ``goals`` starts a branch of its own.
    """
    ids = set(goals["goal_id"])
    children: dict[str | None, list[str]] = {}
    rank = {level: index for index, level in enumerate(LEVELS)}
    ordered = goals.assign(_rank=goals["level"].map(rank).fillna(len(LEVELS)))
    ordered = ordered.sort_values(["_rank", "goal_id"])
    for goal_id, parent in zip(ordered["goal_id"], ordered["parent_goal_id"], strict=True):
        key = _text(parent)
        children.setdefault(key if key in ids else None, []).append(goal_id)
    sequence: list[tuple[str, int]] = []
    seen: set[str] = set()

    def visit(goal_id: str, depth: int) -> None:
        if goal_id in seen:
            return
        seen.add(goal_id)
        sequence.append((goal_id, depth))
        for child in children.get(goal_id, []):
            visit(child, depth + 1)

    for root in children.get(None, []):
        visit(root, 0)
    for goal_id in ordered["goal_id"]:  # goals on a cycle have no root: list them anyway
        visit(goal_id, 0)
    position = {goal_id: index for index, (goal_id, _depth) in enumerate(sequence)}
    depth = dict(sequence)
    result = goals.assign(depth=goals["goal_id"].map(depth).astype(int))
    return result.iloc[result["goal_id"].map(position).argsort()].reset_index(drop=True)
