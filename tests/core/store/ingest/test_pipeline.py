"""The ingest pipeline end to end: every preset round trip, undo, duplicates, versions, options.

Stores here are fresh (migrated, empty) unless a test needs the demo's campaigns; numbers are
either the demo's own truth (``demo_rows``) or small files written by the test itself.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.demo import DemoOptions, demo_rows
from core.store.engine import create_store_engine
from core.store.ingest.detect import UnreadableFileError
from core.store.ingest.pipeline import (
    IngestError,
    IngestOptions,
    archive_stream,
    ingest_file,
    rejects_of,
    undo_upload,
)
from core.store.schema import VERSIONED_TABLES, fact_columns, metadata, migrate
from core.store.writes import set_setting
from tests.conftest import copy_store

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "exports"
NOW = datetime(2026, 11, 23, 9, 0)
AS_OF = date(2026, 11, 23)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def fresh_store(folder: Path) -> Engine:
    """A migrated, empty store whose fiscal year starts in February (as the demo's)."""
    folder.mkdir(parents=True, exist_ok=True)
    engine = create_store_engine(f"duckdb:///{folder / 'marketing.duckdb'}")
    migrate(engine)
    with engine.begin() as connection:
        set_setting(connection, "fiscal_year_start_month", "2", "tester", NOW)
    return engine


def demo_store(demo_template, folder: Path) -> Engine:
    """A private, migrated copy of the session's demo store."""
    engine = create_store_engine(copy_store(demo_template, folder))
    migrate(engine)
    return engine


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the schema."""
    with engine.connect() as connection:
        return {
            name: int(connection.execute(sa.text(f"select count(*) from {name}")).scalar_one())
            for name in metadata.tables
        }


def current_contents(engine: Engine) -> dict[str, list[tuple]]:
    """Every ``current_*`` view's full contents, sorted."""
    with engine.connect() as connection:
        return {
            name: sorted(
                (tuple(row) for row in connection.execute(sa.text(f"select * from current_{name}"))),
                key=repr,
            )
            for name in VERSIONED_TABLES
        }


def read(engine: Engine, sql: str, **parameters: object) -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.read_sql(sa.text(sql), connection, params=parameters)


def write_csv(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def normalised(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The store's columns of ``kind`` in comparable types, sorted by the natural key.

    Dates and timestamps become ``Timestamp`` (dates at midnight), numbers ``float``, missing
    values ``None`` in text and ``NaN``/``NaT`` elsewhere.
    """
    table = metadata.tables[kind]
    out = pd.DataFrame(index=frame.index)
    for name in fact_columns(kind):
        column_type = table.c[name].type
        values = frame[name]
        if isinstance(column_type, sa.Date):
            out[name] = pd.to_datetime(values).dt.normalize()
        elif isinstance(column_type, sa.DateTime):
            out[name] = pd.to_datetime(values)
        elif isinstance(column_type, sa.Float | sa.Integer | sa.BigInteger):
            out[name] = pd.to_numeric(values).astype("float64")
        elif isinstance(column_type, sa.Boolean):
            out[name] = values.astype(bool)
        else:
            out[name] = values.astype(object).where(values.notna(), None)
    key = list(VERSIONED_TABLES[kind])
    return out.sort_values(key, kind="stable").reset_index(drop=True)


def assert_same_rows(actual: pd.DataFrame, expected: pd.DataFrame, kind: str) -> None:
    """Null-safe comparison; money to the cent (the store keeps 32-bit floats, see below)."""
    assert len(actual) == len(expected), f"{kind}: {len(actual)} rows, expected {len(expected)}"
    for name in fact_columns(kind):
        left, right = actual[name], expected[name]
        if pd.api.types.is_float_dtype(right):
            same = np.isclose(left.to_numpy(), right.to_numpy(), rtol=0, atol=0.005, equal_nan=True)
        elif pd.api.types.is_datetime64_any_dtype(right):
            same = (left == right) | (left.isna() & right.isna())
        else:
            same = np.array([a == b for a, b in zip(left, right, strict=True)])
        if not same.all():
            first = int(np.flatnonzero(~same)[0])
            key = {part: expected.at[first, part] for part in VERSIONED_TABLES[kind]}
            raise AssertionError(
                f"{kind}.{name}: {int((~same).sum())} rows differ; first at {key}: "
                f"stored {left.iloc[first]!r}, expected {right.iloc[first]!r}"
            )


# --------------------------------------------------------------------------------------------
# Round trip: the demo's exports, every preset, into a fresh store
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_every_demo_export_round_trips_into_the_current_views(tmp_path):
    out = tmp_path / "demo"
    expected_by_kind = demo_rows(DemoOptions(as_of=AS_OF, seed=7, scale=0.02), out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    engine = fresh_store(tmp_path / "store")
    try:
        loaded_presets: set[str] = set()
        for entry in manifest:
            report = ingest_file(engine, out / entry["path"], IngestOptions(now=NOW))
            if report.status == "duplicate" or (
                report.status == "invalid" and report.rows_read == 0
            ):
                # A weekly export identical to the week before, or one with no open deal (the
                # demo loader skips these too).
                assert entry["kind"] == "opportunities", entry["path"]
                continue
            assert report.status == "loaded", f"{entry['path']}: {report.message}"
            assert report.preset is not None and report.preset.name == entry["source"], entry
            assert report.snapshot_date == date.fromisoformat(entry["snapshot_date"]), (
                entry["path"],
                report.decisions,
            )
            loaded_presets.add(report.preset.name)
        assert loaded_presets == {entry["source"] for entry in manifest}
        for kind, rows in expected_by_kind.items():
            # Later files hold later versions: keep the last row per natural key.
            key = list(VERSIONED_TABLES[kind])
            expected = rows.drop_duplicates(key, keep="last").reset_index(drop=True)
            stored = read(engine, f"select * from current_{kind}")
            assert_same_rows(normalised(stored, kind), normalised(expected, kind), kind)
    finally:
        engine.dispose()
