"""Recurring revenue: hand-computed bridges (monthly, by segment, by quarter), retention, logo
churn and shares; the invariants as properties; and the input checks."""

import math
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendar import FiscalCalendar
from core.revenue import (
    BRIDGE_COLUMNS,
    LOGO_CHURN_COLUMNS,
    RETENTION_COLUMNS,
    SEGMENT_BRIDGE_COLUMNS,
    LogoChurn,
    Share,
    arr_bridge,
    arr_bridge_by_segment,
    bridge_imbalance,
    logo_churn,
    logo_churn_by_period,
    period_bridge_columns,
    quarterly_bridge,
    retention_trend,
    share,
)


def arr_frame(rows):
    return pd.DataFrame(rows, columns=["account_id", "month", "arr_usd"]).assign(
        month=lambda frame: pd.to_datetime(frame["month"])
    )


# Three accounts over four months; each month exercises one component (hand-computed).
#            Jan   Feb   Mar   Apr
#   a        100   120   120     -      expansion in Feb, churn in Apr
#   b          -    50    30    30      new in Feb, contraction in Mar
#   c         80     -     -    90      churn in Feb, reactivation in Apr
ROWS = [
    ("a", "2026-01-01", 100.0),
    ("a", "2026-02-01", 120.0),
    ("a", "2026-03-01", 120.0),
    ("b", "2026-02-01", 50.0),
    ("b", "2026-03-01", 30.0),
    ("b", "2026-04-01", 30.0),
    ("c", "2026-01-01", 80.0),
    ("c", "2026-04-01", 90.0),
]


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        # start, new, reactivation, expansion, contraction, churn, end
        ("2026-02-01", (180.0, 50.0, 0.0, 20.0, 0.0, 80.0, 170.0)),
        ("2026-03-01", (170.0, 0.0, 0.0, 0.0, 20.0, 0.0, 150.0)),
        ("2026-04-01", (150.0, 0.0, 90.0, 0.0, 0.0, 120.0, 120.0)),
    ],
)
def test_bridge_components_by_hand(month, expected):
    bridge = arr_bridge(arr_frame(ROWS)).set_index("month")
    row = bridge.loc[pd.Timestamp(month)]
    assert tuple(row[list(BRIDGE_COLUMNS[1:])]) == pytest.approx(expected)


def test_first_month_has_no_bridge_and_columns_are_fixed():
    bridge = arr_bridge(arr_frame(ROWS))
    assert list(bridge.columns) == list(BRIDGE_COLUMNS)
    assert bridge["month"].min() == pd.Timestamp("2026-02-01")


def test_month_with_no_rows_at_all_still_appears():
    rows = [("a", "2026-01-01", 100.0), ("a", "2026-03-01", 100.0)]
    bridge = arr_bridge(arr_frame(rows)).set_index("month")
    assert bridge.loc[pd.Timestamp("2026-02-01"), "churn_usd"] == 100.0
    assert bridge.loc[pd.Timestamp("2026-03-01"), "reactivation_usd"] == 100.0


def test_zero_rows_count_as_no_arr():
    rows = [("a", "2026-01-01", 100.0), ("a", "2026-02-01", 0.0)]
    bridge = arr_bridge(arr_frame(rows))
    assert bridge["churn_usd"].tolist() == [100.0]


def test_input_is_not_modified():
    frame = arr_frame(ROWS)
    before = frame.copy()
    arr_bridge(frame)
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"account_id": ["a"], "arr_usd": [1.0]}), "missing"),
        (arr_frame([("a", "2026-01-01", -5.0)]), "negative"),
        (arr_frame([("a", "2026-01-01", 5.0), ("a", "2026-01-01", 6.0)]), "more than one row"),
    ],
)
def test_bad_input_is_refused(frame, message):
    with pytest.raises(ValueError, match=message):
        arr_bridge(frame)


def test_empty_input_gives_empty_bridge():
    assert arr_bridge(arr_frame([])).empty


arr_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", "e"]),
        st.integers(min_value=0, max_value=14),
        st.integers(min_value=0, max_value=500).map(float),
    ),
    max_size=60,
    unique_by=lambda row: (row[0], row[1]),
)


