"""Tables, views and migrations of the store.

Facts are versioned, never overwritten: every fact row carries the ``upload_id`` it came from,
and the natural key plus ``upload_id`` identifies a row (:data:`VERSIONED_TABLES`). Fact tables
carry no index: DuckDB loads and stores them twice as fast without one, and the loader refuses a
file that repeats a natural key, so the pair stays unique. The ``current_*`` tables hold, per
natural key, the latest version among uploads that are still loaded (an undone upload's rows are
kept but no longer current), ordered by the date the export represents and then by upload.

``current_*`` are tables, not views: every page reads them, and ranking every version of every
key on each read cost hundreds of milliseconds per query at scale 10 and seconds at scale 100.
:func:`bump_data_version`, which every write calls in its own transaction, brings them up to
date with :func:`refresh_current`: an upload newer than everything loaded of its kind replaces
the keys it carries (work in proportion to the file); anything else (an undo, an older export
uploaded late) rebuilds that one table from its ``live_current_*`` view, the same ranking as a
view, which stays as the definition and the check.

The schema has a version. :func:`migrate` brings any older store to :data:`SCHEMA_VERSION`, one
step at a time, each step in its own transaction; a store written by a newer release is refused
with a plain message rather than silently misread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.store.engine import create_store_engine
from core.store.restate import (
    MONEY_COLUMNS,
    RATES_TABLE,
    REPORTING_SQL,
    converted_rows_sql,
    restated_joins,
    restated_select_list,
)

SCHEMA_VERSION = 16

metadata = sa.MetaData()
upload_id_sequence = sa.Sequence("uploads_upload_id_seq", metadata=metadata)
review_id_sequence = sa.Sequence("reviews_review_id_seq", metadata=metadata)
goal_change_id_sequence = sa.Sequence("goal_changes_change_id_seq", metadata=metadata)
goal_comment_id_sequence = sa.Sequence("goal_comments_comment_id_seq", metadata=metadata)
scenario_id_sequence = sa.Sequence("saved_scenarios_scenario_id_seq", metadata=metadata)
review_note_id_sequence = sa.Sequence("review_notes_note_id_seq", metadata=metadata)
decision_version_sequence = sa.Sequence("review_decisions_version_id_seq", metadata=metadata)
audit_id_sequence = sa.Sequence("audit_log_audit_id_seq", metadata=metadata)
role_grant_id_sequence = sa.Sequence("role_grants_grant_id_seq", metadata=metadata)


def _upload_id() -> sa.Column:
    return sa.Column("upload_id", sa.Integer, nullable=False)


def _original_columns() -> tuple[sa.Column, ...]:
    """The amount as the file wrote it, its currency and the rate applied (schema 14)."""
    return (
        sa.Column("original_amount", sa.Double),
        sa.Column("original_currency", sa.String),
        sa.Column("exchange_rate", sa.Double),
    )


schema_versions = sa.Table(
    "schema_versions",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
    sa.Column("description", sa.String, nullable=False),
)

store_state = sa.Table(
    "store_state",
    metadata,
    sa.Column("state_id", sa.Integer, primary_key=True, autoincrement=False),
    # Incremented by every write; cached reads in the app are keyed by it.
    sa.Column("data_version", sa.Integer, nullable=False),
    sa.Column("changed_at", sa.DateTime, nullable=False),
)

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("value", sa.String, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("updated_by", sa.String, nullable=False),
)

uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column(
        "upload_id",
        sa.Integer,
        upload_id_sequence,
        server_default=upload_id_sequence.next_value(),
        primary_key=True,
    ),
    sa.Column("file_name", sa.String, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("source", sa.String, nullable=False),  # preset, e.g. 'salesforce_dataloader'
    sa.Column("kind", sa.String, nullable=False),  # target table, e.g. 'opportunities'
    sa.Column("snapshot_date", sa.Date, nullable=False),  # the day the export represents
    sa.Column("rows_read", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rows_inserted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rows_updated", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rows_rejected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("uploaded_by", sa.String, nullable=False),
    sa.Column("uploaded_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String, nullable=False),  # 'loaded' or 'undone'
    # The store's reporting currency when it loaded: the currency its amounts are "as reported"
    # in (schema 16; the currency of the time for uploads before it).
    sa.Column("reporting_currency", sa.String),
    sa.Column("status_changed_at", sa.DateTime),
    sa.Column("status_changed_by", sa.String),
    sa.Column("is_demo", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("note", sa.String),
    # What ingest decided (encoding, separator, header line, formats, mapping), as JSON.
    sa.Column("details_json", sa.String),
)

rejects = sa.Table(
    "rejects",
    metadata,
    sa.Column("upload_id", sa.Integer, primary_key=True),
    sa.Column("row_number", sa.Integer, primary_key=True),
    sa.Column("column_name", sa.String, primary_key=True),
    sa.Column("raw_row", sa.String, nullable=False),
    sa.Column("reason", sa.String, nullable=False),
)

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("campaign_id", sa.String, nullable=False),
    _upload_id(),
    sa.Column("campaign_name", sa.String, nullable=False),
    sa.Column("channel", sa.String, nullable=False),
    sa.Column("objective", sa.String),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("budget_usd", sa.Double),
    sa.Column("goal_id", sa.String),
    sa.Column("owner", sa.String),
    # The amount as the file wrote it and its currency, and the rate that converted it to the
    # reporting currency (1 when they are the same); null for rows loaded before schema 14.
    *_original_columns(),
)

spend = sa.Table(
    "spend",
    metadata,
    sa.Column("spend_date", sa.Date, nullable=False),
    sa.Column("campaign_id", sa.String, nullable=False),
    sa.Column("source", sa.String, nullable=False),  # ad platform or finance feed
    _upload_id(),
    sa.Column("channel", sa.String, nullable=False),
    sa.Column("amount_usd", sa.Double, nullable=False),
    sa.Column("impressions", sa.BigInteger),
    sa.Column("clicks", sa.BigInteger),
    # The amount as the file wrote it and its currency, and the rate that converted it to the
    # reporting currency (1 when they are the same); null for rows loaded before schema 14.
    *_original_columns(),
    # True when the export gave a total over a date range (no day column), spread evenly
    # over its days by the loader; the day's amount is then not what the platform reported.
    sa.Column("is_spread", sa.Boolean),
)

touches = sa.Table(
    "touches",
    metadata,
    sa.Column("touch_id", sa.String, nullable=False),
    _upload_id(),
    sa.Column("touched_at", sa.DateTime, nullable=False),
    sa.Column("contact_email", sa.String),
    sa.Column("account_id", sa.String),
    sa.Column("campaign_id", sa.String),
    sa.Column("channel", sa.String, nullable=False),
    sa.Column("touch_type", sa.String, nullable=False),
)

leads = sa.Table(
    "leads",
    metadata,
    sa.Column("lead_id", sa.String, nullable=False),
    _upload_id(),
    sa.Column("email", sa.String),
    sa.Column("company_name", sa.String),
    sa.Column("account_id", sa.String),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("mql_at", sa.DateTime),
    sa.Column("sql_at", sa.DateTime),
    sa.Column("opportunity_at", sa.DateTime),
    sa.Column("customer_at", sa.DateTime),
    sa.Column("first_worked_at", sa.DateTime),
    sa.Column("lifecycle_stage", sa.String),
    sa.Column("lead_status", sa.String),
    sa.Column("source_channel", sa.String),
    sa.Column("source_campaign_id", sa.String),
)

opportunities = sa.Table(
    "opportunities",
    metadata,
    sa.Column("opportunity_id", sa.String, nullable=False),
    _upload_id(),
    sa.Column("account_id", sa.String),  # HubSpot deals and some reports carry no account
    sa.Column("opportunity_name", sa.String),
    sa.Column("opportunity_type", sa.String, nullable=False),  # new_business/expansion/renewal
    sa.Column("stage", sa.String, nullable=False),
    sa.Column("amount_usd", sa.Double, nullable=False),
    sa.Column("created_date", sa.Date, nullable=False),
    sa.Column("close_date", sa.Date, nullable=False),
    sa.Column("is_closed", sa.Boolean, nullable=False),
    sa.Column("is_won", sa.Boolean, nullable=False),
    sa.Column("probability_pct", sa.Double),
    sa.Column("forecast_category", sa.String),
    sa.Column("source_channel", sa.String),
    sa.Column("campaign_id", sa.String),
    sa.Column("owner", sa.String),
    # The amount as the file wrote it and its currency, and the rate that converted it to the
    # reporting currency (1 when they are the same); null for rows loaded before schema 14.
    *_original_columns(),
)

revenue = sa.Table(
    "revenue",
    metadata,
    sa.Column("account_id", sa.String, nullable=False),
    sa.Column("month", sa.Date, nullable=False),  # first day of the calendar month
    _upload_id(),
    sa.Column("account_name", sa.String),
    sa.Column("segment", sa.String),
    sa.Column("arr_usd", sa.Double, nullable=False),  # ARR at the end of the month
    # The amount as the file wrote it and its currency, and the rate that converted it to the
    # reporting currency (1 when they are the same); null for rows loaded before schema 14.
    *_original_columns(),
)

goals = sa.Table(
    "goals",
    metadata,
    sa.Column("goal_id", sa.String, nullable=False),
    _upload_id(),
    sa.Column("parent_goal_id", sa.String),
    sa.Column("level", sa.String, nullable=False),  # vision/annual/quarterly/campaign
    sa.Column("goal_name", sa.String, nullable=False),
    sa.Column("metric", sa.String, nullable=False),
    sa.Column("target", sa.Double, nullable=False),
    sa.Column("period_label", sa.String, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("owner", sa.String),
    sa.Column("direction", sa.String, nullable=False),  # 'higher' or 'lower' is better
    sa.Column("campaign_id", sa.String),
)

forecasts = sa.Table(
    "forecasts",
    metadata,
    sa.Column("forecast_id", sa.String, nullable=False),
    _upload_id(),
    sa.Column("submitted_on", sa.Date, nullable=False),
    sa.Column("period_label", sa.String, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("metric", sa.String, nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sa.Column("category", sa.String, nullable=False),  # commit/most_likely/best_case
    sa.Column("forecaster", sa.String, nullable=False),
)

budgets = sa.Table(
    "budgets",
    metadata,
    sa.Column("period_label", sa.String, nullable=False),
    sa.Column("channel", sa.String, nullable=False),
    _upload_id(),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("planned_spend_usd", sa.Double, nullable=False),
    # The amount as the file wrote it and its currency, and the rate that converted it to the
    # reporting currency (1 when they are the same); null for rows loaded before schema 14.
    *_original_columns(),
)

# Exchange rates: how many units of the reporting currency one unit of ``currency`` buys, for a
# month (``rate_period`` 'month', ``rate_date`` its first day) or a day ('day'). A day's rate
# wins over its month's. Loaded like any export (a rates file, or rates typed on the Data page).
exchange_rates = sa.Table(
    "exchange_rates",
    metadata,
    sa.Column("currency", sa.String, nullable=False),
    sa.Column("rate_date", sa.Date, nullable=False),
    sa.Column("rate_period", sa.String, nullable=False),
    _upload_id(),
    sa.Column("rate", sa.Double, nullable=False),
)

metric_definitions = sa.Table(
    "metric_definitions",
    metadata,
    sa.Column("metric", sa.String, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("label", sa.String, nullable=False),
    sa.Column("unit", sa.String, nullable=False),
    sa.Column("direction", sa.String, nullable=False),
    sa.Column("parameters_json", sa.String, nullable=False),
    sa.Column("description", sa.String, nullable=False),
    sa.Column("owner", sa.String, nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("reason", sa.String, nullable=False),
    sa.Column("author", sa.String, nullable=False),
    sa.Column("approved_by", sa.String),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
)

# Column mappings a user confirmed, remembered for files with the same header.
saved_mappings = sa.Table(
    "saved_mappings",
    metadata,
    sa.Column("header_signature", sa.String(64), primary_key=True),
    sa.Column("preset", sa.String, nullable=False),
    sa.Column("mapping_json", sa.String, nullable=False),
    sa.Column("confirmed_by", sa.String, nullable=False),
    sa.Column("confirmed_at", sa.DateTime, nullable=False),
)

# Vendor values a user mapped to the store's (a Salesforce Type to an opportunity type, a lead
# source or campaign type to a channel), remembered per export format (schema 14).
value_mappings = sa.Table(
    "value_mappings",
    metadata,
    sa.Column("source", sa.String, primary_key=True),  # the format (preset) name
    sa.Column("field", sa.String, primary_key=True),  # e.g. opportunity_type, lead_source
    sa.Column("vendor_value", sa.String, primary_key=True),  # compared as vocabulary keys
    sa.Column("value", sa.String, nullable=False),
    sa.Column("confirmed_by", sa.String, nullable=False),
    sa.Column("confirmed_at", sa.DateTime, nullable=False),
)

# Rows that loaded with something worth a look (a close date before the created date, a blank
# amount loaded as 0), listed with the upload and downloadable, never silent (schema 14).
upload_warnings = sa.Table(
    "upload_warnings",
    metadata,
    sa.Column("upload_id", sa.Integer, primary_key=True),
    sa.Column("row_number", sa.Integer, primary_key=True),
    sa.Column("column_name", sa.String, primary_key=True),
    sa.Column("value", sa.String),
    sa.Column("warning", sa.String, nullable=False),
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column(
        "review_id",
        sa.Integer,
        review_id_sequence,
        server_default=review_id_sequence.next_value(),
        primary_key=True,
    ),
    sa.Column("review_date", sa.Date, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("started_by", sa.String, nullable=False),
    sa.Column("frozen_json", sa.String, nullable=False),
    sa.Column("commentary", sa.String),
)

# Every edit made to a goal on the Goals page, field by field (the new versions of the goals
# themselves are rows of ``goals`` from an upload whose source is ``goals_page``).
goal_changes = sa.Table(
    "goal_changes",
    metadata,
    sa.Column(
        "change_id",
        sa.Integer,
        goal_change_id_sequence,
        server_default=goal_change_id_sequence.next_value(),
        primary_key=True,
    ),
    sa.Column("goal_id", sa.String, nullable=False),
    sa.Column("field", sa.String, nullable=False),
    sa.Column("old_value", sa.String),
    sa.Column("new_value", sa.String),
    sa.Column("changed_by", sa.String, nullable=False),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    sa.Column("upload_id", sa.Integer, nullable=False),
)

# Commentary on a goal ("why amber, what we are doing"): appended, never overwritten.
goal_comments = sa.Table(
    "goal_comments",
    metadata,
    sa.Column(
        "comment_id",
        sa.Integer,
        goal_comment_id_sequence,
        server_default=goal_comment_id_sequence.next_value(),
        primary_key=True,
    ),
    sa.Column("goal_id", sa.String, nullable=False),
    sa.Column("comment", sa.String, nullable=False),
    sa.Column("author", sa.String, nullable=False),
    sa.Column("written_at", sa.DateTime, nullable=False),
)

# Budget scenarios saved by name on the Budget scenarios page: the settings, not the results,
# so a saved scenario is recomputed on today's data when it is opened. Never overwritten: saving
# a name again adds a row and the newest row of a name is the scenario.
saved_scenarios = sa.Table(
    "saved_scenarios",
    metadata,
    sa.Column(
        "scenario_id",
        sa.Integer,
        scenario_id_sequence,
        server_default=scenario_id_sequence.next_value(),
        primary_key=True,
    ),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("settings_json", sa.String, nullable=False),
    sa.Column("saved_by", sa.String, nullable=False),
    sa.Column("saved_at", sa.DateTime, nullable=False),
)

# Commentary written on a review: appended, never overwritten.
review_notes = sa.Table(
    "review_notes",
    metadata,
    sa.Column(
        "note_id",
        sa.Integer,
        review_note_id_sequence,
        server_default=review_note_id_sequence.next_value(),
        primary_key=True,
    ),
    sa.Column("review_id", sa.Integer, nullable=False),
    sa.Column("note", sa.String, nullable=False),
    sa.Column("author", sa.String, nullable=False),
    sa.Column("written_at", sa.DateTime, nullable=False),
)

# The decisions log: every change to a decision (raised, owner, due date, status) is a new
# row; a decision is its newest row, and an open one is carried to each review until closed.
review_decisions = sa.Table(
    "review_decisions",
    metadata,
    sa.Column(
        "version_id",
        sa.Integer,
        decision_version_sequence,
        server_default=decision_version_sequence.next_value(),
        primary_key=True,
    ),
    sa.Column("decision_key", sa.String, nullable=False),
    sa.Column("review_id", sa.Integer, nullable=False),  # the review it was raised or changed in
    sa.Column("decision", sa.String, nullable=False),
    sa.Column("owner", sa.String, nullable=False),
    sa.Column("due_date", sa.Date),
    sa.Column("status", sa.String, nullable=False),  # open, done, dropped
    sa.Column("recorded_by", sa.String, nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
)

# Every change anyone made, in the transaction that made it: append-only (core.store.audit
# inserts and reads; nothing in the code updates or deletes a row, and a test holds that).
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column(
        "audit_id",
        sa.Integer,
        audit_id_sequence,
        server_default=audit_id_sequence.next_value(),
        primary_key=True,
    ),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String, nullable=False),  # the name as recorded (name <email>)
    sa.Column("actor_email", sa.String),  # set when the person signed in
    sa.Column("role", sa.String, nullable=False),
    sa.Column("action", sa.String, nullable=False),  # a key of core.access.ACTIONS
    sa.Column("target", sa.String, nullable=False),  # what was changed: "upload 12", "goal G-7"
    sa.Column("summary", sa.String, nullable=False),  # one line a person can read
    sa.Column("before_json", sa.String),
    sa.Column("after_json", sa.String),
)

# Roles an admin gave in the app: every grant is a new row; a person's role is their newest.
role_grants = sa.Table(
    "role_grants",
    metadata,
    sa.Column(
        "grant_id",
        sa.Integer,
        role_grant_id_sequence,
        server_default=role_grant_id_sequence.next_value(),
        primary_key=True,
    ),
    sa.Column("email", sa.String, nullable=False),
    sa.Column("role", sa.String, nullable=False),
    sa.Column("granted_by", sa.String, nullable=False),
    sa.Column("granted_at", sa.DateTime, nullable=False),
)

# What each ``current_*`` table reflects: the loaded uploads of its kind, by id, in id order.
current_tables = sa.Table(
    "current_tables",
    metadata,
    sa.Column("table_name", sa.String, primary_key=True),
    sa.Column("upload_ids", sa.String, nullable=False),  # "3,8,12": loaded uploads, id order
    sa.Column("refreshed_at", sa.DateTime, nullable=False),
)

# Fitted response curves, keyed by a hash of exactly what was fitted (the weekly history, the
# draws, the seed and core.response's FIT_VERSION): a derived cache, so a server restart or a
# write that leaves the history alone (a goal, a definition) does not refit. Pruned to the newest.
scenario_fits = sa.Table(
    "scenario_fits",
    metadata,
    sa.Column("fingerprint", sa.String(64), primary_key=True),
    sa.Column("fitted_at", sa.DateTime, nullable=False),
    sa.Column("fit_seconds", sa.Double, nullable=False),  # DOUBLE since schema 16
    sa.Column("curves_json", sa.String, nullable=False),
)

# The measures of the ARR summary (money as 64-bit DOUBLE since schema 15).
ARR_SUMMARY_MONEY = (
    "start_arr_usd", "new_usd", "reactivation_usd", "expansion_usd", "contraction_usd",
    "churn_usd", "end_arr_usd", "cohort_accounts", "cohort_arr_usd", "net_retained_usd",
    "gross_retained_usd",
)  # fmt: skip


# ARR of all accounts per month (index year * 12 + month - 1): rows, the bridge and retention
# over 12 months, rebuilt with every revenue write (core.store.arr.refresh_summary), so pages
# read a few dozen rows instead of ranking every account-month.
arr_summary = sa.Table(
    "arr_summary",
    metadata,
    sa.Column("m", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("row_count", sa.Integer, nullable=False),
    *(sa.Column(name, sa.Double, nullable=False) for name in ARR_SUMMARY_MONEY),
)

# Natural key of every versioned fact table: its current table keeps one row per key.
VERSIONED_TABLES: Mapping[str, tuple[str, ...]] = {
    "campaigns": ("campaign_id",),
    "spend": ("spend_date", "campaign_id", "source"),
    "touches": ("touch_id",),
    "leads": ("lead_id",),
    "opportunities": ("opportunity_id",),
    "revenue": ("account_id", "month"),
    "goals": ("goal_id",),
    "forecasts": ("forecast_id",),
    "budgets": ("period_label", "channel"),
    "exchange_rates": ("currency", "rate_date", "rate_period"),
}


def fact_columns(table_name: str) -> list[str]:
    """Columns of a versioned fact table other than ``upload_id``, in table order."""
    return [
        column.name for column in metadata.tables[table_name].columns if column.name != "upload_id"
    ]


def current_view_sql(table_name: str, restate: bool = True) -> str:
    """``create view live_current_<table>``: the latest loaded version per natural key, its
    amount restated at the exchange rates in force (:mod:`core.store.restate`; as loaded when
    ``restate`` is false, a store that has no rates table yet).

    The definition of ``current_<table>`` (which :func:`refresh_current` keeps equal to it).
    Portable SQL (window function in a subquery) so it runs on DuckDB and PostgreSQL alike.
    """
    key = ", ".join(f"fact.{column}" for column in VERSIONED_TABLES[table_name])
    columns = fact_columns(table_name)
    fact_list = ", ".join(f"fact.{column}" for column in columns)
    spread = restate and table_name == "spend"  # spread totals restate exactly, per month
    latest = restated_select_list(table_name, columns, "latest", restate=restate, spread=spread)
    joins = restated_joins(table_name, "latest", restate=restate, spread=spread)
    return f"""
