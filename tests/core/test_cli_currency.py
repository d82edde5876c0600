"""``python -m core`` on a store that reports in euros prints euros, never dollars (issue 25).

The demo's amounts are US-dollar numbers; the store is switched to EUR after it is built, so
this tests what is printed, not a conversion.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from core.store.engine import create_store_engine
from core.store.writes import set_setting
from tests.conftest import copy_store
from tests.core.test_cli import run_cli


@pytest.fixture(scope="module")
def euro_store_url(demo_template, tmp_path_factory) -> str:
    """One copy of the demo store in EUR, shared by this module's read-only commands."""
    url = copy_store(demo_template, tmp_path_factory.mktemp("euro-store"))
    engine = create_store_engine(url)
    try:
        with engine.begin() as connection:
            set_setting(connection, "currency", "EUR", "test", datetime.now(UTC))
    finally:
        engine.dispose()
    return url


@pytest.mark.parametrize(
    ("command", "printed"),
    [
        (("revenue",), "€"),
        (("campaigns", "--level", "channel"), "pipeline/€"),
        (("pipeline",), "€"),
        (("goals",), "€"),
    ],
)
def test_a_euro_store_prints_euros(euro_store_url, command, printed):
    result = run_cli(*command, "--db", euro_store_url)
    assert result.returncode == 0, result.stderr
    assert printed in result.stdout
    # Goal names are the company's own text (the demo's vision is "Reach $40M ARR ..."): only
    # lines of numbers the app formatted are read for a dollar sign.
    formatted = [line for line in result.stdout.splitlines() if "Reach $" not in line]
    assert not [line for line in formatted if "$" in line], result.stdout


@pytest.mark.parametrize("command", ["revenue", "pipeline", "campaigns"])
def test_json_names_the_currency_its_amounts_are_in(euro_store_url, command):
    result = run_cli(command, "--db", euro_store_url, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["currency"] == "EUR"
