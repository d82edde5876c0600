"""Pipeline, funnel and sales alignment: the store's side (portable SQL, small frames out).

The math is in :mod:`core.funnel`; this module reads what it needs, aggregated in the
database: opportunity versions at the start and end of a window (for the waterfall), open
pipeline as it stood on a day, funnel stage counts by cohort and channel, and the MQL follow-up
counts of the Marketing-Sales SLA. Definitions say which opportunities and leads count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.calendar import FiscalCalendar, FiscalPeriod, add_months, month_start
from core.definitions import MetricDefinition
from core.formatting import DEFAULT_CURRENCY
from core.funnel import (
    Coverage,
    PipelineNeed,
    Ratio,
    SlaSummary,
    Waterfall,
    cohort_is_maturing,
    coverage_status,
    pipeline_coverage,
    pipeline_waterfall,
    required_coverage,
    sla_summary,
    sourced_pipeline_needed,
    win_rates_by_channel,
    young_months,
)
from core.store import metrics
from core.store.metrics import parameter_values
from core.store.queries import open_pipeline_on, versions_on_sql


def first_snapshot(engine: Engine) -> date | None:
    """The day of the earliest opportunity export in the store."""
    with engine.connect() as connection:
        value = connection.execute(
            sa.text("select min(snapshot_date) from opportunity_versions")
        ).scalar()
    return value


def waterfall_versions(
    engine: Engine,
    opportunity_types: Sequence[str],
    first_day: date,
    last_day: date,
    end_day: date,
) -> pd.DataFrame:
    """Each opportunity's version before the window opened and on ``end_day`` (core.funnel).

    Only opportunities in the window at either end: open with a close date in it at the start,
    or with a close date in it at the end.
    """
    sql = f"""
        with start_versions as ({versions_on_sql("start_day")}),
        end_versions as ({versions_on_sql("end_day")}),
        open_at_start as (
            select opportunity_id from start_versions
            where not is_closed and close_date between :first_day and :last_day
        ),
        in_at_end as (
            select opportunity_id from end_versions
            where close_date between :first_day and :last_day
        ),
        relevant as (
            select opportunity_id from open_at_start
            union
            select opportunity_id from in_at_end
        )
        select relevant.opportunity_id,
               start_versions.opportunity_id is not null as seen_at_start,
               start_versions.amount_usd as start_amount_usd,
               start_versions.close_date as start_close_date,
               start_versions.is_closed as start_is_closed,
               end_versions.amount_usd as end_amount_usd,
               end_versions.close_date as end_close_date,
               end_versions.is_closed as end_is_closed,
               end_versions.is_won as end_is_won
        from relevant
        left join start_versions on start_versions.opportunity_id = relevant.opportunity_id
        left join end_versions on end_versions.opportunity_id = relevant.opportunity_id
        order by relevant.opportunity_id
    """  # noqa: S608 - the interpolated SQL is this module's own constant
    statement = sa.text(sql).bindparams(sa.bindparam("opportunity_types", expanding=True))
    with engine.connect() as connection:
        return pd.read_sql(
            statement,
            connection,
            params={
                "opportunity_types": list(opportunity_types),
                "start_day": first_day - timedelta(days=1),
                "end_day": end_day,
                "first_day": first_day,
                "last_day": last_day,
            },
        )


@dataclass(frozen=True)
class WaterfallReport:
    """A window's waterfall, or why there is none."""

    waterfall: Waterfall | None
    reason: str | None
    end_day: date


def window_waterfall(
    engine: Engine,
    definition: MetricDefinition,
    first_day: date,
    last_day: date,
    as_of: date,
) -> WaterfallReport:
    """The pipeline waterfall of a window up to ``as_of`` (its end when it has ended).

    ``definition`` (pipeline coverage) says which opportunity types are pipeline. Without an
    opportunity export from before the window opened, what was open at its start is unknown:
    the report says so instead of counting every deal as created.
    """
    end_day = min(last_day, as_of)
    earliest = first_snapshot(engine)
    if earliest is None:
        return WaterfallReport(None, "no opportunity export is loaded", end_day)
    if earliest >= first_day:
        return WaterfallReport(
            None,
            f"the earliest opportunity export is from {earliest:%d %b %Y}; the waterfall "
            "needs one from before the period began to know what was open at its start",
            end_day,
        )
    if end_day < first_day:
        return WaterfallReport(None, "the period has not started by the as-of date", end_day)
    versions = waterfall_versions(
        engine, parameter_values(definition, "opportunity_types"), first_day, last_day, end_day
    )
    return WaterfallReport(pipeline_waterfall(versions, first_day, last_day), None, end_day)


