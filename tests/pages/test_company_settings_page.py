"""Company settings on the Data page (ui/company.py): the set-up step on an empty store, the
sidebar's line, the change with its effect shown before it is applied, the currency refusal, and
who may see the form."""

from __future__ import annotations

from datetime import date

import pytest

from core.calendar import FiscalCalendar
from core.store.engine import create_store_engine
from core.store.schema import migrate
from tests.pages.conftest import query_value
from tests.pages.helpers import open_page
from tests.pages.test_access_page import on_page, signed_in
from tests.pages.test_app import assert_no_errors
from tests.stores import fresh_store_url

DATA = "pages/data.py"


@pytest.fixture
def empty_url(tmp_path) -> str:
    url = fresh_store_url(tmp_path / "empty.duckdb")
    engine = create_store_engine(url)
    migrate(engine)
    engine.dispose()
    return url


def button(app, label: str):
    return next(item for item in app.button if item.label == label)


def labels(app) -> list[str]:
    return [item.label for item in app.button]


def stored(url: str, key: str) -> object:
    return query_value(url, f"select value from settings where key = '{key}'")


def quarter_today(start_month: int) -> str:
    return FiscalCalendar(start_month).quarter_containing(date.today()).label


def test_an_empty_store_shows_the_set_up_step(app_for, empty_url):
    app = open_page(app_for, empty_url, DATA)
    assert [item.value for item in app.subheader] == ["Set up your company"]
    assert app.text_input(key="company_setup_name").value == ""
    assert app.selectbox(key="company_setup_month").value is None
    assert app.selectbox(key="company_setup_currency").options[:3] == [
        "EUR · Euro",
        "USD · US dollar",
        "GBP · Pound sterling",
    ]
    assert button(app, "Save the company settings").disabled
    assert any(
        item.value == "Fill in the company name, the month the fiscal year starts in, the "
        "reporting currency and your name to save."
        for item in app.caption
    )
    assert not app.sidebar.caption  # nothing set up to show
    assert not app.expander


def test_filling_in_the_set_up_stores_the_settings_and_the_sidebar_shows_them(app_for, empty_url):
    app = open_page(app_for, empty_url, DATA)
    app.text_input(key="company_setup_name").input("Acme")
    app.selectbox(key="company_setup_month").set_value(4).run()
    assert_no_errors(app)
    preview = app.info[0].value
    assert preview.startswith("Today, ") and f"falls in {quarter_today(4)} (" in preview
    app.selectbox(key="company_setup_currency").set_value("EUR")
    app.text_input(key="company_setup_by").input("Dana Lee").run()
    assert not button(app, "Save the company settings").disabled
    button(app, "Save the company settings").click().run()
    assert_no_errors(app)
    shown = app.success[0].value.replace("\\", "")
    assert shown.startswith("Company name set to Acme.\n\nFiscal year starts in April, named by")
    assert "Reporting currency set to EUR" in shown
    assert [item.value for item in app.sidebar.caption] == ["Acme · FY starts April · EUR"]
    assert [item.label for item in app.expander] == ["Company settings"]  # the step is done
    assert not app.subheader
    assert (stored(empty_url, "company_name"), stored(empty_url, "fiscal_year_start_month"),
            stored(empty_url, "fiscal_year_named_by"), stored(empty_url, "currency")) == (
        "Acme", "4", "end", "EUR")  # fmt: skip
    assert stored(empty_url, "company_name") == "Acme"
    assert (
        query_value(empty_url, "select updated_by from settings where key = 'currency'")
        == "Dana Lee"
    )
    # The sidebar line stays on every page.
    app.switch_page("pages/overview.py").run()
    assert "Acme · FY starts April · EUR" in [item.value for item in app.sidebar.caption]


