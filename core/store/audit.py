"""The audit log and roles granted in the app.

:func:`record` appends one row in the caller's transaction, so a change and its audit row are
stored together or not at all. Nothing here (or anywhere in the code) updates or deletes an
audit row: the log is append-only, and ``tests/core/store/test_audit.py`` holds the code to it.
"""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.access import ACTIONS, Actor, Role, acting, require
from core.store.engine import ensure_writable
from core.store.schema import audit_log, role_grants

MAX_AUDIT_ROWS = 5_000
MAX_SUMMARY_LENGTH = 500


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def record(
    connection: Connection,
    actor: Actor,
    action: str,
    target: str,
    summary: str,
    before: object = None,
    after: object = None,
    now: datetime | None = None,
) -> None:
    """Append who did ``action`` to ``target``, with the state ``before`` and ``after``.

    Every change is recorded here, in its own transaction: a read-only store refuses it here
    too (rolling the change back), whatever entry point it came through.
    """
    ensure_writable(connection)
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}; got {action!r}")
    connection.execute(
        audit_log.insert().values(
            changed_at=now or datetime.now(),
            actor=actor.label,
            actor_email=actor.email,
            role=actor.role.value,
            action=action,
            target=target,
            summary=summary[:MAX_SUMMARY_LENGTH],
            before_json=_json(before),
            after_json=_json(after),
        )
    )


def entries(
    engine: Engine,
    actor: Actor,
    action: str | None = None,
    person: str | None = None,
    limit: int = 1_000,
) -> pd.DataFrame:
    """The newest audit rows first (at most ``limit``, capped at :data:`MAX_AUDIT_ROWS`),
    optionally of one ``action`` or one person (``person`` matches the recorded name or
    email). Admins only: :class:`core.access.AccessDeniedError` for anyone else."""
    require(actor, "read_audit")
    if action is not None and action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}; got {action!r}")
    if not 1 <= limit <= MAX_AUDIT_ROWS:
        raise ValueError(f"limit must be 1 to {MAX_AUDIT_ROWS:,}, got {limit!r}")
    query = sa.select(audit_log).order_by(audit_log.c.audit_id.desc()).limit(limit)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    if person:
        pattern = f"%{person.strip().lower()}%"
        query = query.where(
            sa.func.lower(audit_log.c.actor).like(pattern)
            | sa.func.lower(sa.func.coalesce(audit_log.c.actor_email, "")).like(pattern)
        )
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


# --------------------------------------------------------------------------------------------
# Roles granted in the app
# --------------------------------------------------------------------------------------------
def granted_roles(engine: Engine) -> dict[str, Role]:
    """Each person's newest role granted in the app, by lower-case email."""
    newest = (
        sa.select(
            role_grants.c.email,
            role_grants.c.role,
            sa.func.row_number()
            .over(partition_by=role_grants.c.email, order_by=role_grants.c.grant_id.desc())
            .label("rank"),
        )
    ).subquery()
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(newest.c.email, newest.c.role).where(newest.c.rank == 1)
        ).all()
    return {str(email): Role(str(role)) for email, role in rows}


def role_grant_list(engine: Engine) -> pd.DataFrame:
    """Every person with a role granted in the app: email, role, by whom and when."""
    newest = (
        sa.select(
            role_grants,
            sa.func.row_number()
            .over(partition_by=role_grants.c.email, order_by=role_grants.c.grant_id.desc())
            .label("rank"),
        )
    ).subquery()
    with engine.connect() as connection:
        return pd.read_sql(
            sa.select(newest.c.email, newest.c.role, newest.c.granted_by, newest.c.granted_at)
            .where(newest.c.rank == 1)
            .order_by(newest.c.email),
            connection,
        )


def grant_role(
    engine: Engine,
    email: str,
    role: Role | str,
    by: str = "",
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> None:
    """Give ``email`` the ``role`` in the app (admins only); the change is audited."""
    ensure_writable(engine)
    who = acting(actor, by, "change_role")
    address = email.strip().lower()
    if "@" not in address or address.startswith("@") or address.endswith("@") or " " in address:
        raise ValueError(f"email must be an email address such as name@example.com; got {email!r}")
    new_role = Role(str(role).lower()) if str(role).lower() in {r.value for r in Role} else None
    if new_role is None:
        raise ValueError(f"role must be one of viewer, editor, admin; got {role!r}")
    now = now or datetime.now()
    before = granted_roles(engine).get(address)
    if before is new_role:
        raise ValueError(f"{address} already has the {new_role.value} role.")
    with engine.begin() as connection:
        connection.execute(
            role_grants.insert().values(
                email=address, role=new_role.value, granted_by=who.label, granted_at=now
            )
        )
        record(
            connection,
            who,
            "change_role",
            f"role of {address}",
            f"{address}: {before.value if before else 'configured role'} -> {new_role.value}",
            before={"role": before.value if before else None},
            after={"role": new_role.value},
            now=now,
        )