@dataclass(frozen=True)
class CoverageReport:
    """Coverage of one period as of a day, against what the win rate requires."""

    period: FiscalPeriod
    as_of: date
    coverage: Coverage
    required: Ratio
    win_rate: float | None
    win_rate_window: tuple[date, date]
    status: str | None
    need: PipelineNeed
    at_start: float | None  # coverage at the start of the period (the coverage definition)
    definitions: tuple[str, ...]  # references of the definitions used


def win_rate_window(calendar: FiscalCalendar, as_of: date, quarters: int) -> tuple[date, date, str]:
    """The ``quarters`` full fiscal quarters before the one containing ``as_of``."""
    current = calendar.quarter_containing(as_of)
    first = calendar.shift(current, -quarters)
    last = calendar.shift(current, -1)
    label = f"{first.label} to {last.label}" if quarters > 1 else last.label
    return first.start, last.end, label


def coverage_report(
    engine: Engine,
    definitions: Mapping[str, MetricDefinition],
    calendar: FiscalCalendar,
    period: FiscalPeriod,
    as_of: date,
    currency: str = DEFAULT_CURRENCY,
) -> CoverageReport:
    """Coverage of ``period``'s bookings still to win, as of ``as_of`` (DOMAIN.md).

    Open pipeline is what the exports by ``as_of`` showed open with a close date in the period;
    won to date is bookings (its definition) from the period's start to ``as_of``; required
    coverage is 1 / the win rate (its definition) over the full quarters before ``as_of``'s.
    ``currency`` (the store's reporting currency) writes the amounts in the reasons.
    """
    to_go = definitions["coverage_to_go"]
    types = parameter_values(to_go, "opportunity_types")
    quarters = int(to_go.parameters["win_rate_quarters"])  # type: ignore[call-overload]
    open_pipeline = open_pipeline_on(engine, types, period.start, period.end, as_of)
    won = 0.0
    if as_of >= period.start:
        won = (
            metrics.metric_value(
                engine, definitions["bookings"], period.start, min(as_of, period.end), definitions
            )
            or 0.0
        )
    with engine.connect() as connection:
        target = metrics.bookings_target(connection, period.start, period.end)
    coverage = pipeline_coverage(open_pipeline, target, won, period.label, currency)
    first, last, label = win_rate_window(calendar, as_of, quarters)
    win_rate = metrics.metric_value(engine, definitions["win_rate"], first, last, definitions)
    required = required_coverage(win_rate, label)
    sourced_share = _sourced_share(engine, definitions, first, last)
    at_start = None
    if as_of >= period.start:
        at_start = metrics.metric_value(
            engine, definitions["coverage"], period.start, period.end, definitions
        )
    used = ("coverage_to_go", "bookings", "win_rate", "coverage", "sourced_pipeline")
    return CoverageReport(
        period=period,
        as_of=as_of,
        coverage=coverage,
        required=required,
        win_rate=win_rate,
        win_rate_window=(first, last),
        status=coverage_status(coverage, required),
        need=sourced_pipeline_needed(coverage, required, sourced_share),
        at_start=at_start,
        definitions=tuple(definitions[name].reference for name in used),
    )


def _sourced_share(
    engine: Engine, definitions: Mapping[str, MetricDefinition], first: date, last: date
) -> float | None:
    """Marketing-sourced pipeline over all pipeline created in the window (both definitions)."""
    sourced = metrics.metric_value(engine, definitions["sourced_pipeline"], first, last)
    created = metrics.metric_value(engine, definitions["pipeline_created"], first, last)
    if not created:
        return None
    return min(1.0, float(sourced or 0.0) / float(created))


