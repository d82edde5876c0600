"""Metric definition versions in the store: read them, record new ones, never overwrite.

The shipped defaults (``core.definitions.DEFAULT_DEFINITIONS``) are version 1 of each metric.
They are written to ``metric_definitions`` the first time a metric changes, so the table holds
the whole history of every metric that ever changed, and a metric that never changed reads as
its default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from types import MappingProxyType

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.access import Actor, require
from core.definitions import (
    DEFAULT_DEFINITIONS,
    MetricDefinition,
    ProposedChange,
    default_definition,
    in_effect,
    next_version,
)
from core.store import audit
from core.store.engine import ensure_writable
from core.store.schema import bump_data_version, metric_definitions


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _from_row(row: sa.Row) -> MetricDefinition:
    parameters = {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in json.loads(row.parameters_json).items()
    }
    return MetricDefinition(
        metric=row.metric,
        version=int(row.version),
        label=row.label,
        unit=row.unit,
        direction=row.direction,
        description=row.description,
        owner=row.owner,
        parameters=MappingProxyType(parameters),
        effective_from=_as_date(row.effective_from),
        reason=row.reason,
        author=row.author,
        approved_by=row.approved_by,
        recorded_at=row.recorded_at,
    )


def _row_values(definition: MetricDefinition, recorded_at: datetime) -> dict[str, object]:
    return {
        "metric": definition.metric,
        "version": definition.version,
        "label": definition.label,
        "unit": definition.unit,
        "direction": definition.direction,
        "parameters_json": json.dumps(
            {
                name: list(value) if isinstance(value, tuple) else value
                for name, value in definition.parameters.items()
            }
        ),
        "description": definition.description,
        "owner": definition.owner,
        "effective_from": definition.effective_from,
        "reason": definition.reason,
        "author": definition.author,
        "approved_by": definition.approved_by,
        "recorded_at": definition.recorded_at or recorded_at,
    }


def _stored_histories(connection: Connection) -> dict[str, list[MetricDefinition]]:
    rows = connection.execute(
        sa.select(metric_definitions).order_by(
            metric_definitions.c.metric, metric_definitions.c.version
        )
    ).all()
    histories: dict[str, list[MetricDefinition]] = {}
    for row in rows:
        histories.setdefault(row.metric, []).append(_from_row(row))
    return histories


def all_histories(engine: Engine) -> dict[str, tuple[MetricDefinition, ...]]:
    """Every version of every metric, oldest first, in the registry's order of metrics."""
    with engine.connect() as connection:
        stored = _stored_histories(connection)
    return {
        metric: tuple(stored.get(metric) or [default])
        for metric, default in DEFAULT_DEFINITIONS.items()
    }


def history(engine: Engine, metric: str) -> tuple[MetricDefinition, ...]:
    """Every version of ``metric``, oldest first; ``ValueError`` for an unknown metric."""
    default_definition(metric)
    return all_histories(engine)[metric]


def definitions_on(
    histories: Mapping[str, tuple[MetricDefinition, ...]], day: date
) -> dict[str, MetricDefinition]:
    """The version of every metric in effect on ``day``."""
    return {metric: in_effect(versions, day) for metric, versions in histories.items()}


def current_definitions(engine: Engine, day: date | None = None) -> dict[str, MetricDefinition]:
    """The version of every metric in effect on ``day`` (today when not given)."""
    return definitions_on(all_histories(engine), day or date.today())


def record_change(
    engine: Engine,
    metric: str,
    change: ProposedChange,
    now: datetime | None = None,
    *,
    actor: Actor | None = None,
) -> MetricDefinition:
    """Record a new version of ``metric`` and return it; the old versions stay as they were.

    Raises ``ValueError`` (the message says what to fix) when the change is refused; nothing
    is written then. Cached numbers refresh: the store's data version moves on. ``actor`` is
    the signed-in admin, recorded as the author; without one, ``change.author`` is a local
    caller.
    """
    ensure_writable(engine)
    default = default_definition(metric)
    now = now or datetime.now()
    if actor is not None:
        change = replace(change, author=require(actor, "change_definition").label)
    with engine.begin() as connection:
        stored = _stored_histories(connection).get(metric, [])
        latest = stored[-1] if stored else default
        new = next_version(latest, change, now)
        who = actor or Actor.local(new.author)
        if not stored:
            connection.execute(metric_definitions.insert().values(**_row_values(default, now)))
        connection.execute(metric_definitions.insert().values(**_row_values(new, now)))
        audit.record(
            connection,
            who,
            "change_definition",
            f"definition {metric} v{new.version}",
            f"{metric} v{latest.version} -> v{new.version} from {new.effective_from}: {new.reason}",
            before=dict(latest.parameters),
            after=dict(new.parameters),
            now=now,
        )
        bump_data_version(connection)
    return new
