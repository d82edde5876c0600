"""The company settings in the store: read them, count what a change concerns, change them.

A change is one transaction: the settings that differ are written (each audited by
:func:`core.store.writes.set_setting` with its value before and after), the data version is
bumped once so every cached read refreshes, and a change of fiscal calendar or currency made
once data is loaded is audited once more with its effect, in the sentences
:func:`core.company.describe_change` writes. A currency change over stored amounts restates them
(:mod:`core.store.currency_change`) in the same transaction, or is refused before anything is
written when an amount could not be restated (:class:`core.company.CurrencyChangeError`).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.access import Actor, acting
from core.company import (
    DEFAULT_CURRENCY,
    CompanySettings,
    CurrencyChangeError,
    StoreCounts,
    company_settings_from,
    describe_change,
)
from core.store import audit
from core.store.currency_change import (
    CurrencyChangePlan,
    apply_currency_change,
    plan_currency_change,
)
from core.store.engine import ensure_writable
from core.store.schema import bump_data_version, settings
from core.store.writes import set_setting

_COUNTS_SQL = sa.text(
    """
    select
        (select count(*) from current_goals) as goals,
        (select count(*) from current_forecasts) as forecasts,
        (select count(*) from current_budgets) as budgets,
        (select count(*) from current_opportunities) as opportunities,
        (select count(*) from current_spend) as spend,
        (select count(*) from current_revenue) as revenue,
        (select count(*) from current_campaigns where budget_usd is not null)
            as campaigns_with_budget,
        (select count(*) from current_exchange_rates) as exchange_rates
    """
)


def _store_settings(connection: Connection) -> dict[str, str]:
    rows = connection.execute(sa.select(settings.c.key, settings.c.value)).all()
    return {str(key): str(value) for key, value in rows}


def _counts(connection: Connection) -> StoreCounts:
    row = connection.execute(_COUNTS_SQL).mappings().one()
    return StoreCounts(**{name: int(value or 0) for name, value in row.items()})


def company_settings(engine: Engine) -> CompanySettings | None:
    """The company settings; ``None`` when the store was never set up."""
    with engine.connect() as connection:
        return company_settings_from(_store_settings(connection))


def store_counts(engine: Engine) -> StoreCounts:
    """How many current goals, forecasts, budgets and money records the store holds."""
    with engine.connect() as connection:
        return _counts(connection)


def save_company_settings(
    engine: Engine, new: CompanySettings, actor: Actor | None, by: str, now: datetime
) -> tuple[str, ...]:
    """Change the company settings to ``new``; return what the change does, in sentences
    (``()`` when nothing changed, and nothing is written).

    ``actor`` is the signed-in person (admins only); without one the change is made by a local
    caller named ``by`` (the command line, local single-user mode).

    Raises
    ------
    core.store.engine.ReadOnlyStoreError
        On a read-only store.
    core.access.AccessDeniedError
        When ``actor`` may not change settings.
    core.company.CurrencyChangeError
        When the currency would change and some amount could not be restated in the new one.
    """
    ensure_writable(engine)
    who = acting(actor, by, "change_setting")
    with engine.begin() as connection:
        stored = _store_settings(connection)
        old = company_settings_from(stored)
        counts = _counts(connection)
        effect = describe_change(old, new, now.date(), counts)
        plan = _currency_plan(connection, old, new, counts)  # refuses before any write
        if plan is not None:
            effect = (*effect, *plan.sentences())
        changed = {
            key: value for key, value in new.store_values().items() if stored.get(key) != value
        }
        if not changed:
            return ()
        for key, value in changed.items():
            # One bump below for them all: the name is shown in cached pages too.
            set_setting(connection, key, value, who, now, changes_numbers=False)
        if plan is not None:
            apply_currency_change(connection, plan, who, now)  # restates every amount
        calendar_or_currency = set(changed) - {"company_name"}
        if counts.any_rows and calendar_or_currency:
            before = {key: stored.get(key) for key in new.store_values()}
            audit.record(
                connection,
                who,
                "change_setting",
                "company settings",
                " ".join(effect),
                before=before,
                after=new.store_values(),
                now=now,
            )
        bump_data_version(connection)
    return effect


def _currency_plan(
    connection: Connection, old: CompanySettings | None, new: CompanySettings, counts: StoreCounts
) -> CurrencyChangePlan | None:
    """The restatement a change of currency over stored amounts needs (``None``: none); raises
    :class:`CurrencyChangeError` when an amount could not be restated."""
    old_currency = DEFAULT_CURRENCY if old is None else old.currency
    if old_currency == new.currency or not counts.money_rows:
        return None
    plan = plan_currency_change(connection, old_currency, new.currency)
    if plan.refusal:
        raise CurrencyChangeError(plan.refusal)
    return plan


def preview_change(engine: Engine, new: CompanySettings, today: date) -> tuple[str, ...]:
    """What saving ``new`` would do, in sentences, without writing; raises
    :class:`CurrencyChangeError` when a currency change could not restate every amount."""
    with engine.connect() as connection:
        old = company_settings_from(_store_settings(connection))
        counts = _counts(connection)
        effect = describe_change(old, new, today, counts)
        plan = _currency_plan(connection, old, new, counts)
    return effect if plan is None else (*effect, *plan.sentences())