def _read_window(
    engine: Engine,
    statement: sa.TextClause,
    definition: MetricDefinition,
    first_day: date,
    last_day: date,
) -> pd.DataFrame:
    """Run a query over the definition's opportunity types and a window of days."""
    with engine.connect() as connection:
        return pd.read_sql(
            statement,
            connection,
            params={
                "opportunity_types": parameter_values(definition, "opportunity_types"),
                "first_day": first_day,
                "last_day": last_day,
            },
        )


def created_by_source(
    engine: Engine, definition: MetricDefinition, first_day: date, last_day: date
) -> pd.DataFrame:
    """Pipeline created per month and source channel (``month``, ``channel``, ``amount_usd``,
    ``count``) under the pipeline-created definition."""
    statement = sa.text(
        """
        with created as (
            select date_trunc('month', created_date) as month,
                   coalesce(source_channel, 'unknown') as channel, amount_usd
            from current_opportunities
            where opportunity_type in :opportunity_types
              and created_date between :first_day and :last_day
        ),
        monthly as (
            select month, channel, sum(amount_usd) as amount_usd, count(*) as count
            from created group by month, channel
        )
        select * from monthly order by month, channel
        """
    ).bindparams(sa.bindparam("opportunity_types", expanding=True))
    frame = _read_window(engine, statement, definition, first_day, last_day)
    frame["month"] = pd.to_datetime(frame["month"])
    frame["amount_usd"] = frame["amount_usd"].astype(float)
    frame["count"] = frame["count"].astype(int)
    return frame


def closed_by_channel(
    engine: Engine, definition: MetricDefinition, first_day: date, last_day: date
) -> pd.DataFrame:
    """Win rates and sales cycle per source channel among deals closed in the window.

    ``definition`` is the win rate's (which opportunity types count). Columns as
    :func:`core.funnel.win_rates_by_channel` returns them.
    """
    statement = sa.text(
        """
        with closed as (
            select coalesce(source_channel, 'unknown') as channel, is_won, amount_usd,
                   close_date - created_date as cycle_days
            from current_opportunities
            where is_closed and opportunity_type in :opportunity_types
              and close_date between :first_day and :last_day
        ),
        by_channel as (
            select channel,
                   sum(case when is_won then 1 else 0 end) as won_count,
                   sum(case when is_won then 0 else 1 end) as lost_count,
                   coalesce(sum(case when is_won then amount_usd end), 0) as won_usd,
                   coalesce(sum(case when is_won then 0 else amount_usd end), 0) as lost_usd,
                   percentile_cont(0.5) within group (
                       order by case when is_won then cycle_days end
                   ) as median_cycle_days
            from closed group by channel
        )
        select * from by_channel order by channel
        """
    ).bindparams(sa.bindparam("opportunity_types", expanding=True))
    frame = _read_window(engine, statement, definition, first_day, last_day)
    for column in ("won_count", "lost_count"):
        frame[column] = frame[column].astype(int)
    for column in ("won_usd", "lost_usd", "median_cycle_days"):
        frame[column] = frame[column].astype(float)
    return win_rates_by_channel(frame)


# -- Funnel ----------------------------------------------------------------------------------

# Each lead reaches a stage on the earliest date of that stage or any later one: a lead that
# skipped MQL (straight to SQL) still passed through it, so the funnel never widens.
_FUNNEL_SQL = """
with known as (
    -- As of the as-of day: a stage reached after it had not been reached yet.
    select source_channel, created_at,
           case when mql_at < :known_before then mql_at end as mql_at,
           case when sql_at < :known_before then sql_at end as sql_at,
           case when opportunity_at < :known_before then opportunity_at end as opportunity_at,
           case when customer_at < :known_before then customer_at end as customer_at
    from current_leads
),
reached as (
    select coalesce(source_channel, 'unknown') as channel,
           created_at as lead_at,
           least(mql_at, sql_at, opportunity_at, customer_at) as mql_at,
           least(sql_at, opportunity_at, customer_at) as sql_at,
           least(opportunity_at, customer_at) as opportunity_at,
           customer_at
    from known
),
transitions as (
    select channel, 'lead' as stage, lead_at as from_at, mql_at as to_at from reached
    union all
    select channel, 'mql', mql_at, sql_at from reached where mql_at is not null
    union all
    select channel, 'sql', sql_at, opportunity_at from reached where sql_at is not null
    union all
    select channel, 'opportunity', opportunity_at, customer_at from reached
    where opportunity_at is not null
    union all
    select channel, 'customer', customer_at, null from reached where customer_at is not null
),
windowed as (
    select channel, stage, date_trunc('month', from_at) as cohort_month, to_at,
           extract(epoch from (to_at - from_at)) / 86400.0 as days
    from transitions
    where from_at >= :first_moment and from_at < :after_moment
),
counted as (
    select cohort_month, channel, stage,
           count(*) as entered,
           count(to_at) as advanced,
           percentile_cont(0.5) within group (order by days) as median_days,
           percentile_cont(0.8) within group (order by days) as p80_days,
           grouping(cohort_month) as all_months,
           grouping(channel) as all_channels
    from windowed
    group by grouping sets ((cohort_month, stage), (channel, stage), (stage))
)
select * from counted
"""


