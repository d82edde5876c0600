"""Recurring revenue aggregated in the database: the ARR bridge, retention and logo churn.

The same numbers as :mod:`core.revenue` (the pandas reference the revenue tests check by hand;
tests hold these equal to it), but only one row per month leaves the database, never one per
account and month: at scale 100 that is 3.3M rows the Revenue page no longer ships to pandas.

Months are integers in SQL (``year * 12 + month - 1``). Account-months of the same account and
month are summed. An account's segment is the one on its latest month with a segment
(``Unknown`` when it never had one), as :func:`core.revenue.in_segment` decides.

Window functions and grouped unions, not self joins: at scale 100 a join of every account-month
with the month before needed more than the 600MB DuckDB may use; windows and aggregates spill.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.calendar import month_start
from core.revenue import (
    BRIDGE_COLUMNS,
    LOGO_CHURN_COLUMNS,
    UNKNOWN_SEGMENT,
    LogoChurn,
    combine_bridges_and_retention,
    retention_frame,
)

_MONTH = "cast(extract(year from month) * 12 + extract(month from month) - 1 as integer)"


def _month_index(day: date | pd.Period) -> int:
    return day.year * 12 + day.month - 1


def _rows(segment: str | None) -> str:
    """CTE ``monthly``: ARR per account and month index up to ``:last_month`` (one segment)."""
    chosen = ""
    if segment is not None:
        chosen = """
        and account_id in (
            select accounts.account_id
            from (select distinct account_id from current_revenue
                  where month <= :last_month) as accounts
            left join (
                select account_id, segment from (
                    select account_id, segment, row_number() over (
                        partition by account_id order by month desc
                    ) as newest
                    from current_revenue
                    where month <= :last_month and segment is not null
                ) as labelled where newest = 1
            ) as latest on latest.account_id = accounts.account_id
            where coalesce(latest.segment, :unknown_segment) = :segment
        )"""
    return f"""
    monthly as (
        select account_id, {_MONTH} as m, sum(arr_usd) as arr_usd
        from current_revenue
        where month <= :last_month {chosen}
        group by account_id, {_MONTH}
    )"""  # noqa: S608 - names and SQL are this module's constants


def _params(last_day: date, segment: str | None, **more: object) -> dict[str, object]:
    params: dict[str, object] = {"last_month": month_start(last_day), **more}
    if segment is not None:
        params["segment"] = segment
        params["unknown_segment"] = UNKNOWN_SEGMENT
    return params


def _period(m: int) -> pd.Period:
    return pd.Period(year=int(m) // 12, month=int(m) % 12 + 1, freq="M")


def month_bounds(
    connection: Connection, last_day: date, segment: str | None = None, summary: bool = True
) -> tuple[pd.Period, pd.Period] | None:
    """First and last month with any ARR row up to ``last_day`` (in the segment), or ``None``.

    ``summary=False`` reads ``current_revenue`` even where ``arr_summary`` could answer.
    """
    if segment is None and summary:
        sql = "select min(m), max(m) from arr_summary where row_count > 0 and m <= :last_m"
        first, last = connection.execute(
            sa.text(sql), {"last_m": _month_index(month_start(last_day))}
        ).one()
    else:
        first, last = connection.execute(
            sa.text(f"with {_rows(segment)} select min(m), max(m) from monthly"),  # noqa: S608 - names and SQL are this module's constants
            _params(last_day, segment),
        ).one()
    if first is None:
        return None
    return _period(first), _period(last)


def segments(connection: Connection, last_day: date) -> tuple[str, ...]:
    """Every segment named on an ARR row up to ``last_day``'s month, sorted."""
    found = connection.execute(
        sa.text(
            "select distinct segment from current_revenue "
            "where month <= :last_month and segment is not null"
        ),
        {"last_month": month_start(last_day)},
    ).scalars()
    return tuple(sorted(str(segment) for segment in found))


