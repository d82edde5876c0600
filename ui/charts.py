"""Altair charts in the app's restrained style: few colours, labelled axes, money as $1.2M."""

from __future__ import annotations

import altair as alt
import pandas as pd

NAVY, STEEL = "#1F4E79", "#8AA4BF"
# Axis labels read like the headline cards: $400K, $1.2M (Vega's own "s" format writes $400k).
MONEY_LABELS = (
    "abs(datum.value) >= 1e6 ? '$' + format(datum.value / 1e6, '.1f') + 'M' : "
    "abs(datum.value) >= 1e3 ? '$' + format(datum.value / 1e3, '.0f') + 'K' : "
    "'$' + format(datum.value, ',.0f')"
)
MONEY_AXIS = alt.Axis(labelExpr=MONEY_LABELS, title=None, grid=True, gridColor="#EEF1F5")


def quarterly_comparison(
    totals: pd.DataFrame,
    current_year: int,
    title: str,
    in_progress: str | None = None,
    value_column: str = "amount_usd",
) -> alt.Chart:
    """Bars per fiscal quarter, this fiscal year beside last year.

    ``in_progress`` names the quarter still running (e.g. ``Q4 FY2027``): its bar is drawn
    lighter and its axis label says "to date", so a partial quarter never reads as a collapse.
    """
    frame = totals[totals["fiscal_year"].isin([current_year - 1, current_year])].copy()
    frame["year"] = "FY" + frame["fiscal_year"].astype(str)
    frame["partial"] = frame["label"] == in_progress
    running = frame.loc[frame["partial"], "quarter"]
    names = {number: f"Q{number}" for number in range(1, 5)}
    if not running.empty:
        names[int(running.iloc[0])] += " (to date)"
    frame["quarter_name"] = frame["quarter"].map(names)
    years = [f"FY{current_year - 1}", f"FY{current_year}"]
    return (
        alt.Chart(frame, title=alt.Title(title, anchor="start", fontSize=15))
        .mark_bar(cornerRadiusTopLeft=2, cornerRadiusTopRight=2)
        .encode(
            x=alt.X(
                "quarter_name:N",
                title=None,
                sort=[names[number] for number in range(1, 5)],
                axis=alt.Axis(labelAngle=0),
            ),
            xOffset=alt.XOffset("year:N", sort=years),
            y=alt.Y(f"{value_column}:Q", axis=MONEY_AXIS),
            color=alt.Color(
                "year:N",
                scale=alt.Scale(domain=years, range=[STEEL, NAVY]),
                legend=alt.Legend(title=None, orient="top", direction="horizontal"),
            ),
            opacity=alt.condition("datum.partial", alt.value(0.45), alt.value(1.0)),
            tooltip=[
                alt.Tooltip("label:N", title="Quarter"),
                alt.Tooltip(f"{value_column}:Q", title="Amount", format="$,.0f"),
            ],
        )
        .properties(height=260)
    )


def arr_trend(arr: pd.DataFrame, title: str = "ARR by month") -> alt.Chart:
    """ARR at the end of each month."""
    return (
        alt.Chart(arr, title=alt.Title(title, anchor="start", fontSize=15))
        .mark_line(point=alt.OverlayMarkDef(size=28, filled=True), color=NAVY, strokeWidth=2.5)
        .encode(
            x=alt.X("yearmonth(month):T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)),
            y=alt.Y("arr_usd:Q", axis=MONEY_AXIS),  # from zero: growth is not exaggerated
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month", format="%b %Y"),
                alt.Tooltip("arr_usd:Q", title="ARR", format="$,.0f"),
                alt.Tooltip("account_count:Q", title="Paying accounts", format=","),
            ],
        )
        .properties(height=260)
    )
