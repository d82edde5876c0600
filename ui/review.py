"""The exec review for the pages: start one, compare with the last, notes, decisions, the pack.

A review's snapshot is read from the store as it was frozen; only "now" (for "since last
review") is computed, cached by data version like every other read.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core.calendar import FiscalCalendar
from core.formatting import (
    DEFAULT_CURRENCY,
    escape_markdown,
    format_day,
    format_metric,
    format_money,
)
from core.review import next_review_date
from core.review_pack import PackContent, pack_bytes
from core.store import queries
from core.store import reviews as store_reviews
from ui import access
from ui import scenarios as scenario_views
from ui.data import CACHE, definitions_on, store_settings
from ui.store import store_engine

FLASH_KEY = "review_flash"
STATUS_WORDS = {"green": "🟢 On track", "amber": "🟠 At risk", "red": "🔴 Off track",
                "not_started": "⚪ Not started", "no_data": "⚪ No data", None: ""}  # fmt: skip


@st.cache_data(**CACHE)
def live_snapshot(
    url: str, version: int, calendar: FiscalCalendar, period_label: str, as_of: date
) -> dict[str, object]:
    """Today's numbers in the shape of a frozen review (no scenario refit: it is not compared)."""
    definitions = definitions_on(url, version, as_of)
    return store_reviews.build_snapshot(
        store_engine(url),
        definitions,
        calendar,
        calendar.parse(period_label),
        as_of,
        store_settings(url, version),
        with_scenario=False,
    )


def latest(url: str) -> store_reviews.Review | None:
    """The latest review (not cached: a review started in another session shows at once)."""
    return store_reviews.load_review(store_engine(url))


def cadence(url: str) -> int:
    """Days between reviews (read fresh: changing it does not change the data version)."""
    return store_reviews.cadence_days(queries.settings(store_engine(url)))


def next_date(url: str, today: date) -> date:
    """When the next review is due."""
    last = latest(url)
    return next_review_date(None if last is None else last.review_date, cadence(url), today)


def cadence_form(url: str) -> None:
    """Change the number of days between reviews, with who changed it (admins)."""
    if not access.can("change_setting"):
        st.caption(f"Reviews are every {cadence(url)} days; admins change the cadence.")
        return
    with st.form("review_cadence", border=False):
        left, right, button = st.columns([1, 2, 1], vertical_alignment="bottom")
        days = left.number_input("Days between reviews", 1, 90, value=cadence(url), step=1)
        who = access.who("review_cadence_by", form=right)
        saved = button.form_submit_button("Save the cadence")
    if saved:
        if who is None:
            st.error("Say who is changing the cadence: the name of the person is required.")
            return
        try:
            store_reviews.set_cadence(store_engine(url), int(days), actor=who)
        except store_reviews.ReviewError as error:
            st.error(escape_markdown(str(error)))
            return
        st.session_state[FLASH_KEY] = f"Reviews are now every {int(days)} days."
        st.rerun()


def start_form(
    url: str, version: int, calendar: FiscalCalendar, period_label: str, as_of: date, key: str
) -> None:
    """The "Start a review" form: freeze every number as of now (editors)."""
    if not access.can("start_review"):
        access.read_only_note("Starting a review", "start_review")
        return
    with st.form(f"start_review_{key}", border=False):
        who = access.who(f"review_by_{key}")
        started = st.form_submit_button("Start a review now", icon=":material/lock_clock:")
    if not started:
        return
    if who is None:
        st.error("Say who is starting the review: the name of the person is required.")
        return
    engine = store_engine(url)
    with st.spinner("Freezing every number, chart and forecast as they stand…"):
        definitions = definitions_on(url, version, as_of)
        snapshot = store_reviews.build_snapshot(
            engine,
            definitions,
            calendar,
            calendar.parse(period_label),
            as_of,
            store_settings(url, version),
            # The Budget scenarios page's fitted curves, cached by data version: no refit here.
            prepared_scenarios=lambda: scenario_views.prepared(url, version, as_of, calendar),
        )
        review_id = store_reviews.start_review(engine, snapshot, who.label, date.today(), actor=who)
    st.session_state[FLASH_KEY] = (
        f"Review {review_id} started by {who.label}: its numbers are frozen as of "
        f"{format_day(as_of)}."
    )
    st.rerun()


def pop_flash() -> str | None:
    return st.session_state.pop(FLASH_KEY, None)


def headline_view(
    snapshot: dict[str, object], currency: str = DEFAULT_CURRENCY
) -> list[tuple[str, str, str, str]]:
    """(label, value, change vs last year, help) for each frozen headline."""
    cards = []
    for row in snapshot.get("headlines", []):  # type: ignore[union-attr]
        before = row["last_year"]
        change = (row["value"] - before) / abs(before) if before else None
        cards.append(
            (
                f"{row['label']}, {snapshot['period']}",
                format_metric(row["value"], row["unit"], currency=currency),
                "" if change is None else f"{change:+.1%} vs last year",
                str(row["reference"]),
            )
        )
    return cards


