"""Reviews in the store: the frozen snapshot, notes, the decisions log and the cadence.

``build_snapshot`` gathers every number a review shows from the same functions the pages use,
as a JSON-ready dict; ``start_review`` stores it once. A stored snapshot is never recomputed:
the pack and "since last review" read it as it was frozen.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.access import Actor, acting
from core.calendar import FiscalCalendar, FiscalPeriod
from core.campaigns import active, scorecard, working_and_not
from core.channels import CHANNEL_LABELS, channel_label
from core.definitions import MetricDefinition
from core.forecasting import summary_sentence as forecast_sentence
from core.formatting import DEFAULT_CURRENCY
from core.funnel import WATERFALL_LABELS
from core.goals import goals_for_period, in_tree_order
from core.overview import arr_label
from core.review import (
    DEFAULT_CADENCE_DAYS,
    SNAPSHOT_SCHEMA,
    check_decision,
    jsonable,
    records,
)
from core.scenarios import saved_window, simulate
from core.scenarios import summary_sentence as scenario_sentence
from core.store import arr as store_arr
from core.store import audit, queries
from core.store import campaigns as store_campaigns
from core.store import definitions as store_definitions
from core.store import forecasts as store_forecasts
from core.store import goals as store_goals
from core.store import overview as store_overview
from core.store import pipeline as store_pipeline
from core.store import scenarios as store_scenarios
from core.store.engine import ensure_writable
from core.store.schema import review_decisions, review_notes, reviews
from core.store.writes import set_setting

CADENCE_SETTING = "review_cadence_days"
MAX_NOTE_LENGTH = 4_000
HEADLINE_LABELS = {
    "arr": "ARR",
    "pipeline_created": "Pipeline created",
    "bookings": "Bookings",
    "spend": "Marketing spend",
}
GOAL_FIELDS = (
    "goal_id", "goal_name", "level", "metric", "unit", "period_label", "target", "actual",
    "expected", "projection", "status", "probability", "depth", "definition_version",
    "reported_version", "reported_status",
)  # fmt: skip


class ReviewError(ValueError):
    """A review action refused; the message says why."""


def _goals(
    engine: Engine, definitions: Mapping[str, MetricDefinition], period: FiscalPeriod, as_of: date
) -> list[dict[str, object]]:
    tracked = store_goals.track_goals(
        engine, as_of, definitions, histories=store_definitions.all_histories(engine)
    )
    if tracked.empty:
        return []
    chosen = goals_for_period(tracked, period.start, period.end)
    chosen = chosen[chosen["level"] != "campaign"]
    if chosen.empty:
        return []
    rows = records(in_tree_order(chosen), GOAL_FIELDS)
    for row in rows:
        row["name"] = row.pop("goal_name")
        row["period"] = row.pop("period_label")
    return rows


def _revenue(
    engine: Engine,
    definitions: Mapping[str, MetricDefinition],
    calendar: FiscalCalendar,
    period: FiscalPeriod,
    as_of: date,
) -> dict[str, object]:
    window = int(definitions["nrr"].parameters["window_months"])  # type: ignore[call-overload]
    with engine.connect() as connection:
        if store_arr.month_bounds(connection, as_of) is None:
            return {"quarters": [], "reason": "no ARR is loaded up to this day"}
        months, quarters = store_arr.bridges_with_retention(
            connection, as_of, lambda day: calendar.quarter_containing(day).label, window
        )
    shown = quarters[quarters["first_month"] <= pd.Timestamp(period.end)].tail(8)
    latest = months.iloc[-1]
    return {
        "quarters": records(shown.drop(columns=["first_month", "last_month"])),
        "month": f"{latest['month']:%b %Y}",
        "label": arr_label(latest["month"], as_of),  # a month not over is a run rate
        "arr": jsonable(latest["end_arr_usd"]),
        "nrr": jsonable(latest["nrr"]),
        "grr": jsonable(latest["grr"]),
    }


def _pipeline(
    engine: Engine,
    definitions: Mapping[str, MetricDefinition],
    calendar: FiscalCalendar,
    period: FiscalPeriod,
    as_of: date,
    currency: str,
) -> dict[str, object]:
    coverage = []
    for quarter in (period, calendar.shift(period, 1)):
        report = store_pipeline.coverage_report(
            engine, definitions, calendar, quarter, as_of, currency
        )
        coverage.append(
            {
                "period": quarter.label,
                "coverage": report.coverage.value,
                "reason": report.coverage.reason or report.required.reason,
                "required": report.required.value,
                "status": report.status,
                "open_pipeline": report.coverage.open_pipeline,
                "target": report.coverage.target,
                "won_to_date": report.coverage.won_to_date,
                "sourced_needed": report.need.sourced_needed,
                "gap": report.need.gap,
            }
        )
    flow = store_pipeline.window_waterfall(
        engine, definitions["coverage_to_go"], period.start, period.end, as_of
    )
    steps = [] if flow.waterfall is None else records(flow.waterfall.steps())
    return jsonable(
        {
            "coverage": coverage,
            "waterfall": {"period": period.label, "steps": steps, "reason": flow.reason},
        }
    )  # type: ignore[return-value]


def _forecasts(
    engine: Engine,
    definitions: Mapping[str, MetricDefinition],
    calendar: FiscalCalendar,
    as_of: date,
) -> dict[str, object]:
    # Each forecast judged under the definition it was made under, as the page shows it.
    report = store_forecasts.accuracy_report(
        engine,
        as_of,
        calendar,
        definitions,
        with_baselines=False,
        histories=store_definitions.all_histories(engine),
    )
    sentence = None
    if not report.scored.empty and "bookings" in set(report.scored["metric"]):
        sentence = forecast_sentence(
            report.scored, "bookings", "bookings", category=report.category
        )
    current = report.current
    calls = []
    if not current.empty:
        calls = records(
            current.rename(columns={"period_label": "period"}),
            (
                "metric", "period", "forecaster", "submitted_on", "commit", "most_likely",
                "best_case", "bias", "bias_adjusted",
            ),
        )  # fmt: skip
    accuracy = records(
        report.accuracy, ("metric", "forecaster", "count", "mape", "wape", "bias", "hit_rate_10")
    )
    return {"sentence": sentence, "current": calls, "accuracy": accuracy}


def _working(
    engine: Engine,
    definitions: Mapping[str, MetricDefinition],
    calendar: FiscalCalendar,
    period: FiscalPeriod,
    as_of: date,
) -> dict[str, object]:
    model = str(definitions["attribution"].parameters["model"])
    margin = float(definitions["payback"].parameters["gross_margin"])  # type: ignore[arg-type]
    previous = calendar.shift(period, -1)
    for quarter in (period, previous):
        last = min(as_of, quarter.end)
        rows = store_campaigns.campaign_rows_for(
            engine, definitions, quarter.start, last, [model], converted_by=as_of
        )
        found = rows[model]
        for level, frame in (
            ("campaign", active(found.campaigns)),
            ("channel", found.channels),
        ):
            card = scorecard(frame, gross_margin=margin)
            best, worst = working_and_not(card, "pipeline_roi", 3)
            if best.empty:
                continue
            columns = ("name", "channel", "pipeline_roi", "spend_usd", "pipeline_usd",
                       "opportunities", "bookings_usd")  # fmt: skip
            best_rows, worst_rows = records(best, columns), records(worst, columns)
            if level == "channel":
                for row in (*best_rows, *worst_rows):
                    row["name"] = channel_label(str(row["name"]))
            return {
                "model": model,
                "level": level,
                "period": quarter.label,
                "best": best_rows,
                "worst": worst_rows,
            }
    return {"model": model, "level": None, "period": period.label, "best": [], "worst": []}


def _scenario(
    engine: Engine,
    calendar: FiscalCalendar,
    as_of: date,
    prepared_scenarios: Callable[[], store_scenarios.PreparedScenarios | None] | None,
    currency: str,
) -> dict[str, object] | None:
    saved = store_scenarios.saved_scenario_list(engine)
    if saved.empty:
        return None
    latest = saved.iloc[0]
    prepared = (
        prepared_scenarios()
        if prepared_scenarios is not None
        else store_scenarios.prepare(engine, as_of, calendar)
    )
    if prepared is None:
        return None
    model = prepared.model
    settings = latest["settings"]
    changes = {
        channel: float(change)
        for channel, change in settings.get("changes", {}).items()
        if channel in model.channels
    }
    start_week, weeks = saved_window(model, settings)
    result = simulate(model, changes, start_week, weeks)
    measures = {
        measure: {"loss": outcome.loss, "low": outcome.low, "high": outcome.high}
        for measure in ("pipeline", "bookings", "new_arr", "revenue")
        for outcome in (result.outcome(measure),)
    }
    return jsonable(
        {
            "name": latest["name"],
            "saved_by": latest["saved_by"],
            "saved_at": latest["saved_at"],
            "settings": settings,
            "sentence": scenario_sentence(result, CHANNEL_LABELS, currency),
            "savings": result.savings,
            **measures,
        }
    )  # type: ignore[return-value]


def _charts(
    engine: Engine,
    definitions: Mapping[str, MetricDefinition],
    calendar: FiscalCalendar,
    period: FiscalPeriod,
    as_of: date,
) -> dict[str, object]:
    found = store_overview.trends(engine, definitions, calendar, period, as_of)
    return {name: records(frame) for name, frame in found.items()}


def build_snapshot(
    engine: Engine,
    definitions: Mapping[str, MetricDefinition],
    calendar: FiscalCalendar,
    period: FiscalPeriod,
    as_of: date,
    settings: Mapping[str, str],
    with_scenario: bool = True,
    prepared_scenarios: Callable[[], store_scenarios.PreparedScenarios | None] | None = None,
) -> dict[str, object]:
    """Every number a review shows, as of ``as_of`` for ``period``, as a JSON-ready dict.

    ``prepared_scenarios`` gives the fitted budget model when the caller has it cached (the
    app does); it is called only when a scenario has been saved. Without it the curves are
    fitted here. The snapshot records the reporting currency its amounts are in, so a pack
    printed from it names the right one.
    """
    currency = settings.get("currency", DEFAULT_CURRENCY)
    windows = store_overview.loaded_windows(engine, calendar, period, as_of)
    totals = store_overview.headline_totals(engine, definitions, calendar, period, as_of)
    headlines = [
        {
            "metric": metric,
            "label": HEADLINE_LABELS[metric],
            "value": value,
            "last_year": last_year,
            "unit": definitions[metric].unit,
            "reference": definitions[metric].reference,
        }
        for metric, (value, last_year) in totals.items()
    ]
    extent = queries.data_extent(engine)
    snapshot = {
        "schema": SNAPSHOT_SCHEMA,
        "company": settings.get("company_name", "Your company"),
        "currency": currency,
        "as_of": as_of,
        "period": period.label,
        "period_start": period.start,
        "period_end": period.end,
        "to_date": windows.to_date,
        "arr_month": windows.arr_month,
        "data_through": extent.data_through,
        "data_version": queries.data_version(engine),
        "last_upload_id": last_upload_id(engine),
        "definitions": {
            name: {
                "version": definition.version,
                "reference": definition.reference,
                "label": definition.label,
                "description": definition.description,
                "parameters": definition.parameter_summary(),
            }
            for name, definition in definitions.items()
        },
        "headlines": headlines,
        "goals": _goals(engine, definitions, period, as_of),
        "revenue": _revenue(engine, definitions, calendar, period, as_of),
        "pipeline": _pipeline(engine, definitions, calendar, period, as_of, currency),
        "forecasts": _forecasts(engine, definitions, calendar, as_of),
        "working": _working(engine, definitions, calendar, period, as_of),
        "scenario": _scenario(engine, calendar, as_of, prepared_scenarios, currency)
        if with_scenario
        else None,
        "charts": _charts(engine, definitions, calendar, period, as_of),
        "waterfall_labels": dict(WATERFALL_LABELS),
    }
    return jsonable(snapshot)  # type: ignore[return-value]


@dataclass(frozen=True)
class Review:
    """A review as stored: when, by whom, and its frozen snapshot."""

    review_id: int
    review_date: date
    started_at: datetime
    started_by: str
    snapshot: Mapping[str, object]


def start_review(
    engine: Engine,
    snapshot: Mapping[str, object],
    started_by: str,
    review_date: date,
    now: datetime | None = None,
    *,
    actor: Actor | None = None,
) -> int:
    """Freeze ``snapshot`` as a review; return its id. The store's data version is unchanged:
    freezing numbers changes none of them.

    ``actor`` is the signed-in person starting it (editors and admins); without one,
    ``started_by`` names a local caller.
    """
    if actor is None and not started_by.strip():
        raise ReviewError("Say who is starting the review: the name of the person is required.")
    ensure_writable(engine)
    who = acting(actor, started_by, "start_review")
    now = now or datetime.now()
    with engine.begin() as connection:
        review_id = int(
            connection.execute(
                reviews.insert()
                .values(
                    review_date=review_date,
                    started_at=now,
                    started_by=who.label,
                    frozen_json=json.dumps(jsonable(snapshot), sort_keys=True),
                )
                .returning(reviews.c.review_id)
            ).scalar_one()
        )
        audit.record(
            connection,
            who,
            "start_review",
            f"review {review_id}",
            f"Started the review of {review_date:%d %b %Y} (snapshot frozen)",
            after={"review_id": review_id, "review_date": review_date.isoformat()},
            now=now,
        )
        return review_id


def review_list(engine: Engine) -> pd.DataFrame:
    """Every review, newest first: id, review date, when and by whom it was started."""
    with engine.connect() as connection:
        return pd.read_sql(
            sa.select(
                reviews.c.review_id, reviews.c.review_date, reviews.c.started_at,
                reviews.c.started_by,
            ).order_by(reviews.c.review_id.desc()),
            connection,
        )  # fmt: skip


def load_review(engine: Engine, review_id: int | None = None) -> Review | None:
    """A review by id, or the latest; ``None`` when there is none."""
    query = sa.select(reviews)
    query = (
        query.where(reviews.c.review_id == review_id)
        if review_id is not None
        else query.order_by(reviews.c.review_id.desc()).limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    if row is None:
        return None
    return Review(
        review_id=int(row["review_id"]),
        review_date=row["review_date"],
        started_at=row["started_at"],
        started_by=row["started_by"],
        snapshot=json.loads(row["frozen_json"]),
    )


def add_note(
    engine: Engine,
    review_id: int,
    note: str,
    author: str = "",
    now: datetime | None = None,
    *,
    actor: Actor | None = None,
) -> None:
    """Append commentary to a review; ``ReviewError`` naming what is missing.

    ``actor`` is the signed-in writer (editors and admins); without one, ``author`` names a
    local caller.
    """
    text, who = note.strip(), (actor.label if actor else author.strip())
    problems = []
    if not text:
        problems.append("Write the note.")
    if len(text) > MAX_NOTE_LENGTH:
        problems.append(f"The note is {len(text):,} characters; keep it to {MAX_NOTE_LENGTH:,}.")
    if not who:
        problems.append("Say who is writing: the author's name is required.")
    if load_review(engine, review_id) is None:
        problems.append(f"There is no review {review_id}.")
    if problems:
        raise ReviewError(" ".join(problems))
    ensure_writable(engine)
    writer = acting(actor, who, "review_note")
    now = now or datetime.now()
    with engine.begin() as connection:
        connection.execute(
            review_notes.insert().values(
                review_id=review_id, note=text, author=writer.label, written_at=now
            )
        )
        audit.record(
            connection,
            writer,
            "review_note",
            f"review {review_id}",
            f"Wrote a note on review {review_id}",
            after={"note": text},
            now=now,
        )


def notes(engine: Engine, review_id: int) -> pd.DataFrame:
    """A review's notes, oldest first."""
    with engine.connect() as connection:
        return pd.read_sql(
            sa.select(review_notes.c.note, review_notes.c.author, review_notes.c.written_at)
            .where(review_notes.c.review_id == review_id)
            .order_by(review_notes.c.note_id),
            connection,
        )


