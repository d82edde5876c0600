"""The Revenue page's cached reads and the tables it shows.

Everything is computed once per store URL, data version, quarter, as-of day and segment, from
ARR per account and month (``core.revenue``) and won bookings (``core.store.revenue``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from core.calendar import FiscalCalendar, add_months, month_start
from core.formatting import DEFAULT_CURRENCY, format_money
from core.revenue import BRIDGE_COMPONENTS, LogoChurn, Share, share
from core.series import sum_by_period
from core.store import arr as store_arr
from core.store import revenue as store_revenue
from ui.data import CACHE, definitions_on
from ui.store import store_engine

ALL_SEGMENTS = "All segments"
QUARTERS_SHOWN = 8
RETENTION_MONTHS = 24
COMPONENT_LABELS = {
    "start": "Start",
    "new": "New",
    "reactivation": "Reactivation",
    "expansion": "Expansion",
    "contraction": "Contraction",
    "churn": "Churn",
    "end": "End",
}
TYPE_ORDER = ["New business", "Expansion", "Renewal"]
TYPE_COLOURS = ["#1F4E79", "#5B9BD5", "#A9C4DE"]


@dataclass(frozen=True)
class RevenueView:
    """Everything the Revenue page draws for one quarter, as of one day, for one segment."""

    segments: tuple[str, ...]
    last_month: date | None  # the latest month of ARR up to the as-of day
    quarter_bridge: pd.Series | None  # the selected quarter (to date)
    quarters: pd.DataFrame  # bridge per quarter, the last eight
    months: pd.DataFrame  # bridge per month, the last twelve
    retention: pd.DataFrame  # NRR and GRR per month, the last 24
    churn: LogoChurn | None  # logo churn in the selected quarter to date
    churn_by_quarter: pd.DataFrame
    bookings: pd.DataFrame  # won per quarter and type
    ownership: pd.DataFrame  # per quarter: sourced share of new, influenced share of existing
    sourced: Share | None  # the selected quarter's
    influenced: Share | None


def _quarter_months(
    calendar: FiscalCalendar, period_label: str, last_month: date
) -> list[tuple[str, date, date]]:
    """(label, first month, last month) of the last eight quarters up to the selected one."""
    period = calendar.parse(period_label)
    quarters = []
    for steps in range(QUARTERS_SHOWN - 1, -1, -1):
        quarter = calendar.shift(period, -steps)
        first = month_start(quarter.start)
        last = min(month_start(quarter.end), last_month)
        if first <= last:
            quarters.append((quarter.label, first, last))
    return quarters


@st.cache_data(**CACHE)
def revenue_view(
    url: str,
    version: int,
    calendar: FiscalCalendar,
    period_label: str,
    as_of: date,
    segment: str = ALL_SEGMENTS,
) -> RevenueView:
    """The Revenue page's numbers (ARR up to the as-of month, bookings up to the as-of day)."""
    definitions = definitions_on(url, version, as_of)
    engine = store_engine(url)
    period = calendar.parse(period_label)
    chosen = None if segment == ALL_SEGMENTS else segment
    with engine.connect() as connection:
        segments = store_arr.segments(connection, as_of)
        bounds = store_arr.month_bounds(connection, as_of, chosen)
    last_month = bounds[1].to_timestamp().date() if bounds is not None else None
    end = min(as_of, period.end)
    first_quarter = calendar.shift(period, -(QUARTERS_SHOWN - 1))

    def quarter_of(day: date) -> str:
        return calendar.quarter_containing(day).label

    bookings = sum_by_period(
        store_revenue.bookings_by_type(engine, first_quarter.start, end),
        "month",
        quarter_of,
        ["amount_usd", "count"],
        keys=["type_label"],
    )
    if as_of < period.end:
        bookings["period"] = bookings["period"].replace({period.label: f"{period.label} to date"})
    ownership = sum_by_period(
        store_revenue.ownership_by_day(engine, definitions, first_quarter.start, end),
        "day",
        quarter_of,
        list(store_revenue.OWNERSHIP_COLUMNS),
    )
    sourced = influenced = None
    if not ownership.empty:
        ownership["sourced_share"] = [
            share(row.sourced_new_business_usd, row.new_business_usd, "new-business bookings")
            for row in ownership.itertuples()
        ]
        ownership["influenced_share"] = [
            share(row.influenced_existing_usd, row.existing_usd, "expansion or renewal bookings")
            for row in ownership.itertuples()
        ]
        selected = ownership[ownership["period"] == period.label]
        if not selected.empty:
            sourced = selected["sourced_share"].iloc[0]
            influenced = selected["influenced_share"].iloc[0]
    empty = pd.DataFrame()
    if last_month is None:
        return RevenueView(
            segments, None, None, empty, empty, empty, None, empty, bookings, ownership,
            sourced, influenced,
        )  # fmt: skip
    window = int(definitions["nrr"].parameters["window_months"])  # type: ignore[call-overload]
    with engine.connect() as connection:
        months, quarters = store_arr.bridges_with_retention(
            connection, as_of, quarter_of, window, chosen
        )
        churn = None
        if month_start(period.start) <= last_month:
            churn = store_arr.logo_churn(
                connection,
                as_of,
                month_start(period.start),
                min(month_start(period.end), last_month),
                chosen,
            )
        churn_by_quarter = store_arr.logo_churn_by_period(
            connection, as_of, _quarter_months(calendar, period_label, last_month), chosen
        )
    shown = [label for label, *_ in _quarter_months(calendar, period_label, last_month)]
    selected_quarter = quarters[quarters["period"] == period.label]
    return RevenueView(
        segments=segments,
        last_month=last_month,
        quarter_bridge=None if selected_quarter.empty else selected_quarter.iloc[0],
        quarters=quarters[quarters["period"].isin(shown)],
        months=months[months["month"] >= pd.Timestamp(add_months(last_month, -11))],
        retention=months[
            months["month"] >= pd.Timestamp(add_months(last_month, -(RETENTION_MONTHS - 1)))
        ],
        churn=churn,
        churn_by_quarter=churn_by_quarter,
        bookings=bookings,
        ownership=ownership,
        sourced=sourced,
        influenced=influenced,
    )


