"""`python -m bench.pages` end to end on the small demo store: every page served, the report
written with its targets table. Not a timing test: it checks the benchmark still runs and that
every page it times rendered without an error (a page that failed fast would look fast)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.pages import PAGES
from tests.conftest import copy_store

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(900)


@pytest.mark.slow
def test_the_page_benchmark_runs_and_reports_every_page(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path / "store")
    out = tmp_path / "RESULTS.md"
    result = subprocess.run(
        [sys.executable, "-m", "bench.pages", "--scales", "0.1", "--store", f"0.1={url}",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=880, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = out.read_text()
    assert "## Targets (issue 13)" in report and "### Demo scale 0.1" in report
    for _page, title in PAGES:
        row = next(line for line in report.splitlines() if line.startswith(f"| {title} |"))
        assert row.endswith("| none |"), row  # rendered with no exception and no error
    assert "Slider move (`simulate`)" in report and "Peak memory of the app process" in report
    assert "after a server restart" in report
