"""Exchange rates typed by hand (Data page, ``python -m core rates --add``), the rates in force,
what they restate, and the channels a company adds.

Typed rates are written as a rates file and loaded through the ingest path like any export, so
they are archived, audited, listed among the uploads and can be undone; nothing reaches the
store another way.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.access import Actor, acting
from core.channels import CHANNEL_LABELS, channel_key
from core.store.engine import ensure_writable
from core.store.ingest.currency import parse_currency_code
from core.store.ingest.pipeline import IngestOptions, IngestReport, ingest_file
from core.store.ingest.values import CUSTOM_CHANNELS_SETTING, custom_channels
from core.store.restate import Restatement, restatements
from core.store.schema import VERSIONED_TABLES
from core.store.writes import set_setting

MAX_TYPED_RATES = 1_000


@dataclass(frozen=True)
class TypedRate:
    """One rate a person enters: ``1 AUD = 0.6021 EUR`` for June 2026."""

    currency: str
    month: date  # first day of the month
    rate: Decimal


def parse_typed_rate(currency: str, month: str, rate: str) -> TypedRate:
    """``("aud", "2026-06", "0.6021")`` -> a checked :class:`TypedRate`; ValueError otherwise."""
    code = parse_currency_code(currency)
    try:
        first = datetime.strptime(month.strip()[:7], "%Y-%m").date()
    except ValueError:
        raise ValueError(f"a month is written like 2026-06, got {month!r}") from None
    try:
        value = Decimal(rate.strip())
    except InvalidOperation:
        raise ValueError(f"a rate is a number such as 0.6021, got {rate!r}") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"a rate must be above zero, got {rate!r}")
    return TypedRate(code, first, value)


def rates_csv(rates: Sequence[TypedRate]) -> bytes:
    """The typed rates as a rates file (``month,currency,rate``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["month", "currency", "rate"])
    for item in rates:
        writer.writerow([f"{item.month:%Y-%m}", item.currency, f"{item.rate}"])
    return buffer.getvalue().encode("utf-8")


def load_typed_rates(
    engine: Engine,
    rates: Sequence[TypedRate],
    *,
    actor: Actor | None = None,
    by: str = "",
    now: datetime | None = None,
) -> IngestReport:
    """Load typed rates through the ingest path (archived, audited, undoable)."""
    if not rates:
        raise ValueError("no rates to load: enter at least one currency, month and rate")
    if len(rates) > MAX_TYPED_RATES:
        raise ValueError(f"at most {MAX_TYPED_RATES:,} rates at once, got {len(rates):,}")
    now = now or datetime.now()
    name = f"rates typed {now:%Y-%m-%d %H%M%S}.csv"
    with tempfile.TemporaryDirectory(prefix="marketing-review-rates-") as folder:
        path = Path(folder) / name
        path.write_bytes(rates_csv(rates))
        options = IngestOptions(source="generic_rates", uploaded_by=by, actor=actor, now=now)
        return ingest_file(engine, path, options, display_name=name)


def current_rates(engine: Engine, limit: int = 5_000) -> pd.DataFrame:
    """The rates in force: currency, period ('month' or 'day'), date, rate, newest first."""
    with engine.connect() as connection:
        return pd.read_sql(
            sa.text(
                "select currency, rate_period, rate_date, rate from current_exchange_rates "
                "order by rate_date desc, currency limit :limit"
            ),
            connection,
            params={"limit": int(limit)},
        )


def rate_restatements(engine: Engine, limit: int = 1_000) -> list[Restatement]:
    """What stands restated at the rates in force: per money table, currency and month, the
    records, their total as reported (at the rate they loaded at) and as restated now."""
    with engine.connect() as connection:
        if not _has_rates(connection):
            return []
        return restatements(connection, VERSIONED_TABLES, limit=limit)


def restatements_frame(found: Sequence[Restatement]) -> pd.DataFrame:
    """Restatements as a table a person reads (amounts in the reporting currency, exact)."""
    return pd.DataFrame(
        [
            {
                "table": item.table,
                "currency": item.currency,
                "month": item.month,
                "records": item.records,
                "reported": float(item.reported),
                "restated": float(item.restated),
                "difference": None if item.difference is None else float(item.difference),
                "reported_in": item.reported_in,
                "restated_in": item.restated_in,
                "rate_reported": _rate_text(item.rates_reported),
                "rate_now": _rate_text(item.rate_now),
            }
            for item in found
        ],
        columns=[
            "table", "currency", "month", "records", "reported", "restated", "difference",
            "rate_reported", "rate_now", "reported_in", "restated_in",
        ],
    )  # fmt: skip


def _rate_text(bounds: tuple[float, float]) -> str:
    low, high = bounds
    return f"{low:g}" if low == high else f"{low:g} to {high:g}"


def _has_rates(connection: Connection) -> bool:
    return (
        connection.execute(sa.text("select 1 from current_exchange_rates limit 1")).first()
        is not None
    )


def add_channel(
    engine: Engine,
    label: str,
    *,
    actor: Actor | None = None,
    by: str = "",
    now: datetime | None = None,
) -> str:
    """Add a channel the company uses (``TikTok Ads``); return its key. Admins only."""
    ensure_writable(engine)
    who = acting(actor, by, "change_setting")
    name = " ".join(label.split())
    key = channel_key(name)
    if key in CHANNEL_LABELS:
        raise ValueError(f"{CHANNEL_LABELS[key]} is already a channel")
    with engine.begin() as connection:
        rows = connection.execute(
            sa.text("select key, value from settings where key = :key"),
            {"key": CUSTOM_CHANNELS_SETTING},
        ).all()
        added = custom_channels({str(k): str(v) for k, v in rows})
        if key in added:
            raise ValueError(f"{added[key]} is already a channel")
        added[key] = name
        set_setting(
            connection,
            CUSTOM_CHANNELS_SETTING,
            json.dumps(added, sort_keys=True),
            who,
            now or datetime.now(),
        )
    return key
