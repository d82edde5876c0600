"""``python -m core``: the store from the command line, for scripting.

Commands: ``demo`` (generate and load the demo company), ``ingest`` (load CSV exports), ``undo``
(undo an upload), ``tables`` (what the store holds), ``uploads`` (upload history),
``definitions``, ``goals``, ``scenario``, ``accuracy``, ``campaigns`` (the scorecard),
``review-start`` and ``review-pack`` (freeze a review, write its PDF or PowerPoint pack),
``revenue`` (the ARR bridge, NRR and GRR), ``pipeline`` (coverage and the waterfall) and
``settings`` (the company's name, fiscal year and currency); ``--help`` on each says more.
Every command takes ``--db URL`` (else ``MARKETING_REVIEW_DB``, else ``[connections.store] url`` in
``.streamlit/secrets.toml``, else the default file) and ``--json`` for machine-readable output on
stdout; progress and errors go to stderr.

Exit codes: 0 success; 1 the request was refused or a file was rejected (the reasons are on
stderr, and a rejected file changed nothing); 2 usage error; 3 the store cannot be opened (held
by another process, or written by a newer release).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

import pandas as pd
from sqlalchemy.engine import Engine

from core.calendar import FiscalCalendar, FiscalPeriod
from core.campaigns import ATTRIBUTION_MODELS, active, scorecard
from core.channels import CHANNEL_LABELS
from core.company import (
    CompanySettings,
    calendar_preview,
    parse_company_name,
    parse_currency,
    parse_month,
)
from core.definitions import DEFAULT_DEFINITIONS, MetricDefinition
from core.demo import DemoDirectoryError, DemoOptions, default_as_of, generate_demo
from core.formatting import (
    DEFAULT_CURRENCY,
    currency_symbol,
    format_metric,
    format_money,
    format_money_exact,
)
from core.funnel import WATERFALL_LABELS, WATERFALL_OUTFLOWS, WATERFALL_STEPS
from core.goals import STATUS_LABELS, active_on, in_tree_order
from core.review_pack import PACK_FORMATS, PackContent, pack_bytes
from core.scenarios import MAX_CHANGE, MIN_CHANGE, horizon_weeks, simulate, summary_sentence
from core.store import arr as store_arr
from core.store import campaigns as store_campaigns
from core.store import company as store_company
from core.store import definitions as store_definitions
from core.store import forecasts as store_forecasts
from core.store import goals as store_goals
from core.store import pipeline as store_pipeline
from core.store import queries
from core.store import reviews as store_reviews
from core.store import scenarios as store_scenarios
from core.store.engine import (
    PROJECT_ROOT,
    ReadOnlyStoreError,
    StoreLockedError,
    StoreUrlError,
    describe_url,
    resolve_read_only,
    resolve_store_url,
    store_path,
)
from core.store.ingest.pipeline import (
    MAX_FILE_BYTES,
    IngestError,
    IngestOptions,
    IngestReport,
    ingest_file,
    undo_upload,
)
from core.store.ingest.presets import PRESETS_BY_NAME
from core.store.schema import VERSIONED_TABLES, SchemaVersionError, open_store, table_reference

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_STORE_UNAVAILABLE = 0, 1, 2, 3


class CommandRefusedError(RuntimeError):
    """The command cannot do what was asked; the message says why (exit code 1)."""


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-23, got {text!r}") from None


def _positive_scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number such as 1 or 10, got {text!r}"
        ) from None
    if not 0 < value <= 1000:
        raise argparse.ArgumentTypeError(f"scale must be above 0 and at most 1000, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected zero or more, got {text}")
    return value


def _cut(text: str) -> tuple[str, float]:
    """``CHANNEL=-30%`` (or ``CHANNEL=-0.3``) -> (channel, -0.3)."""
    channel, separator, value = text.partition("=")
    channel, value = channel.strip(), value.strip()
    if not separator or not channel or not value:
        raise argparse.ArgumentTypeError(f"expected CHANNEL=-30%, got {text!r}")
    try:
        change = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"the change for {channel} must be a percentage such as -30%, got {value!r}"
        ) from None
    return channel, change


def _argument(parse: Callable[[str], object]) -> Callable[[str], object]:
    """``parse`` as an argparse type: its ValueError becomes a usage error naming the value."""

    def checked(text: str) -> object:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return checked


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", help="store URL (default: data/marketing.duckdb)")
    common.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="Marketing Review's store from the command line.",
        epilog="Exit codes: 0 ok, 1 refused, 2 usage error, 3 store unavailable.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="generate the demo company's exports and load them into the store",
        description="Simulate the demo company, write its vendor-shaped CSV exports and "
        "ground truth, and load them into the store, one upload per file.",
    )
    demo.add_argument("--scale", type=_positive_scale, default=1.0, help="volume multiplier (1)")
    demo.add_argument("--seed", type=_non_negative_int, default=42, help="random seed (42)")
    demo.add_argument("--as-of", type=_iso_date, default=None, help="last day of data (today)")
    demo.add_argument(
        "--out", type=Path, default=None, help="folder for the exports (next to the store)"
    )
    when = demo.add_mutually_exclusive_group()
    when.add_argument(
        "--replace", action="store_true", help="replace a store that already holds data"
    )
    when.add_argument(
        "--if-empty", action="store_true", help="do nothing when the store already holds data"
    )
    commands.add_parser("tables", parents=[common], help="what the store holds, per table")
    commands.add_parser(
        "schema",
        help="the store's tables and columns as Markdown (docs/TABLES.md), opens no store",
        description="Print the tables a store holds, as a warehouse built for read-only mode "
        "must hold them.",
    )
    uploads = commands.add_parser("uploads", parents=[common], help="upload history, newest first")
    uploads.add_argument("--limit", type=int, default=50, help="how many uploads to list (50)")
    ingest = commands.add_parser(
        "ingest",
        parents=[common],
        help="load CSV exports into the store (a file with any invalid row loads nothing)",
        description="Load CSV exports. The format is recognised from the header unless --source "
        "says it; a file with any invalid row loads nothing unless --keep-rejects is given.",
    )
    ingest.add_argument("files", nargs="+", type=Path, metavar="FILE", help="CSV exports to load")
    ingest.add_argument(
        "--source",
        choices=sorted(PRESETS_BY_NAME),
        metavar="FORMAT",
        help="the export format: " + ", ".join(sorted(PRESETS_BY_NAME)),
    )
    ingest.add_argument(
        "--kind", choices=sorted(VERSIONED_TABLES), help="the table, if unrecognised"
    )
    ingest.add_argument("--dry-run", action="store_true", help="check the files, load nothing")
    ingest.add_argument(
        "--keep-rejects", action="store_true", help="load the valid rows and keep the rejects"
    )
    ingest.add_argument(
        "--date-order",
        choices=["mdy", "dmy", "ymd"],
        help="how ambiguous dates such as 03/04/2026 are written (month first: mdy)",
    )
    ingest.add_argument("--snapshot-date", type=_iso_date, help="the day the export describes")
    ingest.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="take FIELD from the file's COLUMN (repeatable; FIELD= leaves it unmapped)",
    )
    ingest.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="one value for the whole file, e.g. channel=paid_social or currency=AUD (repeatable)",
    )
    ingest.add_argument(
        "--value",
        action="append",
        default=[],
        metavar="FIELD:VENDOR=OURS",
        help="map a vendor value, e.g. 'opportunity_type:New Business / Add-on=expansion' or "
        "'lead_source:Online Form=direct' (repeatable)",
    )
    ingest.add_argument(
        "--remember",
        action="store_true",
        help="remember the --map and --value choices for files of the same format",
    )
    ingest.add_argument("--sheet", default=None, help="the Excel sheet to read (the first)")
    ingest.add_argument("--by", default=None, help="who is loading (default: your login name)")
    rates = commands.add_parser(
        "rates",
        parents=[common],
        help="exchange rates to the reporting currency: list them, or add some by hand",
        description="List the rates in force and what they restated, or add monthly rates "
        "(loaded like a rates file: archived, audited, undoable). A rate is how many units of "
        "the reporting currency one unit of CURRENCY buys. Amounts already loaded follow the "
        "rates in force (restated); the upload history keeps them as reported.",
    )
    rates.add_argument(
        "--add",
        nargs=3,
        action="append",
        default=[],
        metavar=("CURRENCY", "MONTH", "RATE"),
        help="e.g. --add AUD 2026-06 0.6021 (repeatable)",
    )
    rates.add_argument("--by", default=None, help="who is adding (default: your login name)")
    rates.add_argument(
        "--restated",
        action="store_true",
        help="list only what new rates restated: per table, currency and month, the total as "
        "reported beside the total restated",
    )
    channels = commands.add_parser(
        "channels",
        parents=[common],
        help="the channels values can be mapped to; --add one the company uses",
    )
    channels.add_argument("--add", default=None, metavar="NAME", help='e.g. --add "TikTok Ads"')
    channels.add_argument("--by", default=None, help="who is adding (default: your login name)")
    undo = commands.add_parser(
        "undo", parents=[common], help="undo an upload: its rows stop counting (they stay stored)"
    )
    undo.add_argument("upload_id", type=int, metavar="UPLOAD_ID")
    undo.add_argument("--by", default=None, help="who is undoing (default: your login name)")
    definitions = commands.add_parser(
        "definitions",
        parents=[common],
        help="metric definitions in effect today, or every version of one metric",
    )
    definitions.add_argument(
        "--history",
        choices=list(DEFAULT_DEFINITIONS),
        metavar="METRIC",
        help="every version of METRIC, oldest first (one of: "
        + ", ".join(DEFAULT_DEFINITIONS)
        + ")",
    )
    goals = commands.add_parser(
        "goals",
        parents=[common],
        help="every goal active on a day with target, actual, pace, projection and status",
    )
    goals.add_argument(
        "--as-of",
        type=_iso_date,
        default=None,
        metavar="DATE",
        help="the day to track on, YYYY-MM-DD (default: the data's last day)",
    )
    goals.add_argument(
        "--all",
        action="store_true",
        help="every goal, including those whose period has ended or not started",
    )
    scenario = commands.add_parser(
        "scenario",
        parents=[common],
        help="what a budget change costs in pipeline, bookings, new ARR and revenue",
        description="Fit each channel's response curve to the store and simulate a change in "
        "planned spend over the next 18 months, with a 10-90% range.",
    )
    scenario.add_argument(
        "--cut",
        type=_cut,
        action="append",
        default=[],
        metavar="CHANNEL=-30%",
        help="change a channel's planned spend (-100%% to +50%%); repeat for several channels",
    )
    scenario.add_argument(
        "--start", type=_iso_date, default=None, help="first day of the change (next Monday)"
    )
    scenario.add_argument(
        "--weeks", type=int, default=13, help="how many weeks the change lasts (13)"
    )
    scenario.add_argument(
        "--as-of", type=_iso_date, default=None, help="day the data runs to (data-through date)"
    )
    review_start = commands.add_parser(
        "review-start",
        parents=[common],
        help="start a review: freeze every number the review shows, as of a day",
    )
    review_start.add_argument("--by", required=True, help="who is starting the review")
    review_start.add_argument(
        "--as-of", type=_iso_date, default=None, metavar="DATE", help="the day (data's last day)"
    )
    review_start.add_argument(
        "--period", default=None, help="fiscal quarter (default: the as-of day's)"
    )
    review_pack = commands.add_parser(
        "review-pack",
        parents=[common],
        help="write a review's pack (PDF or PowerPoint) from its frozen numbers",
    )
    review_pack.add_argument(
        "--out", required=True, type=Path, help="the file to write: a .pdf or a .pptx"
    )
    review_pack.add_argument(
        "--review", type=int, default=None, help="the review id (default: the latest review)"
    )
    revenue = commands.add_parser(
        "revenue",
        parents=[common],
        help="the ARR bridge with NRR and GRR, per month and per fiscal quarter",
        description="Start, new, reactivation, expansion, contraction, churn and end ARR per "
        "month and per fiscal quarter, with net and gross revenue retention (trailing window of "
        "the NRR and GRR definitions) at each period's last month. In --json, amounts are in the "
        "store's reporting currency (the document's currency) and retention rates are "
        "fractions (null where undefined, with the reason).",
    )
    revenue.add_argument(
        "--as-of", type=_iso_date, default=None, metavar="DATE", help="last day (data's last day)"
    )
    revenue.add_argument(
        "--segment", default=None, help="only the accounts of this segment (as the store has it)"
    )
    pipeline = commands.add_parser(
        "pipeline",
        parents=[common],
        help="coverage of this and next quarter against the required level, and the waterfall",
        description="Coverage of the bookings still to win this quarter and next (open pipeline "
        "due in the quarter over target less won to date), the coverage the win rate requires, "
        "and this quarter's pipeline waterfall from the opportunity exports.",
    )
    pipeline.add_argument(
        "--as-of", type=_iso_date, default=None, metavar="DATE", help="the day (data's last day)"
    )
    campaigns = commands.add_parser(
        "campaigns",
        parents=[common],
        help="the campaign or channel scorecard for a quarter under an attribution model",
        description="Spend, touches, leads, MQLs, SQLs, credited opportunities, pipeline, "
        "bookings, new ARR, cost per MQL and per opportunity, CAC, pipeline and bookings per "
        "unit of spend, payback and conversion rates with Wilson 95% ranges, per campaign or "
        "channel, for a fiscal quarter to the as-of day. Attributed totals equal the CRM's. "
        "Amounts are in the store's reporting currency.",
    )
    campaigns.add_argument(
        "--model",
        default=None,
        choices=ATTRIBUTION_MODELS,
        help="attribution model (default: the registry's attribution definition)",
    )
    campaigns.add_argument(
        "--period", default=None, help="fiscal quarter, e.g. 'Q3 FY2027' (default: the as-of's)"
    )
    campaigns.add_argument(
        "--level", default="campaign", choices=("campaign", "channel"), help="rows (campaign)"
    )
    campaigns.add_argument(
        "--as-of", type=_iso_date, default=None, metavar="DATE", help="the day (data's last day)"
    )
    accuracy = commands.add_parser(
        "accuracy",
        parents=[common],
        help="how accurate each forecaster's calls were, and the current call",
        description="Judge every forecast against the actual of its period, measured under the "
        "definition in effect when the forecast was submitted (--restated: every one under the "
        "as-of day's definitions), and show the current call for open periods beside the "
        "data's own baseline.",
    )
    accuracy.add_argument(
        "--restated",
        action="store_true",
        help="judge every forecast under the definitions in effect on the as-of day",
    )
    accuracy.add_argument(
        "--metric",
        default=None,
        help="one forecast metric, as the store names it (default: every metric forecast)",
    )
    accuracy.add_argument(
        "--as-of",
        type=_iso_date,
        default=None,
        help="day to judge on (default: the data's last day)",
    )
    settings = commands.add_parser(
        "settings",
        parents=[common],
        help="the company's name, fiscal year and reporting currency: show them, or set them",
        description="Without options, print the company settings. With options, set them and "
        "print what the change does. A first set-up needs --company-name, --fiscal-year-start "
        "and --currency. A new reporting currency restates every amount already loaded, through "
        "the new currency's exchange rate to the old one (refused, naming the months, where a "
        "month lacks it).",
    )
    settings.add_argument(
        "--company-name",
        type=_argument(parse_company_name),
        metavar="NAME",
        help="the company's name, as the pages and review packs show it",
    )
    settings.add_argument(
        "--fiscal-year-start",
        type=_argument(parse_month),
        metavar="MONTH",
        help="the month the fiscal year starts in: 4, 04, April or Apr",
    )
    settings.add_argument(
        "--fiscal-year-named-by",
        choices=("start", "end"),
        help="name a fiscal year by the calendar year it starts or ends in (end)",
    )
    settings.add_argument(
        "--currency",
        type=_argument(parse_currency),
        metavar="CODE",
        help="the reporting currency, an ISO 4217 code such as EUR",
    )
    settings.add_argument("--by", default=None, help="who is changing them (your login name)")
    return parser


ACCURACY_JSON_FIELDS = (
    "metric", "forecaster", "count", "zero_actuals", "mape", "wape", "bias", "hit_rate_5",
    "hit_rate_10", "accuracy_score",
)  # fmt: skip
CURRENT_JSON_FIELDS = (
    "metric", "period_label", "forecaster", "submitted_on", "horizon", "commit", "most_likely",
    "best_case", "bias", "bias_adjusted", "range_share", "range_periods",
)  # fmt: skip


def run_accuracy(arguments: argparse.Namespace, engine: Engine, out: TextIO) -> int:
    """Print the accuracy of every forecaster per metric, and the current call."""
    as_of = _as_of(arguments, engine)
    definitions = store_definitions.current_definitions(engine, as_of)
    calendar = queries.fiscal_calendar(queries.settings(engine))
    metrics = sorted(store_forecasts.forecast_rows(engine)["metric"].unique())
    if arguments.metric is not None and arguments.metric not in metrics:
        known = ", ".join(metrics) if metrics else "none: the store holds no forecasts"
        raise UsageError(
            f"--metric: no forecasts of {arguments.metric!r}; the metrics forecast are: {known}"
        )
    live = arguments.as_of is None  # the data's last day: calls made since then count too
    report = store_forecasts.accuracy_report(
        engine,
        as_of,
        calendar,
        definitions,
        calls_through=max(as_of, date.today()) if live else as_of,
        histories=None if arguments.restated else store_definitions.all_histories(engine),
    )
    accuracy, current = report.accuracy, report.current
    baselines = list(report.baselines)
    if arguments.metric is not None:
        accuracy = (
            accuracy[accuracy["metric"] == arguments.metric] if not accuracy.empty else accuracy
        )
        current = current[current["metric"] == arguments.metric] if not current.empty else current
        baselines = [item for item in baselines if item.metric == arguments.metric]
    if arguments.json:
        payload = {
            "as_of": as_of.isoformat(),
            "judged": {"category": report.category, "submission": report.submission},
            "measured_under": "as-of day's definitions"
            if arguments.restated
            else "definition in effect when each forecast was submitted",
            "definition_versions": {
                metric: list(versions) for metric, versions in report.definition_versions.items()
            },
            "accuracy": [
                {name: _plain(row[name]) for name in ACCURACY_JSON_FIELDS}
                for row in accuracy.to_dict(orient="records")
            ],
            "current_call": [
                {name: _plain(row[name]) for name in CURRENT_JSON_FIELDS}
                for row in current.to_dict(orient="records")
            ],
            "baselines": [
                {
                    "metric": item.metric,
                    "period_label": item.period_label,
                    "value": _plain(item.value),
                    "to_date": _plain(item.to_date),
                    "method": item.method,
                    "note": item.note,
                }
                for item in baselines
            ],
        }
        print(json.dumps(payload, indent=2), file=out)
        return EXIT_OK
    judged = f"{report.category.replace('_', ' ')} call, {report.submission} submission"
    print(
        f"Forecast accuracy as of {as_of.isoformat()} ({judged} before each period ended)", file=out
    )
    versions = "; ".join(
        f"{metric} v{', v'.join(str(number) for number in numbers)}"
        for metric, numbers in sorted(report.definition_versions.items())
    )
    rule = (
        "every forecast restated under the as-of day's definitions"
        if arguments.restated
        else "each forecast under the definition in effect when it was submitted (--restated: "
        "all under the as-of day's)"
    )
    print(f"Actuals measured {rule}: {versions}", file=out)
    if accuracy.empty:
        print("(no closed period has both a forecast and an actual)", file=out)
    else:
        _print_frame(
            pd.DataFrame(
                {
                    "metric": accuracy["metric"],
                    "forecaster": accuracy["forecaster"],
                    "periods": accuracy["count"],
                    "MAPE": [_share(v) for v in accuracy["mape"]],
                    "WAPE": [_share(v) for v in accuracy["wape"]],
                    "bias": [_share(v, signed=True) for v in accuracy["bias"]],
                    "within 10%": [_share(v) for v in accuracy["hit_rate_10"]],
                }
            ),
            out,
        )
    print("", file=out)
    print("Current call", file=out)
    if current.empty:
        print("(no forecast for an open period)", file=out)
        return EXIT_OK
    _print_frame(
        pd.DataFrame(
            {
                "period": current["period_label"],
                "metric": current["metric"],
                "forecaster": current["forecaster"],
                "submitted": [_plain(v) for v in current["submitted_on"]],
                "commit": [_number(v) for v in current["commit"]],
                "most likely": [_number(v) for v in current["most_likely"]],
                "best case": [_number(v) for v in current["best_case"]],
                "bias-adjusted": [_number(v) for v in current["bias_adjusted"]],
            }
        ),
        out,
    )
    for item in baselines:
        value = "n/a" if item.value is None else _number(item.value)
        print(f"Baseline {item.metric} {item.period_label}: {value} ({item.note})", file=out)
    return EXIT_OK


def _share(value: object, signed: bool = False) -> str:
    number = _plain(value)
    if number is None:
        return "n/a"
    return f"{float(number):+.1%}" if signed else f"{float(number):.1%}"


def _number(value: object) -> str:
    number = _plain(value)
    return "" if number is None else f"{float(number):,.0f}"


GOAL_JSON_FIELDS = (
    "goal_id", "name", "level", "metric", "period", "period_start", "period_end", "owner",
    "direction", "parent_goal_id", "target", "actual", "expected", "pace", "projection", "gap",
    "required_per_week", "probability", "probability_note", "pacing_method", "status",
    "relation", "definition_version", "status_note", "reported_version", "reported_status",
    "reported_projection",
)  # fmt: skip


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()  # numpy scalars
    return value


# Definition versions are whole numbers; a column with gaps reaches here as floats (1.0).
VERSION_FIELDS = frozenset({"definition_version", "reported_version"})


def _version(value: object) -> int | None:
    plain = _plain(value)
    return None if plain is None else int(plain)  # type: ignore[call-overload]


def run_goals(arguments: argparse.Namespace, engine: Engine, out: TextIO) -> int:
    """Print each goal's tracking on the as-of day (the Goals page's numbers)."""
    as_of = _as_of(arguments, engine)
    definitions = store_definitions.current_definitions(engine, as_of)
    tracked = store_goals.track_goals(
        engine, as_of, definitions, histories=store_definitions.all_histories(engine)
    )
    if not tracked.empty and not arguments.all:
        tracked = tracked[active_on(tracked, as_of)]
    if not tracked.empty:
        tracked = in_tree_order(tracked)
    currency = _reporting_currency(engine)
    if arguments.json:
        rows = [
            {
                name: _version(value) if name in VERSION_FIELDS else _plain(value)
                for name, value in {
                    **row,
                    "name": row["goal_name"],
                    "period": row["period_label"],
                }.items()
                if name in GOAL_JSON_FIELDS
            }
            for row in tracked.to_dict(orient="records")
        ]
        document = {"as_of": as_of.isoformat(), "currency": currency, "goals": rows}
        print(json.dumps(document, indent=2), file=out)
        return EXIT_OK
    print(f"Goals as of {as_of.isoformat()}", file=out)
    if tracked.empty:
        print("(no goals)", file=out)
        return EXIT_OK
    frame = pd.DataFrame(
        {
            "goal": [
                "  " * depth + name
                for depth, name in zip(tracked["depth"], tracked["goal_name"], strict=True)
            ],
            "period": tracked["period_label"],
            "target": [
                format_metric(v, u, currency=currency)
                for v, u in zip(tracked["target"], tracked["unit"], strict=True)
            ],
            "actual": [
                format_metric(_plain(v), u, currency=currency)
                for v, u in zip(tracked["actual"], tracked["unit"], strict=True)
            ],
            "pace": [_percent(value) for value in tracked["pace"]],
            "projection": [
                format_metric(_plain(v), u, currency=currency)
                for v, u in zip(tracked["projection"], tracked["unit"], strict=True)
            ],
            "chance": [_percent(value) for value in tracked["probability"]],
            "status": tracked["status"].map(STATUS_LABELS),
        }
    )
    _print_frame(frame, out)
    return EXIT_OK


def _reporting_currency(engine: Engine) -> str:
    """The store's reporting currency: what its amounts (the ``*_usd`` columns) are in."""
    return queries.settings(engine).get("currency", DEFAULT_CURRENCY)


