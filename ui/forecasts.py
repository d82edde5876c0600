"""Forecast accuracy for the page: the cached report, its tables and charts.

The report is cached by store URL, data version and as-of day; entering a forecast is an upload,
so it bumps the data version and the page shows it at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from core.calendar import FiscalCalendar
from core.charts import NAVY, STEEL, money_axis
from core.definitions import default_definition
from core.formatting import (
    DEFAULT_CURRENCY,
    escape_markdown,
    format_day,
    format_metric,
    money_title,
)
from core.store import forecasts as store_forecasts
from ui.data import CACHE, definition_histories, definitions_on
from ui.store import store_engine

CATEGORY_LABELS = {"commit": "Commit", "most_likely": "Most likely", "best_case": "Best case"}
METRIC_KEY = "forecast_metric"
PERIOD_KEY = "forecast_period"
FORECASTER_COLOURS = ["#1F4E79", "#C0392B", "#2E8B57", "#8E44AD", "#E67E22", "#16A085"]


@st.cache_data(**CACHE)
def report(
    url: str,
    version: int,
    as_of: date,
    calendar: FiscalCalendar,
    calls_through: date,
    restated: bool = False,
) -> store_forecasts.AccuracyReport:
    """Every submission scored, the accuracy tables and the current call with baselines: each
    forecast judged under the definition in effect when it was submitted, or (``restated``)
    all under the as-of day's."""
    definitions = definitions_on(url, version, as_of)
    return store_forecasts.accuracy_report(
        store_engine(url),
        as_of,
        calendar,
        definitions,
        calls_through=calls_through,
        histories=None if restated else definition_histories(url, version),
    )


@st.cache_data(**CACHE)
def baseline_of(
    url: str, version: int, as_of: date, calendar: FiscalCalendar, metric: str, period_label: str
) -> store_forecasts.Baseline:
    """The data baseline of ``metric`` for a quarter open on ``as_of`` (the Goals page sets it
    beside a goal's projection)."""
    definitions = definitions_on(url, version, as_of)
    period = calendar.parse(period_label)
    return store_forecasts.baseline(store_engine(url), metric, period, as_of, calendar, definitions)


# Why the two calls of one quarter differ, in words (the Goals page and this one say it).
PROJECTION_VS_BASELINE = (
    "The goal's projection carries the pace to date forward to the period's end (its pacing "
    "method); the data baseline adds to what is won to date the open deals due in the quarter "
    "at the win rate of their stage, less the share that usually slips. Expect them to differ "
    "most early in a quarter, when little is won and much is open."
)


def reconciliation(goal_name: str, projection: float, baseline: float, metric: str,
                   currency: str = DEFAULT_CURRENCY) -> str:  # fmt: skip
    """One sentence setting a goal's projection beside the data baseline of the same quarter."""
    gap = baseline - projection
    return (
        f"The goal “{goal_name}” projects {amount(projection, metric, currency)} for this "
        f"quarter; the data baseline says {amount(baseline, metric, currency)} "
        f"({'+' if gap >= 0 else '−'}{amount(abs(gap), metric, currency)}). "
        + PROJECTION_VS_BASELINE
    )


def calls_through(as_of: date, data_through: date, today: date) -> date:
    """Calls made up to today count when the review is live (as of the data's last day);
    looking back at an earlier day, only the calls made by then."""
    return max(as_of, today) if as_of >= data_through else as_of


@st.cache_data(**CACHE)
def track_record(
    url: str, version: int, as_of: date, calendar: FiscalCalendar, metric: str, start: date
) -> pd.DataFrame:
    """How the baseline did at this point of the last six quarters."""
    definitions = definitions_on(url, version, as_of)
    period = calendar.quarter_containing(start)
    return store_forecasts.baseline_track_record(
        store_engine(url), metric, period, as_of, calendar, definitions
    )


def metric_label(metric: str) -> str:
    return default_definition(metric).label


def in_sentence(label: str) -> str:
    """A metric's label inside a sentence: "bookings", "pipeline created", but "MQLs"."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def unit_of(metric: str) -> str:
    return default_definition(metric).unit


def percent(value: object, signed: bool = False) -> str:
    """``12.3%`` (``+12.3%`` signed); an em dash when there is no number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):+.1%}" if signed else f"{float(value):.1%}"  # type: ignore[arg-type]


