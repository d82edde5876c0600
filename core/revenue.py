"""Recurring revenue: the ARR bridge, retention, logo churn and shares.

Pure functions over ARR per account and month (columns ``account_id``, ``month``, ``arr_usd``;
absent rows mean zero), with the formulas of ``../shared/DOMAIN.md`` ("Revenue"):

- :func:`arr_bridge`: the monthly bridge from start to end ARR, and :func:`bridge_imbalance`
  to check that it balances;
- :func:`arr_bridge_by_segment`: the same per segment, each account kept in one segment;
- :func:`quarterly_bridge`: a monthly bridge rolled up to fiscal quarters (or any periods);
- :func:`retention_trend`: net and gross revenue retention (NRR, GRR) per month;
- :func:`logo_churn` and :func:`logo_churn_by_period`: the share of paying accounts lost;
- :func:`share`: a part of a whole, such as the marketing-sourced share of new business.

Per account and month the bridge counts:

- **new**: no ARR last month, ARR this month, and never ARR before;
- **reactivation**: no ARR last month, ARR this month, and ARR at some earlier month;
- **expansion** / **contraction**: ARR in both months, up / down;
- **churn**: ARR last month, none this month.

For every month ``start + new + reactivation + expansion - contraction - churn = end``, where
``start`` is last month's total and ``end`` this month's. Components are positive amounts.

A ratio with nothing to divide by is ``None`` in a dataclass and ``nan`` in a frame, always
with a reason in plain English ("no account had ARR in Nov 2025"); nothing divides by zero.

Examples
--------
>>> import pandas as pd
>>> arr = pd.DataFrame({"account_id": ["a", "a", "b"],
...                     "month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-02-01"]),
...                     "arr_usd": [100.0, 120.0, 50.0]})
>>> arr_bridge(arr)[["start_arr_usd", "new_usd", "expansion_usd", "end_arr_usd"]].iloc[0].tolist()
[100.0, 50.0, 20.0, 170.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from numbers import Integral

import numpy as np
import pandas as pd

__all__ = [
    "BRIDGE_COLUMNS",
    "BRIDGE_COMPONENTS",
    "LOGO_CHURN_COLUMNS",
    "RETENTION_COLUMNS",
    "SEGMENT_BRIDGE_COLUMNS",
    "UNKNOWN_SEGMENT",
    "LogoChurn",
    "Share",
    "arr_bridge",
    "arr_bridge_by_segment",
    "bridge_imbalance",
    "in_segment",
    "logo_churn",
    "logo_churn_by_period",
    "period_bridge_columns",
    "quarterly_bridge",
    "retention_trend",
    "share",
]

BRIDGE_COMPONENTS = ("new", "reactivation", "expansion", "contraction", "churn")
BRIDGE_COLUMNS = (
    "month",
    "start_arr_usd",
    *(f"{component}_usd" for component in BRIDGE_COMPONENTS),
    "end_arr_usd",
)
SEGMENT_BRIDGE_COLUMNS = ("segment", *BRIDGE_COLUMNS)
RETENTION_COLUMNS = (
    "month",
    "cohort_accounts",
    "cohort_arr_usd",
    "net_retained_usd",
    "gross_retained_usd",
    "nrr",
    "grr",
    "reason",
)
LOGO_CHURN_COLUMNS = ("period", "accounts_at_start", "churned_accounts", "rate", "reason")
UNKNOWN_SEGMENT = "Unknown"  # the segment of an account that never had one
ARR_COLUMNS = ("account_id", "month", "arr_usd")
SHARE_TOLERANCE = 1e-9  # a part may exceed its whole by rounding, never by more


@dataclass(frozen=True)
class LogoChurn:
    """Paying accounts at the start of a period, how many of them were lost, and the rate."""

    accounts_at_start: int
    churned_accounts: int
    rate: float | None
    reason: str | None


@dataclass(frozen=True)
class Share:
    """A part of a whole; ``value`` is ``None``, with the ``reason``, when there is no whole."""

    part: float
    whole: float
    value: float | None
    reason: str | None


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------
def _check_columns(frame: pd.DataFrame, required: Sequence[str], what: str = "ARR frame") -> None:
    missing = set(required) - set(frame.columns)
    if missing:
        raise ValueError(f"{what} needs columns {', '.join(required)}; missing {sorted(missing)}")


def _check_arr_frame(arr: pd.DataFrame) -> None:
    _check_columns(arr, ARR_COLUMNS)
    if (arr["arr_usd"] < 0).any():
        raise ValueError("ARR cannot be negative; found negative arr_usd values")
    if arr.duplicated(["account_id", "month"]).any():
        raise ValueError("ARR frame has more than one row for an account and month")


def _check_arr_values(arr: pd.DataFrame, required: Sequence[str] = ARR_COLUMNS) -> None:
    """Columns present, no missing values, no negative ARR (rows of an account and month may
    repeat: callers that allow it sum them)."""
    _check_columns(arr, required)
    for column in ARR_COLUMNS:
        if arr[column].isna().any():
            raise ValueError(
                f"ARR frame has rows without {column}; every row needs an account, a month "
                "and an amount (0 for no ARR)"
            )
    if (arr["arr_usd"] < 0).any():
        raise ValueError("ARR cannot be negative; found negative arr_usd values")


def _month_of(day: date, name: str) -> pd.Period:
    if not isinstance(day, date):
        raise ValueError(f"{name} must be a date, got {day!r}")
    return pd.Timestamp(day).to_period("M")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def _month_label(month: pd.Period) -> str:
    """``Nov 2025``, in English whatever the locale."""
    return f"{month.to_timestamp().month_name()[:3]} {month.year}"


def _month_range(arr: pd.DataFrame) -> pd.PeriodIndex:
    months = pd.to_datetime(arr["month"])
    return pd.period_range(months.min().to_period("M"), months.max().to_period("M"), freq="M")


def _monthly_arr(arr: pd.DataFrame) -> pd.DataFrame:
    """ARR per account and calendar month (``period``), rows of the same month summed."""
    monthly = pd.DataFrame(
        {
            "account_id": arr["account_id"],
            "period": pd.to_datetime(arr["month"]).dt.to_period("M"),
            "arr_usd": arr["arr_usd"].astype(float),
        }
    )
    return monthly.groupby(["account_id", "period"], as_index=False, sort=False)["arr_usd"].sum()


def _reasons(reasons: Sequence[str | None]) -> pd.Series:
    # object dtype keeps None as None (a string dtype would turn it into nan)
    return pd.Series(list(reasons), dtype=object)


# --------------------------------------------------------------------------------------------
# ARR bridge
# --------------------------------------------------------------------------------------------
def arr_bridge(arr: pd.DataFrame) -> pd.DataFrame:
    """Monthly ARR bridge from ARR per account and month.

    Parameters
    ----------
    arr
        Columns ``account_id``, ``month`` (any day in the month) and ``arr_usd`` (ARR at the
        end of that month). Months with no row for an account count as zero.

    Returns
    -------
    pandas.DataFrame
        One row per month after the first month in ``arr`` (the first month has no known
        start), with the columns in :data:`BRIDGE_COLUMNS`. The input is not modified.
    """
    _check_arr_frame(arr)
    if arr.empty:
        return pd.DataFrame(columns=list(BRIDGE_COLUMNS))
    return _bridge_over(arr, _month_range(arr))


def _bridge_over(arr: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """The bridge of ``arr`` for every month of ``months`` after the first."""
    positive = arr.loc[arr["arr_usd"] > 0, ["account_id", "month", "arr_usd"]].copy()
    positive["period"] = pd.to_datetime(arr.loc[positive.index, "month"]).dt.to_period("M")
    if positive.empty or len(months) < 2:
        return _empty_bridge(months[1:])
    current = positive[["account_id", "period", "arr_usd"]]
    previous = current.assign(period=current["period"] + 1).rename(
        columns={"arr_usd": "previous_usd"}
    )
    pairs = current.merge(previous, on=["account_id", "period"], how="outer")
    pairs = pairs[pairs["period"].isin(months[1:])]
    pairs["arr_usd"] = pairs["arr_usd"].fillna(0.0)
    pairs["previous_usd"] = pairs["previous_usd"].fillna(0.0)
    first_period = current.groupby("account_id")["period"].min()
    is_first = pairs["period"] == pairs["account_id"].map(first_period)
    now, before = pairs["arr_usd"], pairs["previous_usd"]
    starting = (before == 0) & (now > 0)
    pairs["new_usd"] = np.where(starting & is_first, now, 0.0)
    pairs["reactivation_usd"] = np.where(starting & ~is_first, now, 0.0)
    both = (before > 0) & (now > 0)
    pairs["expansion_usd"] = np.where(both & (now > before), now - before, 0.0)
    pairs["contraction_usd"] = np.where(both & (now < before), before - now, 0.0)
    pairs["churn_usd"] = np.where((before > 0) & (now == 0), before, 0.0)
    totals = pairs.groupby("period")[
        ["previous_usd", *(f"{component}_usd" for component in BRIDGE_COMPONENTS), "arr_usd"]
    ].sum()
    totals = totals.reindex(months[1:], fill_value=0.0)
    bridge = totals.rename(columns={"previous_usd": "start_arr_usd", "arr_usd": "end_arr_usd"})
    bridge["month"] = bridge.index.to_timestamp()
    return bridge.reset_index(drop=True)[list(BRIDGE_COLUMNS)]


def _empty_bridge(months: pd.PeriodIndex) -> pd.DataFrame:
    bridge = pd.DataFrame(0.0, index=range(len(months)), columns=list(BRIDGE_COLUMNS[1:]))
    bridge.insert(0, "month", months.to_timestamp())
    return bridge


def bridge_imbalance(bridge: pd.DataFrame) -> pd.Series:
    """``start + new + reactivation + expansion - contraction - churn - end`` per month (0)."""
    return (
        bridge["start_arr_usd"]
        + bridge["new_usd"]
        + bridge["reactivation_usd"]
        + bridge["expansion_usd"]
        - bridge["contraction_usd"]
        - bridge["churn_usd"]
        - bridge["end_arr_usd"]
    )


def _account_segments(arr: pd.DataFrame) -> pd.Series:
    """Each account's segment on its latest month with one (:data:`UNKNOWN_SEGMENT` if none)."""
    labelled = arr.loc[arr["segment"].notna(), ["account_id", "month", "segment"]]
    labelled = labelled.assign(month=pd.to_datetime(labelled["month"]))
    latest = (
        labelled.sort_values("month", kind="stable").groupby("account_id")["segment"].last()
    ).astype(object)
    segments = arr["account_id"].map(latest).astype(object)
    return segments.where(segments.notna(), UNKNOWN_SEGMENT)


