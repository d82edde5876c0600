"""Metric definitions: what each number in the app means, as parameters the code really uses.

Every number the app shows is computed from a named definition with a version. This module
holds the defaults that ship with the app (version 1 of each), the parameters each definition
may change (:class:`ParameterSpec`), and the pure rules for versions: which version applies on
a day, whether a proposed change is acceptable, and what changed. Reading and recording
versions in the ``metric_definitions`` table is ``core.store.definitions``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import MappingProxyType
from typing import Literal

from core.channels import CHANNEL_LABELS, PAID_CHANNELS

Unit = Literal["usd", "count", "ratio", "months", "rule"]
Direction = Literal["higher", "lower", "neutral"]
ParameterKind = Literal["choices", "choice", "number", "integer"]

OPPORTUNITY_TYPE_LABELS = MappingProxyType(
    {"new_business": "New business", "expansion": "Expansion", "renewal": "Renewal"}
)
LEAD_STAGE_LABELS = MappingProxyType({"mql": "MQL", "sql": "SQL", "opportunity": "Opportunity"})
BRIDGE_COMPONENT_LABELS = MappingProxyType(
    {"new": "New customers", "reactivation": "Reactivated customers", "expansion": "Expansion"}
)
FORECAST_CATEGORY_LABELS = MappingProxyType(
    {"commit": "Commit", "most_likely": "Most likely", "best_case": "Best case"}
)
ATTRIBUTION_MODEL_LABELS = MappingProxyType(
    {
        "first_touch": "First touch",
        "last_touch": "Last touch",
        "linear": "Linear",
        "u_shaped": "U-shaped (40/40/20)",
        "w_shaped": "W-shaped (30/30/30/10)",
        "time_decay": "Time decay (7-day half-life)",
    }
)
ALL_CHANNEL_LABELS = MappingProxyType(dict(CHANNEL_LABELS))
RECYCLED_STATUS_LABELS = MappingProxyType(
    {"Recycled": "Recycled", "Nurture": "Nurture", "Bad Timing": "Bad timing"}
)
PACING_LABELS = MappingProxyType(
    {"seasonal": "Seasonal (as earlier years went)", "linear": "Linear (even through the period)"}
)
Aggregation = Literal["sum", "ratio", "level", "point"]
# How a metric's value over a window relates to its daily values: ``sum`` adds up (pipeline,
# MQLs), ``ratio`` divides two sums (CAC), ``level`` is read at a point in time (ARR, NRR), and
# ``point`` is a judgement on the window as a whole that has no daily parts (coverage, bias).
METRIC_AGGREGATIONS: Mapping[str, Aggregation] = MappingProxyType(
    {
        "arr": "level",
        "pipeline_created": "sum",
        "sourced_pipeline": "sum",
        "influenced_pipeline": "sum",
        "bookings": "sum",
        "new_arr": "sum",
        "spend": "sum",
        "mqls": "sum",
        "sqls": "sum",
        "win_rate": "ratio",
        "cac": "ratio",
        "cost_per_mql": "ratio",
        "payback": "ratio",
        "nrr": "level",
        "grr": "level",
        "coverage": "point",
        "coverage_to_go": "point",
        "forecast_bias": "point",
    }
)
# Metrics a forecast may be submitted for: amounts over a period and levels at its end (a
# forecast of a ratio or of a judgement such as coverage is not judged by these formulas).
FORECAST_METRICS: tuple[str, ...] = tuple(
    metric for metric, aggregation in METRIC_AGGREGATIONS.items() if aggregation in ("sum", "level")
)
# Metrics a campaign-level goal may measure: those that can be counted for one campaign.
CAMPAIGN_METRICS = frozenset(
    {
        "pipeline_created",
        "sourced_pipeline",
        "influenced_pipeline",
        "bookings",
        "spend",
        "mqls",
        "sqls",
    }
)
MIN_REASON_LENGTH = 10


@dataclass(frozen=True)
class ParameterSpec:
    """What one parameter of a definition may be, and how the Definitions page asks for it."""

    name: str
    label: str
    kind: ParameterKind
    help: str
    options: Mapping[str, str] = field(default_factory=dict)  # value -> label
    minimum: float | None = None
    maximum: float | None = None

    def check(self, value: object) -> object:
        """The value in its stored form; ``ValueError`` naming the parameter if it is invalid."""
        if self.kind == "choices":
            if isinstance(value, str) or not isinstance(value, Sequence):
                raise ValueError(f"{self.label} must be a list of values")
            chosen = [str(item) for item in value]
            unknown = [item for item in chosen if item not in self.options]
            if unknown:
                raise ValueError(
                    f"{self.label}: unknown value {', '.join(unknown)}; known values: "
                    f"{', '.join(self.options)}"
                )
            if not chosen:
                raise ValueError(f"{self.label}: choose at least one value")
            # Stored in the options' order, so the same choice is always the same definition.
            return tuple(option for option in self.options if option in chosen)
        if self.kind == "choice":
            if value not in self.options:
                known = ", ".join(self.options)
                raise ValueError(f"{self.label}: unknown value {value!r}; known values: {known}")
            return str(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{self.label} must be a number, got {value!r}")
        if self.kind == "integer" and int(value) != value:
            raise ValueError(f"{self.label} must be a whole number, got {value!r}")
        number: float | int = int(value) if self.kind == "integer" else float(value)
        if self.minimum is not None and number < self.minimum:
            raise ValueError(f"{self.label} must be at least {self.minimum:g}, got {number:g}")
        if self.maximum is not None and number > self.maximum:
            raise ValueError(f"{self.label} must be at most {self.maximum:g}, got {number:g}")
        return number

    def describe(self, value: object) -> str:
        """The value as a reader sees it: labels, not keys."""
        if self.kind == "choices":
            return ", ".join(self.options.get(str(item), str(item)) for item in value)  # type: ignore[attr-defined]
        if self.kind == "choice":
            return self.options.get(str(value), str(value))
        return f"{value:g}" if isinstance(value, float) else str(value)


def _choices(name: str, label: str, options: Mapping[str, str], help: str) -> ParameterSpec:
    return ParameterSpec(name, label, "choices", help, MappingProxyType(dict(options)))


def _choice(name: str, label: str, options: Mapping[str, str], help: str) -> ParameterSpec:
    return ParameterSpec(name, label, "choice", help, MappingProxyType(dict(options)))


OPPORTUNITY_TYPES = _choices(
    "opportunity_types",
    "Opportunity types counted",
    OPPORTUNITY_TYPE_LABELS,
    "Which kinds of opportunity the number adds up.",
)
SPEND_CHANNELS = _choices(
    "channels",
    "Spend channels counted",
    {channel: CHANNEL_LABELS[channel] for channel in PAID_CHANNELS},
    "Whose spend counts as marketing spend.",
)


@dataclass(frozen=True)
class MetricDefinition:
    """One version of a metric's definition."""

    metric: str
    version: int
    label: str
    unit: Unit
    direction: Direction
    description: str
    owner: str
    parameters: Mapping[str, object] = field(default_factory=dict)
    effective_from: date = date(2020, 1, 1)
    reason: str = "Default definition shipped with Marketing Review"
    author: str = "Marketing Review"
    approved_by: str | None = None
    recorded_at: datetime | None = None

    @property
    def reference(self) -> str:
        """Short name and version for hover texts: ``Bookings (definition v1)``."""
        return f"{self.label} (definition v{self.version})"

    @property
    def is_rule(self) -> bool:
        """A rule other numbers follow (RAG thresholds, attribution), not a number itself."""
        return self.unit == "rule"

    def help_text(self) -> str:
        """Hover text naming the definition, its version and what it counts."""
        since = f"; in effect since {self.effective_from:%d %b %Y}" if self.version > 1 else ""
        return f"{self.reference}{since}: {self.description}"

    def parameter_summary(self) -> str:
        """``Opportunity types counted: New business, Expansion · ...`` for tables."""
        specs = PARAMETER_SPECS.get(self.metric, {})
        return " · ".join(
            f"{specs[name].label}: {specs[name].describe(value)}"
            if name in specs
            else f"{name}: {value}"
            for name, value in self.parameters.items()
        )


