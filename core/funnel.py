"""Pipeline and funnel: the numbers Sales depends on marketing for.

Pure functions over small frames the store aggregates (``core.store.pipeline``):

- :func:`stage_conversions`: lead -> MQL -> SQL -> opportunity -> won, conversion and median
  days per stage, from per-stage counts (by monthly cohort, by channel or overall), with young
  cohorts flagged as still maturing;
- :func:`pipeline_waterfall`: a window's pipeline from opportunity versions, open at start +
  created + pulled in - pushed out + increased - decreased - won - lost = open at end;
- :func:`pipeline_coverage`, :func:`required_coverage`, :func:`coverage_status`: coverage of
  the bookings still to win against the coverage a win rate requires;
- :func:`win_rates_by_channel`, :func:`sourced_pipeline_needed`;
- :func:`sla_summary`, with :func:`young_months`: the months too young to judge acceptance and
  recycling, by the rule of the funnel's young cohorts (:func:`cohort_is_maturing`).

A ratio that cannot be computed is :class:`Ratio` with ``value=None`` and a reason a reader
understands ("no bookings target is set for Q1 FY2028"), never NaN, inf or a division error.

Examples
--------
>>> coverage = pipeline_coverage(open_pipeline=3_000_000, target=2_000_000, won_to_date=500_000)
>>> round(coverage.value, 2), coverage.reason
(2.0, None)
>>> required_coverage(0.25).value
4.0
>>> coverage_status(coverage, required_coverage(0.25))
'red'
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from core.calendar import add_months, month_start
from core.formatting import DEFAULT_CURRENCY, format_money_exact

FUNNEL_STAGES: tuple[str, ...] = ("lead", "mql", "sql", "opportunity", "customer")
STAGE_LABELS = {
    "lead": "Lead",
    "mql": "MQL",
    "sql": "SQL",
    "opportunity": "Opportunity",
    "customer": "Won",
}
WATERFALL_STEPS: tuple[str, ...] = (
    "open_at_start",
    "created",
    "pulled_in",
    "pushed_out",
    "increased",
    "decreased",
    "won",
    "lost",
    "open_at_end",
)
WATERFALL_LABELS = {
    "open_at_start": "Open at start",
    "created": "Created",
    "pulled_in": "Pulled in",
    "pushed_out": "Pushed out",
    "increased": "Increased",
    "decreased": "Decreased",
    "won": "Won",
    "lost": "Lost",
    "open_at_end": "Open at end",
}
# Steps that take pipeline away: shown as negative bars, subtracted in the balance.
WATERFALL_OUTFLOWS = frozenset({"pushed_out", "decreased", "won", "lost"})
RED_SHARE_OF_REQUIRED = 0.8  # coverage below 80% of the required level is red (DOMAIN.md)


@dataclass(frozen=True)
class Ratio:
    """A ratio that may be undefined; ``reason`` says why when ``value`` is ``None``."""

    value: float | None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError(f"a ratio must be finite, got {self.value}")
        if self.value is None and not self.reason:
            raise ValueError("an undefined ratio needs a reason")


def ratio(numerator: float, denominator: float, reason_if_undefined: str) -> Ratio:
    """``numerator / denominator``, or undefined with the reason when the denominator is 0.

    >>> ratio(1, 4, "no deals").value
    0.25
    >>> ratio(1, 0, "no deals closed").reason
    'no deals closed'
    """
    if denominator == 0:
        return Ratio(None, reason_if_undefined)
    return Ratio(numerator / denominator)


# -- Coverage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage(Ratio):
    """Open pipeline over the bookings still to win in the period."""

    open_pipeline: float = 0.0
    target: float | None = None
    won_to_date: float = 0.0

    @property
    def remaining_target(self) -> float | None:
        return None if self.target is None else self.target - self.won_to_date


def pipeline_coverage(
    open_pipeline: float,
    target: float | None,
    won_to_date: float,
    period_label: str = "",
    currency: str = DEFAULT_CURRENCY,
) -> Coverage:
    """Coverage = open pipeline due in the period / (target - closed-won to date).

    Parameters
    ----------
    open_pipeline
        Amount of opportunities open now with a close date in the period.
    target
        The period's bookings target; ``None`` when no target is set.
    won_to_date
        Bookings already won in the period.
    period_label
        Names the period in the reason when the ratio is undefined.
    currency
        The store's reporting currency, for the amounts in the reason.

    Examples
    --------
    >>> pipeline_coverage(900, 1000, 700).value
    3.0
    >>> pipeline_coverage(900, 1000, 1200, "Q4 FY2027").reason
    'the Q4 FY2027 target is already met ($1,200 won against $1,000)'
    >>> pipeline_coverage(900, None, 0, "Q1 FY2028").reason
    'no bookings target is set for Q1 FY2028'
    """
    if open_pipeline < 0 or won_to_date < 0:
        raise ValueError(
            f"open pipeline and won to date must not be negative, got {open_pipeline} and "
            f"{won_to_date}"
        )
    if target is not None and target < 0:
        raise ValueError(f"a bookings target must not be negative, got {target}")
    name = period_label or "the period"
    base = {"open_pipeline": open_pipeline, "target": target, "won_to_date": won_to_date}
    if target is None or target <= 0:
        return Coverage(None, f"no bookings target is set for {name}", **base)
    remaining = target - won_to_date
    if remaining <= 0:
        return Coverage(
            None,
            f"the {name} target is already met ({format_money_exact(won_to_date, currency)} won "
            f"against {format_money_exact(target, currency)})",
            **base,
        )
    return Coverage(open_pipeline / remaining, None, **base)


def required_coverage(win_rate: float | None, window: str = "the last four quarters") -> Ratio:
    """Coverage needed to reach the target at the historical win rate: 1 / win rate.

    >>> required_coverage(0.3).value
    3.3333333333333335
    >>> required_coverage(None).reason
    'no deals closed in the last four quarters'
    >>> required_coverage(0.0).reason
    'no deal was won in the last four quarters'
    """
    if win_rate is None:
        return Ratio(None, f"no deals closed in {window}")
    if not 0 <= win_rate <= 1:
        raise ValueError(f"win rate must be between 0 and 1, got {win_rate}")
    if win_rate == 0:
        return Ratio(None, f"no deal was won in {window}")
    return Ratio(1 / win_rate)


def coverage_status(coverage: Ratio, required: Ratio) -> str | None:
    """``green`` at or above required, ``amber`` below it, ``red`` below 80% of it.

    ``None`` when either is undefined (there is nothing honest to colour).
    """
    if coverage.value is None or required.value is None:
        return None
    if coverage.value >= required.value:
        return "green"
    if coverage.value >= RED_SHARE_OF_REQUIRED * required.value:
        return "amber"
    return "red"


@dataclass(frozen=True)
class PipelineNeed:
    """What keeping coverage at the required level asks of the pipeline, and of marketing."""

    required_pipeline: float | None  # required coverage x target to go
    in_hand: float
    gap: float | None  # required - in hand, never below 0
    sourced_share: float | None  # marketing's share of pipeline created lately
    sourced_needed: float | None  # the gap x marketing's share
    reason: str | None


def sourced_pipeline_needed(
    coverage: Coverage, required: Ratio, sourced_share: float | None
) -> PipelineNeed:
    """Pipeline needed to bring coverage up to the required level, and marketing's part of it.

    Marketing's part is the gap times the share of pipeline marketing has sourced lately: the
    rest is expected from Sales and partners as before.

    Examples
    --------
    >>> need = sourced_pipeline_needed(pipeline_coverage(2_000, 1_000, 0), Ratio(3.0), 0.6)
    >>> need.required_pipeline, need.gap, need.sourced_needed
    (3000.0, 1000.0, 600.0)
    """
    if sourced_share is not None and not 0 <= sourced_share <= 1:
        raise ValueError(f"sourced share must be between 0 and 1, got {sourced_share}")
    remaining = coverage.remaining_target
    if required.value is None:
        return PipelineNeed(
            None, coverage.open_pipeline, None, sourced_share, None, required.reason
        )
    if remaining is None or remaining <= 0:
        return PipelineNeed(
            None, coverage.open_pipeline, None, sourced_share, None, coverage.reason
        )
    needed = float(required.value * remaining)
    gap = max(0.0, needed - coverage.open_pipeline)
    sourced = None if sourced_share is None else gap * sourced_share
    reason = None if sourced_share is not None else "no pipeline was created lately to share"
    return PipelineNeed(needed, coverage.open_pipeline, gap, sourced_share, sourced, reason)


# -- The pipeline waterfall ------------------------------------------------------------------

VERSION_COLUMNS = (
    "opportunity_id",
    "seen_at_start",
    "start_amount_usd",
    "start_close_date",
    "start_is_closed",
    "end_amount_usd",
    "end_close_date",
    "end_is_closed",
    "end_is_won",
)


@dataclass(frozen=True)
class Waterfall:
    """A window's pipeline from the start to the end, in dollars (every step positive)."""

    first_day: date
    last_day: date
    open_at_start: float
    created: float
    pulled_in: float
    pushed_out: float
    increased: float
    decreased: float
    won: float
    lost: float
    open_at_end: float
    moves: pd.DataFrame  # per opportunity: its step and the amounts that moved

    @property
    def imbalance(self) -> float:
        """``start + created + pulled in - pushed out + increased - decreased - won - lost -
        end``: zero, up to rounding, for every waterfall."""
        return (
            self.open_at_start
            + self.created
            + self.pulled_in
            - self.pushed_out
            + self.increased
            - self.decreased
            - self.won
            - self.lost
            - self.open_at_end
        )

    def steps(self) -> pd.DataFrame:
        """``step``, ``label``, ``amount_usd`` (outflows negative), ``is_total`` for a chart."""
        rows = []
        for step in WATERFALL_STEPS:
            amount = float(getattr(self, step))
            rows.append(
                {
                    "step": step,
                    "label": WATERFALL_LABELS[step],
                    "amount_usd": -amount if step in WATERFALL_OUTFLOWS else amount,
                    "is_total": step in ("open_at_start", "open_at_end"),
                }
            )
        return pd.DataFrame(rows)


