"""Metric definitions: what each number in the app means, as parameters the code really uses.

Every number the app shows is computed from a named definition with a version. This module
holds the defaults that ship with the app (version 1 of each); later versions are recorded in
the ``metric_definitions`` table with author, reason and effective date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Literal

from core.channels import PAID_CHANNELS

Unit = Literal["usd", "count", "ratio", "months"]
Direction = Literal["higher", "lower", "neutral"]


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

    @property
    def reference(self) -> str:
        """Short name and version for hover texts: ``Bookings (definition v1)``."""
        return f"{self.label} (definition v{self.version})"

    def help_text(self) -> str:
        """Hover text naming the definition, its version and what it counts."""
        return f"{self.reference}: {self.description}"


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
                source_table="revenue",
                mrr_multiplier=12,
            ),
            _definition(
                "pipeline_created",
                "Pipeline created",
                "usd",
                "Amount of new-business opportunities created in the period, from every "
                "source, at their current amount.",
                "VP Sales",
                opportunity_types=("new_business",),
                date_field="created_date",
            ),
            _definition(
                "sourced_pipeline",
                "Marketing-sourced pipeline",
                "usd",
                "Pipeline created whose source channel is a marketing channel or direct and "
                "organic inbound.",
                "CMO",
                opportunity_types=("new_business",),
                date_field="created_date",
                marketing_channels=(*PAID_CHANNELS, "direct"),
            ),
            _definition(
                "bookings",
                "Bookings",
                "usd",
                "Amount of new-business and expansion opportunities closed won in the period "
                "(renewals are counted separately).",
                "CFO",
                opportunity_types=("new_business", "expansion"),
                date_field="close_date",
            ),
            _definition(
                "new_arr",
                "New ARR",
                "usd",
                "ARR added by new and reactivated customers in the period (ARR bridge).",
                "CFO",
                bridge_components=("new", "reactivation"),
            ),
            _definition(
                "spend",
                "Marketing spend",
                "usd",
                "Spend on all marketing channels in the period, from ad platforms and finance "
                "exports, in USD.",
                "CMO",
                direction="neutral",
                channels=PAID_CHANNELS,
            ),
            _definition(
                "mqls",
                "MQLs",
                "count",
                "Leads that became marketing-qualified in the period (by MQL date).",
                "VP Demand Generation",
                date_field="mql_at",
            ),
            _definition(
                "sqls",
                "SQLs",
                "count",
                "Leads accepted by Sales as sales-qualified in the period (by SQL date).",
                "VP Demand Generation",
                date_field="sql_at",
            ),
            _definition(
                "cac",
                "CAC (marketing)",
                "usd",
                "Marketing spend in the period divided by new customers won in the period.",
                "CFO",
                direction="lower",
            ),
            _definition(
                "nrr",
                "Net revenue retention",
                "ratio",
                "ARR now from accounts that had ARR 12 months ago, divided by their ARR then.",
                "CFO",
                window_months=12,
            ),
            _definition(
                "win_rate",
                "Win rate (by amount)",
                "ratio",
                "Won amount divided by won plus lost amount among opportunities closed in the "
                "period.",
                "VP Sales",
                opportunity_types=("new_business",),
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
