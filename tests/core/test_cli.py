"""``python -m core`` where scripts meet it: real subprocesses, exit codes, messages, JSON."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from tests.conftest import copy_store

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, **(env or {})}
    environment.pop("MARKETING_REVIEW_DB", None) if env is None else None
    return subprocess.run(
        [sys.executable, "-m", "core", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def test_tables_as_json(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    result = run_cli("tables", "--db", url, "--json")
    assert result.returncode == 0, result.stderr
    tables = {row["table_name"]: row for row in json.loads(result.stdout)}
    assert set(tables) == {
        "campaigns",
        "spend",
        "touches",
        "leads",
        "opportunities",
        "revenue",
        "goals",
        "forecasts",
        "budgets",
        "exchange_rates",
    }
    assert tables["opportunities"]["stored_rows"] > tables["opportunities"]["current_rows"] > 0


def test_store_url_from_the_environment(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    result = run_cli("uploads", "--limit", "3", env={"MARKETING_REVIEW_DB": url})
    assert result.returncode == 0, result.stderr
    assert "forecasts.csv" in result.stdout and len(result.stdout.splitlines()) == 4


def test_demo_refuses_to_overwrite_data_and_if_empty_leaves_it(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    before = (tmp_path / "marketing.duckdb").read_bytes()
    refused = run_cli("demo", "--db", url)
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: the store ") and "already holds data" in refused.stderr
    assert "--replace" in refused.stderr and "Traceback" not in refused.stderr
    skipped = run_cli("demo", "--db", url, "--if-empty", "--json")
    assert skipped.returncode == 0
    assert json.loads(skipped.stdout)["skipped"] is True
    assert (tmp_path / "marketing.duckdb").read_bytes() == before


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["demo", "--scale", "0"], "scale must be above 0"),
        (["demo", "--as-of", "23/11/2026"], "expected a date like 2026-11-23"),
        (["demo", "--seed", "-3"], "expected zero or more"),
        (["demo", "--replace", "--if-empty"], "not allowed with argument"),
        (["forecast"], "invalid choice: 'forecast'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_usage_errors_exit_2_and_name_the_argument(arguments, message):
    result = run_cli(*arguments)
    assert result.returncode == 2
    assert message in result.stderr


def test_uploads_limit_is_checked(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    result = run_cli("uploads", "--db", url, "--limit", "0")
    assert result.returncode == 1
    assert "error: --limit must be at least 1, got 0" in result.stderr


def test_locked_store_exits_3_with_one_sentence(tmp_path):
    path = tmp_path / "store.duckdb"
    code = f"import duckdb, sys\nc = duckdb.connect({str(path)!r})\nprint('ready', flush=True)\nsys.stdin.read()\n"
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = run_cli("tables", "--db", f"duckdb:///{path}")
    finally:
        holder.communicate("")
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is in use by another process" in lines[0]


def test_bad_store_url_is_refused():
    result = run_cli("tables", "--db", "nosuchdriver://x/y")
    assert result.returncode == 1
    assert result.stderr.startswith("error: store URL nosuchdriver://x/y cannot be used")


@pytest.mark.slow
def test_demo_replace_rebuilds_the_store_aside_and_swaps_it_in(demo_template, tmp_path, capsys):
    # A store that holds a company already (a copy of the session's demo, scale 0.1, seed 42).
    url = copy_store(demo_template, tmp_path)
    assert main(["tables", "--db", url, "--json"]) == 0
    before = {row["table_name"]: row["current_rows"] for row in json.loads(capsys.readouterr().out)}
    replaced = main(
        [
            "demo",
            "--db",
            url,
            "--scale",
            "0.02",
            "--seed",
            "4",
            "--as-of",
            "2026-05-04",
            "--replace",
            "--json",
        ]
    )
    assert replaced == 0
    result = json.loads(capsys.readouterr().out)
    assert result["exports"] == str(tmp_path / "demo")  # next to the store by default
    assert (tmp_path / "demo" / "ground_truth.json").is_file()
    leftovers = [path.name for path in tmp_path.iterdir() if "building" in path.name]
    assert leftovers == []
    assert main(["tables", "--db", url, "--json"]) == 0
    rows = {row["table_name"]: row["current_rows"] for row in json.loads(capsys.readouterr().out)}
    assert rows["leads"] > 0 and rows["forecasts"] > 0
    assert rows["leads"] < before["leads"]  # the smaller company replaced the store's


def test_demo_refuses_a_foreign_output_folder(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    result = run_cli(
        "demo",
        "--db",
        f"duckdb:///{tmp_path / 's.duckdb'}",
        "--out",
        str(tmp_path / "out"),
        "--scale",
        "0.02",
    )
    assert result.returncode == 1
    assert "holds no demo manifest" in result.stderr
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "s.duckdb").exists()


def test_goals_as_json(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    result = run_cli("goals", "--db", url, "--as-of", "2026-11-23", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["as_of"] == "2026-11-23"
    goals = found["goals"]
    required = {"goal_id", "name", "level", "metric", "target", "actual", "expected", "pace",
                "projection", "probability", "status"}  # fmt: skip
    assert all(required <= set(goal) for goal in goals)
    assert {goal["level"] for goal in goals} == {"vision", "annual", "quarterly", "campaign"}
    assert {goal["status"] for goal in goals} <= {"green", "amber", "red", "not_started", "no_data"}
    assert goals[0]["level"] == "vision"  # tree order: the vision first
    text = run_cli("goals", "--db", url, "--as-of", "2026-11-23")
    assert text.returncode == 0 and text.stdout.startswith("Goals as of 2026-11-23")


def test_goals_refuses_a_bad_date():
    result = run_cli("goals", "--as-of", "2026-13-01")
    assert result.returncode == 2
    assert "--as-of: expected a date like 2026-11-23, got '2026-13-01'" in result.stderr


def test_scenario_as_json(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    result = run_cli(
        "scenario", "--db", url, "--cut", "paid_search=-30%", "--cut", "events=-0.5",
        "--start", "2026-11-30", "--weeks", "8", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["changes"] == {"paid_search": -0.3, "events": -0.5}
    assert found["window"] == {"first": "2026-11-30", "last": "2027-01-24"}
    assert found["savings"] > 0
    for measure in ("pipeline", "bookings", "new_arr", "revenue"):
        outcome = found[measure]
        assert outcome["low"] <= outcome["loss"] <= outcome["high"]
        assert outcome["loss"] > 0 and len(outcome["monthly"]) == 18
        assert outcome["monthly"][0]["month"] == "2026-11"
    assert found["pipeline"]["loss"] == pytest.approx(
        sum(month["loss"] for month in found["pipeline"]["monthly"])
    )
    assert set(found["curves"]) >= {"paid_search", "events"}
    text = run_cli("scenario", "--db", url, "--cut", "linkedin=-20%")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Cutting LinkedIn by 20% for 13 weeks from 23 Nov 2026 saves")
    assert "Recognised revenue" in text.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ("--cut", "tiktok=-30%"),
            "unknown channel 'tiktok'; the store's channels are: content_seo",
        ),
        (("--cut", "events=-130%"), "the change for events must be between -100% and +50%"),
        (("--cut", "events=+80%"), "got +80%"),
        (("--cut", "events"), "expected CHANNEL=-30%, got 'events'"),
        (("--cut", "events=lots"), "must be a percentage such as -30%, got 'lots'"),
        (("--cut", "events=-30%", "--weeks", "0"), "--weeks must be between 1 and"),
        (("--cut", "events=-30%", "--start", "2020-01-06"), "--start must fall between"),
    ],
)
def test_scenario_refuses_wrong_parameters_with_exit_2(demo_template, tmp_path, arguments, message):
    url = copy_store(demo_template, tmp_path)
    result = run_cli("scenario", "--db", url, *arguments)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_accuracy_as_json(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    result = run_cli("accuracy", "--db", url, "--metric", "bookings", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["judged"] == {"category": "most_likely", "submission": "latest"}
    rows = found["accuracy"]
    assert rows and {row["metric"] for row in rows} == {"bookings"}
    for row in rows:
        assert set(row) >= {"metric", "forecaster", "mape", "wape", "bias", "hit_rate_10"}
        assert row["mape"] >= 0 and 0 <= row["hit_rate_10"] <= 1 and row["count"] > 0
    assert {call["metric"] for call in found["current_call"]} == {"bookings"}
    assert [item["method"] for item in found["baselines"]] == ["pipeline"]
    text = run_cli("accuracy", "--db", url)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Forecast accuracy as of ")
    assert "Current call" in text.stdout and "Baseline bookings" in text.stdout


def test_accuracy_judges_each_forecast_under_its_own_definition(demo_template, tmp_path):
    """Issue 26, finding 1: after Bookings v2 (renewals counted, in effect from June 2026),
    forecasts made before it are still judged under v1; --restated judges all under v2."""
    from datetime import date

    from core.store.engine import create_store_engine
    from tests.core.store.helpers import count_renewals_in_bookings

    url = copy_store(demo_template, tmp_path)
    engine = create_store_engine(url)
    count_renewals_in_bookings(engine, date(2026, 6, 1))
    engine.dispose()
    own = json.loads(run_cli("accuracy", "--db", url, "--metric", "bookings", "--json").stdout)
    restated = json.loads(
        run_cli("accuracy", "--db", url, "--metric", "bookings", "--json", "--restated").stdout
    )
    assert own["definition_versions"]["bookings"] == [1, 2]
    assert restated["definition_versions"]["bookings"] == [2]
    assert own["measured_under"] == "definition in effect when each forecast was submitted"
    assert restated["measured_under"] == "as-of day's definitions"
    # Forecasts made under v1 and judged against v2 actuals look pessimistic (renewals were
    # never in them): restated, the bias is far below the bias under their own definitions.
    mean_bias = lambda found: sum(row["bias"] for row in found["accuracy"]) / len(found["accuracy"])  # noqa: E731
    assert mean_bias(restated) < mean_bias(own) - 0.2
    text = run_cli("accuracy", "--db", url).stdout
    assert (
        "Actuals measured each forecast under the definition in effect when it was submitted"
        in text
    )


def test_accuracy_refuses_a_metric_without_forecasts(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    result = run_cli("accuracy", "--db", url, "--metric", "revenue")
    assert result.returncode == 2
    assert "--metric: no forecasts of 'revenue'; the metrics forecast are: bookings" in (
        result.stderr
    )


def test_revenue_as_json(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    result = run_cli("revenue", "--db", url, "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    fields = {"period", "start", "new", "reactivation", "expansion", "contraction", "churn", "end"}
    for key in ("months", "quarters"):
        rows = found[key]
        assert rows, key
        for row in rows:
            assert set(row) >= fields | {"nrr", "grr"}
            balance = (
                row["start"] + row["new"] + row["reactivation"] + row["expansion"]
                - row["contraction"] - row["churn"] - row["end"]
            )  # fmt: skip
            assert abs(balance) < 0.05, row
            if row["grr"] is not None:
                assert 0 < row["grr"] <= 1 and row["grr"] <= row["nrr"] < 2  # fractions
            else:
                assert row["retention_reason"]
    assert found["quarters"][-1]["period"] == "Q4 FY2027"
    assert found["months"][-1]["period"] == "2026-11"
    text = run_cli("revenue", "--db", url, "--segment", "SMB")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("ARR bridge as of 2026-11-23, segment SMB")


def test_revenue_refuses_an_unknown_segment(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    result = run_cli("revenue", "--db", url, "--segment", "Galactic")
    assert result.returncode == 2
    assert "unknown segment 'Galactic'; the store's segments are: Enterprise, Mid-Market, SMB" in (
        result.stderr
    )


def test_pipeline_as_json(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    result = run_cli("pipeline", "--db", url, "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    current, following = found["quarters"]
    assert (current["period"], following["period"]) == ("Q4 FY2027", "Q1 FY2028")
    assert current["coverage"] == pytest.approx(
        current["open_pipeline"] / (current["target"] - current["won_to_date"])
    )
    assert current["required_coverage"] == pytest.approx(1 / current["win_rate"])
    assert current["status"] in ("green", "amber", "red")
    assert following["coverage"] is None
    assert following["coverage_reason"] == "no bookings target is set for Q1 FY2028"
    flow = found["waterfall"]
    assert flow["period"] == "Q4 FY2027" and abs(flow["imbalance"]) < 1e-6
    assert flow["open_at_end"] == pytest.approx(current["open_pipeline"])
    text = run_cli("pipeline", "--db", url)
    assert text.returncode == 0, text.stderr
    assert "Pipeline waterfall, Q4 FY2027 through 2026-11-23" in text.stdout


def test_pipeline_refuses_a_bad_date():
    result = run_cli("pipeline", "--as-of", "23/11/2026")
    assert result.returncode == 2
    assert "--as-of" in result.stderr


def test_campaigns_as_json(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    result = run_cli("campaigns", "--db", url, "--model", "linear", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert (found["model"], found["level"], found["period"]) == ("linear", "campaign", "Q4 FY2027")
    rows = found["rows"]
    assert rows
    for row in rows:
        assert set(row) >= {"campaign", "channel", "spend_usd", "pipeline_usd", "bookings_usd"}
        assert row["too_little_data"] in (True, False)
    assert sum(row["pipeline_usd"] for row in rows) == pytest.approx(found["pipeline_usd"])
    channels = json.loads(run_cli("campaigns", "--db", url, "--level", "channel", "--json").stdout)[
        "rows"
    ]
    assert sum(row["pipeline_usd"] for row in channels) == pytest.approx(found["pipeline_usd"])
    text = run_cli("campaigns", "--db", url, "--period", "Q3 FY2027")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Campaign scorecard, Q3 FY2027 to 2026-10-31, w_shaped")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--model", "guesswork"), "invalid choice: 'guesswork'"),
        (("--period", "Q9 FY2027"), "--period"),
        (("--period", "FY2027"), "--period must be a fiscal quarter"),
    ],
)
def test_campaigns_refuses_wrong_parameters_with_exit_2(
    demo_template, tmp_path, arguments, message
):
    url = copy_store(demo_template, tmp_path)
    result = run_cli("campaigns", "--db", url, *arguments)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_review_start_needs_a_quarter_and_the_pack_a_review(demo_template, tmp_path):
    url = copy_store(demo_template, tmp_path)
    year = run_cli("review-start", "--db", url, "--by", "Dana", "--period", "FY2027")
    assert year.returncode == 2
    assert "--period must be a fiscal quarter" in year.stderr
    nothing = run_cli("review-pack", "--db", url, "--out", str(tmp_path / "pack.pdf"))
    assert nothing.returncode == 1
    assert "no review has been started" in nothing.stderr
    started = run_cli("review-start", "--db", url, "--by", "Dana", "--json")
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["period"] == "Q4 FY2027"
    written = run_cli("review-pack", "--db", url, "--out", str(tmp_path / "pack.pptx"))
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "pack.pptx").read_bytes()[:2] == b"PK"  # a PowerPoint file is a zip
