"""Shared fixtures: a demo store generated once per test session, copied for each user of it.

The demo is generated at scale 0.1 with a fixed seed and as-of date so every run sees the same
numbers. DuckDB allows one writer process per file, so each consumer (AppTest in this process,
the browser tests' app server in another) gets its own copy of the file.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from core.cli import main as cli_main

DEMO_AS_OF = date(2026, 11, 23)
DEMO_SEED = 42
DEMO_SCALE = "0.1"


@dataclass(frozen=True)
class DemoTemplate:
    """A seeded demo store on disk and the exports it was loaded from."""

    store_path: Path
    exports: Path


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    """The demo company generated once, through the CLI, into a session folder."""
    folder = tmp_path_factory.mktemp("demo-template")
    store_path = folder / "marketing.duckdb"
    exports = folder / "demo"
    code = cli_main(
        [
            "demo",
            "--db",
            f"duckdb:///{store_path}",
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
    return DemoTemplate(store_path=store_path, exports=exports)


def copy_store(template: DemoTemplate, folder: Path) -> str:
    """A private copy of the demo store; returns its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "marketing.duckdb"
    shutil.copyfile(template.store_path, target)
    return f"duckdb:///{target}"


@pytest.fixture
def demo_store_url(demo_template: DemoTemplate, tmp_path: Path) -> str:
    """URL of a fresh copy of the demo store for one test."""
    return copy_store(demo_template, tmp_path / "store")
