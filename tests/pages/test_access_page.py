"""Sign-in, roles and the Audit page (pages/audit.py), with simulated users of each role.

``AppTest.user`` stands in for the identity the OpenID Connect provider returns, and
``AppTest.secrets`` for ``.streamlit/secrets.toml``: the app's own gate decides the rest.
"""

from __future__ import annotations

import pytest

from tests.pages.conftest import query_value, scalar
from tests.pages.test_app import assert_no_errors

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-that-is-long-enough",
    "client_id": "marketing-review",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
}
ACCESS = {
    "allowed_domains": ["example.com"],
    "roles": {"ada@example.com": "admin", "ed@example.com": "editor"},
}
PEOPLE = {
    "viewer": ("vera@example.com", "Vera Viewer"),
    "editor": ("ed@example.com", "Ed Editor"),
    "admin": ("ada@example.com", "Ada Admin"),
}
CAMPAIGNS = (
    "campaign_id,campaign_name,channel,objective,start_date,end_date,budget,goal_id,owner\n"
    "C-ACC-1,Partner Roadshow,Events,Demand generation,2026-03-01,2026-03-31,12000,,Lena Fischer\n"
)


def signed_in(app_for, url: str, role: str | None, access: dict | None = None, **query: str):
    """The app on ``url`` with sign-in configured and the person of ``role`` signed in
    (``role=None``: nobody signed in yet)."""
    app = app_for(url, **query)
    app.secrets["auth"] = AUTH
    app.secrets["access"] = access if access is not None else ACCESS
    if role is None:
        app.user = {"is_logged_in": False}
    else:
        email, name = PEOPLE.get(role, (role, role))
        app.user = {"is_logged_in": True, "email": email, "name": name}
    return app


def on_page(app, page: str):
    app.run()
    app.switch_page(page).run()
    assert_no_errors(app)
    return app


def labels(app) -> list[str]:
    return [button.label for button in app.button]


def test_without_auth_the_app_says_it_is_in_local_single_user_mode(app_for, demo_store_url):
    app = app_for(demo_store_url).run()
    assert any("Local single-user mode" in item.value for item in app.sidebar.info)
    assert not any(button.label == "Sign out" for button in app.sidebar.button)


def test_with_auth_nobody_sees_a_number_before_signing_in(app_for, demo_store_url):
    app = signed_in(app_for, demo_store_url, None).run()
    assert not app.exception
    assert [title.value for title in app.title] == ["Marketing Review"]
    assert "Sign in" in labels(app)
    assert not app.metric and not app.dataframe


def test_someone_outside_the_allow_list_is_turned_away(app_for, demo_store_url):
    app = signed_in(app_for, demo_store_url, "mallory@elsewhere.io").run()
    assert any("mallory@elsewhere" in error.value and "not allowed" in error.value
               for error in app.error)  # fmt: skip
    assert not app.metric and "Sign out" in labels(app)


def test_a_malformed_access_setting_is_named(app_for, demo_store_url):
    app = signed_in(app_for, demo_store_url, "viewer", access={"allowed_domain": ["x"]}).run()
    assert not app.exception
    # The message is Markdown with the setting's text escaped; read it as the user sees it.
    assert any(
        "unknown setting allowed_domain" in error.value.replace("\\", "") for error in app.error
    )


def test_a_signed_in_person_sees_who_they_are_and_can_sign_out(app_for, demo_store_url):
    app = signed_in(app_for, demo_store_url, "editor").run()
    assert_no_errors(app)
    assert any("Ed Editor" in caption.value and "Editor" in caption.value
               for caption in app.sidebar.caption)  # fmt: skip
    assert "Sign out" in [button.label for button in app.sidebar.button]
    assert not any("Local single-user mode" in item.value for item in app.sidebar.info)


