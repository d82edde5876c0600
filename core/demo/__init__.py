"""The demo company: a believable B2B SaaS business generated from known truth.

``python -m core demo`` simulates "Lumora Analytics" (fiscal year starting in February, three
fiscal years of history plus the current one up to the as-of date), writes its data as the
vendor-shaped CSV exports a marketing-ops analyst would download into ``data/demo/``, writes the
true response-curve parameters to ``data/demo/ground_truth.json``, and loads every file into the
store as its own upload.

Same seed, scale and as-of date: the same files, byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from core.demo.build import (
    DemoFile,
    demo_files,
    manifest,
    settings_rows,
    simulate_world,
    write_ground_truth,
)
from core.demo.simulate import DemoOptions
from core.store.ingest.pipeline import MAX_FILE_BYTES, IngestOptions, ingest_file
from core.store.writes import set_setting

DEMO_AUTHOR = "demo generator"
__all__ = ["DemoDirectoryError", "DemoOptions", "DemoSummary", "generate_demo"]


@dataclass(frozen=True)
class LoadedFile:
    """One demo export and what it put in the store."""

    relative_path: str
    kind: str
    source: str
    rows: int
    upload_id: int | None


@dataclass(frozen=True)
class DemoSummary:
    """What the generator wrote and loaded."""

    out_dir: Path
    files: tuple[LoadedFile, ...]

    def rows_by_kind(self) -> dict[str, int]:
        """Rows loaded per store table."""
        totals: dict[str, int] = {}
        for file in self.files:
            totals[file.kind] = totals.get(file.kind, 0) + file.rows
        return totals


class DemoDirectoryError(RuntimeError):
    """The output directory holds files the generator did not write."""


def _clear_previous_demo(out_dir: Path) -> None:
    """Remove the files a previous run listed in its manifest; refuse foreign directories."""
    if not out_dir.exists():
        return
    manifest_path = out_dir / "manifest.json"
    if not manifest_path.is_file():
        if any(out_dir.iterdir()):
            raise DemoDirectoryError(
                f"{out_dir} is not empty and holds no demo manifest: choose an empty directory "
                "so no other files are overwritten"
            )
        return
    for entry in json.loads(manifest_path.read_text(encoding="utf-8")):
        (out_dir / entry["path"]).unlink(missing_ok=True)
    for name in ("manifest.json", "ground_truth.json"):
        (out_dir / name).unlink(missing_ok=True)
    for folder in sorted((path for path in out_dir.rglob("*") if path.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def _load_file(engine: Engine, file: DemoFile, path: Path, now: datetime) -> tuple[int, int]:
    """Write one export, then load it through the ingest path like any uploaded file."""
    for _chunk in file.write(path):
        pass
    options = IngestOptions(
        max_bytes=MAX_FILE_BYTES,
        source=file.source,
        snapshot_date=file.snapshot_date,
        uploaded_by=DEMO_AUTHOR,
        is_demo=True,
        now=now,
    )
    report = ingest_file(engine, path, options)
    if report.status == "duplicate" or (report.status == "invalid" and report.rows_read == 0):
        # At tiny scales a weekly export can repeat the week before or hold no open deal.
        return int(report.duplicate_of or 0), 0
    if not report.loaded:
        raise RuntimeError(f"the demo export {file.relative_path} did not load: {report.message}")
    return int(report.upload_id or 0), report.rows_valid


def generate_demo(
    options: DemoOptions,
    out_dir: Path,
    engine: Engine | None = None,
    progress: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> DemoSummary:
    """Simulate the company, write its exports to ``out_dir`` and load them into ``engine``.

    Without an engine only the files are written (useful to get realistic example exports).
    """
    report = progress or (lambda _message: None)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    _clear_previous_demo(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report(
        f"Simulating the demo company (seed {options.seed}, scale {options.scale:g}, "
        f"as of {options.as_of})"
    )
    world = simulate_world(options)
    files = demo_files(world)
    write_ground_truth(world, out_dir / "ground_truth.json")
    (out_dir / "manifest.json").write_text(manifest(files), encoding="utf-8")
    if engine is not None:
        # The fiscal calendar and currency come first: goals, forecasts and budgets need them.
        with engine.begin() as connection:
            for key, value in settings_rows(world).items():
                set_setting(connection, key, value, DEMO_AUTHOR, now)
    loaded = []
    for number, file in enumerate(files, start=1):
        path = out_dir / file.relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        if engine is None:
            rows = sum(len(chunk) for chunk in file.write(path))
            upload_id = None
        else:
            upload_id, rows = _load_file(engine, file, path, now)
        loaded.append(LoadedFile(file.relative_path, file.kind, file.source, rows, upload_id))
        if number == len(files) or file.kind != "opportunities" or number % 25 == 0:
            report(f"[{number}/{len(files)}] {file.relative_path}: {rows:,} rows")
    return DemoSummary(out_dir=out_dir, files=tuple(loaded))


def demo_rows(options: DemoOptions, out_dir: Path) -> dict[str, pd.DataFrame]:
    """Write the demo's exports and return the rows they hold, in the store's columns.

    For tests of the ingest path at small scales: what the files say, so what ingest must find.
    """
    _clear_previous_demo(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world = simulate_world(options)
    files = demo_files(world)
    (out_dir / "manifest.json").write_text(manifest(files), encoding="utf-8")
    chunks: dict[str, list[pd.DataFrame]] = {}
    for file in files:
        path = out_dir / file.relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        for chunk in file.write(path):
            chunks.setdefault(file.kind, []).append(chunk)
    return {kind: pd.concat(frames, ignore_index=True) for kind, frames in chunks.items()}


def default_as_of() -> date:
    """Today, the demo's default as-of date."""
    return datetime.now(UTC).date()
