"""The exec review: frozen records of the numbers, and what moved since the last one.

A review freezes a *snapshot* (a plain JSON-ready dict built by ``core.store.reviews``): the
headline numbers, every goal's status and projection, revenue, pipeline and coverage, the
current forecast call, what's working, the latest saved budget scenario, the charts' data and
the definition versions behind them. Later uploads or definition changes never alter it. This
module compares two snapshots and keeps the cadence; ``core.review_pack`` prints one.

Examples
--------
>>> then = {"goals": [{"goal_id": "g", "name": "Q4 bookings", "status": "green",
...                    "projection": 110.0, "target": 100.0, "unit": "usd"}]}
>>> now = {"goals": [{"goal_id": "g", "name": "Q4 bookings", "status": "amber",
...                   "projection": 95.0, "target": 100.0, "unit": "usd"}]}
>>> goal_movements(then, now)[["name", "status_then", "status_now", "move"]].values.tolist()
[['Q4 bookings', 'green', 'amber', -0.15]]
>>> next_review_date(date(2026, 12, 1), 14, date(2026, 12, 3))
datetime.date(2026, 12, 15)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

SNAPSHOT_SCHEMA = 1
DEFAULT_CADENCE_DAYS = 14
DECISION_STATUSES = ("open", "done", "dropped")
STATUS_RANK = {"red": 0, "amber": 1, "green": 2}


def jsonable(value: object) -> object:
    """``value`` with dates as ISO text, NaN and inf as ``None``, numpy scalars as Python ones.

    >>> jsonable({"a": float("nan"), "b": [date(2026, 12, 1), np.int64(3)]})
    {'a': None, 'b': ['2026-12-01', 3]}
    """
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT:
        return None
    return value


def records(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict[str, object]]:
    """A frame as JSON-ready rows (only ``columns`` when given)."""
    if frame is None or frame.empty:
        return []
    chosen = frame if columns is None else frame[[c for c in columns if c in frame.columns]]
    return jsonable(chosen.to_dict(orient="records"))  # type: ignore[return-value]


def next_review_date(last: date | None, cadence_days: int, today: date) -> date:
    """The next review: ``cadence_days`` after the last one, or today when none is held yet
    (or the next one is overdue, the first day after today on the cadence)."""
    if cadence_days < 1:
        raise ValueError(f"the review cadence must be at least one day, got {cadence_days}")
    if last is None:
        return today
    day = last + timedelta(days=cadence_days)
    while day < today:
        day += timedelta(days=cadence_days)
    return day


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def goal_movements(then: Mapping[str, object], now: Mapping[str, object]) -> pd.DataFrame:
    """Each goal's status and projection at the last review and now, biggest movement first.

    ``move`` is the change in projection as a share of target (``nan`` when either is unknown);
    goals added or removed since are listed with the missing side empty. Sorted by how far the
    status moved, then by the size of the move.
    """
    columns = [
        "goal_id", "name", "unit", "target", "status_then", "status_now", "projection_then",
        "projection_now", "move", "version_then", "version_now",
    ]  # fmt: skip
    before = {str(goal["goal_id"]): goal for goal in then.get("goals", [])}  # type: ignore[union-attr]
    after = {str(goal["goal_id"]): goal for goal in now.get("goals", [])}  # type: ignore[union-attr]
    rows = []
    for goal_id in dict.fromkeys([*before, *after]):
        old, new = before.get(goal_id, {}), after.get(goal_id, {})
        target = _number(new.get("target", old.get("target")))
        projected_then = _number(old.get("projection"))
        projected_now = _number(new.get("projection"))
        move = (
            (projected_now - projected_then) / target
            if target and projected_then is not None and projected_now is not None
            else math.nan
        )
        rows.append(
            {
                "goal_id": goal_id,
                "name": new.get("name", old.get("name")),
                "unit": new.get("unit", old.get("unit")),
                "target": target,
                "status_then": old.get("status"),
                "status_now": new.get("status"),
                "projection_then": projected_then,
                "projection_now": projected_now,
                "move": round(move, 12) if not math.isnan(move) else move,
                # The metric definition each side was computed under: a goal whose metric was
                # redefined in between moved partly because of it.
                "version_then": old.get("definition_version"),
                "version_now": new.get("definition_version"),
            }
        )
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    steps = [
        abs(STATUS_RANK.get(str(a), 1) - STATUS_RANK.get(str(b), 1))
        if a != b and not pd.isna(a) and not pd.isna(b)
        else 0
        for a, b in zip(frame["status_then"], frame["status_now"], strict=True)
    ]
    frame["_steps"] = steps
    frame["_size"] = frame["move"].abs().fillna(0.0)
    frame = frame.sort_values(["_steps", "_size", "name"], ascending=[False, False, True])
    return frame.drop(columns=["_steps", "_size"]).reset_index(drop=True)


def _version(snapshot: Mapping[str, object], metric: str) -> int | None:
    """The definition version ``snapshot`` computed ``metric`` under (None if not recorded)."""
    entry = snapshot.get("definitions", {}).get(metric, {})  # type: ignore[union-attr]
    version = entry.get("version") if isinstance(entry, Mapping) else None
    return int(version) if version is not None else None


def redefinitions(then: Mapping[str, object], now: Mapping[str, object]) -> pd.DataFrame:
    """Metrics whose definition version differs between two snapshots: ``metric``, ``label``,
    ``version_then``, ``version_now``. A number of such a metric moved partly (or only)
    because its definition changed, and must say so beside its change."""
    rows = []
    for metric, entry in now.get("definitions", {}).items():  # type: ignore[union-attr]
        before, after = _version(then, metric), _version(now, metric)
        if before is not None and after is not None and before != after:
            label = entry.get("label", metric) if isinstance(entry, Mapping) else metric
            rows.append(
                {"metric": metric, "label": label, "version_then": before, "version_now": after}
            )
    return pd.DataFrame(rows, columns=["metric", "label", "version_then", "version_now"])


def headline_changes(then: Mapping[str, object], now: Mapping[str, object]) -> pd.DataFrame:
    """Each headline then and now, with the change, largest relative change first, and the
    definition version each was computed under (``redefined`` when they differ)."""
    before = {str(row["metric"]): row for row in then.get("headlines", [])}  # type: ignore[union-attr]
    rows = []
    for row in now.get("headlines", []):  # type: ignore[union-attr]
        old = before.get(str(row["metric"]), {})
        version_then, version_now = (
            _version(then, str(row["metric"])),
            _version(now, str(row["metric"])),
        )
        value_then, value_now = _number(old.get("value")), _number(row.get("value"))
        change = (
            value_now - value_then if value_then is not None and value_now is not None else None
        )
        relative = change / abs(value_then) if change is not None and value_then else math.nan
        rows.append(
            {
                "metric": row["metric"],
                "label": row.get("label", row["metric"]),
                "unit": row.get("unit", "usd"),
                "then": value_then,
                "now": value_now,
                "change": change,
                "relative": relative,
                "version_then": version_then,
                "version_now": version_now,
                "redefined": None not in (version_then, version_now)
                and version_then != version_now,
            }
        )
    columns = ["metric", "label", "unit", "then", "now", "change", "relative", "version_then",
               "version_now", "redefined"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    order = frame["relative"].abs().fillna(-1.0).sort_values(ascending=False).index
    return frame.loc[order].reset_index(drop=True)


def forecast_changes(then: Mapping[str, object], now: Mapping[str, object]) -> pd.DataFrame:
    """Each forecaster's most likely call then and now, per metric and period, moved first."""
    key = ("metric", "period", "forecaster")

    def calls(snapshot: Mapping[str, object]) -> dict[tuple[str, ...], Mapping[str, object]]:
        current = snapshot.get("forecasts", {}).get("current", [])  # type: ignore[union-attr]
        return {tuple(str(call[part]) for part in key): call for call in current}

    before, after = calls(then), calls(now)
    rows = []
    for found in dict.fromkeys([*before, *after]):
        old, new = before.get(found, {}), after.get(found, {})
        value_then, value_now = _number(old.get("most_likely")), _number(new.get("most_likely"))
        rows.append(
            {
                **dict(zip(key, found, strict=True)),
                "then": value_then,
                "now": value_now,
                "change": None
                if value_then is None or value_now is None
                else value_now - value_then,
            }
        )
    frame = pd.DataFrame(rows, columns=[*key, "then", "now", "change"])
    order = frame["change"].abs().fillna(-1.0).sort_values(ascending=False).index
    return frame.loc[order].reset_index(drop=True)


def open_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """Decisions still open (the newest version of each), earliest due first."""
    if decisions.empty:
        return decisions
    frame = decisions[decisions["status"] == "open"]
    return frame.sort_values(["due_date", "decision"], na_position="last").reset_index(drop=True)


def check_decision(decision: str, owner: str, status: str) -> list[str]:
    """Why a decision cannot be recorded (empty when it can)."""
    problems = []
    if not decision.strip():
        problems.append("Write the decision.")
    if len(decision) > 500:
        problems.append(f"The decision is {len(decision)} characters; keep it to 500.")
    if not owner.strip():
        problems.append("Name the owner.")
    if status not in DECISION_STATUSES:
        problems.append(f"Status must be one of {', '.join(DECISION_STATUSES)}, got {status!r}.")
    return problems