def _as_of(arguments: argparse.Namespace, engine: Engine) -> date:
    """``--as-of``, else the day the data runs to, else today."""
    return arguments.as_of or queries.data_extent(engine).data_through or date.today()


def _quarter(arguments: argparse.Namespace, calendar: FiscalCalendar, as_of: date) -> FiscalPeriod:
    """``--period`` as a fiscal quarter that has started by ``as_of`` (default: as-of's)."""
    if not arguments.period:
        return calendar.quarter_containing(as_of)
    try:
        period = calendar.parse(arguments.period)
    except ValueError as error:
        raise UsageError(f"--period: {error}") from error
    if period.kind != "quarter":
        raise UsageError(f"--period must be a fiscal quarter such as 'Q3 FY2027', got {period}")
    if period.start > as_of:
        raise UsageError(f"--period {period.label} starts after the as-of day {as_of}")
    return period


def run_review_start(arguments: argparse.Namespace, engine: Engine, out: TextIO) -> int:
    """Freeze a review of the as-of day's quarter (or ``--period``)."""
    as_of = _as_of(arguments, engine)
    definitions = store_definitions.current_definitions(engine, as_of)
    store_settings = queries.settings(engine)
    calendar = queries.fiscal_calendar(store_settings)
    period = _quarter(arguments, calendar, as_of)
    if not arguments.by.strip():
        raise UsageError("--by: say who is starting the review")
    snapshot = store_reviews.build_snapshot(
        engine, definitions, calendar, period, as_of, store_settings
    )
    review_id = store_reviews.start_review(engine, snapshot, arguments.by, date.today())
    if arguments.json:
        print(json.dumps({"review_id": review_id, "as_of": as_of.isoformat(),
                          "period": period.label}), file=out)  # fmt: skip
    else:
        print(f"Review {review_id} started: {period.label} frozen as of {as_of}.", file=out)
    return EXIT_OK


