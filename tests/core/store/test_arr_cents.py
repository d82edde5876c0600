"""Cents are exact (issue 26, finding 4): at $40M of ARR the bridge balances to the cent and its
end equals the sum of the file's MRR x 12, month by month, read from the kept summary and from
the live rows alike; no store column is a 32-bit FLOAT (which lost $0.11 on the bridge)."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.calendar import add_months
from core.store.arr import arr_bridge
from core.store.engine import create_store_engine
from core.store.ingest.pipeline import IngestOptions, ingest_file
from core.store.schema import migrate
from tests.stores import fresh_store_url

CENT = Decimal("0.01")
FIRST = date(2026, 1, 1)
MONTHS = 7


def _history() -> dict[tuple[str, date], Decimal]:
    """450 accounts' MRR with cents over 7 months (about $40M of ARR): new, expanding,
    contracting, churning and returning accounts; seeded, so the file is the same every run."""
    chosen = random.Random(26)
    mrr: dict[tuple[str, date], Decimal] = {}
    for account in range(450):
        start = chosen.randrange(0, 3)
        value = Decimal(chosen.randrange(500_000, 1_700_000)) / 100  # 5,000.00 .. 16,999.99
        for index in range(start, MONTHS):
            roll = chosen.random()
            if roll < 0.05:
                continue  # no row this month: churned (and perhaps back later)
            if roll < 0.25:
                value = (value * Decimal(chosen.uniform(0.8, 1.3))).quantize(CENT)
            mrr[(f"ACC-{account:04d}", add_months(FIRST, index))] = value
    return mrr


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder: Path = tmp_path_factory.mktemp("cents")
    engine = create_store_engine(fresh_store_url(folder / "marketing.duckdb"))
    migrate(engine)
    mrr = _history()
    lines = ["account_id,month,mrr"] + [
        f"{account},{month:%Y-%m},{value}" for (account, month), value in sorted(mrr.items())
    ]
    path = folder / "billing_mrr.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest_file(
        engine, path, IngestOptions(uploaded_by="tester", now=datetime(2026, 8, 2, 9, 0))
    )
    assert report.status == "loaded", report.message
    yield engine, mrr
    engine.dispose()


def _cents(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(CENT)


@pytest.mark.parametrize("summary", [True, False], ids=["kept summary", "live rows"])
def test_the_bridge_balances_to_the_cent_and_ends_at_mrr_times_twelve(store, summary):
    engine, mrr = store
    with engine.connect() as connection:
        bridge = arr_bridge(connection, add_months(FIRST, MONTHS - 1), summary=summary)
    assert len(bridge) == MONTHS - 1
    for row in bridge.itertuples():
        month = row.month.date() if hasattr(row.month, "date") else row.month
        month = date(month.year, month.month, 1)
        expected_end = sum(
            (value * 12 for (_, day), value in mrr.items() if day == month), Decimal(0)
        )
        expected_start = sum(
            (value * 12 for (_, day), value in mrr.items() if day == add_months(month, -1)),
            Decimal(0),
        )
        assert expected_end > Decimal(30_000_000)  # the scale where FLOAT lost dollars
        assert _cents(row.end_arr_usd) == expected_end, month
        assert _cents(row.start_arr_usd) == expected_start, month
        moved = (
            _cents(row.start_arr_usd)
            + _cents(row.new_usd)
            + _cents(row.reactivation_usd)
            + _cents(row.expansion_usd)
            - _cents(row.contraction_usd)
            - _cents(row.churn_usd)
        )
        assert moved == _cents(row.end_arr_usd), month


def test_no_store_column_is_a_32_bit_float(store):
    engine, _ = store
    with engine.connect() as connection:
        floats = connection.execute(
            sa.text(
                "select table_name, column_name, data_type from information_schema.columns "
                "where table_schema = current_schema() "
                "and upper(data_type) in ('FLOAT', 'REAL', 'FLOAT4')"
            )
        ).all()
    assert floats == []