_BRIDGE = """
positive as (select account_id, m, arr_usd from monthly where arr_usd > 0),
ordered as (
    select m, arr_usd,
           lag(m) over by_month as previous_m,
           lag(arr_usd) over by_month as previous_usd,
           lead(m) over by_month as next_m
    from positive
    window by_month as (partition by account_id order by m)
),
events as (
    select m,
           case when previous_m = m - 1 then previous_usd else 0 end as before_usd,
           arr_usd as now_usd,
           previous_m is null as is_first
    from ordered
    union all
    select m + 1 as m, arr_usd as before_usd, 0 as now_usd, false as is_first
    from ordered where next_m is null or next_m > m + 1
)
select m,
       sum(before_usd) as start_arr_usd,
       sum(case when before_usd = 0 and is_first then now_usd else 0 end) as new_usd,
       sum(case when before_usd = 0 and not is_first then now_usd else 0 end)
           as reactivation_usd,
       sum(case when before_usd > 0 and now_usd > before_usd
                then now_usd - before_usd else 0 end) as expansion_usd,
       sum(case when before_usd > 0 and now_usd > 0 and now_usd < before_usd
                then before_usd - now_usd else 0 end) as contraction_usd,
       sum(case when before_usd > 0 and now_usd = 0 then before_usd else 0 end) as churn_usd,
       sum(now_usd) as end_arr_usd
from events
where m > :first_m and m <= :last_m
group by m
"""


def _by_month(frame: pd.DataFrame, months: pd.PeriodIndex, columns: list[str]) -> pd.DataFrame:
    values = frame.set_index("m")[columns].astype(float)
    full = values.reindex([_month_index(period) for period in months], fill_value=0.0)
    full.insert(0, "month", months.to_timestamp())
    return full.reset_index(drop=True)


def _live_bridge(
    connection: Connection, last_day: date, segment: str | None, first_m: int, last_m: int
) -> pd.DataFrame:
    """Bridge rows (``m`` and the components) for months ``first_m`` < m <= ``last_m``."""
    return pd.read_sql(
        sa.text(f"with {_rows(segment)}, {_BRIDGE}"),
        connection,
        params=_params(last_day, segment, first_m=first_m, last_m=last_m),
    )


def _summary_rows(
    connection: Connection, columns: list[str], first_m: int, last_m: int
) -> pd.DataFrame:
    return pd.read_sql(
        sa.text(
            f"select m, {', '.join(columns)} from arr_summary where m >= :first_m and m <= :last_m"  # noqa: S608 - names and SQL are this module's constants
        ),
        connection,
        params={"first_m": first_m, "last_m": last_m},
    )


def arr_bridge(
    connection: Connection, last_day: date, segment: str | None = None, summary: bool = True
) -> pd.DataFrame:
    """:func:`core.revenue.arr_bridge` of the ARR rows up to ``last_day``'s month (one
    segment, or all), computed in the database; an empty frame when there are no rows.

    For all segments the months come from ``arr_summary`` (kept by every revenue write: the
    bridge of a month depends only on that month and the one before, so any ``last_day`` reads
    a prefix of it); ``summary=False`` computes them from ``current_revenue``.
    """
    bounds = month_bounds(connection, last_day, segment, summary)
    if bounds is None:
        return pd.DataFrame()
    months = pd.period_range(*bounds, freq="M")[1:]
    if months.empty:
        return pd.DataFrame(columns=list(BRIDGE_COLUMNS))
    first_m, last_m = _month_index(months[0]), _month_index(months[-1])
    if segment is None and summary:
        frame = _summary_rows(connection, list(BRIDGE_COLUMNS[1:]), first_m, last_m)
    else:
        frame = _live_bridge(connection, last_day, segment, first_m - 1, last_m)
    return _by_month(frame, months, list(BRIDGE_COLUMNS[1:]))


