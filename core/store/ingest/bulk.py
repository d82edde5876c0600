"""Bulk loading of canonical fact frames under an ``uploads`` record.

An upload is one transaction: the ``uploads`` row, every fact row (stamped with its
``upload_id``) and the bump of the store's data version commit together or not at all. Rows go
in bulk, never row by row, and how depends on the engine (hence here, with the rest of the
engine-specific loading): DuckDB inserts from a registered frame (``INSERT ... SELECT``),
PostgreSQL streams CSV through ``COPY ... FROM STDIN``, and any other SQLAlchemy engine gets a
batched ``executemany`` insert (correct everywhere, fast nowhere; untested beyond PostgreSQL).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.store.engine import raw_duckdb
from core.store.restate import REPORTING_SQL
from core.store.schema import (
    VERSIONED_TABLES,
    bump_data_version,
    fact_columns,
    metadata,
    uploads,
)

COPY_BLOCK_BYTES = 8 << 20  # CSV handed to PostgreSQL's COPY per write
INSERT_BATCH_ROWS = 10_000  # rows per executemany on engines without a bulk path


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
                reporting_currency=sa.text(REPORTING_SQL),
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
    if connection.dialect.name != "duckdb":
        return _append_facts_portable(connection, table, frame[columns], upload_id)
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


def _append_facts_portable(
    connection: Connection, table: str, frame: pd.DataFrame, upload_id: int
) -> LoadCounts:
    """:func:`append_facts` on engines other than DuckDB: load, then count in the database.

    New versions are counted over the whole upload before and after the insert, so an earlier
    chunk of the same upload is not counted twice."""
    updated_before = count_new_versions(connection, table, upload_id)
    insert_frame(connection, table, frame.assign(upload_id=int(upload_id)))
    key = VERSIONED_TABLES[table]
    key_list = ", ".join(key)
    repeated = connection.execute(
        sa.text(
            f"select count(*) from (select {key_list} from {table} where upload_id = :upload "
            f"group by {key_list} having count(*) > 1) as repeated"
        ),
        {"upload": int(upload_id)},
    ).scalar_one()
    if repeated:
        raise ValueError(
            f"frame for {table} repeats a natural key already loaded by this upload "
            f"({', '.join(key)}), {repeated} times"
        )
    updated = count_new_versions(connection, table, upload_id) - updated_before
    return LoadCounts(
        rows_read=len(frame), rows_inserted=len(frame) - updated, rows_updated=updated
    )


def count_new_versions(connection: Connection, table: str, upload_id: int) -> int:
    """Rows of ``upload_id`` whose natural key a loaded earlier upload already holds."""
    match = " and ".join(
        f"existing.{column} = incoming.{column}" for column in VERSIONED_TABLES[table]
    )
    return int(
        connection.execute(
            sa.text(
                f"""
                select count(*) from {table} as incoming
                where incoming.upload_id = :upload and exists (
                    select 1 from {table} as existing
                    join uploads on uploads.upload_id = existing.upload_id
                        and uploads.status = 'loaded'
                    where existing.upload_id <> :upload and {match}
                )
                """
            ),
            {"upload": int(upload_id)},
        ).scalar_one()
    )


def insert_frame(connection: Connection, table: str, rows: pd.DataFrame | pa.Table) -> int:
    """Insert every row of ``rows`` (columns named as ``table``'s) in bulk; return the count.

    Inside the caller's transaction, whatever the engine (see the module's docstring).
    """
    data = rows if isinstance(rows, pa.Table) else pa.Table.from_pandas(rows, preserve_index=False)
    if data.num_rows == 0:
        return 0
    names = list(data.column_names)
    known = {column.name for column in metadata.tables[table].columns}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"{table} has no columns {', '.join(unknown)}")
    dialect = connection.dialect.name
    if dialect == "duckdb":
        duck = raw_duckdb(connection)
        view = f"insert_{table}_frame"
        duck.register(view, data)
        try:
            column_list = ", ".join(names)
            duck.execute(
                f"insert into {table} ({column_list}) select {column_list} from {view}"
            ).fetchall()
        finally:
            duck.unregister(view)
    elif dialect == "postgresql":
        copy_csv(connection, table, names, _csv_blocks(data))
    else:
        target = metadata.tables[table]
        for batch in data.to_batches(max_chunksize=INSERT_BATCH_ROWS):
            connection.execute(target.insert(), batch.to_pylist())
    return data.num_rows


def _csv_blocks(data: pa.Table) -> Iterable[bytes]:
    """``data`` as CSV without a header, in blocks: a null is an empty field, and an empty
    string a quoted ``""``, as PostgreSQL's CSV format reads them."""
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    for batch in data.to_batches(max_chunksize=100_000):
        buffer = io.BytesIO()
        pa_csv.write_csv(pa.Table.from_batches([batch]), buffer, write_options=options)
        yield buffer.getvalue()


def copy_csv(
    connection: Connection, table: str, columns: list[str], blocks: Iterable[bytes]
) -> None:
    """PostgreSQL: stream CSV ``blocks`` into ``table`` with ``COPY ... FROM STDIN``."""
    raw = connection.connection.driver_connection
    column_list = ", ".join(columns)
    with (
        raw.cursor() as cursor,
        cursor.copy(f"copy {table} ({column_list}) from stdin with (format csv)") as copy,
    ):
        for block in blocks:
            copy.write(block)


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