@settings(max_examples=150, deadline=None)
@given(arr_rows)
def test_bridge_always_balances(rows):
    frame = arr_frame(
        [
            (account, str(pd.Timestamp("2025-01-01") + pd.DateOffset(months=month))[:10], value)
            for account, month, value in rows
        ]
    )
    bridge = arr_bridge(frame)
    assert bridge_imbalance(bridge).abs().max() < 1e-6 if not bridge.empty else True
    for component in (
        "new_usd",
        "reactivation_usd",
        "expansion_usd",
        "contraction_usd",
        "churn_usd",
    ):
        assert (bridge[component] >= 0).all() if not bridge.empty else True
    # Consecutive months chain: each month starts where the previous ended.
    if len(bridge) > 1:
        assert (
            bridge["start_arr_usd"].iloc[1:].to_numpy()
            == bridge["end_arr_usd"].iloc[:-1].to_numpy()
        ).all()


# --------------------------------------------------------------------------------------------
# Shared helpers and strategies for the functions below
# --------------------------------------------------------------------------------------------
FISCAL = FiscalCalendar(start_month=2)  # Q1 FY2027 = Feb-Apr 2026, Q2 FY2027 = May-Jul 2026
FLOWS = [
    f"{component}_usd" for component in ("new", "reactivation", "expansion", "contraction", "churn")
]


def fiscal_quarter(day):
    return FISCAL.quarter_containing(day).label


def segmented_frame(rows):
    return pd.DataFrame(rows, columns=["account_id", "month", "arr_usd", "segment"]).assign(
        month=lambda frame: pd.to_datetime(frame["month"])
    )


def month_text(offset, day=1):
    """The ``day`` of the month ``offset`` months after Jan 2025, as ISO text."""
    return str(pd.Timestamp("2025-01-01") + pd.DateOffset(months=offset, days=day - 1))[:10]


def month_date(offset):
    return (pd.Timestamp("2025-01-01") + pd.DateOffset(months=offset)).date()


segmented_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", "e"]),
        st.integers(min_value=0, max_value=14),
        st.integers(min_value=0, max_value=500).map(float),
        st.sampled_from([None, "SMB", "Mid-Market", "Enterprise"]),
    ),
    max_size=60,
    unique_by=lambda row: (row[0], row[1]),
)
# Several rows of an account in a month (on any day of it) are allowed: retention and logo churn
# sum them.
repeated_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", "e"]),
        st.integers(min_value=0, max_value=14),
        st.integers(min_value=1, max_value=28),
        st.integers(min_value=0, max_value=500).map(float),
    ),
    max_size=60,
)


def from_segmented_rows(rows):
    return segmented_frame(
        [(account, month_text(month), value, segment) for account, month, value, segment in rows]
    )


def from_repeated_rows(rows):
    return arr_frame(
        [(account, month_text(month, day), value) for account, month, day, value in rows]
    )


# --------------------------------------------------------------------------------------------
# ARR bridge by segment
# --------------------------------------------------------------------------------------------
# Four accounts over three months (hand-computed). An account's segment is its segment on its
# latest month that has one:
#            Jan          Feb              Mar
#   a        100 SMB      150 Mid-Market   150 Mid-Market  -> Mid-Market: +50 expansion in Feb,
#                                                             not 100 SMB churn + 150 MM new
#   b         80 SMB        -               60 (none)      -> SMB: churn Feb, reactivation Mar
#   c          -           40 (none)        40 (none)      -> Unknown: new in Feb
#   d         30 Enterprise -                -             -> Enterprise: churn Feb, Mar all zero
SEGMENT_ROWS = [
    ("a", "2026-01-01", 100.0, "SMB"),
    ("a", "2026-02-01", 150.0, "Mid-Market"),
    ("a", "2026-03-01", 150.0, "Mid-Market"),
    ("b", "2026-01-01", 80.0, "SMB"),
    ("b", "2026-03-01", 60.0, None),
    ("c", "2026-02-01", 40.0, None),
    ("c", "2026-03-01", 40.0, None),
    ("d", "2026-01-01", 30.0, "Enterprise"),
]


