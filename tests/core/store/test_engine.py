"""Where the store is, and what users are told when another process holds it."""

import subprocess
import sys
from pathlib import Path

import pytest

from core.store.engine import (
    DEFAULT_STORE_URL,
    PROJECT_ROOT,
    StoreLockedError,
    StoreUrlError,
    create_store_engine,
    describe_url,
    lock_message,
    resolve_store_url,
    store_path,
)

pytestmark = pytest.mark.duckdb_only  # URLs, files and the lock of DuckDB stores


@pytest.fixture
def secrets_file(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text('[connections.store]\nurl = "duckdb:////tmp/from-secrets.duckdb"\n')
    return path


@pytest.mark.parametrize(
    ("cli", "environ", "use_secrets", "expected"),
    [
        (
            "duckdb:////tmp/cli.duckdb",
            {"MARKETING_REVIEW_DB": "duckdb:////tmp/env.duckdb"},
            True,
            "duckdb:////tmp/cli.duckdb",
        ),
        (
            None,
            {"MARKETING_REVIEW_DB": "duckdb:////tmp/env.duckdb"},
            True,
            "duckdb:////tmp/env.duckdb",
        ),
        (None, {}, True, "duckdb:////tmp/from-secrets.duckdb"),
        (None, {}, False, DEFAULT_STORE_URL),
        (None, {"MARKETING_REVIEW_DB": ""}, False, DEFAULT_STORE_URL),
    ],
)
def test_store_url_precedence(cli, environ, use_secrets, expected, secrets_file, tmp_path):
    path = secrets_file if use_secrets else tmp_path / "missing.toml"
    assert resolve_store_url(cli, environ, path) == expected


def test_broken_secrets_file_names_itself(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text("[connections.store\nurl = ")
    with pytest.raises(StoreUrlError, match=r"secrets\.toml is not valid TOML"):
        resolve_store_url(None, {}, path)


def test_relative_duckdb_paths_are_relative_to_the_project():
    assert store_path(DEFAULT_STORE_URL) == PROJECT_ROOT / "data" / "marketing.duckdb"
    assert store_path("duckdb:////tmp/x.duckdb") == Path("/tmp/x.duckdb")
    assert store_path("duckdb:///:memory:") is None
    assert store_path("postgresql://user:secret@host/db") is None


def test_describe_url_hides_passwords():
    assert describe_url("postgresql://user:secret@host/db") == "postgresql://user:***@host/db"


@pytest.mark.parametrize("url", ["not a url", "nosuchdriver://host/db"])
def test_unusable_urls_say_so(url):
    with pytest.raises(StoreUrlError, match="store URL"):
        create_store_engine(url)


def test_engine_creates_the_folder_of_a_new_store(tmp_path):
    engine = create_store_engine(f"duckdb:///{tmp_path / 'nested' / 'store.duckdb'}")
    engine.dispose()
    assert (tmp_path / "nested").is_dir()


def hold_lock(path: Path, label: str) -> subprocess.Popen:
    """Another process holding the DuckDB file; ``label`` ends up in its command line."""
    code = (
        "import duckdb, sys, time\n"
        f"connection = duckdb.connect({str(path)!r})\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
        f"# {label}\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "ready"
    return process


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("streamlit run app.py", "is open in the running app .*upload there, or stop the app"),
        ("python -m core ingest", "is in use by another process .*wait for it to finish"),
    ],
)
def test_locked_store_is_explained_in_one_sentence(tmp_path, label, expected):
    path = tmp_path / "store.duckdb"
    create_store_engine(f"duckdb:///{path}").dispose()
    holder = hold_lock(path, label)
    try:
        with pytest.raises(StoreLockedError, match=expected) as raised:
            create_store_engine(f"duckdb:///{path}")
        message = str(raised.value)
        assert str(path) in message and f"process {holder.pid}" in message
        assert "\n" not in message and "Traceback" not in message
    finally:
        holder.communicate("")


def test_lock_message_ignores_other_errors():
    assert lock_message("Catalog Error: table x does not exist", None) is None
