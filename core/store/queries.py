"""Read queries: small frames and numbers, aggregated in the database.

Every function takes the engine first and plain values after, opens one connection for its unit
of work, and returns a scalar or a small pandas frame (never a raw fact table). SQL is portable
(named CTEs, bound parameters) so it runs on DuckDB and PostgreSQL alike. Column names that vary
with a metric definition (the date an opportunity counts on) are chosen from a fixed allow-list,
never taken from input.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.calendar import FiscalCalendar
from core.store.engine import is_read_only
from core.store.schema import VERSIONED_TABLES, store_state, uploads

OPPORTUNITY_DATE_FIELDS = ("created_date", "close_date")
UPLOAD_HISTORY_LIMIT = 500

TABLE_LABELS = {
    "campaigns": "Campaigns",
    "spend": "Spend",
    "touches": "Campaign touches",
    "leads": "Leads and contacts",
    "opportunities": "Opportunities",
    "revenue": "ARR by account and month",
    "goals": "Goals",
    "forecasts": "Forecasts",
    "budgets": "Budgets",
    "exchange_rates": "Exchange rates",
}
# Export formats by the names people know them by.
SOURCE_LABELS = {
    "salesforce_dataloader": "Salesforce Data Loader",
    "salesforce_report": "Salesforce report",
    "hubspot_contacts": "HubSpot contacts",
    "hubspot_deals": "HubSpot deals",
    "google_ads": "Google Ads",
    "google_ads_excel": "Google Ads (Excel CSV)",
    "meta_ads": "Meta Ads Manager",
    "linkedin_ads": "LinkedIn Campaign Manager",
    "generic_spend": "Spend (generic)",
    "generic_campaigns": "Campaigns (generic)",
    "generic_touches": "Touches (generic)",
    "generic_revenue": "MRR/ARR by account (generic)",
    "generic_goals": "Goals (generic)",
    "generic_forecasts": "Forecasts (generic)",
    "generic_budgets": "Budgets (generic)",
    "generic_rates": "Exchange rates",
    "google_ads_totals": "Google Ads (totals over a date range)",
    "meta_ads_period": "Meta Ads Manager (totals over a date range)",
    "ad_platform_spend": "Ad platform daily report",
    "salesforce_warehouse": "Salesforce opportunities (warehouse sync)",
    "salesforce_leads": "Salesforce leads",
    "salesforce_campaigns": "Salesforce campaigns",
}
# The date column that tells what period each table covers.
TABLE_DATE_COLUMNS = {
    "campaigns": "start_date",
    "spend": "spend_date",
    "touches": "touched_at",
    "leads": "created_at",
    "opportunities": "created_date",
    "revenue": "month",
    "goals": "period_start",
    "forecasts": "submitted_on",
    "budgets": "period_start",
    "exchange_rates": "rate_date",
}


def data_version(engine: Engine) -> int:
    """Counter bumped by every write: the key for cached reads.

    A read-only store (warehouse mode) is written by a pipeline that may not bump the counter,
    so there the key also covers the uploads (snapshots) it lists: a new or undone snapshot
    refreshes the app's caches on the next page load.
    """
    with engine.connect() as connection:
        version = int(
            connection.execute(
                sa.select(store_state.c.data_version).where(store_state.c.state_id == 1)
            ).scalar_one()
        )
        if not is_read_only(engine):
            return version
        snapshots = connection.execute(
            sa.select(
                sa.func.max(uploads.c.upload_id),
                sa.func.count(),
                sa.func.max(uploads.c.status_changed_at),
            ).where(uploads.c.status == "loaded")
        ).one()
    return zlib.crc32(f"{version}|{snapshots[0]}|{snapshots[1]}|{snapshots[2]}".encode())


def settings(engine: Engine) -> dict[str, str]:
    """All settings as text."""
    with engine.connect() as connection:
        rows = connection.execute(sa.text("select key, value from settings")).all()
    return {str(key): str(value) for key, value in rows}


def fiscal_calendar(store_settings: dict[str, str]) -> FiscalCalendar:
    """The fiscal calendar the settings describe (January, named by end, when unset)."""
    start_month = int(store_settings.get("fiscal_year_start_month", "1"))
    named_by = store_settings.get("fiscal_year_named_by", "end")
    return FiscalCalendar(
        start_month=start_month, named_by="start" if named_by == "start" else "end"
    )


@dataclass(frozen=True)
class DataExtent:
    """What span of time the store holds."""

    first_date: date | None
    data_through: date | None
    upload_count: int
    last_loaded_at: datetime | None = None  # when the newest loaded upload arrived


def data_extent(engine: Engine) -> DataExtent:
    """First date every core source covers, and the latest export's snapshot date.

    The data runs to the latest snapshot of an export of facts (opportunities, spend, leads,
    touches, revenue). Plans and the campaign list loaded or entered later do not move it: a
    campaign renamed today says nothing about how far spend or billing has been exported.

    The first date is the latest of the first opportunity, spend and ARR dates (sources that
    are empty are ignored), so the period list starts where the numbers are complete.
    """
    sql = sa.text(
        """
        with first_dates as (
            select min(created_date) as first_date from current_opportunities
            union all
            select min(spend_date) from current_spend
            union all
            select min(month) from current_revenue
        ),
        loaded as (
            -- Plans (goals, forecasts, budgets) and the campaign list are not observations:
            -- entering a forecast or renaming a campaign today does not make the data run to
            -- today (the current month would then read as a month with no revenue).
            select max(snapshot_date) filter (
                       where kind not in (
                           'goals', 'forecasts', 'budgets', 'campaigns', 'exchange_rates'
                       )
                   ) as data_through,
                   count(*) as upload_count, max(uploaded_at) as last_loaded_at
            from uploads
            where status = 'loaded'
        )
        select (select max(first_date) from first_dates) as first_date,
               loaded.data_through,
               loaded.upload_count,
               loaded.last_loaded_at
        from loaded
        """
    )
    with engine.connect() as connection:
        row = connection.execute(sql).one()
    return DataExtent(
        first_date=_as_date(row.first_date),
        data_through=_as_date(row.data_through),
        upload_count=int(row.upload_count),
        last_loaded_at=row.last_loaded_at,
    )


def _as_date(value: date | datetime | None) -> date | None:
    """Date of a DATE or TIMESTAMP value as drivers return them."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    return value


