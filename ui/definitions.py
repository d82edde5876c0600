"""Definitions page and restatement helpers: tables and cached effect figures for the pages.

Nothing here writes; changes go through ``core.store.definitions.record_change``.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from core.calendar import FiscalCalendar, FiscalPeriod
from core.definitions import MetricDefinition, changed_parameters
from core.formatting import DEFAULT_CURRENCY, format_day, format_metric
from core.store import metrics
from ui import data
from ui.store import store_engine


def restatement_table(
    rows: list[dict[str, object]], currency: str = DEFAULT_CURRENCY
) -> pd.DataFrame:
    """Reported-versus-restated rows (from ``data.restatements``) as text a reader can scan."""
    table = []
    for row in rows:
        unit = str(row["unit"])
        reported, restated, difference = (
            format_metric(row[field], unit, signed=field == "difference", currency=currency)  # type: ignore[arg-type]
            for field in ("reported", "restated", "difference")
        )
        table.append(
            {
                "Metric": row["metric"],
                "As reported": f"{reported} (v{row['reported_version']})",
                "Restated": f"{restated} (v{row['restated_version']})",
                "Difference": difference,
                "Why it changed": row["reason"],
            }
        )
    return pd.DataFrame(table)


def last_complete_quarters(
    calendar: FiscalCalendar, as_of: date, count: int = 4
) -> list[FiscalPeriod]:
    """The ``count`` most recent fiscal quarters that ended on or before ``as_of``, oldest first."""
    quarter = calendar.quarter_containing(as_of)
    if quarter.end <= as_of:
        quarter = calendar.quarter_containing(quarter.end + timedelta(days=1))
    quarters = []
    while len(quarters) < count:
        quarter = calendar.quarter_containing(quarter.start - timedelta(days=1))
        quarters.append(quarter)
    return list(reversed(quarters))


@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def change_effects(
    url: str,
    version: int,
    calendar: FiscalCalendar,
    metric: str,
    new_version: int,
    as_of: date,
    currency: str = DEFAULT_CURRENCY,
) -> pd.DataFrame:
    """A change's effect on the last four complete quarters: the metric before and after it
    (money in ``currency``)."""
    histories = data.definition_histories(url, version)
    versions = {definition.version: definition for definition in histories[metric]}
    before, after = versions[new_version - 1], versions[new_version]
    engine = store_engine(url)
    rows = []
    for quarter in last_complete_quarters(calendar, as_of):
        old = metrics.metric_value(engine, before, quarter.start, quarter.end)
        new = metrics.metric_value(engine, after, quarter.start, quarter.end)
        rows.append(
            {
                "Quarter": quarter.label,
                f"Under v{before.version}": format_metric(old, after.unit, currency=currency),
                f"Under v{after.version}": format_metric(new, after.unit, currency=currency),
                "Difference": format_metric(
                    None if old is None or new is None else new - old,
                    after.unit,
                    signed=True,
                    currency=currency,
                ),
            }
        )
    return pd.DataFrame(rows)


def current_table(definitions: dict[str, MetricDefinition]) -> pd.DataFrame:
    """One row per metric: what it is, its version and since when."""
    return pd.DataFrame(
        [
            {
                "Metric": definition.label,
                "Version": f"v{definition.version}",
                "In effect since": "shipped"
                if definition.version == 1
                else format_day(definition.effective_from),
                "Owner": definition.owner,
                "What it counts": definition.description,
                "Parameters": definition.parameter_summary(),
            }
            for definition in definitions.values()
        ]
    )


def history_table(versions: tuple[MetricDefinition, ...]) -> pd.DataFrame:
    """Every version of one metric, newest first, with who changed what and why."""
    rows = []
    for index, definition in enumerate(versions):
        previous = versions[index - 1] if index else None
        changes = (
            "; ".join(
                f"{label}: {old} → {new}"
                for label, old, new in changed_parameters(previous, definition)
            )
            if previous
            else "First version (shipped with the app)"
        )
        rows.append(
            {
                "Version": f"v{definition.version}",
                "In effect from": "shipped"
                if definition.version == 1
                else format_day(definition.effective_from),
                "Change": changes,
                "Reason": definition.reason,
                "Author": definition.author,
                "Approved by": definition.approved_by or "",
                "Recorded": ""
                if definition.recorded_at is None
                else f"{format_day(definition.recorded_at)} {definition.recorded_at:%H:%M}",
            }
        )
    return pd.DataFrame(list(reversed(rows)))