def in_segment(arr: pd.DataFrame, segment: str) -> pd.DataFrame:
    """The rows of the accounts that belong to ``segment`` (by their latest segment).

    >>> arr = pd.DataFrame({"account_id": ["a", "a", "b"], "segment": ["SMB", "Mid", "SMB"],
    ...     "month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-01"]),
    ...     "arr_usd": [1.0, 2.0, 3.0]})
    >>> in_segment(arr, "SMB")["account_id"].tolist()
    ['b']
    """
    _check_columns(arr, (*ARR_COLUMNS, "segment"))
    return arr[_account_segments(arr) == segment]


def arr_bridge_by_segment(arr: pd.DataFrame) -> pd.DataFrame:
    """Monthly ARR bridge per segment, each account counted in one segment throughout.

    An account's segment is the one on its latest month with a segment (``Unknown`` when it
    never has one), so an account that moves segment shows as expansion or contraction in its
    final segment, never as churn in one and new business in another.

    Parameters
    ----------
    arr
        Columns ``account_id``, ``month`` (any day in the month), ``arr_usd`` (ARR at the end of
        that month) and ``segment`` (may be missing on some rows), one row per account and month.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SEGMENT_BRIDGE_COLUMNS` (``segment`` then :data:`BRIDGE_COLUMNS`), sorted
        by segment then month. Every segment has every month of the overall range after the
        first, with zeros where nothing happened; summing the segments month by month gives
        :func:`arr_bridge` of the whole frame. The input is not modified.

    Raises
    ------
    ValueError
        When a column is missing, a value other than ``segment`` is missing, ARR is negative, or
        an account has more than one row for a month.

    Examples
    --------
    Account ``a`` moves from SMB to Mid-Market while growing; ``b`` has no segment:

    >>> arr = pd.DataFrame({"account_id": ["a", "a", "b"],
    ...                     "month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-02-01"]),
    ...                     "arr_usd": [100.0, 120.0, 50.0],
    ...                     "segment": ["SMB", "Mid-Market", None]})
    >>> bridge = arr_bridge_by_segment(arr)
    >>> bridge[["segment", "start_arr_usd", "new_usd", "expansion_usd", "churn_usd"]]
          segment  start_arr_usd  new_usd  expansion_usd  churn_usd
    0  Mid-Market          100.0      0.0           20.0        0.0
    1     Unknown            0.0     50.0            0.0        0.0
    """
    _check_arr_values(arr, (*ARR_COLUMNS, "segment"))
    _check_arr_frame(arr)
    if arr.empty:
        return pd.DataFrame(columns=list(SEGMENT_BRIDGE_COLUMNS))
    months = _month_range(arr)
    segments = _account_segments(arr)
    bridges = []
    for segment in sorted(segments.unique()):
        bridge = _bridge_over(arr.loc[segments == segment, list(ARR_COLUMNS)], months)
        bridge.insert(0, "segment", segment)
        bridges.append(bridge)
    return pd.concat(bridges, ignore_index=True)[list(SEGMENT_BRIDGE_COLUMNS)]


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------
def period_bridge_columns(with_segment: bool = False) -> tuple[str, ...]:
    """Columns of :func:`quarterly_bridge`, with ``segment`` after ``period`` when asked."""
    return (
        "period",
        *(("segment",) if with_segment else ()),
        "first_month",
        "last_month",
        "months",
        "start_arr_usd",
        *(f"{component}_usd" for component in BRIDGE_COMPONENTS),
        "end_arr_usd",
    )


