"""The budget-cut simulator: what a change in spend costs in pipeline, bookings and revenue.

A :class:`ScenarioModel` is prepared once per data version from the fitted response curves
(:mod:`core.response`), the spend plan over the next 18 months, the historical win rate per
channel and the empirical spread of days from an opportunity's creation to its close. After
that, :func:`simulate` is pure vectorised numpy: no refit and no database, so a slider move is
answered in milliseconds.

The chain, for every curve draw (draw 0 is the point estimate, the others give the range)::

    spend'(t)      = plan(t) x (1 + change) inside the window, plan(t) outside it
    pipeline(t)    = season(t) x beta x hill(adstock(spend')(t))      per channel, carryover kept
    bookings(t)    = sum over c of win_rate(c) x (pipeline_c * close_lag)(t)
    new ARR        = bookings (new-business bookings are annual contract value)
    revenue(month) = every new ARR booked up to that month / 12

Losses are ``base - scenario``: positive when a cut costs something, negative when more spend
brings more. Ranges are the 10th and 90th percentiles over the draws, stretched to include
the point estimate when the bootstrap draws all sit to one side of it (a skewed fit), so a
range never excludes the number printed beside it.

Quickstart
----------
>>> import numpy as np
>>> from datetime import date
>>> from core.response import fit_response
>>> weeks = np.arange("2024-01-01", "2026-11-02", 7, dtype="datetime64[D]")
>>> spend = 10_000 * np.exp(np.random.default_rng(0).normal(0, 0.3, len(weeks)))
>>> curve = fit_response("events", weeks, spend, 5 * spend, draws=5)
>>> model = build_model(
...     [curve], weeks, spend[None, :], date(2026, 11, 2), None,
...     win_rates={"events": (0.25, 400)}, close_lag=np.array([0.0, 1.0]),
... )
>>> result = simulate(model, {"events": -0.3}, start_week=0, weeks=13)
>>> round(result.savings)
42760
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from core.calendar import FiscalCalendar, add_months
from core.formatting import DEFAULT_CURRENCY, format_money
from core.response import ResponseCurve, adstock, hill, season_features

HORIZON_MONTHS = 18
LOW_PERCENTILE, HIGH_PERCENTILE = 10, 90
MIN_CHANGE, MAX_CHANGE = -1.0, 0.5
CUT_STEP = 0.01  # resolution of the least-harm search, as a share of a channel's planned spend
MEASURES = ("pipeline", "bookings", "new_arr", "revenue")


@dataclass(frozen=True, eq=False)
class ScenarioModel:
    """Everything :func:`simulate` needs, prepared once (arrays are not to be modified)."""

    channels: tuple[str, ...]
    curves: tuple[ResponseCurve, ...]
    week_starts: np.ndarray  # (H,) Mondays of the horizon
    plan: np.ndarray  # (C, H) planned weekly spend
    base_adstock: np.ndarray  # (C, D, H) adstock under the plan, carrying over history
    season: np.ndarray  # (C, D, H) weekly pipeline ceiling, season included
    base_pipeline: np.ndarray  # (C, D, H) pipeline under the plan
    win_rate: np.ndarray  # (C, D) share of pipeline dollars that close won
    close_lag: np.ndarray  # (L,) share of won dollars closing 0, 1, ... weeks after creation
    months: tuple[date, ...]  # (M,) first day of each month of the horizon
    week_month: np.ndarray  # (H, M) share of each week's days in each month
    this_quarter: tuple[str, date, date]  # label, first and last day
    next_quarter: tuple[str, date, date]

    @property
    def draws(self) -> int:
        return int(self.base_adstock.shape[1])

    @property
    def horizon_start(self) -> date:
        return self.week_starts[0].astype(object)

    def window_spend(self, start_week: int, weeks: int) -> np.ndarray:
        """Planned spend per channel inside a window of weeks."""
        return self.plan[:, start_week : start_week + weeks].sum(axis=1)


@dataclass(frozen=True)
class Outcome:
    """One measure's loss over the horizon, with its range, per quarter and per month."""

    loss: float
    low: float
    high: float
    this_quarter: tuple[float, float, float]  # loss, low, high
    next_quarter: tuple[float, float, float]
    monthly: tuple[tuple[float, float, float], ...]  # per month of the horizon

    def as_dict(self, months: Sequence[date]) -> dict[str, object]:
        return {
            "loss": self.loss,
            "low": self.low,
            "high": self.high,
            "this_quarter": dict(zip(("loss", "low", "high"), self.this_quarter, strict=True)),
            "next_quarter": dict(zip(("loss", "low", "high"), self.next_quarter, strict=True)),
            "monthly": [
                {"month": month.isoformat()[:7], "loss": loss, "low": low, "high": high}
                for month, (loss, low, high) in zip(months, self.monthly, strict=True)
            ],
        }


