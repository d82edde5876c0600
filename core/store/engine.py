"""The store's engine: where the database is, how to open it, and what to say when it is busy.

One engine per process (the app caches it with ``st.cache_resource``; the CLI opens one per
command). Every unit of work takes its own pooled connection (``with engine.begin() as conn``),
so no DuckDB connection is ever shared between threads.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STORE_URL = "duckdb:///data/marketing.duckdb"
STORE_URL_ENV = "MARKETING_REVIEW_DB"
READ_ONLY_ENV = "MARKETING_REVIEW_READ_ONLY"
READ_ONLY_OPTION = "marketing_review_read_only"  # execution option marking a read-only engine
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})
MEMORY_LIMIT_ENV = "MARKETING_REVIEW_DUCKDB_MEMORY"
# DuckDB caches up to 80% of the machine's memory by default; the app and the loaders need far
# less (queries aggregate in the database and spill to disk when they must). 600MB keeps a
# 1,000,000-row upload under 1 GB of process memory (bench/RESULTS.md) at little cost in speed.
DEFAULT_DUCKDB_MEMORY_LIMIT = "600MB"
DEFAULT_SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"

_LOCK_PATTERN = re.compile(
    r"Could not set lock on file \"(?P<path>[^\"]+)\".*?\(PID (?P<pid>\d+)\)"
)


class StoreLockedError(RuntimeError):
    """The DuckDB file is held by another process; the message says what to do."""


class StoreUrlError(ValueError):
    """The store URL cannot be used; the message names the setting it came from."""


class ReadOnlyStoreError(PermissionError):
    """A change was asked of a store opened read-only (warehouse mode)."""


READ_ONLY_MESSAGE = (
    "This app reads its store read-only (warehouse mode), so it changes nothing there: load "
    "data through the warehouse's own pipeline, and the app shows it on the next page load."
)


def resolve_store_url(
    cli_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    secrets_path: Path = DEFAULT_SECRETS_PATH,
) -> str:
    """Store URL from, in order: ``--db``, ``MARKETING_REVIEW_DB``, secrets, the default."""
    environ = os.environ if environ is None else environ
    if cli_url:
        return cli_url
    if environ.get(STORE_URL_ENV):
        return environ[STORE_URL_ENV]
    url = _store_secrets(secrets_path).get("url")
    return str(url) if url else DEFAULT_STORE_URL


def _store_secrets(secrets_path: Path) -> Mapping[str, object]:
    """The ``[connections.store]`` section of the secrets file (empty without one)."""
    if not secrets_path.is_file():
        return {}
    try:
        secrets = tomllib.loads(secrets_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise StoreUrlError(f"{secrets_path} is not valid TOML: {error}") from error
    section = secrets.get("connections", {}).get("store", {})
    return section if isinstance(section, Mapping) else {}


def resolve_read_only(
    environ: Mapping[str, str] | None = None, secrets_path: Path = DEFAULT_SECRETS_PATH
) -> bool:
    """Warehouse mode: ``MARKETING_REVIEW_READ_ONLY``, else ``[connections.store] read_only``.

    Raises
    ------
    StoreUrlError
        When the setting is not a yes or a no (it names where it came from).
    """
    environ = os.environ if environ is None else environ
    if READ_ONLY_ENV in environ:
        return _yes_or_no(environ[READ_ONLY_ENV], READ_ONLY_ENV)
    value = _store_secrets(secrets_path).get("read_only", False)
    if isinstance(value, bool):
        return value
    return _yes_or_no(str(value), f"[connections.store] read_only in {secrets_path}")


def _yes_or_no(text: str, where: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise StoreUrlError(f"{where} must be true or false, got {text!r}")


def is_read_only(engine: Engine | Connection) -> bool:
    """Whether ``engine`` (or a connection of it) was opened read-only."""
    return bool(engine.get_execution_options().get(READ_ONLY_OPTION, False))


def ensure_writable(engine: Engine | Connection) -> None:
    """Refuse a change on a read-only store, before anything is written.

    Raises
    ------
    ReadOnlyStoreError
        When the store was opened read-only.
    """
    if is_read_only(engine):
        raise ReadOnlyStoreError(READ_ONLY_MESSAGE)


def _absolute_duckdb_url(url: URL) -> URL:
    """DuckDB URL whose file path is absolute (relative paths are relative to the project)."""
    database = url.database
    if url.get_backend_name() != "duckdb" or not database or database == ":memory:":
        return url
    if database.startswith("md:"):
        return url
    path = Path(database)
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    return url.set(database=str(path))


def store_path(url: str | URL) -> Path | None:
    """Path of the DuckDB file behind ``url``, or ``None`` for other engines and memory."""
    parsed = _absolute_duckdb_url(make_url(url) if isinstance(url, str) else url)
    if parsed.get_backend_name() != "duckdb" or parsed.database in (None, "", ":memory:"):
        return None
    if str(parsed.database).startswith("md:"):
        return None
    return Path(str(parsed.database))


def describe_url(url: str | URL) -> str:
    """The URL without its password, for messages and the Data page."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.render_as_string(hide_password=True)


def describe_store(url: str | URL) -> str:
    """Where the store is, for people: ``DuckDB file /path/marketing.duckdb``."""
    path = store_path(url)
    if path is not None:
        return f"DuckDB file {path}"
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "duckdb":
        return (
            "DuckDB in memory"
            if parsed.database in (None, "", ":memory:")
            else describe_url(parsed)
        )
    return describe_url(parsed)