def quarterly_bridge(bridge: pd.DataFrame, quarter_of: Callable[[date], str]) -> pd.DataFrame:
    """Roll a monthly ARR bridge up to periods (fiscal quarters, or whatever ``quarter_of`` names).

    Parameters
    ----------
    bridge
        A monthly bridge: the output of :func:`arr_bridge`, or of
        :func:`arr_bridge_by_segment` (then each segment is rolled up on its own). Within a
        period the months present must be consecutive.
    quarter_of
        The period label of a month, given the month's first day: ``"Q4 FY2027"``.

    Returns
    -------
    pandas.DataFrame
        One row per period (and segment), ordered by ``first_month``, with the columns of
        :func:`period_bridge_columns`: ``first_month`` and ``last_month`` are the first and
        last months of the period present in ``bridge`` (a period in progress has fewer than
        three), ``months`` how many; ``start_arr_usd`` is the start of the first month,
        ``end_arr_usd`` the end of the last, and the components are summed, so an account that
        churns and comes back within a period counts in both churn and reactivation. Each row
        balances (:func:`bridge_imbalance` is 0). The input is not modified.

    Raises
    ------
    ValueError
        When a bridge column is missing, a month appears twice (for a segment), the months of
        a period are not consecutive, or ``quarter_of`` does not return a label.

    Examples
    --------
    >>> from core.calendar import FiscalCalendar
    >>> calendar = FiscalCalendar(start_month=2)
    >>> arr = pd.DataFrame({"account_id": ["a", "a", "a", "b"],
    ...                     "month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01",
    ...                                              "2026-03-01"]),
    ...                     "arr_usd": [100.0, 0.0, 100.0, 50.0]})
    >>> quarters = quarterly_bridge(
    ...     arr_bridge(arr), lambda day: calendar.quarter_containing(day).label
    ... )
    >>> quarters[["period", "first_month", "months", "start_arr_usd", "end_arr_usd"]]
          period first_month  months  start_arr_usd  end_arr_usd
    0  Q1 FY2027  2026-02-01       2          100.0        150.0
    >>> quarters[["new_usd", "reactivation_usd", "churn_usd"]].iloc[0].tolist()
    [50.0, 100.0, 100.0]
    """
    _check_columns(bridge, BRIDGE_COLUMNS, "bridge")
    keys = ["segment"] if "segment" in bridge.columns else []
    columns = list(period_bridge_columns(with_segment=bool(keys)))
    if bridge.empty:
        return pd.DataFrame(columns=columns)
    months = pd.to_datetime(bridge["month"])
    if months.isna().any():
        raise ValueError("bridge has rows without a month")
    months = months.dt.to_period("M").dt.to_timestamp()
    frame = bridge.assign(month=months)
    if frame.duplicated([*keys, "month"]).any():
        raise ValueError(
            "bridge has more than one row for a month"
            + (" and segment" if keys else "")
            + "; pass one monthly bridge"
        )
    labels = {month: quarter_of(month.date()) for month in months.unique()}
    for month, label in labels.items():
        if not isinstance(label, str) or not label:
            raise ValueError(
                f"quarter_of must return a period label such as 'Q4 FY2027'; "
                f"got {label!r} for {_month_label(month.to_period('M'))}"
            )
    frame["period"] = frame["month"].map(labels)
    frame = frame.sort_values([*keys, "month"], kind="stable")
    flows = [f"{component}_usd" for component in BRIDGE_COMPONENTS]
    rolled = (
        frame.groupby([*keys, "period"], sort=False, dropna=False)
        .agg(
            first_month=("month", "first"),
            last_month=("month", "last"),
            months=("month", "size"),
            start_arr_usd=("start_arr_usd", "first"),
            **{flow: (flow, "sum") for flow in flows},
            end_arr_usd=("end_arr_usd", "last"),
        )
        .reset_index()
    )
    span = (
        (rolled["last_month"].dt.year - rolled["first_month"].dt.year) * 12
        + rolled["last_month"].dt.month
        - rolled["first_month"].dt.month
        + 1
    )
    gaps = rolled[span != rolled["months"]]
    if not gaps.empty:
        gap = gaps.iloc[0]
        raise ValueError(
            f"the months of {gap['period']} in the bridge are not consecutive "
            f"({gap['months']} months between {_month_label(gap['first_month'].to_period('M'))} "
            f"and {_month_label(gap['last_month'].to_period('M'))}); pass the whole monthly "
            "bridge, and a quarter_of that gives each period consecutive months"
        )
    rolled["months"] = rolled["months"].astype(int)
    rolled = rolled.sort_values(["first_month", *keys], kind="stable")
    return rolled.reset_index(drop=True)[columns]


