"""Inputs of the budget-cut simulator read from the store, and saved scenarios.

:func:`scenario_data` reads, per paid channel and week, the spend, the new-business pipeline the
channel sourced and the leads it sourced; :func:`fit_curves` fits them (:mod:`core.response`);
:func:`build_scenario_model` adds the spend plan (the ``budgets`` table, or the trailing run rate
where it has no plan), win rates and the creation-to-close lag, and returns the
:class:`~core.scenarios.ScenarioModel` every slider move runs on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.access import Actor, acting
from core.calendar import FiscalCalendar
from core.response import DRAWS, FIT_VERSION, ResponseCurve, fit_response
from core.scenarios import ScenarioModel, build_model, horizon_weeks
from core.store import audit, metrics, queries
from core.store.engine import ensure_writable, is_read_only
from core.store.schema import saved_scenarios, scenario_fits

WIN_RATE_YEARS = 2  # deals closed in the last two years set the win rate and the close lag
MAX_CLOSE_LAG_WEEKS = 104
MIN_CLOSED_DEALS = 20  # fewer closed deals than this: the channel uses the overall win rate
MAX_SCENARIO_NAME = 80
MAX_SAVED_SCENARIOS = 200
LOGGER = logging.getLogger(__name__)
KEPT_FITS = 12  # stored fits kept (newest first): a few as-of dates and data versions


@dataclass(frozen=True, eq=False)
class ScenarioData:
    """Weekly history per paid channel, up to the last complete week before the as-of date."""

    channels: tuple[str, ...]
    weeks: np.ndarray  # (T,) Mondays
    spend: np.ndarray  # (C, T)
    pipeline: np.ndarray  # (C, T) new-business pipeline sourced by the channel
    leads: np.ndarray  # (C, T) leads sourced by the channel
    unpaid_pipeline: float  # weekly new-business pipeline no paid channel sourced, last 13 weeks

    @property
    def horizon_start(self) -> date:
        return (self.weeks[-1] + np.timedelta64(7, "D")).astype(object)


def _last_complete_monday(as_of: date) -> date:
    """Monday of the last week that ended on or before ``as_of`` (weeks end on Sunday)."""
    this_monday = as_of - timedelta(days=as_of.weekday())
    return this_monday - timedelta(days=7) if as_of.weekday() < 6 else this_monday


def _weekly(engine: Engine, sql: str, params: dict[str, object]) -> pd.DataFrame:
    with engine.connect() as connection:
        frame = pd.read_sql(sa.text(sql), connection, params=params)
    frame["week"] = pd.to_datetime(frame["week"]).dt.date
    return frame


def scenario_data(engine: Engine, as_of: date) -> ScenarioData | None:
    """Weekly spend, sourced pipeline and sourced leads per paid channel; ``None`` if no spend."""
    last = _last_complete_monday(as_of)
    last_day = last + timedelta(days=6)
    params: dict[str, object] = {"last_day": last_day}
    spend = _weekly(
        engine,
        """
        select channel, cast(date_trunc('week', spend_date) as date) as week,
               sum(amount_usd) as value
        from current_spend where spend_date <= :last_day group by 1, 2
        """,
        params,
    )
    spend = spend[spend["value"] > 0]
    if spend.empty:
        return None
    channels = tuple(sorted(spend["channel"].unique()))
    first = min(spend["week"])
    if first > last:
        return None
    weeks = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1, 7)
    params["first_day"] = first
    params["day_after"] = last_day + timedelta(days=1)
    pipeline = _weekly(
        engine,
        """
        select source_channel as channel, cast(date_trunc('week', created_date) as date) as week,
               sum(amount_usd) as value
        from current_opportunities
        where opportunity_type = 'new_business'
          and created_date between :first_day and :last_day
        group by 1, 2
        """,
        params,
    )
    leads = _weekly(
        engine,
        """
        select source_channel as channel,
               cast(date_trunc('week', created_at) as date) as week, count(*) as value
        from current_leads
        where created_at >= :first_day and created_at < :day_after
        group by 1, 2
        """,
        params,
    )
    week_keys = [week.astype(object) for week in weeks]

    def matrix(frame: pd.DataFrame) -> np.ndarray:
        table = frame.pivot_table(index="channel", columns="week", values="value", aggfunc="sum")
        table = table.reindex(index=list(channels), columns=week_keys)
        return table.fillna(0.0).to_numpy(dtype=float)

    unpaid = pipeline[~pipeline["channel"].isin(channels)]
    recent = unpaid[unpaid["week"] > last - timedelta(weeks=13)]
    return ScenarioData(
        channels=channels,
        weeks=weeks,
        spend=matrix(spend),
        pipeline=matrix(pipeline),
        leads=matrix(leads),
        unpaid_pipeline=float(recent["value"].sum()) / 13.0,
    )


def fit_curves(data: ScenarioData, draws: int = DRAWS, seed: int = 0) -> tuple[ResponseCurve, ...]:
    """One response curve per channel of ``data`` (fallbacks included)."""
    return tuple(
        fit_response(
            channel,
            data.weeks,
            data.spend[index],
            data.pipeline[index],
            leads=data.leads[index],
            draws=draws,
            seed=seed + index,
        )
        for index, channel in enumerate(data.channels)
    )


def fit_fingerprint(data: ScenarioData, draws: int = DRAWS, seed: int = 0) -> str:
    """SHA-256 of exactly what :func:`fit_curves` depends on, and of the fitting's version."""
    digest = hashlib.sha256(f"fit {FIT_VERSION} draws {draws} seed {seed}".encode())
    digest.update("|".join(data.channels).encode())
    digest.update(np.ascontiguousarray(data.weeks.astype("datetime64[D]")).tobytes())
    # To the cent: DuckDB sums in parallel, so the last bits of a large sum vary between runs
    # (at scale 100 two reads of the same history hashed differently and never matched).
    for array in (data.spend, data.pipeline, data.leads):
        digest.update(str(array.shape).encode())
        digest.update(np.ascontiguousarray(np.round(array, 2) + 0.0).tobytes())
    return digest.hexdigest()


