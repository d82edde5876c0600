"""Recurring revenue in the database (:mod:`core.store.arr`) equals the pandas reference
(:mod:`core.revenue`, whose tests check the math by hand) on the same rows: random histories
with segments, and the demo company in every segment."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import revenue
from core.calendar import add_months
from core.store import arr as store_arr
from core.store.engine import create_store_engine
from core.store.revenue import arr_by_account
from tests.conftest import copy_store
from tests.core.store.helpers import load, new_store

FIRST = date(2025, 1, 1)


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month + 2) // 3}"


def _frames_equal(ours: pd.DataFrame, reference: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        ours.reset_index(drop=True),
        reference.reset_index(drop=True),
        check_dtype=False,
        check_index_type=False,
        atol=1e-6,
    )


def assert_same(engine, last_day: date, segment: str | None, window: int = 12) -> None:
    """Both ways the store answers (the kept arr_summary, and from current_revenue) equal the
    pandas reference."""
    for summary in (True, False):
        _assert_same(engine, last_day, segment, window, summary)


def _assert_same(engine, last_day: date, segment: str | None, window: int, summary: bool) -> None:
    arr = arr_by_account(engine, last_day)
    if segment is not None:
        arr = revenue.in_segment(arr, segment)
    with engine.connect() as connection:
        if arr.empty:
            assert store_arr.month_bounds(connection, last_day, segment, summary) is None
            return
        last_month = arr["month"].max().date()
        periods = [
            ("last", add_months(last_month, -2), last_month),
            ("one", last_month, last_month),
            ("early", arr["month"].min().date(), arr["month"].min().date()),
        ]
        months, quarters = store_arr.bridges_with_retention(
            connection, last_day, quarter_of, window, segment, summary
        )
        churns = store_arr.logo_churn_by_period(connection, last_day, periods, segment)
        single = store_arr.logo_churn(connection, last_day, *periods[0][1:], segment)
        bounds = store_arr.month_bounds(connection, last_day, segment, summary)
    reference_months, reference_quarters = revenue.bridges_with_retention(arr, quarter_of, window)
    _frames_equal(months, reference_months)
    _frames_equal(quarters, reference_quarters)
    _frames_equal(churns, revenue.logo_churn_by_period(arr, periods))
    assert single == revenue.logo_churn(arr, *periods[0][1:])
    assert bounds[1].to_timestamp().date() == last_month


_account = st.tuples(
    st.sampled_from([None, "SMB", "Enterprise"]),
    st.lists(st.sampled_from([None, 0.0, 100.0, 250.0, 40.0]), min_size=16, max_size=16),
)


@pytest.mark.slow
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    accounts=st.lists(_account, min_size=1, max_size=5),
    cut=st.integers(min_value=0, max_value=16),
    window=st.sampled_from([1, 3, 12]),
    segment=st.sampled_from([None, "SMB", "Enterprise", "Unknown"]),
)
def test_random_histories_match_the_pandas_reference(
    tmp_path_factory, accounts, cut, window, segment
):
    engine = new_store(tmp_path_factory.mktemp("arr") / "store.duckdb")
    rows = [
        {
            "account_id": f"A{number}",
            "month": add_months(FIRST, index),
            "arr_usd": value,
            # the segment is named on the later months only: the latest one decides
            "segment": label if index >= 8 else None,
        }
        for number, (label, values) in enumerate(accounts)
        for index, value in enumerate(values)
        if value is not None
    ]
    if rows:
        load(engine, "revenue", rows, date(2026, 6, 30))
    assert_same(engine, add_months(FIRST, cut), segment, window)
    engine.dispose()


@pytest.fixture(scope="module")
def demo_engine(demo_template, tmp_path_factory):
    engine = create_store_engine(copy_store(demo_template, tmp_path_factory.mktemp("arr-demo")))
    yield engine
    engine.dispose()


def test_the_demo_company_matches_in_every_segment(demo_engine):
    last_day = date(2026, 11, 23)
    with demo_engine.connect() as connection:
        segments = store_arr.segments(connection, last_day)
    assert segments  # the demo names its segments
    assert segments == tuple(
        sorted(arr_by_account(demo_engine, last_day)["segment"].dropna().unique())
    )
    for segment in (None, *segments):
        assert_same(demo_engine, last_day, segment)
    assert_same(demo_engine, date(2025, 3, 31), None, window=3)


def test_the_kept_summary_follows_new_exports_and_undos(tmp_path):
    from core.store.ingest.pipeline import undo_upload

    engine = new_store(tmp_path / "store.duckdb")

    def rows(amounts: dict[str, list[float]]) -> list[dict]:
        return [
            {"account_id": account, "month": add_months(FIRST, index), "arr_usd": value,
             "segment": "SMB"}
            for account, values in amounts.items()
            for index, value in enumerate(values)
        ]  # fmt: skip

    load(engine, "revenue", rows({"A": [100.0] * 14, "B": [50.0] * 13}), date(2026, 2, 28))
    assert_same(engine, date(2026, 3, 31), None)
    later = load(
        engine, "revenue", rows({"A": [100.0] * 13 + [130.0, 140.0], "C": [0.0, 20.0]}),
        date(2026, 3, 31),
    )  # fmt: skip
    assert_same(engine, date(2026, 3, 31), None)
    assert_same(engine, date(2025, 9, 30), None)
    undo_upload(engine, later, by="test")
    assert_same(engine, date(2026, 3, 31), None)
    engine.dispose()