def run_review_pack(arguments: argparse.Namespace, engine: Engine, out: TextIO) -> int:
    """Write a review's pack from its frozen snapshot."""
    suffix = arguments.out.suffix.lower()
    if suffix not in PACK_FORMATS:
        raise UsageError(
            f"--out must end in {' or '.join(PACK_FORMATS)}, got {arguments.out.name!r}"
        )
    review = store_reviews.load_review(engine, arguments.review)
    if review is None:
        raise CommandRefusedError(
            "no review has been started"
            if arguments.review is None
            else f"there is no review {arguments.review}"
        )
    content = PackContent(
        review_id=review.review_id,
        review_date=review.review_date,
        started_by=review.started_by,
        snapshot=review.snapshot,
        notes=store_reviews.notes(engine, review.review_id).to_dict(orient="records"),
        decisions=store_reviews.decisions(engine, review.review_id).to_dict(orient="records"),
        store_currency=_reporting_currency(engine),
    )
    data = pack_bytes(content, suffix)
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_bytes(data)
    if arguments.json:
        print(json.dumps({"review_id": review.review_id, "out": str(arguments.out),
                          "bytes": len(data)}), file=out)  # fmt: skip
    else:
        print(f"Wrote the pack of review {review.review_id} to {arguments.out} "
              f"({len(data):,} bytes).", file=out)  # fmt: skip
    return EXIT_OK


