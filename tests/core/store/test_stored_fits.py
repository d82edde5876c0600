"""Fitted response curves are stored by what they fitted and read back exactly."""

from __future__ import annotations

import dataclasses
from dataclasses import fields
from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa

from core.store import queries
from core.store import scenarios as store_scenarios
from core.store.engine import create_store_engine
from tests.conftest import copy_store

AS_OF = date(2026, 11, 23)
DRAWS = 4  # enough to check the draws round-trip; the page fits 50


@pytest.fixture
def engine(demo_template, tmp_path):
    engine = create_store_engine(copy_store(demo_template, tmp_path))
    with engine.begin() as connection:  # start with none stored (the demo stores one)
        connection.execute(sa.text("delete from scenario_fits"))
    yield engine
    engine.dispose()


def _stored(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text("select count(*) from scenario_fits")).scalar_one()


def test_the_demo_command_stores_the_fit_the_page_opens_on(demo_template, tmp_path):
    engine = create_store_engine(copy_store(demo_template, tmp_path / "demo"))
    data = store_scenarios.scenario_data(engine, queries.data_extent(engine).data_through)
    assert data is not None
    wanted = store_scenarios.fit_fingerprint(data)
    with engine.connect() as connection:
        stored = (
            connection.execute(sa.text("select fingerprint from scenario_fits")).scalars().all()
        )
    assert stored == [wanted]
    engine.dispose()


def _assert_same_curves(left, right) -> None:
    assert len(left) == len(right)
    for one, other in zip(left, right, strict=True):
        for item in fields(one):
            a, b = getattr(one, item.name), getattr(other, item.name)
            if isinstance(a, np.ndarray):
                assert a.dtype == b.dtype and np.array_equal(a, b), item.name
            else:
                assert a == b, item.name


def test_a_fit_is_stored_once_and_read_back_bit_for_bit(engine):
    data = store_scenarios.scenario_data(engine, AS_OF)
    assert data is not None
    first = store_scenarios.stored_curves(engine, data, draws=DRAWS)
    assert _stored(engine) == 1
    again = store_scenarios.stored_curves(engine, data, draws=DRAWS)
    assert _stored(engine) == 1
    _assert_same_curves(again, first)
    _assert_same_curves(first, store_scenarios.fit_curves(data, draws=DRAWS))


def test_another_history_or_fitting_version_is_another_fit(engine, monkeypatch):
    data = store_scenarios.scenario_data(engine, AS_OF)
    assert data is not None
    base = store_scenarios.fit_fingerprint(data, DRAWS)
    spend = data.spend.copy()
    spend[0, -1] += 1.0  # one dollar more in one week
    changed = dataclasses.replace(data, spend=spend)
    assert store_scenarios.fit_fingerprint(changed, DRAWS) != base
    assert store_scenarios.fit_fingerprint(data, DRAWS + 1) != base
    assert store_scenarios.fit_fingerprint(data, DRAWS, seed=1) != base
    monkeypatch.setattr(store_scenarios, "FIT_VERSION", store_scenarios.FIT_VERSION + 1)
    assert store_scenarios.fit_fingerprint(data, DRAWS) != base


def test_only_the_newest_fits_are_kept(engine, monkeypatch):
    data = store_scenarios.scenario_data(engine, AS_OF)
    assert data is not None
    monkeypatch.setattr(store_scenarios, "KEPT_FITS", 2)
    for seed in range(3):
        store_scenarios.stored_curves(engine, data, draws=2, seed=seed)
    assert _stored(engine) == 2


def test_the_last_bits_of_a_parallel_sum_do_not_change_the_fingerprint(engine):
    data = store_scenarios.scenario_data(engine, AS_OF)
    assert data is not None
    # DuckDB's parallel sums can differ in the last bits from one read to the next.
    wobbled = dataclasses.replace(
        data, spend=data.spend * (1 + 1e-15), pipeline=np.nextafter(data.pipeline, np.inf)
    )
    assert store_scenarios.fit_fingerprint(wobbled) == store_scenarios.fit_fingerprint(data)