@pytest.mark.parametrize(
    ("segment", "month", "expected"),
    [
        # start, new, reactivation, expansion, contraction, churn, end
        ("Enterprise", "2026-02-01", (30.0, 0.0, 0.0, 0.0, 0.0, 30.0, 0.0)),
        ("Enterprise", "2026-03-01", (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
        ("Mid-Market", "2026-02-01", (100.0, 0.0, 0.0, 50.0, 0.0, 0.0, 150.0)),
        ("Mid-Market", "2026-03-01", (150.0, 0.0, 0.0, 0.0, 0.0, 0.0, 150.0)),
        ("SMB", "2026-02-01", (80.0, 0.0, 0.0, 0.0, 0.0, 80.0, 0.0)),
        ("SMB", "2026-03-01", (0.0, 0.0, 60.0, 0.0, 0.0, 0.0, 60.0)),
        # c's first month is Feb, yet its segment's bridge still has Feb (new 40)
        ("Unknown", "2026-02-01", (0.0, 40.0, 0.0, 0.0, 0.0, 0.0, 40.0)),
        ("Unknown", "2026-03-01", (40.0, 0.0, 0.0, 0.0, 0.0, 0.0, 40.0)),
    ],
)
def test_segment_bridge_by_hand(segment, month, expected):
    bridge = arr_bridge_by_segment(segmented_frame(SEGMENT_ROWS)).set_index(["segment", "month"])
    row = bridge.loc[(segment, pd.Timestamp(month))]
    assert tuple(row[list(BRIDGE_COLUMNS[1:])]) == pytest.approx(expected)


def test_segment_bridges_are_sorted_complete_and_add_up_to_the_total():
    frame = segmented_frame(SEGMENT_ROWS)
    bridge = arr_bridge_by_segment(frame)
    assert list(bridge.columns) == list(SEGMENT_BRIDGE_COLUMNS)
    assert bridge["segment"].tolist() == [
        "Enterprise",
        "Enterprise",
        "Mid-Market",
        "Mid-Market",
        "SMB",
        "SMB",
        "Unknown",
        "Unknown",
    ]
    # Feb: start 100+80+30 = 210, new 40, expansion 50, churn 80+30 = 110, end 150+40 = 190.
    # Mar: start 190, reactivation 60, end 150+60+40 = 250.
    total = bridge.groupby("month")[list(BRIDGE_COLUMNS[1:])].sum()
    assert total.loc[pd.Timestamp("2026-02-01")].tolist() == [
        210.0,
        40.0,
        0.0,
        50.0,
        0.0,
        110.0,
        190.0,
    ]
    assert total.loc[pd.Timestamp("2026-03-01")].tolist() == [
        190.0,
        0.0,
        60.0,
        0.0,
        0.0,
        0.0,
        250.0,
    ]
    expected = arr_bridge(frame.drop(columns="segment")).set_index("month")
    pd.testing.assert_frame_equal(total, expected, check_names=False)


def test_segment_bridge_of_nothing_is_empty_with_the_columns():
    bridge = arr_bridge_by_segment(segmented_frame([]))
    assert bridge.empty
    assert list(bridge.columns) == list(SEGMENT_BRIDGE_COLUMNS)


@settings(max_examples=60, deadline=None)
@given(segmented_rows)
def test_segment_bridges_sum_to_the_total_bridge(rows):
    frame = from_segmented_rows(rows)
    by_segment = arr_bridge_by_segment(frame)
    total = arr_bridge(frame.drop(columns="segment"))
    if total.empty:
        assert by_segment.empty
        return
    summed = by_segment.groupby("month")[list(BRIDGE_COLUMNS[1:])].sum()
    expected = total.set_index("month")
    assert (summed - expected).abs().to_numpy().max() < 1e-6
    # every segment has every month of the overall range
    for _, months in by_segment.groupby("segment")["month"]:
        assert months.tolist() == total["month"].tolist()
    assert bridge_imbalance(by_segment).abs().max() < 1e-6


# --------------------------------------------------------------------------------------------
# Quarterly bridge
# --------------------------------------------------------------------------------------------
# Jan-Jun 2026; the bridge starts in Feb (Jan has no known start). With the fiscal year starting
# in February, Feb-Apr is Q1 FY2027 and May-Jun the first two months of Q2 FY2027 (in progress).
#            Jan  Feb  Mar  Apr  May  Jun
#   a        100  100   -   120  120  120   churn Mar, reactivation Apr: both inside Q1
#   b         50   50   50   -    60   60   churn Apr (Q1), reactivation May (Q2): across quarters
#   c          -   30   30   40   40   20   new Feb, expansion Apr, contraction Jun
# Monthly:  Feb  start 150, new 30, end 180
#           Mar  start 180, churn 100 (a), end 80
#           Apr  start 80, reactivation 120 (a), expansion 10 (c), churn 50 (b), end 160
#           May  start 160, reactivation 60 (b), end 220
#           Jun  start 220, contraction 20 (c), end 200
QUARTER_ROWS = [
    ("a", "2026-01-01", 100.0),
    ("a", "2026-02-01", 100.0),
    ("a", "2026-04-01", 120.0),
    ("a", "2026-05-01", 120.0),
    ("a", "2026-06-01", 120.0),
    ("b", "2026-01-01", 50.0),
    ("b", "2026-02-01", 50.0),
    ("b", "2026-03-01", 50.0),
    ("b", "2026-05-01", 60.0),
    ("b", "2026-06-01", 60.0),
    ("c", "2026-02-01", 30.0),
    ("c", "2026-03-01", 30.0),
    ("c", "2026-04-01", 40.0),
    ("c", "2026-05-01", 40.0),
    ("c", "2026-06-01", 20.0),
]


@pytest.mark.parametrize(
    ("data_through", "period", "expected"),
    [
        # first month, last month, months, start, new, reactivation, expansion, contraction, churn, end
        # Q1: start of Feb 150; new 30; reactivation 120 (a); expansion 10; churn 100 + 50; end of Apr 160
        (
            "2026-06-01",
            "Q1 FY2027",
            ("2026-02-01", "2026-04-01", 3, 150.0, 30.0, 120.0, 10.0, 0.0, 150.0, 160.0),
        ),
        # Q2 in progress, two months: start of May 160; reactivation 60 (b); contraction 20; end of Jun 200
        (
            "2026-06-01",
            "Q2 FY2027",
            ("2026-05-01", "2026-06-01", 2, 160.0, 0.0, 60.0, 0.0, 20.0, 0.0, 200.0),
        ),
        # Data through May only: Q2 has one month, start 160, reactivation 60, end 220
        (
            "2026-05-01",
            "Q2 FY2027",
            ("2026-05-01", "2026-05-01", 1, 160.0, 0.0, 60.0, 0.0, 0.0, 0.0, 220.0),
        ),
        # Data through Mar only: Q1 has two months, start 150, new 30, churn 100, end 80
        (
            "2026-03-01",
            "Q1 FY2027",
            ("2026-02-01", "2026-03-01", 2, 150.0, 30.0, 0.0, 0.0, 0.0, 100.0, 80.0),
        ),
    ],
)
def test_quarterly_bridge_by_hand(data_through, period, expected):
    rows = [row for row in QUARTER_ROWS if row[1] <= data_through]
    quarters = quarterly_bridge(arr_bridge(arr_frame(rows)), fiscal_quarter).set_index("period")
    row = quarters.loc[period]
    first_month, last_month, months, *amounts = expected
    assert row["first_month"] == pd.Timestamp(first_month)
    assert row["last_month"] == pd.Timestamp(last_month)
    assert row["months"] == months
    assert tuple(row[["start_arr_usd", *FLOWS, "end_arr_usd"]]) == pytest.approx(tuple(amounts))


def test_quarterly_bridge_columns_order_and_balance():
    quarters = quarterly_bridge(arr_bridge(arr_frame(QUARTER_ROWS)), fiscal_quarter)
    assert list(quarters.columns) == list(period_bridge_columns())
    assert quarters["period"].tolist() == ["Q1 FY2027", "Q2 FY2027"]
    assert quarters["months"].dtype.kind == "i"
    assert bridge_imbalance(quarters).abs().max() < 1e-9


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        # SEGMENT_ROWS, Feb and Mar in Q1 FY2027:
        # start, new, reactivation, expansion, contraction, churn, end
        ("Enterprise", (30.0, 0.0, 0.0, 0.0, 0.0, 30.0, 0.0)),
        ("Mid-Market", (100.0, 0.0, 0.0, 50.0, 0.0, 0.0, 150.0)),
        ("SMB", (80.0, 0.0, 60.0, 0.0, 0.0, 80.0, 60.0)),  # b churns in Feb, is back in Mar
        ("Unknown", (0.0, 40.0, 0.0, 0.0, 0.0, 0.0, 40.0)),
    ],
)
def test_quarterly_bridge_by_segment_by_hand(segment, expected):
    quarters = quarterly_bridge(
        arr_bridge_by_segment(segmented_frame(SEGMENT_ROWS)), fiscal_quarter
    )
    assert list(quarters.columns) == list(period_bridge_columns(with_segment=True))
    assert quarters["period"].unique().tolist() == ["Q1 FY2027"]
    row = quarters.set_index("segment").loc[segment]
    assert row["months"] == 2
    assert tuple(row[["start_arr_usd", *FLOWS, "end_arr_usd"]]) == pytest.approx(expected)


