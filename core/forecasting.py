"""Forecast accuracy: how close each forecaster's call came to what happened.

Pure functions: forecast submissions in a DataFrame, scored rows, tables and frozen dataclasses
out (pandas and numpy only). Reading submissions and measuring their actuals is
``core.store.forecasts``; this module does the arithmetic of ``../shared/DOMAIN.md`` ("Forecast
accuracy"). For a forecast F of an actual A::

    error          = F - A
    APE            = |F - A| / |A|                   undefined (NaN) when A = 0
    MAPE           = mean APE over forecasts with A != 0 (A = 0 is counted apart, never divided by)
    WAPE           = sum |F - A| / sum |A|
    bias           = sum (F - A) / sum |A|           positive = optimistic (over-forecast)
    hit rate(k)    = share of forecasts with A != 0 and APE <= k, for k = 5% and 10%
    accuracy score = max(0, 1 - |A - F| / A)         for A > 0 (as HubSpot shows it)
    horizon        = (period end - submission date) in weeks
    baseline       = closed to date + sum(amount x stage win rate) x (1 - slip rate)
    bias-adjusted  = F / (1 + historical bias)

A period is judged on one submission per forecaster: the latest (or the first) of the judged
category made on or before the period's last day. Submissions after the period ended never
count: by then the answer is known.

Quickstart
----------
One forecaster's bookings calls for a quarter that closed at $1M: a most-likely call in
February, then a full call (commit, most likely, best case) 24 days before the end.

>>> from datetime import date
>>> import pandas as pd
>>> forecasts = pd.DataFrame({
...     "forecaster": "Dana", "metric": "bookings", "period_label": "Q1 FY2027",
...     "period_start": date(2026, 2, 1), "period_end": date(2026, 4, 30),
...     "submitted_on": [date(2026, 2, 2)] + [date(2026, 4, 6)] * 3,
...     "category": ["most_likely", "most_likely", "commit", "best_case"],
...     "value": [1_200_000.0, 1_050_000.0, 900_000.0, 1_150_000.0],
...     "actual": 1_000_000.0,
... })
>>> scored = score(forecasts)
>>> scored["horizon"].tolist()
['8-13 weeks', '2-4 weeks', '2-4 weeks', '2-4 weeks']
>>> latest = judged(scored)
>>> latest["value"].tolist(), latest["ape"].round(3).tolist()
([1050000.0], [0.05])
>>> stats = accuracy(latest["value"], latest["actual"])
>>> stats.count, round(stats.bias, 3), stats.hit_rate_5, stats.accuracy_score
(1, 0.05, 1.0, 0.95)
>>> range_calibration(scored)[["forecaster", "periods", "inside", "share"]].values.tolist()
[['Dana', 1, 1, 1.0]]
>>> round(bias_adjusted(1_050_000, 0.05))
1000000
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

CATEGORIES = ("commit", "most_likely", "best_case")
SUBMISSIONS = ("latest", "first")
FINAL_MONTH_WEEKS = 4.35  # submissions this close to the period end are "the final month"
HORIZON_EDGES = (0, 2, 4, 8, 13, 26)  # weeks before period end; lower edge inclusive
HORIZON_LABELS = (
    *(f"{low}-{high} weeks" for low, high in itertools.pairwise(HORIZON_EDGES)),
    f"{HORIZON_EDGES[-1]}+ weeks",
)
AFTER_PERIOD = "after the period"
# Ascending horizon_order reads as the period closes: farthest bucket first, nearest last.
HORIZON_ORDER = {
    **{label: index for index, label in enumerate(reversed(HORIZON_LABELS))},
    AFTER_PERIOD: len(HORIZON_LABELS),
}
HIT_RATE_TOLERANCE = 1e-12  # an APE of exactly 5% is a hit although 1.05 - 1.0 > 0.05 in floats
ON_TARGET = 0.005  # a bias below half a percent reads as "on target"

FORECAST_COLUMNS = (
    "forecaster",
    "metric",
    "period_label",
    "period_start",
    "period_end",
    "submitted_on",
    "category",
    "value",
    "actual",
)
JUDGED_KEYS = ["forecaster", "metric", "period_label"]
MISS_COLUMNS = [
    "forecaster",
    "metric",
    "period_label",
    "period_end",
    "value",
    "actual",
    "error",
    "ape",
    "direction",
    "zero_actual",
]
CALIBRATION_COLUMNS = ["forecaster", "metric", "periods", "inside", "share"]


@dataclass(frozen=True)
class AccuracyStats:
    """Accuracy of a set of forecasts; a statistic is ``None`` when nothing defines it."""

    count: int  # forecasts with a known actual
    zero_actuals: int  # of those, actual == 0: excluded from MAPE and hit rates, counted here
    mape: float | None
    wape: float | None  # None when sum |A| == 0
    bias: float | None  # sum(F - A) / sum |A|; positive = optimistic
    hit_rate_5: float | None  # share of forecasts (actual != 0) with APE <= 0.05
    hit_rate_10: float | None
    accuracy_score: float | None  # mean accuracy score over actual > 0


STAT_COLUMNS = [field.name for field in fields(AccuracyStats)]


# --------------------------------------------------------------------------------------------
# Checks and small helpers
# --------------------------------------------------------------------------------------------
def _require(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s): {', '.join(missing)}")


def _check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")


def _days(values: pd.Series) -> pd.Series:
    """Dates, datetimes or ISO strings as datetime64, so they subtract and compare."""
    return pd.to_datetime(values)


def _submitted_in_time(frame: pd.DataFrame) -> pd.Series:
    """True where the submission was made on or before the period's last day."""
    return _days(frame["submitted_on"]) <= _days(frame["period_end"])


