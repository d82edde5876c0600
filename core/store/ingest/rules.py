"""The rules a file's rows are checked against, and the SELECT that turns typed rows into the
store's columns, per kind (DuckDB SQL over the run's typed rows, by design).

Every check is a SELECT of (record_number, column_label, value, problem); the pipeline unions
them into one query. Warnings are the same shape for rows that load anyway. The canonical select
converts money (:mod:`.currency`), spreads totals over a date range, and adds up repeats where
the format says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.definitions import DEFAULT_DEFINITIONS, FORECAST_METRICS
from core.formatting import format_money_exact, plural
from core.store.ingest import currency, sql
from core.store.ingest.presets import OPEN_VOCABULARIES, VOCABULARIES, Preset
from core.store.ingest.report import IngestReport, MappedField
from core.store.restate import restatements
from core.store.schema import VERSIONED_TABLES

MAX_RESTATEMENT_SENTENCES = 12


@dataclass(frozen=True)
class Money:
    """What a canonical select needs to convert amounts: the run's rates table, the reporting
    currency, and the table of rows refused (left out before repeats are added up)."""

    rates_table: str
    reporting: str
    error_table: str
    # Amounts that name no currency: the one currency the rest of the file names, else the
    # reporting currency.
    file_currency: str
    all_reporting: bool = False  # nothing to convert: no rate lookups at all


# The day whose rate converted a stored row, per money table (see core.store.ingest.currency).
def restated_by_rates(connection: Connection, upload_id: int, reporting: str) -> list[str]:
    """Sentences naming what stands restated, after a rates upload, in the currencies it names.

    Amounts already loaded follow the rates in force (:mod:`core.store.restate`): the upload
    history keeps them as reported, and undoing these rates takes the restatement back.
    """
    named = [
        str(code)
        for (code,) in connection.execute(
            sa.text("select distinct currency from exchange_rates where upload_id = :upload_id"),
            {"upload_id": int(upload_id)},
        )
    ]
    found = restatements(connection, VERSIONED_TABLES, named)
    sentences = []
    for item in found[:MAX_RESTATEMENT_SENTENCES]:
        sentences.append(
            f"Restated at the rates in force: {plural(item.records, f'{item.table} record')} in "
            f"{item.currency}, {item.month:%B %Y}: "
            f"{format_money_exact(float(item.reported), item.reported_in, 2)} as reported, "
            f"{format_money_exact(float(item.restated), reporting, 2)} restated. The upload "
            "history keeps every amount as reported; undo these rates to take it back."
        )
    if len(found) > MAX_RESTATEMENT_SENTENCES:
        sentences.append(
            f"{plural(len(found) - MAX_RESTATEMENT_SENTENCES, 'more month')} restated: "
            "python -m core rates lists them all."
        )
    return sentences


def warning_checks(report: IngestReport, table: str) -> list[str]:
    """SQL selects of (record_number, column_label, value, warning) for rows that load anyway."""
    checks = []
    rows = f"from {table} where skip_reason is null"
    if report.kind == "opportunities":
        if has_field(report, "created_date") and has_field(report, "close_date"):
            column = sql.literal(mapped_field(report, "close_date").column)  # type: ignore[union-attr]
            checks.append(
                f"select record_number, {column}, raw_close_date, "
                "'closes before it was created (created ' || cast(val_created_date as varchar) || "
                "'): loaded as the export says (backfilled history?)' "
                f"{rows} and val_close_date < val_created_date"
            )
        amount = mapped_field(report, "amount")
        if amount is not None and amount.column:
            checks.append(
                f"select record_number, {sql.literal(amount.column)}, null, "
                "'is blank: loaded as 0 (the deal counts, adds nothing to amounts)' "
                f"{rows} and raw_amount is null"
            )
    return checks


# --------------------------------------------------------------------------------------------
# Validation rules and canonical rows, per kind
# --------------------------------------------------------------------------------------------
def mapped_field(report: IngestReport, name: str) -> MappedField | None:
    return next((mapped for mapped in report.mapping if mapped.field.name == name), None)


def has_field(report: IngestReport, name: str) -> bool:
    mapped = mapped_field(report, name)
    return mapped is not None and mapped.column is not None


PARSE_EXPECTATIONS = {
    "number": "a number such as 1234.56",
    "percent": "a number from 0 to 100",
    "integer": "a whole number",
    "date": "a date",
    "timestamp": "a date and time",
    "month": "a month such as 2026-11",
    "boolean": "true or false",
    "channel": "a known channel",
    "opportunity_type": "New Business, Expansion or Renewal",
    "forecast_category": "commit, most likely or best case",
    "level": "vision, annual, quarterly or campaign",
    "direction": "higher or lower",
    "currency": "a three-letter currency code such as EUR",
}
# Required values that load with a warning when blank (Salesforce deals without an amount yet).
BLANK_IS_WARNING = frozenset({("opportunities", "amount")})


def validation_checks(
    report: IngestReport, reporting: str, table: str, line: Callable[[str], str]
) -> list[str]:
    """SQL selects of (record_number, column_label, value, problem) for every rule broken."""
    checks = []
    rows = f"from {table} where skip_reason is null"
    for mapped in report.mapping:
        if mapped.column is None:
            continue
        name, label = mapped.field.name, sql.literal(mapped.column)
        raw, val = sql.quoted(f"raw_{name}"), sql.quoted(f"val_{name}")
        if mapped.field.required and (report.kind, name) not in BLANK_IS_WARNING:
            checks.append(
                f"select record_number, {label}, null, 'is required but empty' {rows} and {val} is null and {raw} is null"
            )
        parse = mapped.field.parse
        if parse == "text" or parse == "period" or parse == "lifecycle_stage":
            continue
        if parse in OPEN_VOCABULARIES:
            continue  # unknown vendor values load as "other" and are listed, never refused
        expectation = PARSE_EXPECTATIONS[parse]
        if parse in VOCABULARIES:
            known = sorted(set(VOCABULARIES[parse].values()))
            expectation = "one of " + ", ".join(known)
        problem = sql.literal(f"is not {expectation}")
        checks.append(
            f"select record_number, {label}, {raw}, {problem} {rows} and {raw} is not null and {val} is null"
        )
    # Ranges and cross-field rules.
    for name, rule, problem in _RANGE_RULES.get(report.preset.kind if report.preset else "", ()):
        mapped = mapped_field(report, name)
        if mapped is None or mapped.column is None:
            continue
        checks.append(
            f"select record_number, {sql.literal(mapped.column)}, cast({sql.quoted('raw_' + name)} as varchar), "
            f"{sql.literal(problem)} {rows} and {rule.format(v=sql.quoted('val_' + name))}"
        )
    if report.kind == "exchange_rates":
        checks.extend(_rate_checks(report, reporting, rows))
    checks.extend(_cross_field_checks(report, rows))
    checks.extend(_duplicate_checks(report, table, line))
    if any(m.column and m.field.parse == "period" for m in report.mapping):
        mapped = next(m for m in report.mapping if m.column and m.field.parse == "period")
        checks.append(
            f"select record_number, {sql.literal(mapped.column)}, raw_period, "
            "'is not a fiscal period; expected a label such as Q3 FY2027, FY2027 or 2026-11' "
            f"from {table} left join {table}_period_map as periods on periods.period_text = val_period "
            f"where skip_reason is null and raw_period is not null and periods.period_label is null"
        )
        if report.kind == "forecasts" and has_field(report, "submitted_on"):
            column = sql.literal(mapped_field(report, "submitted_on").column)  # type: ignore[union-attr]
            checks.append(
                f"select record_number, {column}, raw_submitted_on, "
                "'is after the period ended (' || cast(periods.period_end as varchar) || "
                "'): a forecast is made before its period closes' "
                f"from {table} join {table}_period_map as periods on periods.period_text = val_period "
                f"where skip_reason is null and val_submitted_on > periods.period_end"
            )
    if report.kind == "forecasts" and has_field(report, "metric"):
        column = sql.literal(mapped_field(report, "metric").column)  # type: ignore[union-attr]
        known = ", ".join(sql.literal(metric) for metric in FORECAST_METRICS)
        problem = sql.literal(
            "is not a metric that can be forecast; use one of: " + ", ".join(FORECAST_METRICS)
        )
        checks.append(
            f"select record_number, {column}, raw_metric, {problem} "
            f"{rows} and val_metric is not null and val_metric not in ({known})"
        )
    return checks


# (field, SQL condition that is TRUE when the value is wrong, problem)
_RANGE_RULES: Mapping[str, tuple[tuple[str, str, str], ...]] = {
    "spend": (
        ("amount", "{v} < 0", "is negative; spend must be zero or more"),
        ("impressions", "{v} < 0", "is negative"),
        ("clicks", "{v} < 0", "is negative"),
    ),
    "opportunities": (
        ("amount", "{v} < 0", "is negative; amounts must be zero or more"),
        ("probability", "{v} < 0 or {v} > 100", "is outside 0-100"),
    ),
    "revenue": (
        ("mrr", "{v} < 0", "is negative; MRR must be zero or more"),
        ("arr", "{v} < 0", "is negative; ARR must be zero or more"),
    ),
    "campaigns": (("budget", "{v} < 0", "is negative"),),
    "budgets": (("amount", "{v} < 0", "is negative; planned spend must be zero or more"),),
    "forecasts": (("value", "{v} < 0", "is negative"),),
}


# (earlier field, later field, name of the earlier date, show its value): a later date that
# comes before the earlier one is an error, reported on the later column.
_DATE_ORDER_RULES: Mapping[str, tuple[tuple[str, str, str, bool], ...]] = {
    "leads": (
        ("created_at", "mql_at", "created", True),
        ("mql_at", "sql_at", "MQL", True),
        ("sql_at", "opportunity_at", "SQL", True),
    ),
    "campaigns": (("start_date", "end_date", "start", False),),
}


def _rate_checks(report: IngestReport, reporting: str, rows: str) -> list[str]:
    """A rate is above zero, names a month or a day, and is 1 for the reporting currency."""
    checks = []
    rate = mapped_field(report, "rate")
    if rate is not None and rate.column:
        label = sql.literal(rate.column)
        checks.append(
            f"select record_number, {label}, raw_rate, 'is not above zero: a rate says how many "
            f"{reporting} one unit buys' {rows} and val_rate <= 0"
        )
        checks.append(
            f"select record_number, {label}, raw_rate, "
            f"{sql.literal(f'is not 1: {reporting} is the reporting currency')} "
            f"{rows} and val_currency = {sql.literal(reporting)} and val_rate <> 1"
        )
    month, day = mapped_field(report, "month"), mapped_field(report, "rate_day")
    month_value = "val_month" if has_field(report, "month") else "null"
    day_value = "val_rate_day" if has_field(report, "rate_day") else "null"
    wanted = next((m.column for m in (month, day) if m is not None and m.column), None)
    if wanted:
        checks.append(
            f"select record_number, {sql.literal(wanted)}, null, 'is required but empty (a month "
            f"such as 2026-06, or a day)' {rows} and {month_value} is null and {day_value} is null "
            f"and raw_{'month' if has_field(report, 'month') else 'rate_day'} is null"
        )
    return checks


def _cross_field_checks(report: IngestReport, rows: str) -> list[str]:
    checks = []
    kind = report.kind
    for earlier, later, name, with_date in _DATE_ORDER_RULES.get(kind or "", ()):
        if has_field(report, earlier) and has_field(report, later):
            column = sql.literal(mapped_field(report, later).column)  # type: ignore[union-attr]
            problem = f"'is before the {name} date'"
            if with_date:
                problem = f"'is before the {name} date ' || cast(val_{earlier} as varchar)"
            checks.append(
                f"select record_number, {column}, raw_{later}, {problem} "
                f"{rows} and val_{later} < val_{earlier}"
            )
    if kind == "opportunities" and has_field(report, "is_won") and has_field(report, "is_closed"):
        column = sql.literal(mapped_field(report, "is_won").column)  # type: ignore[union-attr]
        checks.append(
            f"select record_number, {column}, raw_is_won, 'says won but the opportunity is not closed' "
            f"{rows} and val_is_won and not val_is_closed"
        )
    if kind == "campaigns" and has_field(report, "goal_id"):
        column = sql.literal(mapped_field(report, "goal_id").column)  # type: ignore[union-attr]
        checks.append(
            f"select record_number, {column}, raw_goal_id, 'links to goal ' || val_goal_id || "
            "', which is not in the store: load the goals first, or leave the goal empty' "
            f"{rows} and val_goal_id is not null "
            "and val_goal_id not in (select goal_id from current_goals)"
        )
    if kind == "revenue":
        first = (
            mapped_field(report, "mrr") if has_field(report, "mrr") else mapped_field(report, "arr")
        )
        if first is not None and first.column:
            checks.append(
                f"select record_number, {sql.literal(first.column)}, null, 'is required but empty' "
                f"{rows} and {sql.quoted('raw_' + first.field.name)} is null"
            )
    return checks


def natural_keys(report: IngestReport) -> list[list[str]]:
    """Fields that together may appear once per file (a kind can have more than one key)."""
    keys = {
        "opportunities": [["opportunity_id"]],
        "leads": [["lead_id"]],
        "touches": [["touch_id"]],
        "campaigns": [["campaign_id"]],
        "goals": [["goal_id"]],
        # A submission is one forecaster's call of one category for one period and metric on
        # one day, whatever id the file gives it; the id itself must not repeat either.
        "forecasts": [
            ["submitted_on", "period", "metric", "category", "forecaster"],
            ["forecast_id"],
        ],
        "revenue": [["account_id", "month"]],
        "spend": [
            [
                "spend_date" if has_field(report, "spend_date") else "range_start",
                "campaign_id" if has_field(report, "campaign_id") else "campaign_name",
            ]
        ],
        "budgets": [["period", "channel"]],
        "exchange_rates": [["currency", "month"], ["currency", "rate_day"]],
    }.get(report.kind or "", [])
    if report.kind == "spend" and report.preset is not None and report.preset.sum_repeats:
        return []  # repeats add up (Meta's boosted posts share a name on a day)
    return [key for key in keys if all(has_field(report, name) for name in key)]


def _repeat_check(
    table: str,
    expressions: list[str],
    label: str,
    message: str,
    line: Callable[[str], str],
    only: str = "true",
) -> str:
    """SQL listing each row (among those ``only`` keeps) that repeats an earlier row's values
    of ``expressions``: column ``label``, the values, and ``repeats row N`` + ``message``."""
    key = ", ".join(expressions)
    shown = " || ' / ' || ".join(
        f"coalesce(cast({expression} as varchar), '')" for expression in expressions
    )
    present = " and ".join(f"{expression} is not null" for expression in expressions)
    return f"""
        select record_number, {sql.literal(label)}, {shown},
               'repeats row ' || cast({line("first_record")} as varchar) || {sql.literal(message)}
        from {table}
        join (
            select {key}, min(record_number) as first_record
            from {table} where skip_reason is null and {present} and {only}
            group by {key} having count(*) > 1
        ) as repeated using ({key})
        where skip_reason is null and {only} and record_number > first_record
    """


def _duplicate_checks(report: IngestReport, table: str, line: Callable[[str], str]) -> list[str]:
    checks = []
    for names in natural_keys(report):
        label = mapped_field(report, names[0]).column or names[0]  # type: ignore[union-attr]
        what = "submission" if len(names) > 1 and report.kind == "forecasts" else "key"
        checks.append(
            _repeat_check(
                table,
                [f"val_{name}" for name in names],
                label,
                f"'s {what}: each record may appear once per file",
                line,
            )
        )
    if report.kind == "spend" and not (report.preset is not None and report.preset.sum_repeats):
        checks.extend(_uncampaigned_spend_checks(report, table, line))
    return checks


def _uncampaigned_spend_checks(
    report: IngestReport, table: str, line: Callable[[str], str]
) -> list[str]:
    """Spend rows naming no campaign (blank cells, or no campaign column at all) load as the
    channel's spend, keyed "(no campaign: <channel>)": two of them on one day and channel would
    be one record, so the second is refused rather than silently replacing the first."""
    day = "spend_date" if has_field(report, "spend_date") else "range_start"
    if not has_field(report, day):
        return []
    blank = " and ".join(
        f"val_{name} is null"
        for name in ("campaign_id", "campaign_name")
        if has_field(report, name)
    )
    return [
        _repeat_check(
            table,
            [f"val_{day}"] + (["val_channel"] if has_field(report, "channel") else []),
            mapped_field(report, day).column or day,  # type: ignore[union-attr]
            "'s day and channel, and neither names a campaign: name the campaigns, or add "
            "such rows up into one per day and channel",
            line,
            only=blank or "true",  # no campaign column: every row is a channel's own spend
        )
    ]


def canonical_select(preset: Preset, report: IngestReport, table: str, money: Money) -> str:
    """SELECT producing the store's columns (plus ``record_number``) from the typed rows.

    Money kinds also give ``rate_day`` (the day whose rate converted the row), which the
    missing-rates check reads and the insert leaves out.
    """
    kind = preset.kind
    has = lambda name: has_field(report, name)  # noqa: E731
    val = lambda name: f"val_{name}" if has(name) else "null"  # noqa: E731
    rows = f"from {table} where skip_reason is null"
    money_field = currency.MONEY_FIELDS.get(kind, "arr")
    row_currency = currency.row_currency_sql(
        "val_currency" if has("currency") else None,
        f"cur_{money_field}" if has(money_field) else None,
        money.file_currency,
    )
    if kind == "revenue":
        row_currency = currency.row_currency_sql(
            "val_currency" if has("currency") else None,
            f"coalesce({'cur_arr' if has('arr') else 'null'}, {'cur_mrr' if has('mrr') else 'null'})",
            money.file_currency,
        )

    def converted(
        amount: str, day: str, store_column: str, blank_as: str = "null"
    ) -> tuple[str, str]:
        """(joins, columns): the converted amount as ``store_column`` and the originals."""
        if money.all_reporting:  # every amount is in the reporting currency already
            joins, rate = "", "1.0"
            return joins, (
                f"coalesce({amount}, {blank_as}) as {store_column}, "
                f"{amount} as original_amount, "
                f"case when {amount} is not null then {sql.literal(money.reporting)} end "
                "as original_currency, "
                f"case when {amount} is not null then 1.0 end as exchange_rate, {day} as rate_day"
            )
        else:
            joins = currency.rate_joins(money.rates_table, "fx", row_currency, day)
            rate = currency.rate_sql("fx", row_currency, money.reporting)
        columns = (
            f"coalesce({currency.converted_sql(amount, rate)}, {blank_as}) as {store_column}, "
            f"{amount} as original_amount, "
            f"case when {amount} is not null then {row_currency} end as original_currency, "
            f"case when {amount} is not null then {rate} end as exchange_rate, "
            f"{day} as rate_day"
        )
        return joins, columns

    if kind == "opportunities":
        stage = "lower(val_stage)"
        closed = f"coalesce({val('is_closed')}, {stage} like '%closed%' or {stage} like '%won%' or {stage} like '%lost%')"
        won = f"coalesce({val('is_won')}, {stage} like '%won%')"
        campaign = val("campaign_id")
        joins = ""
        if not has("campaign_id") and has("campaign_name"):
            joins = _campaign_join("val_campaign_name")
            campaign = "campaign.campaign_id"
        fx_joins, money_columns = converted("val_amount", "val_close_date", "amount_usd", "0")
        return f"""
            select record_number, val_opportunity_id as opportunity_id,
                coalesce({val("account_id")}, {val("account_name")}) as account_id,
                {val("opportunity_name")} as opportunity_name,
                coalesce({val("opportunity_type")}, 'new_business') as opportunity_type,
                val_stage as stage,
                val_created_date as created_date, val_close_date as close_date,
                {closed} as is_closed, {won} as is_won,
                {val("probability")} as probability_pct, {val("forecast_category")} as forecast_category,
                {_channel_or_other(report, "lead_source")} as source_channel,
                {campaign} as campaign_id, {val("owner")} as owner, {money_columns}
            from {table} {joins} {fx_joins} where skip_reason is null
        """
    if kind == "spend":
        return _spend_select(preset, report, table, money, row_currency)
    if kind == "exchange_rates":
        day = val("rate_day")
        return f"""
            select record_number, val_currency as currency,
                coalesce({day}, {val("month")}) as rate_date,
                case when {day} is not null then 'day' else 'month' end as rate_period,
                val_rate as rate
            {rows}
        """
    if kind == "leads":
        joins = _campaign_join("val_campaign_name") if has("campaign_name") else ""
        campaign = "campaign.campaign_id" if joins else "null"
        return f"""
            select record_number, val_lead_id as lead_id, {val("email")} as email,
                {val("company_name")} as company_name, {val("account_id")} as account_id,
                val_created_at as created_at, {val("mql_at")} as mql_at, {val("sql_at")} as sql_at,
                {val("opportunity_at")} as opportunity_at, {val("customer_at")} as customer_at,
                {val("first_worked_at")} as first_worked_at, {val("lifecycle_stage")} as lifecycle_stage,
                {val("lead_status")} as lead_status, {_channel_or_other(report, "source_channel")} as source_channel,
                {campaign} as source_campaign_id
            from {table} {joins} where skip_reason is null
        """
    if kind == "touches":
        return f"""
            select record_number, val_touch_id as touch_id, val_touched_at as touched_at,
                {val("contact_email")} as contact_email, {val("account_id")} as account_id,
                {val("campaign_id")} as campaign_id, val_channel as channel, val_touch_type as touch_type
            {rows}
        """
    if kind == "campaigns":
        fx_joins, money_columns = converted(
            val("budget"), f"coalesce({val('start_date')}, current_date)", "budget_usd"
        )
        return f"""
            select record_number, val_campaign_id as campaign_id, val_campaign_name as campaign_name,
                val_channel as channel, {val("objective")} as objective, {val("start_date")} as start_date,
                {val("end_date")} as end_date, {val("goal_id")} as goal_id,
                {val("owner")} as owner, {money_columns}
            from {table} {fx_joins} where skip_reason is null
        """
    if kind == "revenue":
        arr = f"coalesce({val('arr')}, round({val('mrr')} * 12, 2))"
        fx_joins, money_columns = converted(arr, "val_month", "arr_usd")
        return f"""
            select record_number, val_account_id as account_id, val_month as month,
                {val("account_name")} as account_name, {val("segment")} as segment, {money_columns}
            from {table} {fx_joins} where skip_reason is null
        """
    period = f"left join {table}_period_map as periods on periods.period_text = val_period"
    if kind == "goals":
        return f"""
            select record_number, val_goal_id as goal_id, {val("parent_goal_id")} as parent_goal_id,
                val_level as level, val_goal_name as goal_name, val_metric as metric, val_target as target,
                periods.period_label, coalesce({val("period_start")}, periods.period_start) as period_start,
                coalesce({val("period_end")}, periods.period_end) as period_end, {val("owner")} as owner,
                coalesce({val("direction")}, {_registry_direction("val_metric")}) as direction,
                {val("campaign_id")} as campaign_id
            from {table} {period} where skip_reason is null
        """
    if kind == "forecasts":
        generated = (
            "'FC-' || substr(md5(cast(val_submitted_on as varchar) || '|' || val_period || '|' || "
            "val_metric || '|' || val_category || '|' || val_forecaster), 1, 16)"
        )
        return f"""
            select record_number, coalesce({val("forecast_id")}, {generated}) as forecast_id,
                val_submitted_on as submitted_on, periods.period_label, periods.period_start,
                periods.period_end, val_metric as metric, val_value as value, val_category as category,
                val_forecaster as forecaster
            from {table} {period} where skip_reason is null
        """
    if kind == "budgets":
        fx_joins, money_columns = converted(
            "val_amount", "periods.period_start", "planned_spend_usd"
        )
        return f"""
            select record_number, periods.period_label, val_channel as channel, periods.period_start,
                periods.period_end, {money_columns}
            from {table} {period} {fx_joins} where skip_reason is null
        """
    raise ValueError(f"no canonical rows defined for {kind}")


def _spend_select(
    preset: Preset, report: IngestReport, table: str, money: Money, row_currency: str
) -> str:
    """Spend rows: per day as the file gives them; repeats of a key added up when the format
    says so (Meta); totals over a date range spread evenly over its days, to the cent."""
    has = lambda name: has_field(report, name)  # noqa: E731
    val = lambda name: f"val_{name}" if has(name) else "null"  # noqa: E731
    constants = preset.constants
    source = sql.literal(constants.get("source", preset.name))
    fallback_channel = sql.literal(constants["channel"]) if "channel" in constants else "null"
    # A row is keyed by its campaign id; without one, by the campaign of that name, else by
    # the name itself under the source (google_ads:Brand).
    joins = _campaign_join("val_campaign_name") if has("campaign_name") else ""
    by_name = f"campaign.campaign_id, {source} || ':' || val_campaign_name" if joins else "null"
    channel = (
        f"coalesce({val('channel')}, {'campaign.channel, ' if joins else ''}{fallback_channel})"
    )
    # A row naming no campaign is the channel's own spend: "(no campaign: paid_search)".
    no_campaign = f"'(no campaign: ' || coalesce({channel}, 'unknown') || ')'"
    campaign_id = f"coalesce({val('campaign_id')}, {by_name}, {no_campaign})"
    spread = not has("spend_date") and has("range_start") and has("range_end")
    if money.all_reporting:  # every amount is in the reporting currency: no lookup per row
        row_currency = sql.literal(money.reporting)
    base = f"""
        select record_number, {val("spend_date")} as spend_date,
            {val("range_start")} as range_start, {val("range_end")} as range_end,
            {campaign_id} as campaign_id, {source} as source, {channel} as channel,
            val_amount as amount, {row_currency} as currency,
            {val("impressions")} as impressions, {val("clicks")} as clicks
        from {table} {joins} where skip_reason is null
    """
    if preset.sum_repeats:
        base = f"""
            select min(record_number) as record_number, spend_date, range_start, range_end,
                campaign_id, source, min(channel) as channel,
                -- added in decimal: 0.1 + 0.2 stays 0.30 (binary floats would drift)
                cast(sum(cast(amount as {currency.DECIMAL_AMOUNT})) as double) as amount,
                min(currency) as currency, sum(impressions) as impressions, sum(clicks) as clicks
            from ({base}) as file_rows
            where record_number not in (select record_number from {money.error_table})
            group by spend_date, range_start, range_end, campaign_id, source
        """
    if not spread:
        joins = currency.rate_joins(
            money.rates_table, "fx", "records.currency", "records.spend_date"
        )
        rate = currency.rate_sql("fx", "records.currency", money.reporting)
        if money.all_reporting:
            joins, rate = "", "1.0"
        return f"""
            select records.record_number, records.spend_date, records.campaign_id,
                records.source, records.channel,
                {currency.converted_sql("records.amount", rate)} as amount_usd,
                records.impressions, records.clicks, records.amount as original_amount,
                case when records.amount is not null then records.currency end
                    as original_currency,
                case when records.amount is not null then {rate} end as exchange_rate,
                false as is_spread, records.spend_date as rate_day
            from ({base}) as records {joins}
        """
    month_rate = currency.rate_sql("fx", "days.currency", money.reporting)
    month_join = (
        f" left join {money.rates_table} as fx_month on fx_month.currency = days.currency "
        "and fx_month.rate_period = 'month' and fx_month.rate_date = days.month"
        " left join (select null as rate) as fx_day on false"
    )
    return f"""
        with records as ({base}),
        days as (
            select records.*, cast(calendar.day as date) as day,
                cast(date_trunc('month', calendar.day) as date) as month,
                count(*) over (partition by record_number) as day_count,
                row_number() over (partition by record_number order by calendar.day) - 1 as day_index,
                cast(round(amount * 100) as bigint) as total_cents
            from records, unnest(generate_series(
                cast(range_start as timestamp), cast(range_end as timestamp), interval 1 day
            )) as calendar(day)
        ),
        day_cents as (
            select *,
                total_cents // day_count
                    + case when day_index < total_cents % day_count then 1 else 0 end as cents,
                count(*) over (partition by record_number, month) as days_in_month,
                row_number() over (partition by record_number, month order by day) - 1
                    as index_in_month
            from days
        ),
        months as (
            select days.*, sum(cents) over (partition by record_number, month) as month_cents,
                {month_rate} as rate
            from day_cents as days {month_join}
        ),
        converted as (
            select *,
                case when rate = 1 then month_cents else cast(round(
                    cast(month_cents as {currency.DECIMAL_AMOUNT})
                    * cast(rate as {currency.DECIMAL_RATE})
                ) as bigint) end as converted_month_cents
            from months
        )
        select record_number, day as spend_date, campaign_id, source, channel,
            (converted_month_cents // days_in_month
                + case when index_in_month < converted_month_cents % days_in_month then 1 else 0 end
            ) / 100.0 as amount_usd,
            impressions // day_count
                + case when day_index < impressions % day_count then 1 else 0 end as impressions,
            clicks // day_count + case when day_index < clicks % day_count then 1 else 0 end as clicks,
            cents / 100.0 as original_amount, currency as original_currency,
            rate as exchange_rate, true as is_spread, day as rate_day
        from converted
    """


def _registry_direction(metric_column: str) -> str:
    """SQL for the registry's direction of a metric (goals without a direction column)."""
    lower = [
        sql.literal(metric)
        for metric, definition in DEFAULT_DEFINITIONS.items()
        if definition.direction == "lower"
    ]
    return f"case when {metric_column} in ({', '.join(lower)}) then 'lower' else 'higher' end"


def _campaign_join(name_column: str) -> str:
    """Campaign ids (and channels) by campaign name, from the campaigns already loaded."""
    return f"""
        left join (
            select lower(campaign_name) as campaign_key, min(campaign_id) as campaign_id, min(channel) as channel
            from current_campaigns group by lower(campaign_name)
        ) as campaign on campaign.campaign_key = lower({name_column})
    """


def _channel_or_other(report: IngestReport, name: str) -> str:
    if not has_field(report, name):
        return "null"
    return f"coalesce(val_{name}, case when raw_{name} is not null then 'other' end)"