def _definition(
    metric: str,
    label: str,
    unit: Unit,
    description: str,
    owner: str,
    direction: Direction = "higher",
    **parameters: object,
) -> MetricDefinition:
    return MetricDefinition(
        metric=metric,
        version=1,
        label=label,
        unit=unit,
        direction=direction,
        description=description,
        owner=owner,
        parameters=MappingProxyType(dict(parameters)),
    )


MARKETING_SOURCES = {**{c: CHANNEL_LABELS[c] for c in PAID_CHANNELS}, "direct": "Direct & organic"}

# The parameters each metric's definition is made of: what the Definitions page lets an editor
# change, and what the computations in ``core.store.metrics`` read.
PARAMETER_SPECS: Mapping[str, Mapping[str, ParameterSpec]] = MappingProxyType(
    {
        metric: MappingProxyType({spec.name: spec for spec in specs})
        for metric, specs in {
            "arr": (
                ParameterSpec(
                    "minimum_account_arr_usd",
                    "Smallest account ARR counted (reporting currency)",
                    "number",
                    "Accounts with ARR at or below this amount are left out (0 counts every "
                    "paying account).",
                    minimum=0,
                ),
            ),
            "pipeline_created": (OPPORTUNITY_TYPES,),
            "sourced_pipeline": (
                OPPORTUNITY_TYPES,
                _choices(
                    "marketing_channels",
                    "Sources that count as marketing",
                    MARKETING_SOURCES,
                    "An opportunity is marketing-sourced when its source channel is one of these.",
                ),
            ),
            "influenced_pipeline": (
                OPPORTUNITY_TYPES,
                ParameterSpec(
                    "influence_window_days",
                    "Influence window (days)",
                    "integer",
                    "An opportunity is influenced when its account had a campaign touch within "
                    "this many days before the opportunity was created.",
                    minimum=1,
                    maximum=730,
                ),
            ),
            "bookings": (OPPORTUNITY_TYPES,),
            "new_arr": (
                _choices(
                    "bridge_components",
                    "ARR bridge movements counted",
                    BRIDGE_COMPONENT_LABELS,
                    "Which movements of the ARR bridge count as new ARR.",
                ),
            ),
            "spend": (SPEND_CHANNELS,),
            "mqls": (
                _choices(
                    "mql_stages",
                    "Stages that count as MQL",
                    LEAD_STAGE_LABELS,
                    "A lead counts as an MQL on the first date it reached any of these stages "
                    "(include SQL to count leads that skipped the MQL stage).",
                ),
            ),
            "sqls": (
                _choices(
                    "sql_stages",
                    "Stages that count as SQL",
                    {key: LEAD_STAGE_LABELS[key] for key in ("sql", "opportunity")},
                    "A lead counts as an SQL on the first date it reached any of these stages.",
                ),
            ),
            "win_rate": (
                OPPORTUNITY_TYPES,
                _choice(
                    "basis",
                    "Measured by",
                    {"amount": "Amount", "count": "Number of opportunities"},
                    "Won over won plus lost, by amount or by count.",
                ),
            ),
            "cac": (
                SPEND_CHANNELS,
                replace(OPPORTUNITY_TYPES, label="Won opportunity types that make a new customer"),
            ),
            "cost_per_mql": (
                SPEND_CHANNELS,
                _choices(
                    "mql_stages",
                    "Stages that count as MQL",
                    LEAD_STAGE_LABELS,
                    "As for MQLs: the first date a lead reached any of these stages.",
                ),
            ),
            "payback": (
                SPEND_CHANNELS,
                replace(OPPORTUNITY_TYPES, label="Won opportunity types that make a new customer"),
                ParameterSpec(
                    "gross_margin",
                    "Gross margin",
                    "number",
                    "Share of revenue left after the cost of serving it (0.8 = 80%).",
                    minimum=0.01,
                    maximum=1,
                ),
            ),
            "nrr": (
                ParameterSpec(
                    "window_months",
                    "Window (months)",
                    "integer",
                    "ARR now against ARR this many months ago, for the accounts paying then.",
                    minimum=1,
                    maximum=36,
                ),
            ),
            "grr": (
                ParameterSpec(
                    "window_months",
                    "Window (months)",
                    "integer",
                    "As for NRR; each account counts at most its ARR at the start.",
                    minimum=1,
                    maximum=36,
                ),
            ),
            "coverage": (OPPORTUNITY_TYPES,),
            "coverage_to_go": (
                OPPORTUNITY_TYPES,
                ParameterSpec(
                    "win_rate_quarters",
                    "Quarters of closed deals for the required coverage",
                    "integer",
                    "Required coverage is 1 / the win rate (its own definition) over this many "
                    "full quarters before the period.",
                    minimum=1,
                    maximum=12,
                ),
            ),
            "sales_sla": (
                ParameterSpec(
                    "window_hours",
                    "Follow-up window (hours)",
                    "integer",
                    "An MQL is worked within the SLA when Sales first works it within this many "
                    "hours of it becoming an MQL.",
                    minimum=1,
                    maximum=720,
                ),
                _choices(
                    "recycled_statuses",
                    "Lead statuses that mean recycled",
                    RECYCLED_STATUS_LABELS,
                    "MQLs with one of these lead statuses were handed back to marketing.",
                ),
            ),
            "forecast_bias": (
                _choice(
                    "category",
                    "Forecast category judged",
                    FORECAST_CATEGORY_LABELS,
                    "Which of the forecaster's calls is compared with what happened.",
                ),
                _choice(
                    "submission",
                    "Submission judged",
                    {"latest": "Latest before the period ended", "first": "First submitted"},
                    "Which submission for the period counts.",
                ),
            ),
            "goal_status": (
                ParameterSpec(
                    "green_at",
                    "Green at (share of target)",
                    "number",
                    "Projected share of target at or above which a goal is green.",
                    minimum=0.5,
                    maximum=1.5,
                ),
                ParameterSpec(
                    "amber_at",
                    "Amber at (share of target)",
                    "number",
                    "Projected share of target at or above which a goal is amber (below: red).",
                    minimum=0.5,
                    maximum=1.5,
                ),
                ParameterSpec(
                    "red_below_chance",
                    "Red below a chance of",
                    "number",
                    "A goal whose chance of reaching target is below this share is red, "
                    "whatever its projection, so status and chance never disagree.",
                    minimum=0.0,
                    maximum=0.5,
                ),
                _choice(
                    "pacing",
                    "Pacing",
                    PACING_LABELS,
                    "How much of a target is expected by a day of its period: the share the "
                    "same days reached in earlier years (linear when there is no earlier year), "
                    "or an even share of the days.",
                ),
            ),
            "attribution": (
                _choice(
                    "model",
                    "Attribution model",
                    ATTRIBUTION_MODEL_LABELS,
                    "How credit for an opportunity is shared among the campaigns that touched it.",
                ),
            ),
        }.items()
    }
)

