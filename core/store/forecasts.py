"""Forecasts in the store: submissions, the actuals that judge them, the baseline, new entries.

:func:`forecasts_with_actuals` returns every current submission with the actual of its period
and metric, measured under the metric definition in effect on the as-of day (the same number
every other page shows, so a forecast is never judged by a friendlier rule), or ``NaN`` while
the period is open. :func:`baseline` is the data-driven call for an open period:

- bookings-type metrics (closed by close date): won to date + open opportunities due in the
  period x the historical win rate of their current stage x (1 - the historical slip rate);
- other amounts (pipeline, MQLs, ...): the value to date over the share of the period's total
  the same days brought in earlier years (the Goals page's seasonal pace);
- levels (ARR): the latest level.

:func:`submit_forecast` stores a forecaster's call entered on the page as an upload of its own
(source ``forecast_form``); a submission is never edited, only superseded by a later one.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core import forecasting
from core.access import Actor, acting
from core.calendar import FiscalCalendar, FiscalPeriod
from core.definitions import (
    FORECAST_METRICS,
    METRIC_AGGREGATIONS,
    MetricDefinition,
    default_definition,
    in_effect,
)
from core.goals import seasonal_share
from core.store import audit
from core.store.engine import ensure_writable
from core.store.ingest.bulk import UploadRecord, append_upload, page_snapshot
from core.store.metrics import OPPORTUNITY_SUMS, metric_value, parameter_values
from core.store.series import metric_series

FORM_SOURCE = "forecast_form"
CATEGORY_ORDER = ("commit", "most_likely", "best_case")
HISTORY_YEARS = 2  # deals closed in the last two years set stage win rates and the slip rate
SLIP_QUARTERS = 8
MAX_FORECASTER = 80
MAX_FORECAST_VALUE = 1e13


# --------------------------------------------------------------------------------------------
# Submissions and actuals
# --------------------------------------------------------------------------------------------
def forecast_rows(engine: Engine) -> pd.DataFrame:
    """Every current submission, oldest first."""
    with engine.connect() as connection:
        frame = pd.read_sql(
            sa.text(
                """
                select forecast_id, submitted_on, period_label, period_start, period_end, metric,
                       value, category, forecaster, upload_id
                from current_forecasts
                order by submitted_on, period_start, metric, forecaster, category
                """
            ),
            connection,
        )
    for column in ("submitted_on", "period_start", "period_end"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def _sum_values(
    engine: Engine,
    definition: MetricDefinition,
    windows: list[tuple[date, date]],
) -> list[float | None]:
    """A sum metric over many windows from one daily series (one query, not one per window)."""
    first = min(start for start, _ in windows)
    last = max(end for _, end in windows)
    series = metric_series(engine, definition, first, last)
    if series is None:
        return [metric_value(engine, definition, start, end) for start, end in windows]
    return [series.value(start, end) for start, end in windows]


def period_actuals(
    engine: Engine,
    keys: pd.DataFrame,
    as_of: date,
    definitions: Mapping[str, MetricDefinition],
) -> pd.DataFrame:
    """Actual and value-to-date of each (``metric``, ``period_start``, ``period_end``) in ``keys``.

    ``actual`` is ``NaN`` while the period is open on ``as_of`` (it ends after it);
    ``to_date`` is the value from the period's start to ``as_of`` (``NaN`` before it starts).
    """
    rows = []
    unique = keys[["metric", "period_start", "period_end"]].drop_duplicates()
    for metric, group in unique.groupby("metric", sort=True):
        definition = definitions.get(str(metric)) or default_definition(str(metric))
        periods = [
            (start, end) for start, end in zip(group.period_start, group.period_end, strict=True)
        ]
        windows: list[tuple[date, date]] = []
        for start, end in periods:
            if end <= as_of:
                windows.append((start, end))
            elif start <= as_of:
                windows.append((start, as_of))
        values = iter(
            (
                _sum_values(engine, definition, windows)
                if METRIC_AGGREGATIONS.get(str(metric)) == "sum"
                else [metric_value(engine, definition, start, end) for start, end in windows]
            )
            if windows
            else []
        )
        for start, end in periods:
            value = next(values) if start <= as_of else None
            number = math.nan if value is None else float(value)
            rows.append(
                {
                    "metric": metric,
                    "period_start": start,
                    "period_end": end,
                    "actual": number if end <= as_of else math.nan,
                    "to_date": number,
                    "definition_version": definition.version,
                }
            )
    columns = ["metric", "period_start", "period_end", "actual", "to_date", "definition_version"]
    return pd.DataFrame(rows, columns=columns)


def forecasts_with_actuals(
    engine: Engine,
    as_of: date,
    definitions: Mapping[str, MetricDefinition],
    histories: Mapping[str, Sequence[MetricDefinition]] | None = None,
) -> pd.DataFrame:
    """:func:`forecast_rows` with ``actual``, ``to_date`` and ``definition_version`` added.

    With ``histories`` (every version of every metric) each submission is judged under the
    definition in effect on the day it was submitted: a forecast made under Bookings v1 is held
    to the v1 actual even after v2 counts renewals. Without them every submission is measured
    under ``definitions`` (restated under the as-of day's versions).
    """
    rows = forecast_rows(engine)
    if rows.empty:
        return rows.assign(
            actual=pd.Series(dtype=float),
            to_date=pd.Series(dtype=float),
            definition_version=pd.Series(dtype="int64"),
        )
    keys = ["metric", "period_start", "period_end"]
    if histories is None:
        actuals = period_actuals(engine, rows, as_of, definitions)
        return rows.merge(actuals, on=keys, how="left")
    chosen: dict[tuple[str, int], MetricDefinition] = {}
    versions = []
    for metric, submitted in zip(rows["metric"], rows["submitted_on"], strict=True):
        history = histories.get(str(metric))
        definition = (
            in_effect(history, submitted)
            if history
            else definitions.get(str(metric)) or default_definition(str(metric))
        )
        chosen[(str(metric), definition.version)] = definition
        versions.append(definition.version)
    rows = rows.assign(definition_version=versions)
    parts = [
        period_actuals(
            engine,
            rows[(rows["metric"] == metric) & (rows["definition_version"] == version)],
            as_of,
            {metric: definition},
        )
        for (metric, version), definition in sorted(chosen.items())
    ]
    actuals = pd.concat(parts, ignore_index=True)
    return rows.merge(actuals, on=[*keys, "definition_version"], how="left")


# --------------------------------------------------------------------------------------------
# The data-driven baseline
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Baseline:
    """The data's own call for an open period, and what it rests on."""

    metric: str
    period_label: str
    value: float | None
    to_date: float | None
    method: str  # "pipeline", "seasonal" or "level"
    note: str
    open_amount: float = 0.0  # open opportunities due in the period (bookings-type metrics)
    expected_from_open: float = 0.0
    slip_rate: float | None = None
    stage_win_rates: Mapping[str, float] | None = None


# Each deal as the store saw it on :as_of (its latest export by then), from the versions table
# that knows when each version was replaced: a filter, not a ranking of every version.
_LATEST_VERSIONS = """
    latest as (
        select * from opportunity_history
        where snapshot_date <= :as_of and (valid_until is null or valid_until > :as_of)
          and opportunity_type in :types
    )
"""


def _types_param(statement: str) -> sa.TextClause:
    return sa.text(statement).bindparams(sa.bindparam("types", expanding=True))


def stage_win_rates(engine: Engine, as_of: date, types: list[str]) -> dict[str, tuple[float, int]]:
    """Stage -> (share of amount won, deals) among deals seen open in that stage.

    Each deal counts once per stage it was seen in (at its first snapshot there), for deals
    that closed in the two years to ``as_of``, as the store knew them on ``as_of``.
    """
    since = as_of - timedelta(days=365 * HISTORY_YEARS)
    statement = _types_param(
        f"""
        with {_LATEST_VERSIONS},
        final as (
            select opportunity_id, is_won from latest
            where is_closed and close_date between :since and :as_of
        ),
        seen as (
            select visits.opportunity_id, visits.stage, visits.amount_usd, final.is_won,
                   row_number() over (
                       partition by visits.opportunity_id, visits.stage
                       order by visits.snapshot_date, visits.upload_id
                   ) as visit
            from opportunity_stage_visits as visits
            join final on final.opportunity_id = visits.opportunity_id
            where visits.snapshot_date <= :as_of and visits.opportunity_type in :types
        )
        select stage,
               sum(case when is_won then amount_usd else 0 end) as won,
               sum(amount_usd) as total, count(*) as deals
        from seen
        where visit = 1
        group by stage
        """  # noqa: S608 - the CTE is a constant
    )
    with engine.connect() as connection:
        rows = connection.execute(statement, {"as_of": as_of, "since": since, "types": types}).all()
    return {
        str(stage): (float(won) / float(total) if total else 0.0, int(deals))
        for stage, won, total, deals in rows
    }


def slip_rate(
    engine: Engine,
    as_of: date,
    calendar: FiscalCalendar,
    types: list[str],
    period: FiscalPeriod,
) -> tuple[float | None, int]:
    """Share of the amount open and due in a quarter that did not close in it, at this point.

    For each of the last eight complete quarters, the deals open and due in it as the store
    saw them at the same point relative to the quarter (as many days after its start as
    ``as_of`` is after ``period``'s, or before it for a period not yet begun): deals still open
    late in a quarter slip far more often than deals seen early, so the rate must match the
    moment. Returns (rate, or ``None`` without history; deals counted).
    """
    offset = (as_of - period.start).days
    current = calendar.quarter_containing(as_of)
    quarters = [calendar.shift(current, -steps) for steps in range(SLIP_QUARTERS, 0, -1)]
    # Every quarter in one statement: the latest versions are ranked once, not once a quarter.
    rows = ", ".join(
        f"(cast(:seen_{index} as date), cast(:first_{index} as date), cast(:last_{index} as date))"
        for index in range(len(quarters))
    )
    params: dict[str, object] = {"as_of": as_of, "types": types}
    for index, quarter in enumerate(quarters):
        params[f"seen_{index}"] = min(quarter.start + timedelta(days=offset), quarter.end)
        params[f"first_{index}"] = quarter.start
        params[f"last_{index}"] = quarter.end
    statement = _types_param(
        f"""
        with {_LATEST_VERSIONS},
        quarters (seen, first_day, last_day) as (values {rows}),
        snapshot_days as (select distinct snapshot_date as day from opportunity_versions),
        snapshots as (
            select quarters.seen, quarters.first_day, quarters.last_day,
                   max(snapshot_days.day) as day
            from quarters join snapshot_days on snapshot_days.day <= quarters.seen
            group by quarters.seen, quarters.first_day, quarters.last_day
        ),
        due as (
            select versions.opportunity_id, versions.amount_usd, snapshots.last_day
            from snapshots
            join opportunity_versions as versions on versions.snapshot_date = snapshots.day
            where not versions.is_closed and versions.opportunity_type in :types
              and versions.close_date between snapshots.first_day and snapshots.last_day
        )
        select sum(case when latest.is_closed and latest.close_date <= due.last_day
                        then 0 else due.amount_usd end) as slipped,
               sum(due.amount_usd) as total, count(*) as deals
        from due join latest using (opportunity_id)
        """  # noqa: S608 - the CTE and the placeholders are constants
    )
    with engine.connect() as connection:
        slipped, total, count = connection.execute(statement, params).one()
    slipped_total, due_total, deals = float(slipped or 0.0), float(total or 0.0), int(count or 0)
    return (slipped_total / due_total if due_total else None), deals


def open_due(
    engine: Engine, first: date, last: date, as_of: date, types: list[str]
) -> pd.DataFrame:
    """Opportunities open on ``as_of`` with a close date in ``first``..``last``: stage, amount."""
    statement = _types_param(
        f"""
        with {_LATEST_VERSIONS}
        select stage, amount_usd from latest
        where not is_closed and close_date between :first and :last
        """  # noqa: S608 - the CTE is a constant
    )
    with engine.connect() as connection:
        return pd.read_sql(
            statement,
            connection,
            params={"as_of": as_of, "first": first, "last": last, "types": types},
        )


def _pipeline_baseline(
    engine: Engine,
    definition: MetricDefinition,
    period: FiscalPeriod,
    as_of: date,
    calendar: FiscalCalendar,
    to_date: float,
) -> Baseline:
    types = parameter_values(definition, "opportunity_types")
    rates = stage_win_rates(engine, as_of, types)
    overall_won = sum(rate * deals for rate, deals in rates.values())
    overall_deals = sum(deals for _, deals in rates.values())
    fallback = overall_won / overall_deals if overall_deals else 0.0
    slip, slip_deals = slip_rate(engine, as_of, calendar, types, period)
    due = open_due(engine, period.start, period.end, as_of, types)
    win = np.array([rates.get(str(stage), (fallback, 0))[0] for stage in due["stage"]])
    amounts = due["amount_usd"].to_numpy(dtype=float)
    expected = float((amounts * win).sum()) * (1.0 - (slip or 0.0))
    slip_text = f"{slip:.0%} slip" if slip is not None else "no slip history"
    return Baseline(
        metric=definition.metric,
        period_label=period.label,
        value=to_date + expected,
        to_date=to_date,
        method="pipeline",
        note=(
            f"won to date plus {len(due):,} open deals due in {period.label} "
            f"x their stage's win rate over {HISTORY_YEARS} years x (1 - {slip_text}: the share "
            f"of {slip_deals:,} deals due at the same point of the last {SLIP_QUARTERS} quarters "
            "that slipped out of their quarter)"
        ),
        open_amount=float(amounts.sum()),
        expected_from_open=expected,
        slip_rate=slip,
        stage_win_rates={stage: rate for stage, (rate, _) in rates.items()},
    )


def _seasonal_baseline(
    engine: Engine,
    definition: MetricDefinition,
    period: FiscalPeriod,
    as_of: date,
    calendar: FiscalCalendar,
    to_date: float,
) -> Baseline:
    elapsed = (as_of - period.start).days
    history = []
    per_year = {"year": 1, "quarter": 4, "month": 12}.get(period.kind)
    for years_back in (1, 2, 3):
        if per_year is not None:
            before = calendar.shift(period, -per_year * years_back)
            before_start, before_end = before.start, before.end
        else:  # a week: the same dates a year earlier
            before_start = period.start - timedelta(days=364 * years_back)
            before_end = period.end - timedelta(days=364 * years_back)
        total = metric_value(engine, definition, before_start, before_end)
        part = metric_value(
            engine,
            definition,
            before_start,
            min(before_end, before_start + timedelta(days=elapsed)),
        )
        if total and part is not None:
            history.append((float(part), float(total)))
    share = seasonal_share(history)
    method_note = "the share of the period's total the same days brought in earlier years"
    if share is None:
        share = (elapsed + 1) / ((period.end - period.start).days + 1)
        method_note = "the share of the period's days gone (no earlier year to compare)"
    return Baseline(
        metric=definition.metric,
        period_label=period.label,
        value=to_date / share if share > 0 else None,
        to_date=to_date,
        method="seasonal",
        note=f"value to date over {share:.0%}, {method_note}",
    )


def baseline(
    engine: Engine,
    metric: str,
    period: FiscalPeriod,
    as_of: date,
    calendar: FiscalCalendar,
    definitions: Mapping[str, MetricDefinition],
) -> Baseline:
    """The data-driven forecast of ``metric`` for ``period``, open on ``as_of``."""
    definition = definitions.get(metric) or default_definition(metric)
    aggregation = METRIC_AGGREGATIONS.get(metric)
    if period.start > as_of:
        to_date = 0.0
    else:
        value = metric_value(engine, definition, period.start, min(as_of, period.end))
        to_date = float(value or 0.0)
    if metric in OPPORTUNITY_SUMS and OPPORTUNITY_SUMS[metric][0] == "close_date":
        return _pipeline_baseline(engine, definition, period, as_of, calendar, to_date)
    if aggregation == "sum":
        if period.start > as_of:
            return Baseline(
                metric, period.label, None, None, "seasonal", "the period has not begun"
            )
        return _seasonal_baseline(engine, definition, period, as_of, calendar, to_date)
    level = metric_value(engine, definition, as_of, as_of)
    return Baseline(
        metric=metric,
        period_label=period.label,
        value=None if level is None else float(level),
        to_date=None if level is None else float(level),
        method="level",
        note="the latest level, carried to the period's end",
    )


# --------------------------------------------------------------------------------------------
# Entering a forecast on the page
# --------------------------------------------------------------------------------------------
class ForecastEntryError(ValueError):
    """A forecast entered on the page was refused; ``problems`` says why, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def forecast_id(submitted_on: date, period_label: str, metric: str, category: str, who: str) -> str:
    """The id ingest gives a submission without one (the same formula, so both agree)."""
    text = f"{submitted_on.isoformat()}|{period_label}|{metric}|{category}|{who}"
    return "FC-" + hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()[:16]


def check_entry(
    forecaster: str,
    period: FiscalPeriod,
    metric: str,
    values: Mapping[str, float | None],
    submitted_on: date,
) -> list[str]:
    """Every problem with a forecast about to be entered (empty when it can be stored)."""
    problems = []
    who = forecaster.strip()
    if not who:
        problems.append("Say who is forecasting: the forecaster's name is required.")
    elif len(who) > MAX_FORECASTER:
        problems.append(
            f"The forecaster's name is {len(who)} characters; at most {MAX_FORECASTER}."
        )
    if metric not in FORECAST_METRICS:
        problems.append(
            f"{metric!r} is not a metric that can be forecast; use one of: "
            + ", ".join(FORECAST_METRICS)
        )
    if period.end < submitted_on:
        problems.append(
            f"{period.label} ended on {period.end.isoformat()}: a forecast is made before its "
            "period closes."
        )
    given = {category: value for category, value in values.items() if value is not None}
    unknown = sorted(set(given) - set(CATEGORY_ORDER))
    if unknown:
        problems.append(f"Unknown forecast categories: {', '.join(unknown)}.")
    if "most_likely" not in given:
        problems.append("The most likely value is required; commit and best case are optional.")
    for category, value in given.items():
        if not math.isfinite(value) or value < 0 or value > MAX_FORECAST_VALUE:
            problems.append(
                f"The {category.replace('_', ' ')} value must be between 0 and "
                f"{MAX_FORECAST_VALUE:,.0f}, got {value:,}."
            )
    ordered = [given[category] for category in CATEGORY_ORDER if category in given]
    if all(math.isfinite(value) for value in ordered) and ordered != sorted(ordered):
        problems.append("Commit must not exceed most likely, nor most likely exceed best case.")
    return problems


def submit_forecast(
    engine: Engine,
    forecaster: str,
    period: FiscalPeriod,
    metric: str,
    values: Mapping[str, float | None],
    submitted_on: date,
    now: datetime | None = None,
    *,
    actor: Actor | None = None,
) -> int:
    """Store one submission (one row per category given) as an upload; return its id.

    ``forecaster`` is whose call it is; ``actor`` the signed-in person entering it (editors and
    admins), recorded as the uploader. Without one the caller is local, named ``forecaster``.

    Raises :class:`ForecastEntryError` listing every problem; nothing is stored then. Entering
    the same forecaster, period, metric and category again on the same day supersedes the
    earlier call (a new version of the same submission; the old one stays in the upload log).
    """
    problems = check_entry(forecaster, period, metric, values, submitted_on)
    if problems:
        raise ForecastEntryError(problems)
    now = now or datetime.now()
    who = forecaster.strip()
    ensure_writable(engine)
    entered_by = acting(actor, who, "submit_forecast")
    rows = pd.DataFrame(
        [
            {
                "forecast_id": forecast_id(submitted_on, period.label, metric, category, who),
                "submitted_on": submitted_on,
                "period_label": period.label,
                "period_start": period.start,
                "period_end": period.end,
                "metric": metric,
                "value": float(value),
                "category": category,
                "forecaster": who,
            }
            for category in CATEGORY_ORDER
            if (value := values.get(category)) is not None
        ]
    )
    payload = json.dumps(rows.to_dict(orient="records"), default=str, sort_keys=True).encode()
    with engine.begin() as connection:
        record = UploadRecord(
            file_name=f"Forecast entered: {metric} for {period.label}",
            sha256=hashlib.sha256(payload + now.isoformat().encode()).hexdigest(),
            size_bytes=len(payload),
            source=FORM_SOURCE,
            kind="forecasts",
            snapshot_date=page_snapshot(connection, "forecasts", now.date()),
            uploaded_by=entered_by.label,
            note=", ".join(
                f"{row.category.replace('_', ' ')} {row.value:,.0f}" for row in rows.itertuples()
            ),
        )
        upload_id = append_upload(connection, record, "forecasts", rows, now)
        audit.record(
            connection,
            entered_by,
            "submit_forecast",
            f"upload {upload_id}",
            f"Entered {who}'s {metric} forecast for {period.label}: {record.note}",
            after={category: values.get(category) for category in CATEGORY_ORDER},
            now=now,
        )
    return upload_id


def baseline_track_record(
    engine: Engine,
    metric: str,
    period: FiscalPeriod,
    as_of: date,
    calendar: FiscalCalendar,
    definitions: Mapping[str, MetricDefinition],
    quarters: int = 6,
) -> pd.DataFrame:
    """How the baseline did at this same point of each of the last ``quarters`` quarters.

    For a quarter ``period`` open on ``as_of``: the baseline each earlier quarter would have
    shown as many days after its start (history as the store held it then), beside its actual.
    Columns: ``period_label``, ``as_of``, ``baseline``, ``actual``, ``error`` (baseline - actual).
    """
    definition = definitions.get(metric) or default_definition(metric)
    offset = (as_of - period.start).days
    rows = []
    for steps in range(quarters, 0, -1):
        before = calendar.shift(calendar.quarter_containing(as_of), -steps)
        then = min(before.start + timedelta(days=offset), before.end)
        actual = metric_value(engine, definition, before.start, before.end)
        call = baseline(engine, metric, before, then, calendar, definitions)
        rows.append(
            {
                "period_label": before.label,
                "as_of": then,
                "baseline": call.value,
                "actual": actual,
                "error": None if call.value is None or actual is None else call.value - actual,
            }
        )
    return pd.DataFrame(rows, columns=["period_label", "as_of", "baseline", "actual", "error"])


# --------------------------------------------------------------------------------------------
# Everything the page and the command show
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class AccuracyReport:
    """Scored submissions, their accuracy and the current call, as of one day."""

    as_of: date
    category: str  # the forecast category judged (the forecast_bias definition's parameter)
    submission: str  # "latest" or "first" submission before the period ended
    # metric -> the versions its actuals were measured under (each forecast under the one in
    # effect when it was submitted, unless restated under the as-of day's)
    definition_versions: Mapping[str, tuple[int, ...]]
    scored: pd.DataFrame  # every submission, scored (actual NaN while the period is open)
    judged: pd.DataFrame  # the judged submission per forecaster, metric and closed period
    accuracy: pd.DataFrame  # by metric and forecaster
    calibration: pd.DataFrame  # range calibration by forecaster and metric
    current: pd.DataFrame  # the latest call per open period, metric and forecaster
    baselines: tuple[Baseline, ...]


def _current_call(
    scored: pd.DataFrame,
    accuracy: pd.DataFrame,
    calibration: pd.DataFrame,
    as_of: date,
    calls_through: date,
    judged_category: str,
) -> pd.DataFrame:
    columns = [
        "metric", "period_label", "period_start", "period_end", "forecaster", "submitted_on",
        "horizon", "commit", "most_likely", "best_case", "bias", "bias_adjusted", "range_share",
        "range_periods",
    ]  # fmt: skip
    open_rows = scored[(scored["period_end"] >= as_of) & (scored["submitted_on"] <= calls_through)]
    if open_rows.empty:
        return pd.DataFrame(columns=columns)
    keys = ["metric", "period_label", "period_start", "period_end", "forecaster"]
    latest_day = open_rows.groupby(keys)["submitted_on"].transform("max")
    latest = open_rows[open_rows["submitted_on"] == latest_day]
    wide = latest.pivot_table(
        index=[*keys, "submitted_on"], columns="category", values="value", aggfunc="last"
    ).reset_index()
    for category in CATEGORY_ORDER:
        if category not in wide:
            wide[category] = math.nan
    bias = accuracy.set_index(["metric", "forecaster"])["bias"] if not accuracy.empty else None
    ranges = calibration.set_index(["metric", "forecaster"]) if not calibration.empty else None
    closed = scored[scored["actual"].notna()]
    by_horizon = (
        forecasting.horizon_table(closed, judged_category, by=("metric", "forecaster")).set_index(
            ["metric", "forecaster", "horizon"]
        )["bias"]
        if not closed.empty
        else None
    )
    rows = []
    for row in wide.to_dict(orient="records"):
        key = (row["metric"], row["forecaster"])
        # A call's bias is the forecaster's bias on calls made as far from the period's end
        # (an optimist early is often right late); their judged bias when that is unknown.
        horizon = forecasting.horizon_label((row["period_end"] - row["submitted_on"]).days / 7)
        known = None
        if by_horizon is not None and (*key, horizon) in by_horizon.index:
            known = float(by_horizon.loc[(*key, horizon)])
        if known is None or math.isnan(known):
            known = None if bias is None or key not in bias.index else float(bias.loc[key])
        known = None if known is None or math.isnan(known) else known
        likely = row["most_likely"]
        adjusted = (
            forecasting.bias_adjusted(float(likely), known)
            if not (likely is None or math.isnan(likely)) and (known is None or known > -1)
            else math.nan
        )
        share = periods = math.nan
        if ranges is not None and key in ranges.index:
            share = float(ranges.loc[key, "share"])
            periods = float(ranges.loc[key, "periods"])
        rows.append(
            {
                **{name: row[name] for name in [*keys, "submitted_on"]},
                "horizon": horizon,
                **{category: row[category] for category in CATEGORY_ORDER},
                "bias": math.nan if known is None else known,
                "bias_adjusted": adjusted,
                "range_share": share,
                "range_periods": periods,
            }
        )
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["period_start", "metric", "forecaster"]).reset_index(drop=True)


def accuracy_report(
    engine: Engine,
    as_of: date,
    calendar: FiscalCalendar,
    definitions: Mapping[str, MetricDefinition],
    with_baselines: bool = True,
    calls_through: date | None = None,
    histories: Mapping[str, Sequence[MetricDefinition]] | None = None,
) -> AccuracyReport:
    """Score every submission and assemble the accuracy tables and the current call.

    ``histories`` (every version of every metric): each forecast is judged under the definition
    in effect when it was submitted; without them, all are restated under ``definitions``.

    ``calls_through`` is the last day a call may have been made to count as current (default
    ``as_of``); a live review passes today, so a forecast entered after the data's last day
    shows at once, while a look back at an earlier day shows the calls made by then.
    """
    judging = definitions.get("forecast_bias") or default_definition("forecast_bias")
    category = str(judging.parameters["category"])
    submission = str(judging.parameters["submission"])
    rows = forecasts_with_actuals(engine, as_of, definitions, histories)
    if rows.empty:
        empty = pd.DataFrame()
        return AccuracyReport(
            as_of, category, submission, {}, empty, empty, empty, empty, empty, ()
        )
    scored = forecasting.score(rows)
    judged = forecasting.judged(scored, category=category, submission=submission)
    known = judged[judged["actual"].notna()]
    accuracy = (
        forecasting.accuracy_table(known, ["metric", "forecaster"])
        if not known.empty
        else pd.DataFrame()
    )
    calibration = forecasting.range_calibration(scored, submission=submission)
    current = _current_call(scored, accuracy, calibration, as_of, calls_through or as_of, category)
    baselines: list[Baseline] = []
    if with_baselines and not current.empty:
        for (metric, start), _ in current.groupby(["metric", "period_start"], sort=True):
            period = calendar.quarter_containing(start)
            if period.start != start:
                continue  # the baseline is defined for fiscal quarters
            baselines.append(baseline(engine, str(metric), period, as_of, calendar, definitions))
    versions = {
        str(metric): tuple(sorted(int(version) for version in set(group)))
        for metric, group in rows.groupby("metric")["definition_version"]
    }
    return AccuracyReport(
        as_of=as_of,
        category=category,
        submission=submission,
        definition_versions=versions,
        scored=scored,
        judged=judged,
        accuracy=accuracy,
        calibration=calibration,
        current=current,
        baselines=tuple(baselines),
    )