def _in_window(days: pd.Series, first_day: date, last_day: date) -> pd.Series:
    stamps = pd.to_datetime(days)
    return (stamps >= pd.Timestamp(first_day)) & (stamps <= pd.Timestamp(last_day))


def pipeline_waterfall(versions: pd.DataFrame, first_day: date, last_day: date) -> Waterfall:
    """How a window's pipeline moved, from each opportunity's version at its start and end.

    Parameters
    ----------
    versions
        One row per opportunity that was open with a close date in the window at its start,
        or has a close date in it at its end; columns :data:`VERSION_COLUMNS`. ``start_*`` is
        the version before the window opened (``seen_at_start`` False when there was none),
        ``end_*`` the version at its end.
    first_day, last_day
        The window (a month or a quarter; the end may be the as-of day).

    Returns
    -------
    Waterfall
        Open at start: open at the start with a close date in the window. Entering: deals
        not in it at the start whose close date is in the window at the end, *created* when
        the start had no version of them (new, or first seen), *pulled in* otherwise, counted at
        their end amount. Leaving: deals in it at the start whose close date is outside the
        window at the end, *pushed out* at their start amount. Deals in it at both ends move
        by their change in amount (*increased* / *decreased*), then end *won*, *lost* or
        *open at end*. The identity balances by construction.

    Examples
    --------
    >>> versions = pd.DataFrame({
    ...     "opportunity_id": ["a", "b", "c"], "seen_at_start": [True, True, False],
    ...     "start_amount_usd": [100.0, 50.0, None],
    ...     "start_close_date": [date(2026, 12, 1), date(2026, 12, 5), None],
    ...     "start_is_closed": [False, False, None],
    ...     "end_amount_usd": [120.0, 50.0, 30.0],
    ...     "end_close_date": [date(2026, 12, 10), date(2027, 3, 1), date(2026, 12, 20)],
    ...     "end_is_closed": [True, False, False], "end_is_won": [True, False, False]})
    >>> flow = pipeline_waterfall(versions, date(2026, 11, 1), date(2027, 1, 31))
    >>> flow.open_at_start, flow.created, flow.increased, flow.won, flow.pushed_out
    (150.0, 30.0, 20.0, 120.0, 50.0)
    """
    missing = set(VERSION_COLUMNS) - set(versions.columns)
    if missing:
        raise ValueError(
            f"opportunity versions need columns {', '.join(VERSION_COLUMNS)}; missing "
            f"{', '.join(sorted(missing))}"
        )
    if last_day < first_day:
        raise ValueError(f"last_day {last_day} is before first_day {first_day}")
    frame = versions.loc[:, list(VERSION_COLUMNS)].copy()
    seen = frame["seen_at_start"].fillna(False).astype(bool)
    start_amount = frame["start_amount_usd"].fillna(0.0).astype(float)
    end_amount = frame["end_amount_usd"].fillna(0.0).astype(float)
    start_open = seen & ~frame["start_is_closed"].fillna(True).astype(bool)
    in_at_start = start_open & _in_window(frame["start_close_date"], first_day, last_day)
    has_end = frame["end_close_date"].notna()
    in_at_end = has_end & _in_window(frame["end_close_date"], first_day, last_day)
    end_closed = frame["end_is_closed"].fillna(False).astype(bool)
    end_won = end_closed & frame["end_is_won"].fillna(False).astype(bool)

    # Closed before the window opened and closed still: nothing happened to it in the window,
    # whatever its close date says (a reopened deal, open at the end, does count as pulled in).
    start_closed = seen & frame["start_is_closed"].fillna(False).astype(bool)
    in_at_end = in_at_end & ~(start_closed & end_closed)
    created = ~in_at_start & in_at_end & ~seen
    pulled_in = ~in_at_start & in_at_end & seen
    pushed_out = in_at_start & ~in_at_end
    stayed = in_at_start & in_at_end
    change = np.where(stayed, end_amount - start_amount, 0.0)

    step = np.select(
        [created, pulled_in, pushed_out, stayed],
        ["created", "pulled_in", "pushed_out", "stayed"],
        default="outside",
    )
    outcome = np.select(
        [in_at_end & end_won, in_at_end & end_closed, in_at_end],
        ["won", "lost", "open_at_end"],
        default="",
    )
    moves = pd.DataFrame(
        {
            "opportunity_id": frame["opportunity_id"].to_numpy(),
            "entry": step,
            "outcome": outcome,
            "start_amount_usd": np.where(seen, start_amount, np.nan),
            "end_amount_usd": np.where(has_end, end_amount, np.nan),
            "change_usd": change,
        }
    )
    moves = moves[moves["entry"] != "outside"].reset_index(drop=True)
    end_in = np.where(in_at_end, end_amount, 0.0)
    return Waterfall(
        first_day=first_day,
        last_day=last_day,
        open_at_start=float(start_amount[in_at_start].sum()),
        created=float(end_amount[created].sum()),
        pulled_in=float(end_amount[pulled_in].sum()),
        pushed_out=float(start_amount[pushed_out].sum()),
        increased=float(change[change > 0].sum()),
        decreased=float(-change[change < 0].sum()),
        won=float(end_in[in_at_end & end_won].sum()),
        lost=float(end_in[in_at_end & end_closed & ~end_won].sum()),
        open_at_end=float(end_in[in_at_end & ~end_closed].sum()),
        moves=moves,
    )