def _absolute_percentage_error(value: pd.Series, actual: pd.Series) -> pd.Series:
    """|F - A| / |A|, NaN where A is 0 or unknown."""
    return ((value - actual).abs() / actual.abs()).where(actual != 0)


def _percent(share: float) -> int:
    """Whole percent, halves rounded up (Python's ``round`` rounds 0.5 to even)."""
    return math.floor(abs(share) * 100 + 0.5)


# --------------------------------------------------------------------------------------------
# Scoring single submissions
# --------------------------------------------------------------------------------------------
def horizon_label(weeks: float) -> str:
    """Bucket of weeks before the period's end, lower edge inclusive.

    Examples
    --------
    >>> horizon_label(0.0), horizon_label(2.0), horizon_label(30.0), horizon_label(-0.5)
    ('0-2 weeks', '2-4 weeks', '26+ weeks', 'after the period')
    """
    if weeks < 0:
        return AFTER_PERIOD
    index = int(np.searchsorted(HORIZON_EDGES, weeks, side="right")) - 1
    return HORIZON_LABELS[index]


def score(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Every submission with its error, APE, accuracy score and horizon.

    Parameters
    ----------
    forecasts
        One row per submitted number: forecaster, metric, period_label, period_start,
        period_end, submitted_on, category (one of :data:`CATEGORIES`), value and actual
        (NaN while the period is open).

    Returns
    -------
    pandas.DataFrame
        A copy (value and actual as floats) with ``error``, ``abs_error``, ``ape``,
        ``accuracy_score``, ``horizon_weeks`` and ``horizon`` added.

    Examples
    --------
    >>> from datetime import date
    >>> row = {"forecaster": "Dana", "metric": "bookings", "period_label": "Q1",
    ...        "period_start": date(2026, 2, 1), "period_end": date(2026, 4, 30),
    ...        "submitted_on": date(2026, 4, 16), "category": "commit",
    ...        "value": 90.0, "actual": 100.0}
    >>> scored = score(pd.DataFrame([row]))
    >>> scored[["error", "ape", "accuracy_score", "horizon_weeks", "horizon"]].values.tolist()
    [[-10.0, 0.1, 0.9, 2.0, '2-4 weeks']]
    """
    _require(forecasts, FORECAST_COLUMNS, "forecasts")
    category = forecasts["category"]
    unknown = category[~category.isin(CATEGORIES)].unique()
    if len(unknown):
        got = ", ".join(repr(value) for value in unknown)
        raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, got {got}")

    scored = forecasts.copy()
    value = scored["value"].astype(float)
    actual = scored["actual"].astype(float)
    weeks = (_days(scored["period_end"]) - _days(scored["submitted_on"])).dt.days / 7
    scored["value"], scored["actual"] = value, actual
    scored["error"] = value - actual
    scored["abs_error"] = scored["error"].abs()
    scored["ape"] = _absolute_percentage_error(value, actual)
    scored["accuracy_score"] = (1 - (actual - value).abs() / actual).clip(lower=0).where(actual > 0)
    scored["horizon_weeks"] = weeks.astype(float)
    scored["horizon"] = [None if pd.isna(w) else horizon_label(w) for w in weeks]
    return scored


# --------------------------------------------------------------------------------------------
# Accuracy of a set of forecasts
# --------------------------------------------------------------------------------------------
def accuracy(forecast: ArrayLike, actual: ArrayLike) -> AccuracyStats:
    """MAPE, WAPE, bias, hit rates and accuracy score of paired forecasts and actuals.

    Pairs with an unknown (NaN) actual are ignored, and so are pairs whose forecast is NaN.
    Actuals of zero count in ``count``, WAPE and bias, and are counted apart in
    ``zero_actuals``; they are left out of MAPE, the hit rates and the accuracy score, whose
    per-forecast ratios they would divide by zero.

    Parameters
    ----------
    forecast, actual
        One-dimensional sequences of the same length.

    Returns
    -------
    AccuracyStats
        ``count`` 0 and every statistic ``None`` when no pair has a known actual.

    Examples
    --------
    >>> stats = accuracy([110, 90, 10], [100, 100, 0])
    >>> stats.count, stats.zero_actuals, round(stats.mape, 3), round(stats.wape, 3)
    (3, 1, 0.1, 0.15)
    >>> round(stats.bias, 3), stats.hit_rate_5, stats.hit_rate_10, round(stats.accuracy_score, 3)
    (0.05, 0.0, 1.0, 0.9)
    """
    forecast_values = np.asarray(forecast, dtype=float)
    actual_values = np.asarray(actual, dtype=float)
    if forecast_values.ndim != 1 or actual_values.ndim != 1:
        raise ValueError("forecast and actual must be one-dimensional")
    if len(forecast_values) != len(actual_values):
        raise ValueError(
            f"forecast and actual must have the same length, "
            f"got {len(forecast_values)} and {len(actual_values)}"
        )
    known = ~np.isnan(actual_values) & ~np.isnan(forecast_values)
    f, a = forecast_values[known], actual_values[known]
    nonzero, positive = a != 0, a > 0
    ape = np.abs(f - a)[nonzero] / np.abs(a[nonzero])
    total = float(np.abs(a).sum())
    scores = np.maximum(0.0, 1 - np.abs(a - f)[positive] / a[positive])

    def mean_or_none(values: np.ndarray) -> float | None:
        return float(values.mean()) if values.size else None

    return AccuracyStats(
        count=int(a.size),
        zero_actuals=int(a.size - nonzero.sum()),
        mape=mean_or_none(ape),
        wape=float(np.abs(f - a).sum() / total) if total > 0 else None,
        bias=float((f - a).sum() / total) if total > 0 else None,
        hit_rate_5=mean_or_none(ape <= 0.05 + HIT_RATE_TOLERANCE),
        hit_rate_10=mean_or_none(ape <= 0.10 + HIT_RATE_TOLERANCE),
        accuracy_score=mean_or_none(scores),
    )


def _stats_row(rows: pd.DataFrame) -> dict[str, float]:
    stats = accuracy(rows["value"], rows["actual"])
    return {
        name: math.nan if getattr(stats, name) is None else getattr(stats, name)
        for name in STAT_COLUMNS
    }


def accuracy_table(scored: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Accuracy of the rows with a known actual, grouped by the ``by`` columns.

    Parameters
    ----------
    scored
        Rows with ``value``, ``actual`` and the ``by`` columns (usually :func:`judged` output).
    by
        Grouping columns; empty gives one row over everything.

    Returns
    -------
    pandas.DataFrame
        Columns ``*by``, count, zero_actuals, mape, wape, bias, hit_rate_5, hit_rate_10 and
        accuracy_score (NaN where the statistic is undefined), sorted by ``by``.

    Examples
    --------
    >>> frame = pd.DataFrame({"metric": ["mql", "mql", "bookings"],
    ...                       "value": [110.0, 90.0, 50.0], "actual": [100.0, 100.0, 0.0]})
    >>> accuracy_table(frame, ["metric"])[["metric", "count", "zero_actuals", "mape"]]
         metric  count  zero_actuals  mape
    0  bookings      1             1   NaN
    1       mql      2             0   0.1
    """
    by = list(by)
    _require(scored, [*by, "value", "actual"], "scored")
    known = scored[scored["actual"].notna()]
    if by:
        rows = [
            {**dict(zip(by, key, strict=True)), **_stats_row(group)}
            for key, group in known.groupby(by, sort=True)
        ]
    else:
        rows = [_stats_row(known)] if not known.empty else []
    table = pd.DataFrame(rows, columns=[*by, *STAT_COLUMNS])
    types = dict.fromkeys(STAT_COLUMNS, float) | {"count": int, "zero_actuals": int}
    return table.astype(types).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Which submission a period is judged on
# --------------------------------------------------------------------------------------------
def judged(
    scored: pd.DataFrame, category: str = "most_likely", submission: str = "latest"
) -> pd.DataFrame:
    """The submission each (forecaster, metric, period_label) is judged on.

    Among the rows of ``category`` submitted on or before the period's end, the latest or the
    first by ``submitted_on`` (on a tie, the later row of the frame for "latest", the earlier
    for "first"). Submissions after the period ended never count.

    Parameters
    ----------
    scored
        Submissions, usually :func:`score` output (every column is kept).
    category
        One of :data:`CATEGORIES`.
    submission
        ``"latest"`` or ``"first"``.

    Returns
    -------
    pandas.DataFrame
        One row per forecaster, metric and period label, sorted by them.

    Examples
    --------
    See the module's Quickstart.
    """
    _check_choice("category", category, CATEGORIES)
    _check_choice("submission", submission, SUBMISSIONS)
    _require(scored, [*JUDGED_KEYS, "period_end", "submitted_on", "category"], "scored")
    rows = scored[(scored["category"] == category) & _submitted_in_time(scored)]
    order = _days(rows["submitted_on"]).argsort(kind="stable")
    chosen = rows.iloc[order].drop_duplicates(
        JUDGED_KEYS, keep="last" if submission == "latest" else "first"
    )
    return chosen.sort_values(JUDGED_KEYS, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------
def horizon_table(
    scored: pd.DataFrame, category: str = "most_likely", by: Sequence[str] = ("metric",)
) -> pd.DataFrame:
    """Accuracy by weeks before the period's end: how the call converged ("forecast of forecast").

    Every submission of ``category`` with a known actual made on or before the period's end
    counts, not only the judged one.

    Parameters
    ----------
    scored
        :func:`score` output.
    category
        One of :data:`CATEGORIES`.
    by
        Grouping columns besides the horizon.

    Returns
    -------
    pandas.DataFrame
        :func:`accuracy_table` columns by ``*by`` and ``horizon``, plus ``horizon_order``
        (0 for "26+ weeks" up to 5 for "0-2 weeks"), sorted by ``by`` then ``horizon_order``:
        ascending order reads far from the end first, the nearest bucket last.

    Examples
    --------
    >>> from datetime import date
    >>> rows = pd.DataFrame({
    ...     "forecaster": "Dana", "metric": "bookings", "period_label": "Q1",
    ...     "period_start": date(2026, 2, 1), "period_end": date(2026, 4, 30),
    ...     "submitted_on": [date(2026, 2, 5), date(2026, 4, 25)], "category": "most_likely",
    ...     "value": [130.0, 105.0], "actual": 100.0})
    >>> horizon_table(score(rows))[["horizon", "horizon_order", "bias"]].values.tolist()
    [['8-13 weeks', 2, 0.3], ['0-2 weeks', 5, 0.05]]
    """
    _check_choice("category", category, CATEGORIES)
    by = list(by)
    _require(scored, [*by, "category", "actual", "horizon_weeks", "horizon"], "scored")
    rows = scored[
        (scored["category"] == category) & scored["actual"].notna() & (scored["horizon_weeks"] >= 0)
    ]
    table = accuracy_table(rows, [*by, "horizon"])
    table.insert(len(by) + 1, "horizon_order", table["horizon"].map(HORIZON_ORDER).astype(int))
    return table.sort_values([*by, "horizon_order"], kind="stable").reset_index(drop=True)


def range_calibration(scored: pd.DataFrame, submission: str = "latest") -> pd.DataFrame:
    """Share of periods whose actual fell within the forecaster's [commit, best case].

    Each (forecaster, metric, period_label) with a known actual is judged on one submission
    day: the latest (or first) day on or before the period's end on which both a commit and a
    best case were submitted. The actual is inside when commit <= actual <= best case.

    Parameters
    ----------
    scored
        :func:`score` output (or any frame with its input columns).
    submission
        ``"latest"`` or ``"first"``.

    Returns
    -------
    pandas.DataFrame
        Columns forecaster, metric, periods, inside and share (inside / periods), sorted by
        forecaster and metric.

    Examples
    --------
    See the module's Quickstart.
    """
    _check_choice("submission", submission, SUBMISSIONS)
    _require(scored, FORECAST_COLUMNS, "scored")
    rows = scored[
        scored["actual"].notna()
        & scored["value"].notna()
        & scored["category"].isin(("commit", "best_case"))
        & _submitted_in_time(scored)
    ].assign(submission_day=lambda frame: _days(frame["submitted_on"]))
    if rows.empty:
        return pd.DataFrame(columns=CALIBRATION_COLUMNS)
    days = (
        rows.pivot_table(
            index=[*JUDGED_KEYS, "submission_day"],
            columns="category",
            values="value",
            aggfunc="last",
        )
        .reindex(columns=["commit", "best_case"])
        .dropna()
        .reset_index()
        .sort_values("submission_day", kind="stable")
    )
    chosen = days.drop_duplicates(JUDGED_KEYS, keep="last" if submission == "latest" else "first")
    # The actual the chosen day's calls are held to: under the definition in effect that day,
    # which need not be the one an earlier call of the same period was held to.
    actuals = rows.groupby([*JUDGED_KEYS, "submission_day"])["actual"].first()
    chosen = chosen.join(actuals, on=[*JUDGED_KEYS, "submission_day"])
    chosen["inside"] = (chosen["commit"] <= chosen["actual"]) & (
        chosen["actual"] <= chosen["best_case"]
    )
    table = (
        chosen.groupby(["forecaster", "metric"], sort=True)["inside"]
        .agg(periods="size", inside="sum")
        .reset_index()
        .astype({"periods": int, "inside": int})
    )
    table["share"] = table["inside"] / table["periods"]
    return table[CALIBRATION_COLUMNS]


def misses(judged_scored: pd.DataFrame, tolerance: float = 0.10) -> pd.DataFrame:
    """Judged calls that missed by more than ``tolerance``, newest periods and largest first.

    A call on a period whose actual was zero misses by an undefined amount whenever it was not
    zero itself: it is kept, with ``ape`` NaN and ``zero_actual`` True. Nothing else is
    filtered, so every miss stays visible.

    Parameters
    ----------
    judged_scored
        :func:`judged` output of :func:`score` output; rows without an actual are skipped.
    tolerance
        Largest APE that is not a miss (an APE of exactly ``tolerance`` is not).

    Returns
    -------
    pandas.DataFrame
        Columns forecaster, metric, period_label, period_end, value, actual, error, ape,
        direction ("over" when error > 0, else "under") and zero_actual, sorted by period_end
        descending, then by |error| descending.

    Examples
    --------
    >>> from datetime import date
    >>> calls = pd.DataFrame({"forecaster": ["Ana", "Ben", "Cy"], "metric": "mql",
    ...     "period_label": "Q1", "period_end": date(2026, 4, 30),
    ...     "value": [130.0, 95.0, 5.0], "actual": [100.0, 100.0, 0.0]})
    >>> misses(calls)[["forecaster", "direction", "zero_actual"]].values.tolist()
    [['Ana', 'over', False], ['Cy', 'over', True]]
    """
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be zero or more, got {tolerance}")
    _require(judged_scored, [*JUDGED_KEYS, "period_end", "value", "actual"], "judged_scored")
    rows = judged_scored[judged_scored["actual"].notna() & judged_scored["value"].notna()]
    value, actual = rows["value"].astype(float), rows["actual"].astype(float)
    ape = _absolute_percentage_error(value, actual)
    zero_actual = (actual == 0) & (value != 0)
    missed = rows.assign(
        value=value,
        actual=actual,
        error=value - actual,
        ape=ape,
        direction=np.where(value > actual, "over", "under"),
        zero_actual=zero_actual,
        sort_end=_days(rows["period_end"]),
        sort_size=(value - actual).abs(),
    )[(ape > tolerance + HIT_RATE_TOLERANCE) | zero_actual]
    ordered = missed.sort_values(["sort_end", "sort_size"], ascending=False, kind="stable")
    return ordered[MISS_COLUMNS].astype({"zero_actual": bool}).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Forecasts of our own
# --------------------------------------------------------------------------------------------
def baseline_forecast(
    closed_to_date: float,
    open_amounts: ArrayLike,
    stage_win_rates: ArrayLike,
    slip_rate: float,
) -> float:
    """Closed-won to date plus the open opportunities weighted by how such deals went before.

    Parameters
    ----------
    closed_to_date
        Closed-won in the period so far.
    open_amounts
        Amount of each open opportunity due to close in the period (>= 0).
    stage_win_rates
        Historical win rate of each opportunity's current stage, in [0, 1].
    slip_rate
        Historical share of opportunities due in a period that closed after it, in [0, 1].

    Returns
    -------
    float
        ``closed_to_date + sum(amount x win rate) x (1 - slip_rate)``.

    Examples
    --------
    >>> baseline_forecast(500_000, [100_000, 200_000], [0.2, 0.5], slip_rate=0.1)
    608000.0
    """
    amounts = np.asarray(open_amounts, dtype=float)
    rates = np.asarray(stage_win_rates, dtype=float)
    if amounts.shape != rates.shape or amounts.ndim != 1:
        raise ValueError(
            f"open_amounts and stage_win_rates must be lists of the same length, "
            f"got {amounts.size} and {rates.size}"
        )
    negative = amounts[~(amounts >= 0)]
    if negative.size:
        raise ValueError(f"open_amounts must not be negative, got {negative[0]:g}")
    outside = rates[~((rates >= 0) & (rates <= 1))]
    if outside.size:
        raise ValueError(f"stage_win_rates must be between 0 and 1, got {outside[0]:g}")
    if not 0 <= slip_rate <= 1:
        raise ValueError(f"slip_rate must be between 0 and 1, got {slip_rate:g}")
    return float(closed_to_date + (amounts * rates).sum() * (1 - slip_rate))


def bias_adjusted(value: float, bias: float | None) -> float:
    """A forecast corrected by its forecaster's historical bias: ``value / (1 + bias)``.

    An unknown bias (``None`` or NaN) leaves the value as it is.

    Examples
    --------
    >>> bias_adjusted(1_250_000, 0.25), bias_adjusted(900, -0.1), bias_adjusted(500, None)
    (1000000.0, 1000.0, 500.0)
    """
    if bias is None or math.isnan(bias):
        return float(value)
    if bias <= -1:
        raise ValueError(f"bias must be above -100%, got {bias:.0%}")
    return float(value / (1 + bias))


# --------------------------------------------------------------------------------------------
# In a sentence
# --------------------------------------------------------------------------------------------
def _describe(bias: float) -> str:
    if abs(bias) < ON_TARGET:
        return "on target"
    return f"{_percent(bias)}% {'optimistic' if bias > 0 else 'pessimistic'}"


def _final_month_clause(overall: float, final: float | None) -> str:
    if final is None:
        return ""
    same_way = abs(overall) >= ON_TARGET and abs(final) >= ON_TARGET and overall * final > 0
    said = f"{_percent(final)}%" if same_way else _describe(final)
    return f", {said} in the final month"


def summary_sentence(
    scored: pd.DataFrame,
    metric: str,
    metric_label: str,
    periods: int = 6,
    category: str = "most_likely",
) -> str | None:
    """One sentence on the bias of a metric's forecasts over the last closed periods.

    The overall bias pools every submission of ``category`` made before a period ended (every
    call, early and late, by every forecaster: what the business heard on average); the final
    month's pools those made 0 to :data:`FINAL_MONTH_WEEKS` weeks before it ended. Periods
    count when they have a known actual and a judged submission.

    Parameters
    ----------
    scored
        :func:`score` output.
    metric
        The metric's key, as in the ``metric`` column.
    metric_label
        How the sentence names the metric ("bookings", "pipeline created"), inserted as given.
    periods
        How many of the latest closed periods to look back over.
    category
        One of :data:`CATEGORIES`.

    Returns
    -------
    str or None
        ``None`` when no closed period of the metric can be judged (or every actual was zero).

    Examples
    --------
    See ``tests/core/test_forecasting.py``.
    """
    _check_choice("category", category, CATEGORIES)
    if periods < 1:
        raise ValueError(f"periods must be at least 1, got {periods}")
    rows = scored[scored["metric"] == metric]
    latest = judged(rows, category, "latest")
    latest = latest[latest["actual"].notna()]
    if latest.empty:
        return None
    ends = latest.assign(end=_days(latest["period_end"])).groupby("period_label")["end"].max()
    chosen = ends.sort_values(kind="stable").index[-periods:]
    calls = rows[
        (rows["category"] == category)
        & rows["actual"].notna()
        & rows["period_label"].isin(chosen)
        & (rows["horizon_weeks"] >= 0)
    ]
    overall = accuracy(*_pair(calls)).bias
    if overall is None:
        return None
    final = accuracy(*_pair(calls[calls["horizon_weeks"] <= FINAL_MONTH_WEEKS])).bias
    noun = "quarter" if all(str(label).startswith("Q") for label in chosen) else "period"
    span = noun if len(chosen) == 1 else f"{len(chosen)} {noun}s"
    return (
        f"Over the last {span} marketing's {metric_label} forecasts were "
        f"{_describe(overall)} on average{_final_month_clause(overall, final)}."
    )


def _pair(rows: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    return rows["value"], rows["actual"]