create view live_current_{table_name} as
with loaded_versions as (
    select
        {fact_list},
        fact.upload_id,
        row_number() over (
            partition by {key}
            order by upload.snapshot_date desc, fact.upload_id desc
        ) as version_rank
    from {table_name} as fact
    inner join uploads as upload on upload.upload_id = fact.upload_id
    where upload.status = 'loaded'
)
select {latest}, latest.upload_id from loaded_versions as latest {joins}
where latest.version_rank = 1
"""  # noqa: S608 - table and column names come from this module, never from input


def opportunity_versions_sql(restate: bool = True) -> str:
    """``create view opportunity_versions``: every loaded version with its snapshot day, the
    amount restated at the rates in force."""
    columns = [column.name for column in metadata.tables["opportunities"].columns]
    select_list = restated_select_list("opportunities", columns, "fact", restate=restate)
    joins = restated_joins("opportunities", "fact", restate=restate)
    return f"""
create view opportunity_versions as
select {select_list}, upload.snapshot_date
from opportunities as fact
inner join uploads as upload on upload.upload_id = fact.upload_id
{joins}
where upload.status = 'loaded'
"""  # noqa: S608 - names from this module


VIEW_NAMES: tuple[str, ...] = (
    *(f"live_current_{name}" for name in VERSIONED_TABLES),
    "opportunity_versions",
)


def _drop_views(connection: Connection) -> None:
    """Drop the views (PostgreSQL refuses to change a column a view reads).

    Up to schema version 7 ``current_*`` were views over ``live_current_*``; PostgreSQL refuses
    to drop a view another one reads, so those go first (migration 8 makes them tables).
    """
    old_current_views = connection.execute(
        sa.text(
            "select table_name from information_schema.views "
            "where table_schema = current_schema() and table_name like 'current%'"
        )
    ).scalars()
    for name in list(old_current_views):
        if name.removeprefix("current_") in VERSIONED_TABLES:
            connection.execute(sa.text(f"drop view if exists {name}"))
    for name in VIEW_NAMES:
        connection.execute(sa.text(f"drop view if exists {name}"))


def _recreate_views(connection: Connection) -> None:
    _drop_views(connection)
    restate = _has_table(connection, RATES_TABLE)  # schema 14 adds the rates
    for name in VERSIONED_TABLES:
        if _has_table(connection, name):  # a table a later migration adds is not there yet
            connection.execute(sa.text(current_view_sql(name, restate)))
    connection.execute(sa.text(opportunity_versions_sql(restate)))


FIRST_SCHEMA_TABLES = (
    "schema_versions", "store_state", "settings", "uploads", "rejects", "campaigns", "spend",
    "touches", "leads", "opportunities", "revenue", "goals", "forecasts", "budgets",
    "metric_definitions", "reviews",
)  # fmt: skip


def _migration_1(connection: Connection) -> None:
    """Create the tables of the first schema (as they were then; later steps change them)."""
    metadata.create_all(connection, tables=[metadata.tables[name] for name in FIRST_SCHEMA_TABLES])
    connection.execute(
        store_state.insert().values(state_id=1, data_version=0, changed_at=sa.func.now())
    )


def _migration_2(connection: Connection) -> None:
    """Ingest: remembered mappings, upload details, opportunities without an account."""
    saved_mappings.create(connection, checkfirst=True)
    upload_columns = {column["name"] for column in _columns(connection, "uploads")}
    if "details_json" not in upload_columns:
        connection.execute(sa.text("alter table uploads add column details_json varchar"))
    connection.execute(sa.text("alter table opportunities alter column account_id drop not null"))


DOUBLE_COLUMNS = (
    ("campaigns", "budget_usd"),
    ("spend", "amount_usd"),
    ("opportunities", "amount_usd"),
    ("opportunities", "probability_pct"),
    ("revenue", "arr_usd"),
    ("goals", "target"),
    ("forecasts", "value"),
    ("budgets", "planned_spend_usd"),
)


def _migration_3(connection: Connection) -> None:
    """Money as DOUBLE: FLOAT kept only 7 digits (2,345,678.91 became 2,345,679.00).

    Values already stored as FLOAT keep the digits they lost; reload those exports to restore
    cents above a million.
    """
    for table, column in DOUBLE_COLUMNS:
        connection.execute(
            sa.text(f"alter table {table} alter column {column} type double precision")
        )


def _columns(connection: Connection, table: str) -> list[dict[str, object]]:
    rows = connection.execute(
        sa.text(
            "select column_name as name from information_schema.columns where table_name = :table"
        ),
        {"table": table},
    )
    return [dict(row._mapping) for row in rows]


def _migration_4(connection: Connection) -> None:
    """Goals: edits made on the Goals page, and commentary per goal."""
    for sequence in (goal_change_id_sequence, goal_comment_id_sequence):
        sequence.create(connection, checkfirst=True)
    goal_changes.create(connection, checkfirst=True)
    goal_comments.create(connection, checkfirst=True)


def _migration_5(connection: Connection) -> None:
    """Budget scenarios saved by name."""
    scenario_id_sequence.create(connection, checkfirst=True)
    saved_scenarios.create(connection, checkfirst=True)


def _migration_6(connection: Connection) -> None:
    """Reviews: notes and the decisions log."""
    for sequence in (review_note_id_sequence, decision_version_sequence):
        sequence.create(connection, checkfirst=True)
    review_notes.create(connection, checkfirst=True)
    review_decisions.create(connection, checkfirst=True)


def _migration_7(connection: Connection) -> None:
    """Access: the audit log and roles granted in the app."""
    for sequence in (audit_id_sequence, role_grant_id_sequence):
        sequence.create(connection, checkfirst=True)
    audit_log.create(connection, checkfirst=True)
    role_grants.create(connection, checkfirst=True)


def _migration_8(connection: Connection) -> None:
    """``current_*`` as tables kept up to date on every write, not views ranked on every read."""
    _recreate_views(connection)  # the live_current_* views the tables are built from
    for name in VERSIONED_TABLES:
        if not _has_table(connection, name):
            continue  # added by a later migration, which makes its current table too
        connection.execute(sa.text(f"drop view if exists current_{name}"))
        connection.execute(
            sa.text(f"create table current_{name} as select * from live_current_{name}")  # noqa: S608
        )
    current_tables.create(connection, checkfirst=True)
    for name in VERSIONED_TABLES:
        if not _has_table(connection, name):
            continue
        connection.execute(
            current_tables.insert().values(
                table_name=name,
                upload_ids=_ids_text(_loaded_uploads(connection).get(name, [])),
                refreshed_at=sa.func.now(),
            )
        )


def _migration_9(connection: Connection) -> None:
    """Fitted response curves kept by what they fitted, so a restart does not refit."""
    scenario_fits.create(connection, checkfirst=True)


def _migration_10(connection: Connection) -> None:
    """Opportunity versions with the day each stopped being the latest (``valid_until``)."""
    connection.execute(
        sa.text(f"create table opportunity_history as {_history_select(restate=False)}")
    )


def _migration_11(connection: Connection) -> None:
    """Each deal's first open version in each stage (the forecast's stage win rates)."""
    connection.execute(
        sa.text(f"create table opportunity_stage_visits as {_stage_visits_select(restate=False)}")
    )


def _migration_12(connection: Connection) -> None:
    """ARR of all accounts per month: the bridge and retention kept, not recomputed per read."""
    from core.store.arr import refresh_summary  # the SQL lives with the rest of the ARR math

    arr_summary.create(connection, checkfirst=True)
    refresh_summary(connection)


# PostgreSQL plans the refresh of every write (this upload's rows, their keys among the current
# and derived tables) as whole-table scans and, on statistics that lag a bulk load, as nested
# loops over them: a scale-10 demo built in 25 minutes, not 3 (bench/RESULTS.md). DuckDB needs
# none of these (its scans are fast, and indexes halve its load speed), so they are PostgreSQL's.
POSTGRES_INDEXES: tuple[tuple[str, str], ...] = (
    *((name, "upload_id") for name in VERSIONED_TABLES),
    *((name, ", ".join(key)) for name, key in VERSIONED_TABLES.items()),
    *((f"current_{name}", ", ".join(key)) for name, key in VERSIONED_TABLES.items()),
    ("opportunity_history", "opportunity_id"),
    ("opportunity_stage_visits", "opportunity_id, stage, opportunity_type"),
)


def _migration_13(connection: Connection) -> None:
    """PostgreSQL: indexes for the refresh every write runs (none on DuckDB)."""
    if connection.dialect.name != "postgresql":
        return
    for number, (table, columns) in enumerate(POSTGRES_INDEXES):
        if not _has_table(connection, table):
            continue  # a table of a later migration, which adds its own indexes
        connection.execute(
            sa.text(f"create index if not exists {table}_refresh_{number} on {table} ({columns})")
        )


MONEY_TABLES: tuple[str, ...] = ("campaigns", "spend", "opportunities", "revenue", "budgets")


def _migration_14(connection: Connection) -> None:
    """Currencies: original amounts beside converted ones, exchange rates, value mappings,
    spread spend, warnings kept with their upload."""
    double = "double precision"
    for table in (*MONEY_TABLES, *(f"current_{name}" for name in MONEY_TABLES)):
        _add_columns(
            connection,
            table,
            (
                ("original_amount", double),
                ("original_currency", "varchar"),
                ("exchange_rate", double),
            ),
        )
    _add_columns(
        connection,
        "opportunity_history",
        (("original_amount", double), ("original_currency", "varchar"), ("exchange_rate", double)),
    )
    for table in ("spend", "current_spend"):
        _add_columns(connection, table, (("is_spread", "boolean"),))
    exchange_rates.create(connection, checkfirst=True)
    value_mappings.create(connection, checkfirst=True)
    upload_warnings.create(connection, checkfirst=True)
    columns = ", ".join((*fact_columns("exchange_rates"), "upload_id"))
    if not _has_table(connection, "current_exchange_rates"):
        connection.execute(
            sa.text(
                f"create table current_exchange_rates as select {columns} "  # noqa: S608
                "from exchange_rates where 1 = 0"
            )
        )
    if _has_table(connection, "current_tables"):
        known = connection.execute(
            sa.select(current_tables.c.table_name).where(
                current_tables.c.table_name == "exchange_rates"
            )
        ).first()
        if known is None:
            connection.execute(
                current_tables.insert().values(
                    table_name="exchange_rates", upload_ids="", refreshed_at=sa.func.now()
                )
            )
    if connection.dialect.name == "postgresql":
        for index, table, key in (
            ("exchange_rates_refresh_upload", "exchange_rates", "upload_id"),
            ("exchange_rates_refresh_key", "exchange_rates", "currency, rate_date, rate_period"),
            (
                "current_exchange_rates_refresh_key",
                "current_exchange_rates",
                "currency, rate_date, rate_period",
            ),
        ):
            connection.execute(sa.text(f"create index if not exists {index} on {table} ({key})"))


def _add_columns(connection: Connection, table: str, columns: tuple[tuple[str, str], ...]) -> None:
    """Add the columns ``table`` lacks (a store made new already has them from ``metadata``)."""
    if not _has_table(connection, table):
        return
    present = {str(column["name"]) for column in _columns(connection, table)}
    for name, kind in columns:
        if name not in present:
            connection.execute(sa.text(f"alter table {table} add column {name} {kind}"))


def _migration_15(connection: Connection) -> None:
    """The ARR summary as 64-bit DOUBLE: 32-bit FLOAT lost cents (the bridge missed by $0.11)."""
    if not _has_table(connection, "arr_summary"):
        return
    for column in ARR_SUMMARY_MONEY:
        connection.execute(
            sa.text(f"alter table arr_summary alter column {column} type double precision")
        )
    from core.store.arr import refresh_summary  # recomputed at full precision

    refresh_summary(connection)


def _migration_16(connection: Connection) -> None:
    """Amounts restated at the exchange rates in force (the fact tables keep them as loaded)."""
    _add_columns(connection, "uploads", (("reporting_currency", "varchar"),))
    if _has_table(connection, "scenario_fits"):  # no 32-bit FLOAT left in the store
        connection.execute(
            sa.text("alter table scenario_fits alter column fit_seconds type double precision")
        )
    connection.execute(
        sa.text(
            f"update uploads set reporting_currency = {REPORTING_SQL} "  # noqa: S608
            "where reporting_currency is null"
        )
    )
    _recreate_views(connection)  # the restating views, which the rebuild below reads
    if not _has_table(connection, RATES_TABLE) or not _has_table(connection, "current_tables"):
        return
    if connection.execute(sa.text("select 1 from current_exchange_rates limit 1")).first() is None:
        return  # no rates: every amount already stands as loaded
    connection.execute(
        current_tables.delete().where(current_tables.c.table_name.in_(list(MONEY_COLUMNS)))
    )
    refresh_current(connection)


Migration = Callable[[Connection], None]
MIGRATIONS: Mapping[int, tuple[str, Migration]] = {
    1: ("tables and views of the first schema", _migration_1),
    2: ("ingest: remembered mappings, upload details, optional opportunity account", _migration_2),
    3: ("money and measures as 64-bit DOUBLE, not 32-bit FLOAT", _migration_3),
    4: ("goal edits and goal commentary", _migration_4),
    5: ("budget scenarios saved by name", _migration_5),
    6: ("review notes and the decisions log", _migration_6),
    7: ("the audit log and roles granted in the app", _migration_7),
    8: ("current versions kept as tables, refreshed on every write", _migration_8),
    9: ("fitted response curves kept by what they fitted", _migration_9),
    10: ("opportunity versions with the day each was replaced", _migration_10),
    11: ("each deal's first open version in each stage", _migration_11),
    12: ("ARR bridge and retention of all accounts per month", _migration_12),
    13: ("PostgreSQL: indexes for the refresh every write runs", _migration_13),
    14: ("currencies, exchange rates, value mappings, spread spend, load warnings", _migration_14),
    15: ("the ARR summary as 64-bit DOUBLE, not 32-bit FLOAT", _migration_15),
    16: ("amounts restated at the exchange rates in force", _migration_16),
}


class SchemaVersionError(RuntimeError):
    """The store was written by a newer release than this one."""


def schema_version(connection: Connection) -> int:
    """Version of the schema in the store, 0 for an empty store."""
    if not sa.inspect(connection).has_table("schema_versions"):
        return 0
    found = connection.execute(sa.select(sa.func.max(schema_versions.c.version))).scalar()
    return int(found or 0)


def migrate(
    engine: Engine,
    migrations: Mapping[int, tuple[str, Migration]] = MIGRATIONS,
) -> int:
    """Bring the store to the newest schema version; return the version reached.

    Each step runs in its own transaction with the views recreated, so a failed step leaves
    the store at the previous version.
    """
    target = max(migrations)
    with engine.connect() as connection:
        current = schema_version(connection)
    if current > target:
        raise SchemaVersionError(
            f"the store has schema version {current}, written by a newer release of "
            f"Marketing Review; this release understands up to version {target}: upgrade the app"
        )
    for version in range(current + 1, target + 1):
        description, step = migrations[version]
        with engine.begin() as connection:
            _drop_views(connection)
            step(connection)
            _recreate_views(connection)
            connection.execute(
                schema_versions.insert().values(
                    version=version, applied_at=sa.func.now(), description=description
                )
            )
    return target


def derived_shapes() -> dict[str, tuple[str, ...]]:
    """Relations the store keeps beside :data:`metadata`'s tables (made by SQL, not
    ``MetaData``), with the columns the app reads from each."""
    opportunity = (*fact_columns("opportunities"), "upload_id")
    return {
        **{f"current_{name}": (*fact_columns(name), "upload_id") for name in VERSIONED_TABLES},
        "opportunity_versions": (*opportunity, "snapshot_date"),
        "opportunity_history": (*opportunity, "snapshot_date", "valid_until"),
        "opportunity_stage_visits": (
            "opportunity_id", "stage", "opportunity_type", "snapshot_date", "upload_id",
            "amount_usd",
        ),
    }  # fmt: skip


def store_shape_problems(engine: Engine) -> list[str]:
    """What a store opened read-only lacks for the app to read it, one sentence each.

    The shapes are this module's tables and :func:`derived_shapes` (``docs/TABLES.md`` lists
    them) at :data:`SCHEMA_VERSION`; extra tables and columns are fine. Nothing is written: a
    read-only store is never migrated.
    """
    wanted = {
        **{
            name: tuple(column.name for column in table.columns)
            for name, table in metadata.tables.items()
        },
        **derived_shapes(),
    }
    with engine.connect() as connection:
        # information_schema, not SQLAlchemy's inspector: it reads the same on DuckDB,
        # PostgreSQL and the warehouses, for the schema the connection reads by default.
        present: dict[str, set[str]] = {}
        for table, column in connection.execute(
            sa.text(
                "select table_name, column_name from information_schema.columns "
                "where table_schema = current_schema()"
            )
        ):
            present.setdefault(str(table).lower(), set()).add(str(column).lower())
        problems: list[str] = []
        missing = sorted(name for name in wanted if name not in present)
        if missing:
            problems.append(f"missing: {', '.join(missing)}")
        for name in sorted(set(wanted) & set(present)):
            lacking = [column for column in wanted[name] if column not in present[name]]
            if lacking:
                problems.append(f"{name} lacks {', '.join(lacking)}")
        if "schema_versions" in present:
            version = schema_version(connection)
            if version != SCHEMA_VERSION:
                problems.append(
                    f"schema version {version}, not {SCHEMA_VERSION}: "
                    + (
                        "upgrade the app"
                        if version > SCHEMA_VERSION
                        else "open it once with `python -m core tables --db URL` as a role "
                        "that may write, which migrates it"
                    )
                )
    return problems


class StoreShapeError(SchemaVersionError):
    """A store opened read-only lacks tables or columns the app reads; the message lists them."""


def open_store(url: str, read_only: bool = False) -> Engine:
    """The store at ``url``, ready to read: migrated to :data:`SCHEMA_VERSION`, or, read-only
    (warehouse mode), checked to have every table the app reads and never changed.

    Raises
    ------
    StoreShapeError
        When a read-only store lacks what the app reads (every problem named).
    SchemaVersionError
        When the store was written by a newer release.
    """
    engine = create_store_engine(url, read_only=read_only)
    try:
        if not read_only:
            migrate(engine)
            return engine
        problems = store_shape_problems(engine)
    except BaseException:
        engine.dispose()
        raise
    if problems:
        engine.dispose()
        raise StoreShapeError(
            "the read-only store does not have the tables the app reads ("
            + "; ".join(problems)
            + "). docs/TABLES.md lists them."
        )
    return engine


def bump_data_version(connection: Connection) -> int:
    """Mark the store as changed inside the caller's transaction; return the new version.

    Brings the ``current_*`` tables up to date first (:func:`refresh_current`).
    """
    refresh_current(connection)
    connection.execute(
        store_state.update()
        .where(store_state.c.state_id == 1)
        .values(data_version=store_state.c.data_version + 1, changed_at=sa.func.now())
    )
    return int(
        connection.execute(
            sa.select(store_state.c.data_version).where(store_state.c.state_id == 1)
        ).scalar_one()
    )


def _loaded_uploads(connection: Connection) -> dict[str, list[tuple[int, date]]]:
    """Kind -> (upload_id, snapshot_date) of its loaded uploads, in id order."""
    rows = connection.execute(
        sa.select(uploads.c.kind, uploads.c.upload_id, uploads.c.snapshot_date)
        .where(uploads.c.status == "loaded")
        .order_by(uploads.c.upload_id)
    ).all()
    loaded: dict[str, list[tuple[int, date]]] = {}
    for kind, upload_id, snapshot_date in rows:
        loaded.setdefault(str(kind), []).append((int(upload_id), snapshot_date))
    return loaded


def _ids_text(versions: list[tuple[int, date]]) -> str:
    return ",".join(str(upload_id) for upload_id, _ in versions)


def _appended(before: list[int], now: list[tuple[int, date]]) -> list[int] | None:
    """The uploads to lay over ``before`` in order, or ``None`` when only a rebuild is right.

    Laying over is right when every upload the table reflects is still loaded and each new one
    is newer (by snapshot date, then id) than everything before it, so its rows win every key
    they carry.
    """
    ids = [upload_id for upload_id, _ in now]
    if ids[: len(before)] != before:
        return None  # an upload the table reflects was undone
    newest = max((day for _, day in now[: len(before)]), default=None)
    added = now[len(before) :]
    for _, day in added:
        if newest is not None and day < newest:
            return None  # an older export loaded late: it wins only the keys nobody newer has
        newest = day
    return [upload_id for upload_id, _ in added]


def refresh_current(connection: Connection) -> dict[str, str]:
    """Bring every ``current_*`` table up to its ``live_current_*`` view, inside the caller's
    transaction; return table -> what was done ("appended N", "rebuilt", "restated": new
    exchange rates restate its amounts), changed tables only.

    A store not yet at schema 8 (a migration under way) has views, not tables: nothing to do.
    """
    if not _has_table(connection, "current_tables"):
        return {}
    reflected = {
        str(name): [int(part) for part in str(ids).split(",") if part]
        for name, ids in connection.execute(
            sa.select(current_tables.c.table_name, current_tables.c.upload_ids)
        ).all()
    }
    loaded = _loaded_uploads(connection)
    done: dict[str, str] = {}
    moved: set[str] = set()  # currencies whose rates in force changed
    # The rates first: a change of rates restates the money tables (core.store.restate).
    for name in sorted(VERSIONED_TABLES, key=lambda table: table != "exchange_rates"):
        key = VERSIONED_TABLES[name]
        now = loaded.get(name, [])
        before = reflected.get(name)
        restate = bool(moved) and before is not None and _holds(connection, name, moved)
        if before is not None and before == [upload_id for upload_id, _ in now] and not restate:
            continue
        rates_before = _rates_in_force(connection) if name == "exchange_rates" else set()
        added = None if before is None or restate else _appended(before, now)
        columns = ", ".join((*fact_columns(name), "upload_id"))
        if added is None:
            connection.execute(sa.text(f"delete from current_{name}"))  # noqa: S608
            connection.execute(
                sa.text(
                    f"insert into current_{name} ({columns}) "  # noqa: S608
                    f"select {columns} from live_current_{name}"
                )
            )
            done[name] = "restated" if restate else "rebuilt"
        else:
            match = " and ".join(f"old.{column} = new.{column}" for column in key)
            for index, upload_id in enumerate(added):
                if index == 0 and not before:
                    # The table reflects no upload, so it is empty: nothing to replace.
                    connection.execute(
                        sa.text(
                            f"insert into current_{name} ({columns}) "  # noqa: S608
                            f"select {columns} from {name} where upload_id = :upload_id"
                        ),
                        {"upload_id": upload_id},
                    )
                    continue
                connection.execute(
                    sa.text(
                        f"delete from current_{name} as old where exists ("  # noqa: S608
                        f"select 1 from {name} as new where new.upload_id = :upload_id "
                        f"and {match})"
                    ),
                    {"upload_id": upload_id},
                )
                connection.execute(
                    sa.text(
                        f"insert into current_{name} ({columns}) "  # noqa: S608
                        f"select {columns} from {name} where upload_id = :upload_id"
                    ),
                    {"upload_id": upload_id},
                )
            done[name] = f"appended {len(added)}"
        if name == "revenue" and _has_table(connection, "arr_summary"):
            from core.store.arr import refresh_summary

            refresh_summary(connection)
        if name == "opportunities":
            days = dict(now)
            _refresh_history(
                connection,
                None if added is None else [(i, days[i]) for i in added],
                fresh=not before,
            )
        ids_text = _ids_text(now)
        if before is None:
            connection.execute(
                current_tables.insert().values(
                    table_name=name, upload_ids=ids_text, refreshed_at=sa.func.now()
                )
            )
        else:
            connection.execute(
                current_tables.update()
                .where(current_tables.c.table_name == name)
                .values(upload_ids=ids_text, refreshed_at=sa.func.now())
            )
        if name == "exchange_rates":
            moved = {row[0] for row in rates_before ^ _rates_in_force(connection)}
    return done


def _rates_in_force(connection: Connection) -> set[tuple[object, ...]]:
    """The current rates as (currency, period, day, rate) rows (a small table)."""
    return {
        tuple(row)
        for row in connection.execute(
            sa.text("select currency, rate_period, rate_date, rate from current_exchange_rates")
        )
    }


def _holds(connection: Connection, name: str, currencies: set[str]) -> bool:
    """Whether the money table ``name`` holds amounts in one of ``currencies`` (which a change
    of their rates restates)."""
    if name not in MONEY_COLUMNS:
        return False
    found = connection.execute(
        sa.text(converted_rows_sql(name)).bindparams(sa.bindparam("currencies", expanding=True)),
        {"currencies": sorted(currencies)},
    )
    return found.first() is not None


# Every loaded opportunity version with the snapshot day it was exported on and the day the
# next version replaced it (``valid_until``, exclusive; null while it is the latest). "The deal
# as the store saw it on day D" is then a filter (snapshot_date <= D < valid_until), not a
# ranking of every version on every read: the forecast track record asks it for many days.
def _history_select(restate: bool = True) -> str:
    facts = restated_select_list(
        "opportunities", fact_columns("opportunities"), "fact", restate=restate
    )
    joins = restated_joins("opportunities", "fact", restate=restate)
    return f"""
    select {facts}, fact.upload_id, upload.snapshot_date,
           lead(upload.snapshot_date) over (
               partition by fact.opportunity_id order by upload.snapshot_date, fact.upload_id
           ) as valid_until
    from opportunities as fact
    inner join uploads as upload on upload.upload_id = fact.upload_id
    {joins}
    where upload.status = 'loaded'
    """  # noqa: S608 - names from this module


def _refresh_history(
    connection: Connection, added: list[tuple[int, date]] | None, fresh: bool = False
) -> None:
    """Bring ``opportunity_history`` up to date: lay ``added`` uploads over it (each newer than
    everything before), or with ``None`` rebuild it from every loaded version. ``fresh``: it
    holds nothing yet (no version to close before the first upload)."""
    if not _has_table(connection, "opportunity_history"):
        return  # a store before schema 10, mid-migration
    columns = ", ".join(
        (*fact_columns("opportunities"), "upload_id", "snapshot_date", "valid_until")
    )
    if added is None:
        connection.execute(sa.text("delete from opportunity_history"))
        connection.execute(
            sa.text(
                f"insert into opportunity_history ({columns}) "
                f"{_history_select(_has_table(connection, RATES_TABLE))}"
            )
        )
        _refresh_stage_visits(connection, None)
        return
    _refresh_stage_visits(connection, [upload_id for upload_id, _ in added])
    facts = ", ".join(fact_columns("opportunities"))
    for index, (upload_id, day) in enumerate(added):
        if not (fresh and index == 0):  # close the versions this upload replaces
            connection.execute(
                sa.text(
                    "update opportunity_history set valid_until = :day "
                    "where valid_until is null and opportunity_id in ("
                    "select opportunity_id from opportunities where upload_id = :upload_id)"
                ),
                {"day": day, "upload_id": upload_id},
            )
        connection.execute(
            sa.text(
                f"insert into opportunity_history ({columns}) "  # noqa: S608
                f"select {facts}, upload_id, cast(:day as date), cast(null as date) "
                "from opportunities where upload_id = :upload_id"
            ),
            {"day": day, "upload_id": upload_id},
        )


# Each deal's first open version in each stage, per opportunity type (the type filter of the
# stage win rates comes before the choice of first visit): loaded versions only. A newer upload
# never changes a first visit, it can only add one; an undo or a late older export rebuilds.
def _stage_visits_select(restate: bool = True) -> str:
    amount = restated_select_list("opportunities", ["amount_usd"], "fact", restate=restate)
    joins = restated_joins("opportunities", "fact", restate=restate)
    return f"""
