"""Shared fixtures: a demo store generated once per test session, copied for each user of it.

The demo is generated at scale 0.1 with a fixed seed and as-of date so every run sees the same
numbers. DuckDB allows one writer process per file, so each consumer (AppTest in this process,
the browser tests' app server in another) gets its own copy of the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from core.cli import main as cli_main
from core.store.ingest.pipeline import ARCHIVE_ENV
from tests import stores

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


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    """The demo company generated once, through the CLI, into a session folder."""
    folder = tmp_path_factory.mktemp("demo-template")
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
    its file and lock) on PostgreSQL, ``postgres_only`` (roles, schemas) on DuckDB."""
    other = "duckdb_only" if stores.on_postgres() else "postgres_only"
    left_out = [item for item in items if item.get_closest_marker(other) is not None]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item.get_closest_marker(other) is None]


@pytest.fixture
def demo_store_url(demo_template: DemoTemplate, tmp_path: Path) -> str:
    """URL of a fresh copy of the demo store for one test."""
    return copy_store(demo_template, tmp_path / "store")
