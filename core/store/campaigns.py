"""Campaigns and channels: the store's side of the scorecard (portable SQL, small frames out).

Totals per campaign for a window (spend, touches, leads and the stages they reached, deals whose
primary campaign it is), and the inputs of attribution: the window's opportunities and the
campaign touches of their accounts in the days before each was created. The credit itself is
:func:`core.campaigns.attribute`; definitions say which deals count as pipeline and bookings
and how far back a touch counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.campaigns import attribute, campaign_rows, channel_rows
from core.definitions import MetricDefinition
from core.store.metrics import parameter_values

DRILL_DOWN_LIMIT = 500  # opportunities listed for one campaign


def _moment(day: date) -> datetime:
    return datetime.combine(day, time())


@dataclass(frozen=True)
class AttributionInputs:
    """Opportunities of a window and the touches that may share their credit."""

    opportunities: pd.DataFrame  # opportunity_id, created_at, lead_created_at, amount_usd, ...
    touches: pd.DataFrame  # opportunity_id, touch_id, touched_at, campaign_id, channel
    window_days: int


def attribution_inputs(
    engine: Engine,
    definitions: Mapping[str, MetricDefinition],
    first_day: date,
    last_day: date,
) -> AttributionInputs:
    """The window's pipeline and bookings deals and their accounts' touches before creation.

    A deal is in the window's pipeline when it was created in it (types of the pipeline-created
    definition) and in its bookings when it was won with a close date in it (types of the
    bookings definition); ``amount_usd`` and ``won_usd`` are its amount in each (0 when not).
    Touches count from the marketing-influenced definition's window before creation up to the
    end of the creation day.
    """
    pipeline_types = parameter_values(definitions["pipeline_created"], "opportunity_types")
    bookings_types = parameter_values(definitions["bookings"], "opportunity_types")
    window = int(definitions["influenced_pipeline"].parameters["influence_window_days"])  # type: ignore[call-overload]
    opportunities_sql = sa.text(
        """
        with deals as (
            select opportunity_id, account_id, created_date, amount_usd, is_won, is_closed,
                   close_date, opportunity_type, campaign_id,
                   case when opportunity_type in :pipeline_types
                        and created_date between :first_day and :last_day
                        then amount_usd else 0 end as pipeline_usd,
                   case when opportunity_type in :bookings_types and is_won
                        and close_date between :first_day and :last_day
                        then amount_usd else 0 end as won_usd
            from current_opportunities
        ),
        in_window as (
            select * from deals where pipeline_usd <> 0 or won_usd <> 0
        ),
        first_leads as (
            select account_id, min(created_at) as lead_created_at
            from current_leads where account_id is not null group by account_id
        )
        select in_window.opportunity_id, in_window.account_id,
               in_window.created_date, in_window.pipeline_usd as amount_usd,
               in_window.won_usd, in_window.is_won, in_window.opportunity_type,
               first_leads.lead_created_at
        from in_window
        left join first_leads on first_leads.account_id = in_window.account_id
        order by in_window.opportunity_id
        """
    ).bindparams(
        sa.bindparam("pipeline_types", expanding=True),
        sa.bindparam("bookings_types", expanding=True),
    )
    touches_sql = sa.text(
        """
        with deals as (
            select opportunity_id, account_id, created_date
            from current_opportunities
            where (opportunity_type in :pipeline_types
                   and created_date between :first_day and :last_day)
               or (opportunity_type in :bookings_types and is_won
                   and close_date between :first_day and :last_day)
        ),
        matched as (
            select deals.opportunity_id, touch.touch_id, touch.touched_at,
                   coalesce(touch.campaign_id, '(no campaign id)') as campaign_id,
                   touch.channel
            from deals
            inner join current_touches as touch on touch.account_id = deals.account_id
            where touch.touched_at < cast(deals.created_date as timestamp) + interval '1 day'
              and touch.touched_at >= cast(deals.created_date as timestamp)
                  - :days * interval '1 day'
        )
        select * from matched order by opportunity_id, touched_at, touch_id
        """
    ).bindparams(
        sa.bindparam("pipeline_types", expanding=True),
        sa.bindparam("bookings_types", expanding=True),
    )
    params = {
        "pipeline_types": pipeline_types,
        "bookings_types": bookings_types,
        "first_day": first_day,
        "last_day": last_day,
        "days": window,
    }
    with engine.connect() as connection:
        opportunities = pd.read_sql(opportunities_sql, connection, params=params)
        touches = pd.read_sql(touches_sql, connection, params=params)
    # A deal's creation day counts whole: touches up to its end share the credit.
    opportunities["created_at"] = (
        pd.to_datetime(opportunities["created_date"])
        + pd.Timedelta(days=1)
        - pd.Timedelta(microseconds=1)
    )
    opportunities["lead_created_at"] = pd.to_datetime(opportunities["lead_created_at"])
    opportunities["amount_usd"] = opportunities["amount_usd"].astype(float)
    opportunities["won_usd"] = opportunities["won_usd"].astype(float)
    opportunities["is_won"] = opportunities["is_won"].astype(bool)
    touches["touched_at"] = pd.to_datetime(touches["touched_at"])
    return AttributionInputs(opportunities, touches, window)


def campaign_totals(
    engine: Engine,
    definitions: Mapping[str, MetricDefinition],
    first_day: date,
    last_day: date,
    converted_by: date | None = None,
) -> pd.DataFrame:
    """Per campaign in the window: its name, channel and dates, spend, touches, leads sourced,
    MQLs and SQLs among them (by the date they reached the stage, as the registry counts
    MQLs and SQLs) and of those MQLs the ones that had become SQLs by the end of
    ``converted_by`` (``mqls_to_sql``; the as-of day, else ``last_day``: a conversion dated
    after it had not happened yet), and its primary-campaign deals closed (``won``, ``closed``).

    Every campaign the store knows is listed (zeros where nothing happened), plus any campaign
    id that spend, touches or the window's leads name but the campaigns table does not. Leads
    no campaign sourced count under ``(no campaign: <their source channel>)``, the row spend
    naming no campaign loads into, so every lead is in its channel's row.
    """
    mql_stage = parameter_values(definitions["mqls"], "mql_stages")
    sql_stage = parameter_values(definitions["sqls"], "sql_stages")
    win_types = parameter_values(definitions["win_rate"], "opportunity_types")
    columns = {"mql": "mql_at", "sql": "sql_at", "opportunity": "opportunity_at"}

    def reached(stages: Sequence[str]) -> str:
        names = [columns[stage] for stage in stages]
        return names[0] if len(names) == 1 else f"least({', '.join(names)})"

    statement = sa.text(
        f"""
        with spend as (
            select campaign_id, max(channel) as channel, sum(amount_usd) as spend_usd
            from current_spend
            where spend_date between :first_day and :last_day
            group by campaign_id
        ),
        touches as (
            select campaign_id, max(channel) as channel, count(*) as touches
            from current_touches
            where touched_at >= :first_moment and touched_at < :after_moment
              and campaign_id is not null
            group by campaign_id
        ),
        leads as (
            select coalesce(
                       source_campaign_id,
                       '(no campaign: ' || coalesce(source_channel, 'unknown') || ')'
                   ) as campaign_id,
                   max(source_channel) as channel,
                   sum(case when created_at >= :first_moment and created_at < :after_moment
                       then 1 else 0 end) as leads,
                   sum(case when {reached(mql_stage)} >= :first_moment
                       and {reached(mql_stage)} < :after_moment then 1 else 0 end) as mqls,
                   sum(case when {reached(sql_stage)} >= :first_moment
                       and {reached(sql_stage)} < :after_moment then 1 else 0 end) as sqls,
                   sum(case when {reached(mql_stage)} >= :first_moment
                       and {reached(mql_stage)} < :after_moment
                       and {reached(sql_stage)} < :converted_before then 1 else 0 end)
                       as mqls_to_sql
            from current_leads
            group by 1
        ),
        deals as (
            select campaign_id,
                   sum(case when is_won then 1 else 0 end) as won,
                   count(*) as closed
            from current_opportunities
            where is_closed and campaign_id is not null and opportunity_type in :win_types
              and close_date between :first_day and :last_day
            group by campaign_id
        ),
        known as (
            select campaign_id, campaign_name, channel, start_date, end_date, budget_usd, owner
            from current_campaigns
        ),
        ids as (
            select campaign_id from known
            union select campaign_id from spend
            union select campaign_id from touches
            union select campaign_id from leads where leads > 0 or mqls > 0 or sqls > 0
        )
        select ids.campaign_id,
               coalesce(known.campaign_name, ids.campaign_id) as campaign_name,
               coalesce(known.channel, spend.channel, touches.channel, leads.channel, 'unknown')
                   as channel,
               known.start_date, known.end_date, known.budget_usd, known.owner,
               coalesce(spend.spend_usd, 0) as spend_usd,
               coalesce(touches.touches, 0) as touches,
               coalesce(leads.leads, 0) as leads,
               coalesce(leads.mqls, 0) as mqls,
               coalesce(leads.sqls, 0) as sqls,
               coalesce(leads.mqls_to_sql, 0) as mqls_to_sql,
               coalesce(deals.won, 0) as won,
               coalesce(deals.closed, 0) as closed
        from ids
        left join known on known.campaign_id = ids.campaign_id
        left join spend on spend.campaign_id = ids.campaign_id
        left join touches on touches.campaign_id = ids.campaign_id
        left join leads on leads.campaign_id = ids.campaign_id
        left join deals on deals.campaign_id = ids.campaign_id
        order by ids.campaign_id
        """  # noqa: S608 - column names come from the allow-list above
    ).bindparams(sa.bindparam("win_types", expanding=True))
    with engine.connect() as connection:
        frame = pd.read_sql(
            statement,
            connection,
            params={
                "first_day": first_day,
                "last_day": last_day,
                "first_moment": _moment(first_day),
                "after_moment": _moment(last_day + timedelta(days=1)),
                "converted_before": _moment((converted_by or last_day) + timedelta(days=1)),
                "win_types": win_types,
            },
        )
    for column in ("touches", "leads", "mqls", "sqls", "mqls_to_sql", "won", "closed"):
        frame[column] = frame[column].astype(int)
    frame["spend_usd"] = frame["spend_usd"].astype(float)
    return frame


def opportunity_details(engine: Engine, opportunity_ids: Sequence[str]) -> pd.DataFrame:
    """Name, account, type, stage, amount and dates of the given opportunities (at most
    :data:`DRILL_DOWN_LIMIT`)."""
    ids = list(opportunity_ids)[:DRILL_DOWN_LIMIT]
    if not ids:
        return pd.DataFrame(
            columns=[
                "opportunity_id", "opportunity_name", "account_id", "opportunity_type", "stage",
                "amount_usd", "created_date", "close_date", "source_channel", "owner",
            ]
        )  # fmt: skip
    statement = sa.text(
        """
        select opportunity_id, opportunity_name, account_id, opportunity_type, stage,
               amount_usd, created_date, close_date, source_channel, owner
        from current_opportunities
        where opportunity_id in :ids
        order by amount_usd desc, opportunity_id
        """
    ).bindparams(sa.bindparam("ids", expanding=True))
    with engine.connect() as connection:
        return pd.read_sql(statement, connection, params={"ids": ids})


@dataclass(frozen=True)
class CampaignRows:
    """Raw totals per campaign and per channel under one attribution model (before the
    scorecard's ratios), with the credits they come from."""

    campaigns: pd.DataFrame
    channels: pd.DataFrame
    credits: pd.DataFrame


def rows_under(inputs: AttributionInputs, totals: pd.DataFrame, model: str) -> CampaignRows:
    """Campaign and channel rows of a window under ``model``, from its read inputs."""
    credits = attribute(inputs.opportunities, inputs.touches, model)
    campaigns = campaign_rows(totals, credits, inputs.opportunities)
    return CampaignRows(campaigns, channel_rows(campaigns), credits)


def campaign_rows_for(
    engine: Engine,
    definitions: Mapping[str, MetricDefinition],
    first_day: date,
    last_day: date,
    models: Sequence[str],
    converted_by: date | None = None,
) -> dict[str, CampaignRows]:
    """Attribution and totals of the window under each model (the inputs are read once);
    MQL-to-SQL counts the conversions dated up to ``converted_by`` (the as-of day)."""
    inputs = attribution_inputs(engine, definitions, first_day, last_day)
    totals = campaign_totals(engine, definitions, first_day, last_day, converted_by)
    return {model: rows_under(inputs, totals, model) for model in models}