# --------------------------------------------------------------------------------------------
# Retention
# --------------------------------------------------------------------------------------------
def retention_trend(arr: pd.DataFrame, window_months: int = 12) -> pd.DataFrame:
    """Net and gross revenue retention (NRR, GRR) per month over a trailing window.

    For month ``t`` the cohort is the accounts with ARR in month ``t - window_months``;
    ``NRR(t) = sum ARR(t) / sum ARR(t - window)`` and
    ``GRR(t) = sum min(ARR(t), ARR(t - window)) / sum ARR(t - window)`` over the cohort, an
    account with no row in month ``t`` counting as zero. Accounts that started paying after
    ``t - window`` are not in the cohort. GRR never exceeds 1 nor NRR.

    Parameters
    ----------
    arr
        Columns ``account_id``, ``month`` (any day in the month) and ``arr_usd``; rows of the
        same account and month are summed.
    window_months
        Months between the cohort's month and the month measured (12 for the annual rates).

    Returns
    -------
    pandas.DataFrame
        One row per month from the first month in ``arr`` plus ``window_months`` to the last,
        with the columns in :data:`RETENTION_COLUMNS`: ``month`` (first day), the cohort's
        ``cohort_accounts`` and ``cohort_arr_usd``, ``net_retained_usd`` and
        ``gross_retained_usd`` (the numerators), ``nrr``, ``grr`` and ``reason``: ``None``, or
        why the rates are ``nan`` ("no account had ARR in Nov 2025"). Empty when ``arr`` spans
        no more than ``window_months`` months. The input is not modified.

    Raises
    ------
    ValueError
        When ``window_months`` is not a whole number of at least 1, a column or value is
        missing, or ARR is negative.

    Examples
    --------
    ``a`` grows from 100 to 150, ``b`` churns its 50 and ``c`` is new (not in the cohort):

    >>> arr = pd.DataFrame({"account_id": ["a", "b", "a", "c"],
    ...                     "month": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-02-01",
    ...                                              "2026-02-01"]),
    ...                     "arr_usd": [100.0, 50.0, 150.0, 80.0]})
    >>> retention_trend(arr, window_months=1)[["month", "cohort_accounts", "nrr", "grr"]]
           month  cohort_accounts  nrr       grr
    0 2026-02-01                2  1.0  0.666667
    """
    if isinstance(window_months, bool) or not isinstance(window_months, Integral):
        raise ValueError(f"window_months must be a whole number of months, got {window_months!r}")
    if window_months < 1:
        raise ValueError(f"window_months must be at least 1, got {window_months}")
    _check_arr_values(arr)
    if arr.empty:
        return retention_frame(pd.PeriodIndex([], freq="M"), pd.DataFrame(), window_months)
    monthly = _monthly_arr(arr)
    months = _month_range(arr)[window_months:]
    cohort = monthly.loc[monthly["arr_usd"] > 0].rename(columns={"arr_usd": "cohort_usd"})
    cohort = cohort.assign(period=cohort["period"] + window_months)
    cohort = cohort[cohort["period"].isin(months)]
    joined = cohort.merge(monthly, on=["account_id", "period"], how="left")
    joined["arr_usd"] = joined["arr_usd"].fillna(0.0)
    joined["kept_usd"] = np.minimum(joined["arr_usd"], joined["cohort_usd"])
    totals = joined.groupby("period").agg(
        cohort_accounts=("account_id", "size"),
        cohort_arr_usd=("cohort_usd", "sum"),
        net_retained_usd=("arr_usd", "sum"),
        gross_retained_usd=("kept_usd", "sum"),
    )
    return retention_frame(months, totals, window_months)


