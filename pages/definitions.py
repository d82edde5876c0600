"""Definitions: what every number means, every version of it, and who changed it and why."""

from datetime import date

import streamlit as st

from core.definitions import PARAMETER_SPECS, ParameterSpec, ProposedChange, changed_parameters
from core.formatting import DEFAULT_CURRENCY, escape_markdown, format_day
from core.store import definitions as store_definitions
from ui import access, context, data
from ui.definitions import change_effects, current_table, history_table
from ui.store import open_store, store_engine

NOTICE_KEY = "_definitions_notice"

review = context.current()
store = open_store()
as_of = review.as_of if review is not None else date.today()
st.title("Definitions")
st.caption(
    "Every number in the app follows one of these definitions, and its hover text names the "
    "version. A change makes a new version with its author and reason; older versions stay "
    "readable, and numbers from before a change are shown restated beside what was reported."
)

notice = st.session_state.pop(NOTICE_KEY, None)
if notice:
    st.success(escape_markdown(notice), icon=":material/check_circle:")

histories = data.definition_histories(store.url, store.version)
current = store_definitions.definitions_on(histories, as_of)
st.subheader(f"In effect on {format_day(as_of)}")
st.dataframe(current_table(current), hide_index=True, width="stretch")

labels = {metric: definition.label for metric, definition in current.items()}
metric = st.selectbox(
    "Metric",
    list(labels),
    format_func=labels.__getitem__,
    key="definitions_metric",
    help="Read a metric's history, the effect of each change, or record a new version.",
)
versions = histories[metric]
latest = versions[-1]
definition = current[metric]

st.subheader(f"{definition.label}: version {definition.version}")
st.markdown(escape_markdown(definition.description))
if latest.version != definition.version:
    st.info(
        f"Version {latest.version} takes effect on {format_day(latest.effective_from)}.",
        icon=":material/schedule:",
    )
st.caption(f"Owner: {escape_markdown(definition.owner)}")

history_tab, effects_tab, edit_tab = st.tabs(
    ["History", "Effect of each change", "Record a new version"], key="definitions_tab"
)
with history_tab:
    st.dataframe(history_table(versions), hide_index=True, width="stretch")

with effects_tab:
    if len(versions) == 1:
        st.info("This definition has never changed: it is the one shipped with the app.")
    elif definition.is_rule:
        st.info(
            f"{definition.label} is a rule other numbers follow, not a number itself: its "
            "changes show in the numbers that use it."
        )
    calendar = review.calendar if review is not None else None
    for later in reversed(versions[1:]):
        earlier = versions[later.version - 2]
        with st.container(border=True):
            st.markdown(
                f"**v{earlier.version} → v{later.version}**, in effect from "
                f"{format_day(later.effective_from)}, by {escape_markdown(later.author)}"
                + (
                    f", approved by {escape_markdown(later.approved_by)}"
                    if later.approved_by
                    else ""
                )
            )
            st.caption(f"Reason: {escape_markdown(later.reason)}")
            for label, old, new in changed_parameters(earlier, later):
                st.markdown(
                    f"- {escape_markdown(label)}: {escape_markdown(old)} → {escape_markdown(new)}"
                )
            if calendar is not None and not later.is_rule:
                st.dataframe(
                    change_effects(
                        store.url,
                        store.version,
                        calendar,
                        metric,
                        later.version,
                        as_of,
                        review.currency if review is not None else DEFAULT_CURRENCY,
                    ),
                    hide_index=True,
                    width="stretch",
                )
            elif calendar is None:
                st.caption("Load data to see the effect on the last four quarters.")


def _widget(spec: ParameterSpec, value: object) -> object:
    """An input for one parameter, showing the value in effect now."""
    key = f"definition_{metric}_{spec.name}"
    if spec.kind == "choices":
        return st.multiselect(
            spec.label,
            list(spec.options),
            default=list(value),  # type: ignore[call-overload]
            format_func=spec.options.__getitem__,
            help=spec.help,
            key=key,
        )
    if spec.kind == "choice":
        options = list(spec.options)
        return st.selectbox(
            spec.label,
            options,
            index=options.index(str(value)),
            format_func=spec.options.__getitem__,
            help=spec.help,
            key=key,
        )
    if spec.kind == "integer":
        return st.number_input(
            spec.label,
            min_value=int(spec.minimum) if spec.minimum is not None else None,
            max_value=int(spec.maximum) if spec.maximum is not None else None,
            value=int(value),  # type: ignore[call-overload]
            step=1,
            help=spec.help,
            key=key,
        )
    return st.number_input(
        spec.label,
        min_value=float(spec.minimum) if spec.minimum is not None else None,
        max_value=float(spec.maximum) if spec.maximum is not None else None,
        value=float(value),  # type: ignore[arg-type]
        help=spec.help,
        key=key,
    )


with edit_tab:
    if not access.can("change_definition"):
        access.read_only_note("Changing a definition", "change_definition")
        st.stop()
    st.caption(
        f"Changes apply to version {latest.version}. Everyone who opens the app sees the new "
        "version from its effective date, with this reason beside it."
    )
    with st.form(f"edit_{metric}", enter_to_submit=False):
        chosen = {
            name: _widget(spec, latest.parameters[name])
            for name, spec in PARAMETER_SPECS.get(metric, {}).items()
        }
        description = st.text_area(
            "Description", value=latest.description, key=f"definition_{metric}_description"
        )
        effective_from = st.date_input(
            "In effect from",
            value=max(date.today(), latest.effective_from),
            min_value=latest.effective_from,
            key=f"definition_{metric}_effective",
        )
        left, right = st.columns(2)
        author = access.who(f"definition_{metric}_author", "Your name (required)", form=left)
        approved_by = right.text_input(
            "Approved by (optional)",
            key=f"definition_{metric}_approved",
            help="Who signed the change off, for example the CFO.",
        )
        reason = st.text_area(
            "Reason for the change (required)",
            key=f"definition_{metric}_reason",
            placeholder="e.g. Finance and Sales agreed to count expansion in bookings from FY2028.",
        )
        submitted = st.form_submit_button("Record new version", type="primary")
    if submitted:
        change = ProposedChange(
            parameters=chosen,
            description=description,
            effective_from=effective_from,
            author=author.label if author else "",
            reason=reason,
            approved_by=approved_by,
        )
        try:
            recorded = store_definitions.record_change(
                store_engine(store.url), metric, change, actor=author
            )
        except ValueError as problem:
            st.error(escape_markdown(str(problem)), icon=":material/error:")
        else:
            st.session_state[NOTICE_KEY] = (
                f"Recorded {recorded.label} version {recorded.version}, in effect from "
                f"{format_day(recorded.effective_from)}."
            )
            st.rerun()