DEFAULT_DEFINITIONS: Mapping[str, MetricDefinition] = MappingProxyType(
    {
        definition.metric: definition
        for definition in (
            _definition(
                "arr",
                "ARR",
                "usd",
                "Annual recurring revenue at the end of the latest month up to the as-of date, "
                "from the billing export (MRR x 12 when the file has MRR).",
                "CFO",
                minimum_account_arr_usd=0.0,
            ),
            _definition(
                "pipeline_created",
                "Pipeline created",
                "usd",
                "Amount of opportunities created in the period, from every source, at their "
                "current amount.",
                "VP Sales",
                opportunity_types=("new_business",),
            ),
            _definition(
                "sourced_pipeline",
                "Marketing-sourced pipeline",
                "usd",
                "Pipeline created in the period whose source channel is a marketing channel or "
                "direct and organic inbound.",
                "CMO",
                opportunity_types=("new_business",),
                marketing_channels=(*PAID_CHANNELS, "direct"),
            ),
            _definition(
                "influenced_pipeline",
                "Marketing-influenced pipeline",
                "usd",
                "Pipeline created in the period whose account had a campaign touch in the "
                "window before the opportunity was created (sourced or not).",
                "CMO",
                opportunity_types=("new_business", "expansion", "renewal"),
                influence_window_days=90,
            ),
            _definition(
                "bookings",
                "Bookings",
                "usd",
                "Amount of opportunities closed won in the period, by close date (renewals "
                "are counted separately).",
                "CFO",
                opportunity_types=("new_business", "expansion"),
            ),
            _definition(
                "new_arr",
                "New ARR",
                "usd",
                "ARR added in the period by the chosen ARR bridge movements (by default new "
                "and reactivated customers).",
                "CFO",
                bridge_components=("new", "reactivation"),
            ),
            _definition(
                "spend",
                "Marketing spend",
                "usd",
                "Spend on marketing channels in the period, from ad platforms and finance "
                "exports, in the reporting currency.",
                "CMO",
                direction="neutral",
                channels=PAID_CHANNELS,
            ),
            _definition(
                "mqls",
                "MQLs",
                "count",
                "Leads that became marketing-qualified in the period (by the date they first "
                "reached a counted stage).",
                "VP Demand Generation",
                mql_stages=("mql",),
            ),
            _definition(
                "sqls",
                "SQLs",
                "count",
                "Leads accepted by Sales as sales-qualified in the period (by the date they "
                "first reached a counted stage).",
                "VP Demand Generation",
                sql_stages=("sql",),
            ),
            _definition(
                "win_rate",
                "Win rate",
                "ratio",
                "Won divided by won plus lost among opportunities closed in the period.",
                "VP Sales",
                opportunity_types=("new_business",),
                basis="amount",
            ),
            _definition(
                "cac",
                "CAC (marketing)",
                "usd",
                "Marketing spend in the period divided by new customers won in the period.",
                "CFO",
                direction="lower",
                channels=PAID_CHANNELS,
                opportunity_types=("new_business",),
            ),
            _definition(
                "cost_per_mql",
                "Cost per MQL",
                "usd",
                "Marketing spend in the period divided by MQLs in the period.",
                "CMO",
                direction="lower",
                channels=PAID_CHANNELS,
                mql_stages=("mql",),
            ),
            _definition(
                "payback",
                "CAC payback",
                "months",
                "Months of gross margin a new customer takes to repay their CAC: CAC / "
                "(average new ARR per new customer / 12 x gross margin).",
                "CFO",
                direction="lower",
                channels=PAID_CHANNELS,
                opportunity_types=("new_business",),
                gross_margin=0.8,
            ),
            _definition(
                "nrr",
                "Net revenue retention",
                "ratio",
                "ARR at the end of the period from accounts that had ARR a window earlier, "
                "divided by their ARR then.",
                "CFO",
                window_months=12,
            ),
            _definition(
                "grr",
                "Gross revenue retention",
                "ratio",
                "As NRR, with each account counting at most its earlier ARR (never above 100%).",
                "CFO",
                window_months=12,
            ),
            _definition(
                "coverage",
                "Pipeline coverage",
                "ratio",
                "Pipeline open at the start of the period with a close date in it, divided by "
                "the period's bookings target.",
                "VP Sales",
                opportunity_types=("new_business", "expansion"),
            ),
            _definition(
                "coverage_to_go",
                "Pipeline coverage of the target to go",
                "ratio",
                "Pipeline open on the as-of day with a close date in the period, divided by the "
                "period's bookings target less the bookings won in it so far.",
                "VP Sales",
                opportunity_types=("new_business", "expansion"),
                win_rate_quarters=4,
            ),
            _definition(
                "forecast_bias",
                "Forecast bias (bookings)",
                "ratio",
                "(Forecast - actual bookings) / actual bookings for the period: positive is "
                "optimistic.",
                "CMO",
                direction="neutral",
                category="most_likely",
                submission="latest",
            ),
            _definition(
                "goal_status",
                "Goal status (red/amber/green)",
                "rule",
                "Green when a goal's projection reaches the green share of its target, amber "
                "from the amber share, red below; inverted for lower-is-better metrics. Red "
                "too, whatever the projection, when the chance of reaching target is below the "
                "red-below-chance share.",
                "CEO",
                green_at=1.0,
                amber_at=0.9,
                red_below_chance=0.1,
                pacing="seasonal",
            ),
            _definition(
                "sales_sla",
                "Marketing-Sales SLA",
                "rule",
                "MQLs count as worked within the SLA when Sales first works them within the "
                "window; acceptance is the share of MQLs that became SQLs; recycled is the share "
                "handed back to marketing.",
                "VP Demand Generation",
                window_hours=48,
                recycled_statuses=("Recycled",),
            ),
            _definition(
                "attribution",
                "Campaign attribution",
                "rule",
                "How credit for pipeline is shared among the campaigns that touched it.",
                "CMO",
                model="w_shaped",
            ),
        )
    }
)


