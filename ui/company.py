"""Company settings in the app: the "Set up your company" step, the settings expander on the
Data page, and the sidebar's one line.

The inputs sit outside a form so the preview follows every choice: how the current quarter will
be labelled (set-up), or what the change does before it is applied (change). The store checks
everything again when the change is saved (``core.store.company.save_company_settings``): who
may make it, the read-only mode, and the currency refusal.
"""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from core.access import AccessDeniedError, Actor
from core.calendar import FiscalCalendar
from core.company import (
    ACTIVE_CURRENCIES,
    COMMON_CURRENCIES,
    MAX_COMPANY_NAME_LENGTH,
    MONTH_NAMES,
    CompanySettings,
    CurrencyChangeError,
    calendar_preview,
    company_settings_from,
    short_label,
)
from core.formatting import escape_markdown
from core.store import company as store_company
from core.store.engine import ReadOnlyStoreError
from ui import access, data
from ui.store import Store, store_engine

FLASH_KEY = "_company_notice"
SET_UP = "company_setup"
CHANGE = "company_change"
CURRENCY_OPTIONS = (
    *COMMON_CURRENCIES,
    *(code for code in ACTIVE_CURRENCIES if code not in COMMON_CURRENCIES),
)
NAMED_BY_LABELS = {"end": "the year they end in", "start": "the year they start in"}
NAMED_BY_HELP = (
    "A fiscal year from April 2026 to March 2027 is FY2027 when named by the year it ends in "
    "(Salesforce's default), FY2026 when named by the year it starts in."
)
WHY_FIRST = (
    "Set this up before loading exports: the fiscal year decides how quarters are labelled "
    "(goals, forecasts and budgets are loaded for them), and amounts are converted to the "
    "reporting currency as they load (changing it later restates every amount through the new "
    "currency's exchange rate)."
)


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def _preview(url: str, version: int, new: CompanySettings, today: date) -> tuple[str, ...]:
    """What saving ``new`` would do (a currency change plans its restatement: a few queries,
    not repeated on every rerun of the same preview)."""
    del version
    return store_company.preview_change(store_engine(url), new, today)


def current_settings(store: Store) -> CompanySettings | None:
    """The store's company settings (``None`` before set-up), from the cached settings."""
    return company_settings_from(data.store_settings(store.url, store.version))


def sidebar_caption(store: Store) -> None:
    """``Acme · FY starts April · EUR`` in the sidebar, once the company is set up."""
    try:
        settings = current_settings(store)
    except ValueError:  # a damaged setting: the Data page says which
        return
    if settings is not None:
        st.sidebar.caption(escape_markdown(short_label(settings)))


def _currency_label(code: str) -> str:
    name = COMMON_CURRENCIES.get(code)
    return f"{code} · {name}" if name else code


def _inputs(current: CompanySettings | None, key: str) -> dict[str, object]:
    """The four inputs, prefilled with ``current``; the raw choices (``None`` when not made)."""
    name_column, month_column, named_column, currency_column = st.columns([3, 2, 2, 2])
    name = name_column.text_input(
        "Company name",
        value=current.name if current else "",
        max_chars=MAX_COMPANY_NAME_LENGTH,
        placeholder="Acme Inc.",
        key=f"{key}_name",
    )
    month = month_column.selectbox(
        "Fiscal year starts in",
        range(1, 13),
        index=None if current is None else current.fiscal_year_start_month - 1,
        format_func=lambda number: MONTH_NAMES[number - 1],
        placeholder="Choose a month",
        key=f"{key}_month",
    )
    named_by = named_column.selectbox(
        "Fiscal years named by",
        tuple(NAMED_BY_LABELS),
        index=0 if current is None else tuple(NAMED_BY_LABELS).index(current.fiscal_year_named_by),
        format_func=NAMED_BY_LABELS.__getitem__,
        help=NAMED_BY_HELP,
        key=f"{key}_named_by",
    )
    currency = currency_column.selectbox(
        "Reporting currency",
        CURRENCY_OPTIONS,
        index=None if current is None else CURRENCY_OPTIONS.index(current.currency),
        format_func=_currency_label,
        placeholder="Choose a currency",
        help="Amounts are stored in this currency; amounts in another one are converted at the "
        "exchange rates you load.",
        key=f"{key}_currency",
    )
    return {
        "name": (name or "").strip() or None,
        "fiscal_year_start_month": month,
        "fiscal_year_named_by": named_by,
        "currency": currency,
    }


