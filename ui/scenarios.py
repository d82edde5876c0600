"""The Budget scenarios page's cached inputs, link state, tables and charts.

Fitting is the slow part (seconds) and is cached per store, data version and as-of date; every
slider move after that is :func:`core.scenarios.simulate` on the cached model (milliseconds).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import date

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from core.calendar import FiscalCalendar
from core.channels import channel_label
from core.charts import NAVY, STEEL, money_axis, money_tooltip
from core.formatting import (
    DEFAULT_CURRENCY,
    axis_money_label_expr,
    currency_symbol,
    format_day,
    format_money,
    format_money_exact,
)
from core.scenarios import (
    MAX_CHANGE,
    MIN_CHANGE,
    GoalEffect,
    ScenarioModel,
    ScenarioResult,
    saved_window,
)
from core.store import pipeline as store_pipeline
from core.store import scenarios as store_scenarios
from ui.data import definitions_on
from ui.store import store_engine

CHANGE_KEY = "scenario_change_"  # + channel, in whole percent
START_KEY, WEEKS_KEY, SAVING_KEY = "scenario_start", "scenario_weeks", "scenario_saving"
LINK_PREFIX = "cut_"  # query parameter per channel: cut_paid_search=-30
LINK_START, LINK_WEEKS = "start", "weeks"
LOGGER = logging.getLogger(__name__)
MAX_START_WEEKS = 26  # a cut can start up to half a year out
MAX_WEEKS = 52
DEFAULT_WEEKS = 13


PREFIT_THREAD = "marketing-review-prefit"


def fit_in_background(engine: Engine) -> threading.Thread:
    """Start fitting the response curves for the data now loaded, in a thread of its own.

    The fit is stored in the store (:func:`core.store.scenarios.store_fit`), so the next
    person to open Budget scenarios or Campaigns reads it instead of waiting seconds. The
    thread takes its own pooled connections; a failure only means the page fits when opened.
    """

    def work() -> None:
        try:
            store_scenarios.store_fit(engine)
        except Exception:  # a cache: the page fits for itself when this did not
            LOGGER.warning("fitting in the background after an upload failed", exc_info=True)

    thread = threading.Thread(target=work, name=PREFIT_THREAD, daemon=True)
    thread.start()
    return thread


@st.cache_resource(ttl=3600, max_entries=16, show_spinner=False)
def prepared(
    url: str, version: int, as_of: date, calendar: FiscalCalendar
) -> store_scenarios.PreparedScenarios | None:
    """Fitted curves and the simulator for a data version (shared, never modified)."""
    del version
    return store_scenarios.prepare(store_engine(url), as_of, calendar)


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def coverage_inputs(
    url: str, version: int, as_of: date, calendar: FiscalCalendar, period_label: str
) -> tuple[float, float | None, float | None]:
    """Open pipeline due in the quarter, its bookings target, and the win rate that sets the
    required coverage: the Pipeline & Sales page's numbers (its definitions)."""
    definitions = definitions_on(url, version, as_of)
    report = store_pipeline.coverage_report(
        store_engine(url), definitions, calendar, calendar.parse(period_label), as_of
    )
    return report.coverage.open_pipeline, report.coverage.target, report.win_rate


