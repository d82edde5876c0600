"""Independent audit: a small hand-built company (tests/audit/company.py) loaded through the
command line, and every field of ``revenue``, ``pipeline``, ``accuracy``, ``campaigns`` and
``goals --json`` checked against numbers computed by hand from the written definitions:
DOMAIN.md, the README ("Revenue and pipeline: how the numbers are made", "Campaigns: how credit
is shared", "Goals: how a goal is tracked", "Forecast accuracy: how a call is judged", the
command line table) and the registry that ``python -m core definitions --json`` prints.

Nothing is imported from ``core`` but the command line's entry point. Money is computed with
fractions and must match to the cent; only ratios use a relative tolerance.

The store holds an opportunity export, a HubSpot contacts export and a finance spend export made
AFTER the as-of day (20 Nov 2026). Nothing in them may count on 20 Nov.

The registry has no command to record a new definition version (``definitions`` only lists
them), so no definition change is recorded here: every number is under version 1.

The hand computations of the expected values are in tests/audit/expected_revenue.py (registry,
calendar, deals, leads, spend, comparators; revenue and pipeline) and
tests/audit/expected_plans.py (accuracy, campaigns, goals; the expected tables, ``EXPECTED``).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

import pytest

from core.cli import main as cli_main
from tests.audit import company as co
from tests.audit.expected_plans import (
    CAMPAIGN_RUNS,
    EXPECTED,
    MODELS,
    MQL_TO_SQL_FIELDS,
    comparable_ratios,
    credit,
    seasonal_share,
    slip_rate,
    stage_win_rates,
)
from tests.audit.expected_revenue import (
    AT_D,
    COVERAGE_TYPES,
    DEFINITIONS_JSON,
    LAST_FOUR,
    MONTHS,
    OPPORTUNITY_DATA_START,
    QUARTERS,
    REGISTRY,
    THIS_QUARTER,
    Row,
    agrees,
    bookings,
    bridge_month,
    matches,
    mqls,
    open_due,
    pipeline_created,
    retention,
    sourced_pipeline,
    spend,
    total_arr,
    waterfall,
    win_rate_by_amount,
)

D = co.AS_OF  # Friday 20 Nov 2026, day 20 of the 92 days of Q4 FY2027
F = Fraction

# ============================================================================================
# The runs, and where each list's rows are keyed
# ============================================================================================
AS_OF = ["--json", "--as-of", D.isoformat()]
RUNS: dict[str, list[str]] = {
    "revenue": ["revenue", *AS_OF],
    "revenue_mid_market": ["revenue", *AS_OF, "--segment", "Mid-Market"],
    "pipeline": ["pipeline", *AS_OF],
    "accuracy": ["accuracy", *AS_OF],
    "campaigns": ["campaigns", *AS_OF],
    "campaigns_channel": ["campaigns", *AS_OF, "--level", "channel"],
    "campaigns_q3": ["campaigns", *AS_OF, "--period", "Q3 FY2027"],
    **{f"campaigns_{m}": ["campaigns", *AS_OF, "--model", m] for m in MODELS if m != "w_shaped"},
    "goals": ["goals", *AS_OF],
}
LIST_KEYS: dict[str, Callable[[Row], str]] = {
    "months": lambda r: r["period"],
    "quarters": lambda r: r["period"],
    "accuracy": lambda r: f"{r['metric']}/{r['forecaster']}",
    "current_call": lambda r: f"{r['metric']}/{r['period_label']}/{r['forecaster']}",
    "baselines": lambda r: f"{r['metric']}/{r['period_label']}",
    "rows": lambda r: r["campaign_id"] if r["campaign_id"] is not None else r["channel"],
    "goals": lambda r: r["goal_id"],
}
NESTED_ROWS = ("waterfall",)


def rows_of(output: dict[str, Any]) -> dict[str, Row]:
    """The output as rows: "" (top-level fields), "waterfall", "<list>/<key>"."""
    rows: dict[str, Row] = {"": {}}
    for name, value in output.items():
        if name in LIST_KEYS and isinstance(value, list):
            for item in value:
                rows[f"{name}/{LIST_KEYS[name](item)}"] = item
        elif name in NESTED_ROWS and isinstance(value, dict):
            rows[name] = value
        else:
            rows[""][name] = value
    return rows


def _cases() -> list[Any]:
    cases = []
    for run, table in EXPECTED.items():
        for row_key, row in table.items():
            for name, expected in row.items():
                cases.append(
                    pytest.param(run, row_key, name, expected, id=f"{run}:{row_key or '.'}:{name}")
                )
    return cases


# ============================================================================================
# The store: the company's files loaded through the command line into a fresh DuckDB store
# ============================================================================================


def run_cli(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli_main(args)
    return code, out.getvalue()


@dataclass(frozen=True)
class Audit:
    loaded: list[dict[str, Any]]
    outputs: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> Audit:
    folder = tmp_path_factory.mktemp("audit")
    db = f"duckdb:///{folder / 'audit.duckdb'}"
    files = co.write_all(folder / "exports")
    code, _ = run_cli(
        ["settings", "--db", db, "--company-name", co.COMPANY_NAME, "--fiscal-year-start",
         co.FISCAL_YEAR_START, "--currency", co.CURRENCY, "--by", "Audit"]
    )  # fmt: skip
    assert code == 0
    code, printed = run_cli(["ingest", "--db", db, "--json", "--by", "Audit", *map(str, files)])
    assert code == 0, printed
    loaded = json.loads(printed)
    code, printed = run_cli(["definitions", "--db", db, "--json"])
    assert code == 0
    DEFINITIONS_JSON[:] = json.loads(printed)
    outputs = {}
    for run, args in RUNS.items():
        code, printed = run_cli([args[0], "--db", db, *args[1:]])
        assert code == 0, (run, printed)
        outputs[run] = json.loads(printed)
    return Audit(loaded, outputs)


# ============================================================================================
# Tests
# ============================================================================================


def test_every_file_loads_with_the_export_day_it_names(audit: Audit) -> None:
    by_file = {item["file"]: item for item in audit.loaded}
    assert all(item["status"] == "loaded" and item["error_count"] == 0 for item in audit.loaded)
    for day in co.EXPORT_DAYS:
        assert by_file[f"salesforce_opportunities_{day}.csv"]["snapshot_date"] == day.isoformat()
    assert by_file["hubspot_contacts_2026-11-27.csv"]["snapshot_date"] == "2026-11-27"
    assert by_file["marketing_spend_2026-11-23.csv"]["snapshot_date"] == "2026-11-23"
    late = [item["file"] for item in audit.loaded if item["snapshot_date"] > D.isoformat()
            and item["table"] in ("opportunities", "leads", "spend")]  # fmt: skip
    assert len(late) == 3  # three uploads exported after the as-of day


def test_registry_parameters_as_written(audit: Audit) -> None:
    """The parameters this audit computes with are the registry's (all version 1)."""
    by_metric = {d["metric"]: d for d in DEFINITIONS_JSON}
    for metric, parameters in REGISTRY.items():
        assert by_metric[metric]["version"] == 1
        assert by_metric[metric]["parameters"] == parameters, metric


