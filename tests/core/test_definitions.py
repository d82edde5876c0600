"""Definitions registry: versions, refusals, history in the store, and numbers that follow them."""

from __future__ import annotations

import json
from datetime import date, datetime
from io import StringIO
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.cli import main as cli_main
from core.definitions import (
    DEFAULT_DEFINITIONS,
    PARAMETER_SPECS,
    ProposedChange,
    changed_parameters,
    in_effect,
    next_version,
)
from core.store import definitions as store_definitions
from core.store import metrics, queries
from tests.core.store.helpers import load, new_store, opportunity

NOW = datetime(2026, 11, 23, 10, 0)


def change(**overrides) -> ProposedChange:
    values = {
        "parameters": {"opportunity_types": ["new_business", "expansion", "renewal"]},
        "description": "",
        "effective_from": date(2026, 11, 1),
        "author": "Dana Whitfield",
        "reason": "Board asked for renewals inside bookings.",
        "approved_by": "Chris Ortega",
    }
    values.update(overrides)
    return ProposedChange(**values)


def test_every_default_parameter_has_a_spec_and_passes_it():
    for metric, definition in DEFAULT_DEFINITIONS.items():
        specs = PARAMETER_SPECS[metric]
        assert set(definition.parameters) == set(specs), metric
        for name, value in definition.parameters.items():
            assert specs[name].check(value) == value, (metric, name)


def test_golden_defaults_only_change_when_the_math_does():
    golden = {
        metric: dict(definition.parameters) for metric, definition in DEFAULT_DEFINITIONS.items()
    }
    assert golden["bookings"] == {"opportunity_types": ("new_business", "expansion")}
    assert golden["pipeline_created"] == {"opportunity_types": ("new_business",)}
    assert golden["influenced_pipeline"]["influence_window_days"] == 90
    assert golden["mqls"] == {"mql_stages": ("mql",)}
    assert golden["sqls"] == {"sql_stages": ("sql",)}
    assert golden["win_rate"] == {"opportunity_types": ("new_business",), "basis": "amount"}
    assert golden["payback"]["gross_margin"] == 0.8
    assert golden["nrr"] == golden["grr"] == {"window_months": 12}
    # red_below_chance: status agrees with the chance of reaching target (issue 26, finding 9)
    assert golden["goal_status"] == {
        "green_at": 1.0, "amber_at": 0.9, "red_below_chance": 0.1, "pacing": "seasonal",
    }  # fmt: skip
    assert golden["attribution"] == {"model": "w_shaped"}


def test_a_change_makes_the_next_version_and_says_what_changed():
    latest = DEFAULT_DEFINITIONS["bookings"]
    new = next_version(latest, change(), NOW)
    assert (new.version, new.author, new.approved_by) == (2, "Dana Whitfield", "Chris Ortega")
    assert new.parameters["opportunity_types"] == ("new_business", "expansion", "renewal")
    assert new.description == latest.description
    assert changed_parameters(latest, new) == [
        (
            "Opportunity types counted",
            "New business, Expansion",
            "New business, Expansion, Renewal",
        )
    ]
    assert latest.parameters["opportunity_types"] == ("new_business", "expansion")  # untouched


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"reason": "  "},
            "Give the reason for the change (at least 10 characters): definitions never change "
            "without one.",
        ),
        ({"author": ""}, "Say who is making the change: the author is required."),
        (
            {"parameters": {"opportunity_types": ["new_business", "expansion"]}},
            "Nothing changed: the parameters and description are as they are now.",
        ),
        (
            {"parameters": {"opportunity_types": []}},
            "Opportunity types counted: choose at least one value",
        ),
        (
            {"parameters": {"opportunity_types": ["barter"]}},
            "Opportunity types counted: unknown value barter; known values: new_business, "
            "expansion, renewal",
        ),
        (
            {"parameters": {"window": 3}},
            "Bookings has no parameter window; its parameters are: opportunity_types",
        ),
        (
            {"effective_from": date(2019, 12, 31)},
            "The change cannot take effect before 01 Jan 2020, when version 1 took effect: "
            "earlier numbers are restated, not rewritten.",
        ),
    ],
)
def test_a_bad_change_is_refused_with_a_message(overrides, message):
    with pytest.raises(ValueError) as refused:
        next_version(DEFAULT_DEFINITIONS["bookings"], change(**overrides), NOW)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Window (months) must be at least 1, got 0"),
        (37, "Window (months) must be at most 36, got 37"),
        (1.5, "Window (months) must be a whole number, got 1.5"),
        ("12", "Window (months) must be a number, got '12'"),
    ],
)
def test_numbers_out_of_range_name_the_parameter(value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        PARAMETER_SPECS["nrr"]["window_months"].check(value)


@given(st.lists(st.sampled_from(["new_business", "expansion", "renewal"]), min_size=1))
def test_a_choice_of_types_is_stored_in_one_canonical_order(chosen):
    stored = PARAMETER_SPECS["bookings"]["opportunity_types"].check(chosen)
    assert list(stored) == [t for t in ("new_business", "expansion", "renewal") if t in chosen]


@given(st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 12, 31)))
def test_the_version_in_effect_is_the_latest_that_has_started(day):
    v1 = DEFAULT_DEFINITIONS["bookings"]
    v2 = next_version(v1, change(effective_from=date(2026, 11, 1)), NOW)
    v3 = next_version(
        v2,
        change(
            effective_from=date(2027, 2, 1),
            parameters={"opportunity_types": ["new_business"]},
        ),
        NOW,
    )
    expected = 3 if day >= date(2027, 2, 1) else 2 if day >= date(2026, 11, 1) else 1
    assert in_effect([v3, v1, v2], day).version == expected