def retention_frame(
    months: pd.PeriodIndex, totals: pd.DataFrame, window_months: int
) -> pd.DataFrame:
    """The :func:`retention_trend` frame from per-month totals (``cohort_accounts``,
    ``cohort_arr_usd``, ``net_retained_usd``, ``gross_retained_usd``, indexed by month)."""
    totals = totals.reindex(months)
    accounts = totals.get("cohort_accounts", pd.Series(index=months, dtype=float))
    accounts = accounts.fillna(0).astype(int)
    amounts = {
        column: totals.get(column, pd.Series(index=months, dtype=float)).fillna(0.0).astype(float)
        for column in ("cohort_arr_usd", "net_retained_usd", "gross_retained_usd")
    }
    # Every cohort account has ARR > 0, so a cohort with accounts has a positive total.
    denominator = amounts["cohort_arr_usd"].where(accounts > 0)
    reasons = [
        None if count > 0 else f"no account had ARR in {_month_label(month - window_months)}"
        for month, count in zip(months, accounts, strict=True)
    ]
    return pd.DataFrame(
        {
            "month": months.to_timestamp(),
            "cohort_accounts": accounts.to_numpy(),
            **{column: values.to_numpy() for column, values in amounts.items()},
            "nrr": (amounts["net_retained_usd"] / denominator).to_numpy(),
            "grr": (amounts["gross_retained_usd"] / denominator).to_numpy(),
            "reason": _reasons(reasons),
        }
    )[list(RETENTION_COLUMNS)]