@pytest.mark.parametrize("run", list(RUNS))
def test_rows_and_fields_are_all_asserted(audit: Audit, run: str) -> None:
    """Every row the output has is expected, and every field of every row is asserted below
    (the mql_to_sql fields of the other attribution models are asserted on the W-shaped runs)."""
    actual = rows_of(audit.outputs[run])
    expected = EXPECTED[run]
    assert sorted(actual) == sorted(expected)
    for key, row in actual.items():
        skipped = (
            set(MQL_TO_SQL_FIELDS)
            if key.startswith("rows/")
            and run in CAMPAIGN_RUNS
            and CAMPAIGN_RUNS[run][1] != "w_shaped"
            else set()
        )
        assert set(row) - skipped == set(expected[key]), (run, key)


def test_months_in_order(audit: Audit) -> None:
    periods = [row["period"] for row in audit.outputs["revenue"]["months"]]
    assert periods == MONTHS[1:]


@pytest.mark.parametrize(("run", "row_key", "field", "expected"), _cases())
def test_field(audit: Audit, run: str, row_key: str, field: str, expected: Any) -> None:
    row = rows_of(audit.outputs[run]).get(row_key)
    assert row is not None, f"{run} has no row {row_key}"
    assert field in row, f"{run} {row_key} has no field {field}"
    assert matches(expected, row[field]), (
        f"{run} {row_key}.{field}: expected {expected!r}, got {row[field]!r}"
    )