# -- Views -----------------------------------------------------------------------------------


def bridge_steps(row: pd.Series) -> pd.DataFrame:
    """A bridge row as the waterfall chart's steps."""
    steps = [{"label": "Start", "amount_usd": float(row["start_arr_usd"]), "is_total": True}]
    for component in BRIDGE_COMPONENTS:
        amount = float(row[f"{component}_usd"])
        sign = -1.0 if component in ("contraction", "churn") else 1.0
        steps.append(
            {"label": COMPONENT_LABELS[component], "amount_usd": sign * amount, "is_total": False}
        )
    steps.append({"label": "End", "amount_usd": float(row["end_arr_usd"]), "is_total": True})
    return pd.DataFrame(steps)


def bridge_table(
    bridge: pd.DataFrame, period_column: str, currency: str = DEFAULT_CURRENCY
) -> pd.DataFrame:
    """A bridge (per quarter or month) as text, one row per period (money in ``currency``)."""
    rows = []
    for record in bridge.to_dict(orient="records"):
        period = record[period_column]
        name = f"{period:%b %Y}" if isinstance(period, pd.Timestamp) else str(period)
        row = {"Period": name, "Start": format_money(record["start_arr_usd"], currency)}
        for component in BRIDGE_COMPONENTS:
            amount = record[f"{component}_usd"]
            negative = component in ("contraction", "churn")
            row[COMPONENT_LABELS[component]] = format_money(
                -amount if negative and amount else amount, currency
            )
        row["End"] = format_money(record["end_arr_usd"], currency)
        if "nrr" in record:
            row["NRR"] = percent(record["nrr"])
            row["GRR"] = percent(record["grr"])
        if "months" in record and record.get("months", 3) < 3:
            row["Period"] += f" ({record['months']} mo)"
        rows.append(row)
    return pd.DataFrame(rows)


def retention_frame(retention: pd.DataFrame) -> pd.DataFrame:
    """NRR and GRR as the line chart's long frame (undefined months left out)."""
    long = retention.melt(id_vars=["month"], value_vars=["nrr", "grr"], var_name="series")
    long["series"] = long["series"].map({"nrr": "NRR", "grr": "GRR"})
    return long.dropna(subset=["value"])


def percent(value: float | None) -> str:
    """``104.2%``; ``n/a`` when unknown."""
    return "n/a" if value is None or math.isnan(value) else f"{value:.1%}"


def share_text(value: Share | None) -> str:
    return "n/a" if value is None or value.value is None else f"{value.value:.0%}"


def ownership_table(ownership: pd.DataFrame, currency: str = DEFAULT_CURRENCY) -> pd.DataFrame:
    """Marketing's part of bookings per quarter, as text (money in ``currency``)."""

    def money(value: float) -> str:
        return format_money(value, currency)

    return pd.DataFrame(
        {
            "Quarter": ownership["period"],
            "New-business bookings": ownership["new_business_usd"].map(money),
            "Marketing-sourced": ownership["sourced_new_business_usd"].map(money),
            "Sourced share": ownership["sourced_share"].map(_share_cell),
            "Expansion and renewal bookings": ownership["existing_usd"].map(money),
            "Marketing-influenced": ownership["influenced_existing_usd"].map(money),
            "Influenced share": ownership["influenced_share"].map(_share_cell),
        }
    )


def _share_cell(value: Share) -> str:
    return f"n/a ({value.reason})" if value.value is None else f"{value.value:.0%}"


def churn_table(churn: pd.DataFrame) -> pd.DataFrame:
    """Logo churn per quarter as text."""
    return pd.DataFrame(
        {
            "Quarter": churn["period"],
            "Paying accounts at start": churn["accounts_at_start"].map("{:,}".format),
            "Lost by the end": churn["churned_accounts"].map("{:,}".format),
            "Logo churn": [
                f"n/a ({reason})" if pd.isna(rate) else f"{rate:.1%}"
                for rate, reason in zip(churn["rate"], churn["reason"], strict=True)
            ],
        }
    )
