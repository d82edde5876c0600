"""Who is using the app: sign-in, the allow-list and roles, as the pages see them.

Two modes:

- **Signed in**, when ``[auth]`` is in ``.streamlit/secrets.toml``: people sign in with the
  company's OpenID Connect provider (``st.login``); ``[access]`` holds the allow-list and the
  roles (see ``core.access.policy_from_settings``); an admin's grants in the app come from the
  store. Everyone is recorded as who they signed in as.
- **Local single-user mode**, without ``[auth]``: no sign-in, everyone is an admin who types
  their name into the forms, and the sidebar says so.

``app.py`` calls :func:`gate` once per run, before any page; pages ask :func:`can` what to show
and :func:`who` whom to record. The store refuses a change the role does not allow as well
(``core.access.require``), so hiding a button is never the only guard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from core.access import (
    ACTIONS,
    ROLE_LABELS,
    AccessConfigError,
    AccessPolicy,
    Actor,
    Role,
    policy_from_settings,
)
from core.formatting import escape_markdown
from core.store import audit
from core.store.engine import PROJECT_ROOT, READ_ONLY_MESSAGE
from ui.store import Store

_USER_KEY = "_signed_in_user"


@dataclass(frozen=True)
class User:
    """The person using this session: ``actor`` when signed in, ``None`` in local mode."""

    actor: Actor | None
    store_read_only: bool = False  # warehouse mode: nobody changes anything here

    @property
    def is_local(self) -> bool:
        """Local single-user mode: no sign-in configured, everyone may change everything."""
        return self.actor is None

    @property
    def role(self) -> Role:
        """The person's role (admin in local mode)."""
        return Role.ADMIN if self.actor is None else self.actor.role

    def can(self, action: str) -> bool:
        """Whether the person may ``action`` (see ``core.access.ACTIONS``); on a read-only
        store only reading the audit log is left."""
        if self.store_read_only and action != "read_audit":
            return False
        return self.actor is None or self.actor.can(action)


def _auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def _access_settings() -> Mapping[str, object]:
    try:
        section = st.secrets.get("access", {})
    except FileNotFoundError:
        return {}
    return dict(section) if isinstance(section, Mapping) else {}


def policy() -> AccessPolicy:
    """The allow-list and roles from ``[access]`` (relative roles files: the project folder)."""
    return policy_from_settings(_access_settings(), base=PROJECT_ROOT)


def gate(store: Store) -> User:
    """Let the person in (or show the sign-in page and stop); say in the sidebar who they are."""
    if store.read_only:
        st.sidebar.info(
            "**Read-only warehouse mode.** The app reads the warehouse and changes nothing: "
            "uploads, edits and forecasts are turned off here.",
            icon=":material/lock:",
        )
    if not _auth_configured():
        user = User(actor=None, store_read_only=store.read_only)
        st.session_state[_USER_KEY] = user
        if store.read_only:
            return user  # nothing can be changed, so nobody needs warning about who can
        st.sidebar.info(
            "**Local single-user mode.** No sign-in is set up, so anyone who can open this "
            "address can change everything. Set up `[auth]` in `.streamlit/secrets.toml` "
            "before sharing it.",
            icon=":material/lock_open:",
        )
        return user
    try:
        rules = policy()
    except AccessConfigError as problem:
        st.error(
            f"The access settings are not valid: {escape_markdown(str(problem))}",
            icon=":material/lock:",
        )
        st.stop()
    if not st.user.is_logged_in:
        _sign_in_page()
    email = str(st.user.get("email") or "").strip().lower()
    if not rules.allows(email):
        _not_allowed(email)
    name = str(st.user.get("name") or email)
    role = rules.role_for(email, audit.granted_roles(store.engine))
    user = User(
        actor=Actor(name=name, role=role, email=email, signed_in=True),
        store_read_only=store.read_only,
    )
    st.session_state[_USER_KEY] = user
    with st.sidebar:
        st.caption(f"Signed in as **{escape_markdown(name)}** ({ROLE_LABELS[role]})")
        st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="sign_out")
    return user


def _sign_in_page() -> None:
    st.title("Marketing Review")
    st.write("Sign in with your company account to see the review.")
    st.button("Sign in", type="primary", on_click=st.login, icon=":material/login:")
    st.stop()


def _not_allowed(email: str) -> None:
    st.title("Marketing Review")
    st.error(
        f"The account {escape_markdown(email) or 'you signed in with'} is not allowed to "
        "open this app. Sign in with your company account, or ask an admin to add you.",
        icon=":material/block:",
    )
    st.button("Sign out", on_click=st.logout, icon=":material/logout:")
    st.stop()


def user() -> User:
    """The person using this session (set by :func:`gate` in ``app.py`` on every run)."""
    found = st.session_state.get(_USER_KEY)
    return found if isinstance(found, User) else User(actor=None)


def can(action: str) -> bool:
    """Whether the person using this session may ``action``."""
    return user().can(action)


def who(key: str, label: str = "Your name", form: object = st) -> Actor | None:
    """Whom to record a change by: the signed-in person (shown, not asked), or in local mode
    the name typed into a text input (``None`` until one is typed)."""
    person = user()
    if person.actor is not None:
        form.caption(f"Recorded as {escape_markdown(person.actor.label)}")  # type: ignore[attr-defined]
        return person.actor
    # Streamlit forgets a widget's value once a run leaves it out (after a file is loaded the
    # load controls go away): the name typed is kept beside it so the next form offers it again.
    kept = f"_{key}_kept"
    if not st.session_state.get(key) and st.session_state.get(kept):
        st.session_state[key] = st.session_state[kept]
    typed = str(form.text_input(label, max_chars=80, key=key) or "").strip()  # type: ignore[attr-defined]
    if typed:
        st.session_state[kept] = typed
    return Actor.local(typed) if typed else None


def read_only_note(what: str, action: str) -> None:
    """Say why a form is missing: the store is read-only, or the role does not allow
    ``action``."""
    person = user()
    if person.store_read_only:
        st.info(f"{what} is turned off here. {READ_ONLY_MESSAGE}", icon=":material/lock:")
        return
    st.caption(
        f"{what} is for {_needed_label(action)}s; you are signed in as a "
        f"{person.role.value}. Ask an admin if you need to change this.",
    )


def _needed_label(action: str) -> str:
    return ACTIONS[action][0].value