# -- Funnel ----------------------------------------------------------------------------------

STAGE_COUNT_COLUMNS = ("stage", "entered", "advanced", "median_days")


def stage_conversions(
    counts: pd.DataFrame,
    group_column: str | None = None,
    maturing_before: pd.Timestamp | None = None,
    typical_days: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Conversion from each funnel stage to the next, per group.

    Parameters
    ----------
    counts
        Columns ``stage`` (one of :data:`FUNNEL_STAGES`), ``entered`` (leads that reached the
        stage), ``advanced`` (of those, the ones that reached the next stage), ``median_days``
        (median days from the stage to the next, among those that advanced), and
        ``group_column`` when given (a cohort month or a channel).
    group_column
        The column to keep one row per value of; ``None`` for one row overall.
    maturing_before, typical_days
        For cohorts (``group_column`` a month): a cohort month whose end plus the stage's
        typical days to advance is after ``maturing_before`` (the as-of day) is flagged as
        still maturing in ``<stage>_maturing``: its conversion will still rise.

    Returns
    -------
    pandas.DataFrame
        Per group: ``<stage>_count`` for every stage, and for every stage but the last
        ``<stage>_conversion`` (NaN when nobody reached the stage: nothing to convert) and
        ``<stage>_median_days``. The input is not modified.

    Examples
    --------
    >>> counts = pd.DataFrame({"stage": ["lead", "mql"], "entered": [100, 40],
    ...                        "advanced": [40, 10], "median_days": [12.0, 3.5]})
    >>> row = stage_conversions(counts).iloc[0]
    >>> [float(row[name]) for name in ("lead_conversion", "mql_conversion", "mql_median_days")]
    [0.4, 0.25, 3.5]
    """
    missing = set(STAGE_COUNT_COLUMNS) - set(counts.columns)
    if group_column is not None and group_column not in counts.columns:
        missing.add(group_column)
    if missing:
        raise ValueError(f"stage counts need columns {', '.join(sorted(missing))}")
    unknown = set(counts["stage"]) - set(FUNNEL_STAGES)
    if unknown:
        raise ValueError(
            f"unknown funnel stage {', '.join(sorted(unknown))}; stages are "
            f"{', '.join(FUNNEL_STAGES)}"
        )
    frame = counts.copy()
    if group_column is None:
        frame["_group"] = "all"
        group_column = "_group"
    if (frame["advanced"] > frame["entered"]).any():
        raise ValueError("a stage cannot have more leads advancing than entering it")
    rows = []
    for group, part in frame.groupby(group_column, sort=True, dropna=False):
        by_stage = part.set_index("stage")
        row: dict[str, object] = {group_column: group}
        for index, stage in enumerate(FUNNEL_STAGES):
            entered = float(by_stage["entered"].get(stage, 0) or 0)
            row[f"{stage}_count"] = int(entered)
            if index == len(FUNNEL_STAGES) - 1:
                break
            advanced = float(by_stage["advanced"].get(stage, 0) or 0)
            row[f"{stage}_conversion"] = advanced / entered if entered else float("nan")
            median = by_stage["median_days"].get(stage, float("nan"))
            row[f"{stage}_median_days"] = float(median) if median is not None else float("nan")
            if maturing_before is not None and typical_days is not None:
                row[f"{stage}_maturing"] = cohort_is_maturing(
                    group, typical_days.get(stage, 0.0), maturing_before
                )
        rows.append(row)
    result = pd.DataFrame(rows)
    if group_column == "_group":
        result = result.drop(columns="_group")
    return result


def cohort_is_maturing(
    cohort_month: date | pd.Timestamp, wait_days: float | None, as_of: date | pd.Timestamp
) -> bool:
    """Whether a monthly cohort is too young to judge on ``as_of``.

    It is when the month's end plus ``wait_days`` (the days most leads take to reach the next
    stage, :func:`typical_days`) is after ``as_of``: its conversion will still rise. The rule of
    the funnel's cohorts and of the SLA's months alike.

    >>> cohort_is_maturing(date(2026, 9, 1), 10.0, date(2026, 10, 10))  # 30 Sep + 10 days
    False
    >>> cohort_is_maturing(date(2026, 9, 1), 10.5, date(2026, 10, 10))
    True
    """
    cohort_end = pd.Timestamp(cohort_month) + pd.offsets.MonthEnd(0)
    wait = pd.Timedelta(days=float(wait_days or 0.0))
    return bool(cohort_end + wait > pd.Timestamp(as_of))


def young_months(
    first_day: date, last_day: date, as_of: date, wait_days: float | None
) -> tuple[date, ...]:
    """First days of the calendar months of ``first_day``..``last_day`` too young to judge.

    Oldest first; a month is too young by :func:`cohort_is_maturing`, so the young months are
    always the latest ones of the window.

    >>> young_months(date(2026, 8, 1), date(2026, 10, 31), date(2026, 10, 20), 14.0)
    (datetime.date(2026, 10, 1),)
    """
    if last_day < first_day:
        raise ValueError(f"last_day {last_day} is before first_day {first_day}")
    found = []
    month = month_start(first_day)
    while month <= last_day:
        if cohort_is_maturing(month, wait_days, as_of):
            found.append(month)
        month = add_months(month, 1)
    return tuple(found)


def funnel_volumes(counts: pd.DataFrame) -> pd.DataFrame:
    """``stage``, ``label``, ``count`` and ``share_of_previous`` for a funnel chart.

    ``counts`` has ``stage`` and ``entered`` (leads reaching each stage in the window). The
    share is of the stage before in the same window (not a cohort conversion).

    >>> funnel_volumes(pd.DataFrame({"stage": ["lead", "mql"], "entered": [200, 50]}))[
    ...     "share_of_previous"].tolist()
    [nan, 0.25, 0.0, nan, nan]
    """
    by_stage = counts.set_index("stage")["entered"] if not counts.empty else pd.Series()
    volumes = [float(by_stage.get(stage, 0) or 0) for stage in FUNNEL_STAGES]
    shares = [float("nan")] + [
        after / before if before else float("nan") for before, after in itertools.pairwise(volumes)
    ]
    return pd.DataFrame(
        {
            "stage": FUNNEL_STAGES,
            "label": [STAGE_LABELS[stage] for stage in FUNNEL_STAGES],
            "count": volumes,
            "share_of_previous": shares,
        }
    )


# -- Sales alignment -------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaSummary:
    """How Sales followed up marketing's MQLs in a window."""

    mqls: int
    worked: int
    worked_within: int
    pending: int  # not worked yet, still inside the window
    accepted: int  # became SQLs
    recycled: int
    median_hours_to_work: float | None
    window_hours: int

    @property
    def within_sla(self) -> Ratio:
        """Worked within the window, over MQLs whose window has passed (or were worked)."""
        judged = self.mqls - self.pending
        return ratio(self.worked_within, judged, "no MQL whose follow-up window has passed")

    @property
    def acceptance(self) -> Ratio:
        return ratio(self.accepted, self.mqls, "no MQLs")

    @property
    def recycled_share(self) -> Ratio:
        return ratio(self.recycled, self.mqls, "no MQLs")