def test_a_viewer_sees_the_numbers_but_no_way_to_change_them(app_for, demo_store_url):
    app = on_page(signed_in(app_for, demo_store_url, "viewer"), "pages/overview.py")
    assert app.metric  # the numbers are there
    assert not any(expander.label.startswith("Start a review") for expander in app.expander)
    assert not any(expander.label.startswith("Add commentary") for expander in app.expander)

    app = on_page(signed_in(app_for, demo_store_url, "viewer"), "pages/data.py")
    assert not app.get("file_uploader")
    assert any("Loading exports is for editors" in caption.value for caption in app.caption)
    assert not any(button.label == "Undo" for button in app.button)

    app = on_page(signed_in(app_for, demo_store_url, "viewer"), "pages/goals.py")
    assert not any(label.startswith("Save ") for label in labels(app))
    assert any("Editing goals is for editors" in caption.value for caption in app.caption)

    app = on_page(signed_in(app_for, demo_store_url, "viewer"), "pages/forecasts.py")
    assert "Submit forecast" not in labels(app)

    app = on_page(signed_in(app_for, demo_store_url, "viewer"), "pages/definitions.py")
    assert "Record new version" not in labels(app)


def test_a_viewer_cannot_open_the_audit_page(app_for, demo_store_url):
    app = signed_in(app_for, demo_store_url, "viewer").run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("pages/audit.py")  # not in a viewer's menu at all


def test_an_editor_uploads_and_is_recorded_as_themselves(app_for, demo_store_url):
    app = on_page(signed_in(app_for, demo_store_url, "editor"), "pages/data.py")
    app.get("file_uploader")[0].set_value(
        ("roadshow.csv", CAMPAIGNS.encode("utf-8"), "text/csv")
    ).run()
    assert any("Recorded as Ed Editor" in caption.value for caption in app.caption)
    assert not any(text_input.key == "uploader_name" for text_input in app.text_input)
    next(button for button in app.button if button.label.startswith("Load ")).click().run()
    assert_no_errors(app)
    newest = "select max(upload_id) from uploads"
    assert query_value(
        demo_store_url, f"select uploaded_by from uploads where upload_id = ({newest})"
    ) == ("Ed Editor <ed@example.com>")
    assert (
        query_value(
            demo_store_url,
            "select actor_email || ' ' || action || ' ' || target from audit_log "
            "order by audit_id desc limit 1",
        )
        == f"ed@example.com upload upload {int(scalar(demo_store_url, newest))}"
    )
    # ...but an editor may not change definitions or read the audit log
    app = on_page(signed_in(app_for, demo_store_url, "editor"), "pages/definitions.py")
    assert "Record new version" not in labels(app)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("pages/audit.py")


def test_an_admin_reads_the_audit_log_and_gives_a_role(app_for, demo_store_url):
    app = on_page(signed_in(app_for, demo_store_url, "admin"), "pages/audit.py")
    assert app.title[0].value == "Audit"
    assert app.dataframe  # the demo's own loads are in the log
    app.selectbox(key="audit_action").select("change_role").run()
    assert any("No change matches" in item.value for item in app.info)

    app.text_input(key="grant_email").input("vera@example.com")
    app.selectbox(key="grant_role").select("editor")
    next(button for button in app.button if button.label == "Give the role").click().run()
    assert_no_errors(app)
    assert any(
        "vera@example.com now has the editor role" in item.value.replace("\\", "")
        for item in app.success
    )
    assert (
        query_value(
            demo_store_url,
            "select actor || '|' || summary from audit_log where action = 'change_role'",
        )
        == "Ada Admin <ada@example.com>|vera@example.com: configured role -> editor"
    )

    # Vera, a viewer by default, now sees the upload form.
    app = on_page(signed_in(app_for, demo_store_url, "viewer"), "pages/data.py")
    assert app.get("file_uploader")


@pytest.mark.parametrize("page", ["pages/scenarios.py", "pages/review.py"])
def test_the_other_pages_open_for_a_viewer(app_for, demo_store_url, page):
    app = on_page(signed_in(app_for, demo_store_url, "viewer"), page)
    assert "Save" not in labels(app) and "Start a review now" not in labels(app)
