"""Bulk loading of canonical fact frames under an ``uploads`` record.

An upload is one transaction: the ``uploads`` row, every fact row (stamped with its
``upload_id``) and the bump of the store's data version commit together or not at all. Rows go
in through DuckDB's registered-frame ``INSERT ... SELECT`` (DuckDB-specific, hence here), never
row by row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.store.engine import raw_duckdb
from core.store.schema import VERSIONED_TABLES, bump_data_version, fact_columns, uploads


@dataclass(frozen=True)
class UploadRecord:
    """What is known about a file before its rows are loaded."""

    file_name: str
    sha256: str
    size_bytes: int
    source: str
    kind: str
    snapshot_date: date
    uploaded_by: str
    is_demo: bool = False
    note: str | None = None


@dataclass(frozen=True)
class LoadCounts:
    """Rows read from a file and what became of them."""

    rows_read: int
    rows_inserted: int
    rows_updated: int
    rows_rejected: int = 0


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def upload_record_for_file(
    path: Path,
    source: str,
    kind: str,
    snapshot_date: date,
    uploaded_by: str,
    is_demo: bool = False,
) -> UploadRecord:
    """Upload record for a file on disk (name, size and hash read from it)."""
    return UploadRecord(
        file_name=path.name,
        sha256=file_sha256(path),
        size_bytes=path.stat().st_size,
        source=source,
        kind=kind,
        snapshot_date=snapshot_date,
        uploaded_by=uploaded_by,
        is_demo=is_demo,
    )


def start_upload(connection: Connection, record: UploadRecord, uploaded_at: datetime) -> int:
    """Insert the ``uploads`` row (status 'loaded', counts zero); return its ``upload_id``."""
    if record.kind not in VERSIONED_TABLES:
        known = ", ".join(sorted(VERSIONED_TABLES))
        raise ValueError(f"upload kind must be one of {known}, got {record.kind!r}")
    return int(
        connection.execute(
            uploads.insert()
            .values(
                file_name=record.file_name,
                sha256=record.sha256,
                size_bytes=record.size_bytes,
                source=record.source,
                kind=record.kind,
                snapshot_date=record.snapshot_date,
                uploaded_by=record.uploaded_by,
                uploaded_at=uploaded_at,
                status="loaded",
                is_demo=record.is_demo,
                note=record.note,
            )
            .returning(uploads.c.upload_id)
        ).scalar_one()
    )


def append_facts(
    connection: Connection, table: str, frame: pd.DataFrame, upload_id: int
) -> LoadCounts:
    """Append ``frame`` (canonical columns of ``table``) as versions from ``upload_id``.

    Returns how many rows were new natural keys and how many were new versions of keys the
    store already had. A natural key repeated inside ``frame``, or already loaded by an earlier
    chunk of the same upload, is refused: the caller dedupes in staging, where the user can be
    told which rows collided.
    """
    columns = fact_columns(table)
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"frame for {table} lacks columns: {', '.join(missing)}")
    key = list(VERSIONED_TABLES[table])
    if frame.duplicated(subset=key).any():
        raise ValueError(f"frame for {table} repeats a natural key ({', '.join(key)})")
    if frame.empty:
        return LoadCounts(rows_read=0, rows_inserted=0, rows_updated=0)
    duck = raw_duckdb(connection)
    view_name = f"incoming_{table}_{upload_id}"
    duck.register(view_name, frame[columns])
    try:
        key_match = " and ".join(f"existing.{column} = incoming.{column}" for column in key)
        repeated, updated = duck.execute(
            f"""
            with matches as (
                select existing.upload_id = {int(upload_id)} as same_upload
                from {view_name} as incoming
                inner join {table} as existing on {key_match}
                inner join uploads on uploads.upload_id = existing.upload_id
                where uploads.status = 'loaded'
            )
            select count(*) filter (where same_upload), count(*) filter (where not same_upload)
            from matches
            """
        ).fetchall()[0]  # fetch to the end: DuckDB keeps an unfinished result busy
        if repeated:
            raise ValueError(
                f"frame for {table} repeats a natural key already loaded by this upload "
                f"({', '.join(key)}), {repeated} times"
            )
        column_list = ", ".join(columns)
        duck.execute(
            f"insert into {table} ({column_list}, upload_id) "
            f"select {column_list}, {int(upload_id)} from {view_name}"
        )
    finally:
        duck.unregister(view_name)
    return LoadCounts(
        rows_read=len(frame), rows_inserted=len(frame) - int(updated), rows_updated=int(updated)
    )


def finish_upload(
    connection: Connection,
    upload_id: int,
    counts: LoadCounts,
    sha256: str | None = None,
    size_bytes: int | None = None,
) -> int:
    """Record the counts (and, for streamed files, the final hash and size) on the upload.

    Bumps the store's data version and returns it.
    """
    values: dict[str, object] = {
        "rows_read": counts.rows_read,
        "rows_inserted": counts.rows_inserted,
        "rows_updated": counts.rows_updated,
        "rows_rejected": counts.rows_rejected,
    }
    if sha256 is not None:
        values["sha256"] = sha256
    if size_bytes is not None:
        values["size_bytes"] = size_bytes
    connection.execute(uploads.update().where(uploads.c.upload_id == upload_id).values(**values))
    return bump_data_version(connection)


def page_snapshot(connection: Connection, kind: str, today: date) -> date:
    """The snapshot day of a page entry (a goal edit, a forecast): today, or the latest loaded
    export of ``kind`` if that is later, so the entry is the newest version of what it changes."""
    latest = connection.execute(
        sa.select(sa.func.max(uploads.c.snapshot_date)).where(
            uploads.c.kind == kind, uploads.c.status == "loaded"
        )
    ).scalar()
    return max(today, latest or today)


def append_upload(
    connection: Connection, record: UploadRecord, table: str, rows: pd.DataFrame, now: datetime
) -> int:
    """Store ``rows`` as one whole upload (start, append, finish) inside the caller's
    transaction; return its id."""
    upload_id = start_upload(connection, record, now)
    counts = append_facts(connection, table, rows, upload_id)
    finish_upload(
        connection,
        upload_id,
        LoadCounts(
            rows_read=len(rows),
            rows_inserted=counts.rows_inserted,
            rows_updated=counts.rows_updated,
        ),
    )
    return upload_id


def add_counts(first: LoadCounts, second: LoadCounts) -> LoadCounts:
    """Counts of two chunks of the same upload."""
    return LoadCounts(
        rows_read=first.rows_read + second.rows_read,
        rows_inserted=first.rows_inserted + second.rows_inserted,
        rows_updated=first.rows_updated + second.rows_updated,
        rows_rejected=first.rows_rejected + second.rows_rejected,
    )
