"""Audit: every change anyone made, and who may do what (admins only)."""

import pandas as pd
import streamlit as st

from core.access import ACTIONS, ROLE_LABELS, AccessConfigError, Actor, Role
from core.formatting import escape_markdown
from core.safe_export import safe_csv
from core.store import audit
from ui import access, context
from ui.store import open_store

NOTICE_KEY = "_audit_notice"
ACTION_LABELS = {action: words[0].upper() + words[1:] for action, (_, words) in ACTIONS.items()}

context.current()  # makes sure the frame (sidebar, banner) ran; the page reads no period
store = open_store()
person = access.user()
st.title("Audit")
if not person.can("read_audit"):  # the menu hides the page; a direct link lands here
    st.error("The audit log is for admins.", icon=":material/lock:")
    st.stop()
reader = person.actor or Actor.local("local user")
st.caption(
    "Every change, in the same transaction that made it: uploads and undos, goal edits and "
    "commentary, forecasts, scenarios, reviews, definitions, settings and roles. The log is "
    "append-only: nothing in the app edits or deletes it."
)

notice = st.session_state.pop(NOTICE_KEY, None)
if notice:
    st.success(escape_markdown(notice), icon=":material/check_circle:")

left, right = st.columns([1, 2])
action = left.selectbox(
    "Change",
    [None, *ACTIONS],
    format_func=lambda key: "Every change" if key is None else ACTION_LABELS[key],
    key="audit_action",
)
who = right.text_input("Person (name or email contains)", max_chars=120, key="audit_person")
log = audit.entries(store.engine, reader, action=action, person=who or None, limit=1_000)
if log.empty:
    st.info("No change matches." if action or who else "Nothing has been changed yet.")
else:
    shown = pd.DataFrame(
        {
            "When": log["changed_at"],
            "Who": log["actor"],
            "Role": log["role"].map(lambda role: ROLE_LABELS[Role(role)]),
            "Change": log["action"].map(ACTION_LABELS),
            "What": log["target"],
            "Summary": log["summary"],
            "Before": log["before_json"],
            "After": log["after_json"],
        }
    )
    st.caption(f"The newest {len(shown):,} changes, newest first.")
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={"When": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")},
    )
    st.download_button(
        "Download the log (CSV)",
        data=safe_csv(shown),
        file_name="audit-log.csv",
        mime="text/csv",
        icon=":material/download:",
    )

# --------------------------------------------------------------------------------------------
st.subheader("Roles")
try:
    rules = access.policy()
except AccessConfigError as problem:
    st.error(f"The access settings are not valid: {escape_markdown(str(problem))}")
    st.stop()
if person.is_local:
    st.caption(
        "Local single-user mode: nobody signs in, so roles take effect only once `[auth]` is "
        "set up. Roles given here are kept for then."
    )
st.caption(
    f"Allowed in: {', '.join(sorted(rules.allowed_domains)) or 'no domain'} (domains), "
    f"{len(rules.allowed_emails):,} named addresses. Everyone else allowed in is a "
    f"{rules.default_role.value}. Admins named in the secrets or roles file stay admins."
)
configured = pd.DataFrame(
    {"Email": list(rules.roles), "Role": [role.value for role in rules.roles.values()]}
)
granted = audit.role_grant_list(store.engine)
columns = st.columns(2)
columns[0].markdown("**Named in the settings**")
if configured.empty:
    columns[0].caption("Nobody is named in `[access.roles]` or a roles file.")
else:
    columns[0].dataframe(configured, hide_index=True, width="stretch")
columns[1].markdown("**Given in the app**")
if granted.empty:
    columns[1].caption("No role has been given in the app.")
else:
    columns[1].dataframe(
        granted.rename(
            columns={"email": "Email", "role": "Role", "granted_by": "By", "granted_at": "When"}
        ),
        hide_index=True,
        width="stretch",
    )

with st.form("grant_role", clear_on_submit=True):
    email_column, role_column = st.columns([2, 1])
    email = email_column.text_input("Email", max_chars=200, key="grant_email")
    role = role_column.selectbox(
        "Role", list(Role), format_func=lambda value: ROLE_LABELS[value], index=1, key="grant_role"
    )
    granter = access.who("audit_grant_by", form=st)
    if st.form_submit_button("Give the role", icon=":material/manage_accounts:"):
        if granter is None:
            st.error("Enter your name: it is recorded with the change.")
        else:
            try:
                audit.grant_role(store.engine, email, role, actor=granter)
            except ValueError as problem:
                st.error(escape_markdown(str(problem)))
            else:
                st.session_state[NOTICE_KEY] = f"{email.strip()} now has the {role.value} role."
                st.rerun()
