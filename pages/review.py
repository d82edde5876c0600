"""Review: the frozen record of the last review, what moved since, notes, decisions, the pack."""

from datetime import date

import streamlit as st

from core.formatting import escape_markdown, format_day
from core.review import (
    DECISION_STATUSES,
    forecast_changes,
    goal_movements,
    headline_changes,
    open_decisions,
    redefinitions,
)
from core.store import reviews as store_reviews
from ui import access, context
from ui import review as views
from ui.store import store_engine
from ui.tables import for_markdown

review = context.open_page("Review")
url, version, as_of, calendar = review.cache_keys
engine = store_engine(url)
flash = views.pop_flash()
if flash:
    st.success(escape_markdown(flash), icon=":material/check_circle:")

last = views.latest(url)
cadence = views.cadence(url)
next_day = views.next_date(url, date.today())
st.markdown(
    f"**Next review: {format_day(next_day)}** (every {cadence} days)"
    + (
        f" · last review {format_day(last.review_date)}, started by "
        f"{escape_markdown(last.started_by)}"
        if last
        else " · no review has been held yet"
    )
)
with st.expander("Review cadence", icon=":material/event_repeat:"):
    views.cadence_form(url)
with st.expander("Start a review", icon=":material/lock_clock:", expanded=last is None):
    st.caption(
        f"Freezes the headline numbers, every goal's status, revenue, pipeline and coverage, the "
        f"current forecast call, what's working, the latest saved budget scenario and the charts' "
        f"data for {review.period.label} as of {format_day(as_of)}, with the definition versions "
        "behind them. Later uploads or definition changes never alter a started review."
    )
    views.start_form(url, version, calendar, review.period.label, as_of, key="review_page")

if last is None:
    st.info("Start the first review to keep a record of the numbers and what is decided.")
    st.stop()

reviews = store_reviews.review_list(engine)
chosen_id = st.selectbox(
    "Review",
    reviews["review_id"].tolist(),
    format_func=lambda review_id: (
        f"Review {review_id} · "
        + format_day(reviews.loc[reviews["review_id"] == review_id, "review_date"].iloc[0])
    ),
)
chosen = store_reviews.load_review(engine, int(chosen_id))
snapshot = chosen.snapshot
# Frozen amounts are in the currency they were frozen in (the snapshot records it).
currency = str(snapshot.get("currency") or review.currency)

st.subheader(f"As frozen on {format_day(chosen.review_date)}")
st.caption(
    f"{escape_markdown(str(snapshot['period']))} to {escape_markdown(str(snapshot['to_date']))}"
    f" · started by {escape_markdown(chosen.started_by)} at {chosen.started_at:%d %b %Y %H:%M}"
    " · these numbers never change"
)
for column, (label, value, delta, help_text) in zip(
    st.columns(4), views.headline_view(snapshot, currency), strict=False
):
    column.metric(label, value, delta or None, border=True, help=help_text)

st.subheader("Since the last review")
since = views.live_snapshot(url, version, calendar, review.period.label, as_of)
goals = goal_movements(snapshot, since)
if goals.empty:
    st.caption("No goals to compare.")
else:
    st.markdown("**Goals**, the biggest movement first")
    st.table(for_markdown(views.movements_view(goals, currency)), hide_index=True)
redefined = redefinitions(snapshot, since)
if not redefined.empty:
    st.warning(
        "Redefined since this review: "
        + "; ".join(
            f"{escape_markdown(str(row.label))} (v{row.version_then} → v{row.version_now})"
            for row in redefined.itertuples()
        )
        + ". Their numbers below moved partly because the definition changed, not only the "
        "business; the Definitions page shows what changed and why.",
        icon=":material/rule:",
    )
st.markdown("**Headline numbers**")
st.table(
    for_markdown(views.headlines_view(headline_changes(snapshot, since), currency)),
    hide_index=True,
)
calls = forecast_changes(snapshot, since)
moved = calls[calls["change"].fillna(1) != 0]
if moved.empty:
    st.caption("No forecast call changed.")
else:
    st.markdown("**Forecast calls that moved**")
    st.table(for_markdown(views.forecasts_view(moved, currency)), hide_index=True)