@dataclass(frozen=True)
class ScenarioResult:
    """What a scenario saves and costs."""

    changes: Mapping[str, float]  # channel -> change in spend, -0.3 is a 30% cut
    start_week: int
    weeks: int
    window: tuple[date, date]  # first and last day of the changed spend
    savings: float  # spend removed (negative when spend is added)
    savings_by_channel: Mapping[str, float]
    pipeline: Outcome
    bookings: Outcome
    new_arr: Outcome
    revenue: Outcome
    # Pipeline created before next quarter starts that would have closed in it (coverage).
    pipeline_closing_next_quarter: tuple[float, float, float]
    months: tuple[date, ...]

    def outcome(self, measure: str) -> Outcome:
        if measure not in MEASURES:
            raise ValueError(f"measure must be one of {', '.join(MEASURES)}, got {measure!r}")
        return getattr(self, measure)

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready dictionary (the CLI's ``--json``)."""
        return {
            "changes": dict(self.changes),
            "window": {"first": self.window[0].isoformat(), "last": self.window[1].isoformat()},
            "weeks": self.weeks,
            "savings": self.savings,
            "savings_by_channel": dict(self.savings_by_channel),
            **{measure: self.outcome(measure).as_dict(self.months) for measure in MEASURES},
            "pipeline_closing_next_quarter": dict(
                zip(("loss", "low", "high"), self.pipeline_closing_next_quarter, strict=True)
            ),
        }


# --------------------------------------------------------------------------------------------
# Preparing the model
# --------------------------------------------------------------------------------------------
def horizon_weeks(first_monday: date, months: int = HORIZON_MONTHS) -> np.ndarray:
    """Mondays from ``first_monday`` until the end of the ``months``-th month it starts in."""
    if first_monday.weekday() != 0:
        raise ValueError(f"the horizon must start on a Monday, got {first_monday.isoformat()}")
    end = add_months(first_monday.replace(day=1), months)
    count = (end - first_monday).days // 7 + (1 if (end - first_monday).days % 7 else 0)
    return np.arange(count) * np.timedelta64(7, "D") + np.datetime64(first_monday, "D")


def _week_month_shares(week_starts: np.ndarray, months: Sequence[date]) -> np.ndarray:
    days = (week_starts[:, None] + np.arange(7)[None, :]).astype("datetime64[M]")
    month_keys = np.array([np.datetime64(month, "M") for month in months])
    return (days[:, :, None] == month_keys[None, None, :]).mean(axis=1)


def _adstock_draws(spend: np.ndarray, curve: ResponseCurve, initial: np.ndarray) -> np.ndarray:
    """Adstock of one spend series under every draw's theta: (D, len(spend))."""
    return np.vstack(
        [
            adstock(spend, float(theta), curve.lag_weeks, float(start))
            for theta, start in zip(curve.theta, initial, strict=True)
        ]
    )


def _hill_draws(adstocked: np.ndarray, curve: ResponseCurve) -> np.ndarray:
    ratio = np.maximum(adstocked, 0.0) / curve.half_saturation[:, None]
    powered = ratio ** curve.hill_k[:, None]
    return powered / (powered + 1.0)


def build_model(
    curves: Sequence[ResponseCurve],
    history_weeks: np.ndarray,
    history_spend: np.ndarray,
    horizon_start: date,
    plan: np.ndarray | None,
    win_rates: Mapping[str, tuple[float, int]],
    close_lag: np.ndarray,
    calendar: FiscalCalendar | None = None,
    seed: int = 0,
) -> ScenarioModel:
    """Prepare the simulator.

    Parameters
    ----------
    curves
        One fitted curve per channel, all with the same number of draws.
    history_weeks, history_spend
        Mondays and weekly spend per channel (``(C, T)``) up to the horizon, so carryover
        from spend before a cut is kept.
    horizon_start
        Monday the horizon starts (the week after the last complete week of data).
    plan
        Planned weekly spend per channel over the horizon (``(C, H)``); ``None`` plans the
        trailing 13-week run rate.
    win_rates
        Channel -> (share of closed pipeline dollars won, closed deals behind that share); the
        deal count sets the spread of the win rate across draws.
    close_lag
        Share of won dollars closing 0, 1, 2, ... weeks after the opportunity was created.
    calendar
        Fiscal calendar for "this quarter" and "next quarter" (calendar quarters if ``None``).
    seed
        Seed of the win-rate draws.
    """
    if not curves:
        raise ValueError("build_model needs at least one channel curve")
    draws = len(curves[0].theta)
    if any(len(curve.theta) != draws for curve in curves):
        raise ValueError("every curve must have the same number of draws")
    history_spend = np.atleast_2d(np.asarray(history_spend, dtype=float))
    if history_spend.shape != (len(curves), len(history_weeks)):
        raise ValueError(
            f"history_spend must be (channels, weeks) = ({len(curves)}, {len(history_weeks)}), "
            f"got {history_spend.shape}"
        )
    lag = np.asarray(close_lag, dtype=float)
    if lag.ndim != 1 or lag.size == 0 or (lag < 0).any() or lag.sum() <= 0:
        raise ValueError("close_lag must be a non-empty list of non-negative shares")
    lag = lag / lag.sum()
    week_starts = horizon_weeks(horizon_start)
    horizon = len(week_starts)
    if plan is None:
        run_rate = history_spend[:, -13:].mean(axis=1)
        plan = np.repeat(run_rate[:, None], horizon, axis=1)
    plan = np.asarray(plan, dtype=float)
    if plan.shape != (len(curves), horizon):
        raise ValueError(f"plan must be (channels, weeks) = ({len(curves)}, {horizon})")
    if (plan < 0).any():
        raise ValueError("planned spend must not be negative")

    features = season_features(week_starts)
    rng = np.random.default_rng(seed)
    adstocks, seasons, pipelines, win = [], [], [], []
    for index, curve in enumerate(curves):
        spend = np.concatenate([history_spend[index], plan[index]])
        initial = curve.initial_adstock / (1.0 - curve.theta)
        stock = _adstock_draws(spend, curve, initial)[:, -horizon:]
        season = np.maximum(curve.coefficients @ features.T, 0.0)  # (D, H)
        adstocks.append(stock)
        seasons.append(season)
        pipelines.append(season * _hill_draws(stock, curve))
        rate, deals = win_rates.get(curve.channel, (0.0, 0))
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"win rate of {curve.channel} must be between 0 and 1, got {rate}")
        spread = np.sqrt(rate * (1 - rate) / deals) if deals > 0 else 0.0
        rates = np.clip(rng.normal(rate, spread, draws), 0.0, 1.0)
        rates[0] = rate
        win.append(rates)

    months = tuple(
        add_months(week_starts[0].astype(object).replace(day=1), m) for m in range(HORIZON_MONTHS)
    )
    this_quarter, next_quarter = _quarters(horizon_start, calendar)
    return ScenarioModel(
        channels=tuple(curve.channel for curve in curves),
        curves=tuple(curves),
        week_starts=week_starts,
        plan=plan,
        base_adstock=np.stack(adstocks),
        season=np.stack(seasons),
        base_pipeline=np.stack(pipelines),
        win_rate=np.stack(win),
        close_lag=lag,
        months=months,
        week_month=_week_month_shares(week_starts, months),
        this_quarter=this_quarter,
        next_quarter=next_quarter,
    )


