"""Where the tests' stores live: DuckDB files, or databases on a throwaway PostgreSQL server.

``make test`` runs the suite on DuckDB; when ``TEST_POSTGRES_URL`` names a PostgreSQL server
(``.ci/postgres`` starts one) it runs the store, ingest and page tests again with
``MR_TEST_ENGINE=postgres``, and every store a test makes is then a fresh database on that
server, dropped when the test ends. Tests that are about DuckDB itself (its file lock, its file
path) are marked ``duckdb_only`` and run in the DuckDB pass alone.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ENGINE_ENV = "MR_TEST_ENGINE"
POSTGRES_URL_ENV = "TEST_POSTGRES_URL"


def engine_under_test() -> str:
    """``duckdb`` (the default) or ``postgres``."""
    name = os.environ.get(ENGINE_ENV, "duckdb")
    if name not in ("duckdb", "postgres"):
        raise ValueError(f"{ENGINE_ENV} must be duckdb or postgres, got {name!r}")
    return name


def on_postgres() -> bool:
    return engine_under_test() == "postgres"


def _admin_url() -> str:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        raise RuntimeError(f"{ENGINE_ENV}=postgres needs {POSTGRES_URL_ENV} (see .ci/postgres)")
    return url


def _admin() -> sa.Engine:
    return sa.create_engine(_admin_url(), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)


def _url_for(database: str) -> str:
    return make_url(_admin_url()).set(database=database).render_as_string(hide_password=False)


def _disconnect(connection: sa.Connection, database: str) -> None:
    connection.execute(
        sa.text(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            "where datname = :name and pid <> pg_backend_pid()"
        ),
        {"name": database},
    )


def _prefix() -> str:
    """This test process's database name prefix: with parallel workers (pytest-xdist) each
    worker drops only its own databases when its session ends."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"mr_test_{worker}_"


def new_database(template: str | None = None) -> str:
    """A fresh PostgreSQL database (a copy of ``template`` when given); returns its URL."""
    name = f"{_prefix()}{uuid.uuid4().hex[:12]}"
    engine = _admin()
    try:
        with engine.connect() as connection:
            if template:
                _disconnect(connection, template)  # a template must have no sessions
                connection.execute(sa.text(f'create database "{name}" template "{template}"'))
            else:
                connection.execute(sa.text(f'create database "{name}"'))
    finally:
        engine.dispose()
    return _url_for(name)


def drop_test_databases() -> None:
    """Drop every database this test process made (the demo templates stay for the session)."""
    pattern = _prefix().replace("_", "\\_") + "%"
    engine = _admin()
    try:
        with engine.connect() as connection:
            names = connection.execute(
                sa.text("select datname from pg_database where datname like :pattern"),
                {"pattern": pattern},
            ).scalars()
            for name in list(names):
                _disconnect(connection, name)
                connection.execute(sa.text(f'drop database if exists "{name}"'))
    finally:
        engine.dispose()


def fresh_store_url(path: Path) -> str:
    """URL of a new, empty store: the DuckDB file ``path``, or a new PostgreSQL database."""
    if on_postgres():
        return new_database()
    return f"duckdb:///{path}"


def copy_of(url: str, folder: Path) -> str:
    """A private copy of the store at ``url`` (a DuckDB file copied, a database cloned)."""
    if url.startswith("duckdb:///"):
        import shutil

        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "marketing.duckdb"
        shutil.copyfile(url.removeprefix("duckdb:///"), target)
        return f"duckdb:///{target}"
    return new_database(template=make_url(url).database)


def template_url(name: str, path: Path) -> str:
    """URL for a session template store (``path`` on DuckDB, database ``name`` on PostgreSQL)."""
    if not on_postgres():
        return f"duckdb:///{path}"
    database = f"mr_template_{name}_{os.getpid()}"
    engine = _admin()
    try:
        with engine.connect() as connection:
            _disconnect(connection, database)
            connection.execute(sa.text(f'drop database if exists "{database}"'))
            connection.execute(sa.text(f'create database "{database}"'))
    finally:
        engine.dispose()
    return _url_for(database)
