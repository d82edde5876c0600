"""Small portable writes: settings. Bulk facts go through ``core.store.ingest``."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.access import Actor
from core.store import audit
from core.store.schema import bump_data_version, settings


def set_setting(
    connection: Connection,
    key: str,
    value: str,
    updated_by: str | Actor,
    now: datetime,
    changes_numbers: bool = True,
) -> None:
    """Insert or replace one setting inside the caller's transaction, and audit the change.

    A setting that changes numbers (the fiscal calendar) bumps the data version so every cached
    read refreshes; one that does not (the review cadence) leaves the caches alone. The caller
    checks who may change it (``core.access.require(actor, "change_setting")``).
    """
    who = updated_by if isinstance(updated_by, Actor) else Actor.local(updated_by)
    before = connection.execute(
        sa.select(settings.c.value).where(settings.c.key == key)
    ).scalar_one_or_none()
    connection.execute(settings.delete().where(settings.c.key == key))
    connection.execute(
        settings.insert().values(key=key, value=value, updated_at=now, updated_by=who.label)
    )
    audit.record(
        connection,
        who,
        "change_setting",
        f"setting {key}",
        f"{key}: {before if before is not None else '(not set)'} -> {value}",
        before={key: before},
        after={key: value},
        now=now,
    )
    if changes_numbers:
        bump_data_version(connection)