def _quarters(
    day: date, calendar: FiscalCalendar | None
) -> tuple[tuple[str, date, date], tuple[str, date, date]]:
    if calendar is None:
        calendar = FiscalCalendar()
    this = calendar.quarter_containing(day)
    following = calendar.quarter_containing(this.end + timedelta(days=1))
    return (this.label, this.start, this.end), (following.label, following.start, following.end)


# --------------------------------------------------------------------------------------------
# Simulating
# --------------------------------------------------------------------------------------------
def check_changes(model: ScenarioModel, changes: Mapping[str, float]) -> None:
    """Raise ``ValueError`` naming the channel or value that is not allowed."""
    for channel, change in changes.items():
        if channel not in model.channels:
            raise ValueError(f"unknown channel {channel!r}; channels: {', '.join(model.channels)}")
        if not np.isfinite(change) or not MIN_CHANGE <= change <= MAX_CHANGE:
            raise ValueError(
                f"change for {channel} must be between {MIN_CHANGE:+.0%} and {MAX_CHANGE:+.0%}, "
                f"got {change:+.0%}"
            )


def _check_window(model: ScenarioModel, start_week: int, weeks: int) -> None:
    horizon = len(model.week_starts)
    if not 0 <= start_week < horizon:
        raise ValueError(f"start_week must be between 0 and {horizon - 1}, got {start_week}")
    if not 1 <= weeks <= horizon - start_week:
        raise ValueError(
            f"weeks must be between 1 and {horizon - start_week} from that start, got {weeks}"
        )


