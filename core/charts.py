"""Altair charts in the app's restrained style: few colours, labelled axes, money as $1.2M.

Chart specs, not drawing: the pages hand them to ``st.altair_chart`` and the review pack renders
the same specs to images, so a chart in the pack is the chart the app showed. Money is in the
store's reporting currency: every chart of money takes its ISO code (``currency="EUR"`` writes
``€1.2M`` on the axis and names the currency in the tooltips).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.formatting import (
    DEFAULT_CURRENCY,
    axis_money_label_expr,
    format_money,
    money_title,
    tooltip_money_format,
)

NAVY, STEEL = "#1F4E79", "#8AA4BF"
# Axis labels read like the headline cards: $400K, $1.2M (Vega's own "s" format writes $400k).
# In US dollars; a chart of the store's money takes its axis from money_axis(currency).
MONEY_LABELS = axis_money_label_expr("USD")
MONEY_AXIS = alt.Axis(labelExpr=MONEY_LABELS, title=None, grid=True, gridColor="#EEF1F5")


def money_axis(
    currency: str = DEFAULT_CURRENCY, title: str | None = None, millions_decimals: int = 1
) -> alt.Axis:
    """A money axis labelled like the cards in ``currency`` (``€400K``, ``€1.2M``)."""
    return alt.Axis(
        labelExpr=axis_money_label_expr(currency, millions_decimals),
        title=title,
        grid=True,
        gridColor="#EEF1F5",
    )


def money_tooltip(field: str, title: str, currency: str = DEFAULT_CURRENCY) -> alt.Tooltip:
    """A tooltip of money: ``$1,234,567`` for US dollars, else ``Amount (€)  1,234,567``."""
    return alt.Tooltip(
        field, title=money_title(title, currency), format=tooltip_money_format(currency)
    )


def quarterly_comparison(
    totals: pd.DataFrame,
    current_year: int,
    title: str,
    in_progress: str | None = None,
    value_column: str = "amount_usd",
    currency: str = DEFAULT_CURRENCY,
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
            y=alt.Y(f"{value_column}:Q", axis=money_axis(currency)),
            color=alt.Color(
                "year:N",
                scale=alt.Scale(domain=years, range=[STEEL, NAVY]),
                legend=alt.Legend(title=None, orient="top", direction="horizontal"),
            ),
            opacity=alt.condition("datum.partial", alt.value(0.45), alt.value(1.0)),
            tooltip=[
                alt.Tooltip("label:N", title="Quarter"),
                money_tooltip(f"{value_column}:Q", "Amount", currency),
            ],
        )
        .properties(height=260)
    )


def arr_trend(
    arr: pd.DataFrame, title: str = "ARR by month", currency: str = DEFAULT_CURRENCY
) -> alt.Chart:
    """ARR at the end of each month."""
    return (
        alt.Chart(arr, title=alt.Title(title, anchor="start", fontSize=15))
        .mark_line(point=alt.OverlayMarkDef(size=28, filled=True), color=NAVY, strokeWidth=2.5)
        .encode(
            x=alt.X("yearmonth(month):T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)),
            # From zero: growth is not exaggerated.
            y=alt.Y("arr_usd:Q", axis=money_axis(currency)),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month", format="%b %Y"),
                money_tooltip("arr_usd:Q", "ARR", currency),
                alt.Tooltip("account_count:Q", title="Paying accounts", format=","),
            ],
        )
        .properties(height=260)
    )


PATH_STYLES = {"Required": ("#9AA5B1", [6, 4]), "Actual": (NAVY, []), "Projected": (NAVY, [3, 3])}


def goal_trajectory(
    paths: pd.DataFrame,
    milestones: pd.DataFrame,
    title: str,
    currency: str = DEFAULT_CURRENCY,
) -> alt.LayerChart:
    """Required, actual and projected path of a level goal, with its yearly milestones.

    ``paths`` has ``month_end``, ``path`` and ``value``; ``milestones`` has ``month_end``,
    ``target`` and ``name`` (may be empty).
    """
    names = list(PATH_STYLES)
    lines = (
        alt.Chart(paths)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X("month_end:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)),
            y=alt.Y("value:Q", axis=money_axis(currency), scale=alt.Scale(zero=False)),
            color=alt.Color(
                "path:N",
                scale=alt.Scale(domain=names, range=[PATH_STYLES[name][0] for name in names]),
                legend=alt.Legend(title=None, orient="top", direction="horizontal"),
            ),
            strokeDash=alt.StrokeDash(
                "path:N",
                scale=alt.Scale(domain=names, range=[PATH_STYLES[name][1] for name in names]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("path:N", title="Path"),
                alt.Tooltip("month_end:T", title="Month end", format="%b %Y"),
                money_tooltip("value:Q", "Value", currency),
            ],
        )
    )
    layers: list[alt.Chart] = [lines]
    if not milestones.empty:
        layers.append(
            alt.Chart(milestones)
            .mark_point(shape="diamond", size=90, filled=True, color="#C55A11")
            .encode(
                x="month_end:T",
                y="target:Q",
                tooltip=[
                    alt.Tooltip("name:N", title="Milestone"),
                    money_tooltip("target:Q", "Target", currency),
                ],
            )
        )
    return alt.layer(*layers, title=alt.Title(title, anchor="start", fontSize=15)).properties(
        height=300
    )


GOOD, BAD, TOTAL = "#3A7D44", "#B5442E", NAVY


def waterfall(
    steps: pd.DataFrame,
    title: str,
    height: int = 300,
    from_zero: bool = True,
    currency: str = DEFAULT_CURRENCY,
) -> alt.LayerChart:
    """A bridge chart: totals as full bars, moves floating from the running total.

    ``steps`` has ``label``, ``amount_usd`` (outflows negative) and ``is_total``; the order of
    the rows is the order of the bars. ``from_zero=False`` starts the axis just below the
    lowest point the bars reach (said in the axis title), so moves of a few percent of a large
    total stay visible.
    """
    frame = steps.reset_index(drop=True).copy()
    running, bottoms, tops = 0.0, [], []
    for amount, is_total in zip(frame["amount_usd"], frame["is_total"], strict=True):
        if is_total:
            bottoms.append(0.0)
            tops.append(float(amount))
            running = float(amount)
        else:
            bottoms.append(running)
            running += float(amount)
            tops.append(running)
    frame["bottom"], frame["top"] = bottoms, tops
    frame["kind"] = [
        "Total" if total else ("Adds" if amount >= 0 else "Takes away")
        for amount, total in zip(frame["amount_usd"], frame["is_total"], strict=True)
    ]
    frame["text"] = [format_money(abs(amount), currency) for amount in frame["amount_usd"]]
    frame["position"] = frame[["bottom", "top"]].max(axis=1)
    order = frame["label"].tolist()
    kinds = ["Total", "Adds", "Takes away"]
    scale = alt.Scale(zero=True)
    axis = money_axis(currency)
    if not from_zero:
        moves = frame.loc[~frame["is_total"], ["bottom", "top"]]
        reached = [*moves.to_numpy().ravel(), *frame.loc[frame["is_total"], "top"]]
        low, high = min(reached), max(reached)
        margin = max((high - low) * 0.25, abs(high) * 0.002, 1.0)
        scale = alt.Scale(domain=[low - margin, high + margin * 0.4], zero=False, nice=False)
        # A narrow range of millions needs two decimals, or every tick reads $3.0M.
        axis = money_axis(currency, title="axis not from zero", millions_decimals=2)
    bars = (
        alt.Chart(frame)
        .mark_bar(size=38, clip=True)
        .encode(
            x=alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("bottom:Q", axis=axis, scale=scale),
            y2="top:Q",
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=kinds, range=[TOTAL, GOOD, BAD]),
                legend=alt.Legend(title=None, orient="top", direction="horizontal"),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Step"),
                money_tooltip("amount_usd:Q", "Amount", currency),
            ],
        )
    )
    labels = (
        alt.Chart(frame)
        .mark_text(dy=-8, fontSize=12, color="#333")
        .encode(x=alt.X("label:N", sort=order), y="position:Q", text="text:N")
    )
    return alt.layer(bars, labels, title=alt.Title(title, anchor="start", fontSize=15)).properties(
        height=height
    )


def stacked_bars(
    frame: pd.DataFrame,
    x: str,
    value: str,
    colour: str,
    title: str,
    order: list[str] | None = None,
    colours: list[str] | None = None,
    height: int = 280,
    currency: str = DEFAULT_CURRENCY,
) -> alt.Chart:
    """Money stacked per ``x`` (in the frame's order) by ``colour``."""
    periods = list(dict.fromkeys(frame[x]))
    scale = alt.Scale(domain=order, range=colours) if order and colours else alt.Undefined
    return (
        alt.Chart(frame, title=alt.Title(title, anchor="start", fontSize=15))
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:N", sort=periods, title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"sum({value}):Q", axis=money_axis(currency), title=None),
            color=alt.Color(
                f"{colour}:N",
                sort=order,
                scale=scale,
                legend=alt.Legend(title=None, orient="top", direction="horizontal", columns=6),
            ),
            tooltip=[
                alt.Tooltip(f"{x}:N", title="Period"),
                alt.Tooltip(f"{colour}:N", title="Of which"),
                money_tooltip(f"{value}:Q", "Amount", currency),
            ],
        )
        .properties(height=height)
    )