def test_quarterly_bridge_of_an_empty_bridge_is_empty_with_the_columns():
    quarters = quarterly_bridge(arr_bridge(arr_frame([])), fiscal_quarter)
    assert quarters.empty
    assert list(quarters.columns) == list(period_bridge_columns())


@settings(max_examples=60, deadline=None)
@given(segmented_rows)
def test_quarterly_bridges_balance(rows):
    frame = from_segmented_rows(rows)
    for bridge in (arr_bridge(frame.drop(columns="segment")), arr_bridge_by_segment(frame)):
        quarters = quarterly_bridge(bridge, fiscal_quarter)
        if bridge.empty:
            assert quarters.empty
            continue
        assert bridge_imbalance(quarters).abs().max() < 1e-6
        assert quarters["months"].sum() == len(bridge)
        assert quarters["first_month"].is_monotonic_increasing
        for flow in FLOWS:
            assert quarters[flow].sum() == pytest.approx(bridge[flow].sum())


# --------------------------------------------------------------------------------------------
# Retention
# --------------------------------------------------------------------------------------------
# Window of 3 months; months Jan-May 2026, so the trend runs Apr (cohort: Jan) and May (cohort:
# Feb). b's Jan ARR comes as two rows on different days (two subscriptions), summed.
#            Jan        Feb  Mar  Apr  May
#   a        100        100  100  150  150   expansion
#   b        150+50=200 200  200  120  120   contraction
#   c         50         50   50   -    -    churn
#   d          -          -   80   80   80   new in Mar: in neither cohort
#   e          -         40   40   40   60   new in Feb: in May's cohort only, expansion
RETENTION_ROWS = [
    *(("a", month, 100.0) for month in ("2026-01-01", "2026-02-01", "2026-03-01")),
    *(("a", month, 150.0) for month in ("2026-04-01", "2026-05-01")),
    ("b", "2026-01-05", 150.0),
    ("b", "2026-01-20", 50.0),
    *(("b", month, 200.0) for month in ("2026-02-01", "2026-03-01")),
    *(("b", month, 120.0) for month in ("2026-04-01", "2026-05-01")),
    *(("c", month, 50.0) for month in ("2026-01-01", "2026-02-01", "2026-03-01")),
    *(("d", month, 80.0) for month in ("2026-03-01", "2026-04-01", "2026-05-01")),
    *(("e", month, 40.0) for month in ("2026-02-01", "2026-03-01", "2026-04-01")),
    ("e", "2026-05-01", 60.0),
]


