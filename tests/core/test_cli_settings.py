"""``python -m core settings``: show the company settings, set them up, change them, and the
refusals (exit codes, one sentence on stderr, never a traceback)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from core.calendar import FiscalCalendar
from core.cli import main
from core.store.engine import READ_ONLY_ENV, create_store_engine
from core.store.schema import migrate
from tests.conftest import copy_store
from tests.stores import fresh_store_url

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, **(env or {})}
    environment.pop("MARKETING_REVIEW_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "core", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def cli(*arguments: str) -> tuple[int, str, str]:
    """Run the command in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(arguments), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def empty_url(tmp_path):
    url = fresh_store_url(tmp_path / "empty.duckdb")
    engine = create_store_engine(url)
    migrate(engine)
    engine.dispose()
    return url


def quarter_text(start_month: int, named_by: str = "end") -> tuple[str, date, date]:
    quarter = FiscalCalendar(start_month, named_by).quarter_containing(date.today())
    return quarter.label, quarter.start, quarter.end


def test_an_empty_store_says_how_to_set_it_up(empty_url):
    code, out, err = cli("settings", "--db", empty_url)
    assert (code, err) == (0, "")
    assert out == (
        "Not set up yet: the store reads with a January fiscal year and USD until you set it "
        "up:\n  python -m core settings --company-name NAME --fiscal-year-start MONTH "
        "--currency CODE\n"
    )
    code, out, _err = cli("settings", "--db", empty_url, "--json")
    assert code == 0 and json.loads(out)["set_up"] is False


def test_set_up_then_show_then_change(empty_url):
    code, out, err = cli(
        "settings", "--db", empty_url, "--company-name", " Acme ", "--fiscal-year-start",
        "April", "--currency", "eur", "--by", "Dana Lee",
    )  # fmt: skip
    assert (code, err) == (0, "")
    label, start, end = quarter_text(4)
    lines = out.splitlines()
    assert lines[0] == "Company name set to Acme."
    assert lines[1].startswith(
        f"Fiscal year starts in April, named by the year it ends in: the current quarter is {label} ("
    )
    assert lines[2].startswith("Reporting currency set to EUR: amounts load in EUR from now on")

    code, out, _err = cli("settings", "--db", empty_url, "--json")
    shown = json.loads(out)
    assert code == 0
    assert {key: shown[key] for key in ("set_up", "company_name", "fiscal_year_start_month",
                                        "fiscal_year_named_by", "currency", "current_quarter",
                                        "current_quarter_start", "current_quarter_end")} == {
        "set_up": True, "company_name": "Acme", "fiscal_year_start_month": 4,
        "fiscal_year_named_by": "end", "currency": "EUR", "current_quarter": label,
        "current_quarter_start": start.isoformat(), "current_quarter_end": end.isoformat(),
    }  # fmt: skip
    code, out, _err = cli("settings", "--db", empty_url)
    assert out.splitlines()[:3] == [
        "Company:            Acme",
        "Fiscal year:        starts in April, named by the year it ends in",
        "Reporting currency: EUR",
    ]

    # One option at a time; the others stay as they are.
    code, out, _err = cli("settings", "--db", empty_url, "--fiscal-year-named-by", "start")
    assert code == 0
    assert out.startswith(
        "Fiscal years are now named by the year they start in (were named by the year they "
        "end in): the current quarter "
    )
    code, out, _err = cli("settings", "--db", empty_url, "--json")
    assert json.loads(out)["fiscal_year_named_by"] == "start"
    assert json.loads(out)["company_name"] == "Acme"
    code, out, _err = cli("settings", "--db", empty_url, "--currency", "EUR")
    assert (code, out) == (0, "Nothing changed: the company settings already read so.\n")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--company-name", "Acme", "--currency", "EUR"],
         "a first set-up needs --company-name, --fiscal-year-start and --currency "
         "(missing --fiscal-year-start)"),
        (["--fiscal-year-start", "4"], "(missing --company-name, --currency)"),
        (["--currency", "EURO"],
         "currency must be a three-letter ISO 4217 code such as EUR, got 'EURO'"),
        (["--fiscal-year-start", "Aprl"], "must be a month such as 4, 04, April or Apr"),
        (["--fiscal-year-named-by", "middle"], "invalid choice: 'middle'"),
        (["--company-name", ""], "company name is required"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_and_change_nothing(empty_url, arguments, message, capsys):
    code, out, err = cli("settings", "--db", empty_url, *arguments)
    assert code == 2 and out == ""
    assert message in err + capsys.readouterr().err  # argparse writes to sys.stderr itself
    assert cli("settings", "--db", empty_url, "--json")[1].startswith('{"set_up": false')


def test_a_currency_change_without_the_rates_it_needs_is_refused_with_exit_1(
    demo_template, tmp_path
):
    url = copy_store(demo_template, tmp_path)
    result = run_cli("settings", "--db", url, "--currency", "EUR", "--by", "Dana")
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    # The demo holds USD amounts and no rates: every month needs EUR's rate to USD first.
    assert result.stderr.startswith(
        "error: To report in EUR, every amount is restated through EUR's rate to USD, and some "
        "months have none: EUR in "
    )
    assert result.stderr.rstrip().endswith(
        "(a rates file: month, currency EUR, rate; or python -m core rates --add EUR MONTH "
        "RATE), then change the currency."
    )
    assert "Traceback" not in result.stderr
    shown = json.loads(run_cli("settings", "--db", url, "--json").stdout)
    assert (shown["company_name"], shown["currency"]) == ("Lumora Analytics", "USD")


def test_a_fiscal_year_change_over_the_demo_says_what_the_plans_keep(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    code, out, err = cli("settings", "--db", url, "--fiscal-year-start", "apr", "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    old_label, _start, _end = quarter_text(2)
    new_label, _start, _end = quarter_text(4)
    assert result["changed"] is True and result["fiscal_year_start_month"] == 4
    assert result["current_quarter"] == new_label
    first, second = result["effect"]
    assert first.startswith(
        f"Fiscal year now starts in April (was February): the current quarter {old_label} ("
    )
    assert f") becomes {new_label} (" in first
    assert " goals, " in second and " forecasts and " in second and " budgets were loaded" in second
    assert "they keep their dates" in second


def test_the_settings_show_without_a_traceback_on_a_read_only_store(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    shown = run_cli("settings", "--db", url, env={READ_ONLY_ENV: "true"})
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Company:            Lumora Analytics\n")
    refused = run_cli(
        "settings", "--db", url, "--company-name", "Other", env={READ_ONLY_ENV: "true"}
    )
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: ") and "read-only" in refused.stderr
    assert "Traceback" not in refused.stderr
