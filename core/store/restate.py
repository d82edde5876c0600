"""Amounts restated at the exchange rates in force, the way a changed definition restates.

A money row keeps the amount as the file wrote it (``original_amount``), its currency and the
rate it was converted at when it loaded. The fact tables never change: they hold every amount
**as reported**. What the app reads (``current_*``, ``opportunity_versions``, the opportunity
history and stage visits, the ARR summary) holds every amount **restated** at the rate in force
now for its currency and day (the day's rate, else its month's): when a rates upload changes a
rate, or an undo takes one back, those relations are rebuilt and every affected amount follows.
A row whose currency has no rate in force any more keeps the rate it loaded at.

:func:`restated_select_list` and :func:`rate_joins` are the one definition, used by the views
and the refresh alike (portable SQL: DuckDB and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

RATES_TABLE = "current_exchange_rates"
# The store's reporting currency (USD before a company is set up), as SQL.
REPORTING_SQL = "coalesce((select value from settings where key = 'currency'), 'USD')"

# The store column holding each money table's converted amount, and the day whose rate
# converts a row (a campaign without a start day keeps the rate it loaded at).
MONEY_COLUMNS: Mapping[str, str] = {
    "campaigns": "budget_usd",
    "spend": "amount_usd",
    "opportunities": "amount_usd",
    "revenue": "arr_usd",
    "budgets": "planned_spend_usd",
}
RATE_DAY_COLUMNS: Mapping[str, str] = {
    "opportunities": "close_date",
    "spend": "spend_date",
    "revenue": "month",
    "budgets": "period_start",
    "campaigns": "start_date",
}
DECIMAL_AMOUNT = "decimal(38, 6)"
DECIMAL_RATE = "decimal(38, 12)"
CENT = Decimal("0.01")


def rate_now_sql(alias: str) -> str:
    """SQL: the rate in force for the row the joins of :func:`rate_joins` (``alias``) found."""
    return f"coalesce({alias}_day.rate, {alias}_month.rate)"


def rate_joins(table: str, row: str, alias: str = "fx") -> str:
    """LEFT JOINs bringing the rate in force for each row of ``table`` (aliased ``row``)."""
    day = f"{row}.{RATE_DAY_COLUMNS[table]}"
    month = f"cast(date_trunc('month', {day}) as date)"
    currency = f"{row}.original_currency"
    return (
        f" left join {RATES_TABLE} as {alias}_day on {alias}_day.currency = {currency} "
        f"and {alias}_day.rate_period = 'day' and {alias}_day.rate_date = {day}"
        f" left join {RATES_TABLE} as {alias}_month on {alias}_month.currency = {currency} "
        f"and {alias}_month.rate_period = 'month' and {alias}_month.rate_date = {month}"
    )


def restated_amount_sql(table: str, row: str, alias: str = "fx") -> str:
    """SQL: the row's amount at the rate in force, rounded to the cent in decimal arithmetic;
    the amount as loaded when the rate is the one it loaded at or none is in force."""
    rate = rate_now_sql(alias)
    money = f"{row}.{MONEY_COLUMNS[table]}"
    amount = f"cast({row}.original_amount as {DECIMAL_AMOUNT})"
    product = f"round({amount} * cast({rate} as {DECIMAL_RATE}), 2)"
    return (
        f"case when {row}.original_amount is null then {money} "
        f"when {row}.original_currency = {REPORTING_SQL} "
        f"then cast({row}.original_amount as double precision) "
        f"when {rate} is null or {rate} = {row}.exchange_rate then {money} "
        f"else cast({product} as double precision) end"
    )


def restated_rate_sql(row: str, alias: str = "fx") -> str:
    """SQL: the rate a restated row stands at (the one it loaded at when none is in force)."""
    return (
        f"case when {row}.original_amount is null then {row}.exchange_rate "
        f"when {row}.original_currency = {REPORTING_SQL} then 1.0 "
        f"else coalesce({rate_now_sql(alias)}, {row}.exchange_rate) end"
    )


# A total over a date range loaded spread over its days (``spend.is_spread``) was converted per
# month at the month's rate and then spread by cents, so its days add up to the converted total
# exactly. It is restated the same way: the month's written cents of its campaign in its upload,
# times the month's rate in force, rounded to the cent, spread again (earlier days take the
# remainder).
def spread_join(row: str) -> str:
    """A LEFT JOIN bringing each spread spend day (of ``row``) its month's written cents, the
    days of that month and its index among them (windows over the spread rows alone)."""
    group = "upload_id, campaign_id, source, cast(date_trunc('month', spend_date) as date)"
    return (
        " left join (select upload_id, campaign_id, source, spend_date, "  # noqa: S608
        f"sum(cast(round(original_amount * 100) as bigint)) over (partition by {group}) "
        "as month_cents, "
        f"count(*) over (partition by {group}) as days, "
        f"row_number() over (partition by {group} order by spend_date) - 1 as day_index "
        "from spend where is_spread) as spread "
        f"on {row}.is_spread and spread.upload_id = {row}.upload_id "
        f"and spread.campaign_id = {row}.campaign_id and spread.source = {row}.source "
        f"and spread.spend_date = {row}.spend_date"
    )


def _spread_amount_sql(row: str, alias: str) -> str:
    rate = f"{alias}_month.rate"
    cents = (
        f"cast(round(cast(spread.month_cents as {DECIMAL_AMOUNT}) "
        f"* cast({rate} as {DECIMAL_RATE})) as bigint)"
    )
    share = (
        f"(cast(({cents} - {cents} % spread.days) / spread.days as bigint) "
        f"+ case when spread.day_index < {cents} % spread.days then 1 else 0 end) / 100.0"
    )
    return (
        f"case when {row}.original_amount is null then {row}.amount_usd "
        f"when {row}.original_currency = {REPORTING_SQL} "
        f"then cast({row}.original_amount as double precision) "
        f"when {rate} is null or {rate} = {row}.exchange_rate or spread.days is null "
        f"then {row}.amount_usd else cast({share} as double precision) end"
    )


def restated_select_list(
    table: str,
    columns: Sequence[str],
    row: str,
    alias: str = "fx",
    restate: bool = True,
    spread: bool = False,
) -> str:
    """``columns`` of ``row`` as a select list, the money column and the rate restated (as
    loaded when ``restate`` is false: a store mid-migration, before rates existed). ``spread``:
    the query joins :func:`spread_join`, so spread spend restates exactly."""
    parts = []
    for column in columns:
        if restate and table in MONEY_COLUMNS and column == MONEY_COLUMNS[table]:
            amount = restated_amount_sql(table, row, alias)
            if spread:
                amount = (
                    f"case when {row}.is_spread then {_spread_amount_sql(row, alias)} "
                    f"else {amount} end"
                )
            parts.append(f"{amount} as {column}")
        elif restate and table in MONEY_COLUMNS and column == "exchange_rate":
            rate = restated_rate_sql(row, alias)
            if spread:
                month = (
                    f"case when {row}.original_amount is null then {row}.exchange_rate "
                    f"when {row}.original_currency = {REPORTING_SQL} then 1.0 "
                    f"else coalesce({alias}_month.rate, {row}.exchange_rate) end"
                )
                rate = f"case when {row}.is_spread then {month} else {rate} end"
            parts.append(f"{rate} as {column}")
        else:
            parts.append(f"{row}.{column}")
    return ", ".join(parts)


def restated_joins(
    table: str, row: str, alias: str = "fx", restate: bool = True, spread: bool = False
) -> str:
    """The joins :func:`restated_select_list` reads (none for a table without money)."""
    if not restate or table not in MONEY_COLUMNS:
        return ""
    return rate_joins(table, row, alias) + (spread_join(row) if spread else "")


def converted_rows_sql(table: str) -> str:
    """SQL: whether ``table`` holds any amount in one of ``:currencies`` (so a change of their
    rates restates it); bind ``currencies`` as an expanding parameter."""
    return (
        f"select 1 from {table} "  # noqa: S608 - names from this module
        "where original_currency in :currencies limit 1"
    )


# -- what a change of rates restated --------------------------------------------------------
@dataclass(frozen=True)
class Restatement:
    """Current records of one table, currency and month standing at another rate than the one
    they loaded at: their total as reported (at load) and as restated (at the rate in force)."""

    table: str
    currency: str
    month: date
    records: int
    reported: Decimal
    restated: Decimal
    rates_reported: tuple[float, float]  # lowest and highest rate they loaded at
    rate_now: tuple[float, float]  # lowest and highest rate in force (days may differ)
    reported_in: str  # the reporting currency when they loaded (before a currency change)
    restated_in: str  # the reporting currency now

    @property
    def difference(self) -> Decimal | None:
        """Restated minus reported; ``None`` across a change of reporting currency."""
        if self.reported_in != self.restated_in:
            return None
        return self.restated - self.reported


def _restatement_sql(table: str, keys: Sequence[str]) -> str:
    money, day = MONEY_COLUMNS[table], RATE_DAY_COLUMNS[table]
    match = " and ".join(f"fact.{column} is not distinct from cur.{column}" for column in keys)
    return f"""
        select cur.original_currency, cast(date_trunc('month', cur.{day}) as date), count(*),
               sum(cast(fact.{money} as {DECIMAL_AMOUNT})),
               sum(cast(cur.{money} as {DECIMAL_AMOUNT})),
               min(fact.exchange_rate), max(fact.exchange_rate),
               min(cur.exchange_rate), max(cur.exchange_rate),
               coalesce(upload.reporting_currency, {REPORTING_SQL}), {REPORTING_SQL}
        from current_{table} as cur
        inner join {table} as fact on fact.upload_id = cur.upload_id and {match}
        inner join uploads as upload on upload.upload_id = cur.upload_id
        where cur.original_amount is not null
          and (cur.original_currency in (select currency from current_exchange_rates)
               or upload.reporting_currency <> {REPORTING_SQL})
          and (cur.exchange_rate <> fact.exchange_rate
               or upload.reporting_currency <> {REPORTING_SQL})
        group by 1, 2, 10
        order by 2, 1
        limit :limit
    """  # noqa: S608 - names from this module


def restatements(
    connection: Connection,
    keys: Mapping[str, Sequence[str]],
    currencies: Sequence[str] | None = None,
    limit: int = 1_000,
) -> list[Restatement]:
    """Every (table, currency, month) whose current amounts stand restated, optionally only for
    ``currencies``. ``keys``: each money table's natural key (``schema.VERSIONED_TABLES``)."""
    found: list[Restatement] = []
    for table in MONEY_COLUMNS:
        rows = connection.execute(sa.text(_restatement_sql(table, keys[table])), {"limit": limit})
        for row in rows:
            code, month, records, reported, restated, low, high, now_low, now_high = row[:9]
            if currencies is not None and code not in currencies:
                continue
            found.append(
                Restatement(
                    table=table,
                    currency=str(code),
                    month=month,
                    records=int(records),
                    reported=Decimal(str(reported)).quantize(CENT),
                    restated=Decimal(str(restated)).quantize(CENT),
                    rates_reported=(float(low), float(high)),
                    rate_now=(float(now_low), float(now_high)),
                    reported_in=str(row[9]),
                    restated_in=str(row[10]),
                )
            )
    return found