_RETENTION = """
events as (
    select account_id, m + :window as m, arr_usd as cohort_usd, 0 as now_usd
    from monthly where arr_usd > 0
    union all
    select account_id, m, 0 as cohort_usd, arr_usd as now_usd from monthly
),
paired as (
    select m, sum(cohort_usd) as cohort_usd, sum(now_usd) as now_usd
    from events where m >= :first_m and m <= :last_m
    group by account_id, m
)
select m,
       sum(case when cohort_usd > 0 then 1 else 0 end) as cohort_accounts,
       sum(case when cohort_usd > 0 then cohort_usd else 0 end) as cohort_arr_usd,
       sum(case when cohort_usd > 0 then now_usd else 0 end) as net_retained_usd,
       sum(case when cohort_usd > 0 and now_usd < cohort_usd then now_usd
                when cohort_usd > 0 then cohort_usd else 0 end) as gross_retained_usd
from paired
group by m
"""


RETENTION_TOTALS = ("cohort_accounts", "cohort_arr_usd", "net_retained_usd", "gross_retained_usd")
SUMMARY_WINDOW = 12  # arr_summary keeps retention over this window (the NRR default)
SUMMARY_COLUMNS = ("row_count", *BRIDGE_COLUMNS[1:], *RETENTION_TOTALS)
_EVERYTHING = date(9999, 12, 1)


def _live_retention(
    connection: Connection,
    last_day: date,
    segment: str | None,
    window_months: int,
    first_m: int,
    last_m: int,
) -> pd.DataFrame:
    """Retention totals (``m`` and :data:`RETENTION_TOTALS`) for ``first_m`` <= m <= ``last_m``."""
    return pd.read_sql(
        sa.text(f"with {_rows(segment)}, {_RETENTION}"),
        connection,
        params=_params(
            last_day, segment, window=int(window_months), first_m=first_m, last_m=last_m
        ),
    )


def retention_trend(
    connection: Connection,
    last_day: date,
    window_months: int = 12,
    segment: str | None = None,
    summary: bool = True,
) -> pd.DataFrame:
    """:func:`core.revenue.retention_trend` of the ARR rows up to ``last_day``'s month (from
    ``arr_summary`` for all segments over :data:`SUMMARY_WINDOW` months, as in
    :func:`arr_bridge`: a month's retention depends only on it and the month a window before)."""
    bounds = month_bounds(connection, last_day, segment, summary)
    if bounds is None:
        return retention_frame(pd.PeriodIndex([], freq="M"), pd.DataFrame(), window_months)
    months = pd.period_range(*bounds, freq="M")[window_months:]
    if months.empty:
        return retention_frame(months, pd.DataFrame(), window_months)
    first_m, last_m = _month_index(months[0]), _month_index(months[-1])
    if segment is None and summary and window_months == SUMMARY_WINDOW:
        frame = _summary_rows(connection, list(RETENTION_TOTALS), first_m, last_m)
    else:
        frame = _live_retention(connection, last_day, segment, window_months, first_m, last_m)
    frame = frame[frame["cohort_accounts"] > 0]
    totals = frame.set_index(pd.PeriodIndex([_period(m) for m in frame["m"]], freq="M"))
    return retention_frame(months, totals[list(RETENTION_TOTALS)], window_months)


def refresh_summary(connection: Connection) -> None:
    """Rebuild ``arr_summary`` from ``current_revenue`` in the caller's transaction.

    One row per month from the first with ARR rows to the last: how many rows it has, its
    bridge, and its retention over :data:`SUMMARY_WINDOW` months, for all accounts.
    """
    connection.execute(sa.text("delete from arr_summary"))
    first, last = connection.execute(
        sa.text(f"with {_rows(None)} select min(m), max(m) from monthly"),  # noqa: S608 - names and SQL are this module's constants
        {"last_month": _EVERYTHING},
    ).one()
    if first is None:
        return
    first_m, last_m = int(first), int(last)
    counts = pd.read_sql(
        sa.text(f"with {_rows(None)} select m, count(*) as row_count from monthly group by m"),  # noqa: S608 - names and SQL are this module's constants
        connection,
        params={"last_month": _EVERYTHING},
    ).set_index("m")
    bridge = _live_bridge(connection, _EVERYTHING, None, first_m, last_m).set_index("m")
    retention = _live_retention(
        connection, _EVERYTHING, None, SUMMARY_WINDOW, first_m + SUMMARY_WINDOW, last_m
    ).set_index("m")
    index = pd.Index(range(first_m, last_m + 1), name="m")
    table = pd.concat(
        [
            counts.reindex(index)[["row_count"]].fillna(0).astype(int),
            bridge.reindex(index)[list(BRIDGE_COLUMNS[1:])].astype(float).fillna(0.0),
            retention.reindex(index)[list(RETENTION_TOTALS)].astype(float).fillna(0.0),
        ],
        axis=1,
    ).reset_index()
    records = [
        {"m": int(row["m"]), **{column: row[column] for column in SUMMARY_COLUMNS}}
        for row in table.to_dict(orient="records")
    ]
    columns = ", ".join(("m", *SUMMARY_COLUMNS))
    values = ", ".join(f":{column}" for column in ("m", *SUMMARY_COLUMNS))
    connection.execute(sa.text(f"insert into arr_summary ({columns}) values ({values})"), records)  # noqa: S608 - names and SQL are this module's constants