@dataclass(frozen=True)
class FunnelCounts:
    """Stage counts of leads that reached each stage in a window: by the month they reached
    it (cohorts), by source channel, and overall (columns of ``core.funnel.stage_conversions``
    plus ``p80_days``)."""

    by_month: pd.DataFrame
    by_channel: pd.DataFrame
    overall: pd.DataFrame


def funnel_counts(
    engine: Engine, first_day: date, last_day: date, as_of: date | None = None
) -> FunnelCounts:
    """Leads reaching each funnel stage from ``first_day`` to ``last_day`` (inclusive), and how
    many of them had reached the next stage by the end of ``as_of`` (else ``last_day``), with
    the median days it took: a stage dated after the as-of day is not counted."""
    if last_day < first_day:
        raise ValueError(f"last_day {last_day} is before first_day {first_day}")
    with engine.connect() as connection:
        frame = pd.read_sql(
            sa.text(_FUNNEL_SQL),
            connection,
            params={
                "first_moment": datetime.combine(first_day, time()),
                "after_moment": datetime.combine(last_day + timedelta(days=1), time()),
                "known_before": datetime.combine((as_of or last_day) + timedelta(days=1), time()),
            },
        )
    frame["entered"] = frame["entered"].astype(int)
    frame["advanced"] = frame["advanced"].astype(int)
    for column in ("median_days", "p80_days"):
        frame[column] = frame[column].astype(float)
    columns = ["stage", "entered", "advanced", "median_days", "p80_days"]
    months = frame[(frame["all_months"] == 0)]
    channels = frame[(frame["all_channels"] == 0) & (frame["all_months"] == 1)]
    overall = frame[(frame["all_months"] == 1) & (frame["all_channels"] == 1)]
    by_month = months[["cohort_month", *columns]].copy()
    by_month["cohort_month"] = pd.to_datetime(by_month["cohort_month"])
    return FunnelCounts(
        by_month=by_month.sort_values(["cohort_month", "stage"]).reset_index(drop=True),
        by_channel=channels[["channel", *columns]]
        .sort_values(["channel", "stage"])
        .reset_index(drop=True),
        overall=overall[columns].reset_index(drop=True),
    )