@pytest.mark.parametrize(
    ("rows", "window", "month", "expected"),
    [
        # cohort accounts, cohort ARR, net retained, gross retained, NRR, GRR
        # Apr, cohort Jan {a, b, c}: 100 + 200 + 50 = 350
        #   net 150 + 120 + 0 = 270; gross min(150,100) + min(120,200) + min(0,50) = 220
        (RETENTION_ROWS, 3, "2026-04-01", (3, 350.0, 270.0, 220.0, 270 / 350, 220 / 350)),
        # May, cohort Feb {a, b, c, e}: 100 + 200 + 50 + 40 = 390
        #   net 150 + 120 + 0 + 60 = 330; gross 100 + 120 + 0 + 40 = 260
        (RETENTION_ROWS, 3, "2026-05-01", (4, 390.0, 330.0, 260.0, 330 / 390, 260 / 390)),
        # Window 1, Feb, cohort Jan {a, b, c}: net 100 + 200 + 50 = 350 = gross, NRR = GRR = 1
        (RETENTION_ROWS, 1, "2026-02-01", (3, 350.0, 350.0, 350.0, 1.0, 1.0)),
        # Window 1, Mar, cohort Feb {a, b, c, e} = 390; d (new in Mar) adds nothing: 390 / 390
        (RETENTION_ROWS, 1, "2026-03-01", (4, 390.0, 390.0, 390.0, 1.0, 1.0)),
        # a: Jan 100, Feb only a zero row, Mar 100; window 1. Feb: cohort Jan {a}, all lost.
        (
            [("a", "2026-01-01", 100.0), ("a", "2026-02-01", 0.0), ("a", "2026-03-01", 100.0)],
            1,
            "2026-02-01",
            (1, 100.0, 0.0, 0.0, 0.0, 0.0),
        ),
        # Mar: nobody had ARR in Feb, so the cohort is empty and the rates undefined
        (
            [("a", "2026-01-01", 100.0), ("a", "2026-02-01", 0.0), ("a", "2026-03-01", 100.0)],
            1,
            "2026-03-01",
            (0, 0.0, 0.0, 0.0, math.nan, math.nan),
        ),
    ],
)
def test_retention_by_hand(rows, window, month, expected):
    trend = retention_trend(arr_frame(rows), window_months=window).set_index("month")
    row = trend.loc[pd.Timestamp(month)]
    assert row["cohort_accounts"] == expected[0]
    assert tuple(row[list(RETENTION_COLUMNS[2:7])]) == pytest.approx(expected[1:], nan_ok=True)
    if math.isnan(expected[4]):
        assert row["reason"] == "no account had ARR in Feb 2026"
    else:
        assert row["reason"] is None