select opportunity_id, stage, opportunity_type, snapshot_date, upload_id, amount_usd
from (
    select fact.opportunity_id, fact.stage, fact.opportunity_type, upload.snapshot_date,
           fact.upload_id, {amount},
           row_number() over (
               partition by fact.opportunity_id, fact.stage, fact.opportunity_type
               order by upload.snapshot_date, fact.upload_id
           ) as visit
    from opportunities as fact
    inner join uploads as upload on upload.upload_id = fact.upload_id
    {joins}
    where upload.status = 'loaded' and not fact.is_closed
) as ranked
where visit = 1
"""  # noqa: S608 - names from this module


def _refresh_stage_visits(connection: Connection, added: list[int] | None) -> None:
    """Bring ``opportunity_stage_visits`` up to date (``None``: rebuild)."""
    if not _has_table(connection, "opportunity_stage_visits"):
        return  # a store before schema 11, mid-migration
    columns = "opportunity_id, stage, opportunity_type, snapshot_date, upload_id, amount_usd"
    if added is None:
        connection.execute(sa.text("delete from opportunity_stage_visits"))
        connection.execute(
            sa.text(
                f"insert into opportunity_stage_visits ({columns}) "
                f"{_stage_visits_select(_has_table(connection, RATES_TABLE))}"
            )
        )
        return
    for upload_id in added:
        connection.execute(
            sa.text(
                f"insert into opportunity_stage_visits ({columns}) "  # noqa: S608
                "select fact.opportunity_id, fact.stage, fact.opportunity_type, "
                "upload.snapshot_date, fact.upload_id, fact.amount_usd "
                "from opportunities as fact "
                "inner join uploads as upload on upload.upload_id = fact.upload_id "
                "where fact.upload_id = :upload_id and not fact.is_closed "
                "and not exists (select 1 from opportunity_stage_visits as seen "
                "where seen.opportunity_id = fact.opportunity_id and seen.stage = fact.stage "
                "and seen.opportunity_type = fact.opportunity_type)"
            ),
            {"upload_id": upload_id},
        )


def _has_table(connection: Connection, name: str) -> bool:
    return bool(
        connection.execute(
            sa.text("select count(*) from information_schema.tables where table_name = :name"),
            {"name": name},
        ).scalar_one()
    )


# What each relation holds, for the table reference (docs/TABLES.md) that warehouse builders
# follow. Grouped as the warehouse sees them: facts, what the store derives, the app's own.
TABLE_GROUPS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Facts: every version of every record, each row stamped with its upload",
        "A row per natural key per upload (snapshot). Build them from your synced CRM, ad and "
        "billing tables; one `uploads` row per snapshot says its date and whether it counts.",
        (
            ("uploads", "One row per snapshot (file, sync or dbt run): its date and status "
             "('loaded' counts, 'undone' does not)."),
            ("campaigns", "Campaigns: channel, dates, budget, the goal they serve."),
            ("spend", "Spend per day, campaign and source, in the reporting currency (the "
             "`*_usd` money columns hold the reporting currency, whichever it is)."),
            ("touches", "Campaign touches on contacts and accounts (attribution's input)."),
            ("leads", "Leads and contacts with their funnel dates (MQL, SQL, opportunity)."),
            ("opportunities", "Deals as each snapshot saw them: stage, amount, dates, type, "
             "source channel and campaign."),
            ("revenue", "ARR per account and month (MRR x 12 where billing has MRR)."),
            ("goals", "The goal tree, vision to campaign: metric, target, period, direction."),
            ("forecasts", "Every forecast submitted: period, metric, value, category."),
            ("budgets", "Planned spend per period and channel."),
            ("exchange_rates", "Rates to the reporting currency per currency and month "
             "(or day): how many units of the reporting currency one unit buys."),
        ),
    ),
    (
        "Derived: what the store keeps from the facts",
        "The loader refreshes these on every write; a warehouse builds them with the same "
        "definitions (`live_current_*` and the history in `core/store/schema.py`).",
        (
            *(
                (f"current_{name}", f"The latest loaded version of each {name} key (facts' "
                 "columns and `upload_id`)"
                 + (": amounts restated at the exchange rates in force (the facts keep "
                    "them as loaded)." if name in MONEY_COLUMNS else "."))
                for name in VERSIONED_TABLES
            ),
            ("opportunity_versions", "View: every loaded opportunity version with its "
             "snapshot date, amounts restated at the rates in force."),
            ("opportunity_history", "Every loaded opportunity version with its snapshot date "
             "and `valid_until`, the next version's date (null: still current)."),
            ("opportunity_stage_visits", "Each deal's first open version in each stage."),
            ("arr_summary", "The ARR bridge and 12-month retention of all accounts, per month."),
            ("current_tables", "Which uploads each current table was built from."),
        ),
    ),
    (
        "The app's own: definitions, reviews, decisions, access",
        "Empty tables are fine in a warehouse: read-only mode shows the shipped definitions "
        "and no reviews, and nothing is added.",
        (
            ("schema_versions", "Schema versions applied (the app reads this store at "
             f"version {SCHEMA_VERSION})."),
            ("store_state", "One row: `data_version`, moved by every write (the app's caches "
             "key on it; a warehouse pipeline bumps it after each load)."),
            ("settings", "Settings such as the fiscal year's first month."),
            ("rejects", "Rows a file could not load, with the reason."),
            ("metric_definitions", "Metric definition versions beyond the shipped ones."),
            ("saved_mappings", "Column mappings confirmed for a file header."),
            ("value_mappings", "Vendor values (types, lead sources) mapped to the store's, "
             "per export format."),
            ("upload_warnings", "Rows that loaded with a warning (a close date before the "
             "created date, a blank amount), per upload."),
            ("reviews", "Review snapshots: the numbers frozen on the day."),
            ("goal_changes", "Edits made to goals in the app."),
            ("goal_comments", "Commentary on goals."),
            ("saved_scenarios", "Budget scenarios saved by name."),
            ("review_notes", "Notes written during a review."),
            ("review_decisions", "The decisions log, every version."),
            ("audit_log", "Who changed what, before and after."),
            ("role_grants", "Roles granted in the app."),
            ("scenario_fits", "Fitted response curves kept by what they fitted."),
        ),
    ),
)  # fmt: skip


def _column_type(column: sa.Column) -> str:
    return "DOUBLE" if isinstance(column.type, sa.Double) else str(column.type)


def table_reference() -> str:
    """The store's tables as Markdown (``docs/TABLES.md``): what a warehouse schema must hold
    for read-only mode, generated from this module so it cannot drift."""
    shapes = derived_shapes()
    described = {name for _, _, tables in TABLE_GROUPS for name, _ in tables}
    every = {*metadata.tables, *shapes}
    if described != every:
        raise ValueError(f"TABLE_GROUPS and the schema disagree: {sorted(described ^ every)}")
    lines = [
        "# The store's tables",
        "",
        "Generated by `python -m core schema` from `core/store/schema.py` (schema version "
        f"{SCHEMA_VERSION}); a test fails when it is out of date. A store the app opens "
        "read-only (warehouse mode, see the README) must hold every table below with at least "
        "these columns, in the schema its URL reads by default; extra tables and columns are "
        "ignored. Types are SQLAlchemy's generic names; any type the database reads as that "
        "kind will do.",
    ]
    for title, text, tables in TABLE_GROUPS:
        lines += ["", f"## {title}", "", text]
        for name, purpose in tables:
            lines += ["", f"### `{name}`", "", purpose, ""]
            if name in metadata.tables:
                table = metadata.tables[name]
                key = VERSIONED_TABLES.get(name)
                if key:
                    lines += [f"Natural key: {', '.join(key)} (plus `upload_id` per version).", ""]
                lines += ["| column | type | not null |", "|---|---|---|"]
                lines += [
                    f"| `{column.name}` | {_column_type(column)} | "
                    f"{'yes' if not column.nullable else ''} |"
                    for column in table.columns
                ]
            else:
                lines.append(
                    "Columns: " + ", ".join(f"`{column}`" for column in shapes[name]) + "."
                )
    return "\n".join(lines) + "\n"