def unit_adstock(
    model: ScenarioModel, index: int, start_week: int, weeks: int, point_only: bool = False
) -> np.ndarray:
    """Adstock (D, H) that adding the whole planned spend of the window once more builds up.

    Adstock is linear in spend, so a change of ``c`` in the window moves adstock by ``c``
    times this, from a zero start: carryover from earlier spend is untouched.
    """
    extra = np.zeros(len(model.week_starts))
    extra[start_week : start_week + weeks] = model.plan[index, start_week : start_week + weeks]
    curve = model.curves[index]
    if point_only:
        return adstock(extra, float(curve.theta[0]), curve.lag_weeks)[None, :]
    return _adstock_draws(extra, curve, np.zeros(len(curve.theta)))


def _pipeline_loss(
    model: ScenarioModel, index: int, change: float, unit: np.ndarray, point_only: bool = False
) -> np.ndarray:
    """Pipeline lost per draw and week (D, H), or for the point estimate only (1, H)."""
    draws = slice(0, 1) if point_only else slice(None)
    curve = model.curves[index]
    stock = model.base_adstock[index, draws] + change * unit
    ratio = np.maximum(stock, 0.0) / curve.half_saturation[draws, None]
    powered = ratio ** curve.hill_k[draws, None]
    scenario = model.season[index, draws] * powered / (powered + 1.0)
    return model.base_pipeline[index, draws] - scenario


def _close(model: ScenarioModel, weekly: np.ndarray) -> np.ndarray:
    """Spread weekly amounts created over the weeks they close in (within the horizon)."""
    horizon = weekly.shape[-1]
    lag = model.close_lag[:horizon]
    closed = np.zeros_like(weekly)
    for offset, share in enumerate(lag):
        if share > 0:
            closed[..., offset:] += share * weekly[..., : horizon - offset]
    return closed


