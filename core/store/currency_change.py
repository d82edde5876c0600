"""A change of reporting currency once amounts are loaded: every amount restated, nothing lost.

The store's rates are rates *to* the reporting currency. Changing it from ``old`` to ``new``
rebases them through ``new``'s own rate to ``old`` (cross rates, as finance systems triangulate):
a currency ``X`` is worth ``rate(X -> old) / rate(new -> old)`` units of ``new``, and ``old``
itself ``1 / rate(new -> old)``, for every month (or day) the rates name. So the change needs
``new``'s rate to ``old`` for every month that holds amounts in another currency; without it
the change is refused, naming the months (load those rates first, like any rates file).

Applied in the same transaction as the setting:

- the rates uploads to ``old`` stop counting (status 'undone', audited, kept);
- the rebased rates are written as one new rates upload (listed in the history, undoable);
- the refresh then restates every current amount from the amount as written
  (:mod:`core.store.restate`): amounts in ``new`` stand as written, the rest at the rebased
  rates. The fact tables keep every amount as reported, in ``old`` (``uploads.reporting_currency``
  says so), and the Data page shows them side by side.

Amounts loaded before currencies were recorded (no original currency) cannot be restated: a
store holding any refuses the change and says which.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.access import Actor
from core.formatting import plural
from core.store import audit
from core.store.ingest.archive import archive_file, archive_folder
from core.store.ingest.bulk import (
    LoadCounts,
    UploadRecord,
    finish_upload,
    insert_frame,
    start_upload,
)
from core.store.ingest.currency import MissingRates, months_text
from core.store.restate import MONEY_COLUMNS, RATE_DAY_COLUMNS
from core.store.schema import exchange_rates, uploads

RATE_DIGITS = Decimal("1e-12")
TABLE_WORDS = {
    "opportunities": "opportunity",
    "spend": "spend row",
    "revenue": "ARR row",
    "budgets": "budget",
    "campaigns": "campaign budget",
}

Rate = tuple[str, str, date, Decimal]  # currency, period ('month' or 'day'), date, rate


@dataclass(frozen=True)
class CurrencyChangePlan:
    """What changing the reporting currency from ``old`` to ``new`` needs and does."""

    old: str
    new: str
    rebased: tuple[Rate, ...]
    missing: tuple[MissingRates, ...]  # (currency, months) no rebased rate covers
    unrecorded: tuple[tuple[str, int], ...]  # (table, rows) loaded without their currency
    amounts: int  # current records holding an amount, all restated
    dropped: int = 0  # rates to old no rate of new's could rebase (no amount needs them)

    @property
    def refusal(self) -> str | None:
        """Why the change cannot be made, or ``None``."""
        if self.unrecorded:
            held = ", ".join(plural(rows, TABLE_WORDS[table]) for table, rows in self.unrecorded)
            return (
                f"Some amounts cannot be restated in {self.new} ({held}): they were loaded "
                "before currencies were recorded, or have no day to read a rate for (a "
                "campaign budget without a start date). Undo those uploads and load their "
                f"files again with dates, or keep {self.old}."
            )
        if self.missing:
            needed = "; ".join(f"{i.currency} in {months_text(i.months)}" for i in self.missing)
            return (
                f"To report in {self.new}, every amount is restated through {self.new}'s rate "
                f"to {self.old}, and some months have none: {needed}. Load {self.new}'s rate to "
                f"{self.old} for those months first (a rates file: month, currency {self.new}, "
                f"rate; or python -m core rates --add {self.new} MONTH RATE), then change the "
                "currency."
            )
        return None

    def sentences(self) -> list[str]:
        """What the change does to the amounts, for the preview and the audit."""
        return [
            f"Every amount already loaded ({plural(self.amounts, 'record')}) is restated in "
            f"{self.new} from the amount as written: amounts in {self.new} as written, the rest "
            f"through {self.new}'s rate to {self.old} for their month "
            f"({plural(len(self.rebased), 'rebased rate')}). The upload history keeps every "
            f"amount as reported in {self.old}; the rates to {self.old} stop counting."
            + (
                f" {plural(self.dropped, 'rate')} to {self.old} cannot be rebased (no "
                f"{self.new} rate for their month; no amount needs them) and no longer count."
                if self.dropped
                else ""
            )
        ]


def _rates_in_force(connection: Connection) -> list[Rate]:
    rows = connection.execute(
        sa.text("select currency, rate_period, rate_date, rate from current_exchange_rates")
    ).all()
    return [(str(c), str(p), d, Decimal(str(r))) for c, p, d, r in rows]


def rebase(rates: Sequence[Rate], old: str, new: str) -> tuple[Rate, ...]:
    """Rates to ``old`` as rates to ``new``, through ``new``'s own rate to ``old``.

    >>> june = date(2026, 6, 1)
    >>> rebase([("AUD", "month", june, Decimal("0.6")), ("USD", "month", june, Decimal("0.8"))],
    ...        "EUR", "USD")
    (('AUD', 'month', datetime.date(2026, 6, 1), Decimal('0.750000000000')), \
('EUR', 'month', datetime.date(2026, 6, 1), Decimal('1.250000000000')))
    """
    months = {day: rate for code, period, day, rate in rates if code == new and period == "month"}
    days = {day: rate for code, period, day, rate in rates if code == new and period == "day"}
    rebased: list[Rate] = []
    for code, period, day, rate in rates:
        if code in (new, old):  # new is the unit now; old's rates come from new's, below
            continue
        via = days.get(day) if period == "day" else None
        via = via or months.get(day.replace(day=1))
        if via:
            rebased.append((code, period, day, (rate / via).quantize(RATE_DIGITS)))
    for period, table in (("month", months), ("day", days)):
        for day, via in table.items():
            rebased.append((old, period, day, (Decimal(1) / via).quantize(RATE_DIGITS)))
    return tuple(sorted(rebased))


def _needed(connection: Connection, new: str) -> dict[str, set[tuple[str, date, bool]]]:
    """Per money table: (currency, day, spread) of current amounts not in ``new``."""
    found: dict[str, set[tuple[str, date, bool]]] = {}
    for table, day in RATE_DAY_COLUMNS.items():
        spread = "is_spread" if table == "spend" else "false"
        rows = connection.execute(
            sa.text(
                f"select distinct original_currency, {day}, coalesce({spread}, false) "  # noqa: S608
                f"from current_{table} where original_amount is not null "
                f"and original_currency <> :new and {day} is not null"
            ),
            {"new": new},
        ).all()
        found[table] = {(str(code), when, bool(flag)) for code, when, flag in rows}
    return found


def plan_currency_change(connection: Connection, old: str, new: str) -> CurrencyChangePlan:
    """What changing the reporting currency from ``old`` to ``new`` needs and does."""
    in_force = _rates_in_force(connection)
    rebased = rebase(in_force, old, new)
    others = [rate for rate in in_force if rate[0] not in (old, new)]
    dropped = len(others) - sum(1 for rate in rebased if rate[0] != old)
    months = {(code, day) for code, period, day, _ in rebased if period == "month"}
    days = {(code, day) for code, period, day, _ in rebased if period == "day"}
    through = {day for code, period, day, _ in rebased if code == old}  # new's own rates
    missing: dict[str, set[date]] = {}
    for needed in _needed(connection, new).values():
        for code, day, spread in needed:
            month = day.replace(day=1)
            if (code, month) in months or (not spread and (code, day) in days):
                continue
            # Name what is missing: new's rate to old for the month, else the currency's own.
            lacking = new if month not in through and day not in through else code
            missing.setdefault(lacking, set()).add(month)
    unrecorded = []
    amounts = 0
    for table, money in MONEY_COLUMNS.items():
        day = RATE_DAY_COLUMNS[table]
        rows, held = connection.execute(
            sa.text(
                "select count(*) filter (where (original_currency is null "  # noqa: S608
                f"and {money} <> 0) or (original_amount is not null and {day} is null "
                "and original_currency <> :new)), "
                f"count(*) filter (where original_amount is not null) from current_{table}"
            ),
            {"new": new},
        ).one()
        if rows:
            unrecorded.append((table, int(rows)))
        amounts += int(held)
    return CurrencyChangePlan(
        old=old,
        new=new,
        rebased=rebased,
        missing=tuple(MissingRates(code, tuple(sorted(missing[code]))) for code in sorted(missing)),
        unrecorded=tuple(unrecorded),
        amounts=amounts,
        dropped=dropped,
    )


def rates_file(rates: Sequence[Rate]) -> bytes:
    """The rebased rates as a rates file (``date,currency,rate`` rows, ``month`` for months)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["month", "date", "currency", "rate"])
    for code, period, day, rate in rates:
        month, on = (f"{day:%Y-%m}", "") if period == "month" else ("", day.isoformat())
        writer.writerow([month, on, code, f"{rate}"])
    return buffer.getvalue().encode("utf-8")