uploads = store_reviews.uploads_since(engine, snapshot, chosen.started_at)
changes = store_reviews.changes_since(engine, chosen.started_at)
if uploads.empty and changes.empty:
    st.caption(
        "No upload, definition or setting changed since this review: the numbers moved only "
        "with the calendar."
    )
if not uploads.empty:
    st.markdown(f"**What changed the data**: {len(uploads)} upload(s) since this review")
    st.table(for_markdown(views.uploads_view(uploads)), hide_index=True)
if not changes.empty:
    st.markdown(
        f"**What changed the rules**: {len(changes)} definition or setting change(s) since "
        "this review"
    )
    st.table(for_markdown(views.changes_view(changes)), hide_index=True)

st.subheader("Commentary")
notes = store_reviews.notes(engine, chosen.review_id)
for note in notes.itertuples():
    st.markdown(
        f"**{escape_markdown(note.author)}**, {format_day(note.written_at)}: "
        f"{escape_markdown(note.note)}"
    )
if access.can("review_note"):
    with st.form("review_note", clear_on_submit=True):
        text = st.text_area("Note", max_chars=store_reviews.MAX_NOTE_LENGTH)
        author = access.who("review_note_by")
        if st.form_submit_button("Add note", icon=":material/edit_note:"):
            try:
                store_reviews.add_note(engine, chosen.review_id, text, actor=author)
            except store_reviews.ReviewError as error:
                st.error(escape_markdown(str(error)))
            else:
                st.rerun()

st.subheader("Decisions")
decisions = store_reviews.decisions(engine)
still_open = open_decisions(decisions)
if decisions.empty:
    st.caption("No decision recorded yet.")
else:
    st.caption("Open decisions are carried forward to every review until they are closed.")
    st.table(for_markdown(views.decisions_view(still_open)), hide_index=True)
    with st.expander("Every decision, closed ones included"):
        st.table(for_markdown(views.decisions_view(decisions)), hide_index=True)
if not access.can("review_decision"):
    access.read_only_note("Recording decisions and notes", "review_decision")
else:
    with st.form("review_decision", clear_on_submit=True):
        left, right = st.columns(2)
        decision = left.text_input("Decision", max_chars=500)
        owner = right.text_input("Owner", max_chars=80)
        due = left.date_input("Due", value=None, format="YYYY-MM-DD")
        who = access.who("review_decision_by", "Recorded by", form=right)
        if st.form_submit_button("Record the decision", icon=":material/gavel:"):
            try:
                store_reviews.record_decision(
                    engine, chosen.review_id, decision, owner, due, actor=who
                )
            except store_reviews.ReviewError as error:
                st.error(escape_markdown(str(error)))
            else:
                st.rerun()
    if not still_open.empty:
        with st.form("review_decision_status", clear_on_submit=True):
            keys = dict(zip(still_open["decision_key"], still_open["decision"], strict=True))
            left, middle, right = st.columns([3, 1, 2])
            key = left.selectbox("Close or change", list(keys), format_func=keys.get)
            status = middle.selectbox("Status", DECISION_STATUSES)
            who = access.who("review_status_by", "Changed by", form=right)
            if st.form_submit_button("Update"):
                row = still_open[still_open["decision_key"] == key].iloc[0]
                try:
                    store_reviews.record_decision(
                        engine, chosen.review_id, row["decision"], row["owner"], row["due_date"],
                        status=status, decision_key=key, actor=who,
                    )  # fmt: skip
                except store_reviews.ReviewError as error:
                    st.error(escape_markdown(str(error)))
                else:
                    st.rerun()

st.subheader("The pack")
st.caption(
    "Title page, scorecard, revenue bridge, pipeline and coverage, forecast accuracy, the latest "
    "saved budget scenario, what's working, commentary and decisions, and the definitions, all "
    "from this review's frozen numbers."
)
marker = (len(notes), len(decisions) and int(decisions["version_id"].max()))
left, right = st.columns(2)
for column, suffix, label, mime in (
    (left, ".pdf", "Download the pack (PDF)", "application/pdf"),
    (
        right,
        ".pptx",
        "Download the pack (PowerPoint)",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
):
    column.download_button(
        label,
        views.pack(url, chosen.review_id, suffix, *marker),
        file_name=f"marketing-review-{chosen.review_date.isoformat()}{suffix}",
        mime=mime,
        icon=":material/download:",
    )
