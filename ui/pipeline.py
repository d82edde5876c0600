"""The Pipeline & Sales page's cached reads and the tables it shows.

Every read is cached by store URL, data version and the days it covers, so an upload refreshes
the page and a rerun costs nothing.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from core.calendar import FiscalCalendar, add_months, month_start
from core.channels import channel_label
from core.formatting import DEFAULT_CURRENCY, format_day, format_money
from core.funnel import (
    FUNNEL_STAGES,
    STAGE_LABELS,
    Ratio,
    funnel_volumes,
    stage_conversions,
    typical_days,
)
from core.series import sum_by_period
from core.store import pipeline as store_pipeline
from ui.data import CACHE, definitions_on
from ui.store import store_engine

FUNNEL_MONTHS = 12  # cohorts shown and the window of the channel table
CREATED_QUARTERS = 6
STATUS_TEXT = {
    "green": "green, at or above the",
    "amber": "amber, below the",
    "red": "red, under 80% of the",
}


@st.cache_data(**CACHE)
def coverage(
    url: str,
    version: int,
    calendar: FiscalCalendar,
    period_label: str,
    as_of: date,
    currency: str = DEFAULT_CURRENCY,
) -> store_pipeline.CoverageReport:
    """Coverage of a quarter as of the day (its reasons naming amounts in ``currency``)."""
    definitions = definitions_on(url, version, as_of)
    return store_pipeline.coverage_report(
        store_engine(url), definitions, calendar, calendar.parse(period_label), as_of, currency
    )


@st.cache_data(**CACHE)
def waterfall(
    url: str, version: int, calendar: FiscalCalendar, period_label: str, as_of: date
) -> store_pipeline.WaterfallReport:
    """The quarter's pipeline waterfall up to the as-of day."""
    definitions = definitions_on(url, version, as_of)
    period = calendar.parse(period_label)
    return store_pipeline.window_waterfall(
        store_engine(url), definitions["coverage_to_go"], period.start, period.end, as_of
    )


@st.cache_data(**CACHE)
def created_by_quarter(
    url: str, version: int, calendar: FiscalCalendar, period_label: str, as_of: date
) -> pd.DataFrame:
    """Pipeline created per fiscal quarter and source, the quarter and the five before it."""
    definitions = definitions_on(url, version, as_of)
    period = calendar.parse(period_label)
    first = calendar.shift(period, -(CREATED_QUARTERS - 1)).start
    monthly = store_pipeline.created_by_source(
        store_engine(url), definitions["pipeline_created"], first, min(period.end, as_of)
    )
    totals = sum_by_period(
        monthly,
        "month",
        lambda day: calendar.quarter_containing(day).label,
        ["amount_usd", "count"],
        keys=["channel"],
    )
    totals["source"] = totals["channel"].map(channel_label)
    if as_of < period.end:
        totals["period"] = totals["period"].replace({period.label: f"{period.label} to date"})
    return totals


@dataclass(frozen=True)
class FunnelView:
    """The funnel tables of the page."""

    volumes: pd.DataFrame  # stage volumes in the quarter
    by_channel: pd.DataFrame  # conversions per channel over the last 12 months
    by_cohort: pd.DataFrame  # conversions per monthly cohort over the last 12 months
    first_day: date
    last_day: date
    typical_days: dict[str, float]  # stage -> days most leads take to reach the next one


@st.cache_data(**CACHE)
def funnel(
    url: str, version: int, calendar: FiscalCalendar, period_label: str, as_of: date
) -> FunnelView:
    """Stage volumes in the quarter; conversions by channel and cohort over a year."""
    del version
    engine = store_engine(url)
    period = calendar.parse(period_label)
    in_quarter = store_pipeline.funnel_counts(engine, period.start, min(period.end, as_of), as_of)
    last = min(as_of, period.end)
    first = add_months(month_start(last), -(FUNNEL_MONTHS - 1))
    year = store_pipeline.funnel_counts(engine, first, last, as_of)
    typical = typical_days(year.overall)
    cutoff = pd.Timestamp(as_of)
    return FunnelView(
        volumes=funnel_volumes(in_quarter.overall),
        by_channel=stage_conversions(year.by_channel, "channel"),
        by_cohort=stage_conversions(year.by_month, "cohort_month", cutoff, typical),
        first_day=first,
        last_day=last,
        typical_days=typical,
    )