def _band(values: np.ndarray) -> tuple[float, float, float]:
    """Point estimate (draw 0) and its 10-90% range, stretched to contain the point."""
    low, high = np.percentile(values, [LOW_PERCENTILE, HIGH_PERCENTILE])
    point = float(values[0])
    return point, min(float(low), point), max(float(high), point)


def _outcome(model: ScenarioModel, monthly: np.ndarray) -> Outcome:
    """Summarise (D, M) monthly losses."""
    month_keys = np.array([np.datetime64(month, "M") for month in model.months])

    def within(quarter: tuple[str, date, date]) -> np.ndarray:
        _, first, last = quarter
        inside = (month_keys >= np.datetime64(first, "M")) & (
            month_keys <= np.datetime64(last, "M")
        )
        return monthly[:, inside].sum(axis=1)

    loss, low, high = _band(monthly.sum(axis=1))
    percentiles = np.percentile(monthly, [LOW_PERCENTILE, HIGH_PERCENTILE], axis=0)
    return Outcome(
        loss=loss,
        low=low,
        high=high,
        this_quarter=_band(within(model.this_quarter)),
        next_quarter=_band(within(model.next_quarter)),
        monthly=tuple(
            (
                float(monthly[0, m]),
                min(float(percentiles[0, m]), float(monthly[0, m])),
                max(float(percentiles[1, m]), float(monthly[0, m])),
            )
            for m in range(monthly.shape[1])
        ),
    )


def simulate(
    model: ScenarioModel, changes: Mapping[str, float], start_week: int = 0, weeks: int = 13
) -> ScenarioResult:
    """What changing spend by ``changes`` for ``weeks`` weeks from ``start_week`` costs.

    Parameters
    ----------
    model
        From :func:`build_model`.
    changes
        Channel -> change in planned spend, ``-1.0`` (stop) to ``+0.5``; -0.3 is a 30% cut.
        Channels left out keep their plan.
    start_week, weeks
        The window, in weeks from the horizon start.

    Examples
    --------
    See the module docstring.
    """
    check_changes(model, changes)
    _check_window(model, start_week, weeks)
    draws, horizon = model.draws, len(model.week_starts)
    window_spend = model.window_spend(start_week, weeks)
    pipeline = np.zeros((draws, horizon))
    won = np.zeros((draws, horizon))
    savings_by_channel = {}
    for index, channel in enumerate(model.channels):
        change = float(changes.get(channel, 0.0))
        savings_by_channel[channel] = 0.0 - change * float(window_spend[index]) if change else 0.0
        if change == 0.0:
            continue
        loss = _pipeline_loss(model, index, change, unit_adstock(model, index, start_week, weeks))
        pipeline += loss
        won += model.win_rate[index][:, None] * loss
    bookings = _close(model, won)
    next_start = np.datetime64(model.next_quarter[1], "D")
    before_next = np.where(model.week_starts < next_start, pipeline, 0.0)
    closing = _close(model, before_next) @ model.week_month
    month_keys = np.array([np.datetime64(month, "M") for month in model.months])
    in_next = (month_keys >= np.datetime64(model.next_quarter[1], "M")) & (
        month_keys <= np.datetime64(model.next_quarter[2], "M")
    )
    monthly_bookings = bookings @ model.week_month
    monthly_revenue = np.cumsum(monthly_bookings, axis=1) / 12.0
    first_day = model.week_starts[start_week].astype(object)
    return ScenarioResult(
        changes={channel: float(change) for channel, change in changes.items()},
        start_week=start_week,
        weeks=weeks,
        window=(first_day, first_day + timedelta(days=7 * weeks - 1)),
        savings=float(sum(savings_by_channel.values())),
        savings_by_channel=savings_by_channel,
        pipeline=_outcome(model, pipeline @ model.week_month),
        bookings=_outcome(model, monthly_bookings),
        new_arr=_outcome(model, monthly_bookings),
        revenue=_outcome(model, monthly_revenue),
        pipeline_closing_next_quarter=_band(closing[:, in_next].sum(axis=1)),
        months=model.months,
    )