def _process_description(pid: int) -> str:
    """Command line of process ``pid`` when the operating system tells it, else ''."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    text = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    return " ".join(text.split())  # one line, whatever the command line held


def lock_message(error_text: str, path: Path | None) -> str | None:
    """One plain sentence for DuckDB's lock error, or ``None`` if it is another error."""
    match = _LOCK_PATTERN.search(error_text)
    if not match:
        return None
    pid = int(match.group("pid"))
    where = path or Path(match.group("path"))
    command_line = _process_description(pid)
    holder = command_line if len(command_line) <= 100 else command_line[:97] + "..."
    if "streamlit" in command_line:
        return (
            f"The store {where} is open in the running app (process {pid}): "
            "upload there, or stop the app and try again."
        )
    detail = f", {holder}" if holder else ""
    return (
        f"The store {where} is in use by another process (process {pid}{detail}): "
        "wait for it to finish or stop it, then try again."
    )


# PostgreSQL session settings for the app's queries, which aggregate large tables once each:
# JIT compiling them cost more than it saved (2.8 s against 0.4 s for the campaign totals at
# scale 10), and 4MB of sort memory spilled every ARR aggregation to disk (bench/RESULTS.md).
POSTGRES_SESSION = ("set jit = off", "set work_mem = '64MB'")


def _postgres_session(read_only: bool) -> Callable[[Any, object], None]:
    """PostgreSQL: a ``connect`` listener applying the settings above, and with ``read_only``
    making every transaction of the session read-only, so the server refuses a write."""
    statements = (
        *POSTGRES_SESSION,
        *(("set session characteristics as transaction read only",) if read_only else ()),
    )

    def apply(dbapi_connection: Any, _record: object) -> None:  # noqa: ANN401
        cursor = dbapi_connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        cursor.close()
        dbapi_connection.commit()

    return apply


def _quiet_connection(dbapi_connection: Any, _record: object) -> None:  # noqa: ANN401
    """No progress bar: DuckDB draws one on stdout for long queries, into ``--json`` output."""
    cursor = dbapi_connection.cursor()
    cursor.execute("set enable_progress_bar = false")
    cursor.close()


def create_store_engine(
    url: str,
    read_only: bool = False,
    **engine_options: Any,  # noqa: ANN401
) -> Engine:
    """Engine for ``url``, checked by opening one connection.

    DuckDB stores get a memory limit (``MARKETING_REVIEW_DUCKDB_MEMORY``, default 600MB); every
    connection of the engine shares that configuration, as DuckDB requires.

    ``read_only`` (warehouse mode) opens a DuckDB file read-only and makes every PostgreSQL
    transaction read-only, so the database itself refuses a write; on every engine the store's
    writes check :func:`ensure_writable` first.

    Raises
    ------
    StoreLockedError
        When another process holds the DuckDB file.
    StoreUrlError
        When the URL is malformed or names a driver that is not installed.
    """
    try:
        parsed = _absolute_duckdb_url(make_url(url))
    except sa.exc.ArgumentError as error:
        raise StoreUrlError(f"store URL {url!r} is not a database URL: {error}") from error
    path = store_path(parsed)
    if read_only and path is not None and not path.is_file():
        raise StoreUrlError(
            f"the store {path} does not exist: read-only mode opens a store, it never makes one"
        )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "duckdb":
        limit = duckdb_memory_limit()
        connect_args = dict(engine_options.pop("connect_args", {}))
        config = {"memory_limit": limit, **connect_args.get("config", {})}
        engine_options["connect_args"] = {**connect_args, "config": config}
        if read_only and path is not None:
            engine_options["connect_args"]["read_only"] = True
    try:
        engine = sa.create_engine(parsed, **engine_options)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
        raise StoreUrlError(f"store URL {describe_url(parsed)} cannot be used: {error}") from error
    if parsed.get_backend_name() == "duckdb":
        sa.event.listen(engine, "connect", _quiet_connection)
    if parsed.get_backend_name() == "postgresql":
        sa.event.listen(engine, "connect", _postgres_session(read_only))
    if read_only:
        engine = engine.execution_options(**{READ_ONLY_OPTION: True})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
    except sa.exc.DBAPIError as error:
        engine.dispose()
        message = lock_message(str(error.orig), path)
        if message:
            raise StoreLockedError(message) from error
        if isinstance(error, sa.exc.OperationalError):  # the server is not there, or refuses us
            first_line = str(error.orig).strip().splitlines()[0] if str(error.orig) else ""
            raise StoreUrlError(
                f"the store {describe_url(parsed)} cannot be reached: {first_line}"
            ) from error
        raise
    return engine


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for the store and for ingest's staging database."""
    return os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_DUCKDB_MEMORY_LIMIT


def raw_duckdb(connection: Connection) -> Any:  # noqa: ANN401
    """The pooled connection's DuckDB handle, for bulk work inside the same transaction.

    Only ``core/store/ingest`` and the demo loader use it: it is DuckDB-specific by design.
    """
    if connection.dialect.name != "duckdb":
        raise TypeError(f"bulk DuckDB work needs a DuckDB store, not {connection.dialect.name}")
    return connection.connection.driver_connection
