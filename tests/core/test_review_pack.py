"""The pack's sections, from a small hand-written snapshot: money in the frozen currency."""

from __future__ import annotations

from datetime import date

import pytest

from core.review_pack import PackContent, sections

SNAPSHOT = {
    "period": "Q4 FY2027",
    "to_date": "2026-11-23",
    "headlines": [
        {"metric": "arr", "label": "ARR", "value": 36_044_920.0, "last_year": 30_000_000.0,
         "unit": "usd", "reference": "ARR (definition v1)"},
    ],
    "goals": [],
    "revenue": {
        "month": "Nov 2026", "arr": 36_044_920.0, "nrr": 1.05, "grr": 0.9,
        "quarters": [
            {"period": "Q4 FY2027", "start_arr_usd": 35_000_000.0, "new_usd": 845_300.0,
             "reactivation_usd": 0.0, "expansion_usd": 300_000.0, "contraction_usd": 0.0,
             "churn_usd": 100_380.0, "end_arr_usd": 36_044_920.0},
        ],
    },
    "pipeline": {"coverage": [], "waterfall": {}},
    "forecasts": {"sentence": None, "current": [], "accuracy": []},
    "scenario": None,
    "working": {
        "model": "w_shaped", "level": "channel", "period": "Q4 FY2027",
        "best": [{"name": "Webinars", "pipeline_roi": 12.5, "spend_usd": 20_000.0,
                  "pipeline_usd": 250_000.0, "bookings_usd": 60_000.0}],
        "worst": [],
    },
    "definitions": {},
}  # fmt: skip


def _text(content: PackContent) -> str:
    """Every line, header and cell of the pack's sections (charts aside)."""
    parts = []
    for section in sections(content):
        parts += section.lines
        for header, rows in section.tables:
            parts += header
            parts += [cell for row in rows for cell in row]
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("snapshot_currency", "store_currency", "shown"),
    [
        ("EUR", "USD", "EUR"),  # the currency frozen with the snapshot wins
        (None, "GBP", "GBP"),  # a snapshot from before snapshots kept it: the store's
        (None, "USD", "USD"),
    ],
)
def test_the_pack_names_the_currency_the_snapshot_is_in(snapshot_currency, store_currency, shown):
    snapshot = {**SNAPSHOT, "currency": snapshot_currency}
    content = PackContent(1, date(2026, 11, 23), "Dana", snapshot, [], [], store_currency)
    assert content.currency == shown


@pytest.mark.parametrize(
    ("currency", "expected", "absent"),
    [
        ("EUR", ("€36.0M", "€845K", "-€100K", "€0", "€12.50", "Pipeline per €", "per euro."), "$"),
        ("GBP", ("£36.0M", "£845K", "-£100K", "£12.50", "Pipeline per £", "per pound."), "$"),
        ("USD", ("$36.0M", "$845K", "-$100K", "$0", "$12.50", "Pipeline per $", "per dollar."),
         "€"),
    ],
)  # fmt: skip
def test_every_amount_in_the_pack_is_in_its_currency(currency, expected, absent):
    content = PackContent(1, date(2026, 11, 23), "Dana", {**SNAPSHOT, "currency": currency}, [], [])
    text = _text(content)
    for piece in expected:
        assert piece in text, piece
    assert absent not in text


def test_a_redefined_goal_reads_as_reported_and_restated_in_the_pack():
    """Issue 26, finding 1: the pack says what a definition change did to a goal's status."""
    from core.review_pack import _goal_status

    goal = {"status": "green", "definition_version": 2, "reported_version": 1.0,
            "reported_status": "red"}  # fmt: skip
    assert _goal_status(goal) == "On track (restated v2; as reported v1: Off track)"
    assert _goal_status({"status": "amber", "reported_version": None}) == "At risk"