def _curve_to_json(curve: ResponseCurve) -> dict[str, object]:
    encoded: dict[str, object] = {}
    for item in fields(curve):
        value = getattr(curve, item.name)
        if isinstance(value, np.ndarray):
            encoded[item.name] = {"dtype": str(value.dtype), "values": value.tolist()}
        else:
            encoded[item.name] = value
    return encoded


def _curve_from_json(encoded: Mapping[str, object]) -> ResponseCurve:
    values: dict[str, object] = {}
    for item in fields(ResponseCurve):
        value = encoded[item.name]
        if isinstance(value, dict):
            values[item.name] = np.array(value["values"], dtype=value["dtype"])
        else:
            values[item.name] = value
    return ResponseCurve(**values)  # type: ignore[arg-type]


def stored_curves(
    engine: Engine, data: ScenarioData, draws: int = DRAWS, seed: int = 0
) -> tuple[ResponseCurve, ...]:
    """:func:`fit_curves`, read from the store when the same history was fitted before.

    A new fit is stored (the newest :data:`KEPT_FITS` are kept); a store that refuses the
    write (read-only, or another process storing the same fit) still gets its curves.
    """
    fingerprint = fit_fingerprint(data, draws, seed)
    with engine.connect() as connection:
        found = connection.execute(
            sa.select(scenario_fits.c.curves_json).where(scenario_fits.c.fingerprint == fingerprint)
        ).scalar()
    if found is not None:
        return tuple(_curve_from_json(curve) for curve in json.loads(found))
    began = time.perf_counter()
    curves = fit_curves(data, draws=draws, seed=seed)
    seconds = time.perf_counter() - began
    if is_read_only(engine):  # warehouse mode: fitted for this process only
        return curves
    text = json.dumps([_curve_to_json(curve) for curve in curves])
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "insert into scenario_fits (fingerprint, fitted_at, fit_seconds, curves_json) "
                    "values (:fingerprint, :fitted_at, :seconds, :text) on conflict do nothing"
                ),
                {
                    "fingerprint": fingerprint,
                    "fitted_at": datetime.now(),
                    "seconds": seconds,
                    "text": text,
                },
            )
            newest = (
                sa.select(scenario_fits.c.fingerprint)
                .order_by(scenario_fits.c.fitted_at.desc())
                .limit(KEPT_FITS)
            )
            connection.execute(
                scenario_fits.delete().where(scenario_fits.c.fingerprint.not_in(newest))
            )
    except sa.exc.DBAPIError:  # a cache: the curves are right without it
        LOGGER.warning("the fitted curves could not be stored", exc_info=True)
    return curves