def record_decision(
    engine: Engine,
    review_id: int,
    decision: str,
    owner: str,
    due_date: date | None,
    recorded_by: str = "",
    status: str = "open",
    decision_key: str | None = None,
    now: datetime | None = None,
    *,
    actor: Actor | None = None,
) -> str:
    """Record a decision, or a new version of one (``decision_key``); return its key.

    ``actor`` is the signed-in person (editors and admins); without one, ``recorded_by``
    names a local caller.
    """
    problems = check_decision(decision, owner, status)
    if actor is None and not recorded_by.strip():
        problems.append("Say who is recording the decision.")
    if load_review(engine, review_id) is None:
        problems.append(f"There is no review {review_id}.")
    if problems:
        raise ReviewError(" ".join(problems))
    ensure_writable(engine)
    who = acting(actor, recorded_by, "review_decision")
    key = decision_key or f"D-{uuid.uuid4().hex[:10]}"
    now = now or datetime.now()
    with engine.begin() as connection:
        before = connection.execute(
            sa.select(
                review_decisions.c.decision,
                review_decisions.c.owner,
                review_decisions.c.due_date,
                review_decisions.c.status,
            )
            .where(review_decisions.c.decision_key == key)
            .order_by(review_decisions.c.version_id.desc())
            .limit(1)
        ).first()
        after = {
            "decision": decision.strip(),
            "owner": owner.strip(),
            "due_date": due_date,
            "status": status,
        }
        connection.execute(
            review_decisions.insert().values(
                decision_key=key,
                review_id=review_id,
                decision=decision.strip(),
                owner=owner.strip(),
                due_date=due_date,
                status=status,
                recorded_by=who.label,
                recorded_at=now,
            )
        )
        audit.record(
            connection,
            who,
            "review_decision",
            f"decision {key}",
            f"{'Changed' if before else 'Recorded'} decision {key} on review {review_id}: "
            f"{decision.strip()[:200]} ({status})",
            before=dict(before._mapping) if before else None,
            after=after,
            now=now,
        )
    return key


