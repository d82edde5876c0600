"""Recurring revenue: the ARR bridge.

Per account and month, with ARR at the end of the month (absent rows mean zero):

- **new**: no ARR last month, ARR this month, and never ARR before;
- **reactivation**: no ARR last month, ARR this month, and ARR at some earlier month;
- **expansion** / **contraction**: ARR in both months, up / down;
- **churn**: ARR last month, none this month.

For every month ``start + new + reactivation + expansion - contraction - churn = end``, where
``start`` is last month's total and ``end`` this month's. Components are positive amounts.

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

import numpy as np
import pandas as pd

BRIDGE_COMPONENTS = ("new", "reactivation", "expansion", "contraction", "churn")
BRIDGE_COLUMNS = (
    "month",
    "start_arr_usd",
    *(f"{component}_usd" for component in BRIDGE_COMPONENTS),
    "end_arr_usd",
)


def _check_arr_frame(arr: pd.DataFrame) -> None:
    missing = {"account_id", "month", "arr_usd"} - set(arr.columns)
    if missing:
        raise ValueError(
            f"ARR frame needs columns account_id, month, arr_usd; missing {sorted(missing)}"
        )
    if (arr["arr_usd"] < 0).any():
        raise ValueError("ARR cannot be negative; found negative arr_usd values")
    if arr.duplicated(["account_id", "month"]).any():
        raise ValueError("ARR frame has more than one row for an account and month")


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
    positive = arr.loc[arr["arr_usd"] > 0, ["account_id", "month", "arr_usd"]].copy()
    positive["period"] = pd.to_datetime(arr.loc[positive.index, "month"]).dt.to_period("M")
    months = pd.period_range(
        pd.to_datetime(arr["month"]).min().to_period("M"),
        pd.to_datetime(arr["month"]).max().to_period("M"),
        freq="M",
    )
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
