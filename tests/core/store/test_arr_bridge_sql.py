"""The ARR bridge computed in the database equals :func:`core.revenue.arr_bridge` (the pandas
reference the revenue tests hand-check) on the same rows: random histories and the demo store."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.calendar import add_months
from core.revenue import arr_bridge
from core.store.engine import create_store_engine
from core.store.metrics import arr_bridge_through
from tests.conftest import copy_store
from tests.core.store.helpers import load, new_store
from tests.stores import fresh_store_url

FIRST = date(2025, 1, 1)


def _reference(connection, last_day: date) -> pd.DataFrame:
    arr = pd.read_sql(
        sa.text("select account_id, month, arr_usd from current_revenue where month <= :last"),
        connection,
        params={"last": last_day},
    )
    if arr.empty:
        return pd.DataFrame()
    arr["month"] = pd.to_datetime(arr["month"])
    return arr_bridge(arr)


def _assert_same(connection, last_day: date) -> None:
    ours, reference = arr_bridge_through(connection, last_day), _reference(connection, last_day)
    if reference.empty:
        assert ours.empty
        return
    pd.testing.assert_frame_equal(ours, reference, check_dtype=False, atol=1e-6)


# Per account: ARR for each of 8 months (0 = no row that month; a zero row is kept too).
_history = st.lists(
    st.lists(st.sampled_from([None, 0.0, 100.0, 250.0, 40.0]), min_size=8, max_size=8),
    min_size=1,
    max_size=5,
)


@pytest.mark.slow
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=_history, cut=st.integers(min_value=0, max_value=8))
def test_random_histories_match_the_pandas_bridge(tmp_path_factory, history, cut):
    engine = new_store(tmp_path_factory.mktemp("bridge") / "store.duckdb")
    rows = [
        {"account_id": f"A{account}", "month": add_months(FIRST, index), "arr_usd": value}
        for account, values in enumerate(history)
        for index, value in enumerate(values)
        if value is not None
    ]
    if rows:
        load(engine, "revenue", rows, date(2025, 12, 31))
    with engine.connect() as connection:
        _assert_same(connection, add_months(FIRST, cut))
    engine.dispose()


def test_a_hand_made_history_gives_each_component(tmp_path):
    engine = create_store_engine(fresh_store_url(tmp_path / "store.duckdb"))
    from core.store.schema import migrate

    migrate(engine)
    months = [add_months(FIRST, index) for index in range(4)]
    rows = [
        # A: new in Jan, expands in Feb, churns in Mar, comes back in Apr (reactivation)
        {"account_id": "A", "month": months[0], "arr_usd": 100.0},
        {"account_id": "A", "month": months[1], "arr_usd": 150.0},
        {"account_id": "A", "month": months[3], "arr_usd": 90.0},
        # B: new in Feb, contracts in Mar
        {"account_id": "B", "month": months[1], "arr_usd": 80.0},
        {"account_id": "B", "month": months[2], "arr_usd": 50.0},
    ]
    load(engine, "revenue", rows, date(2025, 12, 31))
    with engine.connect() as connection:
        bridge = arr_bridge_through(connection, months[3])
    assert bridge["month"].dt.date.tolist() == months[1:]
    assert bridge["new_usd"].tolist() == [80.0, 0.0, 0.0]
    assert bridge["expansion_usd"].tolist() == [50.0, 0.0, 0.0]
    assert bridge["contraction_usd"].tolist() == [0.0, 30.0, 0.0]
    assert bridge["churn_usd"].tolist() == [0.0, 150.0, 50.0]
    assert bridge["reactivation_usd"].tolist() == [0.0, 0.0, 90.0]
    assert bridge["start_arr_usd"].tolist() == [100.0, 230.0, 50.0]
    assert bridge["end_arr_usd"].tolist() == [230.0, 50.0, 90.0]
    engine.dispose()


@pytest.mark.parametrize("last_day", [date(2026, 11, 23), date(2025, 6, 30)])
def test_the_demo_store_matches_the_pandas_bridge(demo_template, tmp_path, last_day):
    engine = create_store_engine(copy_store(demo_template, tmp_path))
    with engine.connect() as connection:
        _assert_same(connection, last_day)
    engine.dispose()