CAMPAIGN_JSON_FIELDS = (
    "spend_usd", "touches", "leads", "mqls", "sqls", "opportunities", "won", "closed",
    "pipeline_usd", "bookings_usd", "new_arr_usd", "new_customers", "cost_per_mql",
    "cost_per_opportunity", "cac", "pipeline_roi", "bookings_roi", "payback_months",
    "mql_to_sql", "mql_to_sql_low", "mql_to_sql_high", "win_rate", "win_rate_low",
    "win_rate_high", "too_little_data", "evidence",
)  # fmt: skip


def run_campaigns(arguments: argparse.Namespace, engine: Engine, out: TextIO) -> int:
    """Print the scorecard of a quarter under an attribution model (the Campaigns page's)."""
    as_of = _as_of(arguments, engine)
    definitions = store_definitions.current_definitions(engine, as_of)
    store_settings = queries.settings(engine)
    calendar = queries.fiscal_calendar(store_settings)
    currency = store_settings.get("currency", DEFAULT_CURRENCY)
    period = _quarter(arguments, calendar, as_of)
    model = arguments.model or str(definitions["attribution"].parameters["model"])
    last = min(as_of, period.end)
    rows = store_campaigns.campaign_rows_for(
        engine, definitions, period.start, last, [model], converted_by=as_of
    )
    found = rows[model]
    level = arguments.level
    margin = float(definitions["payback"].parameters["gross_margin"])  # type: ignore[arg-type]
    card = scorecard(
        active(found.campaigns) if level == "campaign" else found.channels,
        gross_margin=margin,
        currency=currency,
    )
    if arguments.json:
        records = []
        for row in card.to_dict(orient="records"):
            record: dict[str, object] = {
                "campaign": row.get("name") if level == "campaign" else None,
                "campaign_id": row.get("campaign_id") if level == "campaign" else None,
                "channel": row["channel"],
            }
            record.update({name: _plain(row.get(name)) for name in CAMPAIGN_JSON_FIELDS})
            records.append(record)
        document = {
            "as_of": as_of.isoformat(),
            "period": period.label,
            "first_day": period.start.isoformat(),
            "last_day": last.isoformat(),
            "model": model,
            "level": level,
            "currency": currency,
            "pipeline_usd": float(found.credits["pipeline_usd"].sum()),
            "bookings_usd": float(found.credits["bookings_usd"].sum()),
            "rows": records,
        }
        print(json.dumps(document, indent=2), file=out)
        return EXIT_OK
    print(
        f"{level.title()} scorecard, {period.label} to {last.isoformat()}, {model} attribution",
        file=out,
    )
    shown = card.sort_values("pipeline_usd", ascending=False)
    _print_frame(
        pd.DataFrame(
            {
                level: shown["name"] if level == "campaign" else shown["channel"],
                "spend": shown["spend_usd"].map(lambda value: format_money(value, currency)),
                "MQLs": shown["mqls"].map(_number),
                "opps": shown["opportunities"].map(lambda value: f"{value:.1f}"),
                "pipeline": shown["pipeline_usd"].map(lambda value: format_money(value, currency)),
                "bookings": shown["bookings_usd"].map(lambda value: format_money(value, currency)),
                f"pipeline/{currency_symbol(currency).strip()}": shown["pipeline_roi"].map(
                    lambda value: "n/a" if pd.isna(value) else f"{value:.2f}"
                ),
                "note": shown["evidence"].where(shown["too_little_data"], ""),
            }
        ),
        out,
    )
    return EXIT_OK


