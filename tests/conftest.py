"""Shared fixtures: a demo store generated once per test session, copied for each user of it.

The demo is generated at scale 0.1 with a fixed seed and as-of date so every run sees the same
numbers. DuckDB allows one writer process per file, so each consumer (AppTest in this process,
the browser tests' app server in another) gets its own copy of the file.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings

from core.cli import main as cli_main
from core.store.ingest.pipeline import ARCHIVE_ENV
from tests import stores

# No test may depend on the machine's speed: property tests have no deadline anywhere (a busy CI
# machine once failed tests/core/test_goals.py::test_roll_up_invariants on hypothesis's default
# 200 ms). Timing belongs in `make bench`. A test's own @settings keeps this unless it sets one.
settings.register_profile("steady", deadline=None)
settings.load_profile("steady")

DEMO_AS_OF = date(2026, 11, 23)
DEMO_SEED = 42
DEMO_SCALE = "0.1"


@dataclass(frozen=True)
class DemoTemplate:
    """A seeded demo store (a DuckDB file, or a PostgreSQL database) and the exports it was
    loaded from."""

    store_url: str
    exports: Path

    @property
    def store_path(self) -> Path:
        """The DuckDB file (DuckDB runs only)."""
        return Path(self.store_url.removeprefix("duckdb:///"))


def _build_demo_template(folder: Path) -> DemoTemplate:
    """The demo company generated through the CLI into ``folder``."""
    store_url = stores.template_url("demo", folder / "marketing.duckdb")
    exports = folder / "demo"
    code = cli_main(
        [
            "demo",
            "--db",
            store_url,
            "--scale",
            DEMO_SCALE,
            "--seed",
            str(DEMO_SEED),
            "--as-of",
            DEMO_AS_OF.isoformat(),
            "--out",
            str(exports),
            "--json",
        ]
    )
    assert code == 0, "the demo generator failed"
    return DemoTemplate(store_url=store_url, exports=exports)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    """The demo company generated once per run, through the CLI, into a session folder.

    With parallel workers (pytest-xdist) the first worker that needs it builds it under a file
    lock in the run's shared temporary folder and the others read it from there: every consumer
    copies the store (:func:`copy_store`), so one template serves them all.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _build_demo_template(tmp_path_factory.mktemp("demo-template"))
    shared = tmp_path_factory.getbasetemp().parent / f"demo-template-{stores.engine_under_test()}"
    shared.mkdir(exist_ok=True)
    built = shared / "template.json"
    with (shared / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if built.is_file():
            saved = json.loads(built.read_text(encoding="utf-8"))
            return DemoTemplate(store_url=saved["store_url"], exports=Path(saved["exports"]))
        template = _build_demo_template(shared)
        built.write_text(
            json.dumps({"store_url": template.store_url, "exports": str(template.exports)}),
            encoding="utf-8",
        )
        return template


def copy_store(template: DemoTemplate, folder: Path) -> str:
    """A private copy of the demo store; returns its URL."""
    return stores.copy_of(template.store_url, folder)


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_databases() -> Iterator[None]:
    """On PostgreSQL runs, drop the databases the tests made when the session ends."""
    yield
    if stores.on_postgres():
        stores.drop_test_databases()


@pytest.fixture(autouse=True)
def _archive_beside_the_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL runs, archive uploads where a DuckDB store in ``tmp_path / "store"``
    would (a database has no folder of its own; by default it would be the project's
    ``data/uploads``, shared by every test)."""
    if stores.on_postgres():
        monkeypatch.setenv(ARCHIVE_ENV, str(tmp_path / "store" / "uploads"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each pass leaves out the other engine's own tests: ``duckdb_only`` (about DuckDB itself,
    its file and lock) on PostgreSQL, ``postgres_only`` (roles, schemas) on DuckDB. Files with
    slow tests run first."""
    other = "duckdb_only" if stores.on_postgres() else "postgres_only"
    left_out = [item for item in items if item.get_closest_marker(other) is not None]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item.get_closest_marker(other) is None]
    # Long files first: parallel workers take whole files in this order, so the long ones start
    # at once and the short ones fill in around them (no worker left alone with a long file at
    # the end). A file is long when any of its tests is marked slow or drives the browser.
    long_files = {
        item.path
        for item in items
        if item.get_closest_marker("slow") is not None
        or item.get_closest_marker("browser") is not None
    }
    items.sort(key=lambda item: item.path not in long_files)  # stable: order kept within each


@pytest.fixture
def demo_store_url(demo_template: DemoTemplate, tmp_path: Path) -> str:
    """URL of a fresh copy of the demo store for one test."""
    return copy_store(demo_template, tmp_path / "store")