def sla_summary(counts: dict[str, float | int | None], window_hours: int) -> SlaSummary:
    """The SLA from the store's counts (``mqls``, ``worked``, ``worked_within``, ``pending``,
    ``accepted``, ``recycled``, ``median_hours_to_work``).

    >>> summary = sla_summary({"mqls": 10, "worked": 8, "worked_within": 6, "pending": 1,
    ...     "accepted": 4, "recycled": 2, "median_hours_to_work": 20.0}, 48)
    >>> round(summary.within_sla.value, 3), summary.acceptance.value
    (0.667, 0.4)
    """
    if window_hours <= 0:
        raise ValueError(f"the SLA window must be at least one hour, got {window_hours}")
    values = {
        name: int(counts.get(name) or 0)
        for name in ("mqls", "worked", "worked_within", "pending", "accepted", "recycled")
    }
    if values["worked_within"] > values["worked"] or values["worked"] > values["mqls"]:
        raise ValueError(
            "SLA counts are inconsistent: worked within the window <= worked <= MQLs, got "
            f"{values['worked_within']}, {values['worked']} and {values['mqls']}"
        )
    if values["pending"] > values["mqls"] - values["worked"]:
        raise ValueError(
            f"SLA counts are inconsistent: {values['pending']} MQLs pending, but only "
            f"{values['mqls'] - values['worked']} of {values['mqls']} are not worked yet"
        )
    for name in ("accepted", "recycled"):
        if values[name] > values["mqls"]:
            raise ValueError(
                f"SLA counts are inconsistent: {values[name]} {name}, more than the "
                f"{values['mqls']} MQLs"
            )
    median = counts.get("median_hours_to_work")
    return SlaSummary(
        **values,
        median_hours_to_work=None if median is None or pd.isna(median) else float(median),
        window_hours=int(window_hours),
    )


