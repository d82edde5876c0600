"""Pipeline page view helpers: the SLA's young months are named, flagged and left out."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.funnel import Ratio, sla_summary
from core.store.pipeline import SlaReport
from ui.pipeline import month_names, sla_cards, sla_months_view, sla_young_text


def summary(mqls: int, accepted: int, recycled: int, pending: int = 0):
    return sla_summary(
        {"mqls": mqls, "worked": mqls - pending, "worked_within": mqls - pending,
         "pending": pending, "accepted": accepted, "recycled": recycled,
         "median_hours_to_work": 5.0},
        48,
    )  # fmt: skip


def report(young: tuple[date, ...], judged_mqls: int | None, wait_days: float = 7.0):
    months = pd.DataFrame(
        {
            "month": [pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01")],
            "mqls": [53, 35],
            "within_sla": [0.9, 0.84],
            "acceptance": [0.3, 0.26],
            "recycled_share": [0.34, 0.0],
            "median_hours_to_work": [15.7, 16.6],
            "too_young": [False, True],
        }
    )
    judged = None if judged_mqls is None else summary(judged_mqls, 12, 18)
    through = None if judged is None else date(2026, 10, 31)
    return SlaReport(summary(88, 20, 18, pending=2), judged, through, young, wait_days, months)


@pytest.mark.parametrize(
    ("months", "text"),
    [
        ((), ""),
        ((date(2026, 11, 1),), "November 2026"),
        ((date(2026, 11, 1), date(2026, 12, 1)), "November and December 2026"),
        ((date(2026, 12, 1), date(2027, 1, 1)), "December 2026 and January 2027"),
        (
            (date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)),
            "November, December 2026 and January 2027",
        ),
    ],
)
def test_month_names(months, text):
    assert month_names(months) == text


def test_the_months_table_flags_the_outcomes_of_young_months():
    table = sla_months_view(report((date(2026, 11, 1),), 53).months)
    assert list(table["Recycled"]) == ["34%", "0% (too young)"]
    assert list(table["Accepted as SQL"]) == ["30%", "26% (too young)"]
    assert list(table["Worked within the SLA"]) == ["90%", "84%"]  # its own window: not flagged


def test_the_cards_judge_outcomes_on_old_enough_months_only():
    within, accepted, recycled = sla_cards(report((date(2026, 11, 1),), 60))
    assert within == (
        "MQLs worked within 48 hours",
        Ratio(86 / 86),
        "86 of 86 due; 2 still inside the window",
    )
    assert accepted == ("MQLs accepted as SQLs", Ratio(12 / 60), "12 of 60 MQLs to 31 Oct 2026")
    assert recycled == (
        "MQLs recycled to marketing",
        Ratio(18 / 60),
        "18 of 60 MQLs to 31 Oct 2026",
    )


def test_with_every_month_too_young_the_outcomes_are_not_stated():
    _within, accepted, recycled = sla_cards(report((date(2026, 11, 1),), None))
    assert accepted[1] == Ratio(None, "too young to judge")
    assert recycled[2] == "November 2026: too young to judge"


@pytest.mark.parametrize(
    ("young", "wait_days", "text"),
    [
        ((), 7.0, ""),
        (
            (date(2026, 11, 1),),
            7.0,
            "November 2026 left out of acceptance and recycling: too young to judge (most MQLs "
            "that become SQLs do so within 7 days, and not all MQLs of that month have had that "
            "long). Worked within 48 hours counts every MQL whose 48 hours have passed.",
        ),
        (
            (date(2026, 12, 1), date(2027, 1, 1)),
            0.0,
            "December 2026 and January 2027 left out of acceptance and recycling: too young to "
            "judge (the months are not over). Worked within 48 hours counts every MQL whose 48 "
            "hours have passed.",
        ),
    ],
)
def test_the_page_says_which_months_are_left_out_and_why(young, wait_days, text):
    assert sla_young_text(report(young, 60, wait_days)) == text