def _checked_date_field(date_field: str) -> str:
    if date_field not in OPPORTUNITY_DATE_FIELDS:
        raise ValueError(
            f"opportunity date field must be one of {', '.join(OPPORTUNITY_DATE_FIELDS)}, got "
            f"{date_field!r}"
        )
    return date_field


def _opportunity_filter_sql(date_field: str, won_only: bool) -> str:
    won = "and is_won" if won_only else ""
    return f"""
        from current_opportunities as o
        where opportunity_type in :opportunity_types
          and {_checked_date_field(date_field)} between :first_day and :last_day
          {won}
    """


# An opportunity is influenced when its account had a campaign touch in the window of days
# before it was created (the creation day included).
_TOUCHED_BEFORE_CREATION = """
    and exists (
        select 1 from current_touches as t
        where t.account_id = o.account_id
          and t.touched_at < cast(o.created_date as timestamp) + interval '1 day'
          and t.touched_at >= cast(o.created_date as timestamp) - :days * interval '1 day'
    )
"""


def _expanding(sql: str, *names: str) -> sa.TextClause:
    return sa.text(sql).bindparams(*(sa.bindparam(name, expanding=True) for name in names))


def _opportunity_amount_query(
    first_day: date,
    last_day: date,
    date_field: str,
    opportunity_types: Sequence[str],
    won_only: bool,
    source_channels: Sequence[str] | None,
    touched_within_days: int | None,
    campaign_id: str | None,
    by_day: bool,
) -> tuple[sa.TextClause, dict[str, object]]:
    where = _opportunity_filter_sql(date_field, won_only)
    params: dict[str, object] = {
        "opportunity_types": list(opportunity_types),
        "first_day": first_day,
        "last_day": last_day,
    }
    lists = ["opportunity_types"]
    if source_channels is not None:
        where += " and source_channel in :source_channels"
        params["source_channels"] = list(source_channels)
        lists.append("source_channels")
    if touched_within_days is not None:
        where += _TOUCHED_BEFORE_CREATION
        params["days"] = int(touched_within_days)
    if campaign_id is not None:
        where += " and o.campaign_id = :campaign_id"
        params["campaign_id"] = campaign_id
    if by_day:
        field = _checked_date_field(date_field)
        sql = f"""
            with matching as (select {field} as day, amount_usd {where}),
            daily as (select day, sum(amount_usd) as amount_usd from matching group by day)
            select * from daily order by day
        """  # noqa: S608 - the only interpolated names come from the allow-list
    else:
        sql = f"select coalesce(sum(amount_usd), 0) as amount_usd {where}"
    return _expanding(sql, *lists), params