def test_retention_months_run_from_first_month_plus_window_to_the_last():
    trend = retention_trend(arr_frame(RETENTION_ROWS), window_months=3)
    assert list(trend.columns) == list(RETENTION_COLUMNS)
    assert trend["month"].tolist() == [pd.Timestamp("2026-04-01"), pd.Timestamp("2026-05-01")]
    assert trend["cohort_accounts"].dtype.kind == "i"


def test_retention_defaults_to_twelve_months():
    # 13 months, Jan 2025 to Jan 2026: one annual rate, for Jan 2026 against Jan 2025.
    rows = [("a", month_text(offset), 100.0 + 10 * offset) for offset in range(13)]
    trend = retention_trend(arr_frame(rows))
    assert trend["month"].tolist() == [pd.Timestamp("2026-01-01")]
    assert trend["nrr"].tolist() == [pytest.approx(220.0 / 100.0)]
    assert trend["grr"].tolist() == [1.0]


@pytest.mark.parametrize(
    "rows",
    [
        [],  # no data at all
        [("a", "2026-01-01", 100.0), ("a", "2026-02-01", 100.0)],  # two months, window 12
    ],
)
def test_retention_without_enough_history_is_empty_with_the_columns(rows):
    trend = retention_trend(arr_frame(rows))
    assert trend.empty
    assert list(trend.columns) == list(RETENTION_COLUMNS)


@settings(max_examples=60, deadline=None)
@given(repeated_rows, st.integers(min_value=1, max_value=6))
def test_grr_is_between_zero_and_one_and_never_above_nrr(rows, window):
    trend = retention_trend(from_repeated_rows(rows), window_months=window)
    defined = trend[trend["cohort_accounts"] > 0]
    assert (defined["grr"] >= 0).all()
    assert (defined["grr"] <= 1).all()
    assert (defined["grr"] <= defined["nrr"]).all()
    assert defined["reason"].isna().all()
    undefined = trend[trend["cohort_accounts"] == 0]
    assert undefined["nrr"].isna().all() and undefined["grr"].isna().all()
    assert undefined["reason"].str.startswith("no account had ARR in ").all()
    assert not trend[["nrr", "grr"]].isin([math.inf, -math.inf]).any().any()


# --------------------------------------------------------------------------------------------
# Logo churn
# --------------------------------------------------------------------------------------------
#            Jan  Feb  Mar  Apr  May
#   a        100  100  100  100  100   stays
#   b         50   -    -    50   50   lapses in Feb, back by Apr
#   c         80   80   -    -    80   lapses in Mar, back only in May
#   d          -   30   30   -    -    new in Feb, gone in Apr
#   e         20   20   20   20    0   a zero row in May
LOGO_ROWS = [
    *(("a", f"2026-0{month}-01", 100.0) for month in range(1, 6)),
    ("b", "2026-01-01", 50.0),
    ("b", "2026-04-01", 50.0),
    ("b", "2026-05-01", 50.0),
    ("c", "2026-01-01", 80.0),
    ("c", "2026-02-01", 80.0),
    ("c", "2026-05-01", 80.0),
    ("d", "2026-02-01", 30.0),
    ("d", "2026-03-01", 30.0),
    *(("e", f"2026-0{month}-01", 20.0) for month in range(1, 5)),
    ("e", "2026-05-01", 0.0),
]
LOGO_PERIODS = [
    # Feb-Apr: at start (Jan) a, b, c, e = 4; in Apr a, b (back), e; c lapsed (back only in May)
    ("Feb-Apr", date(2026, 2, 1), date(2026, 4, 30), LogoChurn(4, 1, 0.25, None)),
    # Feb-May: at start a, b, c, e; in May a, b, c; e is at zero
    ("Feb-May", date(2026, 2, 1), date(2026, 5, 1), LogoChurn(4, 1, 0.25, None)),
    # Mar-Apr: at start (Feb) a, c, d, e (b lapsed); in Apr c and d have no ARR
    ("Mar-Apr", date(2026, 3, 15), date(2026, 4, 15), LogoChurn(4, 2, 0.5, None)),
    # May: at start (Apr) a, b, e; e at zero in May
    ("May", date(2026, 5, 1), date(2026, 5, 31), LogoChurn(3, 1, 1 / 3, None)),
    # Jan: nobody paid in Dec 2025
    (
        "Jan",
        date(2026, 1, 1),
        date(2026, 1, 31),
        LogoChurn(0, 0, None, "no paying accounts at the start of Jan 2026"),
    ),
]