@pytest.fixture
def store(tmp_path):
    engine = new_store(tmp_path / "store.duckdb")
    load(
        engine,
        "opportunities",
        [
            opportunity("A", 100.0, "2026-08-03", "2026-09-10", is_closed=True, is_won=True),
            opportunity(
                "B",
                30.0,
                "2026-08-05",
                "2026-09-12",
                opportunity_type="expansion",
                is_closed=True,
                is_won=True,
            ),
            opportunity(
                "C",
                400.0,
                "2026-08-06",
                "2026-10-01",
                opportunity_type="renewal",
                is_closed=True,
                is_won=True,
            ),
            opportunity("D", 70.0, "2026-08-07", "2026-10-20", is_closed=True, is_won=False),
        ],
        date(2026, 11, 1),
    )
    yield engine
    engine.dispose()


def test_a_recorded_change_changes_the_number_and_keeps_the_old_one_reproducible(store):
    first, last = date(2026, 8, 1), date(2026, 10, 31)
    v1 = store_definitions.current_definitions(store, date(2026, 11, 23))["bookings"]
    assert metrics.metric_value(store, v1, first, last) == 130.0  # 100 + 30
    version_before = queries.data_version(store)

    v2 = store_definitions.record_change(store, "bookings", change(), NOW)
    assert queries.data_version(store) == version_before + 1  # caches refresh
    assert metrics.metric_value(store, v2, first, last) == 530.0  # + the 400 renewal
    history = store_definitions.history(store, "bookings")
    assert [d.version for d in history] == [1, 2]
    assert metrics.metric_value(store, history[0], first, last) == 130.0  # v1 reproducible
    assert store_definitions.current_definitions(store, date(2026, 10, 31))["bookings"].version == 1
    assert store_definitions.current_definitions(store, date(2026, 11, 1))["bookings"].version == 2


def test_a_refused_change_writes_nothing(store):
    with pytest.raises(ValueError, match="Give the reason"):
        store_definitions.record_change(store, "bookings", change(reason="because"), NOW)
    assert store_definitions.history(store, "bookings") == (DEFAULT_DEFINITIONS["bookings"],)


def test_an_unknown_metric_is_named():
    with pytest.raises(ValueError, match="unknown metric 'leads'; known metrics: "):
        store_definitions.history(None, "leads")  # type: ignore[arg-type]


def test_cli_lists_definitions_and_a_metric_history(store, tmp_path):
    url = store.url.render_as_string(hide_password=False)
    store_definitions.record_change(store, "bookings", change(), NOW)
    store.dispose()
    out, err = StringIO(), StringIO()
    assert cli_main(["definitions", "--db", url, "--json"], out=out, err=err) == 0
    listed = json.loads(out.getvalue())
    assert [item["metric"] for item in listed] == list(DEFAULT_DEFINITIONS)
    bookings = next(item for item in listed if item["metric"] == "bookings")
    assert set(bookings) >= {"metric", "version", "description", "parameters", "effective_from"}
    out = StringIO()
    assert cli_main(["definitions", "--db", url, "--history", "bookings", "--json"], out=out) == 0
    history = json.loads(out.getvalue())
    assert [(item["version"], item["effective_from"]) for item in history] == [
        (1, "2020-01-01"),
        (2, "2026-11-01"),
    ]
    assert history[1]["parameters"]["opportunity_types"] == [
        "new_business",
        "expansion",
        "renewal",
    ]
    out = StringIO()
    assert cli_main(["definitions", "--db", url], out=out) == 0
    assert "bookings        2     2026-11-01" in out.getvalue()


def test_the_readme_documents_every_shipped_definition():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for metric, definition in DEFAULT_DEFINITIONS.items():
        assert f"| {definition.label} (`{metric}`) |" in readme, metric
        assert definition.description in readme, metric
