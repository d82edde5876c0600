"""Read-only warehouse mode: the app reads a store it may not change, on DuckDB and PostgreSQL.

The DuckDB pass opens a copy of the demo store read-only; the PostgreSQL pass (``make test``
with ``TEST_POSTGRES_URL``) runs the same tests on a database, and adds the warehouse as a
warehouse really is: the tables in a schema of their own (not ``public``), read by a login that
was granted nothing but ``SELECT``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from core.access import Actor
from core.cli import main as cli_main
from core.store import queries
from core.store import scenarios as store_scenarios
from core.store.engine import (
    READ_ONLY_ENV,
    ReadOnlyStoreError,
    StoreUrlError,
    create_store_engine,
    ensure_writable,
    is_read_only,
    resolve_read_only,
    store_path,
)
from core.store.ingest.pipeline import ARCHIVE_ENV, IngestOptions, ingest_file
from core.store.schema import StoreShapeError, derived_shapes, metadata, open_store
from tests.pages.conftest import APP, TIMEOUT
from tests.pages.test_app import assert_no_errors

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
PAGES = (
    "pages/overview.py",
    "pages/review.py",
    "pages/goals.py",
    "pages/revenue.py",
    "pages/pipeline.py",
    "pages/forecasts.py",
    "pages/scenarios.py",
    "pages/campaigns.py",
    "pages/definitions.py",
    "pages/data.py",
    "pages/audit.py",
)
WRITE_FORMS = ("Upload", "Save", "Submit", "Record", "Start", "Undo")

postgres_only = pytest.mark.postgres_only  # left out of the DuckDB pass (tests/conftest.py)


# --------------------------------------------------------------------------------------------
# The setting
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("Yes", True), (" on ", True), ("0", False), ("false", False),
     ("", False), ("off", False)],
)  # fmt: skip
def test_the_environment_switches_read_only_mode(value, expected, tmp_path):
    assert resolve_read_only({READ_ONLY_ENV: value}, tmp_path / "none.toml") is expected


def test_a_wrong_setting_names_itself(tmp_path):
    with pytest.raises(StoreUrlError, match="MARKETING_REVIEW_READ_ONLY must be true or false"):
        resolve_read_only({READ_ONLY_ENV: "maybe"}, tmp_path / "none.toml")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[connections.store]\nurl = "duckdb:///x.duckdb"\nread_only = "sure"\n')
    with pytest.raises(StoreUrlError, match=r"\[connections.store\] read_only in .*secrets.toml"):
        resolve_read_only({}, secrets)


def test_the_secrets_file_switches_read_only_mode_and_the_environment_wins(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[connections.store]\nurl = "duckdb:///x.duckdb"\nread_only = true\n')
    assert resolve_read_only({}, secrets) is True
    assert resolve_read_only({READ_ONLY_ENV: "false"}, secrets) is False
    assert resolve_read_only({}, tmp_path / "absent.toml") is False


# --------------------------------------------------------------------------------------------
# The store, read-only
# --------------------------------------------------------------------------------------------
def _fingerprint(url: str) -> object:
    """What a write would change: the DuckDB file's bytes, or the database's data version,
    uploads and audit entries."""
    path = store_path(url)
    if path is not None:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            return tuple(
                connection.execute(sa.text(sql)).scalar()
                for sql in (
                    "select data_version from store_state",
                    "select count(*) from uploads",
                    "select count(*) from audit_log",
                    "select count(*) from scenario_fits",
                    "select count(*) from saved_scenarios",
                )
            )
    finally:
        engine.dispose()


def test_core_refuses_every_change_and_archives_nothing(demo_store_url, tmp_path, monkeypatch):
    archive = tmp_path / "archive"
    monkeypatch.setenv(ARCHIVE_ENV, str(archive))
    before = _fingerprint(demo_store_url)
    engine = open_store(demo_store_url, read_only=True)
    try:
        assert is_read_only(engine)
        with pytest.raises(ReadOnlyStoreError, match="read-only"):
            ingest_file(engine, FIXTURES / "meta_ads_manager.csv", IngestOptions())
        with pytest.raises(ReadOnlyStoreError):
            store_scenarios.save_scenario(
                engine, "Cut search", {"cuts": {}}, actor=Actor.local("Dana")
            )
        with engine.connect() as connection, pytest.raises(ReadOnlyStoreError):
            ensure_writable(connection)
        # Reading works, and fitting the curves keeps them in memory only.
        assert queries.data_version(engine) >= 1
        assert store_scenarios.store_fit(engine, date(2026, 11, 23)) is True
    finally:
        engine.dispose()
    assert not archive.exists()
    assert _fingerprint(demo_store_url) == before


def test_a_snapshot_the_pipeline_adds_moves_the_data_version(demo_store_url):
    """A warehouse pipeline that adds an ``uploads`` row without bumping ``store_state`` still
    refreshes the app's caches; undoing one does too. (One engine at a time: DuckDB refuses a
    read-only and a writing connection to one file in one process.)"""

    def version() -> int:
        reader = open_store(demo_store_url, read_only=True)
        try:
            return queries.data_version(reader)
        finally:
            reader.dispose()

    def pipeline_writes(sql: str) -> None:
        writer = create_store_engine(demo_store_url)
        try:
            with writer.begin() as connection:
                connection.execute(sa.text(sql))
        finally:
            writer.dispose()

    first = version()
    assert version() == first  # stable while nothing changes
    pipeline_writes(
        "insert into uploads (upload_id, file_name, sha256, size_bytes, source, kind, "
        "snapshot_date, uploaded_by, uploaded_at, status) values (999999, 'dbt run', '0', 0, "
        "'dbt', 'spend', date '2026-11-24', 'dbt', timestamp '2026-11-24 06:00:00', 'loaded')"
    )
    second = version()
    assert second != first
    pipeline_writes(
        "update uploads set status = 'undone', "
        "status_changed_at = timestamp '2026-11-24 07:00:00' where upload_id = 999999"
    )
    assert version() != second


def test_the_database_itself_refuses_a_write(demo_store_url):
    engine = open_store(demo_store_url, read_only=True)
    try:
        with pytest.raises(sa.exc.DBAPIError), engine.begin() as connection:
            connection.execute(sa.text("update store_state set data_version = data_version + 1"))
    finally:
        engine.dispose()


def test_a_store_missing_tables_is_refused_with_each_one_named(demo_store_url):
    engine = create_store_engine(demo_store_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("drop table arr_summary"))
            connection.execute(sa.text("alter table current_spend drop column channel"))
    finally:
        engine.dispose()
    with pytest.raises(StoreShapeError) as refused:
        open_store(demo_store_url, read_only=True)
    message = str(refused.value)
    assert "missing: arr_summary" in message
    assert "current_spend lacks channel" in message
    assert "docs/TABLES.md" in message


def test_the_command_line_reads_and_refuses_to_write(demo_store_url, monkeypatch, capsys):
    monkeypatch.setenv(READ_ONLY_ENV, "1")
    before = _fingerprint(demo_store_url)
    assert cli_main(["goals", "--db", demo_store_url, "--as-of", "2026-11-23", "--json"]) == 0
    capsys.readouterr()
    code = cli_main(["ingest", "--db", demo_store_url, str(FIXTURES / "meta_ads_manager.csv")])
    assert code == 1
    assert "read-only (warehouse mode)" in capsys.readouterr().err
    assert _fingerprint(demo_store_url) == before


# --------------------------------------------------------------------------------------------
# The app, read-only
# --------------------------------------------------------------------------------------------
def _read_only_app(url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("MARKETING_REVIEW_DB", url)
    monkeypatch.setenv(READ_ONLY_ENV, "true")
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def _assert_pages_read_only(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _read_only_app(url, monkeypatch).run()
    assert_no_errors(app)
    assert any("Read-only warehouse mode" in info.value for info in app.sidebar.info)
    for page in PAGES:
        app.switch_page(page).run()
        assert_no_errors(app)
        labels = [button.label for button in app.button] + [
            button.label for button in app.get("form_submit_button")
        ]
        assert not [label for label in labels if label.startswith(WRITE_FORMS)], (page, labels)
    app.switch_page("pages/data.py").run()
    assert not app.get("file_uploader")
    assert any("Loading exports is turned off here" in info.value for info in app.info)


def test_every_page_reads_a_read_only_store_and_offers_no_change(demo_store_url, monkeypatch):
    before = _fingerprint(demo_store_url)
    _assert_pages_read_only(demo_store_url, monkeypatch)
    assert _fingerprint(demo_store_url) == before


def test_the_app_names_what_a_read_only_store_lacks(demo_store_url, monkeypatch):
    engine = create_store_engine(demo_store_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("drop table opportunity_stage_visits"))
    finally:
        engine.dispose()
    app = _read_only_app(demo_store_url, monkeypatch).run()
    assert not app.exception
    assert len(app.error) == 1
    shown = app.error[0].value.replace("\\", "")  # as Markdown renders it, unescaped
    assert "missing: opportunity_stage_visits" in shown


# --------------------------------------------------------------------------------------------
# A warehouse as it is: a schema of its own, a login that may only read (PostgreSQL pass)
# --------------------------------------------------------------------------------------------
@pytest.fixture
def warehouse_url(demo_store_url: str) -> Iterator[str]:
    """The demo store moved into schema ``marketing`` and a login granted only ``SELECT``."""
    database = make_url(demo_store_url).database
    reader = f"mr_test_reader_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(demo_store_url, poolclass=sa.NullPool)
    try:
        with admin.begin() as connection:
            for sql in (
                "alter schema public rename to marketing",
                "create schema public",
                f"create role {reader} login",
                f"grant usage on schema marketing to {reader}",
                f"grant select on all tables in schema marketing to {reader}",
            ):
                connection.execute(sa.text(sql))
    finally:
        admin.dispose()
    url = (
        make_url(demo_store_url)
        .set(username=reader, password=None, query={"options": "-csearch_path=marketing"})
        .render_as_string(hide_password=False)
    )
    yield url
    server = sa.create_engine(
        make_url(demo_store_url).set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.NullPool,
    )
    try:
        with server.connect() as connection:
            connection.execute(
                sa.text(
                    "select pg_terminate_backend(pid) from pg_stat_activity "
                    "where datname = :name and pid <> pg_backend_pid()"
                ),
                {"name": database},
            )
            connection.execute(sa.text(f'drop database if exists "{database}"'))
            connection.execute(sa.text(f"drop role if exists {reader}"))
    finally:
        server.dispose()


@postgres_only
def test_a_select_only_login_on_a_warehouse_schema_reads_every_page(warehouse_url, monkeypatch):
    _assert_pages_read_only(warehouse_url, monkeypatch)


@postgres_only
def test_a_select_only_login_is_refused_by_the_server_even_past_the_app(warehouse_url):
    engine = create_store_engine(warehouse_url)  # not read-only: only the grants stop it
    try:
        with (
            pytest.raises(sa.exc.ProgrammingError, match="permission denied"),
            engine.begin() as connection,
        ):
            connection.execute(sa.text("delete from uploads"))
        with engine.connect() as connection:
            assert connection.execute(sa.text("select current_schema()")).scalar() == "marketing"
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# The documented shapes
# --------------------------------------------------------------------------------------------
def test_the_table_reference_is_current_and_names_every_table(capsys):
    assert cli_main(["schema"]) == 0
    generated = capsys.readouterr().out
    committed = (Path(__file__).parents[1] / "docs" / "TABLES.md").read_text(encoding="utf-8")
    assert generated == committed, "docs/TABLES.md is stale: python -m core schema > docs/TABLES.md"
    for name in (*metadata.tables, *derived_shapes()):
        assert f"### `{name}`" in generated
    assert "| `amount_usd` | DOUBLE | yes |" in generated
