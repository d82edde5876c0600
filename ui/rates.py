"""Data page: the exchange rates in force and what a change of rates restated.

A change of rates restates amounts already loaded the way a changed definition restates a
metric: the pages show every amount at the rate in force now, and this section shows, per
table, currency and month, the total as reported (at the rate it loaded at) beside the total
restated, so nobody wonders why last month's spend moved.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core.formatting import escape_markdown, format_money_exact, plural
from core.store import rates as store_rates
from ui.data import CACHE
from ui.store import Store, store_engine

MONTHS_NAMED = 3  # in a page's notice; the Data page lists them all
TABLE_LABELS = {
    "opportunities": "Opportunities",
    "spend": "Spend",
    "revenue": "Revenue (ARR)",
    "budgets": "Budgets",
    "campaigns": "Campaign budgets",
}


@st.cache_data(**CACHE)
def rates_in_force(url: str, version: int) -> pd.DataFrame:
    """The rates in force, newest first."""
    del version
    return store_rates.current_rates(store_engine(url))


@st.cache_data(**CACHE)
def restated(url: str, version: int) -> pd.DataFrame:
    """What stands restated at the rates in force (as reported beside restated)."""
    del version
    return store_rates.restatements_frame(store_rates.rate_restatements(store_engine(url)))


def _readable(changes: pd.DataFrame) -> pd.DataFrame:
    """Amounts as text in the currency each is in (as reported before a currency change)."""
    return changes.assign(
        table=changes["table"].map(TABLE_LABELS).fillna(changes["table"]),
        reported=[
            format_money_exact(value, code, 2)
            for value, code in zip(changes["reported"], changes["reported_in"], strict=True)
        ],
        restated=[
            format_money_exact(value, code, 2)
            for value, code in zip(changes["restated"], changes["restated_in"], strict=True)
        ],
        difference=[
            "n/a (another currency)" if pd.isna(value) else format_money_exact(value, code, 2)
            for value, code in zip(changes["difference"], changes["restated_in"], strict=True)
        ],
    )


def rates_section(store: Store, reporting: str) -> None:
    """The rates in force and, when a change of rates restated amounts, reported vs restated."""
    rates = rates_in_force(store.url, store.version)
    if rates.empty:
        return
    st.subheader("Exchange rates")
    st.caption(
        f"How many {escape_markdown(reporting)} one unit of each currency buys. Every amount "
        "is shown at the rate in force for its day (else its month); the upload history keeps "
        "each amount as it was converted when it loaded."
    )
    changes = restated(store.url, store.version)
    if not changes.empty:
        months = len(changes)
        st.warning(
            f"New rates restated amounts already loaded in {plural(months, 'table-month')}: "
            "the pages show them restated; as reported and restated side by side below. "
            "Undo the rates upload in Upload history to go back.",
            icon=":material/currency_exchange:",
        )
        st.dataframe(
            _readable(changes),
            hide_index=True,
            column_order=[
                "table", "currency", "month", "records", "reported", "restated", "difference",
                "rate_reported", "rate_now",
            ],
            column_config={
                "table": st.column_config.TextColumn("Table"),
                "currency": st.column_config.TextColumn("Currency"),
                "month": st.column_config.DateColumn("Month", format="MMM YYYY"),
                "records": st.column_config.NumberColumn("Records", format="localized"),
                "reported": st.column_config.TextColumn("As reported"),
                "restated": st.column_config.TextColumn("Restated"),
                "difference": st.column_config.TextColumn("Difference"),
                "rate_reported": st.column_config.TextColumn("Rate when loaded"),
                "rate_now": st.column_config.TextColumn("Rate in force"),
            },
        )  # fmt: skip
    st.dataframe(
        rates,
        hide_index=True,
        column_config={
            "currency": st.column_config.TextColumn("Currency"),
            "rate_period": st.column_config.TextColumn("Per"),
            "rate_date": st.column_config.DateColumn("From", format="D MMM YYYY"),
            "rate": st.column_config.NumberColumn(f"{reporting} per unit", format="%.6g"),
        },
    )


def period_notice(url: str, version: int, first: date, last: date, reporting: str) -> None:
    """On a page of figures for ``first``..``last``: a warning when amounts of those months
    stand restated at new exchange rates, with as reported beside restated."""
    changes = restated(url, version)
    if changes.empty:
        return
    month = pd.to_datetime(changes["month"]).dt.date
    inside = changes[(month >= first.replace(day=1)) & (month <= last)]
    if inside.empty:
        return
    parts = [
        f"{TABLE_LABELS.get(row.table, row.table).lower()} in {row.currency}, "
        f"{row.month:%b %Y}: {format_money_exact(row.reported, row.reported_in, 2)} as "
        f"reported, {format_money_exact(row.restated, row.restated_in, 2)} restated"
        for row in inside.head(MONTHS_NAMED).itertuples(index=False)
    ]
    more = len(inside) - MONTHS_NAMED
    st.warning(
        "Exchange rates changed after some of these amounts loaded; they are shown at the rates "
        "in force (restated): "
        + "; ".join(escape_markdown(part) for part in parts)
        + (f"; and {plural(more, 'more month')}" if more > 0 else "")
        + ". The Data page lists every restatement.",
        icon=":material/currency_exchange:",
    )