def sla(
    engine: Engine, definition: MetricDefinition, first_day: date, last_day: date, now: datetime
) -> SlaSummary | None:
    """How Sales followed up the MQLs of a window (the SLA definition's window and statuses), as
    it stood at ``now`` (the end of the as-of day): follow-ups and acceptances dated after it
    do not count yet.

    ``None`` when no lead in the store has a first-worked time: the export carries no
    follow-up times, so there is nothing to judge.
    """
    hours = int(definition.parameters["window_hours"])  # type: ignore[call-overload]
    statement = sa.text(
        """
        with stages as (
            select least(mql_at, sql_at, opportunity_at, customer_at) as mql_at,
                   least(sql_at, opportunity_at, customer_at) as sql_at,
                   first_worked_at, lead_status
            from current_leads
        ),
        mqls as (
            -- As of ``now``: a follow-up or an acceptance dated later had not happened yet.
            select mql_at,
                   case when sql_at < :now then sql_at end as sql_at,
                   case when first_worked_at < :now then first_worked_at end as first_worked_at,
                   lead_status
            from stages
        ),
        in_window as (
            select * from mqls
            where mql_at >= :first_moment and mql_at < :after_moment
        )
        select count(*) as mqls,
               count(first_worked_at) as worked,
               coalesce(sum(case when first_worked_at is not null
                    and first_worked_at <= mql_at + :hours * interval '1 hour'
                    then 1 else 0 end), 0) as worked_within,
               coalesce(sum(case when first_worked_at is null
                    and mql_at + :hours * interval '1 hour' > :now
                    then 1 else 0 end), 0) as pending,
               count(sql_at) as accepted,
               coalesce(sum(case when lead_status in :recycled then 1 else 0 end), 0) as recycled,
               percentile_cont(0.5) within group (
                   order by extract(epoch from (first_worked_at - mql_at)) / 3600.0
               ) as median_hours_to_work,
               (select count(first_worked_at) from current_leads) as any_worked
        from in_window
        """
    ).bindparams(sa.bindparam("recycled", expanding=True))
    with engine.connect() as connection:
        row = connection.execute(
            statement,
            {
                "first_moment": datetime.combine(first_day, time()),
                "after_moment": datetime.combine(last_day + timedelta(days=1), time()),
                "hours": hours,
                "now": now,
                "recycled": parameter_values(definition, "recycled_statuses"),
            },
        ).one()
    if not row.any_worked:
        return None
    counts = dict(row._mapping)
    return sla_summary(counts, hours)


def sla_months(
    engine: Engine, definition: MetricDefinition, last_day: date, months: int, now: datetime
) -> pd.DataFrame:
    """The SLA for each of the ``months`` calendar months up to ``last_day``'s."""
    rows = []
    for index in range(months - 1, -1, -1):
        first = add_months(month_start(last_day), -index)
        last = min(add_months(first, 1) - timedelta(days=1), last_day)
        summary = sla(engine, definition, first, last, now)
        if summary is None:
            return pd.DataFrame()
        rows.append(
            {
                "month": pd.Timestamp(first),
                "mqls": summary.mqls,
                "within_sla": summary.within_sla.value,
                "acceptance": summary.acceptance.value,
                "recycled_share": summary.recycled_share.value,
                "median_hours_to_work": summary.median_hours_to_work,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class SlaReport:
    """The SLA of a window, each figure judged on the MQLs old enough for it.

    ``all_mqls``: every MQL of the window; its worked-within share already waits for each
    MQL's follow-up window (``pending``). ``judged``: the MQLs of the months old enough to
    judge acceptance and recycling (``None`` when no month is), through ``judged_through``.
    ``young_months``: first days of the months left out, by the funnel's rule for young
    cohorts with ``wait_days`` (the days most MQLs take to become SQLs). ``months``: the
    per-month table of :func:`sla_months` with ``too_young`` by the same rule.
    """

    all_mqls: SlaSummary
    judged: SlaSummary | None
    judged_through: date | None
    young_months: tuple[date, ...]
    wait_days: float
    months: pd.DataFrame


def sla_report(
    engine: Engine,
    definition: MetricDefinition,
    first_day: date,
    last_day: date,
    as_of: date,
    wait_days: float | None,
    now: datetime,
    months: int = 6,
) -> SlaReport | None:
    """The SLA of ``first_day``..``last_day`` with young months left out of the outcomes.

    Acceptance and recycling take as long as MQLs take to become SQLs: months whose end plus
    ``wait_days`` is after ``as_of`` are too young to judge (as in the funnel's cohorts) and are
    left out of ``judged``, and flagged in the ``months`` table of the last ``months`` months.
    ``None`` when no lead in the store has a first-worked time.
    """
    whole = sla(engine, definition, first_day, last_day, now)
    if whole is None:
        return None
    wait = float(wait_days or 0.0)
    young = young_months(first_day, last_day, as_of, wait)
    judged_through: date | None = last_day
    judged: SlaSummary | None = whole
    if young:
        judged_through = young[0] - timedelta(days=1)
        if judged_through < first_day:
            judged_through, judged = None, None
        else:
            judged = sla(engine, definition, first_day, judged_through, now)
    table = sla_months(engine, definition, last_day, months, now)
    if not table.empty:
        table["too_young"] = [cohort_is_maturing(month, wait, as_of) for month in table["month"]]
    return SlaReport(whole, judged, judged_through, young, wait, table)
