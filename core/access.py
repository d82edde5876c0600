"""Who may see and change what: roles, the actions they allow, and who is let in.

Three roles, each with everything the one before it has:

- **viewer** sees every page and number and changes nothing;
- **editor** also uploads and undoes files, edits goals, enters forecasts, writes commentary,
  saves scenarios and starts reviews;
- **admin** also changes metric definitions, settings and roles, and reads the audit log.

The app asks :meth:`Actor.can` to decide what to show; every write in ``core.store`` calls
:func:`require` as well, so a viewer calling the core directly is refused too.

Where people come from is :class:`AccessPolicy`: the allow-list of email domains and addresses,
the roles named in the secrets or a roles file, and the role everyone else allowed in gets.
A person at the command line or in the app's local single-user mode is :meth:`Actor.local`:
whoever can open the store file owns it, so they are an admin named by what they type.

Pure: no Streamlit, no database.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType


class Role(StrEnum):
    """What a person may do; each role has every right of the ones before it."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """0 for viewer, 1 for editor, 2 for admin."""
        return list(Role).index(self)


ROLE_LABELS: Mapping[Role, str] = MappingProxyType(
    {Role.VIEWER: "Viewer", Role.EDITOR: "Editor", Role.ADMIN: "Admin"}
)

# Every change the store accepts, with the least role that may make it and how it reads.
ACTIONS: Mapping[str, tuple[Role, str]] = MappingProxyType(
    {
        "upload": (Role.EDITOR, "load a file"),
        "undo_upload": (Role.EDITOR, "undo an upload"),
        "edit_goals": (Role.EDITOR, "edit goals"),
        "comment_goal": (Role.EDITOR, "comment on a goal"),
        "submit_forecast": (Role.EDITOR, "enter a forecast"),
        "save_scenario": (Role.EDITOR, "save a budget scenario"),
        "start_review": (Role.EDITOR, "start a review"),
        "review_note": (Role.EDITOR, "write a review note"),
        "review_decision": (Role.EDITOR, "record a decision"),
        "change_definition": (Role.ADMIN, "change a metric definition"),
        "change_setting": (Role.ADMIN, "change a setting"),
        "change_role": (Role.ADMIN, "change someone's role"),
        "read_audit": (Role.ADMIN, "read the audit log"),
    }
)

MAX_NAME_LENGTH = 120


class AccessDeniedError(PermissionError):
    """Someone tried a change their role does not allow; the message says who, what and why."""


class AccessConfigError(ValueError):
    """The access settings (secrets or roles file) are malformed; the message names the key."""


def parse_role(value: object, where: str) -> Role:
    """``value`` as a :class:`Role`; :class:`AccessConfigError` naming ``where`` otherwise."""
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text not in {role.value for role in Role}:
        allowed = ", ".join(role.value for role in Role)
        raise AccessConfigError(f"{where}: the role must be one of {allowed}; got {value!r}")
    return Role(text)


@dataclass(frozen=True)
class Actor:
    """A person making a change: how they are named in the store, their email and role.

    Examples
    --------
    >>> Actor("Dana Lee", Role.EDITOR, email="dana@example.com").label
    'Dana Lee <dana@example.com>'
    >>> Actor.local("ops").can("change_definition")
    True
    >>> Actor("Sam", Role.VIEWER).can("upload")
    False
    """

    name: str
    role: Role
    email: str | None = None
    signed_in: bool = False

    def __post_init__(self) -> None:
        name = self.name.strip()
        if not name:
            raise ValueError("Say who is making the change: the name is required.")
        if len(name) > MAX_NAME_LENGTH:
            raise ValueError(f"The name is {len(name)} characters; keep it to {MAX_NAME_LENGTH}.")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "role", parse_role(str(self.role), "role"))

    @classmethod
    def local(cls, name: str) -> Actor:
        """Someone at the command line or in local single-user mode: an admin named by ``name``."""
        return cls(name=name, role=Role.ADMIN)

    @property
    def label(self) -> str:
        """How the store records the person: name and, when signed in, the email."""
        if self.email and self.email.lower() != self.name.lower():
            return f"{self.name} <{self.email}>"
        return self.name

    def can(self, action: str) -> bool:
        """Whether the role allows ``action`` (a key of :data:`ACTIONS`)."""
        return self.role.rank >= _needed(action).rank


def _needed(action: str) -> Role:
    if action not in ACTIONS:
        known = ", ".join(ACTIONS)
        raise ValueError(f"action must be one of {known}; got {action!r}")
    return ACTIONS[action][0]


def require(actor: Actor, action: str) -> Actor:
    """``actor`` when their role allows ``action``; :class:`AccessDeniedError` otherwise."""
    if not actor.can(action):
        needed, words = ACTIONS[action]
        raise AccessDeniedError(
            f"{actor.label} is a {actor.role.value} and may not {words}: "
            f"that needs the {needed.value} role. Ask an admin to change your role."
        )
    return actor


def acting(actor: Actor | None, typed_name: str, action: str) -> Actor:
    """Who a store write is made by: ``actor`` when the app gives one (checked against
    ``action``), else a local caller named ``typed_name`` (the command line, scripts, tests).

    A signed-in person is always recorded as themselves, whatever name a form holds.
    """
    if actor is None:
        return Actor.local(typed_name)
    return require(actor, action)


def _addresses(values: object, where: str) -> frozenset[str]:
    if values is None:
        return frozenset()
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise AccessConfigError(f"{where}: expected a list of strings, got {values!r}")
    found = set()
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise AccessConfigError(f"{where}: every entry must be a non-empty string")
        found.add(value.strip().lower().lstrip("@"))
    return frozenset(found)


@dataclass(frozen=True)
class AccessPolicy:
    """Who is let in after signing in, and with which role.

    ``allowed_domains`` and ``allowed_emails`` are the allow-list (lower case, domains without
    "@"); when both are empty nobody is let in, so a deployment never opens by accident.
    ``roles`` names people's roles; everyone else let in gets ``default_role``.
    """

    allowed_domains: frozenset[str] = frozenset()
    allowed_emails: frozenset[str] = frozenset()
    roles: Mapping[str, Role] = field(default_factory=lambda: MappingProxyType({}))
    default_role: Role = Role.VIEWER

    def allows(self, email: str | None) -> bool:
        """Whether ``email`` is on the allow-list (by address, by domain, or by a named role)."""
        if not email or "@" not in email:
            return False
        address = email.strip().lower()
        domain = address.rsplit("@", 1)[1]
        listed = address in self.allowed_emails or address in self.roles
        return listed or domain in self.allowed_domains

    def role_for(self, email: str, granted: Mapping[str, Role] | None = None) -> Role:
        """The role of ``email``: an admin's grant in the app (``granted``) wins over the
        configured role, except that a configured admin stays admin (nobody locks them out)."""
        address = email.strip().lower()
        configured = self.roles.get(address, self.default_role)
        if configured is Role.ADMIN:
            return Role.ADMIN
        return (granted or {}).get(address, configured)

    @property
    def admins(self) -> frozenset[str]:
        """The configured admins' addresses."""
        return frozenset(email for email, role in self.roles.items() if role is Role.ADMIN)


