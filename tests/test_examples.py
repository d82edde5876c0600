"""Every example file the README points to loads through the ingest path as documented."""

from datetime import datetime
from pathlib import Path

import pytest

from core.store.engine import create_store_engine
from core.store.ingest.pipeline import IngestOptions, ingest_file
from core.store.schema import migrate
from core.store.writes import set_setting

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"
EXPECTED = {
    "campaigns.csv": ("generic_campaigns", 3),
    "spend.csv": ("generic_spend", 3),
    "touches.csv": ("generic_touches", 3),
    "revenue_mrr.csv": ("generic_revenue", 3),
    "goals.csv": ("generic_goals", 4),
    "forecasts.csv": ("generic_forecasts", 3),
    "budgets.csv": ("generic_budgets", 3),
    "rates.csv": ("generic_rates", 3),
}


@pytest.fixture
def engine(tmp_path):
    engine = create_store_engine(f"duckdb:///{tmp_path / 'store.duckdb'}")
    migrate(engine)
    with engine.begin() as connection:
        set_setting(connection, "fiscal_year_start_month", "2", "test", datetime(2026, 11, 23))
    yield engine
    engine.dispose()


def test_every_example_is_listed():
    assert sorted(path.name for path in EXAMPLES.glob("*.csv")) == sorted(EXPECTED)


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_example_loads(engine, name, expected):
    report = ingest_file(engine, EXAMPLES / name, IngestOptions(now=datetime(2026, 11, 23, 9, 0)))
    assert (report.status, report.preset.name, report.rows_valid) == ("loaded", *expected), (
        report.message
    )


def test_examples_are_in_the_readme():
    readme = (EXAMPLES.parents[1] / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert f"data/examples/{name}" in readme