def apply_currency_change(
    connection: Connection, plan: CurrencyChangePlan, who: Actor, now: datetime
) -> int | None:
    """Rebase the rates inside the caller's transaction (the setting is written by the caller
    first): the old rates stop counting, the rebased ones load as one upload whose refresh
    restates every amount. Returns that upload's id (``None`` when no rates were held)."""
    loaded = connection.execute(
        sa.select(uploads.c.upload_id).where(
            uploads.c.kind == "exchange_rates", uploads.c.status == "loaded"
        )
    ).scalars()
    superseded = [int(upload_id) for upload_id in loaded]
    if superseded:
        connection.execute(
            uploads.update()
            .where(uploads.c.upload_id.in_(superseded))
            .values(status="undone", status_changed_at=now, status_changed_by=who.label)
        )
        audit.record(
            connection,
            who,
            "undo_upload",
            f"uploads {', '.join(str(i) for i in superseded)}",
            f"Rates to {plan.old} superseded by the change of reporting currency to {plan.new}",
            before={"status": "loaded"},
            after={"status": "undone"},
            now=now,
        )
    if not plan.rebased:
        return None
    content = rates_file(plan.rebased)
    _archive(connection, content)
    record = UploadRecord(
        file_name=f"rates rebased from {plan.old} to {plan.new} {now:%Y-%m-%d %H%M%S}.csv",
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        source="generic_rates",
        kind="exchange_rates",
        snapshot_date=now.date(),
        uploaded_by=who.label,
        note=f"Derived from the rates to {plan.old} when the reporting currency became {plan.new}",
    )
    upload_id = start_upload(connection, record, now)
    frame = pd.DataFrame(
        [
            {
                "currency": code,
                "rate_date": day,
                "rate_period": period,
                "upload_id": upload_id,
                "rate": float(rate),
            }
            for code, period, day, rate in plan.rebased
        ]
    )
    insert_frame(connection, exchange_rates.name, frame)
    finish_upload(connection, upload_id, LoadCounts(len(frame), len(frame), 0))
    return upload_id


def _archive(connection: Connection, content: bytes) -> None:
    """Keep the rebased rates file in the store's archive like any upload (content-addressed, so
    a rolled-back change leaves at most an unreferenced copy)."""
    folder = archive_folder(connection.engine.url.render_as_string(hide_password=False))
    with tempfile.TemporaryDirectory(prefix="marketing-review-rebase-") as scratch:
        path = Path(scratch) / "rates.csv"
        path.write_bytes(content)
        archive_file(path, folder)
