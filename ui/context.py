"""The review context every page shares: fiscal period and as-of date, kept in the URL.

The sidebar reads ``?period=Q4+FY2027&as_of=2026-11-23`` on first load and writes the current
choice back on every run, so any view can be shared as a link. A link whose values are not valid
is corrected to the defaults, and the sidebar says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager  # internal: see below

from core.calendar import FiscalCalendar, FiscalPeriod
from core.formatting import DEFAULT_CURRENCY, escape_markdown, format_day
from core.store import queries
from ui import data
from ui.store import Store

PERIOD_KEY = "period"
AS_OF_KEY = "as_of"
_CONTEXT_KEY = "_review_context"
_RECOVERY_KEY = "_recovered_from_legacy_page_run"


@dataclass(frozen=True)
class ReviewContext:
    """What the pages show: which store, which fiscal quarter, as of which day.

    Only plain values: it lives in the session state, where an engine must never go.
    """

    store_url: str
    store_version: int
    calendar: FiscalCalendar
    period: FiscalPeriod
    as_of: date
    data_through: date
    settings: dict[str, str]

    @property
    def is_demo(self) -> bool:
        """Whether the store holds the generated demo company."""
        return self.settings.get("is_demo") == "true"

    @property
    def cache_keys(self) -> tuple[str, int, date, FiscalCalendar]:
        """(store URL, data version, as-of day, calendar): what every cached read is keyed by."""
        return self.store_url, self.store_version, self.as_of, self.calendar

    @property
    def company_name(self) -> str:
        """The company the store describes."""
        return self.settings.get("company_name", "Your company")

    @property
    def currency(self) -> str:
        """The reporting currency every amount in the store is in (ISO 4217, e.g. ``EUR``)."""
        return self.settings.get("currency", DEFAULT_CURRENCY)


def _from_link(key: str) -> str | None:
    value = st.query_params.get(key)
    return value if value else None


def render_sidebar(store: Store) -> ReviewContext | None:
    """Draw the period and as-of controls; ``None`` when the store holds no data yet."""
    extent = data.data_extent(store.url, store.version)
    if extent.data_through is None or extent.first_date is None:
        st.session_state[_CONTEXT_KEY] = None
        return None
    store_settings = data.store_settings(store.url, store.version)
    calendar = queries.fiscal_calendar(store_settings)
    today = date.today()
    last_day = max(extent.data_through, today)
    quarters = calendar.periods_between(extent.first_date, last_day, "quarter")[::-1]
    labels = [quarter.label for quarter in quarters]
    if AS_OF_KEY not in st.session_state:
        st.session_state[AS_OF_KEY] = _initial_as_of(
            extent.first_date, last_day, extent.data_through
        )
    # An upload or an undo can move the data's range under a session: keep choices inside it.
    st.session_state[AS_OF_KEY] = min(max(st.session_state[AS_OF_KEY], extent.first_date), last_day)
    if PERIOD_KEY not in st.session_state or st.session_state[PERIOD_KEY] not in labels:
        as_of = st.session_state[AS_OF_KEY]
        st.session_state[PERIOD_KEY] = _initial_period(
            labels, calendar.quarter_containing(as_of).label
        )
    with st.sidebar:
        period_label = st.selectbox(
            "Fiscal quarter",
            labels,
            key=PERIOD_KEY,
            help="The quarter every page reports on. The URL keeps it, so the view can be shared.",
        )
        as_of = st.date_input(
            "As of",
            key=AS_OF_KEY,
            min_value=extent.first_date,
            max_value=last_day,
            format="YYYY-MM-DD",
            help="Numbers count what had happened by the end of this day. "
            f"Data runs through {format_day(extent.data_through)}.",
        )
        st.caption(f"Data through {format_day(extent.data_through)}")
    st.query_params[PERIOD_KEY] = period_label
    st.query_params[AS_OF_KEY] = as_of.isoformat()
    context = ReviewContext(
        store_url=store.url,
        store_version=store.version,
        calendar=calendar,
        period=calendar.parse(period_label),
        as_of=as_of,
        data_through=extent.data_through,
        settings=store_settings,
    )
    st.session_state[_CONTEXT_KEY] = context
    return context


def _initial_as_of(first: date, last: date, default: date) -> date:
    text = _from_link(AS_OF_KEY)
    if text is None:
        return default
    try:
        day = date.fromisoformat(text)
    except ValueError:
        st.sidebar.warning(
            f"The link's as-of date “{escape_markdown(text)}” is not a date; "
            f"showing {format_day(default)}."
        )
        return default
    if not first <= day <= last:
        st.sidebar.warning(
            f"The link's as-of date {format_day(day)} is outside the data; "
            f"showing {format_day(default)}."
        )
        return default
    return day


def _initial_period(labels: list[str], default: str) -> str:
    text = _from_link(PERIOD_KEY)
    if text is None:
        return default if default in labels else labels[0]
    if text in labels:
        return text
    st.sidebar.warning(
        f"The link's quarter “{escape_markdown(text)}” is not in the data; showing {default}."
    )
    return default if default in labels else labels[0]


NO_DATA = (
    "The store holds no data yet. Load the demo company with `python -m core demo`, "
    "or upload your exports on the Data page."
)


def stop_if_empty(review: ReviewContext | None, message: str = NO_DATA) -> ReviewContext:
    """The review context; when the store holds nothing, say so and stop the page here."""
    if review is None:
        st.info(message, icon=":material/inbox:")
        st.stop()
    return review


def open_page(title: str, message: str = NO_DATA) -> ReviewContext:
    """A page's opening: the context, its title, and a stop with ``message`` on an empty store."""
    review = current()
    st.title(title)
    return stop_if_empty(review, message)


def current() -> ReviewContext | None:
    """The context app.py computed for this run (``None`` when the store is empty).

    Every page calls this first; see :func:`_recover_from_legacy_page_run` for why.
    """
    if _CONTEXT_KEY not in st.session_state:
        _recover_from_legacy_page_run()
    return st.session_state[_CONTEXT_KEY]


def _recover_from_legacy_page_run() -> None:
    """Rerun a page that ran without app.py, once, in navigation mode.

    Streamlit keeps a process-wide flag for its legacy "pages folder" mode, on while a
    ``pages/`` folder sits next to the script until ``st.navigation()`` turns it off. A server
    whose first request is a link straight to a page (``/data?period=...``) runs that page file
    alone in the legacy mode: no sidebar, a menu made of file names. The context app.py stores
    every run is then missing from the fresh session. Do what ``st.navigation()`` does to the
    flag and rerun: app.py now runs and opens the same page in full.
    """
    if st.session_state.get(_RECOVERY_KEY):
        st.error("This page could not load the app's frame. Open the app's home page instead.")
        st.stop()
    st.session_state[_RECOVERY_KEY] = True
    PagesManager.uses_pages_directory = False
    st.rerun()


def freshness(review: ReviewContext) -> str:
    """``data through 22 Nov 2026 · last upload 23 Nov 2026 09:14``: how current the numbers are."""
    extent = data.data_extent(review.store_url, review.store_version)
    text = f"data through {format_day(review.data_through)}"
    if extent.last_loaded_at is not None:
        text += f" · last upload {format_day(extent.last_loaded_at)} {extent.last_loaded_at:%H:%M}"
    lag = (review.as_of - review.data_through).days
    if lag > 7:
        text += f" · the data stops {lag} days before the as-of date"
    return text