BRIDGE_FIELDS = ("start", "new", "reactivation", "expansion", "contraction", "churn", "end")


def _bridge_rows(frame: pd.DataFrame, period: Callable[[object], str]) -> list[dict[str, object]]:
    rows = []
    for record in frame.to_dict(orient="records"):
        row: dict[str, object] = {"period": period(record)}
        for field in BRIDGE_FIELDS:
            column = {"start": "start_arr_usd", "end": "end_arr_usd"}.get(field, f"{field}_usd")
            row[field] = round(float(record[column]), 2)
        row["nrr"], row["grr"] = _plain(record["nrr"]), _plain(record["grr"])
        row["retention_reason"] = _plain(record["retention_reason"])
        rows.append(row)
    return rows


def run_revenue(arguments: argparse.Namespace, engine: Engine, out: TextIO) -> int:
    """Print the ARR bridge with NRR and GRR per month and per quarter (the Revenue page's)."""
    as_of = _as_of(arguments, engine)
    definitions = store_definitions.current_definitions(engine, as_of)
    store_settings = queries.settings(engine)
    calendar = queries.fiscal_calendar(store_settings)
    currency = store_settings.get("currency", DEFAULT_CURRENCY)
    with engine.connect() as connection:
        if arguments.segment is not None:
            known = store_arr.segments(connection, as_of)
            if arguments.segment not in known:
                raise UsageError(
                    f"unknown segment {arguments.segment!r}; the store's segments are: "
                    + (", ".join(known) or "(none)")
                )
        if store_arr.month_bounds(connection, as_of, arguments.segment) is None:
            raise CommandRefusedError("the store has no ARR by account and month up to that day")
        window = int(definitions["nrr"].parameters["window_months"])  # type: ignore[call-overload]
        months, quarters = store_arr.bridges_with_retention(
            connection,
            as_of,
            lambda day: calendar.quarter_containing(day).label,
            window,
            arguments.segment,
        )
    month_rows = _bridge_rows(months, lambda record: f"{record['month']:%Y-%m}")
    quarter_rows = _bridge_rows(quarters, lambda record: str(record["period"]))
    for row, months_in in zip(quarter_rows, quarters["months"], strict=True):
        row["months"] = int(months_in)
    if arguments.json:
        document = {
            "as_of": as_of.isoformat(),
            "segment": arguments.segment,
            "currency": currency,
            "definitions": {
                name: definitions[name].reference for name in ("arr", "nrr", "grr", "new_arr")
            },
            "months": month_rows,
            "quarters": quarter_rows,
        }
        print(json.dumps(document, indent=2), file=out)
        return EXIT_OK
    scope = f", segment {arguments.segment}" if arguments.segment else ""
    print(f"ARR bridge as of {as_of.isoformat()}{scope}", file=out)
    for title, rows in (("By quarter", quarter_rows), ("By month", month_rows)):
        print(f"\n{title}", file=out)
        _print_frame(
            pd.DataFrame(
                [
                    {
                        "period": row["period"],
                        **{
                            field: format_money(float(row[field]), currency)  # type: ignore[arg-type]
                            for field in BRIDGE_FIELDS
                        },
                        "NRR": _share(row["nrr"]),
                        "GRR": _share(row["grr"]),
                    }
                    for row in rows
                ]
            ),
            out,
        )
    return EXIT_OK


def _coverage_json(report: store_pipeline.CoverageReport) -> dict[str, object]:
    coverage, need = report.coverage, report.need
    return {
        "period": report.period.label,
        "coverage": _plain(coverage.value),
        "coverage_reason": coverage.reason,
        "open_pipeline": coverage.open_pipeline,
        "target": coverage.target,
        "won_to_date": coverage.won_to_date,
        "required_coverage": _plain(report.required.value),
        "required_reason": report.required.reason,
        "win_rate": _plain(report.win_rate),
        "status": report.status,
        "coverage_at_start": _plain(report.at_start),
        "pipeline_needed": need.required_pipeline,
        "pipeline_gap": need.gap,
        "sourced_pipeline_needed": need.sourced_needed,
        "definitions": list(report.definitions),
    }


def run_pipeline(arguments: argparse.Namespace, engine: Engine, out: TextIO) -> int:
    """Print coverage of this and next quarter and this quarter's waterfall."""
    as_of = _as_of(arguments, engine)
    definitions = store_definitions.current_definitions(engine, as_of)
    store_settings = queries.settings(engine)
    calendar = queries.fiscal_calendar(store_settings)
    currency = store_settings.get("currency", DEFAULT_CURRENCY)
    current = calendar.quarter_containing(as_of)
    reports = [
        store_pipeline.coverage_report(engine, definitions, calendar, quarter, as_of, currency)
        for quarter in (current, calendar.shift(current, 1))
    ]
    flow = store_pipeline.window_waterfall(
        engine, definitions["coverage_to_go"], current.start, current.end, as_of
    )
    waterfall = None
    if flow.waterfall is not None:
        waterfall = {
            "period": current.label,
            "through": flow.end_day.isoformat(),
            **{step: round(float(getattr(flow.waterfall, step)), 2) for step in WATERFALL_STEPS},
            "imbalance": round(flow.waterfall.imbalance, 6),
        }
    if arguments.json:
        document = {
            "as_of": as_of.isoformat(),
            "currency": currency,
            "quarters": [_coverage_json(report) for report in reports],
            "waterfall": waterfall,
            "waterfall_reason": flow.reason,
        }
        print(json.dumps(document, indent=2), file=out)
        return EXIT_OK
    print(f"Pipeline coverage as of {as_of.isoformat()}", file=out)
    _print_frame(
        pd.DataFrame(
            [
                {
                    "quarter": report.period.label,
                    "coverage": "n/a" if report.coverage.value is None
                    else f"{report.coverage.value:.2f}x",
                    "required": "n/a" if report.required.value is None
                    else f"{report.required.value:.2f}x",
                    "status": report.status or "n/a",
                    "open pipeline": format_money(report.coverage.open_pipeline, currency),
                    "target": format_money(report.coverage.target, currency),
                    "won to date": format_money(report.coverage.won_to_date, currency),
                    "note": report.coverage.reason or report.required.reason or "",
                }
                for report in reports
            ]
        ),
        out,
    )  # fmt: skip
    if waterfall is None:
        print(f"\nNo waterfall for {current.label}: {flow.reason}", file=out)
        return EXIT_OK
    print(f"\nPipeline waterfall, {current.label} through {waterfall['through']}", file=out)
    for step in WATERFALL_STEPS:
        sign = "-" if step in WATERFALL_OUTFLOWS else ("" if step.startswith("open") else "+")
        amount = format_money(waterfall[step], currency)  # type: ignore[arg-type]
        print(f"  {WATERFALL_LABELS[step]:<14} {sign}{amount}", file=out)
    return EXIT_OK


def _percent(value: object) -> str:
    plain = _plain(value)
    return "n/a" if plain is None else f"{float(plain) * 100:.0f}%"  # type: ignore[arg-type]


def definition_json(definition: MetricDefinition) -> dict[str, object]:
    """One definition version as plain JSON values."""
    return {
        "metric": definition.metric,
        "version": definition.version,
        "label": definition.label,
        "description": definition.description,
        "parameters": {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in definition.parameters.items()
        },
        "effective_from": definition.effective_from.isoformat(),
        "owner": definition.owner,
        "author": definition.author,
        "reason": definition.reason,
        "approved_by": definition.approved_by,
    }


