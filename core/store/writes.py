"""Small portable writes: settings. Bulk facts go through ``core.store.ingest``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from core.store.schema import bump_data_version, settings


def set_setting(
    connection: Connection,
    key: str,
    value: str,
    updated_by: str,
    now: datetime,
    changes_numbers: bool = True,
) -> None:
    """Insert or replace one setting inside the caller's transaction.

    A setting that changes numbers (the fiscal calendar) bumps the data version so every cached
    read refreshes; one that does not (the review cadence) leaves the caches alone.
    """
    connection.execute(settings.delete().where(settings.c.key == key))
    connection.execute(
        settings.insert().values(key=key, value=value, updated_at=now, updated_by=updated_by)
    )
    if changes_numbers:
        bump_data_version(connection)