def opportunity_amount(
    engine: Engine,
    first_day: date,
    last_day: date,
    date_field: str,
    opportunity_types: Sequence[str],
    won_only: bool = False,
    source_channels: Sequence[str] | None = None,
    touched_within_days: int | None = None,
    campaign_id: str | None = None,
) -> float:
    """Sum of current opportunity amounts whose ``date_field`` falls in the window.

    ``source_channels`` keeps opportunities sourced by those channels; ``touched_within_days``
    keeps those whose account had a campaign touch in that many days before creation;
    ``campaign_id`` keeps those whose primary campaign it is.
    """
    statement, params = _opportunity_amount_query(
        first_day,
        last_day,
        date_field,
        opportunity_types,
        won_only,
        source_channels,
        touched_within_days,
        campaign_id,
        by_day=False,
    )
    with engine.connect() as connection:
        value = connection.execute(statement, params).scalar_one()
    return float(value)


def opportunity_amount_by_day(
    engine: Engine,
    first_day: date,
    last_day: date,
    date_field: str,
    opportunity_types: Sequence[str],
    won_only: bool = False,
    source_channels: Sequence[str] | None = None,
    touched_within_days: int | None = None,
    campaign_id: str | None = None,
) -> pd.DataFrame:
    """:func:`opportunity_amount` per day (``day``, ``amount_usd``), days with none left out."""
    statement, params = _opportunity_amount_query(
        first_day,
        last_day,
        date_field,
        opportunity_types,
        won_only,
        source_channels,
        touched_within_days,
        campaign_id,
        by_day=True,
    )
    with engine.connect() as connection:
        frame = pd.read_sql(statement, connection, params=params)
    frame["amount_usd"] = frame["amount_usd"].astype(float)
    return frame


def opportunity_amount_by_month(
    engine: Engine,
    first_day: date,
    last_day: date,
    date_field: str,
    opportunity_types: Sequence[str],
    won_only: bool = False,
) -> pd.DataFrame:
    """Monthly sums (``month``, ``amount_usd``) of current opportunities in the window."""
    field = _checked_date_field(date_field)
    sql = f"""
        with matching as (
            select date_trunc('month', {field}) as month, amount_usd
            {_opportunity_filter_sql(date_field, won_only)}
        ),
        monthly as (
            select month, sum(amount_usd) as amount_usd from matching group by month
        )
        select * from monthly order by month
    """  # noqa: S608 - the only interpolated names come from the allow-list
    with engine.connect() as connection:
        frame = pd.read_sql(
            _expanding(sql, "opportunity_types"),
            connection,
            params={
                "opportunity_types": list(opportunity_types),
                "first_day": first_day,
                "last_day": last_day,
            },
        )
    return _monthly_frame(frame, "amount_usd")


def _spend_filter(campaign_id: str | None) -> str:
    campaign = " and campaign_id = :campaign_id" if campaign_id is not None else ""
    return f"""
        from current_spend
        where channel in :channels and spend_date between :first_day and :last_day{campaign}
    """


def spend_amount(
    engine: Engine,
    first_day: date,
    last_day: date,
    channels: Sequence[str],
    campaign_id: str | None = None,
) -> float:
    """Spend in the window on ``channels`` (of one campaign when ``campaign_id`` is given)."""
    sql = f"select coalesce(sum(amount_usd), 0) as amount_usd {_spend_filter(campaign_id)}"
    params = {"channels": list(channels), "first_day": first_day, "last_day": last_day}
    if campaign_id is not None:
        params["campaign_id"] = campaign_id
    with engine.connect() as connection:
        value = connection.execute(_expanding(sql, "channels"), params).scalar_one()
    return float(value)