def win_rates_by_channel(closed: pd.DataFrame) -> pd.DataFrame:
    """Win rate by amount and by count, and the sales cycle, per source channel.

    ``closed`` has one row per channel: ``channel``, ``won_count``, ``lost_count``,
    ``won_usd``, ``lost_usd``, ``median_cycle_days`` (creation to close of won deals).
    Returns the same rows with ``closed_count``, ``win_rate_amount``, ``win_rate_count``
    (NaN when the channel closed nothing), sorted by won amount, largest first.

    >>> closed = pd.DataFrame({"channel": ["a"], "won_count": [1], "lost_count": [3],
    ...     "won_usd": [100.0], "lost_usd": [100.0], "median_cycle_days": [40.0]})
    >>> win_rates_by_channel(closed)[["win_rate_amount", "win_rate_count"]].iloc[0].tolist()
    [0.5, 0.25]
    """
    needed = {"channel", "won_count", "lost_count", "won_usd", "lost_usd", "median_cycle_days"}
    missing = needed - set(closed.columns)
    if missing:
        raise ValueError(f"closed deals by channel need columns {', '.join(sorted(missing))}")
    frame = closed.copy()
    frame["closed_count"] = frame["won_count"] + frame["lost_count"]
    closed_usd = frame["won_usd"] + frame["lost_usd"]
    frame["win_rate_amount"] = np.where(
        closed_usd > 0, frame["won_usd"] / closed_usd.where(closed_usd > 0, 1), np.nan
    )
    frame["win_rate_count"] = np.where(
        frame["closed_count"] > 0,
        frame["won_count"] / frame["closed_count"].where(frame["closed_count"] > 0, 1),
        np.nan,
    )
    return frame.sort_values(["won_usd", "channel"], ascending=[False, True]).reset_index(drop=True)


def typical_days(counts: pd.DataFrame, column: str = "p80_days") -> dict[str, float]:
    """Stage -> days most leads take to advance (the 80th percentile), from overall counts."""
    if counts.empty or column not in counts.columns:
        return {}
    return {
        str(stage): float(days)
        for stage, days in zip(counts["stage"], counts[column], strict=True)
        if days is not None and not pd.isna(days)
    }