# --------------------------------------------------------------------------------------------
# State from and to the link
# --------------------------------------------------------------------------------------------
def initialise_state(model: ScenarioModel) -> list[str]:
    """Put the link's scenario (or none) into the widgets' state once; return warnings."""
    warnings = []
    params = st.query_params
    for channel in model.channels:
        key = CHANGE_KEY + channel
        if key in st.session_state:
            continue
        value = 0
        text = params.get(LINK_PREFIX + channel)
        if text:
            try:
                value = round(float(text))
            except ValueError:
                warnings.append(f"The link's change for {channel} “{text}” is not a number.")
            if not MIN_CHANGE * 100 <= value <= MAX_CHANGE * 100:
                warnings.append(
                    f"The link's change for {channel} ({value:+d}%) is outside -100% to +50%."
                )
                value = 0
        st.session_state[key] = value
    mondays = start_choices(model)
    if START_KEY not in st.session_state:
        chosen = mondays[0]
        text = params.get(LINK_START)
        if text:
            try:
                day = date.fromisoformat(text)
            except ValueError:
                day = None
            if day in mondays:
                chosen = day
            else:
                warnings.append(f"The link's start “{text}” is not one of the Mondays offered.")
        st.session_state[START_KEY] = chosen
    if WEEKS_KEY not in st.session_state:
        weeks = DEFAULT_WEEKS
        text = params.get(LINK_WEEKS)
        if text:
            weeks = int(text) if text.isdigit() and 1 <= int(text) <= MAX_WEEKS else DEFAULT_WEEKS
            if str(weeks) != text:
                warnings.append(f"The link's duration “{text}” is not 1 to {MAX_WEEKS} weeks.")
        st.session_state[WEEKS_KEY] = weeks
    return warnings


def start_choices(model: ScenarioModel) -> list[date]:
    """Mondays a change may start on."""
    return [week.astype(object) for week in model.week_starts[:MAX_START_WEEKS]]


def current_changes(model: ScenarioModel) -> dict[str, float]:
    """The sliders' changes as fractions (-0.3 for a 30% cut)."""
    return {
        channel: st.session_state.get(CHANGE_KEY + channel, 0) / 100 for channel in model.channels
    }


def write_link(model: ScenarioModel, changes: Mapping[str, float]) -> None:
    """Keep the scenario in the URL so a link reopens it."""
    for channel in model.channels:
        name = LINK_PREFIX + channel
        percent = round(changes.get(channel, 0.0) * 100)
        if percent:
            st.query_params[name] = str(percent)
        elif name in st.query_params:
            del st.query_params[name]
    st.query_params[LINK_START] = st.session_state[START_KEY].isoformat()
    st.query_params[LINK_WEEKS] = str(st.session_state[WEEKS_KEY])


def settings_of(changes: Mapping[str, float], start: date, weeks: int) -> dict[str, object]:
    """What a saved scenario keeps: the settings, not the results."""
    return {
        "changes": {channel: round(change, 4) for channel, change in changes.items() if change},
        "start": start.isoformat(),
        "weeks": weeks,
    }


def window_of(model: ScenarioModel, settings: Mapping[str, object]) -> tuple[int, int]:
    """(start week, weeks) of saved settings on today's horizon, clipped to it."""
    return saved_window(model, settings, DEFAULT_WEEKS)


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------
MEASURE_LABELS = {
    "pipeline": "Pipeline",
    "bookings": "Bookings",
    "new_arr": "New ARR",
    "revenue": "Recognised revenue",
}
CARD_LABELS = {**MEASURE_LABELS, "revenue": "Revenue"}  # "Recognised revenue lost" is cut off


def _with_range(value: float, low: float, high: float, currency: str) -> str:
    return (
        f"{format_money(value, currency)} "
        f"({format_money(low, currency)}–{format_money(high, currency)})"
    )


def goal_title(effect: GoalEffect) -> str:
    """The goal's name, with its period unless the name already says it."""
    if effect.period_label in effect.goal_name:
        return effect.goal_name
    return f"{effect.goal_name} ({effect.period_label})"


def moves_visibly(effect: GoalEffect) -> bool:
    """Whether a goal's attainment changes at the page's precision (whole percentage points)."""
    return round(effect.before * 100) != round(effect.after * 100)


def impact_table(
    result: ScenarioResult, model: ScenarioModel, currency: str = DEFAULT_CURRENCY
) -> pd.DataFrame:
    """Loss per measure: this quarter, next quarter and the horizon, each with its range."""
    rows = []
    for measure, label in MEASURE_LABELS.items():
        outcome = result.outcome(measure)
        rows.append(
            {
                "Lost (10-90% range)": label,
                f"{model.this_quarter[0]} (this quarter)": _with_range(
                    *outcome.this_quarter, currency
                ),
                f"{model.next_quarter[0]}": _with_range(*outcome.next_quarter, currency),
                f"{len(result.months)} months": _with_range(
                    outcome.loss, outcome.low, outcome.high, currency
                ),
            }
        )
    return pd.DataFrame(rows)


