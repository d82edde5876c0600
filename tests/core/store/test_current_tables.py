"""The ``current_*`` tables always equal their ``live_current_*`` views (the ranked definition).

Pages read the tables; every write refreshes them in its own transaction, laying a newer upload
over the keys it carries and rebuilding after an undo or an older export loaded late. These
tests drive real uploads through the store's own write paths and compare table and view after
every step.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.store.engine import create_store_engine
from core.store.ingest.pipeline import undo_upload
from core.store.schema import (
    MIGRATIONS,
    VERSIONED_TABLES,
    fact_columns,
    migrate,
    refresh_current,
)
from tests.core.store.helpers import load, new_store, opportunity
from tests.stores import fresh_store_url

DAY = date(2026, 1, 5)


def _rows(engine, relation: str) -> list[tuple]:
    columns = ", ".join((*fact_columns("opportunities"), "upload_id"))
    with engine.connect() as connection:
        return sorted(
            tuple(row) for row in connection.execute(sa.text(f"select {columns} from {relation}"))
        )


def assert_current_is_live(engine) -> None:
    for name in VERSIONED_TABLES:
        columns = ", ".join((*fact_columns(name), "upload_id"))
        with engine.connect() as connection:
            table = connection.execute(
                sa.text(f"select {columns} from current_{name} order by {columns}")
            ).all()
            live = connection.execute(
                sa.text(f"select {columns} from live_current_{name} order by {columns}")
            ).all()
        assert table == live, name
    history_columns = ", ".join(
        (*fact_columns("opportunities"), "upload_id", "snapshot_date", "valid_until")
    )
    with engine.connect() as connection:
        history = connection.execute(
            sa.text(f"select {history_columns} from opportunity_history order by {history_columns}")
        ).all()
        expected = connection.execute(
            sa.text(
                f"select {history_columns} from (select *, lead(snapshot_date) over ("
                "partition by opportunity_id order by snapshot_date, upload_id) as valid_until "
                f"from opportunity_versions) as ranked order by {history_columns}"
            )
        ).all()
    assert history == expected, "opportunity_history"
    visits_columns = "opportunity_id, stage, opportunity_type, snapshot_date, upload_id, amount_usd"
    with engine.connect() as connection:
        visits = connection.execute(
            sa.text(
                f"select {visits_columns} from opportunity_stage_visits order by {visits_columns}"
            )
        ).all()
        first = connection.execute(
            sa.text(
                f"select {visits_columns} from (select *, row_number() over (partition by "
                "opportunity_id, stage, opportunity_type order by snapshot_date, upload_id) "
                "as visit from opportunity_versions where not is_closed) as ranked "
                f"where visit = 1 order by {visits_columns}"
            )
        ).all()
    assert visits == first, "opportunity_stage_visits"


def _state(engine, name: str) -> str:
    with engine.connect() as connection:
        return connection.execute(
            sa.text("select upload_ids from current_tables where table_name = :name"),
            {"name": name},
        ).scalar_one()


def test_a_newer_upload_replaces_only_the_keys_it_carries(tmp_path):
    engine = new_store(tmp_path / "store.duckdb")
    first = load(
        engine,
        "opportunities",
        [
            opportunity("006A", 100.0, "2026-01-05", "2026-03-01"),
            opportunity("006B", 5.0, "2026-01-05", "2026-03-01"),
        ],
        DAY,
    )
    second = load(
        engine,
        "opportunities",
        [opportunity("006A", 150.0, "2026-01-05", "2026-03-15")],
        DAY + timedelta(days=7),
    )
    with engine.connect() as connection:
        current = dict(
            connection.execute(
                sa.text("select opportunity_id, amount_usd from current_opportunities")
            ).all()
        )
    assert current == {"006A": 150.0, "006B": 5.0}
    assert _state(engine, "opportunities") == f"{first},{second}"
    assert_current_is_live(engine)
    engine.dispose()


def test_an_older_export_loaded_late_and_an_undo_rebuild(tmp_path):
    engine = new_store(tmp_path / "store.duckdb")
    load(engine, "opportunities", [opportunity("006A", 100.0, "2026-01-05", "2026-03-01")], DAY)
    newer = load(
        engine,
        "opportunities",
        [opportunity("006A", 150.0, "2026-01-05", "2026-03-01")],
        DAY + timedelta(days=14),
    )
    # Older than what is loaded: it must not win 006A, but its new key 006C counts.
    load(
        engine,
        "opportunities",
        [
            opportunity("006A", 90.0, "2026-01-05", "2026-03-01"),
            opportunity("006C", 7.0, "2026-01-05", "2026-03-01"),
        ],
        DAY + timedelta(days=7),
    )
    assert_current_is_live(engine)
    with engine.connect() as connection:
        amounts = dict(
            connection.execute(
                sa.text("select opportunity_id, amount_usd from current_opportunities")
            ).all()
        )
    assert amounts == {"006A": 150.0, "006C": 7.0}
    undo_upload(engine, newer, by="test")
    assert_current_is_live(engine)
    with engine.connect() as connection:
        amount = connection.execute(
            sa.text("select amount_usd from current_opportunities where opportunity_id = '006A'")
        ).scalar_one()
    assert amount == 90.0  # the late export is now the newest loaded snapshot
    engine.dispose()


def test_a_failed_write_leaves_the_current_tables_as_they_were(tmp_path):
    engine = new_store(tmp_path / "store.duckdb")
    load(engine, "opportunities", [opportunity("006A", 100.0, "2026-01-05", "2026-03-01")], DAY)
    before = _rows(engine, "current_opportunities")
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("delete from current_opportunities"))
            refresh_current(connection)  # nothing changed upstream: the table is left as is
            raise RuntimeError("the write fails after the refresh")
    except RuntimeError:
        pass
    assert _rows(engine, "current_opportunities") == before
    engine.dispose()


def test_a_version_7_store_with_data_migrates_to_tables_holding_the_same_rows(tmp_path):
    engine = create_store_engine(fresh_store_url(tmp_path / "old.duckdb"))
    up_to_7 = {version: MIGRATIONS[version] for version in range(1, 8)}
    assert migrate(engine, up_to_7) == 7
    with engine.begin() as connection:  # as release 7 left it: current_* were ranking views
        for name in VERSIONED_TABLES:
            if name == "exchange_rates":
                continue  # schema 14's table: release 7 had none
            connection.execute(
                sa.text(f"create view current_{name} as select * from live_current_{name}")
            )
    load(engine, "opportunities", [opportunity("006A", 100.0, "2026-01-05", "2026-03-01")], DAY)
    load(
        engine,
        "opportunities",
        [opportunity("006A", 120.0, "2026-01-05", "2026-03-01")],
        DAY + timedelta(days=7),
    )
    migrate(engine)
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    assert "current_opportunities" in tables
    assert [row[5] for row in _rows(engine, "current_opportunities")] == [120.0]
    assert_current_is_live(engine)
    load(
        engine,
        "opportunities",
        [opportunity("006B", 1.0, "2026-01-05", "2026-03-01")],
        DAY + timedelta(days=14),
    )
    assert_current_is_live(engine)
    engine.dispose()


# A history of writes: (snapshot day offset, amounts of deals A..D present in the file), or an
# undo of the n-th upload so far.
_upload = st.tuples(
    st.integers(min_value=0, max_value=30),
    st.dictionaries(
        st.sampled_from("ABCD"),
        st.tuples(
            st.integers(min_value=1, max_value=9),
            st.sampled_from(["Prospecting", "Proposal", "Closed Won"]),
        ),
        min_size=1,
    ),
)
_step = st.one_of(_upload, st.integers(min_value=0, max_value=10))


@pytest.mark.slow
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(_step, min_size=1, max_size=8))
def test_any_history_of_uploads_and_undos_leaves_table_equal_to_view(tmp_path_factory, steps):
    engine = new_store(tmp_path_factory.mktemp("history") / "store.duckdb")
    loaded: list[int] = []
    for step in steps:
        if isinstance(step, int):
            if loaded:
                undo_upload(engine, loaded.pop(step % len(loaded)), by="test")
        else:
            offset, deals = step
            rows = [
                opportunity(
                    f"006{deal}",
                    float(amount),
                    "2026-01-05",
                    "2026-03-01",
                    stage=stage,
                    is_closed=stage == "Closed Won",
                    is_won=stage == "Closed Won",
                )
                for deal, (amount, stage) in sorted(deals.items())
            ]
            loaded.append(load(engine, "opportunities", rows, DAY + timedelta(days=offset)))
        assert_current_is_live(engine)
    engine.dispose()
