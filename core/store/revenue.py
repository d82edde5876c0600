"""Revenue ownership: the store's side of the Revenue page (portable SQL, small frames out).

ARR per account and month (with the account's segment) feeds :mod:`core.revenue` for the
bridge, NRR, GRR and logo churn; won bookings by month and type, and the parts of them
marketing sourced or influenced, follow the registry's definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.calendar import month_start
from core.definitions import OPPORTUNITY_TYPE_LABELS, MetricDefinition
from core.store import queries
from core.store.metrics import opportunity_filters, parameter_values


def arr_by_account(engine: Engine, last_day: date) -> pd.DataFrame:
    """ARR per account and month up to ``last_day``'s month: ``account_id``, ``month``,
    ``arr_usd``, ``segment`` (the frame :mod:`core.revenue` works on).

    Every account-month comes back: pages use :mod:`core.store.arr` instead, which aggregates
    in the database; this feeds the pandas reference that tests hold those numbers to.
    """
    statement = sa.text(
        """
        select account_id, month, arr_usd, segment
        from current_revenue
        where month <= :last_month
        order by account_id, month
        """
    )
    with engine.connect() as connection:
        frame = pd.read_sql(statement, connection, params={"last_month": month_start(last_day)})
    frame["month"] = pd.to_datetime(frame["month"])
    frame["arr_usd"] = frame["arr_usd"].astype(float)
    return frame


def bookings_by_type(engine: Engine, first_day: date, last_day: date) -> pd.DataFrame:
    """Won opportunities per close month and type: ``month``, ``opportunity_type``,
    ``amount_usd``, ``count`` (every type, renewals included)."""
    statement = sa.text(
        """
        with won as (
            select date_trunc('month', close_date) as month, opportunity_type, amount_usd
            from current_opportunities
            where is_won and close_date between :first_day and :last_day
        ),
        monthly as (
            select month, opportunity_type, sum(amount_usd) as amount_usd, count(*) as count
            from won group by month, opportunity_type
        )
        select * from monthly order by month, opportunity_type
        """
    )
    with engine.connect() as connection:
        frame = pd.read_sql(
            statement, connection, params={"first_day": first_day, "last_day": last_day}
        )
    frame["month"] = pd.to_datetime(frame["month"])
    frame["amount_usd"] = frame["amount_usd"].astype(float)
    frame["count"] = frame["count"].astype(int)
    frame["type_label"] = (
        frame["opportunity_type"].map(OPPORTUNITY_TYPE_LABELS).fillna(frame["opportunity_type"])
    )
    return frame


OWNERSHIP_COLUMNS = (
    "new_business_usd",
    "sourced_new_business_usd",
    "existing_usd",
    "influenced_existing_usd",
)


def ownership_by_day(
    engine: Engine,
    definitions: Mapping[str, MetricDefinition],
    first_day: date,
    last_day: date,
) -> pd.DataFrame:
    """Won bookings per close day: new business, the part marketing sourced, expansion and
    renewal, and the part marketing influenced (columns ``day`` + :data:`OWNERSHIP_COLUMNS`).

    *Sourced* takes the marketing channels of the marketing-sourced pipeline definition;
    *influenced* takes the touch window of the marketing-influenced pipeline definition.
    """
    sourced = definitions["sourced_pipeline"]
    influenced = definitions["influenced_pipeline"]
    channels = parameter_values(sourced, "marketing_channels")
    window = opportunity_filters(influenced)["touched_within_days"]
    existing = ["expansion", "renewal"]
    parts = {
        "new_business_usd": {"opportunity_types": ["new_business"]},
        "sourced_new_business_usd": {
            "opportunity_types": ["new_business"],
            "source_channels": channels,
        },
        "existing_usd": {"opportunity_types": existing},
        "influenced_existing_usd": {
            "opportunity_types": existing,
            "touched_within_days": window,
        },
    }
    frames = []
    for column, filters in parts.items():
        daily = queries.opportunity_amount_by_day(
            engine,
            first_day,
            last_day,
            date_field="close_date",
            won_only=True,
            **filters,  # type: ignore[arg-type]
        )
        frames.append(daily.set_index("day")["amount_usd"].rename(column))
    frame = pd.concat(frames, axis=1).fillna(0.0).sort_index()
    frame.index.name = "day"
    frame = frame.reset_index()
    frame["day"] = pd.to_datetime(frame["day"])
    for column in OWNERSHIP_COLUMNS:
        if column not in frame.columns:
            frame[column] = 0.0
    return frame[["day", *OWNERSHIP_COLUMNS]]