# --------------------------------------------------------------------------------------------
# Logo churn
# --------------------------------------------------------------------------------------------
def logo_churn(arr: pd.DataFrame, first_month: date, last_month: date) -> LogoChurn:
    """Logo churn over the months ``first_month`` to ``last_month`` (any day in each).

    The accounts at the start are those with ARR in the month before ``first_month``; of
    those, the churned ones have no ARR (zero or no row) in ``last_month``. An account that
    lapses and is paying again by ``last_month`` is not churned; one that returns only later
    is. Months with no rows count as no ARR, so ``last_month`` should be a month the data
    covers.

    Parameters
    ----------
    arr
        Columns ``account_id``, ``month`` (any day in the month) and ``arr_usd``; rows of the
        same account and month are summed.
    first_month, last_month
        The first and last months of the period, ``first_month`` not after ``last_month``.

    Returns
    -------
    LogoChurn
        ``accounts_at_start``, ``churned_accounts``, ``rate`` (churned / at start), and when
        no account was paying at the start, ``rate`` ``None`` with the ``reason``.

    Raises
    ------
    ValueError
        When ``first_month`` is after ``last_month``, either is not a date, a column or value is
        missing, or ARR is negative.

    Examples
    --------
    >>> from datetime import date
    >>> arr = pd.DataFrame({"account_id": ["a", "b", "a"],
    ...                     "month": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-03-01"]),
    ...                     "arr_usd": [100.0, 50.0, 100.0]})
    >>> logo_churn(arr, date(2026, 2, 1), date(2026, 3, 1))
    LogoChurn(accounts_at_start=2, churned_accounts=1, rate=0.5, reason=None)
    >>> logo_churn(arr, date(2026, 1, 1), date(2026, 3, 1)).reason
    'no paying accounts at the start of Jan 2026'
    """
    first, last = _checked_months(first_month, last_month)
    _check_arr_values(arr)
    return _logo_churn(_monthly_arr(arr), first, last)


