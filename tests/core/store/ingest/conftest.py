"""The store a real company's exports load into: "Acme, fiscal year from April, EUR"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from core.store.company import save_company_settings
from core.store.engine import create_store_engine
from core.store.schema import migrate
from tests.core.store.ingest.test_real_exports import ACME, NOW, load
from tests.stores import fresh_store_url


@pytest.fixture
def acme(tmp_path: Path) -> Iterator[Engine]:
    """A fresh store set up as Acme (fiscal year from April, EUR) with the monthly rates."""
    engine = create_store_engine(fresh_store_url(tmp_path / "acme.duckdb"))
    migrate(engine)
    save_company_settings(engine, ACME, None, "tester", NOW)
    report = load(engine, "rates_monthly_eur.csv")
    assert report.status == "loaded", report.message
    assert report.preset is not None and report.preset.name == "generic_rates"
    yield engine
    engine.dispose()