def win_rates(engine: Engine, as_of: date, channels: Sequence[str]) -> dict[str, tuple[float, int]]:
    """Share of closed new-business pipeline dollars won, per channel, and the deals behind it.

    Channels with fewer than 20 closed deals in the last two years take the overall rate.
    """
    with engine.connect() as connection:
        frame = pd.read_sql(
            sa.text(
                """
                select source_channel as channel, count(*) as deals,
                       sum(amount_usd) as closed, sum(case when is_won then amount_usd end) as won
                from current_opportunities
                where opportunity_type = 'new_business' and is_closed
                  and close_date between :first_day and :as_of
                group by 1
                """
            ),
            connection,
            params={"first_day": as_of - timedelta(days=365 * WIN_RATE_YEARS), "as_of": as_of},
        ).fillna(0.0)
    closed, won = float(frame["closed"].sum()), float(frame["won"].sum())
    overall = (won / closed if closed > 0 else 0.0, int(frame["deals"].sum()))
    rates = {}
    for channel in channels:
        row = frame[frame["channel"] == channel]
        deals = int(row["deals"].sum())
        if deals >= MIN_CLOSED_DEALS and float(row["closed"].sum()) > 0:
            rates[channel] = (float(row["won"].sum()) / float(row["closed"].sum()), deals)
        else:
            rates[channel] = overall
    return rates


def close_lag(engine: Engine, as_of: date) -> np.ndarray:
    """Share of won new-business dollars closing 0, 1, 2, ... weeks after creation."""
    with engine.connect() as connection:
        frame = pd.read_sql(
            sa.text(
                """
                select least(cast(floor((close_date - created_date) / 7.0) as integer),
                             :max_weeks) as weeks,
                       sum(amount_usd) as amount
                from current_opportunities
                where opportunity_type = 'new_business' and is_won
                  and close_date between :first_day and :as_of and close_date >= created_date
                group by 1
                """
            ),
            connection,
            params={
                "first_day": as_of - timedelta(days=365 * WIN_RATE_YEARS),
                "as_of": as_of,
                "max_weeks": MAX_CLOSE_LAG_WEEKS,
            },
        )
    shares = np.zeros(MAX_CLOSE_LAG_WEEKS + 1)
    for weeks, amount in zip(frame["weeks"], frame["amount"], strict=True):
        shares[int(weeks)] += float(amount)
    if shares.sum() <= 0:
        shares[13] = 1.0  # no won deal yet: a quarter, said in the page's caption
    return shares / shares.sum()