def ratio_lines(frame: pd.DataFrame, title: str, height: int = 260) -> alt.Chart:
    """Ratios by month (``month``, ``series``, ``value`` as fractions), one line per series."""
    series = list(dict.fromkeys(frame["series"]))
    return (
        alt.Chart(frame, title=alt.Title(title, anchor="start", fontSize=15))
        .mark_line(point=alt.OverlayMarkDef(size=26, filled=True), strokeWidth=2.5)
        .encode(
            x=alt.X("yearmonth(month):T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)),
            y=alt.Y(
                "value:Q",
                title=None,
                axis=alt.Axis(format=".0%", grid=True, gridColor="#EEF1F5"),
                scale=alt.Scale(zero=False),
            ),
            color=alt.Color(
                "series:N",
                sort=series,
                scale=alt.Scale(domain=series, range=[NAVY, "#C55A11", STEEL][: len(series)]),
                legend=alt.Legend(title=None, orient="top", direction="horizontal"),
            ),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month", format="%b %Y"),
                alt.Tooltip("series:N", title="Measure"),
                alt.Tooltip("value:Q", title="Value", format=".1%"),
            ],
        )
        .properties(height=height)
    )


def funnel(volumes: pd.DataFrame, title: str, height: int = 240) -> alt.LayerChart:
    """Horizontal bars per funnel stage (``label``, ``count``, ``share_text``), widest first."""
    order = volumes["label"].tolist()
    bars = (
        alt.Chart(volumes)
        .mark_bar(color=NAVY, size=30)
        .encode(
            y=alt.Y("label:N", sort=order, title=None),
            x=alt.X("count:Q", title=None, axis=alt.Axis(format=",.0f", grid=False)),
            tooltip=[
                alt.Tooltip("label:N", title="Stage"),
                alt.Tooltip("count:Q", title="Reached in the period", format=",.0f"),
                alt.Tooltip("share_text:N", title="Of the stage before"),
            ],
        )
    )
    text = (
        alt.Chart(volumes)
        .mark_text(align="left", dx=6, fontSize=12, color="#333")
        .encode(y=alt.Y("label:N", sort=order), x="count:Q", text="bar_text:N")
    )
    return alt.layer(bars, text, title=alt.Title(title, anchor="start", fontSize=15)).properties(
        height=height
    )
