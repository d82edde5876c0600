"""Pipeline, funnel and revenue reads on small hand-built stores; every number worked by hand.

The fiscal year starts in February, so Q4 FY2027 is 1 Nov 2026 - 31 Jan 2027 and the four full
quarters before it run from 1 Nov 2025 to 31 Oct 2026.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.calendar import FiscalCalendar
from core.definitions import DEFAULT_DEFINITIONS, ProposedChange, next_version
from core.store import pipeline, revenue
from tests.core.store.helpers import load, new_store, opportunity

CALENDAR = FiscalCalendar(start_month=2, named_by="end")
Q4 = CALENDAR.parse("Q4 FY2027")
Q1 = CALENDAR.parse("Q1 FY2028")
BEFORE = date(2026, 10, 26)  # the last export before Q4
DURING = date(2026, 11, 23)  # an export inside Q4 (the as-of day)
WON = {"is_closed": True, "is_won": True, "stage": "Closed Won"}
LOST = {"is_closed": True, "is_won": False, "stage": "Closed Lost"}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = new_store(tmp_path_factory.mktemp("pipeline") / "store.duckdb")
    # The export before the quarter: what was open at its start.
    load(
        engine,
        "opportunities",
        [
            opportunity("A", 100.0, "2026-09-01", "2026-12-10"),  # stays, grows to 130
            opportunity("B", 200.0, "2026-09-02", "2026-12-15"),  # shrinks to 150, won
            opportunity("C", 50.0, "2026-09-03", "2027-01-05"),  # lost
            opportunity("D", 80.0, "2026-09-04", "2027-01-20"),  # pushed to March
            opportunity("E", 60.0, "2026-09-05", "2027-03-10"),  # pulled in
            opportunity(
                "F", 999.0, "2026-09-06", "2026-10-20", opportunity_type="expansion", **WON
            ),  # closed before the quarter
            opportunity("R", 500.0, "2026-09-07", "2026-12-01", opportunity_type="renewal"),
            # Closed in the four quarters before Q4: the win rate (new business, by amount).
            opportunity("W1", 300.0, "2025-10-01", "2026-02-10", **WON),
            opportunity("L1", 600.0, "2025-10-02", "2026-03-10", source_channel="events", **LOST),
            opportunity("L2", 300.0, "2025-10-03", "2026-06-10", source_channel="events", **LOST),
        ],
        BEFORE,
        "before.csv",
    )
    # The export inside the quarter.
    load(
        engine,
        "opportunities",
        [
            opportunity("A", 130.0, "2026-09-01", "2026-12-10"),
            opportunity("B", 150.0, "2026-09-02", "2026-11-20", **WON),
            opportunity("C", 50.0, "2026-09-03", "2027-01-05", **LOST),
            opportunity("D", 80.0, "2026-09-04", "2027-03-01"),
            opportunity("E", 60.0, "2026-09-05", "2026-12-20"),
            opportunity("G", 40.0, "2026-11-02", "2026-12-30"),  # created in the quarter
            opportunity("H", 70.0, "2026-11-03", "2027-02-15"),  # due next quarter
        ],
        DURING,
        "during.csv",
    )
    load(
        engine,
        "goals",
        [
            {"goal_id": "bookings-q4", "level": "quarterly", "goal_name": "Q4 bookings",
             "metric": "bookings", "target": 400.0, "period_label": Q4.label,
             "period_start": Q4.start, "period_end": Q4.end, "direction": "higher"},
            # A campaign's share of the same target is part of it, not added to it.
            {"goal_id": "bookings-campaign", "level": "campaign", "goal_name": "Webinar deals",
             "metric": "bookings", "target": 100.0, "period_label": Q4.label,
             "period_start": Q4.start, "period_end": Q4.end, "direction": "higher"},
        ],
        DURING,
        "goals.csv",
    )  # fmt: skip
    return engine


def test_the_waterfall_by_hand(engine):
    report = pipeline.window_waterfall(
        engine, DEFAULT_DEFINITIONS["coverage_to_go"], Q4.start, Q4.end, DURING
    )
    flow = report.waterfall
    assert report.reason is None and report.end_day == DURING
    # Open at start: A 100 + B 200 + C 50 + D 80 (E was due in March; F had closed; R renews).
    assert flow.open_at_start == 430.0
    assert flow.created == 40.0  # G
    assert flow.pulled_in == 60.0  # E
    assert flow.pushed_out == 80.0  # D
    assert flow.increased == 30.0  # A 100 -> 130
    assert flow.decreased == 50.0  # B 200 -> 150
    assert flow.won == 150.0  # B
    assert flow.lost == 50.0  # C
    assert flow.open_at_end == 230.0  # A 130 + E 60 + G 40
    # 430 + 40 + 60 - 80 + 30 - 50 - 150 - 50 = 230
    assert flow.imbalance == 0.0
    entries = dict(zip(flow.moves["opportunity_id"], flow.moves["entry"], strict=True))
    assert entries == {
        "A": "stayed", "B": "stayed", "C": "stayed", "D": "pushed_out", "E": "pulled_in",
        "G": "created",
    }  # fmt: skip


def test_no_waterfall_without_an_export_from_before_the_period(engine):
    quarter = CALENDAR.parse("Q3 FY2027")  # Aug - Oct 2026: the first export is from Oct 26
    report = pipeline.window_waterfall(
        engine, DEFAULT_DEFINITIONS["coverage_to_go"], quarter.start, quarter.end, DURING
    )
    assert report.waterfall is None
    assert "earliest opportunity export is from 26 Oct 2026" in report.reason


def test_open_pipeline_as_the_exports_stood_on_a_day(engine):
    types = ["new_business", "expansion"]
    # On Nov 1 only the October export is known: A, B, C, D due in Q4.
    assert pipeline.open_pipeline_on(engine, types, Q4.start, Q4.end, date(2026, 11, 1)) == 430.0
    # On Nov 23: A 130 + E 60 + G 40 (B won, C lost, D pushed out).
    assert pipeline.open_pipeline_on(engine, types, Q4.start, Q4.end, DURING) == 230.0


def test_coverage_by_hand(engine):
    report = pipeline.coverage_report(engine, DEFAULT_DEFINITIONS, CALENDAR, Q4, DURING)
    # Target 400 (the campaign goal is part of it); won so far 150 (B); 250 to go.
    assert report.coverage.target == 400.0 and report.coverage.won_to_date == 150.0
    assert report.coverage.value == pytest.approx(230.0 / 250.0)
    # Win rate over Nov 2025 - Oct 2026: won 300 of 300 + 600 + 300 closed = 25%; 1 / 25% = 4x.
    assert report.win_rate == pytest.approx(0.25)
    assert report.required.value == pytest.approx(4.0)
    assert report.win_rate_window == (date(2025, 11, 1), date(2026, 10, 31))
    assert report.status == "red"  # 0.92x is under 80% of 4x
    # Keeping 4x on 250 to go needs 1,000 due in the quarter; 230 in hand, 770 short.
    assert report.need.required_pipeline == pytest.approx(1000.0)
    assert report.need.gap == pytest.approx(770.0)


def test_the_registry_number_is_the_page_number(engine):
    from core.store.metrics import metric_value

    report = pipeline.coverage_report(engine, DEFAULT_DEFINITIONS, CALENDAR, Q4, DURING)
    value = metric_value(engine, DEFAULT_DEFINITIONS["coverage_to_go"], Q4.start, DURING)
    assert value == pytest.approx(report.coverage.value)
    assert metric_value(engine, DEFAULT_DEFINITIONS["coverage_to_go"], Q1.start, Q1.start) is None


def test_next_quarter_without_a_target_says_so(engine):
    report = pipeline.coverage_report(engine, DEFAULT_DEFINITIONS, CALENDAR, Q1, DURING)
    assert report.coverage.value is None
    assert report.coverage.reason == "no bookings target is set for Q1 FY2028"
    assert report.coverage.open_pipeline == 150.0  # H 70 and D 80, pushed out to March
    assert report.status is None and report.need.gap is None


def test_coverage_follows_its_definition(engine):
    definitions = dict(DEFAULT_DEFINITIONS)
    definitions["coverage_to_go"] = next_version(
        DEFAULT_DEFINITIONS["coverage_to_go"],
        ProposedChange(
            parameters={"opportunity_types": ["renewal"], "win_rate_quarters": 4},
            description="Renewal pipeline open on the day over the renewal target to go.",
            effective_from=date(2026, 1, 1),
            author="VP Sales",
            reason="Renewal coverage for the renewals desk",
        ),
        datetime(2026, 11, 23),
    )
    report = pipeline.coverage_report(engine, definitions, CALENDAR, Q4, date(2026, 11, 1))
    assert report.coverage.open_pipeline == 500.0  # only R


def test_win_rates_by_channel_by_hand(engine):
    frame = pipeline.closed_by_channel(
        engine, DEFAULT_DEFINITIONS["win_rate"], date(2025, 11, 1), date(2026, 10, 31)
    )
    rows = frame.set_index("channel")
    # paid_search: W1 won 300 (cycle 2025-10-01 -> 2026-02-10 = 132 days).
    assert rows.loc["paid_search", "win_rate_amount"] == 1.0
    assert rows.loc["paid_search", "median_cycle_days"] == 132.0
    # events: two losses, nothing won: 0% by amount and count, no cycle.
    assert rows.loc["events", "win_rate_count"] == 0.0
    assert rows.loc["events", "lost_usd"] == 900.0


def test_the_campaign_goal_is_not_added_to_the_target(engine):
    from core.store.metrics import bookings_target

    with engine.connect() as connection:
        assert bookings_target(connection, Q4.start, Q4.end) == 400.0
        assert bookings_target(connection, Q1.start, Q1.end) is None


# -- Funnel and SLA --------------------------------------------------------------------------


def lead(lead_id, created, mql=None, sql=None, opportunity=None, customer=None, **extra):
    def moment(text):
        return None if text is None else datetime.fromisoformat(text)

    row = {
        "lead_id": lead_id,
        "created_at": moment(created),
        "mql_at": moment(mql),
        "sql_at": moment(sql),
        "opportunity_at": moment(opportunity),
        "customer_at": moment(customer),
        "source_channel": "webinars",
    }
    row.update(extra)
    return row


@pytest.fixture(scope="module")
def leads_engine(tmp_path_factory):
    engine = new_store(tmp_path_factory.mktemp("funnel") / "store.duckdb")
    load(
        engine,
        "leads",
        [
            # MQL on Oct 3 08:00, worked 10 hours later, SQL 2 days after MQL.
            lead("1", "2026-10-01 08:00", "2026-10-03 08:00", "2026-10-05 08:00",
                 first_worked_at=datetime(2026, 10, 3, 18), lead_status="Connected"),
            # MQL on Oct 10, worked after 72 hours (outside 48), recycled.
            lead("2", "2026-10-02 08:00", "2026-10-10 08:00",
                 first_worked_at=datetime(2026, 10, 13, 8), lead_status="Recycled"),
            # Skipped MQL: straight to SQL on Oct 20 (counts as MQL then too), never worked.
            lead("3", "2026-10-04 08:00", None, "2026-10-20 08:00", lead_status="Open"),
            # A lead that never converted.
            lead("4", "2026-10-05 08:00", source_channel="events"),
            # MQL on Oct 31 20:00: at 'now' (Nov 1 00:00) its 48 hours have not passed.
            lead("5", "2026-10-06 08:00", "2026-10-31 20:00", source_channel="events"),
        ],
        date(2026, 11, 1),
    )  # fmt: skip
    return engine


def test_funnel_counts_by_hand(leads_engine):
    counts = pipeline.funnel_counts(leads_engine, date(2026, 10, 1), date(2026, 10, 31))
    overall = counts.overall.set_index("stage")
    # Leads: 5 created in October; 4 became MQLs (lead 3 through its SQL date).
    assert overall.loc["lead", "entered"] == 5 and overall.loc["lead", "advanced"] == 4
    # MQLs in October: 1, 2, 3, 5; SQLs since: 1 and 3.
    assert overall.loc["mql", "entered"] == 4 and overall.loc["mql", "advanced"] == 2
    # MQL -> SQL days: lead 1 took 2 days, lead 3 took 0 (same moment): median 1.
    assert overall.loc["mql", "median_days"] == pytest.approx(1.0)
    assert overall.loc["sql", "entered"] == 2 and overall.loc["sql", "advanced"] == 0
    channels = counts.by_channel.set_index(["channel", "stage"])
    assert channels.loc[("events", "lead"), "entered"] == 2
    assert channels.loc[("events", "lead"), "advanced"] == 1
    months = counts.by_month
    assert set(months["cohort_month"].dt.strftime("%Y-%m")) == {"2026-10"}


def test_funnel_counts_only_the_stages_reached_by_the_as_of_day(leads_engine):
    # As of Oct 4: lead 1's SQL (Oct 5) and lead 3's SQL (Oct 20) had not happened; lead 3,
    # which reached MQL only through that SQL, was not an MQL yet either.
    counts = pipeline.funnel_counts(
        leads_engine, date(2026, 10, 1), date(2026, 10, 4), as_of=date(2026, 10, 4)
    )
    overall = counts.overall.set_index("stage")
    assert overall.loc["lead", "entered"] == 3  # leads 1-3 created Oct 1-4 (4 on Oct 5)
    assert overall.loc["lead", "advanced"] == 1  # lead 1 (MQL Oct 3)
    assert overall.loc["mql", "entered"] == 1 and overall.loc["mql", "advanced"] == 0
    assert "sql" not in overall.index or overall.loc["sql", "entered"] == 0
    # Leads created Oct 1-10 (1, 2, 3, 4, 5), seen on Oct 10 (the default: the window's last
    # day) and on Oct 31: MQLs by Oct 10 are 1 and 2; by Oct 31 also 3 (Oct 20) and 5 (Oct 31).
    early = pipeline.funnel_counts(leads_engine, date(2026, 10, 1), date(2026, 10, 10))
    later = pipeline.funnel_counts(
        leads_engine, date(2026, 10, 1), date(2026, 10, 10), as_of=date(2026, 10, 31)
    )
    assert early.overall.set_index("stage").loc["lead", "advanced"] == 2
    assert later.overall.set_index("stage").loc["lead", "advanced"] == 4


def test_sla_counts_only_what_had_happened_by_now(leads_engine):
    # At Oct 13 00:00: lead 1 worked (Oct 3) and accepted (Oct 5); lead 2's follow-up of Oct 13
    # 08:00 had not happened, and its 48 hours from Oct 10 08:00 had passed: worked 1 of 2.
    summary = pipeline.sla(
        leads_engine,
        DEFAULT_DEFINITIONS["sales_sla"],
        date(2026, 10, 1),
        date(2026, 10, 12),
        datetime(2026, 10, 13),
    )
    assert summary.mqls == 2  # 1 and 2 (3 reaches MQL on Oct 20, 5 on Oct 31)
    assert summary.worked == 1 and summary.worked_within == 1 and summary.pending == 0
    assert summary.within_sla.value == pytest.approx(1 / 2)
    assert summary.acceptance.value == pytest.approx(1 / 2)  # lead 1's SQL; lead 2 none
    assert summary.median_hours_to_work == pytest.approx(10)


def test_sla_by_hand(leads_engine):
    summary = pipeline.sla(
        leads_engine,
        DEFAULT_DEFINITIONS["sales_sla"],
        date(2026, 10, 1),
        date(2026, 10, 31),
        datetime(2026, 11, 1),
    )
    assert summary.mqls == 4  # 1, 2, 3, 5
    assert summary.worked == 2 and summary.worked_within == 1  # 1 in 10 h; 2 in 72 h
    assert summary.pending == 1  # 5 is still inside its 48 hours
    # Within the SLA: 1 of the 3 whose window has passed (1, 2, 3).
    assert summary.within_sla.value == pytest.approx(1 / 3)
    assert summary.acceptance.value == pytest.approx(2 / 4)
    assert summary.recycled_share.value == pytest.approx(1 / 4)
    assert summary.median_hours_to_work == pytest.approx((10 + 72) / 2)


def test_sla_without_follow_up_times_is_not_judged(engine):
    assert (
        pipeline.sla(
            engine,
            DEFAULT_DEFINITIONS["sales_sla"],
            date(2026, 10, 1),
            date(2026, 10, 31),
            datetime(2026, 11, 1),
        )
        is None
    )


# -- Revenue reads ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def revenue_engine(tmp_path_factory):
    engine = new_store(tmp_path_factory.mktemp("revenue") / "store.duckdb")
    snapshot = date(2026, 11, 23)
    load(
        engine,
        "opportunities",
        [
            opportunity("N1", 100.0, "2026-08-01", "2026-09-10", account_id="X", **WON),
            opportunity("N2", 300.0, "2026-08-02", "2026-09-11", account_id="Y",
                        source_channel="sales", **WON),
            opportunity("E1", 50.0, "2026-08-10", "2026-09-12", account_id="Z",
                        opportunity_type="expansion", source_channel="customer", **WON),
            opportunity("R1", 150.0, "2026-08-11", "2026-09-13", account_id="V",
                        opportunity_type="renewal", source_channel="customer", **WON),
        ],
        snapshot,
    )  # fmt: skip
    load(
        engine,
        "touches",
        [
            # Z was touched 5 days before its expansion was created: influenced.
            {"touch_id": "T1", "touched_at": datetime(2026, 8, 5, 9), "account_id": "Z",
             "channel": "webinars", "touch_type": "attended"},
            # V was touched after its renewal was created: not influenced.
            {"touch_id": "T2", "touched_at": datetime(2026, 8, 20, 9), "account_id": "V",
             "channel": "events", "touch_type": "attended"},
        ],
        snapshot,
    )  # fmt: skip
    load(
        engine,
        "revenue",
        [
            {"account_id": "X", "month": date(2026, 9, 1), "arr_usd": 100.0, "segment": "SMB"},
            {"account_id": "X", "month": date(2026, 10, 1), "arr_usd": 100.0, "segment": "SMB"},
        ],
        snapshot,
    )
    return engine


def test_ownership_by_hand(revenue_engine):
    frame = revenue.ownership_by_day(
        revenue_engine, DEFAULT_DEFINITIONS, date(2026, 8, 1), date(2026, 10, 31)
    )
    totals = frame.drop(columns="day").sum()
    # New business 100 + 300; marketing sourced: N1 (paid search), not N2 (sales).
    assert totals["new_business_usd"] == 400.0
    assert totals["sourced_new_business_usd"] == 100.0
    # Expansion and renewal 50 + 150; influenced: E1 (touched 5 days before), not R1.
    assert totals["existing_usd"] == 200.0
    assert totals["influenced_existing_usd"] == 50.0


def test_bookings_by_type_and_arr(revenue_engine):
    frame = revenue.bookings_by_type(revenue_engine, date(2026, 8, 1), date(2026, 10, 31))
    by_type = dict(zip(frame["opportunity_type"], frame["amount_usd"], strict=True))
    assert by_type == {"expansion": 50.0, "new_business": 400.0, "renewal": 150.0}
    arr = revenue.arr_by_account(revenue_engine, date(2026, 9, 30))
    assert arr["month"].dt.strftime("%Y-%m").tolist() == ["2026-09"]
    assert arr["segment"].tolist() == ["SMB"]
