"""Forecasts in a small hand-built store: actuals, stage win rates, slip, the baseline, entries.

The store (fiscal years start in February: Q3 FY2027 is Aug-Oct 2026, Q4 is Nov 2026-Jan 2027)
holds three weekly Salesforce snapshots:

- 3 Aug 2026: A (Prospecting, 100, due 30 Sep), B (Negotiation, 200, due 15 Oct),
  C (Prospecting, 300, due 15 Dec), E (Negotiation, 500, due 1 Oct), G (Negotiation, 300,
  due 15 Sep), all open;
- 31 Oct 2026: A won on 28 Sep, G won on 10 Sep, E lost on 2 Oct; B slipped to 5 Dec; C moved to
  Negotiation;
- 20 Nov 2026: as on 31 Oct, plus D (Prospecting, 400, due 10 Jan 2027) and F (won on 10 Nov,
  250, never seen open).
"""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest

from core.calendar import FiscalCalendar
from core.definitions import DEFAULT_DEFINITIONS
from core.store import forecasts as store_forecasts
from core.store import queries
from tests.core.store.helpers import load, new_store, opportunity

CALENDAR = FiscalCalendar(2)
AS_OF = date(2026, 11, 23)
Q3 = CALENDAR.parse("Q3 FY2027")
Q4 = CALENDAR.parse("Q4 FY2027")
TYPES = ["new_business", "expansion"]


def _won(row: dict, closed: str) -> dict:
    return {**row, "is_closed": True, "is_won": True, "stage": "Closed Won",
            "close_date": date.fromisoformat(closed)}  # fmt: skip


def _lost(row: dict, closed: str) -> dict:
    return {**row, "is_closed": True, "is_won": False, "stage": "Closed Lost",
            "close_date": date.fromisoformat(closed)}  # fmt: skip


@pytest.fixture
def engine(tmp_path):
    engine = new_store(tmp_path / "forecasts.duckdb")
    a = opportunity("A", 100, "2026-07-01", "2026-09-30")
    b = opportunity("B", 200, "2026-07-01", "2026-10-15", stage="Negotiation")
    c = opportunity("C", 300, "2026-07-01", "2026-12-15")
    e = opportunity("E", 500, "2026-07-01", "2026-10-01", stage="Negotiation")
    g = opportunity("G", 300, "2026-07-01", "2026-09-15", stage="Negotiation")
    load(engine, "opportunities", [a, b, c, e, g], date(2026, 8, 3))
    october = [
        _won(a, "2026-09-28"),
        {**b, "close_date": date(2026, 12, 5)},
        {**c, "stage": "Negotiation"},
        _lost(e, "2026-10-02"),
        _won(g, "2026-09-10"),
    ]
    load(engine, "opportunities", october, date(2026, 10, 31))
    d = opportunity("D", 400, "2026-11-02", "2027-01-10")
    f = _won(opportunity("F", 250, "2026-10-01", "2026-11-10"), "2026-11-10")
    load(engine, "opportunities", [*october, d, f], date(2026, 11, 20))
    return engine


def _forecast(who: str, submitted: str, period, value: float, category="most_likely") -> dict:
    return {
        "forecast_id": f"{who}-{submitted}-{period.label}-{category}",
        "submitted_on": date.fromisoformat(submitted),
        "period_label": period.label,
        "period_start": period.start,
        "period_end": period.end,
        "metric": "bookings",
        "value": value,
        "category": category,
        "forecaster": who,
    }


def test_stage_win_rates_count_each_deal_once_per_stage_it_was_seen_in(engine):
    rates = store_forecasts.stage_win_rates(engine, AS_OF, TYPES)
    # Closed deals seen open: A in Prospecting (100, won); E (500, lost) and G (300, won) in
    # Negotiation. F was never seen open; B, C and D are still open.
    assert rates == {"Prospecting": (1.0, 1), "Negotiation": (pytest.approx(300 / 800), 2)}


def test_slip_is_measured_at_the_same_point_of_earlier_quarters(engine):
    # 22 days into Q4; 22 days into Q3 (23 Aug) the latest snapshot was 3 Aug, showing A, B, E
    # and G due in Q3 (1,100). Only B (200) did not close in Q3: 200 / 1,100.
    rate, deals = store_forecasts.slip_rate(engine, AS_OF, CALENDAR, TYPES, Q4)
    assert rate == pytest.approx(200 / 1_100)
    assert deals == 4


def test_the_baseline_by_hand(engine):
    call = store_forecasts.baseline(engine, "bookings", Q4, AS_OF, CALENDAR, DEFAULT_DEFINITIONS)
    # Won to date: F, 250. Open and due in Q4: B 200 and C 300 in Negotiation (3/8), D 400 in
    # Prospecting (1.0): 75 + 112.5 + 400 = 587.5, times (1 - 2/11) = 480.68...
    expected_open = 587.5 * (1 - 200 / 1_100)
    assert call.method == "pipeline"
    assert call.to_date == pytest.approx(250)
    assert call.open_amount == pytest.approx(900)
    assert call.expected_from_open == pytest.approx(expected_open)
    assert call.value == pytest.approx(250 + expected_open)
    assert "3 open deals due in Q4 FY2027" in call.note