@st.cache_data(**CACHE)
def win_rates(
    url: str, version: int, calendar: FiscalCalendar, as_of: date
) -> tuple[pd.DataFrame, date, date]:
    """Win rates and sales cycle per channel over the four full quarters before as-of's."""
    definitions = definitions_on(url, version, as_of)
    quarters = int(definitions["coverage_to_go"].parameters["win_rate_quarters"])  # type: ignore[call-overload]
    first, last, _ = store_pipeline.win_rate_window(calendar, as_of, quarters)
    frame = store_pipeline.closed_by_channel(
        store_engine(url), definitions["win_rate"], first, last
    )
    return frame, first, last


@st.cache_data(**CACHE)
def sla(
    url: str, version: int, calendar: FiscalCalendar, period_label: str, as_of: date
) -> store_pipeline.SlaReport | None:
    """The quarter's SLA, young months left out of its outcomes, and its last six months.

    A month is too young by the funnel's rule for its cohorts, with the days most MQLs take to
    become SQLs over the funnel's twelve months.
    """
    definitions = definitions_on(url, version, as_of)
    period = calendar.parse(period_label)
    wait_days = funnel(url, version, calendar, period_label, as_of).typical_days.get("mql")
    now = datetime.combine(as_of + timedelta(days=1), time())
    return store_pipeline.sla_report(
        store_engine(url),
        definitions["sales_sla"],
        period.start,
        min(period.end, as_of),
        as_of,
        wait_days,
        now,
    )


# -- Views -----------------------------------------------------------------------------------


def multiple(value: float | None) -> str:
    """``3.1x``; ``n/a`` when unknown."""
    return "n/a" if value is None or math.isnan(value) else f"{value:.1f}x"


def share(value: float | None) -> str:
    """``42%``; ``n/a`` when unknown."""
    return "n/a" if value is None or math.isnan(value) else f"{value:.0%}"


def coverage_delta(report: store_pipeline.CoverageReport) -> str | None:
    """``-0.4x: amber, below the 4.1x required`` under a coverage card; ``None`` when it
    cannot be judged (the sign colours the card: red below the required coverage)."""
    if report.status is None or report.coverage.value is None or report.required.value is None:
        return None
    difference = report.coverage.value - report.required.value
    return (
        f"{difference:+.1f}x: {STATUS_TEXT[report.status]} "
        f"{multiple(report.required.value)} required"
    )


def ratio_text(value: Ratio, as_multiple: bool = True) -> str:
    """A ratio for a card: its value, or ``n/a`` (the reason goes beside it)."""
    if value.value is None:
        return "n/a"
    return multiple(value.value) if as_multiple else share(value.value)


def volumes_view(volumes: pd.DataFrame) -> pd.DataFrame:
    """The funnel chart's frame with its labels."""
    frame = volumes.copy()
    frame["share_text"] = frame["share_of_previous"].map(
        lambda value: "" if pd.isna(value) else f"{value:.0%}"
    )
    frame["bar_text"] = [
        f"{count:,.0f}" + (f"  ({text} of the stage before)" if text else "")
        for count, text in zip(frame["count"], frame["share_text"], strict=True)
    ]
    return frame


def conversion_view(table: pd.DataFrame, group: str, group_label: str) -> pd.DataFrame:
    """Conversion and median days per stage, one row per channel or cohort, as text."""
    rows = []
    for record in table.to_dict(orient="records"):
        key = record[group]
        name = channel_label(str(key)) if group == "channel" else f"{pd.Timestamp(key):%b %Y}"
        row: dict[str, object] = {group_label: name, "Leads": f"{record['lead_count']:,}"}
        for stage, after in itertools.pairwise(FUNNEL_STAGES):
            conversion = record[f"{stage}_conversion"]
            text = share(conversion)
            if record.get(f"{stage}_maturing") and not pd.isna(conversion):
                text += " (maturing)"
            row[f"{STAGE_LABELS[stage]} → {STAGE_LABELS[after]}"] = text
            days = record[f"{stage}_median_days"]
            row[f"days to {STAGE_LABELS[after]}"] = "" if pd.isna(days) else f"{days:.0f}"
        rows.append(row)
    return pd.DataFrame(rows)


def win_rate_view(table: pd.DataFrame, currency: str = DEFAULT_CURRENCY) -> pd.DataFrame:
    """Win rates and cycle per channel as text (amounts in ``currency``)."""
    return pd.DataFrame(
        {
            "Source": table["channel"].map(channel_label),
            "Won": table["won_count"].map("{:,}".format),
            "Lost": table["lost_count"].map("{:,}".format),
            "Won amount": table["won_usd"].map(lambda amount: format_money(amount, currency)),
            "Win rate (amount)": table["win_rate_amount"].map(share),
            "Win rate (count)": table["win_rate_count"].map(share),
            "Median days to win": table["median_cycle_days"].map(
                lambda days: "n/a" if pd.isna(days) else f"{days:.0f}"
            ),
        }
    )