def monthly_frame(result: ScenarioResult) -> pd.DataFrame:
    """Month-by-month loss with its band, per measure (long format for the chart)."""
    rows = []
    for measure, label in MEASURE_LABELS.items():
        for month, (loss, low, high) in zip(
            result.months, result.outcome(measure).monthly, strict=True
        ):
            rows.append(
                {
                    "month": pd.Timestamp(month),
                    "measure": label,
                    "loss": loss,
                    "low": low,
                    "high": high,
                }
            )
    return pd.DataFrame(rows)


def impact_chart(monthly: pd.DataFrame, currency: str = DEFAULT_CURRENCY) -> alt.FacetChart:
    """Loss per month with its 10-90% band, one panel per measure (money in ``currency``)."""
    base = alt.Chart(monthly).encode(
        x=alt.X("month:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0))
    )
    band = base.mark_area(opacity=0.25, color=STEEL).encode(
        y=alt.Y("low:Q", axis=money_axis(currency)), y2="high:Q"
    )
    line = base.mark_line(color=NAVY, point=True).encode(
        y=alt.Y("loss:Q", axis=money_axis(currency)),
        tooltip=[
            alt.Tooltip("month:T", format="%b %Y", title="Month"),
            money_tooltip("loss:Q", "Lost", currency),
            money_tooltip("low:Q", "Low (10%)", currency),
            money_tooltip("high:Q", "High (90%)", currency),
        ],
    )
    return (
        alt.layer(band, line, data=monthly)
        .properties(width=250, height=170)
        .facet(
            facet=alt.Facet("measure:N", title=None, sort=list(MEASURE_LABELS.values())),
            columns=2,
        )
        .resolve_scale(y="independent")
    )


def break_even_label(currency: str = DEFAULT_CURRENCY) -> str:
    """The break-even marker's name: ``Marginal return falls below €1``."""
    return f"Marginal return falls below {format_money_exact(1, currency)}"


def curve_frame(
    model: ScenarioModel, currency: str = DEFAULT_CURRENCY
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each channel's steady-state weekly response curve, and its markers.

    Markers: planned weekly spend over the first quarter of the horizon, and the spend above
    which an extra dollar returns less than a dollar of pipeline.
    """
    rows, marks = [], []
    for index, curve in enumerate(model.curves):
        current = float(model.plan[index, :13].mean())
        upper = max(current * 2.5, 1.0)
        grid = np.linspace(0.0, upper, 60)
        low, high = np.percentile(
            np.vstack([curve.weekly_response(grid, draw) for draw in range(len(curve.theta))]),
            [10, 90],
            axis=0,
        )
        point = curve.weekly_response(grid)
        label = channel_label(curve.channel)
        rows.extend(
            {"channel": label, "spend": s, "pipeline": p, "low": lo, "high": hi}
            for s, p, lo, hi in zip(grid, point, low, high, strict=True)
        )
        marks.append(
            {
                "channel": label,
                "spend": current,
                "pipeline": float(curve.weekly_response(np.array([current]))[0]),
                "marker": "Planned spend",
            }
        )
        break_even = curve.break_even_spend(upper)
        if break_even is not None:
            marks.append(
                {
                    "channel": label,
                    "spend": break_even,
                    "pipeline": float(curve.weekly_response(np.array([break_even]))[0]),
                    "marker": break_even_label(currency),
                }
            )
    return pd.DataFrame(rows), pd.DataFrame(marks)


def curves_chart(
    curves: pd.DataFrame, marks: pd.DataFrame, currency: str = DEFAULT_CURRENCY
) -> alt.FacetChart:
    """Small multiples of weekly spend -> weekly pipeline, with planned spend and break-even."""
    data = pd.concat([curves.assign(kind="curve"), marks.assign(kind="mark")], ignore_index=True)
    markers = ["Planned spend", break_even_label(currency)]
    base = alt.Chart().encode(
        x=alt.X(
            "spend:Q",
            title="Weekly spend",
            axis=alt.Axis(labelExpr=axis_money_label_expr(currency)),
        )
    )
    curve = base.transform_filter("datum.kind == 'curve'")
    band = curve.mark_area(opacity=0.25, color=STEEL).encode(
        y=alt.Y("low:Q", axis=money_axis(currency)), y2="high:Q"
    )
    line = curve.mark_line(color=NAVY).encode(y=alt.Y("pipeline:Q", axis=money_axis(currency)))
    points = (
        base.transform_filter("datum.kind == 'mark'")
        .mark_point(filled=True, size=90)
        .encode(
            y="pipeline:Q",
            shape=alt.Shape(
                "marker:N",
                scale=alt.Scale(domain=markers),
                title=None,
                legend=alt.Legend(orient="bottom", labelLimit=0),
            ),
            color=alt.Color(
                "marker:N",
                scale=alt.Scale(domain=markers, range=["#C0392B", "#E67E22"]),
                legend=alt.Legend(orient="bottom", labelLimit=0),
                title=None,
            ),
            tooltip=[
                alt.Tooltip("marker:N", title="Point"),
                money_tooltip("spend:Q", "Weekly spend", currency),
                money_tooltip("pipeline:Q", "Weekly pipeline", currency),
            ],
        )
    )
    return (
        alt.layer(band, line, points, data=data)
        .properties(width=170, height=150)
        .facet(facet=alt.Facet("channel:N", title=None), columns=4)
        .resolve_scale(x="independent", y="independent")
    )


def fit_table(model: ScenarioModel) -> pd.DataFrame:
    """How far each curve can be trusted."""
    rows = []
    for curve in model.curves:
        rows.append(
            {
                "Channel": channel_label(curve.channel),
                "Curve": "Fitted" if curve.method == "fitted" else "Average return (fallback)",
                "Weeks of history": curve.weeks,
                "R² (weekly)": curve.r_squared,
                "Error on last 13 weeks (MAPE)": curve.holdout_mape,
                "Carryover (theta)": float(curve.theta[0]) if curve.method == "fitted" else None,
                "Lag (weeks)": curve.lag_weeks if curve.method == "fitted" else None,
                "Why": curve.note,
            }
        )
    return pd.DataFrame(rows)


FIT_CONFIG = {
    "R² (weekly)": st.column_config.NumberColumn(format="%.2f"),
    "Error on last 13 weeks (MAPE)": st.column_config.NumberColumn(format="percent"),
    "Carryover (theta)": st.column_config.NumberColumn(format="%.2f"),
}


def comparison_table(
    results: Mapping[str, ScenarioResult], currency: str = DEFAULT_CURRENCY
) -> pd.DataFrame:
    """Saved scenarios side by side: savings and what each loses over the horizon."""

    def money(value: float) -> str:
        return format_money(value, currency)

    per = currency_symbol(currency).strip()
    rows = []
    for name, result in results.items():
        changes = ", ".join(
            f"{channel_label(channel)} {change:+.0%}"
            for channel, change in result.changes.items()
            if change
        )
        rows.append(
            {
                "Scenario": name,
                "Changes": changes or "none",
                "From": format_day(result.window[0]),
                "Weeks": result.weeks,
                "Saves": money(result.savings),
                "Pipeline lost": money(result.pipeline.loss),
                "Bookings lost": money(result.bookings.loss),
                "New ARR lost": money(result.new_arr.loss),
                "Revenue lost": money(result.revenue.loss),
                f"Pipeline lost per {per} saved": (
                    f"{result.pipeline.loss / result.savings:.2f}" if result.savings > 0 else "–"
                ),
            }
        )
    return pd.DataFrame(rows)