# --------------------------------------------------------------------------------------------
# The expectations above, checked against numbers worked out by hand (see company.py)
# --------------------------------------------------------------------------------------------
HAND = [
    # pipeline, Q4 FY2027 on 20 Nov: open due Q03 50,000 + Q05 20,000 + H19 8,000 + Q06 18,000
    # + Q07 12,000 + Q10 16,000; won Q01 10,000 + Q08 10,000 + Q09 22,000
    (lambda: open_due(AT_D, *QUARTERS[THIS_QUARTER], COVERAGE_TYPES), F(124000)),
    (lambda: bookings(QUARTERS[THIS_QUARTER][0], D), F(42000)),
    # win rate Q4 FY2026..Q3 FY2027, new business by amount: won 185,000 of 235,000 closed
    (lambda: win_rate_by_amount(date(2025, 11, 1), date(2026, 10, 31)), F(185, 235)),
    # marketing-sourced share of pipeline created over those quarters: 322,000 / 352,000
    (lambda: sourced_pipeline(date(2025, 11, 1), date(2026, 10, 31)), F(322000)),
    (lambda: pipeline_created(date(2025, 11, 1), date(2026, 10, 31)), F(352000)),
    # waterfall: 120,000 + 74,000 + 18,000 - 30,000 + 10,000 - 2,000 - 42,000 - 24,000 = 124,000
    (lambda: waterfall()["created"].value, F(74000)),
    (lambda: waterfall()["open_at_start"].value, F(120000)),
    # baseline: stage win rates Qualification 3/8, Proposal 8/9, Negotiation 4/5; slip 40/200
    (lambda: stage_win_rates()["Qualification"], F(3, 8)),
    (lambda: stage_win_rates()["Proposal/Price Quote"], F(8, 9)),
    (lambda: stage_win_rates()["Negotiation/Review"], F(4, 5)),
    (lambda: slip_rate(), (F(1, 5), 20)),
    # 42,000 + 0.8 x (50,000 x 8/9 + 8,000 x 4/5 + 66,000 x 3/8)
    (
        lambda: EXPECTED["accuracy"][f"baselines/bookings/{THIS_QUARTER}"]["value"].value,
        42000 + F(4, 5) * (F(50000 * 8, 9) + 6400 + F(66000 * 3, 8)),
    ),
    # pipeline created Q4 FY2026: 45,000 of 65,000 in its first 20 days; 45,000 so far -> 65,000
    (lambda: seasonal_share(pipeline_created, THIS_QUARTER, OPPORTUNITY_DATA_START), (F(9, 13), 1)),
    # bookings actuals of the judged quarters
    (lambda: [bookings(*QUARTERS[q]) for q in LAST_FOUR], [45000, 70000, 40000, 60000]),
    # Dana's 8-13-week calls ran 60, 80, 55, 70 against 45, 70, 40, 60: bias 50/215
    (lambda: EXPECTED["accuracy"]["current_call/bookings/Q4 FY2027/Dana Whitfield"]["bias"].value,
     50 / 215),
    # W-shaped credit of Q07: Search 0.3 + 0.3 (first, last), Webinar 0.3 (lead), Events 0.1
    (lambda: dict(credit(next(d for d in co.DEALS if d.deal_id == "Q07"), "w_shaped")),
     {"C-SEARCH": F(3, 5), "C-WEB": F(3, 10), "C-EVENT": F(1, 10)}),
    # ... of Q01: no "rest", its 10% shared by the anchors: Search 2/3, Events 1/3
    (lambda: dict(credit(next(d for d in co.DEALS if d.deal_id == "Q01"), "w_shaped")),
     {"C-SEARCH": F(2, 3), "C-EVENT": F(1, 3)}),
    # ARR: January 2026 291,000; November 2026 435,000
    (lambda: (total_arr(co.ACCOUNTS, "2026-01"), total_arr(co.ACCOUNTS, "2026-11")),
     (F(291000), F(435000))),
    # November 2026: A12 new 9,000 x 12; A14 +200 x 12; A08 -1,000 x 12; A11 churns 300 x 12
    (lambda: bridge_month(list(co.ACCOUNTS), MONTHS.index("2026-11")),
     {"start": 340200, "new": 108000, "reactivation": 0, "expansion": 2400,
      "contraction": 12000, "churn": 3600, "end": 435000}),
    # NRR / GRR at July 2026 over the July 2025 payers (A01-A06, A11, A13, A15: 202,800):
    # 168,000 now; at most each one's July 2025 ARR: 151,200
    (lambda: retention(list(co.ACCOUNTS), MONTHS.index("2026-07")),
     (F(168000, 202800), F(151200, 202800))),
    # bookings Q4 FY2027 goal: each earlier quarter's final over its first 20 days
    (lambda: comparable_ratios(next(g for g in co.GOALS if g.goal_id == "G-Q4-BOOK"),
                               bookings, OPPORTUNITY_DATA_START),
     [F(60, 40), F(40, 20), F(70, 30), F(45, 25), F(35, 15)]),
    # cost per MQL Q4 to date: 13,311.04 of spend over 10 MQLs
    (lambda: (spend(date(2026, 11, 1), D), mqls(date(2026, 11, 1), D)), (F("13311.04"), 10)),
]  # fmt: skip


@pytest.mark.parametrize(("compute", "by_hand"), HAND)
def test_expectations_agree_with_the_hand_computation(
    compute: Callable[[], Any], by_hand: Any
) -> None:
    value = compute()
    assert agrees(value, by_hand), f"expected {by_hand!r}, got {value!r}"