def spend_by_day(
    engine: Engine,
    first_day: date,
    last_day: date,
    channels: Sequence[str],
    campaign_id: str | None = None,
) -> pd.DataFrame:
    """:func:`spend_amount` per day (``day``, ``amount_usd``), days with none left out."""
    sql = f"""
        with matching as (select spend_date as day, amount_usd {_spend_filter(campaign_id)}),
        daily as (select day, sum(amount_usd) as amount_usd from matching group by day)
        select * from daily order by day
    """  # noqa: S608 - the filter is one of two fixed strings
    params = {"channels": list(channels), "first_day": first_day, "last_day": last_day}
    if campaign_id is not None:
        params["campaign_id"] = campaign_id
    with engine.connect() as connection:
        frame = pd.read_sql(_expanding(sql, "channels"), connection, params=params)
    frame["amount_usd"] = frame["amount_usd"].astype(float)
    return frame


def spend_by_month(
    engine: Engine, first_day: date, last_day: date, channels: Sequence[str]
) -> pd.DataFrame:
    """Monthly spend (``month``, ``amount_usd``) on ``channels`` in the window."""
    sql = """
        with matching as (
            select date_trunc('month', spend_date) as month, amount_usd
            from current_spend
            where channel in :channels and spend_date between :first_day and :last_day
        ),
        monthly as (
            select month, sum(amount_usd) as amount_usd from matching group by month
        )
        select * from monthly order by month
    """
    with engine.connect() as connection:
        frame = pd.read_sql(
            _expanding(sql, "channels"),
            connection,
            params={"channels": list(channels), "first_day": first_day, "last_day": last_day},
        )
    return _monthly_frame(frame, "amount_usd")


def latest_revenue_month(engine: Engine, month: date) -> date | None:
    """The latest month on or before ``month`` that the billing rows reach (``None``: none)."""
    with engine.connect() as connection:
        found = connection.execute(
            sa.text("select max(month) from current_revenue where month <= :month"),
            {"month": month},
        ).scalar_one()
    if found is None:
        return None
    return found.date() if isinstance(found, datetime) else found


def arr_by_month(
    engine: Engine, first_month: date, last_month: date, minimum_account_arr: float = 0.0
) -> pd.DataFrame:
    """Total ARR (``month``, ``arr_usd``) and paying accounts per month in the window.

    Accounts with ARR at or below ``minimum_account_arr`` are left out (the ARR definition).
    """
    sql = sa.text(
        """
        with matching as (
            select month, arr_usd, account_id
            from current_revenue
            where month between :first_month and :last_month and arr_usd > :minimum
        ),
        monthly as (
            select month, sum(arr_usd) as arr_usd, count(distinct account_id) as account_count
            from matching
            group by month
        )
        select * from monthly order by month
        """
    )
    with engine.connect() as connection:
        frame = pd.read_sql(
            sql,
            connection,
            params={
                "first_month": first_month,
                "last_month": last_month,
                "minimum": max(minimum_account_arr, 0.0),
            },
        )
    frame["month"] = pd.to_datetime(frame["month"])
    return frame


def _monthly_frame(frame: pd.DataFrame, value_column: str) -> pd.DataFrame:
    frame["month"] = pd.to_datetime(frame["month"])
    frame[value_column] = frame[value_column].astype(float)
    return frame