def _checked_months(first_month: date, last_month: date) -> tuple[pd.Period, pd.Period]:
    first, last = _month_of(first_month, "first_month"), _month_of(last_month, "last_month")
    if first > last:
        raise ValueError(
            f"first_month ({_month_label(first)}) must not be after "
            f"last_month ({_month_label(last)})"
        )
    return first, last


def _logo_churn(monthly: pd.DataFrame, first: pd.Period, last: pd.Period) -> LogoChurn:
    paying = monthly["arr_usd"] > 0
    at_start = monthly.loc[paying & (monthly["period"] == first - 1), "account_id"]
    at_end = monthly.loc[paying & (monthly["period"] == last), "account_id"]
    churned = int((~at_start.isin(at_end)).sum())
    if at_start.empty:
        return LogoChurn(0, 0, None, f"no paying accounts at the start of {_month_label(first)}")
    return LogoChurn(len(at_start), churned, churned / len(at_start), None)


def logo_churn_by_period(
    arr: pd.DataFrame, periods: Sequence[tuple[str, date, date]]
) -> pd.DataFrame:
    """:func:`logo_churn` for each ``(label, first_month, last_month)`` of ``periods``.

    Returns
    -------
    pandas.DataFrame
        One row per period, in the order given, with the columns in
        :data:`LOGO_CHURN_COLUMNS`; ``rate`` is ``nan`` where undefined, with the ``reason``.

    Raises
    ------
    ValueError
        As :func:`logo_churn`, or when a period is not a ``(label, first_month, last_month)``.

    Examples
    --------
    >>> from datetime import date
    >>> arr = pd.DataFrame({"account_id": ["a", "b", "a"],
    ...                     "month": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-03-01"]),
    ...                     "arr_usd": [100.0, 50.0, 100.0]})
    >>> churn = logo_churn_by_period(arr, [("Jan", date(2026, 1, 1), date(2026, 1, 31)),
    ...                                    ("Feb-Mar", date(2026, 2, 1), date(2026, 3, 1))])
    >>> churn[["period", "accounts_at_start", "churned_accounts", "rate"]]
        period  accounts_at_start  churned_accounts  rate
    0      Jan                  0                 0   NaN
    1  Feb-Mar                  2                 1   0.5
    >>> churn["reason"].tolist()
    ['no paying accounts at the start of Jan 2026', None]
    """
    checked = []
    for period in periods:
        if not isinstance(period, tuple) or len(period) != 3 or not isinstance(period[0], str):
            raise ValueError(
                f"each period must be (label, first_month, last_month), got {period!r}"
            )
        label, first_month, last_month = period
        checked.append((label, *_checked_months(first_month, last_month)))
    _check_arr_values(arr)
    monthly = _monthly_arr(arr)
    churns = [(label, _logo_churn(monthly, first, last)) for label, first, last in checked]
    return pd.DataFrame(
        {
            "period": pd.Series([label for label, _ in churns], dtype=object),
            "accounts_at_start": pd.Series(
                [churn.accounts_at_start for _, churn in churns], dtype=int
            ),
            "churned_accounts": pd.Series(
                [churn.churned_accounts for _, churn in churns], dtype=int
            ),
            "rate": pd.Series(
                [math.nan if churn.rate is None else churn.rate for _, churn in churns],
                dtype=float,
            ),
            "reason": _reasons([churn.reason for _, churn in churns]),
        }
    )[list(LOGO_CHURN_COLUMNS)]