def decisions(engine: Engine, through_review: int | None = None) -> pd.DataFrame:
    """Every decision as its newest version (up to ``through_review`` when given): key,
    decision, owner, due date, status, the review it was raised in and last changed in."""
    condition = (
        sa.true() if through_review is None else review_decisions.c.review_id <= through_review
    )
    with engine.connect() as connection:
        frame = pd.read_sql(
            sa.select(review_decisions).where(condition).order_by(review_decisions.c.version_id),
            connection,
        )
    if frame.empty:
        return frame
    raised = frame.groupby("decision_key")["review_id"].min().rename("raised_in")
    latest = frame.groupby("decision_key").tail(1).set_index("decision_key")
    latest = latest.join(raised).reset_index()
    return latest.rename(columns={"review_id": "changed_in"})


def cadence_days(store_settings: Mapping[str, str]) -> int:
    """Days between reviews (the setting, two weeks by default)."""
    text = store_settings.get(CADENCE_SETTING)
    return int(text) if text and text.isdigit() and int(text) > 0 else DEFAULT_CADENCE_DAYS


def set_cadence(
    engine: Engine,
    days: int,
    updated_by: str = "",
    now: datetime | None = None,
    *,
    actor: Actor | None = None,
) -> None:
    """Change the review cadence; ``ReviewError`` when it is not 1 to 90 days.

    A setting: admins only when ``actor`` (the signed-in person) is given.
    """
    if not 1 <= days <= 90:
        raise ReviewError(f"The review cadence must be 1 to 90 days, got {days}.")
    if actor is None and not updated_by.strip():
        raise ReviewError("Say who is changing the cadence: the name is required.")
    ensure_writable(engine)
    who = acting(actor, updated_by, "change_setting")
    with engine.begin() as connection:
        # The cadence changes no number: the caches keyed by data version stay valid.
        set_setting(
            connection,
            CADENCE_SETTING,
            str(days),
            who,
            now or datetime.now(),
            changes_numbers=False,
        )