def test_forecasts_are_judged_against_the_metric_in_effect(engine):
    load(
        engine,
        "forecasts",
        [
            _forecast("Ana", "2026-09-01", Q3, 700.0),
            _forecast("Ana", "2026-09-01", Q3, 1_000.0, category="best_case"),  # never judged
            _forecast("Ana", "2026-10-20", Q3, 500.0),
            _forecast("Ana", "2026-11-16", Q4, 900.0),
        ],
        date(2026, 11, 20),
    )
    rows = store_forecasts.forecasts_with_actuals(engine, AS_OF, DEFAULT_DEFINITIONS)
    by_day = rows[rows["category"] == "most_likely"].set_index("submitted_on")
    # Q3 bookings: A 100 + G 300 won (E lost) = 400; Q4 is open: 250 won to date.
    assert by_day.loc[date(2026, 9, 1), "actual"] == pytest.approx(400)
    assert math.isnan(by_day.loc[date(2026, 11, 16), "actual"])
    assert by_day.loc[date(2026, 11, 16), "to_date"] == pytest.approx(250)
    report = store_forecasts.accuracy_report(engine, AS_OF, CALENDAR, DEFAULT_DEFINITIONS)
    ana = report.accuracy.set_index("forecaster").loc["Ana"]
    # Judged: the latest call before Q3 ended, 500 for 400: APE 25%, bias +25%.
    assert ana["count"] == 1
    assert ana["mape"] == pytest.approx(0.25)
    assert ana["bias"] == pytest.approx(0.25)
    current = report.current.set_index("forecaster").loc["Ana"]
    assert current["most_likely"] == 900
    # Her Q4 call came 10.7 weeks before the end; 8-13 weeks out she said 700 for Q3's 400
    # (+75%), so that is the bias taken out of it: 900 / 1.75.
    assert current["horizon"] == "8-13 weeks"
    assert current["bias"] == pytest.approx(0.75)
    assert current["bias_adjusted"] == pytest.approx(900 / 1.75)
    assert [item.period_label for item in report.baselines] == ["Q4 FY2027"]


def test_plans_do_not_move_the_day_the_data_runs_to(engine):
    assert queries.data_extent(engine).data_through == date(2026, 11, 20)
    store_forecasts.submit_forecast(
        engine, "Ana", Q4, "bookings", {"most_likely": 800.0}, date(2026, 11, 25),
        now=datetime(2026, 11, 25, 9, 0),
    )  # fmt: skip
    assert queries.data_extent(engine).data_through == date(2026, 11, 20)


def test_an_entry_the_same_day_supersedes_the_earlier_one_and_both_are_kept(engine):
    day = date(2026, 11, 23)
    for value in (800.0, 850.0):
        store_forecasts.submit_forecast(
            engine, "Ana", Q4, "bookings", {"commit": 700.0, "most_likely": value}, day,
            now=datetime(2026, 11, 23, 9, 0),
        )  # fmt: skip
    rows = store_forecasts.forecast_rows(engine)
    assert sorted(rows["value"]) == [700.0, 850.0]  # the current call: commit and most likely
    with engine.connect() as connection:
        kept = connection.exec_driver_sql("select count(*) from forecasts").scalar()
    assert kept == 4  # every submission stays in the store


@pytest.mark.parametrize(
    ("who", "period", "metric", "values", "problem"),
    [
        ("", Q4, "bookings", {"most_likely": 1.0}, "the forecaster's name is required"),
        ("Ana", Q3, "bookings", {"most_likely": 1.0}, "Q3 FY2027 ended on 2026-10-31"),
        ("Ana", Q4, "win_rate", {"most_likely": 0.3}, "'win_rate' is not a metric that can be"),
        ("Ana", Q4, "bookings", {"commit": 5.0}, "The most likely value is required"),
        ("Ana", Q4, "bookings", {"most_likely": -5.0}, "must be between 0 and"),
        ("Ana", Q4, "bookings", {"most_likely": 5.0, "best_case": 4.0}, "nor most likely exceed"),
    ],
)
def test_a_wrong_entry_names_its_problem_and_stores_nothing(
    engine, who, period, metric, values, problem
):
    with pytest.raises(store_forecasts.ForecastEntryError) as refused:
        store_forecasts.submit_forecast(engine, who, period, metric, values, AS_OF)
    assert any(problem in text for text in refused.value.problems)
    assert store_forecasts.forecast_rows(engine).empty