def default_definition(metric: str) -> MetricDefinition:
    """The shipped definition of ``metric``; the error lists the metrics that exist."""
    try:
        return DEFAULT_DEFINITIONS[metric]
    except KeyError:
        known = ", ".join(sorted(DEFAULT_DEFINITIONS))
        raise ValueError(f"unknown metric {metric!r}; known metrics: {known}") from None


def in_effect(history: Sequence[MetricDefinition], day: date) -> MetricDefinition:
    """The version in effect on ``day``: the latest whose effective date has come.

    Before the first version's effective date the first version applies (there was no other).
    """
    if not history:
        raise ValueError("a definition history needs at least one version")
    ordered = sorted(history, key=lambda definition: definition.version)
    current = ordered[0]
    for definition in ordered[1:]:
        if definition.effective_from <= day:
            current = definition
    return current


@dataclass(frozen=True)
class ProposedChange:
    """A new version as an editor proposes it."""

    parameters: Mapping[str, object]
    description: str
    effective_from: date
    author: str
    reason: str
    approved_by: str | None = None


def next_version(
    latest: MetricDefinition, change: ProposedChange, now: datetime
) -> MetricDefinition:
    """The version ``change`` makes of ``latest``; ``ValueError`` saying what is wrong.

    A change needs an author and a reason, must change something, may not take effect before
    the latest version does (history is restated, never rewritten), and every parameter must
    be one the metric has, with a valid value.
    """
    author = change.author.strip()
    reason = change.reason.strip()
    if not author:
        raise ValueError("Say who is making the change: the author is required.")
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(
            f"Give the reason for the change (at least {MIN_REASON_LENGTH} characters): "
            "definitions never change without one."
        )
    if change.effective_from < latest.effective_from:
        raise ValueError(
            f"The change cannot take effect before {latest.effective_from:%d %b %Y}, when "
            f"version {latest.version} took effect: earlier numbers are restated, not rewritten."
        )
    specs = PARAMETER_SPECS.get(latest.metric, {})
    unknown = sorted(set(change.parameters) - set(specs))
    if unknown:
        raise ValueError(
            f"{latest.label} has no parameter {', '.join(unknown)}; its parameters are: "
            f"{', '.join(specs) or 'none'}"
        )
    parameters = dict(latest.parameters)
    for name, value in change.parameters.items():
        parameters[name] = specs[name].check(value)
    if latest.metric == "goal_status" and float(parameters["amber_at"]) > float(  # type: ignore[arg-type]
        parameters["green_at"]  # type: ignore[arg-type]
    ):
        raise ValueError("Amber at must not be above green at.")
    description = change.description.strip() or latest.description
    if parameters == dict(latest.parameters) and description == latest.description:
        raise ValueError("Nothing changed: the parameters and description are as they are now.")
    return replace(
        latest,
        version=latest.version + 1,
        parameters=MappingProxyType(parameters),
        description=description,
        effective_from=change.effective_from,
        reason=reason,
        author=author,
        approved_by=(change.approved_by or "").strip() or None,
        recorded_at=now,
    )


def changed_parameters(
    before: MetricDefinition, after: MetricDefinition
) -> list[tuple[str, str, str]]:
    """(parameter label, before, after) for every parameter that differs."""
    specs = PARAMETER_SPECS.get(after.metric, {})
    rows = []
    for name in dict.fromkeys([*before.parameters, *after.parameters]):
        old, new = before.parameters.get(name), after.parameters.get(name)
        if old != new:
            spec = specs.get(name)
            describe = spec.describe if spec else str
            rows.append(
                (
                    spec.label if spec else name,
                    "(none)" if old is None else describe(old),
                    "(none)" if new is None else describe(new),
                )
            )
    if before.description != after.description:
        rows.append(("Description", before.description, after.description))
    return rows