def policy_from_settings(settings: Mapping[str, object], base: Path | None = None) -> AccessPolicy:
    """An :class:`AccessPolicy` from the ``[access]`` secrets section.

    Keys: ``allowed_domains`` and ``allowed_emails`` (lists), ``default_role``, ``roles`` (a
    table of email = role) and ``roles_file`` (a TOML file with such a ``[roles]`` table,
    relative to ``base``). Roles named in the secrets win over the file's.

    Examples
    --------
    >>> policy = policy_from_settings(
    ...     {"allowed_domains": ["example.com"], "roles": {"cmo@example.com": "admin"}}
    ... )
    >>> policy.allows("ceo@example.com"), policy.allows("someone@gmail.com")
    (True, False)
    >>> policy.role_for("cmo@example.com").value, policy.role_for("ceo@example.com").value
    ('admin', 'viewer')
    """
    known = {"allowed_domains", "allowed_emails", "default_role", "roles", "roles_file"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise AccessConfigError(
            f"[access]: unknown setting {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    roles: dict[str, Role] = {}
    roles_file = settings.get("roles_file")
    if roles_file:
        path = Path(str(roles_file))
        roles.update(load_roles_file(path if path.is_absolute() else (base or Path()) / path))
    roles.update(_roles_table(settings.get("roles") or {}, "[access.roles]"))
    return AccessPolicy(
        allowed_domains=_addresses(settings.get("allowed_domains"), "[access] allowed_domains"),
        allowed_emails=_addresses(settings.get("allowed_emails"), "[access] allowed_emails"),
        roles=MappingProxyType(roles),
        default_role=parse_role(settings.get("default_role", "viewer"), "[access] default_role"),
    )


def _roles_table(table: object, where: str) -> dict[str, Role]:
    if not isinstance(table, Mapping):
        raise AccessConfigError(f"{where}: expected a table of email = role, got {table!r}")
    roles = {}
    for email, role in table.items():
        if not isinstance(email, str) or "@" not in email:
            raise AccessConfigError(f"{where}: {email!r} is not an email address")
        roles[email.strip().lower()] = parse_role(role, f"{where} {email}")
    return roles


def load_roles_file(path: Path) -> dict[str, Role]:
    """The ``[roles]`` table of a TOML roles file; :class:`AccessConfigError` naming the file."""
    try:
        parsed = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AccessConfigError(f"roles file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as problem:
        raise AccessConfigError(f"roles file {path} is not valid TOML: {problem}") from None
    return _roles_table(parsed.get("roles", {}), f"{path} [roles]")