def run_definitions(arguments: argparse.Namespace, engine: Engine, out: TextIO) -> int:
    """Print the definitions in effect today, or one metric's history."""
    if arguments.history:
        chosen = list(store_definitions.history(engine, arguments.history))
    else:
        chosen = list(store_definitions.current_definitions(engine).values())
    if arguments.json:
        print(json.dumps([definition_json(d) for d in chosen], indent=2), file=out)
        return EXIT_OK
    frame = pd.DataFrame(
        [
            {
                "metric": d.metric,
                "version": d.version,
                "effective_from": d.effective_from.isoformat() if d.version > 1 else "shipped",
                "parameters": d.parameter_summary(),
                **({"author": d.author, "reason": d.reason} if arguments.history else {}),
            }
            for d in chosen
        ]
    )
    _print_frame(frame, out)
    return EXIT_OK


SET_UP_COMMAND = (
    "python -m core settings --company-name NAME --fiscal-year-start MONTH --currency CODE"
)


def _settings_json(settings: CompanySettings, today: date) -> dict[str, object]:
    quarter = settings.calendar.quarter_containing(today)
    return {
        "set_up": True,
        **settings.store_values(),
        "fiscal_year_start_month": settings.fiscal_year_start_month,
        "current_quarter": quarter.label,
        "current_quarter_start": quarter.start.isoformat(),
        "current_quarter_end": quarter.end.isoformat(),
    }


def run_settings(arguments: argparse.Namespace, engine: Engine, out: TextIO) -> int:
    """Print the company settings, or set the ones given and print what the change does."""
    today = date.today()
    current = store_company.company_settings(engine)
    given = {  # field: (option, value given)
        "name": ("--company-name", arguments.company_name),
        "fiscal_year_start_month": ("--fiscal-year-start", arguments.fiscal_year_start),
        "fiscal_year_named_by": ("--fiscal-year-named-by", arguments.fiscal_year_named_by),
        "currency": ("--currency", arguments.currency),
    }
    if all(value is None for _option, value in given.values()):
        if current is None:
            if arguments.json:
                print(json.dumps({"set_up": False, "command": SET_UP_COMMAND}), file=out)
            else:
                print(
                    "Not set up yet: the store reads with a January fiscal year and USD until "
                    f"you set it up:\n  {SET_UP_COMMAND}",
                    file=out,
                )
            return EXIT_OK
        if arguments.json:
            print(json.dumps(_settings_json(current, today), indent=2), file=out)
            return EXIT_OK
        named_by = "starts" if current.fiscal_year_named_by == "start" else "ends"
        print(f"Company:            {current.name}", file=out)
        print(
            f"Fiscal year:        starts in {current.start_month_name}, named by the year it "
            f"{named_by} in",
            file=out,
        )
        print(f"Reporting currency: {current.currency}", file=out)
        print(calendar_preview(current.calendar, today), file=out)
        return EXIT_OK
    if current is None:
        required = [given[field] for field in ("name", "fiscal_year_start_month", "currency")]
        missing = [option for option, value in required if value is None]
        if missing:
            raise UsageError(
                "the company is not set up yet: a first set-up needs --company-name, "
                f"--fiscal-year-start and --currency (missing {', '.join(missing)})"
            )
        kept: dict[str, object] = {"fiscal_year_named_by": "end"}
    else:
        kept = {field: getattr(current, field) for field in given}
    chosen = {
        field: kept.get(field) if value is None else value for field, (_o, value) in given.items()
    }
    new = CompanySettings(**chosen)  # type: ignore[arg-type]
    effect = store_company.save_company_settings(
        engine, new, None, _who(arguments.by), datetime.now()
    )
    if arguments.json:
        print(
            json.dumps(
                {"changed": bool(effect), "effect": list(effect), **_settings_json(new, today)},
                indent=2,
            ),
            file=out,
        )
    elif effect:
        print("\n".join(effect), file=out)
    else:
        print("Nothing changed: the company settings already read so.", file=out)
    return EXIT_OK


def _open_store(url: str) -> Engine:
    """The store, migrated; read-only and only checked when ``MARKETING_REVIEW_READ_ONLY`` is
    set (warehouse mode, where every command that writes is refused)."""
    return open_store(url, read_only=resolve_read_only())


def _default_out_dir(url: str) -> Path:
    path = store_path(url)
    return path.parent / "demo" if path is not None else PROJECT_ROOT / "data" / "demo"


def _store_has_data(url: str) -> int:
    """Number of uploads in the store at ``url`` (0 when it does not exist yet)."""
    path = store_path(url)
    if path is not None and not path.exists():
        return 0
    engine = _open_store(url)
    try:
        return queries.data_extent(engine).upload_count
    finally:
        engine.dispose()


def run_demo(arguments: argparse.Namespace, url: str, err: TextIO) -> dict[str, object]:
    """Generate the demo; DuckDB files are built aside and moved into place when complete."""
    existing = _store_has_data(url)
    if existing and arguments.if_empty:
        return {"store": describe_url(url), "skipped": True, "uploads": existing}
    if existing and not arguments.replace:
        raise CommandRefusedError(
            f"the store {describe_url(url)} already holds data ({existing} uploads): pass "
            "--replace to delete it and load the demo instead"
        )
    options = DemoOptions(
        as_of=arguments.as_of or default_as_of(), seed=arguments.seed, scale=arguments.scale
    )
    out_dir = (arguments.out or _default_out_dir(url)).resolve()
    started = time.perf_counter()
    path = store_path(url)
    target_url = url
    building: Path | None = None
    if path is not None:
        building = path.with_name(f"{path.name}.building-{os.getpid()}")
        building.unlink(missing_ok=True)
        target_url = f"duckdb:///{building}"
    engine = _open_store(target_url)
    try:
        summary = generate_demo(
            options, out_dir, engine, progress=lambda line: print(line, file=err)
        )
        fitting = time.perf_counter()
        if store_scenarios.store_fit(engine):  # Budget scenarios opens on a stored fit
            print(f"Fitted the budget curves in {time.perf_counter() - fitting:.1f} s", file=err)
        if building is not None:
            with engine.begin() as connection:
                connection.exec_driver_sql("checkpoint")
    except BaseException:
        engine.dispose()
        if building is not None:
            building.unlink(missing_ok=True)
        raise
    engine.dispose()
    if building is not None and path is not None:
        building.replace(path)
        Path(f"{building}.wal").unlink(missing_ok=True)
    return {
        "store": describe_url(url),
        "exports": str(out_dir),
        "files": len(summary.files),
        "rows": summary.rows_by_kind(),
        "seconds": round(time.perf_counter() - started, 1),
        "seed": options.seed,
        "scale": options.scale,
        "as_of": options.as_of.isoformat(),
    }


def _print_frame(frame: pd.DataFrame, out: TextIO) -> None:
    if frame.empty:
        print("(nothing yet)", file=out)
        return
    print(frame.to_string(index=False), file=out)


def _frame_json(frame: pd.DataFrame) -> list[dict[str, object]]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def _who(name: str | None) -> str:
    return name or os.environ.get("USER") or "command line"


def _mapping(pairs: list[str]) -> dict[str, str | None]:
    mapping: dict[str, str | None] = {}
    for pair in pairs:
        field, separator, column = pair.partition("=")
        if not separator or not field.strip():
            raise CommandRefusedError(f"--map expects FIELD=COLUMN, got {pair!r}")
        mapping[field.strip()] = column.strip() or None
    return mapping