@pytest.mark.parametrize(("label", "first_month", "last_month", "expected"), LOGO_PERIODS)
def test_logo_churn_by_hand(label, first_month, last_month, expected):
    assert logo_churn(arr_frame(LOGO_ROWS), first_month, last_month) == expected


def test_logo_churn_by_period_has_a_row_per_period_in_order():
    churn = logo_churn_by_period(
        arr_frame(LOGO_ROWS), [(label, first, last) for label, first, last, _ in LOGO_PERIODS]
    )
    assert list(churn.columns) == list(LOGO_CHURN_COLUMNS)
    assert churn["period"].tolist() == [label for label, *_ in LOGO_PERIODS]
    assert churn["accounts_at_start"].tolist() == [4, 4, 4, 3, 0]
    assert churn["churned_accounts"].tolist() == [1, 1, 2, 1, 0]
    assert churn["rate"].tolist()[:4] == pytest.approx([0.25, 0.25, 0.5, 1 / 3])
    assert math.isnan(churn["rate"].iloc[4])
    assert churn["reason"].tolist() == [None] * 4 + ["no paying accounts at the start of Jan 2026"]


def test_logo_churn_by_period_without_periods_is_empty_with_the_columns():
    churn = logo_churn_by_period(arr_frame(LOGO_ROWS), [])
    assert churn.empty
    assert list(churn.columns) == list(LOGO_CHURN_COLUMNS)


@settings(max_examples=60, deadline=None)
@given(
    repeated_rows, st.integers(min_value=0, max_value=15), st.integers(min_value=0, max_value=15)
)
def test_logo_churn_rate_is_between_zero_and_one(rows, start, end):
    first, last = sorted((start, end))
    churn = logo_churn(from_repeated_rows(rows), month_date(first), month_date(last))
    assert 0 <= churn.churned_accounts <= churn.accounts_at_start
    if churn.accounts_at_start:
        assert 0 <= churn.rate <= 1 and churn.reason is None
    else:
        assert churn.rate is None and churn.reason.startswith("no paying accounts at the start of ")


# --------------------------------------------------------------------------------------------
# Shares
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("part", "whole", "what", "expected"),
    [
        # marketing sourced $30K of $120K new business: 30 / 120 = 25%
        (30_000.0, 120_000.0, "new-business bookings", Share(30_000.0, 120_000.0, 0.25, None)),
        (0.0, 50.0, "expansion and renewal bookings", Share(0.0, 50.0, 0.0, None)),
        (40.0, 40.0, "new-business bookings", Share(40.0, 40.0, 1.0, None)),
        # within rounding of the whole: capped at 100%
        (
            40.0 * (1 + 1e-12),
            40.0,
            "new-business bookings",
            Share(40.0 * (1 + 1e-12), 40.0, 1.0, None),
        ),
        # no whole: undefined, with the reason
        (0.0, 0.0, "new-business bookings", Share(0.0, 0.0, None, "no new-business bookings")),
        (10.0, 0.0, "new-business bookings", Share(10.0, 0.0, None, "no new-business bookings")),
    ],
)
def test_share_by_hand(part, whole, what, expected):
    assert share(part, whole, what) == expected


@pytest.mark.parametrize(
    ("part", "whole", "what", "message"),
    [
        (-1.0, 10.0, "bookings", "part of bookings cannot be negative, got -1"),
        (1.0, -10.0, "bookings", "whole of bookings cannot be negative, got -10"),
        (12.0, 10.0, "bookings", r"part of bookings \(12\) cannot be more than the whole \(10\)"),
        (math.nan, 10.0, "bookings", "part of bookings must be a finite number"),
        (1.0, math.inf, "bookings", "whole of bookings must be a finite number"),
        (1.0, 10.0, " ", "what must say what the whole is"),
    ],
)
def test_bad_share_is_refused(part, whole, what, message):
    with pytest.raises(ValueError, match=message):
        share(part, whole, what)