# --------------------------------------------------------------------------------------------
# Least-harm cut
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CutPlan:
    """Cuts per channel that save a required amount, and the pipeline they lose."""

    changes: Mapping[str, float]
    savings: float
    pipeline_loss: float  # point estimate over the horizon
    method: str  # "least harm" or "pro rata"


def _loss_curves(
    model: ScenarioModel, start_week: int, weeks: int, levels: np.ndarray
) -> np.ndarray:
    """Point-estimate pipeline lost over the horizon per channel and cut level: (C, P)."""
    losses = np.zeros((len(model.channels), len(levels)))
    for index in range(len(model.channels)):
        unit = unit_adstock(model, index, start_week, weeks)[0]
        curve = model.curves[index]
        stock = model.base_adstock[index, 0][None, :] - levels[:, None] * unit[None, :]
        saturation = hill(stock, float(curve.half_saturation[0]), float(curve.hill_k[0]))
        scenario = (model.season[index, 0][None, :] * saturation).sum(axis=1)
        losses[index] = model.base_pipeline[index, 0].sum() - scenario
    return losses


def pipeline_loss_of(
    model: ScenarioModel, changes: Mapping[str, float], start_week: int, weeks: int
) -> float:
    """Point-estimate pipeline lost over the horizon by ``changes`` (no ranges: fast)."""
    total = 0.0
    for index, channel in enumerate(model.channels):
        change = float(changes.get(channel, 0.0))
        if change:
            unit = unit_adstock(model, index, start_week, weeks, point_only=True)
            total += float(_pipeline_loss(model, index, change, unit, point_only=True).sum())
    return total


def pro_rata(model: ScenarioModel, saving: float, start_week: int, weeks: int) -> CutPlan:
    """The same share cut from every channel's planned spend in the window."""
    window_spend = model.window_spend(start_week, weeks)
    share = _checked_saving(saving, float(window_spend.sum()))
    changes = dict.fromkeys(model.channels, -share)
    return CutPlan(
        changes=changes,
        savings=float(share * window_spend.sum()),
        pipeline_loss=pipeline_loss_of(model, changes, start_week, weeks),
        method="pro rata",
    )


def _checked_saving(saving: float, available: float) -> float:
    if not np.isfinite(saving) or saving < 0:
        raise ValueError(f"saving must be zero or more, got {saving!r}")
    if saving > available + 1e-6:
        raise ValueError(
            f"saving of {saving:,.0f} is more than the {available:,.0f} planned in the window"
        )
    return saving / available if available > 0 else 0.0


def least_harm(
    model: ScenarioModel, saving: float, start_week: int = 0, weeks: int = 13
) -> CutPlan:
    """Cuts that save ``saving`` in the window while losing the least pipeline.

    Each channel's loss is computed at every cut level from 0 to 100% in 1% steps; dollars are
    then taken, step by step, from the channel that loses the least pipeline per dollar saved
    (the lower convex hull of its loss curve, which equalises marginal returns), and the last
    step is interpolated so the saving is met exactly. The pro-rata cut is a candidate too, so
    the answer never loses more than it.

    Examples
    --------
    See ``tests/core/test_scenarios.py``.
    """
    _check_window(model, start_week, weeks)
    window_spend = model.window_spend(start_week, weeks)
    _checked_saving(saving, float(window_spend.sum()))
    levels = np.round(np.arange(0.0, 1.0 + CUT_STEP / 2, CUT_STEP), 10)
    losses = _loss_curves(model, start_week, weeks, levels)
    segments = []  # (loss per dollar, channel, from level, to level)
    for index in range(len(model.channels)):
        if window_spend[index] <= 0:
            continue
        hull = _lower_hull(levels * window_spend[index], losses[index])
        for (x0, y0), (x1, y1) in itertools.pairwise(hull):
            segments.append(
                ((y1 - y0) / (x1 - x0), index, x0 / window_spend[index], x1 / window_spend[index])
            )
    segments.sort(key=lambda segment: segment[0])
    cuts = np.zeros(len(model.channels))
    remaining = saving
    for _, index, start, end in segments:
        if remaining <= 1e-9:
            break
        dollars = (end - start) * window_spend[index]
        take = min(dollars, remaining)
        cuts[index] = start + take / window_spend[index]
        remaining -= take
    changes = {
        channel: 0.0 - float(min(cuts[i], 1.0)) if cuts[i] > 0 else 0.0
        for i, channel in enumerate(model.channels)
    }
    plan = CutPlan(
        changes=changes,
        savings=float(-sum(changes[c] * window_spend[i] for i, c in enumerate(model.channels))),
        pipeline_loss=pipeline_loss_of(model, changes, start_week, weeks),
        method="least harm",
    )
    prorata = pro_rata(model, saving, start_week, weeks)
    return plan if plan.pipeline_loss <= prorata.pipeline_loss else prorata


