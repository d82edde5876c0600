"""Every change is refused to a role that may not make it, and audited with who made it.

The store's own write functions are called directly, as a script or a page would: the check is
in the core, not only in the UI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.access import AccessDeniedError, Actor, Role
from core.definitions import ProposedChange
from core.store import audit, queries
from core.store import definitions as store_definitions
from core.store import forecasts as store_forecasts
from core.store import goals as store_goals
from core.store import reviews as store_reviews
from core.store import scenarios as store_scenarios
from core.store.engine import create_store_engine
from core.store.ingest.pipeline import IngestOptions, ingest_file, undo_upload
from tests.conftest import copy_store

ROOT = Path(__file__).resolve().parents[3]
VIEWER = Actor("Vera Viewer", Role.VIEWER, email="vera@example.com", signed_in=True)
EDITOR = Actor("Ed Editor", Role.EDITOR, email="ed@example.com", signed_in=True)
ADMIN = Actor("Ada Admin", Role.ADMIN, email="ada@example.com", signed_in=True)
NOW = datetime(2026, 11, 24, 10, 30)
CAMPAIGNS = ROOT / "data" / "examples" / "campaigns.csv"


@pytest.fixture
def engine(demo_template, tmp_path):
    engine = create_store_engine(copy_store(demo_template, tmp_path))
    store_reviews.start_review(engine, {"headlines": []}, "Local", date(2026, 11, 10))
    yield engine
    engine.dispose()


def _goal_id(engine) -> str:
    return str(store_goals.current_goals(engine)["goal_id"].iloc[0])


def _upload_id(engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text("select max(upload_id) from uploads where status = 'loaded'")
            ).scalar_one()
        )


def _period(engine):
    return queries.fiscal_calendar(queries.settings(engine)).quarter_containing(date.today())


# action -> (the write, as the actor; the target the audit row names)
WRITES: dict[str, Callable] = {
    "upload": lambda engine, actor: ingest_file(
        engine, CAMPAIGNS, IngestOptions(actor=actor, now=NOW)
    ),
    "undo_upload": lambda engine, actor: undo_upload(
        engine, _upload_id(engine), now=NOW, actor=actor
    ),
    "edit_goals": lambda engine, actor: store_goals.record_goal_edits(
        engine, {_goal_id(engine): {"owner": "New Owner"}}, now=NOW, actor=actor
    ),
    "comment_goal": lambda engine, actor: store_goals.add_comment(
        engine, _goal_id(engine), "Behind: two launches slipped.", now=NOW, actor=actor
    ),
    "submit_forecast": lambda engine, actor: store_forecasts.submit_forecast(
        engine,
        "Sales VP",
        _period(engine),
        "bookings",
        {"most_likely": 1_250_000.0},
        submitted_on=date.today(),
        now=NOW,
        actor=actor,
    ),
    "save_scenario": lambda engine, actor: store_scenarios.save_scenario(
        engine, "Cut paid social 20%", {"changes": {"paid_social": -0.2}}, now=NOW, actor=actor
    ),
    "start_review": lambda engine, actor: store_reviews.start_review(
        engine, {"headlines": []}, "", date(2026, 11, 24), now=NOW, actor=actor
    ),
    "review_note": lambda engine, actor: store_reviews.add_note(
        engine,
        store_reviews.load_review(engine).review_id,
        "CFO asked for the Q1 plan.",
        now=NOW,
        actor=actor,
    ),
    "review_decision": lambda engine, actor: store_reviews.record_decision(
        engine,
        store_reviews.load_review(engine).review_id,
        "Move $50k from display to search",
        "Marketing ops",
        date(2026, 12, 15),
        now=NOW,
        actor=actor,
    ),
    "change_definition": lambda engine, actor: store_definitions.record_change(
        engine,
        "bookings",
        ProposedChange(
            parameters={},
            description="Bookings: closed-won amounts, new business and expansion.",
            effective_from=date(2026, 12, 1),
            author="",
            reason="Finance asked for the wording to name expansion explicitly.",
        ),
        now=NOW,
        actor=actor,
    ),
    "change_setting": lambda engine, actor: store_reviews.set_cadence(
        engine, 21, now=NOW, actor=actor
    ),
    "change_role": lambda engine, actor: audit.grant_role(
        engine, "new.analyst@example.com", "editor", now=NOW, actor=actor
    ),
}
EDITOR_ACTIONS = [action for action in WRITES if EDITOR.can(action)]
ADMIN_ACTIONS = [action for action in WRITES if not EDITOR.can(action)]


def _counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        tables = [
            name
            for name in sa.inspect(connection).get_table_names()
            if name not in ("schema_versions",)
        ]
        return {
            name: int(connection.execute(sa.text(f"select count(*) from {name}")).scalar_one())
            for name in tables
        }


def test_every_action_that_changes_something_is_exercised():
    from core.access import ACTIONS

    assert set(WRITES) == set(ACTIONS) - {"read_audit"}


@pytest.mark.parametrize("action", sorted(WRITES))
def test_a_viewer_is_refused_every_change_and_nothing_is_stored(engine, action):
    before = _counts(engine)
    version = queries.data_version(engine)
    with pytest.raises(AccessDeniedError, match=r"Vera Viewer <vera@example\.com> is a viewer"):
        WRITES[action](engine, VIEWER)
    assert _counts(engine) == before
    assert queries.data_version(engine) == version


@pytest.mark.parametrize("action", ADMIN_ACTIONS)
def test_an_editor_is_refused_what_only_admins_may_do(engine, action):
    before = _counts(engine)
    with pytest.raises(AccessDeniedError, match="that needs the admin role"):
        WRITES[action](engine, EDITOR)
    assert _counts(engine) == before


@pytest.mark.parametrize(
    ("action", "actor"),
    [(action, EDITOR) for action in EDITOR_ACTIONS] + [(action, ADMIN) for action in WRITES],
    ids=lambda value: value.role.value if isinstance(value, Actor) else value,
)
def test_each_change_is_audited_with_the_person_who_made_it(engine, action, actor):
    WRITES[action](engine, actor)
    log = audit.entries(engine, ADMIN, action=action)
    assert len(log) >= 1
    newest = log.iloc[0]
    assert newest["actor"] == actor.label
    assert newest["actor_email"] == actor.email
    assert newest["role"] == actor.role.value
    assert newest["changed_at"] == NOW or (action == "start_review" and newest["changed_at"])
    assert newest["target"] and newest["summary"]
    assert newest["after_json"] is not None
    json.loads(newest["after_json"])  # before and after are readable JSON


def test_the_change_itself_records_the_signed_in_person_not_a_typed_name(engine):
    report = ingest_file(
        engine, CAMPAIGNS, IngestOptions(actor=EDITOR, uploaded_by="Somebody Else", now=NOW)
    )
    assert report.loaded
    with engine.connect() as connection:
        who = connection.execute(
            sa.text("select uploaded_by from uploads where upload_id = :id"),
            {"id": report.upload_id},
        ).scalar_one()
    assert who == "Ed Editor <ed@example.com>"


def test_before_and_after_say_what_changed(engine):
    goal_id = _goal_id(engine)
    owner = store_goals.current_goals(engine).set_index("goal_id").at[goal_id, "owner"]
    store_goals.record_goal_edits(engine, {goal_id: {"owner": "Jo Park"}}, now=NOW, actor=EDITOR)
    store_reviews.set_cadence(engine, 21, now=NOW, actor=ADMIN)
    edit = audit.entries(engine, ADMIN, action="edit_goals").iloc[0]
    assert json.loads(edit["before_json"]) == {f"{goal_id}.owner": owner}
    assert json.loads(edit["after_json"]) == {f"{goal_id}.owner": "Jo Park"}
    setting = audit.entries(engine, ADMIN, action="change_setting").iloc[0]
    assert json.loads(setting["after_json"]) == {"review_cadence_days": "21"}
    assert setting["target"] == "setting review_cadence_days"


def test_a_refused_or_failed_change_leaves_no_audit_row(engine):
    before = len(audit.entries(engine, ADMIN, limit=5_000))
    with pytest.raises(ValueError, match="The comment is empty"):
        store_goals.add_comment(engine, _goal_id(engine), "   ", actor=EDITOR)
    assert len(audit.entries(engine, ADMIN, limit=5_000)) == before


def test_only_admins_read_the_log(engine):
    with pytest.raises(AccessDeniedError, match="may not read the audit log"):
        audit.entries(engine, EDITOR)
    with pytest.raises(ValueError, match="limit must be 1 to 5,000"):
        audit.entries(engine, ADMIN, limit=0)
    with pytest.raises(ValueError, match="action must be one of"):
        audit.entries(engine, ADMIN, action="drop_table")


def test_the_log_filters_by_person(engine):
    WRITES["comment_goal"](engine, EDITOR)
    WRITES["change_setting"](engine, ADMIN)
    assert set(audit.entries(engine, ADMIN, person="ED@example")["actor"]) == {EDITOR.label}


def test_undo_keeps_the_upload_in_the_log(engine):
    report = ingest_file(engine, CAMPAIGNS, IngestOptions(actor=EDITOR, now=NOW))
    undo_upload(engine, report.upload_id, now=NOW, actor=ADMIN)
    log = audit.entries(engine, ADMIN, limit=10)
    assert list(log["action"][:2]) == ["undo_upload", "upload"]
    assert set(log["target"][:2]) == {f"upload {report.upload_id}"}


def test_a_granted_role_is_the_persons_newest_grant(engine):
    audit.grant_role(engine, "Jo@Example.com", "editor", now=NOW, actor=ADMIN)
    audit.grant_role(engine, "jo@example.com", "viewer", now=NOW, actor=ADMIN)
    assert audit.granted_roles(engine) == {"jo@example.com": Role.VIEWER}
    with pytest.raises(ValueError, match="already has the viewer role"):
        audit.grant_role(engine, "jo@example.com", "viewer", actor=ADMIN)
    with pytest.raises(ValueError, match="email must be an email address"):
        audit.grant_role(engine, "jo", "viewer", actor=ADMIN)
    with pytest.raises(ValueError, match="role must be one of viewer, editor, admin"):
        audit.grant_role(engine, "jo@example.com", "owner", actor=ADMIN)
    listed = audit.role_grant_list(engine)
    assert listed.to_dict("records")[0]["granted_by"] == ADMIN.label


def test_the_code_never_updates_or_deletes_an_audit_row():
    """Append-only by construction: no statement anywhere touches audit_log but an insert."""
    pattern = re.compile(
        r"audit_log\s*\.\s*(update|delete)\(|(update|delete\s+from|truncate)\s+audit_log",
        re.IGNORECASE,
    )
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("core", "ui", "pages", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert pattern.search("connection.execute(audit_log.delete())")  # the check bites
