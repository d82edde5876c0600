"""ARR bridge: hand-computed months, the balancing identity, and input checks."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.revenue import BRIDGE_COLUMNS, arr_bridge, bridge_imbalance


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
