"""Every registry metric computed from its definition's parameters, for any window of days.

(The store layer: the SQL of each rule lives here or in ``core.store.queries``.)

``metric_value`` is the one place a metric's rule lives: pages, the restatement view and the
Definitions page's change log all call it with the version they need, so the same version
always gives the same number. SQL is portable (bound parameters; the only interpolated names
come from the allow-lists below).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.calendar import add_months, month_start
from core.definitions import DEFAULT_DEFINITIONS, MetricDefinition
from core.store import arr, queries

LEAD_STAGE_COLUMNS = {"mql": "mql_at", "sql": "sql_at", "opportunity": "opportunity_at"}
# Metrics that add up opportunity amounts: the date that places them in the window, won only.
OPPORTUNITY_SUMS = {
    "pipeline_created": ("created_date", False),
    "sourced_pipeline": ("created_date", False),
    "influenced_pipeline": ("created_date", False),
    "bookings": ("close_date", True),
}


def parameter_values(definition: MetricDefinition, name: str) -> list[str]:
    """A list parameter of the definition as strings (channels, opportunity types, stages)."""
    return [str(value) for value in definition.parameters[name]]  # type: ignore[attr-defined]


_values = parameter_values


def opportunity_filters(definition: MetricDefinition) -> dict[str, object]:
    """Keyword filters of ``queries.opportunity_amount`` for an opportunity-sum definition."""
    date_field, won_only = OPPORTUNITY_SUMS[definition.metric]
    parameters = definition.parameters
    return {
        "date_field": date_field,
        "opportunity_types": _values(definition, "opportunity_types"),
        "won_only": won_only,
        "source_channels": _values(definition, "marketing_channels")
        if "marketing_channels" in parameters
        else None,
        "touched_within_days": int(parameters["influence_window_days"])  # type: ignore[call-overload]
        if "influence_window_days" in parameters
        else None,
    }


def reached_date_sql(stages: list[str]) -> str:
    """SQL for the day a lead first reached any of the lead stages (names from the allow-list)."""
    columns = [LEAD_STAGE_COLUMNS[stage] for stage in stages]
    reached = columns[0] if len(columns) == 1 else f"least({', '.join(columns)})"
    return f"cast({reached} as date)"


def arr_bridge_through(connection: Connection, last_day: date) -> pd.DataFrame:
    """The ARR bridge by month (``core.revenue.arr_bridge``) up to the month of ``last_day``,
    computed in the database (:func:`core.store.arr.arr_bridge`)."""
    return arr.arr_bridge(connection, last_day)


def _scalar(connection: Connection, sql: str, **params: object) -> float:
    expanding = [name for name, value in params.items() if isinstance(value, list)]
    statement = sa.text(sql).bindparams(*(sa.bindparam(name, expanding=True) for name in expanding))
    value = connection.execute(statement, params).scalar_one()
    return float(value or 0)


def _opportunity_sum(
    engine: Engine, definition: MetricDefinition, first_day: date, last_day: date
) -> float:
    """An opportunity-amount metric (pipeline created, sourced, influenced, bookings)."""
    return queries.opportunity_amount(
        engine,
        first_day,
        last_day,
        **opportunity_filters(definition),  # type: ignore[arg-type]
    )


def _stage_count(
    connection: Connection, stages: list[str], first_day: date, last_day: date
) -> float:
    return _scalar(
        connection,
        f"""
        select count(*) from current_leads
        where {reached_date_sql(stages)} between :first_day and :last_day
        """,  # noqa: S608 - column names come from LEAD_STAGE_COLUMNS
        first_day=first_day,
        last_day=last_day,
    )


def _won(
    connection: Connection, types: list[str], first_day: date, last_day: date
) -> tuple[float, float]:
    """(won amount, new customers) closed won in the window."""
    statement = sa.text(
        """
        select coalesce(sum(amount_usd), 0), count(distinct coalesce(account_id, opportunity_id))
        from current_opportunities
        where is_won and opportunity_type in :types and close_date between :first_day and :last_day
        """
    ).bindparams(sa.bindparam("types", expanding=True))
    row = connection.execute(
        statement, {"types": types, "first_day": first_day, "last_day": last_day}
    ).one()
    return float(row[0] or 0), float(row[1] or 0)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _arr_at(connection: Connection, month: date, minimum: float) -> float:
    return _scalar(
        connection,
        """
        select coalesce(sum(arr_usd), 0) from current_revenue
        where month = :month and arr_usd > :minimum
        """,
        month=month,
        minimum=minimum,
    )


def _retention(connection: Connection, month: date, window: int, gross: bool) -> float | None:
    earlier = add_months(month, -window)
    kept = (
        "least(coalesce(later.arr_usd, 0), earlier.arr_usd)"
        if gross
        else "coalesce(later.arr_usd, 0)"
    )
    statement = sa.text(
        f"""
        with then_arr as (
            select account_id, sum(arr_usd) as arr_usd from current_revenue
            where month = :earlier group by account_id having sum(arr_usd) > 0
        ),
        now_arr as (
            select account_id, sum(arr_usd) as arr_usd from current_revenue
            where month = :month group by account_id
        )
        select coalesce(sum({kept}), 0), coalesce(sum(earlier.arr_usd), 0)
        from then_arr as earlier left join now_arr as later on later.account_id = earlier.account_id
        """  # noqa: S608 - the kept expression is one of two fixed strings
    )
    row = connection.execute(statement, {"earlier": earlier, "month": month}).one()
    return _ratio(float(row[0]), float(row[1]))


def _new_arr(
    connection: Connection, components: list[str], first_day: date, last_day: date
) -> float:
    bridge = arr_bridge_through(connection, last_day)
    if bridge.empty:
        return 0.0
    window = bridge[
        (bridge["month"] >= pd.Timestamp(month_start(first_day)))
        & (bridge["month"] <= pd.Timestamp(last_day))
    ]
    return float(sum(window[f"{component}_usd"].sum() for component in components))


def _forecast_bias(
    engine: Engine,
    connection: Connection,
    definition: MetricDefinition,
    bookings: MetricDefinition,
    first_day: date,
    last_day: date,
) -> float | None:
    order = "desc" if definition.parameters["submission"] == "latest" else "asc"
    statement = sa.text(
        f"""
        with ranked as (
            select forecaster, value,
                   row_number() over (partition by forecaster order by submitted_on {order}) as rank
            from current_forecasts
            where metric = 'bookings' and category = :category and period_start = :first_day
              and period_end = :last_day and submitted_on <= :last_day
        )
        select coalesce(sum(value), 0), count(*) from ranked where rank = 1
        """  # noqa: S608 - the order is one of two fixed words
    )
    total, forecasters = connection.execute(
        statement,
        {
            "category": definition.parameters["category"],
            "first_day": first_day,
            "last_day": last_day,
        },
    ).one()
    if not forecasters:
        return None
    actual = _opportunity_sum(engine, bookings, first_day, last_day)
    if not actual:
        return None
    return (float(total) - float(forecasters) * actual) / (float(forecasters) * abs(actual))


def _coverage(
    connection: Connection, types: list[str], first_day: date, last_day: date
) -> float | None:
    """Pipeline open at the period's start due in it, over its bookings target.

    The deals as the exports showed them on the eve of the period (each deal's version that
    day, as the waterfall's "open at start"), never today's version: a deal pulled in, won,
    lost or resized since must not move the coverage the quarter started with. ``None`` when
    no opportunity export from before the period began is loaded: the start is not known.
    """
    exported = _scalar(
        connection,
        "select count(*) from uploads where kind = 'opportunities' and status = 'loaded' "
        "and snapshot_date < :first_day",
        first_day=first_day,
    )
    if not exported:
        return None
    pipeline = _scalar(
        connection,
        f"""
        with versions as ({queries.versions_on_sql("start_day")})
        select coalesce(sum(amount_usd), 0) from versions
        where not is_closed and close_date between :first_day and :last_day
        """,  # noqa: S608 - the interpolated SQL is the queries module's own constant
        opportunity_types=types,
        start_day=first_day - timedelta(days=1),
        first_day=first_day,
        last_day=last_day,
    )
    return _ratio(pipeline, bookings_target(connection, first_day, last_day) or 0.0)


def _coverage_to_go(
    engine: Engine,
    connection: Connection,
    definition: MetricDefinition,
    bookings: MetricDefinition,
    first_day: date,
    as_of: date,
) -> float | None:
    """Coverage of the target to go on ``as_of`` for the period starting ``first_day``.

    The period is the one whose bookings target starts on ``first_day`` (no target, no
    coverage); ``core.store.pipeline.coverage_report`` gives the same number with its parts.
    """
    period_end = connection.execute(
        sa.text(
            """
            select min(period_end) from current_goals
            where metric = 'bookings' and level <> 'campaign' and period_start = :first_day
            """
        ),
        {"first_day": first_day},
    ).scalar()
    if period_end is None:
        return None
    target = bookings_target(connection, first_day, period_end) or 0.0
    won = _opportunity_sum(engine, bookings, first_day, min(as_of, period_end))
    if target - won <= 0:
        return None
    types = _values(definition, "opportunity_types")
    return queries.open_pipeline_on(engine, types, first_day, period_end, as_of) / (target - won)


def bookings_target(connection: Connection, first_day: date, last_day: date) -> float | None:
    """The bookings target of exactly this period (company and marketing goals, not campaign
    goals, which are part of it); ``None`` when no goal sets one."""
    row = connection.execute(
        sa.text(
            """
            select sum(target), count(*) from current_goals
            where metric = 'bookings' and level <> 'campaign'
              and period_start = :first_day and period_end = :last_day
            """
        ),
        {"first_day": first_day, "last_day": last_day},
    ).one()
    return float(row[0]) if row[1] else None


def metric_value(
    engine: Engine,
    definition: MetricDefinition,
    first_day: date,
    last_day: date,
    related: Mapping[str, MetricDefinition] | None = None,
) -> float | None:
    """The metric over ``first_day``..``last_day`` (inclusive) under ``definition``.

    Levels (ARR, NRR, GRR) are taken at the month containing ``last_day``. ``None`` when the
    number is undefined (a ratio over zero, no forecast, no target) or the definition is a rule
    rather than a number. ``related`` supplies the versions of metrics this one is built on
    (forecast bias compares with bookings); the defaults are used for any not given.
    """
    if last_day < first_day:
        raise ValueError(f"last_day {last_day} is before first_day {first_day}")
    related = {**DEFAULT_DEFINITIONS, **(related or {})}
    metric, parameters = definition.metric, definition.parameters
    channels = _values(definition, "channels") if "channels" in parameters else []
    if metric in OPPORTUNITY_SUMS:
        return _opportunity_sum(engine, definition, first_day, last_day)
    if metric == "spend":
        return queries.spend_amount(engine, first_day, last_day, channels)
    with engine.connect() as connection:
        if metric == "arr":
            minimum = float(parameters["minimum_account_arr_usd"])  # type: ignore[arg-type]
            return _arr_at(connection, month_start(last_day), minimum)
        if metric == "new_arr":
            return _new_arr(
                connection, _values(definition, "bridge_components"), first_day, last_day
            )
        if metric in ("mqls", "sqls"):
            stages = _values(definition, "mql_stages" if metric == "mqls" else "sql_stages")
            return _stage_count(connection, stages, first_day, last_day)
        if metric == "win_rate":
            measure = "amount_usd" if parameters["basis"] == "amount" else "1"
            statement = sa.text(
                f"""
                select coalesce(sum(case when is_won then {measure} else 0 end), 0),
                       coalesce(sum({measure}), 0)
                from current_opportunities
                where is_closed and opportunity_type in :types
                  and close_date between :first_day and :last_day
                """  # noqa: S608 - the measure is one of two fixed strings
            ).bindparams(sa.bindparam("types", expanding=True))
            won, closed = connection.execute(
                statement,
                {
                    "types": _values(definition, "opportunity_types"),
                    "first_day": first_day,
                    "last_day": last_day,
                },
            ).one()
            return _ratio(float(won), float(closed))
        if metric in ("cac", "payback"):
            spend = queries.spend_amount(engine, first_day, last_day, channels)
            won, customers = _won(
                connection, _values(definition, "opportunity_types"), first_day, last_day
            )
            if metric == "cac":
                return _ratio(spend, customers)
            margin = float(parameters["gross_margin"])  # type: ignore[arg-type]
            # CAC / (new ARR per customer / 12 x margin) = 12 x spend / (won x margin)
            return _ratio(12 * spend, won * margin)
        if metric == "cost_per_mql":
            spend = queries.spend_amount(engine, first_day, last_day, channels)
            mqls = _stage_count(connection, _values(definition, "mql_stages"), first_day, last_day)
            return _ratio(spend, mqls)
        if metric in ("nrr", "grr"):
            return _retention(
                connection,
                month_start(last_day),
                int(parameters["window_months"]),  # type: ignore[call-overload]
                gross=metric == "grr",
            )
        if metric == "coverage":
            return _coverage(
                connection, _values(definition, "opportunity_types"), first_day, last_day
            )
        if metric == "coverage_to_go":
            return _coverage_to_go(
                engine, connection, definition, related["bookings"], first_day, last_day
            )
        if metric == "forecast_bias":
            return _forecast_bias(
                engine, connection, definition, related["bookings"], first_day, last_day
            )
    if definition.is_rule:
        return None
    raise ValueError(f"no computation is defined for metric {metric!r}")


def metric_values(
    engine: Engine,
    definition: MetricDefinition,
    windows: Sequence[tuple[date, date]],
    related: Mapping[str, MetricDefinition] | None = None,
) -> list[float | None]:
    """:func:`metric_value` for each window."""
    return [metric_value(engine, definition, first, last, related) for first, last in windows]
