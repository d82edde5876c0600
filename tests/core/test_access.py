"""Roles, actions and the allow-list (core.access): who may do what, and who is let in."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.access import (
    ACTIONS,
    AccessConfigError,
    AccessDeniedError,
    AccessPolicy,
    Actor,
    Role,
    acting,
    load_roles_file,
    policy_from_settings,
    require,
)

VIEWER = Actor("Vera Viewer", Role.VIEWER, email="vera@example.com", signed_in=True)
EDITOR = Actor("Ed Editor", Role.EDITOR, email="ed@example.com", signed_in=True)
ADMIN = Actor("Ada Admin", Role.ADMIN, email="ada@example.com", signed_in=True)

# Hand-written: the rights the issue gives each role, action by action.
EXPECTED = {
    "upload": (False, True, True),
    "undo_upload": (False, True, True),
    "edit_goals": (False, True, True),
    "comment_goal": (False, True, True),
    "submit_forecast": (False, True, True),
    "save_scenario": (False, True, True),
    "start_review": (False, True, True),
    "review_note": (False, True, True),
    "review_decision": (False, True, True),
    "change_definition": (False, False, True),
    "change_setting": (False, False, True),
    "change_role": (False, False, True),
    "read_audit": (False, False, True),
}


def test_every_action_has_an_expected_row():
    assert set(EXPECTED) == set(ACTIONS)


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_each_role_may_do_what_the_issue_says(action):
    assert (VIEWER.can(action), EDITOR.can(action), ADMIN.can(action)) == EXPECTED[action]


def test_a_refusal_names_the_person_the_action_and_the_role_needed():
    with pytest.raises(AccessDeniedError) as refused:
        require(VIEWER, "upload")
    message = str(refused.value)
    assert "Vera Viewer <vera@example.com>" in message
    assert "viewer" in message and "load a file" in message and "editor role" in message
    assert isinstance(refused.value, PermissionError)
    assert require(EDITOR, "upload") is EDITOR


def test_an_unknown_action_names_itself():
    with pytest.raises(ValueError, match=r"action must be one of .*got 'delete_everything'"):
        ADMIN.can("delete_everything")


@given(st.sampled_from(list(Role)), st.sampled_from(list(Role)), st.sampled_from(list(ACTIONS)))
def test_a_higher_role_may_do_everything_a_lower_one_may(low, high, action):
    if low.rank <= high.rank and Actor("a", low).can(action):
        assert Actor("b", high).can(action)


def test_a_local_caller_is_an_admin_named_by_what_they_type():
    local = acting(None, "  Pat  ", "change_role")
    assert local == Actor("Pat", Role.ADMIN)
    assert local.label == "Pat" and not local.signed_in


def test_a_signed_in_person_is_checked_and_recorded_as_themselves():
    assert acting(EDITOR, "someone else", "upload") is EDITOR
    with pytest.raises(AccessDeniedError):
        acting(EDITOR, "Pat", "change_definition")


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "the name is required"), ("   ", "the name is required"), ("x" * 121, "keep it to 120")],
)
def test_an_actor_needs_a_sensible_name(name, message):
    with pytest.raises(ValueError, match=message):
        Actor(name, Role.VIEWER)


def test_an_actor_with_an_unknown_role_is_refused():
    with pytest.raises(AccessConfigError, match="one of viewer, editor, admin; got 'owner'"):
        Actor("x", "owner")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# The allow-list and roles
# --------------------------------------------------------------------------------------------
POLICY = policy_from_settings(
    {
        "allowed_domains": ["example.com", "@Sub.Example.org"],
        "allowed_emails": ["Board@Partner.example"],
        "roles": {"CMO@example.com": "admin", "ops@example.com": "editor", "x@vendor.io": "viewer"},
    }
)


@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("ceo@example.com", True),  # the domain
        ("CEO@EXAMPLE.COM", True),  # case does not matter
        ("a@sub.example.org", True),  # "@" before a domain is dropped
        ("board@partner.example", True),  # a named address
        ("x@vendor.io", True),  # named in roles
        ("other@partner.example", False),  # the domain of a named address is not let in
        ("mallory@example.com.evil.io", False),  # a look-alike domain
        ("mallory@evilexample.com", False),
        ("", False),
        (None, False),
        ("not-an-email", False),
    ],
)
def test_the_allow_list(email, allowed):
    assert POLICY.allows(email) is allowed


@pytest.mark.parametrize(
    ("email", "granted", "role"),
    [
        ("ceo@example.com", {}, Role.VIEWER),  # the default
        ("ops@example.com", {}, Role.EDITOR),  # configured
        ("ceo@example.com", {"ceo@example.com": Role.EDITOR}, Role.EDITOR),  # granted in the app
        ("ops@example.com", {"ops@example.com": Role.VIEWER}, Role.VIEWER),  # the grant wins
        ("cmo@example.com", {"cmo@example.com": Role.VIEWER}, Role.ADMIN),  # admins stay admins
    ],
)
def test_the_role_of_a_person(email, granted, role):
    assert POLICY.role_for(email, granted) is role


def test_nobody_is_let_in_by_an_empty_policy():
    assert not AccessPolicy().allows("anyone@example.com")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"allowed_domain": ["x.com"]}, "unknown setting allowed_domain"),
        ({"allowed_domains": "example.com"}, "allowed_domains: expected a list"),
        ({"allowed_emails": [""]}, "allowed_emails: every entry must be a non-empty string"),
        ({"default_role": "boss"}, r"\[access\] default_role: the role must be one of"),
        ({"roles": {"not-an-email": "admin"}}, "'not-an-email' is not an email address"),
        ({"roles": {"a@b.com": "superuser"}}, r"\[access.roles\] a@b.com: the role must be"),
        ({"roles": ["a@b.com"]}, "expected a table of email = role"),
        ({"roles_file": "/nonexistent/roles.toml"}, "roles file /nonexistent/roles.toml does not"),
    ],
)
def test_a_malformed_setting_names_itself(settings, message):
    with pytest.raises(AccessConfigError, match=message):
        policy_from_settings(settings)


def test_a_roles_file_is_read_and_the_secrets_win(tmp_path: Path):
    roles = tmp_path / "roles.toml"
    roles.write_text('[roles]\n"a@example.com" = "editor"\n"b@example.com" = "admin"\n')
    policy = policy_from_settings(
        {"roles_file": "roles.toml", "roles": {"a@example.com": "viewer"}}, base=tmp_path
    )
    assert policy.roles == {"a@example.com": Role.VIEWER, "b@example.com": Role.ADMIN}
    assert policy.admins == {"b@example.com"}


def test_a_broken_roles_file_names_the_file(tmp_path: Path):
    roles = tmp_path / "roles.toml"
    roles.write_text("[roles\n")
    with pytest.raises(AccessConfigError, match=r"roles\.toml is not valid TOML"):
        load_roles_file(roles)


def test_the_committed_roles_example_parses():
    example = Path(__file__).resolve().parents[2] / ".streamlit" / "roles.toml.example"
    assert load_roles_file(example)["cmo@example.com"] is Role.ADMIN