def _report_json(report: IngestReport) -> dict[str, object]:
    return {
        "file": report.file_name,
        "status": report.status,
        "message": report.message,
        "format": report.preset.name if report.preset else None,
        "table": report.kind,
        "upload_id": report.upload_id,
        "snapshot_date": report.snapshot_date.isoformat() if report.snapshot_date else None,
        "rows_read": report.rows_read,
        "rows_skipped": report.rows_skipped,
        "rows_valid": report.rows_valid,
        "rows_inserted": report.rows_inserted,
        "rows_updated": report.rows_updated,
        "rows_rejected": report.rows_rejected,
        "decisions": report.decisions,
        "mapping": {mapped.field.name: mapped.column for mapped in report.mapping},
        "unmapped_columns": list(report.unmapped_columns),
        "errors": _frame_json(report.errors),
        "error_count": report.error_count,
        "rows_stored": report.rows_stored,
        "warnings": _frame_json(report.warnings),
        "warning_count": report.warning_count,
        "values": [
            {
                "field": item.field,
                "column": item.column,
                "value": item.value,
                "rows": item.rows,
                "loads_as": item.loads_as,
                "origin": item.origin,
            }
            for item in report.values
        ],
        "fixed_values": dict(report.fixed_values),
        "missing_rates": [
            {"currency": item.currency, "months": [f"{month:%Y-%m}" for month in item.months]}
            for item in report.missing_rates
        ],
        "sheets": list(report.sheets),
    }


def _fixed_values(pairs: list[str]) -> dict[str, str]:
    fixed: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name.strip() or not value.strip():
            raise CommandRefusedError(f"--set expects FIELD=VALUE, got {pair!r}")
        fixed[name.strip()] = value.strip()
    return fixed


def _value_mapping(items: list[str]) -> dict[str, dict[str, str]]:
    chosen: dict[str, dict[str, str]] = {}
    for item in items:
        name, colon, rest = item.partition(":")
        vendor, separator, ours = rest.rpartition("=")
        if not colon or not separator or not name.strip() or not vendor.strip() or not ours.strip():
            raise CommandRefusedError(f"--value expects FIELD:VENDOR=OURS, got {item!r}")
        chosen.setdefault(name.strip(), {})[vendor.strip()] = ours.strip()
    return chosen


def run_rates(arguments: argparse.Namespace, engine: Engine, out: TextIO, err: TextIO) -> int:
    """List the rates in force, or add typed ones through the ingest path."""
    from core.store import rates as store_rates

    if arguments.add:
        try:
            typed = [store_rates.parse_typed_rate(*entry) for entry in arguments.add]
        except ValueError as problem:
            raise CommandRefusedError(str(problem)) from None
        report = store_rates.load_typed_rates(engine, typed, by=_who(arguments.by))
        if arguments.json:
            print(json.dumps(_report_json(report), indent=2, default=str), file=out)
        else:
            stream = out if report.loaded else err
            print(report.message, file=stream)
            for sentence in report.restated:
                print(f"  {sentence}", file=out)
            for row in report.errors.head(50).itertuples(index=False):
                print(f"  row {row.row}, {row.column}: {row.value!r} {row.problem}", file=err)
        return EXIT_OK if report.loaded else EXIT_REFUSED
    reporting = queries.settings(engine).get("currency", "USD")
    if arguments.restated:
        return _print_restatements(engine, arguments.json, reporting, out)
    frame = store_rates.current_rates(engine)
    if arguments.json:
        print(frame.to_json(orient="records", date_format="iso"), file=out)
        return EXIT_OK
    if frame.empty:
        print(
            f"No exchange rates yet: amounts in currencies other than {reporting} are refused "
            "until their months have a rate (python -m core rates --add AUD 2026-06 0.6021).",
            file=out,
        )
        return EXIT_OK
    print(f"Rates to {reporting} (1 unit of the currency buys):", file=out)
    for row in frame.itertuples(index=False):
        when = f"{row.rate_date:%Y-%m}" if row.rate_period == "month" else f"{row.rate_date}"
        print(f"  {row.currency}  {when:<10}  {row.rate:g}", file=out)
    if store_rates.rate_restatements(engine, limit=1):
        print("", file=out)
        _print_restatements(engine, False, reporting, out)
    return EXIT_OK


def _print_restatements(engine: Engine, as_json: bool, reporting: str, out: TextIO) -> int:
    """What new rates restated: as reported beside restated, per table, currency and month."""
    from core.store import rates as store_rates

    found = store_rates.rate_restatements(engine)
    if as_json:
        frame = store_rates.restatements_frame(found)
        frame["month"] = frame["month"].astype(str)  # 2026-07-01, not a timestamp
        print(frame.to_json(orient="records", double_precision=2), file=out)
        return EXIT_OK
    if not found:
        print("Nothing restated: every amount stands at the rate it loaded at.", file=out)
        return EXIT_OK
    print(
        f"Restated at the rates in force ({reporting}; the upload history keeps them as "
        "reported, and undoing the rates upload takes the restatement back):",
        file=out,
    )
    for item in found:
        reported = format_money_exact(float(item.reported), item.reported_in, 2)
        restated = format_money_exact(float(item.restated), item.restated_in, 2)
        difference = (
            f"  ({format_money_exact(float(item.difference), reporting, 2)})"
            if item.difference is not None
            else ""
        )
        print(
            f"  {item.table:<13} {item.currency}  {item.month:%Y-%m}  {item.records:>7,} records"
            f"  as reported {reported}  restated {restated}{difference}",
            file=out,
        )
    return EXIT_OK


def run_channels(arguments: argparse.Namespace, engine: Engine, out: TextIO) -> int:
    """List the channels, or add one the company uses."""
    from core.store import rates as store_rates
    from core.store.ingest.values import targets

    if arguments.add:
        try:
            key = store_rates.add_channel(engine, arguments.add, by=_who(arguments.by))
        except ValueError as problem:
            raise CommandRefusedError(str(problem)) from None
        print(f"Added the channel {arguments.add} (stored as {key}).", file=out)
        return EXIT_OK
    known = targets("channel", queries.settings(engine))
    if arguments.json:
        print(json.dumps(known, indent=2), file=out)
        return EXIT_OK
    for key, label in known.items():
        print(f"  {key:<16} {label}", file=out)
    return EXIT_OK


def run_ingest(arguments: argparse.Namespace, engine: Engine, out: TextIO, err: TextIO) -> int:
    """Load each file; exit 1 when any file was refused."""
    options = IngestOptions(
        max_bytes=MAX_FILE_BYTES,
        source=arguments.source,
        kind=arguments.kind,
        mapping=_mapping(arguments.map),
        date_order=arguments.date_order or "auto",
        keep_rejects=arguments.keep_rejects,
        dry_run=arguments.dry_run,
        snapshot_date=arguments.snapshot_date,
        uploaded_by=_who(arguments.by),
        fixed_values=_fixed_values(arguments.set),
        value_mapping=_value_mapping(arguments.value),
        remember_mapping=arguments.remember,
        sheet=arguments.sheet,
    )
    results = []
    refused = False
    for path in arguments.files:
        if not path.is_file():
            raise CommandRefusedError(f"{path} is not a file")
        report = ingest_file(engine, path, options)
        results.append(report)
        ok = report.loaded or (arguments.dry_run and report.status == "ready")
        refused = refused or not ok
        if arguments.json:
            continue
        stream = out if ok else err
        print(f"{path.name}: {report.message}", file=stream)
        for decision in report.decisions:
            print(f"  - {decision}", file=stream)
        if report.error_count:
            shown = report.errors.head(50)
            for row in shown.itertuples(index=False):
                value = (
                    "(blank)" if row.value is None or pd.isna(row.value) else repr(str(row.value))
                )
                print(f"  row {row.row}, {row.column}: {value} {row.problem}", file=err)
            if report.error_count > len(shown):
                print(f"  ... and {report.error_count - len(shown):,} more", file=err)
        if report.warning_count:
            for row in report.warnings.head(20).itertuples(index=False):
                value = (
                    "(blank)" if row.value is None or pd.isna(row.value) else repr(str(row.value))
                )
                print(f"  warning: row {row.row}, {row.column}: {value} {row.warning}", file=stream)
            if report.warning_count > 20:
                print(f"  ... and {report.warning_count - 20:,} more warnings", file=stream)
        for item in report.values:
            if item.origin == "unmapped":
                print(
                    f"  unmapped: {item.field} {item.value!r} ({item.rows:,} rows) loads as "
                    f"{item.loads_as}; map it with --value '{item.field}:{item.value}=...'",
                    file=stream,
                )
    if arguments.json:
        print(
            json.dumps([_report_json(report) for report in results], indent=2, default=str),
            file=out,
        )
    return EXIT_REFUSED if refused else EXIT_OK


