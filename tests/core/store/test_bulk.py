"""Bulk loading: counts, one transaction per upload, and refusals that name the problem."""

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from core.store.ingest.bulk import (
    LoadCounts,
    UploadRecord,
    add_counts,
    append_facts,
    file_sha256,
    start_upload,
)
from core.store.queries import data_version
from core.store.schema import fact_columns
from tests.core.store.helpers import NOW, load, new_store, opportunity


@pytest.fixture
def engine(tmp_path):
    engine = new_store(tmp_path / "store.duckdb")
    yield engine
    engine.dispose()


def test_new_keys_are_inserted_and_known_keys_become_new_versions(engine):
    load(
        engine,
        "opportunities",
        [opportunity("006A", 100, "2026-01-05", "2026-03-01")],
        date(2026, 1, 12),
    )
    second = load(
        engine,
        "opportunities",
        [
            opportunity("006A", 120, "2026-01-05", "2026-03-01"),
            opportunity("006B", 50, "2026-01-14", "2026-04-01"),
        ],
        date(2026, 1, 19),
    )
    with engine.connect() as connection:
        row = connection.execute(
            sa.text(
                "select rows_read, rows_inserted, rows_updated from uploads where upload_id = :id"
            ),
            {"id": second},
        ).one()
    assert tuple(row) == (2, 1, 1)


def test_each_upload_bumps_the_data_version(engine):
    before = data_version(engine)
    load(
        engine,
        "opportunities",
        [opportunity("006A", 100, "2026-01-05", "2026-03-01")],
        date(2026, 1, 12),
    )
    assert data_version(engine) == before + 1


def test_a_failing_upload_leaves_the_store_as_it_was(engine):
    load(
        engine,
        "opportunities",
        [opportunity("006A", 100, "2026-01-05", "2026-03-01")],
        date(2026, 1, 12),
    )
    before = data_version(engine)
    record = UploadRecord(
        "bad.csv", "0" * 64, 1, "test", "opportunities", date(2026, 1, 19), "tester"
    )
    with pytest.raises(ValueError, match="repeats a natural key"), engine.begin() as connection:
        upload_id = start_upload(connection, record, NOW)
        frame = pd.DataFrame([opportunity("006C", 1, "2026-01-05", "2026-03-01")] * 2)
        append_facts(connection, "opportunities", frame.reindex(columns=_columns()), upload_id)
    with engine.connect() as connection:
        uploads = connection.execute(sa.text("select count(*) from uploads")).scalar()
        rows = connection.execute(sa.text("select count(*) from opportunities")).scalar()
    assert (uploads, rows, data_version(engine)) == (1, 1, before)


def _columns():
    return fact_columns("opportunities")


def test_missing_columns_and_unknown_kinds_are_named(engine):
    record = UploadRecord("x.csv", "0" * 64, 1, "test", "opportunities", date(2026, 1, 1), "tester")
    with engine.begin() as connection:
        upload_id = start_upload(connection, record, NOW)
        with pytest.raises(ValueError, match=r"lacks columns: .*amount_usd"):
            append_facts(
                connection, "opportunities", pd.DataFrame({"opportunity_id": ["1"]}), upload_id
            )
        connection.rollback()
    bad_kind = UploadRecord("x.csv", "0" * 64, 1, "test", "deals", date(2026, 1, 1), "tester")
    with (
        engine.begin() as connection,
        pytest.raises(ValueError, match=r"kind must be one of .* got 'deals'"),
    ):
        start_upload(connection, bad_kind, NOW)


def test_counts_add_up_and_files_hash(tmp_path):
    assert add_counts(LoadCounts(2, 1, 1), LoadCounts(3, 3, 0, 1)) == LoadCounts(5, 4, 1, 1)
    path = tmp_path / "file.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert file_sha256(path) == "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470"


def test_chunks_of_one_upload_count_as_new_and_may_not_repeat_keys(engine):
    load(
        engine,
        "opportunities",
        [opportunity("006A", 100, "2026-01-05", "2026-03-01")],
        date(2026, 1, 12),
    )
    record = UploadRecord(
        "weekly.csv", "0" * 64, 1, "test", "opportunities", date(2026, 1, 19), "tester"
    )
    with engine.begin() as connection:
        upload_id = start_upload(connection, record, NOW)
        first = append_facts(
            connection,
            "opportunities",
            _frame([opportunity("006A", 120, "2026-01-05", "2026-03-01")]),
            upload_id,
        )
        second = append_facts(
            connection,
            "opportunities",
            _frame([opportunity("006B", 50, "2026-01-14", "2026-04-01")]),
            upload_id,
        )
        assert (first.rows_inserted, first.rows_updated) == (0, 1)
        assert (second.rows_inserted, second.rows_updated) == (
            1,
            0,
        )  # 006A of chunk one is not "existing"
        with pytest.raises(ValueError, match="already loaded by this upload"):
            append_facts(
                connection,
                "opportunities",
                _frame([opportunity("006B", 55, "2026-01-14", "2026-04-01")]),
                upload_id,
            )
        connection.rollback()


def _frame(rows):
    return pd.DataFrame(rows).reindex(columns=fact_columns("opportunities"))