def _lower_hull(x: np.ndarray, y: np.ndarray) -> list[tuple[float, float]]:
    """Lower convex hull of points sorted by x (Andrew's monotone chain)."""
    hull: list[tuple[float, float]] = []
    for point in zip(x.tolist(), y.tolist(), strict=True):
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (point[1] - y1) - (y2 - y1) * (point[0] - x1) <= 0:
                hull.pop()
            else:
                break
        hull.append(point)
    return hull


# --------------------------------------------------------------------------------------------
# What it means: goals and one sentence
# --------------------------------------------------------------------------------------------
GOAL_MEASURES: Mapping[str, str] = {
    "pipeline_created": "pipeline",
    "sourced_pipeline": "pipeline",
    "bookings": "bookings",
    "new_arr": "new_arr",
    "arr": "new_arr",  # ARR at the period's end falls by every new ARR lost before then
}


@dataclass(frozen=True)
class GoalEffect:
    """A goal's projected attainment before and after the scenario."""

    goal_name: str
    period_label: str
    metric: str
    target: float
    projection: float
    loss: float  # of the goal's metric, inside its period (up to its end for ARR)
    before: float  # projected attainment, projection / target
    after: float


def goal_effects(result: ScenarioResult, goals: Sequence[Mapping[str, object]]) -> list[GoalEffect]:
    """Projected attainment of each goal the scenario reaches, before and after it.

    ``goals`` rows need ``goal_name``, ``period_label``, ``metric``, ``period_start``,
    ``period_end``, ``target`` and ``projection`` (the Goals page's projection). Goals whose
    metric the simulator does not model, that ended before the horizon, that have no
    projection or target, or where lower is better are left out.

    Examples
    --------
    See ``tests/core/test_scenarios.py``.
    """
    month_keys = np.array([np.datetime64(month, "M") for month in result.months])
    effects = []
    for goal in goals:
        metric = str(goal["metric"])
        measure = GOAL_MEASURES.get(metric)
        projection, target = goal.get("projection"), goal.get("target")
        if measure is None or projection is None or not target or pd_isna(projection):
            continue
        if goal.get("direction", "higher") != "higher":
            continue
        start = np.datetime64(_as_day(goal["period_start"]), "M")
        end = np.datetime64(_as_day(goal["period_end"]), "M")
        if end < month_keys[0]:
            continue
        first = month_keys[0] if metric == "arr" else start
        inside = (month_keys >= first) & (month_keys <= end)
        monthly = np.array([month[0] for month in result.outcome(measure).monthly])
        loss = float(monthly[inside].sum())
        target_value, projected = float(target), float(projection)  # type: ignore[arg-type]
        effects.append(
            GoalEffect(
                goal_name=str(goal["goal_name"]),
                period_label=str(goal["period_label"]),
                metric=metric,
                target=target_value,
                projection=projected,
                loss=loss,
                before=projected / target_value,
                after=(projected - loss) / target_value,
            )
        )
    return effects