class UsageError(ValueError):
    """A parameter the parser accepted but the data rejects (exit code 2)."""


def run_scenario(arguments: argparse.Namespace, engine: Engine, out: TextIO) -> int:
    """Simulate a budget change on the store's fitted response curves."""
    as_of = _as_of(arguments, engine)
    store_settings = queries.settings(engine)
    calendar = queries.fiscal_calendar(store_settings)
    currency = store_settings.get("currency", DEFAULT_CURRENCY)
    data = store_scenarios.scenario_data(engine, as_of)
    if data is None:
        raise CommandRefusedError("the store has no spend to fit response curves to")
    changes: dict[str, float] = {}
    for channel, change in arguments.cut:
        if channel not in data.channels:
            raise UsageError(
                f"unknown channel {channel!r}; the store's channels are: {', '.join(data.channels)}"
            )
        if not MIN_CHANGE <= change <= MAX_CHANGE:
            raise UsageError(
                f"the change for {channel} must be between {MIN_CHANGE:+.0%} and "
                f"{MAX_CHANGE:+.0%}, got {change:+.0%}"
            )
        changes[channel] = change
    week_starts = horizon_weeks(data.horizon_start)  # known before the (slow) fit
    start_week = 0
    if arguments.start is not None:
        offset = (arguments.start - data.horizon_start).days
        if offset < 0 or offset // 7 >= len(week_starts):
            raise UsageError(
                f"--start must fall between {data.horizon_start.isoformat()} and "
                f"{week_starts[-1].astype(object).isoformat()}, got "
                f"{arguments.start.isoformat()}"
            )
        start_week = offset // 7
    limit = len(week_starts) - start_week
    if not 1 <= arguments.weeks <= limit:
        raise UsageError(
            f"--weeks must be between 1 and {limit} from that start, got {arguments.weeks}"
        )
    curves = store_scenarios.fit_curves(data)
    model, _ = store_scenarios.build_scenario_model(engine, data, curves, as_of, calendar)
    result = simulate(model, changes, start_week, arguments.weeks)
    fits = {
        curve.channel: {
            "method": curve.method,
            "note": curve.note,
            "r_squared": curve.r_squared,
            "holdout_mape": curve.holdout_mape,
        }
        for curve in curves
    }
    if arguments.json:
        payload = {
            "as_of": as_of.isoformat(),
            "currency": currency,
            **result.as_dict(),
            "curves": fits,
        }
        print(json.dumps(payload, indent=2), file=out)
        return EXIT_OK
    print(summary_sentence(result, CHANNEL_LABELS, currency), file=out)
    print("", file=out)

    def money(value: float) -> str:
        return format_money(value, currency)

    rows = [
        {
            "measure": label,
            "lost over 18 months": money(outcome.loss),
            "range (10-90%)": f"{money(outcome.low)} to {money(outcome.high)}",
            f"this quarter ({model.this_quarter[0]})": money(outcome.this_quarter[0]),
            f"next quarter ({model.next_quarter[0]})": money(outcome.next_quarter[0]),
        }
        for label, outcome in (
            ("Pipeline", result.pipeline),
            ("Bookings", result.bookings),
            ("New ARR", result.new_arr),
            ("Recognised revenue", result.revenue),
        )
    ]
    _print_frame(pd.DataFrame(rows), out)
    fallbacks = [curve for curve in curves if curve.method != "fitted"]
    for curve in fallbacks:
        print(f"note: {curve.channel} uses its average return on spend: {curve.note}", file=out)
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run one command; return its exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit_request:
        return int(exit_request.code or 0) and EXIT_USAGE
    if arguments.command == "schema":
        print(table_reference(), end="", file=out)
        return EXIT_OK
    try:
        url = resolve_store_url(arguments.db)
        if arguments.command == "demo":
            return _demo_command(arguments, url, out, err)
        engine = _open_store(url)
        try:
            if arguments.command == "ingest":
                return run_ingest(arguments, engine, out, err)
            if arguments.command == "rates":
                return run_rates(arguments, engine, out, err)
            if arguments.command == "channels":
                return run_channels(arguments, engine, out)
            if arguments.command == "undo":
                version = undo_upload(engine, arguments.upload_id, _who(arguments.by))
                message = (
                    f"Upload {arguments.upload_id} undone: its rows no longer count "
                    f"(data version {version})."
                )
                print(
                    json.dumps({"undone": arguments.upload_id}) if arguments.json else message,
                    file=out,
                )
                return EXIT_OK
            if arguments.command == "definitions":
                return run_definitions(arguments, engine, out)
            if arguments.command == "goals":
                return run_goals(arguments, engine, out)
            if arguments.command == "scenario":
                return run_scenario(arguments, engine, out)
            if arguments.command == "accuracy":
                return run_accuracy(arguments, engine, out)
            if arguments.command == "review-start":
                return run_review_start(arguments, engine, out)
            if arguments.command == "review-pack":
                return run_review_pack(arguments, engine, out)
            if arguments.command == "campaigns":
                return run_campaigns(arguments, engine, out)
            if arguments.command == "revenue":
                return run_revenue(arguments, engine, out)
            if arguments.command == "pipeline":
                return run_pipeline(arguments, engine, out)
            if arguments.command == "settings":
                return run_settings(arguments, engine, out)
            if arguments.command == "tables":
                frame = queries.table_summary(engine)
            else:
                if arguments.limit < 1:
                    raise CommandRefusedError(f"--limit must be at least 1, got {arguments.limit}")
                frame = queries.upload_history(engine, arguments.limit)
        finally:
            engine.dispose()
        if arguments.json:
            print(json.dumps(_frame_json(frame), indent=2), file=out)
        else:
            _print_frame(frame, out)
        return EXIT_OK
    except (StoreLockedError, SchemaVersionError) as error:
        print(f"error: {error}", file=err)
        return EXIT_STORE_UNAVAILABLE
    except UsageError as error:
        print(f"error: {error}", file=err)
        return EXIT_USAGE
    except (
        CommandRefusedError,
        ReadOnlyStoreError,
        StoreUrlError,
        DemoDirectoryError,
        IngestError,
        store_reviews.ReviewError,
        ValueError,
    ) as error:
        print(f"error: {error}", file=err)
        return EXIT_REFUSED


def _demo_command(arguments: argparse.Namespace, url: str, out: TextIO, err: TextIO) -> int:
    result = run_demo(arguments, url, err)
    if arguments.json:
        print(json.dumps(result, indent=2), file=out)
    elif result.get("skipped"):
        print(
            f"The store {result['store']} already holds data "
            f"({result['uploads']} uploads): left as it is.",
            file=out,
        )
    else:
        rows = ", ".join(f"{kind} {count:,}" for kind, count in result["rows"].items())
        print(
            f"Loaded the demo company into {result['store']} in {result['seconds']} s "
            f"({result['files']} files in {result['exports']}): {rows}.",
            file=out,
        )
    return EXIT_OK