# --------------------------------------------------------------------------------------------
# Shares
# --------------------------------------------------------------------------------------------
def _amount(value: float) -> str:
    return f"{value:,.10g}"


def share(part: float, whole: float, what: str) -> Share:
    """``part / whole``, or ``None`` with the reason ``"no <what>"`` when the whole is 0.

    Used for the marketing-sourced share of new business and the marketing-influenced share of
    expansion and renewal.

    Parameters
    ----------
    part, whole
        Non-negative amounts, ``part`` no more than ``whole`` (give or take rounding).
    what
        What the whole is, in words that follow "no": ``"new-business bookings"``.

    Returns
    -------
    Share
        ``part``, ``whole``, ``value`` (in [0, 1]) and ``reason`` (why ``value`` is ``None``).

    Raises
    ------
    ValueError
        When ``part`` or ``whole`` is negative or not finite, ``part`` exceeds a positive
        ``whole``, or ``what`` is empty.

    Examples
    --------
    >>> share(30_000, 120_000, "new-business bookings").value
    0.25
    >>> share(0, 0, "new-business bookings").reason
    'no new-business bookings'
    """
    if not isinstance(what, str) or not what.strip():
        raise ValueError(f"what must say what the whole is, such as 'bookings'; got {what!r}")
    for name, amount in (("part", part), ("whole", whole)):
        if not math.isfinite(amount):
            raise ValueError(f"{name} of {what} must be a finite number, got {amount!r}")
        if amount < 0:
            raise ValueError(f"{name} of {what} cannot be negative, got {_amount(amount)}")
    if whole == 0:
        return Share(part, whole, None, f"no {what}")
    if part > whole * (1 + SHARE_TOLERANCE):
        raise ValueError(
            f"part of {what} ({_amount(part)}) cannot be more than the whole ({_amount(whole)})"
        )
    return Share(part, whole, min(part / whole, 1.0), None)


def bridges_with_retention(
    arr: pd.DataFrame, quarter_of: Callable[[date], str], window_months: int = 12
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The monthly and the quarterly bridge, each row with NRR and GRR at its last month.

    Columns: the bridge's (``month`` first for months, ``period`` for quarters) plus ``nrr``,
    ``grr`` (``nan`` where undefined) and ``retention_reason``. This is what the Revenue page
    and ``python -m core revenue`` show.

    >>> arr = pd.DataFrame({"account_id": ["a"] * 14,
    ...     "month": pd.date_range("2025-01-01", periods=14, freq="MS"), "arr_usd": [100.0] * 14})
    >>> def quarter_of(day):
    ...     return f"{day.year}Q{(day.month + 2) // 3}"
    >>> months, quarters = bridges_with_retention(arr, quarter_of)
    >>> float(months["nrr"].iloc[-1]), quarters["period"].tolist()[-1]
    (1.0, '2026Q1')
    """
    _check_arr_values(arr)
    months = arr_bridge(arr[list(ARR_COLUMNS)])
    retention = retention_trend(arr[list(ARR_COLUMNS)], window_months)
    return combine_bridges_and_retention(months, retention, quarter_of, window_months)


def combine_bridges_and_retention(
    months: pd.DataFrame,
    retention: pd.DataFrame,
    quarter_of: Callable[[date], str],
    window_months: int = 12,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`bridges_with_retention` from a monthly bridge (:func:`arr_bridge`) and the
    :func:`retention_trend` of the same rows, however they were computed."""
    rates = retention.set_index("month")[["nrr", "grr", "reason"]].rename(
        columns={"reason": "retention_reason"}
    )
    if months.empty:
        empty = months.assign(nrr=np.nan, grr=np.nan, retention_reason=None)
        return empty, empty.rename(columns={"month": "period"})
    months = months.join(rates, on="month")
    no_cohort = f"less than {window_months} months of ARR before this month"
    months["retention_reason"] = months["retention_reason"].where(
        months["nrr"].notna() | months["retention_reason"].notna(), no_cohort
    )
    quarters = quarterly_bridge(months[list(BRIDGE_COLUMNS)], quarter_of)
    quarters = quarters.join(months.set_index("month")[["nrr", "grr", "retention_reason"]],
                             on="last_month")  # fmt: skip
    return months, quarters