def last_upload_id(engine: Engine) -> int:
    """The newest upload's id (0 when there is none)."""
    with engine.connect() as connection:
        return int(connection.execute(sa.text("select max(upload_id) from uploads")).scalar() or 0)


def uploads_since(engine: Engine, snapshot: Mapping[str, object], moment: datetime) -> pd.DataFrame:
    """What changed the data after a review froze ``snapshot`` at ``moment``: the uploads loaded
    since (by upload id, whatever the clocks say) and earlier uploads undone since."""
    statement = sa.text(
        """
        select upload_id, file_name, kind, rows_read, uploaded_by, uploaded_at, status,
               status_changed_at
        from uploads
        where upload_id > :after or status_changed_at > :moment
        order by upload_id desc
        limit 200
        """
    )
    with engine.connect() as connection:
        return pd.read_sql(
            statement,
            connection,
            params={"after": int(snapshot.get("last_upload_id") or 0), "moment": moment},  # type: ignore[call-overload]
        )


# Settings that change no number: a new name or review cadence is not a cause of movement.
_QUIET_SETTINGS = ("setting company_name", f"setting {CADENCE_SETTING}")


def changes_since(engine: Engine, moment: datetime, limit: int = 200) -> pd.DataFrame:
    """Definition and setting changes recorded after ``moment`` (a review's start), newest
    first: ``changed_at``, ``kind`` ("Definition" or "Setting"), ``summary`` (what changed,
    e.g. ``bookings v1 -> v2 from 2026-12-07: count renewals``) and ``actor``. Beside the
    uploads since, they are what moved the numbers besides the calendar."""
    statement = sa.text(
        """
        select changed_at,
               case when action = 'change_definition' then 'Definition' else 'Setting' end
                   as kind,
               summary, actor
        from audit_log
        where changed_at > :moment
          and (action = 'change_definition'
               or (action = 'change_setting' and target not in :quiet))
        order by audit_id desc
        limit :limit
        """
    ).bindparams(sa.bindparam("quiet", expanding=True))
    with engine.connect() as connection:
        return pd.read_sql(
            statement,
            connection,
            params={"moment": moment, "quiet": list(_QUIET_SETTINGS), "limit": limit},
        )
