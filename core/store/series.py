"""Daily parts of a metric under a definition (see ``core.series``), one grouped query each.

The parts use the same filters as ``core.store.metrics.metric_value``, so for ``sum`` and
``level`` metrics any window of the series equals ``metric_value`` over that window (tests
check it). ``ratio`` metrics divide daily sums; where the definition counts distinct customers
(CAC, payback) a customer winning twice in one window counts twice in the series, so goals take
their value to date from ``metric_value`` and use the series only for shapes and history.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.calendar import add_months, month_start
from core.definitions import METRIC_AGGREGATIONS, MetricDefinition
from core.series import MetricSeries
from core.store import metrics, queries

OPPORTUNITY_SUMS = metrics.OPPORTUNITY_SUMS
_SERIES_COLUMNS = ["day", "numerator", "denominator"]
# The fact tables each metric reads (as the functions below read them). A metric's history
# starts where the latest of its own tables starts: spend exported only from last month says
# nothing about how complete two years of bookings are.
METRIC_TABLES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "arr": ("revenue",),
        "nrr": ("revenue",),
        "grr": ("revenue",),
        "new_arr": ("revenue",),
        "pipeline_created": ("opportunities",),
        "sourced_pipeline": ("opportunities",),
        "influenced_pipeline": ("opportunities", "touches"),
        "bookings": ("opportunities",),
        "win_rate": ("opportunities",),
        "spend": ("spend",),
        "mqls": ("leads",),
        "sqls": ("leads",),
        "cac": ("spend", "opportunities"),
        "payback": ("spend", "opportunities"),
        "cost_per_mql": ("spend", "leads"),
    }
)
# Tables a metric outside METRIC_TABLES is taken to read: the store's core sources.
CORE_TABLES = ("opportunities", "spend", "revenue")


_values = metrics.parameter_values


def _frame(days: pd.Series, numerator: pd.Series, denominator: pd.Series | float) -> pd.DataFrame:
    frame = pd.DataFrame({"day": days, "numerator": numerator.astype(float)})
    frame["denominator"] = denominator
    return frame[_SERIES_COLUMNS]


def _opportunities_by_day(
    engine: Engine,
    definition: MetricDefinition,
    first_day: date,
    last_day: date,
    campaign_id: str | None,
) -> pd.DataFrame:
    frame = queries.opportunity_amount_by_day(
        engine,
        first_day,
        last_day,
        **metrics.opportunity_filters(definition),  # type: ignore[arg-type]
        campaign_id=campaign_id,
    )
    return _frame(frame["day"], frame["amount_usd"], 1.0)


def _stages_by_day(
    engine: Engine, stages: list[str], first_day: date, last_day: date, campaign_id: str | None
) -> pd.DataFrame:
    reached = metrics.reached_date_sql(stages)
    campaign = " and source_campaign_id = :campaign_id" if campaign_id is not None else ""
    sql = sa.text(
        f"""
        with matching as (
            select {reached} as day from current_leads
            where {reached} between :first_day and :last_day{campaign}
        ),
        daily as (select day, count(*) as reached from matching group by day)
        select * from daily order by day
        """  # noqa: S608 - column names come from LEAD_STAGE_COLUMNS
    )
    params: dict[str, object] = {"first_day": first_day, "last_day": last_day}
    if campaign_id is not None:
        params["campaign_id"] = campaign_id
    with engine.connect() as connection:
        frame = pd.read_sql(sql, connection, params=params)
    return _frame(frame["day"], frame["reached"], 1.0)


def _spend_by_day(
    engine: Engine,
    definition: MetricDefinition,
    first_day: date,
    last_day: date,
    campaign_id: str | None = None,
) -> pd.DataFrame:
    frame = queries.spend_by_day(
        engine, first_day, last_day, _values(definition, "channels"), campaign_id
    )
    return frame.rename(columns={"amount_usd": "spend"})


def _won_by_day(engine: Engine, types: list[str], first_day: date, last_day: date) -> pd.DataFrame:
    sql = sa.text(
        """
        with matching as (
            select close_date as day, amount_usd, coalesce(account_id, opportunity_id) as customer
            from current_opportunities
            where is_won and opportunity_type in :types
              and close_date between :first_day and :last_day
        ),
        daily as (
            select day, sum(amount_usd) as won_usd, count(distinct customer) as customers
            from matching group by day
        )
        select * from daily order by day
        """
    ).bindparams(sa.bindparam("types", expanding=True))
    with engine.connect() as connection:
        return pd.read_sql(
            sql, connection, params={"types": types, "first_day": first_day, "last_day": last_day}
        )


def _outer(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    left = left.assign(day=pd.to_datetime(left["day"]))
    right = right.assign(day=pd.to_datetime(right["day"]))
    return left.merge(right, on="day", how="outer").fillna(0.0)


def _win_rate_by_day(
    engine: Engine, definition: MetricDefinition, first_day: date, last_day: date
) -> pd.DataFrame:
    measure = "amount_usd" if definition.parameters["basis"] == "amount" else "1"
    sql = sa.text(
        f"""
        with matching as (
            select close_date as day, is_won, {measure} as measure from current_opportunities
            where is_closed and opportunity_type in :types
              and close_date between :first_day and :last_day
        ),
        daily as (
            select day, sum(case when is_won then measure else 0 end) as won, sum(measure) as closed
            from matching group by day
        )
        select * from daily order by day
        """  # noqa: S608 - the measure is one of two fixed strings
    ).bindparams(sa.bindparam("types", expanding=True))
    with engine.connect() as connection:
        frame = pd.read_sql(
            sql,
            connection,
            params={
                "types": _values(definition, "opportunity_types"),
                "first_day": first_day,
                "last_day": last_day,
            },
        )
    return _frame(frame["day"], frame["won"], frame["closed"].astype(float))


def _new_arr_by_month(
    engine: Engine, definition: MetricDefinition, first_day: date, last_day: date
) -> pd.DataFrame:
    with engine.connect() as connection:
        bridge = metrics.arr_bridge_through(connection, last_day)
    if bridge.empty:
        return pd.DataFrame(columns=_SERIES_COLUMNS)
    bridge = bridge[bridge["month"] >= pd.Timestamp(month_start(first_day))]
    components = _values(definition, "bridge_components")
    monthly = bridge.groupby("month")[[f"{name}_usd" for name in components]].sum().sum(axis=1)
    return _frame(pd.Series(monthly.index), pd.Series(monthly.to_numpy()), 1.0)


def _months(first_day: date, last_day: date) -> list[date]:
    months, month = [], month_start(first_day)
    while month <= last_day:
        months.append(month)
        month = add_months(month, 1)
    return months


def _levels_by_month(
    engine: Engine, definition: MetricDefinition, first_day: date, last_day: date
) -> pd.DataFrame:
    months = _months(first_day, last_day)
    if definition.metric == "arr":
        minimum = float(definition.parameters["minimum_account_arr_usd"])  # type: ignore[arg-type]
        found = queries.arr_by_month(engine, months[0], months[-1], minimum)
        by_month = dict(zip(found["month"].dt.date, found["arr_usd"].astype(float), strict=True))
        values = [by_month.get(month, 0.0) for month in months]
        return _frame(pd.Series(months), pd.Series(values), 1.0)
    rows = []
    for month in months:
        value = metrics.metric_value(engine, definition, month, month)
        if value is not None:
            rows.append((month, value))
    frame = pd.DataFrame(rows, columns=["day", "numerator"])
    return _frame(frame["day"], frame["numerator"], 1.0)


def table_first_days(engine: Engine) -> dict[str, date]:
    """The first day each fact table a metric reads covers (empty tables left out), one query."""
    tables = sorted({table for tables in METRIC_TABLES.values() for table in tables})
    parts = [
        f"""
        select '{table}' as table_name,
               cast(min({queries.TABLE_DATE_COLUMNS[table]}) as date) as first_day
        from current_{table}
        """  # noqa: S608 - table and column names come from the schema, never from input
        for table in tables
    ]
    sql = sa.text(
        f"""
        with first_days as ({" union all ".join(parts)})
        select * from first_days where first_day is not null
        """  # noqa: S608 - table and column names come from the schema, never from input
    )
    with engine.connect() as connection:
        rows = connection.execute(sql).all()
    # Drivers return DATE as date, and some a cast of a TIMESTAMP as datetime.
    return {str(name): pd.Timestamp(day).date() for name, day in rows}


def history_start(first_days: Mapping[str, date], metric: str) -> date | None:
    """The first day every table ``metric`` reads covers: the latest of ``first_days`` of them.

    Tables with no rows are left out; ``None`` when none of them has any. Seasonal pacing and
    comparable periods look back no further than this day.

    Examples
    --------
    >>> firsts = {"opportunities": date(2024, 9, 1), "spend": date(2026, 10, 1)}
    >>> history_start(firsts, "bookings"), history_start(firsts, "cac")
    (datetime.date(2024, 9, 1), datetime.date(2026, 10, 1))
    """
    tables = METRIC_TABLES.get(metric, CORE_TABLES)
    days = [first_days[table] for table in tables if table in first_days]
    return max(days) if days else None


def metric_series(
    engine: Engine,
    definition: MetricDefinition,
    first_day: date,
    last_day: date,
    campaign_id: str | None = None,
) -> MetricSeries | None:
    """The metric's daily parts over the days; ``None`` for rules and ``point`` metrics.

    ``campaign_id`` limits pipeline, bookings, spend and lead-stage metrics to one campaign
    (``ValueError`` for a metric that cannot be split by campaign).
    """
    metric = definition.metric
    aggregation = METRIC_AGGREGATIONS.get(metric)
    if aggregation is None or aggregation == "point":
        return None
    splittable = metric in OPPORTUNITY_SUMS or metric in ("spend", "mqls", "sqls")
    if campaign_id is not None and not splittable:
        raise ValueError(f"{definition.label} cannot be measured for one campaign")
    if metric in OPPORTUNITY_SUMS:
        frame = _opportunities_by_day(engine, definition, first_day, last_day, campaign_id)
    elif metric == "spend":
        spend = _spend_by_day(engine, definition, first_day, last_day, campaign_id)
        frame = _frame(spend["day"], spend["spend"], 1.0)
    elif metric in ("mqls", "sqls"):
        stages = _values(definition, "mql_stages" if metric == "mqls" else "sql_stages")
        frame = _stages_by_day(engine, stages, first_day, last_day, campaign_id)
    elif metric == "new_arr":
        frame = _new_arr_by_month(engine, definition, first_day, last_day)
    elif metric in ("cac", "payback"):
        spend = _spend_by_day(engine, definition, first_day, last_day)
        won = _won_by_day(engine, _values(definition, "opportunity_types"), first_day, last_day)
        both = _outer(spend, won)
        if metric == "cac":
            frame = _frame(both["day"], both["spend"], both["customers"].astype(float))
        else:
            margin = float(definition.parameters["gross_margin"])  # type: ignore[arg-type]
            frame = _frame(both["day"], 12 * both["spend"], both["won_usd"] * margin)
    elif metric == "cost_per_mql":
        spend = _spend_by_day(engine, definition, first_day, last_day)
        mqls = _stages_by_day(
            engine, _values(definition, "mql_stages"), first_day, last_day, None
        ).rename(columns={"numerator": "mqls"})[["day", "mqls"]]
        both = _outer(spend, mqls)
        frame = _frame(both["day"], both["spend"], both["mqls"].astype(float))
    elif metric == "win_rate":
        frame = _win_rate_by_day(engine, definition, first_day, last_day)
    elif aggregation == "level":
        frame = _levels_by_month(engine, definition, first_day, last_day)
    else:  # pragma: no cover - every aggregation above is handled
        raise ValueError(f"no daily parts are defined for metric {metric!r}")
    return MetricSeries.from_frame(frame, aggregation, first_day, last_day)