def planned_spend(
    engine: Engine, channels: Sequence[str], week_starts: np.ndarray, run_rate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Planned weekly spend (C, H) from the budgets, and which weeks (C, H) a budget covered.

    A budget row spreads evenly over the days of its period; weeks no budget covers take the
    channel's trailing run rate.
    """
    with engine.connect() as connection:
        budgets = pd.read_sql(
            sa.text(
                "select channel, period_start, period_end, planned_spend_usd from current_budgets"
            ),
            connection,
        )
    days = (week_starts[:, None] + np.arange(7)[None, :]).astype("datetime64[D]")
    plan = np.zeros((len(channels), len(week_starts)))
    covered = np.zeros((len(channels), len(week_starts)))
    for index, channel in enumerate(channels):
        for row in budgets[budgets["channel"] == channel].itertuples():
            start = np.datetime64(pd.Timestamp(row.period_start).date(), "D")
            end = np.datetime64(pd.Timestamp(row.period_end).date(), "D")
            length = int((end - start).astype(int)) + 1
            inside = ((days >= start) & (days <= end)).sum(axis=1)
            plan[index] += float(row.planned_spend_usd) / length * inside
            covered[index] += inside
    covered = np.minimum(covered, 7) / 7.0
    plan = plan + (1.0 - covered) * run_rate[:, None]
    return plan, covered >= 1.0


def build_scenario_model(
    engine: Engine,
    data: ScenarioData,
    curves: Sequence[ResponseCurve],
    as_of: date,
    calendar: FiscalCalendar,
) -> tuple[ScenarioModel, np.ndarray]:
    """The simulator for ``curves`` on today's plan; also which plan weeks a budget covered."""
    week_starts = horizon_weeks(data.horizon_start)
    run_rate = data.spend[:, -13:].mean(axis=1)
    plan, covered = planned_spend(engine, data.channels, week_starts, run_rate)
    model = build_model(
        curves,
        data.weeks,
        data.spend,
        data.horizon_start,
        plan,
        win_rates=win_rates(engine, as_of, data.channels),
        close_lag=close_lag(engine, as_of),
        calendar=calendar,
    )
    return model, covered


def bookings_target(engine: Engine, first_day: date, last_day: date) -> float | None:
    """The bookings target of exactly this period, ``None`` when there is none."""
    with engine.connect() as connection:
        return metrics.bookings_target(connection, first_day, last_day)


# --------------------------------------------------------------------------------------------
# Saved scenarios
# --------------------------------------------------------------------------------------------
def save_scenario(
    engine: Engine,
    name: str,
    settings: Mapping[str, object],
    saved_by: str = "",
    now: datetime | None = None,
    *,
    actor: Actor | None = None,
) -> None:
    """Save a scenario's settings under ``name``; ``ValueError`` naming what is wrong.

    ``actor`` is the signed-in person (editors and admins); without one, ``saved_by`` names a
    local caller.
    """
    name, saved_by = name.strip(), (actor.label if actor else saved_by.strip())
    if not name:
        raise ValueError("Give the scenario a name.")
    if len(name) > MAX_SCENARIO_NAME:
        raise ValueError(f"The name is {len(name)} characters; keep it to {MAX_SCENARIO_NAME}.")
    if not saved_by:
        raise ValueError("Say who is saving: the name of the person is required.")
    ensure_writable(engine)
    who = acting(actor, saved_by, "save_scenario")
    now = now or datetime.now()
    with engine.begin() as connection:
        connection.execute(
            saved_scenarios.insert().values(
                name=name,
                settings_json=json.dumps(dict(settings), sort_keys=True),
                saved_by=who.label,
                saved_at=now,
            )
        )
        audit.record(
            connection,
            who,
            "save_scenario",
            f"scenario {name}",
            f"Saved the budget scenario {name!r}",
            after=dict(settings),
            now=now,
        )


def saved_scenario_list(engine: Engine) -> pd.DataFrame:
    """The newest version of every saved scenario: name, settings, saved_by, saved_at."""
    with engine.connect() as connection:
        frame = pd.read_sql(
            sa.text(
                """
                select name, settings_json, saved_by, saved_at from (
                    select name, settings_json, saved_by, saved_at,
                           row_number() over (partition by name order by scenario_id desc) as rank
                    from saved_scenarios
                ) as versions
                where rank = 1
                order by saved_at desc limit :limit
                """
            ),
            connection,
            params={"limit": MAX_SAVED_SCENARIOS},
        )
    frame["settings"] = [json.loads(text) for text in frame.pop("settings_json")]
    return frame


@dataclass(frozen=True, eq=False)
class PreparedScenarios:
    """Everything the page, the CLI and the benchmark need, fitted once per data version."""

    data: ScenarioData
    curves: tuple[ResponseCurve, ...]
    model: ScenarioModel
    plan_covered: np.ndarray  # (C, H) True where a budget gave the week's plan


def prepare(
    engine: Engine, as_of: date, calendar: FiscalCalendar, draws: int = DRAWS
) -> PreparedScenarios | None:
    """Read, fit and build; ``None`` when the store has no spend before ``as_of``."""
    data = scenario_data(engine, as_of)
    if data is None:
        return None
    curves = stored_curves(engine, data, draws=draws)
    model, covered = build_scenario_model(engine, data, curves, as_of, calendar)
    return PreparedScenarios(data=data, curves=curves, model=model, plan_covered=covered)


FIT_INPUTS = frozenset({"spend", "opportunities", "leads"})  # uploads that change the fit


def store_fit(engine: Engine, as_of: date | None = None) -> bool:
    """Fit and store the curves the Budget scenarios page will need, unless already stored.

    ``as_of`` defaults to the last day of data (the page's default). Returns whether curves for
    that history are now stored. Meant to run after an upload of :data:`FIT_INPUTS`, so the
    next person to open the page reads the fit instead of waiting seconds for it.
    """
    day = as_of or queries.data_extent(engine).data_through
    if day is None:
        return False
    data = scenario_data(engine, day)
    if data is None:
        return False
    stored_curves(engine, data)
    return True
