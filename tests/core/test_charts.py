"""Chart builders: what the charts are given to draw."""

import json

import pandas as pd
import pytest

from core.charts import (
    MONEY_LABELS,
    arr_trend,
    goal_trajectory,
    quarterly_comparison,
    stacked_bars,
    waterfall,
)

TOTALS = pd.DataFrame(
    {
        "fiscal_year": [2025, 2026, 2026, 2027, 2027],
        "quarter": [4, 1, 4, 1, 2],
        "label": ["Q4 FY2025", "Q1 FY2026", "Q4 FY2026", "Q1 FY2027", "Q2 FY2027"],
        "amount_usd": [1.0, 2.0, 3.0, 4.0, 5.0],
    }
)


def test_quarterly_comparison_keeps_two_years_and_marks_the_running_quarter():
    chart = quarterly_comparison(TOTALS, 2027, "Pipeline", in_progress="Q2 FY2027")
    data = chart.data
    assert set(data["year"]) == {"FY2026", "FY2027"}  # FY2025 is left out
    running = data[data["partial"]]
    assert running["label"].tolist() == ["Q2 FY2027"]
    assert set(data.loc[data["quarter"] == 2, "quarter_name"]) == {"Q2 (to date)"}
    assert set(data.loc[data["quarter"] == 1, "quarter_name"]) == {"Q1"}
    assert "partial" not in TOTALS.columns  # the input is not modified


def test_complete_quarters_are_not_marked():
    data = quarterly_comparison(TOTALS, 2027, "Pipeline").data
    assert not data["partial"].any()
    assert not data["quarter_name"].str.contains("to date").any()


def test_money_axis_reads_like_the_cards():
    assert "'M'" in MONEY_LABELS and "'K'" in MONEY_LABELS
    arr = pd.DataFrame(
        {"month": pd.to_datetime(["2026-10-01"]), "arr_usd": [1.0], "account_count": [1]}
    )
    assert arr_trend(arr).to_dict()["encoding"]["y"]["axis"]["labelExpr"] == MONEY_LABELS


ARR = pd.DataFrame(
    {"month": pd.to_datetime(["2026-10-01"]), "arr_usd": [1.0], "account_count": [1]}
)
STEPS = pd.DataFrame(
    {"label": ["Start", "New", "Churn", "End"], "amount_usd": [3e6, 4e5, -1e5, 3.3e6],
     "is_total": [True, False, False, True]}
)  # fmt: skip
PATHS = pd.DataFrame(
    {"month_end": pd.to_datetime(["2026-01-31"]), "path": ["Actual"], "value": [1e6]}
)
MILESTONES = pd.DataFrame(
    {"month_end": pd.to_datetime(["2026-01-31"]), "target": [2e6], "name": ["FY2027"]}
)
BARS = pd.DataFrame({"period": ["Q1"], "amount_usd": [1.0], "source": ["Marketing"]})
CHARTS_OF_MONEY = {
    "quarterly_comparison": lambda currency: quarterly_comparison(
        TOTALS, 2027, "Pipeline", currency=currency
    ),
    "arr_trend": lambda currency: arr_trend(ARR, currency=currency),
    "goal_trajectory": lambda currency: goal_trajectory(PATHS, MILESTONES, "ARR", currency),
    "waterfall": lambda currency: waterfall(STEPS, "Bridge", currency=currency),
    "waterfall, not from zero": lambda currency: waterfall(
        STEPS, "Bridge", from_zero=False, currency=currency
    ),
    "stacked_bars": lambda currency: stacked_bars(
        BARS, "period", "amount_usd", "source", "Created", currency=currency
    ),
}


def _spec_text(chart) -> str:
    """The chart's Vega-Lite spec as text, without its ``$schema`` address."""
    spec = chart.to_dict()
    spec.pop("$schema", None)
    return json.dumps(spec, ensure_ascii=False)


@pytest.mark.parametrize("name", CHARTS_OF_MONEY)
def test_a_chart_of_money_is_drawn_in_the_store_currency(name):
    euros = _spec_text(CHARTS_OF_MONEY[name]("EUR"))
    assert "'€'" in euros  # the axis labels
    assert "(€)" in euros  # the tooltips name the currency d3 cannot write
    assert "$" not in euros
    dollars = _spec_text(CHARTS_OF_MONEY[name]("USD"))
    assert "€" not in dollars and "'$'" in dollars


def test_the_waterfall_labels_its_bars_in_the_store_currency():
    frame = waterfall(STEPS, "Bridge", currency="GBP").to_dict()["datasets"]
    texts = {row["text"] for rows in frame.values() for row in rows}
    assert texts == {"£3.00M", "£400K", "£100K", "£3.30M"}
