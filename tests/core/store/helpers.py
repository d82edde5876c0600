"""Small hand-built stores for store tests: every number in them is easy to check by hand."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy.engine import Engine

from core.store.engine import create_store_engine
from core.store.ingest.bulk import UploadRecord, append_facts, finish_upload, start_upload
from core.store.schema import fact_columns, migrate
from tests.stores import fresh_store_url

NOW = datetime(2026, 11, 23, 9, 0)


def new_store(path) -> Engine:
    """A migrated, empty store: the DuckDB file ``path``, or a fresh PostgreSQL database."""
    engine = create_store_engine(fresh_store_url(path))
    migrate(engine)
    return engine


def load(
    engine: Engine, kind: str, rows: list[dict], snapshot: date, name: str = "file.csv"
) -> int:
    """Load ``rows`` as one upload of ``kind``; return its upload id."""
    frame = pd.DataFrame(rows)
    for column in fact_columns(kind):
        if column not in frame.columns:
            frame[column] = None
    record = UploadRecord(name, "0" * 64, 1, "test", kind, snapshot, "tester")
    with engine.begin() as connection:
        upload_id = start_upload(connection, record, NOW)
        counts = append_facts(connection, kind, frame[fact_columns(kind)], upload_id)
        finish_upload(connection, upload_id, counts)
    return upload_id


def opportunity(opportunity_id: str, amount: float, created: str, close: str, **extra) -> dict:
    """An opportunity row with sensible defaults."""
    row = {
        "opportunity_id": opportunity_id,
        "account_id": "001A",
        "opportunity_name": f"Deal {opportunity_id}",
        "opportunity_type": "new_business",
        "stage": "Prospecting",
        "amount_usd": amount,
        "created_date": date.fromisoformat(created),
        "close_date": date.fromisoformat(close),
        "is_closed": False,
        "is_won": False,
        "source_channel": "paid_search",
    }
    row.update(extra)
    return row


def url_of(engine: Engine) -> str:
    """The engine's URL with its password, to open the same store again."""
    return engine.url.render_as_string(hide_password=False)


def count_renewals_in_bookings(
    engine: Engine, effective_from: date, now: datetime | None = None
) -> None:
    """Record Bookings v2, counting renewals too, in effect from ``effective_from`` (the
    definition change the issue-26 tests make, as an admin would on the Definitions page)."""
    from core.definitions import DEFAULT_DEFINITIONS, ProposedChange
    from core.store import definitions as store_definitions

    types = DEFAULT_DEFINITIONS["bookings"].parameters["opportunity_types"]
    store_definitions.record_change(
        engine,
        "bookings",
        ProposedChange(
            parameters={"opportunity_types": [*types, "renewal"]},
            description="Bookings: closed-won amounts, renewals included.",
            effective_from=effective_from,
            author="Finance",
            reason="Count renewals.",
        ),
        now=now or NOW,
    )
