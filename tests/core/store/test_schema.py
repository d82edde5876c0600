"""Schema creation, migrations, and versioned facts with their current views."""

from datetime import date

import pytest
import sqlalchemy as sa

from core.store.engine import create_store_engine
from core.store.ingest.pipeline import undo_upload
from core.store.schema import (
    MIGRATIONS,
    POSTGRES_INDEXES,
    SCHEMA_VERSION,
    VERSIONED_TABLES,
    SchemaVersionError,
    fact_columns,
    metadata,
    migrate,
    schema_version,
)
from tests.core.store.helpers import load, new_store, opportunity
from tests.stores import fresh_store_url


def campaign_columns(engine):
    with engine.connect() as connection:
        return set(
            connection.execute(
                sa.text(
                    "select column_name from information_schema.columns where table_name = 'campaigns'"
                )
            ).scalars()
        )


@pytest.fixture
def memory_engine(tmp_path):
    """An empty store (a DuckDB file, or a PostgreSQL database in that pass), not migrated."""
    engine = create_store_engine(fresh_store_url(tmp_path / "store.duckdb"))
    yield engine
    engine.dispose()


def test_migrate_creates_every_table_and_view_in_memory(memory_engine):
    assert migrate(memory_engine) == SCHEMA_VERSION
    inspector = sa.inspect(memory_engine)
    tables = set(inspector.get_table_names())
    assert set(metadata.tables) <= tables
    assert {f"current_{name}" for name in VERSIONED_TABLES} <= tables  # kept, not ranked per read
    views = set(inspector.get_view_names())
    assert {f"live_current_{name}" for name in VERSIONED_TABLES} | {"opportunity_versions"} <= views


def test_migrate_is_idempotent_and_records_versions(memory_engine):
    migrate(memory_engine)
    migrate(memory_engine)
    with memory_engine.connect() as connection:
        assert schema_version(connection) == SCHEMA_VERSION
        versions = (
            connection.execute(sa.text("select version from schema_versions")).scalars().all()
        )
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_migration_steps_run_in_order_and_each_commits(memory_engine):
    applied = []

    def add_column(connection):
        applied.append(SCHEMA_VERSION + 1)
        connection.execute(sa.text("alter table campaigns add column region varchar"))

    migrations = {**MIGRATIONS, SCHEMA_VERSION + 1: ("campaign region", add_column)}
    assert migrate(memory_engine, MIGRATIONS) == SCHEMA_VERSION
    assert migrate(memory_engine, migrations) == SCHEMA_VERSION + 1
    assert applied == [SCHEMA_VERSION + 1]
    assert "region" in campaign_columns(memory_engine)


def test_failed_migration_leaves_the_previous_version(memory_engine):
    def broken(connection):
        connection.execute(sa.text("alter table campaigns add column region varchar"))
        raise RuntimeError("step failed halfway")

    migrate(memory_engine)
    with pytest.raises(RuntimeError, match="halfway"):
        migrate(memory_engine, {**MIGRATIONS, SCHEMA_VERSION + 1: ("broken", broken)})
    with memory_engine.connect() as connection:
        assert schema_version(connection) == SCHEMA_VERSION
    assert "region" not in campaign_columns(memory_engine)


def test_store_from_a_newer_release_is_refused(memory_engine):
    migrate(memory_engine)
    with memory_engine.begin() as connection:
        connection.execute(
            sa.text("insert into schema_versions values (99, now(), 'from the future')")
        )
    with pytest.raises(SchemaVersionError, match=r"schema version 99.*upgrade the app"):
        migrate(memory_engine)


def test_every_versioned_table_has_its_natural_key_and_upload_id():
    for name, key in VERSIONED_TABLES.items():
        table = metadata.tables[name]
        for column in (*key, "upload_id"):
            assert not table.columns[column].nullable, f"{name}.{column} must not be null"
        assert "upload_id" not in fact_columns(name)
        assert not table.primary_key.columns, f"{name}: fact tables are loaded in bulk, unindexed"


def test_current_view_keeps_latest_snapshot_and_undone_uploads_drop_out(tmp_path):
    engine = new_store(tmp_path / "store.duckdb")
    first = load(
        engine,
        "opportunities",
        [opportunity("006A", 100.0, "2026-01-05", "2026-03-01")],
        date(2026, 1, 12),
    )
    second = load(
        engine,
        "opportunities",
        [opportunity("006A", 150.0, "2026-01-05", "2026-03-15")],
        date(2026, 1, 19),
    )
    # An older export uploaded later does not override the newer snapshot.
    load(
        engine,
        "opportunities",
        [opportunity("006A", 90.0, "2026-01-05", "2026-02-20")],
        date(2026, 1, 10),
    )
    with engine.connect() as connection:
        current = connection.execute(
            sa.text("select amount_usd, upload_id from current_opportunities")
        ).all()
        versions = connection.execute(sa.text("select count(*) from opportunity_versions")).scalar()
    assert current == [(150.0, second)]
    assert versions == 3
    undo_upload(engine, second, by="test")
    with engine.connect() as connection:
        amount = connection.execute(
            sa.text("select amount_usd from current_opportunities")
        ).scalar()
        stored = connection.execute(sa.text("select count(*) from opportunities")).scalar()
    assert amount == 100.0  # back to the previous snapshot (upload ``first``)
    assert stored == 3  # nothing is deleted
    assert first < second
    engine.dispose()


def test_a_first_version_store_migrates_and_keeps_its_rows(tmp_path):
    engine = create_store_engine(fresh_store_url(tmp_path / "old.duckdb"))
    first_only = {1: MIGRATIONS[1]}
    assert migrate(engine, first_only) == 1
    load(
        engine,
        "opportunities",
        [opportunity("006A", 100.0, "2026-01-05", "2026-03-01")],
        date(2026, 1, 12),
    )
    assert migrate(engine) == SCHEMA_VERSION
    load(
        engine,
        "opportunities",
        [opportunity("006B", 50.0, "2026-01-06", "2026-03-01", account_id=None)],
        date(2026, 1, 19),
    )
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select opportunity_id, account_id from current_opportunities order by 1")
        ).all()
        tables = set(sa.inspect(connection).get_table_names())
    assert rows == [("006A", "001A"), ("006B", None)]
    assert "saved_mappings" in tables
    engine.dispose()


@pytest.mark.postgres_only
def test_postgres_stores_get_the_refresh_indexes_and_session_settings(memory_engine):
    migrate(memory_engine)
    with memory_engine.connect() as connection:
        indexed = {
            (table, definition.split("(", 1)[1].rstrip(")"))
            for table, definition in connection.execute(
                sa.text(
                    "select tablename, indexdef from pg_indexes "
                    "where schemaname = current_schema() and indexname like '%\\_refresh\\_%'"
                )
            )
        }
        assert set(POSTGRES_INDEXES) <= indexed
        assert connection.execute(sa.text("show jit")).scalar() == "off"
        assert connection.execute(sa.text("show work_mem")).scalar() == "64MB"