def sla_months_view(months: pd.DataFrame) -> pd.DataFrame:
    """The SLA's months as text; outcomes of months too young to judge say so."""
    young = months["too_young"] if "too_young" in months else pd.Series(False, months.index)

    def outcome(values: pd.Series) -> pd.Series:
        text = values.map(share)
        flagged = young.astype(bool) & values.notna()
        return text.where(~flagged, text + " (too young)")

    return pd.DataFrame(
        {
            "Month": months["month"].map(lambda month: f"{month:%b %Y}"),
            "MQLs": months["mqls"].map("{:,}".format),
            "Worked within the SLA": months["within_sla"].map(share),
            "Accepted as SQL": outcome(months["acceptance"]),
            "Recycled": outcome(months["recycled_share"]),
            "Median hours to first work": months["median_hours_to_work"].map(
                lambda hours: "n/a" if hours is None or pd.isna(hours) else f"{hours:.0f}"
            ),
        }
    )


def month_names(months: Sequence[date]) -> str:
    """``November 2026``, ``October and November 2026``, ``December 2026 and January 2027``."""
    if not months:
        return ""
    names = [f"{month:%B}" for month in months]
    for index, month in enumerate(months):
        last_of_year = index == len(months) - 1 or months[index + 1].year != month.year
        if last_of_year:
            names[index] += f" {month.year}"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def sla_cards(report: store_pipeline.SlaReport) -> tuple[tuple[str, Ratio, str], ...]:
    """(label, figure, counts) of the SLA's three cards: worked within the window over every
    MQL whose window has passed; acceptance and recycling over the months old enough."""
    whole, judged = report.all_mqls, report.judged
    pending = f"; {whole.pending:,} still inside the window" if whole.pending else ""
    within = (
        f"MQLs worked within {whole.window_hours} hours",
        whole.within_sla,
        f"{whole.worked_within:,} of {whole.mqls - whole.pending:,} due{pending}",
    )
    accepted_label, recycled_label = "MQLs accepted as SQLs", "MQLs recycled to marketing"
    if judged is None or report.judged_through is None:
        young = Ratio(None, "too young to judge")
        note = f"{month_names(report.young_months)}: too young to judge"
        return within, (accepted_label, young, note), (recycled_label, young, note)
    through = f" MQLs to {format_day(report.judged_through)}" if report.young_months else ""
    return (
        within,
        (accepted_label, judged.acceptance, f"{judged.accepted:,} of {judged.mqls:,}{through}"),
        (recycled_label, judged.recycled_share, f"{judged.recycled:,} of {judged.mqls:,}{through}"),
    )


def sla_young_text(report: store_pipeline.SlaReport) -> str:
    """Which months the acceptance and recycling figures leave out, and why ("" for none)."""
    if not report.young_months:
        return ""
    count = len(report.young_months)
    why = (
        f"most MQLs that become SQLs do so within {report.wait_days:.0f} days, and not all "
        f"MQLs of {'that month' if count == 1 else 'those months'} have had that long"
        if report.wait_days >= 1
        else f"the month{'' if count == 1 else 's'} {'is' if count == 1 else 'are'} not over"
    )
    hours = report.all_mqls.window_hours
    return (
        f"{month_names(report.young_months)} left out of acceptance and recycling: too young to "
        f"judge ({why}). Worked within {hours} hours counts every MQL whose {hours} hours "
        "have passed."
    )


def created_view(totals: pd.DataFrame, currency: str = DEFAULT_CURRENCY) -> pd.DataFrame:
    """Pipeline created per quarter (rows: sources, columns: quarters) as text."""
    if totals.empty:
        return pd.DataFrame()
    table = totals.pivot_table(
        index="source", columns="period", values="amount_usd", aggfunc="sum", sort=False
    ).fillna(0.0)
    table = table[list(dict.fromkeys(totals["period"]))]
    table = table.loc[table.sum(axis=1).sort_values(ascending=False).index]
    table.loc["Total"] = table.sum()
    text = table.map(lambda amount: format_money(amount, currency))
    return text.reset_index().rename(columns={"source": "Source"})
