"""The SLA's acceptance and recycling leave out months too young to judge.

Six MQLs of Q3 FY2027 (Aug - Oct 2026), two a month, every one worked. Most MQLs here are taken
to become SQLs within 10 days, so a month is too young until 10 days after its end (the rule of
the funnel's young cohorts): the headline's outcomes count only the older months.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core.definitions import DEFAULT_DEFINITIONS
from core.store import pipeline
from tests.core.store.helpers import load, new_store
from tests.core.store.test_pipeline import lead

WAIT_DAYS = 10.0
QUARTER = (date(2026, 8, 1), date(2026, 10, 31))


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = new_store(tmp_path_factory.mktemp("sla") / "store.duckdb")
    worked = lambda text: {"first_worked_at": datetime.fromisoformat(text)}  # noqa: E731
    load(
        engine,
        "leads",
        [
            # August: one accepted (SQL a week later), one recycled; both worked in time.
            lead("A1", "2026-08-01 08:00", "2026-08-05 09:00", "2026-08-12 09:00",
                 lead_status="Connected", **worked("2026-08-05 12:00")),
            lead("A2", "2026-08-02 08:00", "2026-08-20 09:00",
                 lead_status="Recycled", **worked("2026-08-21 09:00")),
            # September: one recycled after 72 hours (late), one accepted.
            lead("S1", "2026-09-01 08:00", "2026-09-10 09:00",
                 lead_status="Recycled", **worked("2026-09-13 09:00")),
            lead("S2", "2026-09-02 08:00", "2026-09-25 09:00", "2026-10-01 09:00",
                 lead_status="Connected", **worked("2026-09-25 10:00")),
            # October: worked in time, nothing decided yet.
            lead("O1", "2026-10-01 08:00", "2026-10-10 09:00",
                 lead_status="Open", **worked("2026-10-10 11:00")),
            lead("O2", "2026-10-02 08:00", "2026-10-25 09:00",
                 lead_status="Open", **worked("2026-10-26 09:00")),
        ],
        date(2026, 11, 20),
    )  # fmt: skip
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    ("as_of", "young", "judged_through", "judged", "all_mqls"),
    [
        # 20 Nov: October ended 31 Oct, + 10 days = 10 Nov: every month is old enough.
        # Accepted A1, S2 and recycled A2, S1 of all six.
        (date(2026, 11, 20), (), date(2026, 10, 31), (6, 2 / 6, 2 / 6), (6, 5 / 6)),
        # 5 Nov: October is too young (10 Nov is after); September (10 Oct) is not.
        # August and September: 4 MQLs, 2 accepted, 2 recycled. All six were worked, five in
        # 48 hours (S1 took 72).
        (date(2026, 11, 5), (date(2026, 10, 1),), date(2026, 9, 30), (4, 0.5, 0.5), (6, 5 / 6)),
        # 5 Oct: the quarter so far is 1 Aug - 5 Oct; September (10 Oct) and October are too
        # young, August (10 Sep) is not: A1 accepted, A2 recycled. Four MQLs so far, S1 late.
        (
            date(2026, 10, 5),
            (date(2026, 9, 1), date(2026, 10, 1)),
            date(2026, 8, 31),
            (2, 0.5, 0.5),
            (4, 3 / 4),
        ),
        # 25 Aug: August itself is not over: nothing to judge acceptance or recycling on.
        (date(2026, 8, 25), (date(2026, 8, 1),), None, None, (2, 1.0)),
    ],
)
def test_the_outcomes_leave_out_young_months(
    engine, as_of, young, judged_through, judged, all_mqls
):
    report = pipeline.sla_report(
        engine,
        DEFAULT_DEFINITIONS["sales_sla"],
        QUARTER[0],
        min(QUARTER[1], as_of),
        as_of,
        WAIT_DAYS,
        datetime.combine(as_of + timedelta(days=1), datetime.min.time()),
    )
    assert report.young_months == young
    assert report.judged_through == judged_through
    if judged is None:
        assert report.judged is None
    else:
        mqls, acceptance, recycled = judged
        assert report.judged.mqls == mqls
        assert report.judged.acceptance.value == pytest.approx(acceptance)
        assert report.judged.recycled_share.value == pytest.approx(recycled)
    # Worked within 48 hours waits for each MQL's own window: every MQL so far counts.
    assert (report.all_mqls.mqls, report.all_mqls.within_sla.value) == (
        all_mqls[0],
        pytest.approx(all_mqls[1]),
    )
    # The six-month table flags the same months, and only those.
    flagged = report.months.loc[report.months["too_young"], "month"].dt.date
    assert tuple(flagged) == young
    assert len(report.months) == 6


def test_an_sla_without_follow_up_times_has_no_report(tmp_path):
    engine = new_store(tmp_path / "store.duckdb")
    load(engine, "leads", [lead("1", "2026-10-01 08:00", "2026-10-03 08:00")], date(2026, 11, 1))
    report = pipeline.sla_report(
        engine,
        DEFAULT_DEFINITIONS["sales_sla"],
        *QUARTER,
        date(2026, 11, 20),
        WAIT_DAYS,
        datetime(2026, 11, 21),
    )
    assert report is None
    engine.dispose()
