"""Forecast accuracy view helpers: the charts are given what they should draw."""

from datetime import date

import pandas as pd

from core.forecasting import horizon_table, score
from ui.forecasts import call_history_chart, calls_through, horizon_chart, in_sentence

Q3 = {
    "period_label": "Q3 FY2027",
    "period_start": date(2026, 8, 1),
    "period_end": date(2026, 10, 31),
}


def _scored(actual: float = 400.0) -> pd.DataFrame:
    rows = [
        {"forecaster": who, "metric": "bookings", **Q3, "submitted_on": date(2026, month, 1),
         "category": category, "value": value, "actual": actual}
        for who in ("Ana", "Ben")
        for month in (8, 9, 10)
        for category, value in (("commit", 300.0), ("most_likely", 380.0), ("best_case", 450.0))
    ]  # fmt: skip
    return score(pd.DataFrame(rows))


def test_the_call_history_names_forecasters_once_and_rules_the_actual():
    spec = call_history_chart(_scored(), "bookings", "Q3 FY2027", None).to_dict()
    band, line, rule, _label = spec["layer"]
    assert band["encoding"]["color"]["legend"] is None  # the lines carry the legend
    assert spec["resolve"] == {"legend": {"color": "independent"}}
    assert line["encoding"]["y"]["field"] == "most_likely"
    assert spec["datasets"][rule["data"]["name"]][0]["label"] == "Actual"


def test_an_open_period_is_ruled_at_the_baseline():
    spec = call_history_chart(_scored(float("nan")), "bookings", "Q3 FY2027", 420.0).to_dict()
    rule = spec["layer"][2]
    assert spec["datasets"][rule["data"]["name"]][0] == {
        "label": "Data baseline", "value": 420.0, "submitted": "2026-10-01T00:00:00",
    }  # fmt: skip


def test_the_horizon_runs_from_far_to_near():
    table = horizon_table(_scored(), by=("metric", "forecaster"))
    spec = horizon_chart(table).to_dict()
    order = spec["encoding"]["x"]["sort"]
    # Calls on 1 Aug, 1 Sep and 1 Oct for a quarter ending 31 Oct: 13.1, 8.7 and 4.3 weeks
    # out. The farthest bucket comes first, the nearest last.
    assert order == ["13-26 weeks", "8-13 weeks", "4-8 weeks"]


def test_calls_made_since_the_data_count_only_in_a_live_review():
    live = calls_through(date(2026, 11, 23), date(2026, 11, 23), date(2026, 11, 24))
    assert live == date(2026, 11, 24)
    looking_back = calls_through(date(2026, 10, 1), date(2026, 11, 23), date(2026, 11, 24))
    assert looking_back == date(2026, 10, 1)


def test_a_metric_reads_naturally_inside_the_sentence():
    assert in_sentence("Bookings") == "bookings"
    assert in_sentence("Pipeline created") == "pipeline created"
    assert in_sentence("MQLs") == "MQLs"
