"""Chart builders: what the charts are given to draw."""

import pandas as pd

from core.charts import MONEY_LABELS, arr_trend, quarterly_comparison

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
