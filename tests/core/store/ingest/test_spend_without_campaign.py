"""Spend naming no campaign loads as the channel's own spend (issue 26, finding 8).

The README marks only date, channel and amount as required for a spend file. A row with blank
campaign cells, or a file with no campaign column at all, loads keyed "(no campaign: <channel>)";
two such rows on one day and channel would be one record, so the second is refused with its
row, column and value rather than silently replacing the first.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.store.engine import create_store_engine
from core.store.ingest.pipeline import IngestOptions, ingest_file
from core.store.schema import migrate
from tests.stores import fresh_store_url

NOW = datetime(2026, 11, 23, 9, 0)


def _store(folder: Path) -> Engine:
    engine = create_store_engine(fresh_store_url(folder / "marketing.duckdb"))
    migrate(engine)
    return engine


def _load(engine: Engine, folder: Path, name: str, text: str):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return ingest_file(engine, path, IngestOptions(uploaded_by="tester", now=NOW))


def _rows(engine: Engine) -> list[tuple[str, str, str, Decimal]]:
    with engine.connect() as connection:
        return [
            (str(day), campaign, channel, Decimal(str(amount)).quantize(Decimal("0.01")))
            for day, campaign, channel, amount in connection.execute(
                sa.text(
                    "select spend_date, campaign_id, channel, amount_usd from current_spend "
                    "order by spend_date, campaign_id"
                )
            )
        ]


def test_a_file_without_campaign_columns_loads_per_channel(tmp_path):
    engine = _store(tmp_path)
    report = _load(
        engine,
        tmp_path,
        "finance.csv",
        "date,channel,amount\n2026-11-02,paid_search,100.00\n2026-11-02,events,50.25\n"
        "2026-11-03,paid_search,75.10\n",
    )
    assert report.status == "loaded", report.message
    assert _rows(engine) == [
        ("2026-11-02", "(no campaign: events)", "events", Decimal("50.25")),
        ("2026-11-02", "(no campaign: paid_search)", "paid_search", Decimal("100.00")),
        ("2026-11-03", "(no campaign: paid_search)", "paid_search", Decimal("75.10")),
    ]


def test_blank_campaign_cells_load_beside_named_campaigns(tmp_path):
    engine = _store(tmp_path)
    report = _load(
        engine,
        tmp_path,
        "spend.csv",
        "date,campaign_id,campaign_name,channel,amount\n"
        "2026-11-02,,,paid_search,100.00\n"
        "2026-11-02,C1,Brand,paid_search,40.00\n"
        "2026-11-02, , ,events,12.50\n",
    )
    assert report.status == "loaded", report.message
    assert report.rows_valid == 3
    assert _rows(engine) == [
        ("2026-11-02", "(no campaign: events)", "events", Decimal("12.50")),
        ("2026-11-02", "(no campaign: paid_search)", "paid_search", Decimal("100.00")),
        ("2026-11-02", "C1", "paid_search", Decimal("40.00")),
    ]
    with engine.connect() as connection:
        total = connection.execute(sa.text("select sum(amount_usd) from current_spend")).scalar()
    assert round(total, 2) == 152.50  # every row of the file, none lost


def test_two_uncampaigned_rows_on_one_day_and_channel_are_refused_with_their_row(tmp_path):
    engine = _store(tmp_path)
    report = _load(
        engine,
        tmp_path,
        "spend.csv",
        "date,campaign_id,channel,amount\n"
        "2026-11-02,,paid_search,100.00\n"
        "2026-11-02,C1,paid_search,40.00\n"
        "2026-11-02,,paid_search,60.00\n",
    )
    assert report.status == "invalid"
    problems = report.errors.to_dict("records")
    assert len(problems) == 1
    problem = problems[0]
    assert problem["row"] == 4 and problem["column"] == "date"
    assert problem["value"] == "2026-11-02 / paid_search"
    assert problem["problem"].startswith("repeats row 2's day and channel")
    assert _rows(engine) == []  # nothing loaded: the store is as it was


def test_repeats_of_a_named_campaign_are_still_refused_as_before(tmp_path):
    engine = _store(tmp_path)
    report = _load(
        engine,
        tmp_path,
        "spend.csv",
        "date,campaign_id,channel,amount\n2026-11-02,C1,paid_search,1\n2026-11-02,C1,paid_search,2\n",
    )
    assert report.status == "invalid"
    assert "repeats row 2" in report.errors.iloc[0]["problem"]