def pd_isna(value: object) -> bool:
    """True for ``None`` and NaN (pandas' missing values) without importing pandas."""
    return value is None or (isinstance(value, float) and np.isnan(value))


def _as_day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def summary_sentence(
    result: ScenarioResult, labels: Mapping[str, str], currency: str = DEFAULT_CURRENCY
) -> str:
    """One plain sentence for the CFO: what the scenario saves and what it costs, in
    ``currency`` (the store's reporting currency).

    Examples
    --------
    See ``tests/core/test_scenarios.py``.
    """
    changed = {channel: change for channel, change in result.changes.items() if change}
    if not changed:
        return "No spend is changed: nothing is saved and nothing is lost."
    parts = []
    for channel, change in sorted(changed.items(), key=lambda item: item[1]):
        verb = "stopping" if change <= -1.0 else "cutting" if change < 0 else "adding to"
        amount = "" if change <= -1.0 else f" by {abs(change):.0%}"
        parts.append(f"{verb} {labels.get(channel, channel)}{amount}")
    what = _join(parts)
    first = result.window[0]
    when = f"for {result.weeks} weeks from {first.day} {first:%b %Y}"
    pipeline, bookings, revenue = result.pipeline, result.bookings, result.revenue

    def money(value: float) -> str:
        return format_money(value, currency)

    if result.savings >= 0:
        head = f"{what[0].upper()}{what[1:]} {when} saves {money(result.savings)}"
        verb = "costs"
    else:
        head = f"{what[0].upper()}{what[1:]} {when} spends {money(-result.savings)} more"
        verb = "brings"
    sign = 1 if verb == "costs" else -1
    return (
        f"{head} and {verb} about {money(sign * pipeline.loss)} of pipeline "
        f"(likely {money(sign * (pipeline.low if sign > 0 else pipeline.high))} to "
        f"{money(sign * (pipeline.high if sign > 0 else pipeline.low))}), "
        f"{money(sign * bookings.loss)} of bookings and "
        f"{money(sign * revenue.loss)} of recognised revenue over the next "
        f"{len(result.months)} months; {money(sign * bookings.this_quarter[0])} of the "
        f"bookings fall in this quarter."
    )


def _join(parts: Sequence[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def planned_pipeline_closing_next_quarter(model: ScenarioModel, unpaid_weekly: float) -> float:
    """Pipeline the plan creates before next quarter starts that closes in it (point estimate).

    Paid channels from their curves under the plan, plus ``unpaid_weekly`` of pipeline per
    week that no paid channel sources; close dates follow the creation-to-close lag.
    """
    weekly = model.base_pipeline[:, 0, :].sum(axis=0) + max(unpaid_weekly, 0.0)
    weekly = np.where(model.week_starts < np.datetime64(model.next_quarter[1], "D"), weekly, 0.0)
    monthly = _close(model, weekly[None, :]) @ model.week_month
    month_keys = np.array([np.datetime64(month, "M") for month in model.months])
    inside = (month_keys >= np.datetime64(model.next_quarter[1], "M")) & (
        month_keys <= np.datetime64(model.next_quarter[2], "M")
    )
    return float(monthly[0, inside].sum())


def saved_window(
    model: ScenarioModel, settings: Mapping[str, object], default_weeks: int = 13
) -> tuple[int, int]:
    """(start week, weeks) of a saved scenario's settings on today's horizon, clipped to it.

    A scenario saved weeks ago starts at the horizon's first week if its start has passed.
    """
    start = date.fromisoformat(str(settings.get("start")))
    offset = max(0, (start - model.horizon_start).days // 7)
    offset = min(offset, len(model.week_starts) - 1)
    weeks = int(settings.get("weeks", default_weeks))  # type: ignore[call-overload]
    return offset, max(1, min(weeks, len(model.week_starts) - offset))