def bridges_with_retention(
    connection: Connection,
    last_day: date,
    quarter_of: Callable[[date], str],
    window_months: int = 12,
    segment: str | None = None,
    summary: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`core.revenue.bridges_with_retention`, the bridge and retention in the database."""
    months = arr_bridge(connection, last_day, segment, summary)
    if months.empty:
        months = pd.DataFrame(columns=list(BRIDGE_COLUMNS))
    retention = retention_trend(connection, last_day, window_months, segment, summary)
    return combine_bridges_and_retention(months, retention, quarter_of, window_months)


_CHURN = """
select count(*) as at_start,
       sum(case when ending.account_id is null then 1 else 0 end) as churned
from (select account_id from monthly where m = :start_m and arr_usd > 0) as starting
left join (select account_id from monthly where m = :end_m and arr_usd > 0) as ending
  on ending.account_id = starting.account_id
"""


def logo_churn_by_period(
    connection: Connection,
    last_day: date,
    periods: Sequence[tuple[str, date, date]],
    segment: str | None = None,
) -> pd.DataFrame:
    """:func:`core.revenue.logo_churn_by_period` of the ARR rows up to ``last_day``'s month."""
    rows = []
    for label, first_month, last_month in periods:
        if month_start(first_month) > month_start(last_month):
            raise ValueError(f"{label}: the first month must not be after the last")
        start = _month_index(month_start(first_month)) - 1
        at_start, churned = connection.execute(
            sa.text(f"with {_rows(segment)} {_CHURN}"),
            _params(last_day, segment, start_m=start, end_m=_month_index(last_month)),
        ).one()
        at_start, churned = int(at_start or 0), int(churned or 0)
        if at_start == 0:
            first = pd.Period(month_start(first_month), freq="M")
            label_month = f"{first.to_timestamp().month_name()[:3]} {first.year}"
            churn = LogoChurn(0, 0, None, f"no paying accounts at the start of {label_month}")
        else:
            churn = LogoChurn(at_start, churned, churned / at_start, None)
        rows.append((label, churn))
    return pd.DataFrame(
        {
            "period": pd.Series([label for label, _ in rows], dtype=object),
            "accounts_at_start": pd.Series([c.accounts_at_start for _, c in rows], dtype=int),
            "churned_accounts": pd.Series([c.churned_accounts for _, c in rows], dtype=int),
            "rate": pd.Series([np.nan if c.rate is None else c.rate for _, c in rows], dtype=float),
            "reason": pd.Series([c.reason for _, c in rows], dtype=object),
        }
    )[list(LOGO_CHURN_COLUMNS)]


def logo_churn(
    connection: Connection,
    last_day: date,
    first_month: date,
    last_month: date,
    segment: str | None = None,
) -> LogoChurn:
    """:func:`core.revenue.logo_churn` of the ARR rows up to ``last_day``'s month."""
    row = logo_churn_by_period(
        connection, last_day, [("period", first_month, last_month)], segment
    ).iloc[0]
    rate = None if pd.isna(row["rate"]) else float(row["rate"])
    return LogoChurn(
        int(row["accounts_at_start"]), int(row["churned_accounts"]), rate, row["reason"]
    )
