"""Amounts in any currency, converted to the store's reporting currency as they load.

Every money column keeps three things beside the converted amount (the ``*_usd`` columns, which
hold the reporting currency whatever it is): the amount as the file wrote it
(``original_amount``), its currency (``original_currency``) and the rate applied
(``exchange_rate``, 1 when the file is already in the reporting currency).

A row's currency is, first found: the file's currency column (Salesforce's
``CurrencyIsoCode``, Google Ads' ``Currency code``), a code or symbol written in the amount cell
(``USD 12,000.00``), the currency the header names (Meta's ``Amount spent (EUR)``), the one the
user set for the whole file, else the reporting currency (the loader says so).

A rate is looked up by the row's currency and its day (the spend day, an opportunity's close
date, a revenue month, a budget's first day): the rate of that day when a rates file gave days,
else the rate of its month. Converted amounts are rounded to the cent, half away from zero, in
decimal arithmetic (never binary floating point), row by row, as a finance system converts
each transaction. A file whose currency lacks a rate for any of its months is refused whole,
naming the currency and the months (:func:`missing_rates_message`): nothing is converted at a
guessed rate.

DuckDB-specific SQL (it runs in the ingest staging database), by design.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from core.store.ingest import sql

# The money field of each kind, the SQL day its rate is read for, and the store column.
MONEY_FIELDS: dict[str, str] = {
    "opportunities": "amount",
    "spend": "amount",
    "budgets": "amount",
    "campaigns": "budget",
}
CURRENCY_CODE = re.compile(r"[A-Z]{3}")
DECIMAL_AMOUNT = "decimal(38, 6)"
DECIMAL_RATE = "decimal(38, 12)"


@dataclass(frozen=True)
class MissingRates:
    """A currency the file uses and the months it has no rate for."""

    currency: str
    months: tuple[date, ...]


def parse_currency_code(text: str) -> str:
    """``eur`` -> ``EUR``; :class:`ValueError` unless three letters."""
    code = text.strip().upper()
    if not CURRENCY_CODE.fullmatch(code):
        raise ValueError(f"a currency is a three-letter ISO 4217 code such as EUR, got {text!r}")
    return code


def currency_value(column: str) -> str:
    """SQL: a cell as an upper-case three-letter code, NULL when it is not one."""
    code = f"upper(trim({column}))"
    return f"case when regexp_full_match({code}, '[A-Z]{{3}}') then {code} end"


def rates_table_sql(rates_table: str, source: str) -> str:
    """SQL creating the run's copy of the store's current rates (read once, joined often)."""
    return (
        f"create temp table {rates_table} as "
        f"select currency, rate_date, rate_period, rate from {source}"
    )


def rate_joins(rates_table: str, alias: str, currency_sql: str, day_sql: str) -> str:
    """LEFT JOINs bringing the day's and the month's rate of a row's currency."""
    month = f"cast(date_trunc('month', {day_sql}) as date)"
    return (
        f" left join {rates_table} as {alias}_day on {alias}_day.currency = {currency_sql} "
        f"and {alias}_day.rate_period = 'day' and {alias}_day.rate_date = {day_sql}"
        f" left join {rates_table} as {alias}_month on {alias}_month.currency = {currency_sql} "
        f"and {alias}_month.rate_period = 'month' and {alias}_month.rate_date = {month}"
    )


def rate_sql(alias: str, currency_sql: str, reporting: str) -> str:
    """SQL: the rate of a row (1 in the reporting currency; NULL when no rate is known)."""
    return (
        f"case when {currency_sql} = {sql.literal(reporting)} then 1.0 "
        f"else coalesce({alias}_day.rate, {alias}_month.rate) end"
    )


def converted_sql(amount_sql: str, rate: str) -> str:
    """SQL: ``amount x rate`` rounded to the cent in decimal arithmetic (the amount unchanged
    at rate 1, so a file in the reporting currency loads exactly as written)."""
    product = f"round(cast({amount_sql} as {DECIMAL_AMOUNT}) * cast({rate} as {DECIMAL_RATE}), 2)"
    return f"case when {rate} = 1 then {amount_sql} else cast({product} as double) end"


def row_currency_sql(
    currency_column: str | None, written_column: str | None, reporting: str
) -> str:
    """SQL: a row's currency: its currency column, else what the amount cell or header says,
    else the reporting currency."""
    parts = [part for part in (currency_column, written_column) if part]
    return (
        f"coalesce({', '.join(parts)}, {sql.literal(reporting)})"
        if parts
        else (sql.literal(reporting))
    )


def missing_rates_sql(canonical: str) -> str:
    """SQL over a canonical select: (currency, month) pairs with an amount but no rate."""
    return f"""
        with incoming as ({canonical})
        select original_currency, cast(date_trunc('month', rate_day) as date) as month
        from incoming
        where original_amount is not null and exchange_rate is null
        group by all order by 1, 2
    """


def group_missing(rows: Sequence[tuple[str, date]]) -> tuple[MissingRates, ...]:
    """(currency, month) rows as one :class:`MissingRates` per currency."""
    grouped: dict[str, list[date]] = {}
    for code, month in rows:
        grouped.setdefault(str(code), []).append(month)
    return tuple(MissingRates(code, tuple(months)) for code, months in grouped.items())


def months_text(months: Sequence[date]) -> str:
    """``June 2026``, ``June and July 2026``, ``Jan 2026 to Mar 2026 (3 months)``."""
    if len(months) == 1:
        return f"{months[0]:%B %Y}"
    if len(months) == 2:
        first, last = months
        if first.year == last.year:
            return f"{first:%B} and {last:%B %Y}"
        return f"{first:%B %Y} and {last:%B %Y}"
    return f"{months[0]:%b %Y} to {months[-1]:%b %Y} ({len(months)} months)"


def missing_rates_message(missing: Sequence[MissingRates], reporting: str) -> str:
    """What the user reads when a file needs rates the store lacks."""
    parts = [f"{item.currency} in {months_text(item.months)}" for item in missing]
    return (
        f"No exchange rate to {reporting} for " + "; ".join(parts) + ": nothing was loaded. "
        "Load a rates file (columns month, currency, rate: how many "
        f"{reporting} one unit buys), or enter the rates on the Data page "
        "(python -m core rates on the command line), then load this file again."
    )