def amount(value: object, metric: str, currency: str = DEFAULT_CURRENCY) -> str:
    """A forecast value in its metric's unit (money in ``currency``); an em dash if none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format_metric(float(value), unit_of(metric), currency=currency)  # type: ignore[arg-type]


def accuracy_view(table: pd.DataFrame, by: str = "forecaster") -> pd.DataFrame:
    """The accuracy table as the page shows it (percentages written out)."""
    return pd.DataFrame(
        {
            "Forecaster" if by == "forecaster" else "Metric": (
                table[by] if by == "forecaster" else [metric_label(m) for m in table[by]]
            ),
            "Periods judged": table["count"].astype(int),
            "MAPE": [percent(v) for v in table["mape"]],
            "WAPE": [percent(v) for v in table["wape"]],
            "Bias (+ optimistic)": [percent(v, signed=True) for v in table["bias"]],
            "Within 5%": [percent(v) for v in table["hit_rate_5"]],
            "Within 10%": [percent(v) for v in table["hit_rate_10"]],
            "Accuracy score": [percent(v) for v in table["accuracy_score"]],
            "Actual of zero (not in MAPE)": table["zero_actuals"].astype(int),
        }
    ).map(escape_markdown)


def current_view(
    current: pd.DataFrame, metric: str, currency: str = DEFAULT_CURRENCY
) -> pd.DataFrame:
    """The latest call per open period and forecaster."""
    rows = current[current["metric"] == metric]
    return pd.DataFrame(
        {
            "Forecaster": rows["forecaster"],
            "Submitted": [format_day(day) for day in rows["submitted_on"]],
            "Commit": [amount(v, metric, currency) for v in rows["commit"]],
            "Most likely": [amount(v, metric, currency) for v in rows["most_likely"]],
            "Best case": [amount(v, metric, currency) for v in rows["best_case"]],
            "Their past bias, as far out": [
                f"{percent(bias, signed=True)} ({horizon} out)"
                for bias, horizon in zip(rows["bias"], rows["horizon"], strict=True)
            ],
            "Bias-adjusted": [amount(v, metric, currency) for v in rows["bias_adjusted"]],
            "Actuals inside commit-best case": [
                "—" if math.isnan(share) else f"{share:.0%} of {int(periods)} periods"
                for share, periods in zip(rows["range_share"], rows["range_periods"], strict=True)
            ],
        }
    ).map(escape_markdown)


def misses_view(misses: pd.DataFrame, currency: str = DEFAULT_CURRENCY) -> pd.DataFrame:
    """Every missed period, largest misses of the latest periods first."""
    return pd.DataFrame(
        {
            "Period": misses["period_label"],
            "Metric": [metric_label(m) for m in misses["metric"]],
            "Forecaster": misses["forecaster"],
            "Forecast": [
                amount(v, m, currency)
                for v, m in zip(misses["value"], misses["metric"], strict=True)
            ],
            "Actual": [
                amount(v, m, currency)
                for v, m in zip(misses["actual"], misses["metric"], strict=True)
            ],
            "Miss": [
                "forecast on an actual of zero"
                if zero
                else f"{amount(abs(error), metric, currency)} "
                f"{'over' if error > 0 else 'under'} ({ape:.0%})"
                for zero, error, ape, metric in zip(
                    misses["zero_actual"],
                    misses["error"],
                    misses["ape"],
                    misses["metric"],
                    strict=True,
                )
            ],
        }
    ).map(escape_markdown)


def call_history_chart(
    scored: pd.DataFrame,
    metric: str,
    period_label: str,
    baseline: float | None,
    currency: str = DEFAULT_CURRENCY,
) -> alt.LayerChart:
    """Each forecaster's most likely call, submission by submission, with the commit-best case
    band; the actual (or, for an open period, the baseline) as a horizontal rule."""
    rows = scored[(scored["metric"] == metric) & (scored["period_label"] == period_label)]
    wide = (
        rows.pivot_table(
            index=["forecaster", "submitted_on"], columns="category", values="value", aggfunc="last"
        )
        .reset_index()
        .rename(columns={"submitted_on": "submitted"})
    )
    wide["submitted"] = pd.to_datetime(wide["submitted"])
    for category in store_forecasts.CATEGORY_ORDER:
        if category not in wide:
            wide[category] = float("nan")
    colour = alt.Color(
        "forecaster:N",
        title="Forecaster",
        scale=alt.Scale(range=FORECASTER_COLOURS),
        legend=alt.Legend(orient="bottom", labelLimit=0),
    )
    x = alt.X("submitted:T", title="Submitted on", axis=alt.Axis(format="%d %b %y"))
    money = unit_of(metric) == "usd"
    y_axis = money_axis(currency) if money else alt.Axis(format=",.0f", title=None, grid=True)

    def title(text: str) -> str:
        return money_title(text, currency) if money else text

    scale = alt.Scale(zero=False)
    band = (
        alt.Chart(wide)
        .mark_area(opacity=0.12)
        .encode(
            x=x,
            y=alt.Y("commit:Q", axis=y_axis, scale=scale),
            y2="best_case:Q",
            color=alt.Color("forecaster:N", scale=alt.Scale(range=FORECASTER_COLOURS), legend=None),
        )
    )
    line = (
        alt.Chart(wide)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("most_likely:Q", axis=y_axis, scale=scale),
            color=colour,
            tooltip=[
                alt.Tooltip("forecaster:N", title="Forecaster"),
                alt.Tooltip("submitted:T", title="Submitted", format="%d %b %Y"),
                alt.Tooltip("commit:Q", title=title("Commit"), format=",.0f"),
                alt.Tooltip("most_likely:Q", title=title("Most likely"), format=",.0f"),
                alt.Tooltip("best_case:Q", title=title("Best case"), format=",.0f"),
            ],
        )
    )
    layers: list[alt.Chart] = [band, line]
    actual = rows["actual"].dropna()
    reference = (
        ("Actual", float(actual.iloc[0]))
        if not actual.empty
        else (("Data baseline", baseline) if baseline is not None else None)
    )
    if reference is not None:
        label, value = reference
        marks = pd.DataFrame(
            {"label": [label], "value": [value], "submitted": [wide["submitted"].max()]}
        )
        layers.append(
            alt.Chart(marks)
            .mark_rule(color=STEEL if label == "Actual" else NAVY, strokeDash=[6, 4], size=2)
            .encode(
                y="value:Q", tooltip=[alt.Tooltip("label:N"), alt.Tooltip("value:Q", format=",.0f")]
            )
        )
        layers.append(
            alt.Chart(marks)
            .mark_text(align="right", dy=-8, color="#333333")
            .encode(y="value:Q", text="label:N", x="submitted:T")
        )
    # The band has no legend of its own: the lines name the forecasters.
    return alt.layer(*layers).resolve_legend(color="independent").properties(height=320)


def horizon_chart(table: pd.DataFrame) -> alt.Chart:
    """Bias of the calls by weeks before the period ended, per forecaster: the convergence."""
    data = table.assign(bias_pct=table["bias"] * 100, mape_pct=table["mape"] * 100)
    order = list(
        data.sort_values("horizon_order")["horizon"].drop_duplicates()
    )  # far from the end first
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "horizon:N",
                sort=order,
                title="Weeks before the period ended",
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("bias_pct:Q", title="Bias % (+ optimistic)"),
            color=alt.Color(
                "forecaster:N",
                scale=alt.Scale(range=FORECASTER_COLOURS),
                legend=alt.Legend(orient="bottom", labelLimit=0),
                title="Forecaster",
            ),
            tooltip=[
                alt.Tooltip("forecaster:N", title="Forecaster"),
                alt.Tooltip("horizon:N", title="Horizon"),
                alt.Tooltip("bias_pct:Q", title="Bias %", format="+.1f"),
                alt.Tooltip("mape_pct:Q", title="MAPE %", format=".1f"),
                alt.Tooltip("count:Q", title="Calls"),
            ],
        )
        .properties(height=260)
    )


def definitions_caption(
    versions: Mapping[str, tuple[int, ...]], category: str, submission: str, restated: bool
) -> str:
    measured = ", ".join(
        f"{metric_label(metric)} v{' and v'.join(str(number) for number in numbers)}"
        for metric, numbers in sorted(versions.items())
    )
    which = "latest" if submission == "latest" else "first"
    rule = (
        "every forecast restated under the definitions in effect on the as-of day"
        if restated
        else "each forecast under the definition in effect when it was submitted"
    )
    return (
        f"Actuals are measured {rule} ({measured}). Each period is "
        f"judged on each forecaster's {which} {CATEGORY_LABELS[category].lower()} call before "
        "it ended (the Forecast bias definition; change it on the Definitions page, never here)."
    )