# --------------------------------------------------------------------------------------------
# Inputs are never modified
# --------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(segmented_rows)
def test_no_function_modifies_its_input(rows):
    frame = from_segmented_rows(rows)
    before = frame.copy()
    bridge = arr_bridge_by_segment(frame)
    bridge_before = bridge.copy()
    quarterly_bridge(bridge, fiscal_quarter)
    plain = frame.drop(columns="segment")
    plain_before = plain.copy()
    retention_trend(plain, window_months=2)
    logo_churn(plain, date(2025, 3, 1), date(2025, 6, 1))
    logo_churn_by_period(plain, [("Q", date(2025, 3, 1), date(2025, 5, 1))])
    pd.testing.assert_frame_equal(frame, before)
    pd.testing.assert_frame_equal(bridge, bridge_before)
    pd.testing.assert_frame_equal(plain, plain_before)


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------
GOOD = arr_frame([("a", "2026-01-01", 100.0), ("a", "2026-02-01", 100.0)])
NEGATIVE = arr_frame([("a", "2026-01-01", -5.0)])
JAN, MAR = date(2026, 1, 1), date(2026, 3, 1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: arr_bridge_by_segment(GOOD),
            r"needs columns account_id, month, arr_usd, segment; missing \['segment'\]",
        ),
        (lambda: arr_bridge_by_segment(NEGATIVE.assign(segment="SMB")), "negative"),
        (
            lambda: arr_bridge_by_segment(GOOD.assign(segment="SMB", month=pd.NaT)),
            "rows without month",
        ),
        (
            lambda: arr_bridge_by_segment(pd.concat([GOOD, GOOD]).assign(segment="SMB")),
            "more than one row",
        ),
        (lambda: retention_trend(GOOD.drop(columns="arr_usd")), r"missing \['arr_usd'\]"),
        (lambda: retention_trend(NEGATIVE), "negative"),
        (lambda: retention_trend(GOOD, window_months=0), "window_months must be at least 1, got 0"),
        (
            lambda: retention_trend(GOOD, window_months=-3),
            "window_months must be at least 1, got -3",
        ),
        (
            lambda: retention_trend(GOOD, window_months=1.5),
            "window_months must be a whole number of months, got 1.5",
        ),
        (
            lambda: retention_trend(GOOD, window_months=True),
            "window_months must be a whole number of months, got True",
        ),
        (lambda: logo_churn(GOOD.drop(columns="month"), JAN, MAR), r"missing \['month'\]"),
        (lambda: logo_churn(NEGATIVE, JAN, MAR), "negative"),
        (
            lambda: logo_churn(GOOD, MAR, JAN),
            r"first_month \(Mar 2026\) must not be after last_month \(Jan 2026\)",
        ),
        (
            lambda: logo_churn(GOOD, "2026-01-01", MAR),
            "first_month must be a date, got '2026-01-01'",
        ),
        (
            lambda: logo_churn_by_period(GOOD, [("Q1", MAR, JAN)]),
            r"first_month \(Mar 2026\) must not be after last_month \(Jan 2026\)",
        ),
        (
            lambda: logo_churn_by_period(GOOD, [("Q1", JAN)]),
            r"each period must be \(label, first_month, last_month\)",
        ),
        (
            lambda: quarterly_bridge(GOOD, fiscal_quarter),
            "bridge needs columns month, start_arr_usd",
        ),
        (
            lambda: quarterly_bridge(arr_bridge(GOOD), lambda day: None),
            "quarter_of must return a period label such as 'Q4 FY2027'; got None for Feb 2026",
        ),
        (
            lambda: quarterly_bridge(pd.concat([arr_bridge(GOOD)] * 2), fiscal_quarter),
            "more than one row for a month",
        ),
        # Feb and Apr 2026 without Mar: Q1 FY2027 cannot start at Feb and end at Apr
        (
            lambda: quarterly_bridge(
                arr_bridge(arr_frame(QUARTER_ROWS)).drop(index=1), fiscal_quarter
            ),
            r"the months of Q1 FY2027 in the bridge are not consecutive \(2 months between Feb 2026 and Apr 2026\)",
        ),
    ],
)
def test_bad_input_to_the_new_functions_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