def test_a_company_name_is_shown_as_text_not_markdown(app_for, empty_url):
    app = open_page(app_for, empty_url, DATA)
    app.text_input(key="company_setup_name").input("**Acme** [x](http://evil.example)")
    app.selectbox(key="company_setup_month").set_value(1)
    app.selectbox(key="company_setup_currency").set_value("USD")
    app.text_input(key="company_setup_by").input("Dana").run()
    button(app, "Save the company settings").click().run()
    assert_no_errors(app)
    caption = app.sidebar.caption[0].value
    assert caption.startswith("\\*\\*Acme\\*\\* \\[x\\]\\(http\\:")  # escaped: no bold, no link


def test_the_currency_change_refusal_is_an_error_not_a_traceback(app_for, demo_store_url):
    app = open_page(app_for, demo_store_url, DATA)
    assert app.expander[0].label == "Company settings"
    assert not app.subheader  # no set-up step: the demo is set up
    app.selectbox(key="company_change_currency").set_value("EUR").run()
    assert not app.exception
    assert len(app.error) == 1
    message = app.error[0].value.replace("\\", "")
    assert message.startswith(
        "To report in EUR, every amount is restated through EUR's rate to USD, and some months "
        "have none: EUR in "
    )
    assert message.endswith("then change the currency.")
    assert "Apply the change" not in labels(app)
    assert stored(demo_store_url, "currency") == "USD"


def test_a_fiscal_year_change_is_previewed_then_applied(app_for, demo_store_url):
    app = open_page(app_for, demo_store_url, DATA)
    app.selectbox(key="company_change_month").set_value(4).run()
    assert_no_errors(app)
    preview = next(item.value for item in app.info if "What the change does" in item.value)
    preview = preview.replace("\\", "")
    assert preview.startswith("**What the change does**\n\nFiscal year now starts in April "
                              "(was February): the current quarter ")  # fmt: skip
    assert "were loaded with period labels of the old calendar" in preview
    assert stored(demo_store_url, "fiscal_year_start_month") == "2"  # previewed, not applied
    app.text_input(key="company_change_by").input("Dana Lee").run()
    button(app, "Apply the change").click().run()
    assert_no_errors(app)
    assert app.success[0].value.replace("\\", "").startswith("Fiscal year now starts in April")
    assert stored(demo_store_url, "fiscal_year_start_month") == "4"
    assert "Lumora Analytics · FY starts April · USD" in [
        item.value for item in app.sidebar.caption
    ]
    assert app.sidebar.selectbox[0].value == quarter_today(4)  # the quarters follow


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_admins_see_the_form(app_for, empty_url, demo_store_url, role):
    app = on_page(signed_in(app_for, empty_url, role), DATA)
    assert [item.value for item in app.subheader] == ["Set up your company"]
    assert not any(item.key.startswith("company_") for item in app.text_input)
    assert not any(item.key and item.key.startswith("company_") for item in app.selectbox)
    assert any(
        item.value.startswith("Setting up the company is for admins; you are signed in as a "
                              f"{role}.") for item in app.caption
    )  # fmt: skip
    app = on_page(signed_in(app_for, demo_store_url, role), DATA)
    assert not any(item.key.startswith("company_") for item in app.text_input)
    assert any("Changing the company settings is for admins" in item.value for item in app.caption)
    assert any("Lumora Analytics" in item.value for item in app.markdown)


def test_an_admin_sets_up_the_company_recorded_as_themselves(app_for, empty_url):
    app = on_page(signed_in(app_for, empty_url, "admin"), DATA)
    assert "company_setup_by" not in [item.key for item in app.text_input]  # signed in: known
    app.text_input(key="company_setup_name").input("Acme")
    app.selectbox(key="company_setup_month").set_value(7)
    app.selectbox(key="company_setup_named_by").set_value("start")
    app.selectbox(key="company_setup_currency").set_value("CHF").run()
    button(app, "Save the company settings").click().run()
    assert_no_errors(app)
    assert [item.value for item in app.sidebar.caption][-1] == "Acme · FY starts July · CHF"
    assert (
        query_value(empty_url, "select updated_by from settings where key = 'fiscal_year_named_by'")
        == "Ada Admin <ada@example.com>"
    )
