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
    totals: pd.DataFrame, current_year: int, title: str, value_column: str = "amount_usd"
) -> alt.Chart:
    """Bars per fiscal quarter, this fiscal year beside last year."""
    frame = totals[totals["fiscal_year"].isin([current_year - 1, current_year])].copy()
    frame["year"] = "FY" + frame["fiscal_year"].astype(str)
    frame["quarter_name"] = "Q" + frame["quarter"].astype(str)
    years = [f"FY{current_year - 1}", f"FY{current_year}"]
    return (
        alt.Chart(frame, title=alt.Title(title, anchor="start", fontSize=15))
        .mark_bar(cornerRadiusTopLeft=2, cornerRadiusTopRight=2)
        .encode(
            x=alt.X(
                "quarter_name:N",
                title=None,
                sort=["Q1", "Q2", "Q3", "Q4"],
                axis=alt.Axis(labelAngle=0),
            ),
            xOffset=alt.XOffset("year:N", sort=years),
            y=alt.Y(f"{value_column}:Q", axis=MONEY_AXIS),
            color=alt.Color(
                "year:N",
                scale=alt.Scale(domain=years, range=[STEEL, NAVY]),
                legend=alt.Legend(title=None, orient="top", direction="horizontal"),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Quarter"),
                alt.Tooltip(f"{value_column}:Q", title="Amount", format="$,.0f"),
            ],
        )
        .properties(height=260)
    )


def arr_trend(arr: pd.DataFrame) -> alt.Chart:
    """ARR at the end of each month."""
    return (
        alt.Chart(arr, title=alt.Title("ARR by month", anchor="start", fontSize=15))
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