def _save(store: Store, new: CompanySettings, who: Actor) -> None:
    """Save ``new``; on success keep the effect for the next run and rerun (the sidebar, drawn
    before the page, then shows the new settings); on a refusal say why."""
    try:
        effect = store_company.save_company_settings(
            store.engine, new, access.user().actor, who.name, datetime.now()
        )
    except (ValueError, AccessDeniedError, ReadOnlyStoreError) as problem:
        st.error(escape_markdown(str(problem)), icon=":material/error:")
        return
    st.session_state[FLASH_KEY] = effect or ("Nothing changed.",)
    st.rerun()


def _flash() -> None:
    effect = st.session_state.pop(FLASH_KEY, None)
    if effect:
        st.success(
            "\n\n".join(escape_markdown(sentence) for sentence in effect),
            icon=":material/check_circle:",
        )


def company_section(store: Store) -> None:
    """The top of the Data page: the set-up step before set-up, the settings expander after."""
    _flash()
    try:
        current = current_settings(store)
    except ValueError as problem:
        st.error(
            f"The company settings in the store are damaged: {escape_markdown(str(problem))}. "
            "Set them again with `python -m core settings`.",
            icon=":material/error:",
        )
        return
    if current is None:
        _set_up_step(store)
    else:
        _settings_expander(store, current)


def _set_up_step(store: Store) -> None:
    with st.container(border=True):
        st.subheader("Set up your company", anchor=False)
        st.caption(WHY_FIRST)
        if not access.can("change_setting"):
            access.read_only_note("Setting up the company", "change_setting")
            return
        chosen = _inputs(None, SET_UP)
        month = chosen["fiscal_year_start_month"]
        if month is not None:
            calendar = FiscalCalendar(int(month), chosen["fiscal_year_named_by"])  # type: ignore[arg-type]
            st.info(calendar_preview(calendar, date.today()), icon=":material/calendar_month:")
        who_column, button_column, _rest = st.columns([3, 2, 4], vertical_alignment="bottom")
        who = access.who(f"{SET_UP}_by", "Your name (recorded with the settings)", who_column)
        missing = [
            label
            for label, value in (
                ("the company name", chosen["name"]),
                ("the month the fiscal year starts in", month),
                ("the reporting currency", chosen["currency"]),
                ("your name", who),
            )
            if value is None
        ]
        if missing:
            listed = ", ".join(missing[:-1]) + " and " + missing[-1] if missing[1:] else missing[0]
            st.caption(f"Fill in {listed} to save.")
        saved = button_column.button(
            "Save the company settings",
            type="primary",
            disabled=bool(missing),
            key=f"{SET_UP}_save",
        )
    if saved and who is not None:
        try:
            new = CompanySettings(**chosen)  # type: ignore[arg-type]
        except ValueError as problem:
            st.error(escape_markdown(str(problem)), icon=":material/error:")
            return
        _save(store, new, who)


def _describe(current: CompanySettings) -> str:
    named_by = "starts" if current.fiscal_year_named_by == "start" else "ends"
    return (
        f"**{escape_markdown(current.name)}** · fiscal year starts in {current.start_month_name}, "
        f"named by the year it {named_by} in · reporting currency {current.currency}"
    )


def _settings_expander(store: Store, current: CompanySettings) -> None:
    # A key keeps it open across reruns, even when the notice above it comes or goes.
    with st.expander(
        "Company settings", icon=":material/apartment:", key=f"{CHANGE}_open", on_change="rerun"
    ):
        st.markdown(_describe(current))
        st.caption(calendar_preview(current.calendar, date.today()))
        if not access.can("change_setting"):
            access.read_only_note("Changing the company settings", "change_setting")
            return
        chosen = _inputs(current, CHANGE)
        try:
            new = CompanySettings(**chosen)  # type: ignore[arg-type]
        except ValueError as problem:
            st.error(escape_markdown(str(problem)), icon=":material/error:")
            return
        if new == current:
            st.caption("Change a value above to see what the change does before applying it.")
            return
        try:
            effect = _preview(store.url, store.version, new, date.today())
        except CurrencyChangeError as problem:  # an amount could not be restated
            st.error(escape_markdown(str(problem)), icon=":material/currency_exchange:")
            return
        st.info(
            "**What the change does**\n\n"
            + "\n\n".join(escape_markdown(sentence) for sentence in effect),
            icon=":material/preview:",
        )
        who_column, button_column, _rest = st.columns([3, 2, 4], vertical_alignment="bottom")
        who = access.who(f"{CHANGE}_by", "Your name (recorded with the change)", who_column)
        applied = button_column.button(
            "Apply the change", type="primary", disabled=who is None, key=f"{CHANGE}_apply"
        )
        if who is None:
            st.caption("Enter your name to apply the change.")
    if applied and who is not None:
        _save(store, new, who)