def table_summary(engine: Engine) -> pd.DataFrame:
    """Per fact table: rows stored (all versions), current rows, date range, last upload."""
    parts = []
    for table in VERSIONED_TABLES:
        column = TABLE_DATE_COLUMNS[table]
        parts.append(
            f"""
            select '{table}' as table_name,
                   (select count(*) from {table}) as stored_rows,
                   count(*) as current_rows,
                   cast(min({column}) as date) as first_date,
                   cast(max({column}) as date) as last_date
            from current_{table}
            """  # noqa: S608 - table and column names come from the schema, never from input
        )
    sql = sa.text(
        f"""
        with tables as ({" union all ".join(parts)}),
        last_uploads as (
            select kind as table_name, max(uploaded_at) as last_upload_at, count(*) as uploads
            from uploads
            where status = 'loaded'
            group by kind
        )
        select tables.*, last_uploads.last_upload_at, coalesce(last_uploads.uploads, 0) as uploads
        from tables
        left join last_uploads on last_uploads.table_name = tables.table_name
        """  # noqa: S608
    )
    with engine.connect() as connection:
        frame = pd.read_sql(sql, connection)
    frame.insert(1, "table_label", frame["table_name"].map(TABLE_LABELS))
    order = {name: index for index, name in enumerate(VERSIONED_TABLES)}
    return frame.sort_values("table_name", key=lambda names: names.map(order)).reset_index(
        drop=True
    )


def upload_history(engine: Engine, limit: int = 100) -> pd.DataFrame:
    """The most recent uploads, newest first (at most ``limit``, capped at 500)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    sql = sa.text(
        """
        with recent as (
            select upload_id, file_name, source, kind, snapshot_date, rows_read, rows_inserted,
                   rows_updated, rows_rejected, uploaded_by, uploaded_at, status, sha256
            from uploads
            order by upload_id desc
            limit :limit
        )
        select recent.upload_id, file_name, source, kind, snapshot_date, rows_read,
               rows_inserted, rows_updated, rows_rejected,
               coalesce(warned.rows_warned, 0) as rows_warned,
               uploaded_by, uploaded_at, status, sha256
        from recent
        left join (
            select upload_id, count(*) as rows_warned from upload_warnings
            where upload_id in (select upload_id from recent)
            group by upload_id
        ) as warned on warned.upload_id = recent.upload_id
        order by recent.upload_id desc
        """
    )
    with engine.connect() as connection:
        history = pd.read_sql(sql, connection, params={"limit": min(limit, UPLOAD_HISTORY_LIMIT)})
    history.insert(
        3, "source_label", history["source"].map(SOURCE_LABELS).fillna(history["source"])
    )
    history.insert(5, "table_label", history["kind"].map(TABLE_LABELS).fillna(history["kind"]))
    return history


def warnings_of(engine: Engine, upload_id: int, limit: int = 100_000) -> pd.DataFrame:
    """The rows of an upload that loaded with a warning: row, column, value, warning."""
    with engine.connect() as connection:
        return pd.read_sql(
            sa.text(
                "select row_number as row, column_name as column, value, warning "
                "from upload_warnings where upload_id = :upload_id "
                "order by row_number, column_name limit :limit"
            ),
            connection,
            params={"upload_id": int(upload_id), "limit": int(limit)},
        )


# Opportunity versions as they stood on a day: the latest export at or before it (the versions
# table records the day each version was replaced, so this is a filter, not a ranking).
_VERSIONS_ON = """
    select opportunity_id, amount_usd, close_date, is_closed, is_won
    from opportunity_history
    where snapshot_date <= :{day} and (valid_until is null or valid_until > :{day})
      and opportunity_type in :opportunity_types
"""


def versions_on_sql(day_parameter: str) -> str:
    """SQL of each opportunity's version on the day bound to ``:<day_parameter>``."""
    return _VERSIONS_ON.replace("{day}", day_parameter)


def open_pipeline_on(
    engine: Engine,
    opportunity_types: Sequence[str],
    first_day: date,
    last_day: date,
    day: date,
) -> float:
    """Amount open on ``day`` (in the latest export by then) due ``first_day``..``last_day``."""
    sql = f"""
        with versions as ({versions_on_sql("day")})
        select coalesce(sum(amount_usd), 0) from versions
        where not is_closed and close_date between :first_day and :last_day
    """  # noqa: S608 - the interpolated SQL is this module's own constant
    statement = sa.text(sql).bindparams(sa.bindparam("opportunity_types", expanding=True))
    with engine.connect() as connection:
        value = connection.execute(
            statement,
            {
                "opportunity_types": list(opportunity_types),
                "day": day,
                "first_day": first_day,
                "last_day": last_day,
            },
        ).scalar_one()
    return float(value)