def movements_view(movements: pd.DataFrame, currency: str = DEFAULT_CURRENCY) -> pd.DataFrame:
    """Goal movements as text."""
    return pd.DataFrame(
        {
            "Goal": [
                f"{name} (redefined v{int(then)} → v{int(now)})"
                if not pd.isna(then) and not pd.isna(now) and int(then) != int(now)
                else name
                for name, then, now in zip(
                    movements["name"],
                    movements.get("version_then", pd.Series([None] * len(movements))),
                    movements.get("version_now", pd.Series([None] * len(movements))),
                    strict=True,
                )
            ],
            "Then": movements["status_then"].map(STATUS_WORDS).fillna("(new)"),
            "Now": movements["status_now"].map(STATUS_WORDS).fillna("(gone)"),
            "Projection then": [
                format_metric(value, unit, currency=currency)
                for value, unit in zip(movements["projection_then"], movements["unit"], strict=True)
            ],
            "Projection now": [
                format_metric(value, unit, currency=currency)
                for value, unit in zip(movements["projection_now"], movements["unit"], strict=True)
            ],
            "Move (share of target)": movements["move"].map(
                lambda value: "" if pd.isna(value) else f"{value:+.1%}"
            ),
        }
    )


def headlines_view(changes: pd.DataFrame, currency: str = DEFAULT_CURRENCY) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Measure": changes["label"],
            "At the last review": [
                format_metric(v, u, currency=currency)
                for v, u in zip(changes["then"], changes["unit"], strict=True)
            ],
            "Now": [
                format_metric(v, u, currency=currency)
                for v, u in zip(changes["now"], changes["unit"], strict=True)
            ],
            "Change": [
                format_metric(v, u, signed=True, currency=currency)
                for v, u in zip(changes["change"], changes["unit"], strict=True)
            ],
            "Definition": [
                _versions(then, now)
                for then, now in zip(changes["version_then"], changes["version_now"], strict=True)
            ],
        }
    )


def _versions(then: object, now: object) -> str:
    """``v1`` when a number kept its definition, ``v1 → v2 (redefined)`` when it did not."""
    if pd.isna(now):
        return ""
    if pd.isna(then) or int(then) == int(now):  # type: ignore[call-overload]
        return f"v{int(now)}"  # type: ignore[call-overload]
    return f"v{int(then)} → v{int(now)} (redefined)"  # type: ignore[call-overload]


def changes_view(changes: pd.DataFrame) -> pd.DataFrame:
    """Definition and setting changes since a review, for the page."""
    return pd.DataFrame(
        {
            "When": pd.to_datetime(changes["changed_at"]).dt.strftime("%d %b %Y %H:%M"),
            "Change": changes["kind"],
            "What": changes["summary"],
            "By": changes["actor"],
        }
    )


def forecasts_view(changes: pd.DataFrame, currency: str = DEFAULT_CURRENCY) -> pd.DataFrame:
    def money(value: float | None, signed: bool = False) -> str:
        if value is None or value != value:
            return "n/a"
        return ("+" if signed and value > 0 else "") + format_money(value, currency)

    return pd.DataFrame(
        {
            "Metric": changes["metric"],
            "Period": changes["period"],
            "Forecaster": changes["forecaster"],
            "Most likely then": changes["then"].map(money),
            "Now": changes["now"].map(money),
            "Change": changes["change"].map(lambda value: money(value, signed=True)),
        }
    )


def uploads_view(uploads: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Uploaded": pd.to_datetime(uploads["uploaded_at"]).dt.strftime("%d %b %Y %H:%M"),
            "File": uploads["file_name"],
            "Holds": uploads["kind"].replace(
                {"exchange_rates": "exchange rates (restate amounts in other currencies)"}
            ),
            "Rows": uploads["rows_read"].map("{:,}".format),
            "By": uploads["uploaded_by"],
            "Status": uploads["status"],
        }
    )


def decisions_view(decisions: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Decision": decisions["decision"],
            "Owner": decisions["owner"],
            "Due": decisions["due_date"].map(lambda day: format_day(day) if day else ""),
            "Status": decisions["status"],
            "Raised in review": decisions["raised_in"],
        }
    )


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def pack(url: str, review_id: int, suffix: str, notes_count: int, decisions_version: int) -> bytes:
    """The pack of a review (cached until its notes or decisions change)."""
    del notes_count, decisions_version
    engine = store_engine(url)
    review = store_reviews.load_review(engine, review_id)
    if review is None:
        raise ValueError(f"there is no review {review_id}")
    content = PackContent(
        review_id=review.review_id,
        review_date=review.review_date,
        started_by=review.started_by,
        snapshot=review.snapshot,
        notes=store_reviews.notes(engine, review_id).to_dict(orient="records"),
        decisions=store_reviews.decisions(engine, review_id).to_dict(orient="records"),
        store_currency=queries.settings(engine).get("currency", DEFAULT_CURRENCY),
    )
    return pack_bytes(content, suffix)
