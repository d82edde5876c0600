"""The CSV test corpus (``tests/fixtures/exports``) through the whole ingest path.

Every file is loaded once into its own private copy of the session's demo store (so campaign
names resolve against the demo's campaigns), with a fixed ``now``. The table ``CASES`` states,
for every file, the exact message the user reads, the status, the format recognised and, for
refused files, the exact errors; further tests check that a refused file changes no table and
that a loaded file stores exactly the numbers a person reads in it (each hand computation is
written next to its assertion).

Expected behaviour that the pipeline does not show yet is marked ``xfail(strict=True)`` with
the reason: the test states what is right, never what happens to be.
"""

from __future__ import annotations

import hashlib
import runpy
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.definitions import METRIC_AGGREGATIONS
from core.store.engine import create_store_engine
from core.store.ingest.pipeline import IngestOptions, IngestReport, ingest_file
from core.store.schema import metadata, migrate
from tests.conftest import DemoTemplate, copy_store

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "exports"
NOW = datetime(2026, 11, 23, 9, 0)

NOTHING_LOADED = (
    ": nothing was loaded. Fix the file, or choose to load the valid rows and keep the rejects."
)
BINARY = (
    "The file is not a CSV export: it contains binary data (is it a spreadsheet or a PDF "
    "renamed to .csv?). Export it again as CSV."
)


def no_rate(currency: str, month: str) -> str:
    """The message of a file in ``currency`` when the store has no rate for ``month``."""
    return (
        f"No exchange rate to USD for {currency} in {month}: nothing was loaded. Load a rates "
        "file (columns month, currency, rate: how many USD one unit buys), or enter the rates on "
        "the Data page (python -m core rates on the command line), then load this file again."
    )


def loaded(rows: int, kind: str, new: int | None = None) -> str:
    """The message of a file that loaded ``rows`` rows, ``new`` of them new records."""
    new = rows if new is None else new
    versions = rows - new
    noun = "row" if rows == 1 else "rows"
    version_noun = "new version" if versions == 1 else "new versions"
    return (
        f"Loaded {rows:,} {noun} into {kind} ({new:,} new, {versions:,} {version_noun} of "
        "records already held)."
    )


# --------------------------------------------------------------------------------------------
# What each file must produce
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One corpus file and what the user must be told about it."""

    file: str
    status: str
    preset: str | None
    message: str
    errors: tuple[tuple[int, str, str | None, str], ...] = ()  # (row, column, value, problem)
    xfail: str | None = None  # the pipeline's fault in the message test, if any
    refusal_xfail: str | None = None  # its fault in refusing the file, if any

    @property
    def refused(self) -> bool:
        return self.status not in ("loaded", "loaded_with_rejects")


CASES: tuple[Case, ...] = (
    # -- vendor shapes, well formed --------------------------------------------------------
    Case(
        "salesforce_report_classic_footer.csv",
        "loaded",
        "salesforce_report",
        loaded(5, "opportunities"),
    ),
    Case(
        "salesforce_report_no_footer_2026-11-20.csv",
        "loaded",
        "salesforce_report",
        loaded(3, "opportunities"),
    ),
    Case(
        "salesforce_report_formatted_subtotals.csv",
        "loaded",
        "salesforce_report",
        loaded(4, "opportunities"),
    ),
    Case(
        "salesforce_report_usd_amounts.csv",
        "loaded",
        "salesforce_report",
        loaded(3, "opportunities"),
    ),
    Case(
        "salesforce_report_amount_currency_column.csv",
        "loaded",
        "salesforce_report",
        loaded(3, "opportunities"),
    ),
    Case(
        "salesforce_dataloader_opportunities.csv",
        "loaded",
        "salesforce_dataloader",
        loaded(4, "opportunities"),
    ),
    Case(
        "salesforce_dataloader_enterprise_amounts.csv",
        "loaded",
        "salesforce_dataloader",
        loaded(2, "opportunities"),
    ),
    Case("hubspot_deals.csv", "loaded", "hubspot_deals", loaded(4, "opportunities")),
    Case("hubspot_contacts.csv", "loaded", "hubspot_contacts", loaded(5, "leads")),
    # Four of the six rows (Brand and Category on 20 and 21 Nov) are days the demo's own
    # Google Ads export already holds: they are new versions.
    Case("google_ads_campaign_report.csv", "loaded", "google_ads", loaded(6, "spend", new=2)),
    Case("google_ads_campaign_report_excel_utf16.csv", "loaded", "google_ads", loaded(4, "spend")),
    # CFO Persona on 13 and 14 Nov is in the demo's LinkedIn export: two new versions.
    Case("linkedin_campaign_manager.csv", "loaded", "linkedin_ads", loaded(4, "spend", new=2)),
    Case("meta_ads_manager.csv", "loaded", "meta_ads", loaded(4, "spend")),
    Case(
        "salesforce_report_de_locale.csv", "loaded", "salesforce_report", loaded(2, "opportunities")
    ),
    Case("european_spend_cp1252.csv", "loaded", "generic_spend", loaded(3, "spend")),
    Case("european_campaigns_utf8_bom.csv", "loaded", "generic_campaigns", loaded(3, "campaigns")),
    # -- generic formats -------------------------------------------------------------------
    Case("generic_campaigns.csv", "loaded", "generic_campaigns", loaded(4, "campaigns")),
    Case("generic_touches.csv", "loaded", "generic_touches", loaded(5, "touches")),
    Case("generic_revenue_mrr.csv", "loaded", "generic_revenue", loaded(5, "revenue")),
    Case("generic_revenue_arr_month_names.csv", "loaded", "generic_revenue", loaded(3, "revenue")),
    Case("generic_goals.csv", "loaded", "generic_goals", loaded(5, "goals")),
    Case("generic_forecasts.csv", "loaded", "generic_forecasts", loaded(4, "forecasts")),
    # The demo plans every channel up to Q1 FY2028: the two Q4 FY2027 rows are new versions.
    Case("generic_budgets.csv", "loaded", "generic_budgets", loaded(4, "budgets", new=2)),
    Case("generic_spend.csv", "loaded", "generic_spend", loaded(4, "spend")),
    # -- awkward but valid -----------------------------------------------------------------
    Case(
        "salesforce_report_multiline_quoted.csv",
        "loaded",
        "salesforce_report",
        loaded(3, "opportunities"),
    ),
    Case(
        "salesforce_report_us_dates_decided_by_one_row.csv",
        "loaded",
        "salesforce_report",
        loaded(3, "opportunities"),
    ),
    Case(
        "salesforce_report_uk_dates_decided_by_one_row.csv",
        "loaded",
        "salesforce_report",
        loaded(2, "opportunities"),
    ),
    Case("generic_spend_pipe_separated.csv", "loaded", "generic_spend", loaded(2, "spend")),
    Case(
        "salesforce_report_percent_probability.csv",
        "loaded",
        "salesforce_report",
        loaded(3, "opportunities"),
    ),
    Case("hubspot_deals_formula_cells.csv", "loaded", "hubspot_deals", loaded(3, "opportunities")),
    # -- refused ---------------------------------------------------------------------------
    Case("empty.csv", "unreadable", None, "The file is empty: export it again, with data in it."),
    Case(
        "blank_lines_only.csv",
        "unreadable",
        None,
        "The file has no rows: it is empty or holds only blank lines.",
    ),
    Case("binary_png_renamed.csv", "unreadable", None, BINARY),
    # A ZIP header like an .xlsx's, then zeros: read as the Excel workbook it claims to be, and
    # refused as a damaged one (issue 25: workbooks load).
    Case(
        "binary_xlsx_renamed.csv",
        "unreadable",
        None,
        "The file looks like an Excel workbook but could not be opened: it is damaged or "
        "incomplete (was the download cut short?). Save it again from Excel, or export the "
        "report as CSV.",
    ),
    Case(
        "wrong_kind_support_tickets.csv",
        "unreadable",
        None,
        "The file's format was not recognised from its header (Ticket ID, Subject, Requester, "
        "Status, Priority, Created at, Assignee): say what it holds (choose the table it loads "
        "into) and map its columns.",
    ),
    Case(
        "header_only.csv",
        "invalid",
        "hubspot_deals",
        "The file has a header but no data rows: nothing to load.",
    ),
    Case(
        "salesforce_dataloader_truncated.csv",
        "unreadable",
        "salesforce_dataloader",
        'A quoted cell is never closed (a " is missing): the file is cut short or damaged.',
    ),
    Case(
        "salesforce_report_missing_opportunity_id.csv",
        "invalid",
        "salesforce_report",
        "Required columns are missing for a Salesforce report file: Opportunity ID. Map them to "
        "columns of the file, or export the report with those columns.",
    ),
    Case(
        "hubspot_deals_renamed_amount.csv",
        "invalid",
        "hubspot_deals",
        "Required columns are missing for a HubSpot deals file: Amount. Map them to columns of "
        "the file, or export the report with those columns.",
    ),
    Case(
        "hubspot_deals_bad_dates.csv",
        "invalid",
        "hubspot_deals",
        "2 problems in 2 of 4 rows" + NOTHING_LOADED,
        errors=(
            (3, "Close Date", "TBD", "is not a date"),
            (4, "Close Date", "2026-02-30 00:00", "is not a date"),
        ),
    ),
    Case(
        "generic_forecasts_problems.csv",
        "invalid",
        "generic_forecasts",
        "6 problems in 6 of 7 rows" + NOTHING_LOADED,
        errors=(
            (
                2,
                "period",
                "Q5 FY2027",
                "is not a fiscal period; expected a label such as Q3 FY2027, FY2027 or 2026-11",
            ),
            (3, "value", "-455000.00", "is negative"),
            (
                5,
                "submitted_on",
                "2026-11-16 / Q4 FY2027 / bookings / best_case / Dana Whitfield",
                "repeats row 4's submission: each record may appear once per file",
            ),
            (
                6,
                "submitted_on",
                "2026-11-16",
                "is after the period ended (2026-10-31): a forecast is made before its period closes",
            ),
            (
                7,
                "metric",
                "win_rate",
                "is not a metric that can be forecast; use one of: arr, pipeline_created, sourced_pipeline, influenced_pipeline, bookings, new_arr, spend, mqls, sqls, nrr, grr",
            ),
            (8, "forecast_id", "F-6", "repeats row 7's key: each record may appear once per file"),
        ),
    ),
    Case(
        "generic_spend_negative.csv",
        "invalid",
        "generic_spend",
        "2 problems in 2 of 3 rows" + NOTHING_LOADED,
        errors=(
            (3, "amount", "-120.00", "is negative; spend must be zero or more"),
            (4, "amount", "(45.00)", "is negative; spend must be zero or more"),
        ),
    ),
    Case(
        "salesforce_dataloader_duplicate_ids.csv",
        "invalid",
        "salesforce_dataloader",
        "1 problem in 1 of 3 rows" + NOTHING_LOADED,
        errors=(
            (
                4,
                "ID",
                "006Qx00000L2n01AAA",
                "repeats row 2's key: each record may appear once per file",
            ),
        ),
    ),
    Case(
        # Real CRMs hold backfilled deals that close before they were created (issue 25): the
        # row loads as the export says, with a warning listed and kept with the upload.
        "hubspot_deals_close_before_created.csv",
        "loaded",
        "hubspot_deals",
        loaded(2, "opportunities")[:-1] + "; 1 row loaded with a warning, listed below.",
    ),
    Case(
        "salesforce_report_probability_150.csv",
        "invalid",
        "salesforce_report",
        "1 problem in 1 of 2 rows" + NOTHING_LOADED,
        errors=((3, "Probability (%)", "150", "is outside 0-100"),),
    ),
    Case(
        # A currency other than the store's loads once its months have a rate (issue 25).
        "salesforce_report_eur_currency.csv",
        "needs_rates",
        "salesforce_report",
        no_rate("EUR", "December 2026"),
    ),
    Case(
        "meta_ads_amount_spent_eur.csv",
        "needs_rates",
        "meta_ads",
        no_rate("EUR", "November 2026"),
    ),
    Case(
        "salesforce_report_ambiguous_dates.csv",
        "needs_date_order",
        "salesforce_report",
        "Every date in Created Date, Close Date reads both as month/day/year and as "
        "day/month/year (for example 03/04/2026): choose the order the export uses.",
    ),
    Case(
        "salesforce_report_blank_line_then_bad_amount.csv",
        "invalid",
        "salesforce_report",
        "1 problem in 1 of 2 rows" + NOTHING_LOADED,
        errors=((4, "Amount", "five thousand", "is not a number such as 1234.56"),),
    ),
    Case(
        # A value no mapping names loads as Other and is listed, to be mapped (issue 25).
        "generic_touches_unknown_channel.csv",
        "loaded",
        "generic_touches",
        loaded(2, "touches"),
    ),
    Case(
        "generic_goals_bad_tree.csv",
        "invalid",
        "generic_goals",
        "7 problems with the goal tree (each goal's row, column and problem are listed): "
        "nothing was loaded. Goals are loaded whole or not at all, because a goal left out "
        "would break the tree under it.",
        errors=(
            (2, "target", "0", "0.00 must be above zero for a higher-is-better goal"),
            (
                3,
                "target",
                "(40,000.00)",  # as written; parentheses read as a negative number
                "-40,000.00 must be above zero for a higher-is-better goal",
            ),
            (4, "period_end", "2026-11-01", "2026-11-01 is before the start 2026-12-31"),
            (
                5,
                "parent_goal_id",
                "G-BL-LOOP-B",
                "makes a cycle: G-BL-LOOP-A → G-BL-LOOP-B → G-BL-LOOP-A",
            ),
            (
                6,
                "parent_goal_id",
                "G-BL-LOOP-A",
                "makes a cycle: G-BL-LOOP-B → G-BL-LOOP-A → G-BL-LOOP-B",
            ),
            (
                7,
                "metric",
                "happiness_index",
                "“happiness_index” is not a metric in the definitions registry (known: "
                + ", ".join(sorted(METRIC_AGGREGATIONS))
                + ")",
            ),
            (
                8,
                "parent_goal_id",
                "G-BL-NOWHERE",
                "“G-BL-NOWHERE” is not a goal: the parent must exist",
            ),
        ),
    ),
    Case(
        "generic_campaigns_unknown_goal.csv",
        "invalid",
        "generic_campaigns",
        "1 problem in 1 of 2 rows" + NOTHING_LOADED,
        errors=(
            (
                2,
                "goal_id",
                "G-BL-NOPE",
                "links to goal G-BL-NOPE, which is not in the store: load the goals first, or "
                "leave the goal empty",
            ),
        ),
    ),
    Case(
        "generic_goals_bad_period.csv",
        "invalid",
        "generic_goals",
        "1 problem in 1 of 1 row" + NOTHING_LOADED,
        errors=(
            (
                2,
                "period",
                "Q5 FY2027",
                "is not a fiscal period; expected a label such as Q3 FY2027, FY2027 or 2026-11",
            ),
        ),
    ),
    Case(
        "hubspot_contacts_mql_before_create.csv",
        "invalid",
        "hubspot_contacts",
        "1 problem in 1 of 1 row" + NOTHING_LOADED,
        errors=(
            (
                2,
                "Became a Marketing Qualified Lead Date",
                "2026-10-01 08:00",
                "is before the created date 2026-10-03 09:12:00",
            ),
        ),
    ),
)
CASES_BY_FILE = {case.file: case for case in CASES}

# Files with a dedicated test below instead of a row of the table.
DEDICATED = {"generic_spend_blank_campaign_id.csv"}


def case_params(cases: tuple[Case, ...], refusal: bool = False) -> list[object]:
    """Cases as parameters, marked with the known fault of the aspect under test."""
    params = []
    for case in cases:
        reason = case.refusal_xfail if refusal else case.xfail
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(case, id=case.file, marks=marks))
    return params


# --------------------------------------------------------------------------------------------
# Loading each file once
# --------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What ingesting one file did to a private copy of the demo store."""

    report: IngestReport | None
    raised: BaseException | None
    counts_before: dict[str, int]
    counts_after: dict[str, int]
    data_version_before: int
    data_version_after: int
    campaign_ids: dict[str, str]  # the demo's campaigns, by name
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)  # what the upload stored


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the schema."""
    with engine.connect() as connection:
        return {
            name: int(connection.execute(sa.text(f"select count(*) from {name}")).scalar_one())
            for name in metadata.tables
        }


def data_version(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("select data_version from store_state")).scalar_one())


def ingest_into_demo_copy(template: DemoTemplate, folder: Path, path: Path) -> Outcome:
    """Load ``path`` into a fresh copy of the demo store; the engine is disposed before return."""
    engine = create_store_engine(copy_store(template, folder))
    try:
        migrate(engine)
        with engine.connect() as connection:
            campaign_ids = {
                str(name): str(campaign_id)
                for name, campaign_id in connection.execute(
                    sa.text("select campaign_name, campaign_id from current_campaigns")
                )
            }
        before, version_before = table_counts(engine), data_version(engine)
        report, raised = None, None
        try:
            report = ingest_file(engine, path, IngestOptions(now=NOW))
        except Exception as error:  # recorded: a crash is a finding, not a test error
            raised = error
        outcome = Outcome(
            report,
            raised,
            before,
            table_counts(engine),
            version_before,
            data_version(engine),
            campaign_ids,
        )
        if report is not None and report.loaded:
            with engine.connect() as connection:
                outcome.rows = pd.read_sql(
                    sa.text(f"select * from {report.kind} where upload_id = :upload"),
                    connection,
                    params={"upload": report.upload_id},
                )
        return outcome
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def corpus(
    demo_template: DemoTemplate, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Outcome]:
    """``corpus(file)``: the outcome of loading a corpus file (each file loads once)."""
    outcomes: dict[str, Outcome] = {}

    def outcome(file: str) -> Outcome:
        if file not in outcomes:
            folder = tmp_path_factory.mktemp("corpus")
            outcomes[file] = ingest_into_demo_copy(demo_template, folder, FIXTURES / file)
        return outcomes[file]

    return outcome


def report_of(outcome: Outcome) -> IngestReport:
    """The report, or the crash re-raised so the test shows it."""
    if outcome.raised is not None:
        raise outcome.raised
    assert outcome.report is not None
    return outcome.report


def error_rows(report: IngestReport) -> list[tuple[int, str, str | None, str]]:
    return [
        (int(row), str(column), None if pd.isna(value) else str(value), str(problem))
        for row, column, value, problem in report.errors.itertuples(index=False)
    ]


# --------------------------------------------------------------------------------------------
# Every file: message, status, format, errors
# --------------------------------------------------------------------------------------------
def test_the_corpus_is_large_and_every_file_has_a_case():
    files = {path.name for path in FIXTURES.glob("*.csv")}
    assert len(files) >= 30
    assert files == set(CASES_BY_FILE) | DEDICATED
    assert len(CASES_BY_FILE) == len(CASES)


def test_the_committed_files_are_what_the_generator_writes(tmp_path):
    """``make_fixtures.py`` and its committed output agree byte for byte."""
    copy = tmp_path / "make_fixtures.py"
    shutil.copyfile(FIXTURES / "make_fixtures.py", copy)
    runpy.run_path(str(copy), run_name="fixtures")["main"]()  # writes next to the copy
    written = {path.name: path.read_bytes() for path in tmp_path.glob("*.csv")}
    committed = {path.name: path.read_bytes() for path in FIXTURES.glob("*.csv")}
    assert written == committed


@pytest.mark.parametrize("case", case_params(CASES))
def test_message_status_format_and_errors(corpus, case):
    report = report_of(corpus(case.file))
    assert (report.status, report.message) == (case.status, case.message)
    assert (report.preset.name if report.preset else None) == case.preset
    if case.errors:
        assert report.error_count == len(case.errors)
        assert error_rows(report) == list(case.errors)
    elif case.status != "invalid":
        assert report.errors.empty


@pytest.mark.parametrize(
    "case", case_params(tuple(case for case in CASES if case.refused), refusal=True)
)
def test_a_refused_file_changes_no_table(corpus, case):
    outcome = corpus(case.file)
    report = report_of(outcome)
    assert not report.loaded, report.message
    assert outcome.counts_after == outcome.counts_before
    assert outcome.data_version_after == outcome.data_version_before
    assert report.upload_id is None
    # The raw bytes are kept all the same, named by their SHA-256.
    assert report.archive_path is not None and report.archive_path.is_file()
    content = (FIXTURES / case.file).read_bytes()
    assert report.archive_path.name == hashlib.sha256(content).hexdigest()
    assert report.archive_path.read_bytes() == content


@pytest.mark.parametrize("case", case_params(tuple(case for case in CASES if not case.refused)))
def test_a_loaded_file_adds_one_upload_its_rows_and_its_audit_row_only(corpus, case):
    outcome = corpus(case.file)
    report = report_of(outcome)
    grown = {
        name: outcome.counts_after[name] - outcome.counts_before[name]
        for name in outcome.counts_before
        if outcome.counts_after[name] != outcome.counts_before[name]
    }
    expected = {"uploads": 1, report.kind: report.rows_valid, "audit_log": 1}
    if report.warning_count:  # the rows that loaded with a warning are kept with the upload
        expected["upload_warnings"] = report.warning_count
    assert grown == expected
    assert len(outcome.rows) == report.rows_valid
    assert outcome.data_version_after == outcome.data_version_before + 1


# --------------------------------------------------------------------------------------------
# Loaded files: the numbers a person reads in them
# --------------------------------------------------------------------------------------------
def by(rows: pd.DataFrame, key: str) -> dict[str, dict[str, object]]:
    """Stored rows keyed by one column."""
    return {str(row[key]): row for row in rows.to_dict("records")}


def day(value: object) -> date:
    return pd.Timestamp(value).date()


def test_salesforce_report_with_the_classic_footer(corpus):
    outcome = corpus("salesforce_report_classic_footer.csv")
    report, rows = report_of(outcome), outcome.rows
    # Footer lines are skipped, never loaded; the footer's "Generated By" day is the snapshot.
    assert (
        "Skipped 0 total or subtotal rows and 4 footer lines; they are never loaded as data."
        in report.decisions
    )
    assert report.snapshot_date == date(2026, 11, 22)
    # 24000.00 + 8500.00 + 41250.50 + 15600.00 + 12000.00 = 101350.50
    assert rows["amount_usd"].sum() == pytest.approx(101_350.50, abs=0.01)
    deals = by(rows, "opportunity_id")
    assert set(deals) == {f"006Qx00000A1b0{n}AAA" for n in range(1, 6)}
    won = deals["006Qx00000A1b03AAA"]
    assert (day(won["created_date"]), day(won["close_date"])) == (
        date(2026, 7, 21),  # 7/21/2026
        date(2026, 11, 14),  # 11/14/2026
    )
    assert (won["is_closed"], won["is_won"], won["probability_pct"]) == (True, True, 100)
    assert won["source_channel"] == "events"  # Trade Show
    lost = deals["006Qx00000A1b05AAA"]
    assert (lost["is_closed"], lost["is_won"]) == (True, False)
    assert lost["source_channel"] == "other"  # "Word of mouth" is no known lead source
    assert pd.isna(lost["campaign_id"])  # "Harvest Expo 2026" is no campaign of the demo
    # Primary Campaign Source names resolve to the demo's campaign ids.
    assert (
        deals["006Qx00000A1b01AAA"]["campaign_id"] == outcome.campaign_ids["FY27 Q4 Search - Brand"]
    )
    assert (
        deals["006Qx00000A1b02AAA"]["campaign_id"]
        == outcome.campaign_ids["FY27 Q4 Webinar Program"]
    )
    assert {key: deal["opportunity_type"] for key, deal in deals.items()} == {
        "006Qx00000A1b01AAA": "new_business",
        "006Qx00000A1b02AAA": "expansion",  # Existing Business
        "006Qx00000A1b03AAA": "new_business",
        "006Qx00000A1b04AAA": "renewal",
        "006Qx00000A1b05AAA": "new_business",
    }
    # Without an account id column the account is known by its name.
    assert deals["006Qx00000A1b01AAA"]["account_id"] == "Quillmark Foods"
    assert deals["006Qx00000A1b01AAA"]["owner"] == "Dana Whitfield"


def test_salesforce_report_without_footer_takes_its_day_from_the_file_name(corpus):
    outcome = corpus("salesforce_report_no_footer_2026-11-20.csv")
    report, rows = report_of(outcome), outcome.rows
    assert report.snapshot_date == date(2026, 11, 20)
    assert "Describes 20 Nov 2026, from the file name." in report.decisions
    # "18,500.00" + "9,750.00" + "32,000.00" = 60250.00
    assert rows["amount_usd"].sum() == pytest.approx(60_250.00, abs=0.01)
    deals = by(rows, "opportunity_id")
    marrowind = deals["006Qx00000B2c03AAA"]
    assert (day(marrowind["created_date"]), day(marrowind["close_date"])) == (
        date(2026, 10, 19),
        date(2026, 12, 31),
    )
    assert (marrowind["opportunity_type"], marrowind["source_channel"]) == (
        "expansion",  # Upsell
        "outbound",  # Outbound Prospecting
    )
    assert deals["006Qx00000B2c01AAA"]["source_channel"] == "linkedin"
    assert deals["006Qx00000B2c02AAA"]["source_channel"] == "partners"  # Partner Referral
    assert (deals["006Qx00000B2c02AAA"]["is_won"], deals["006Qx00000B2c01AAA"]["is_closed"]) == (
        True,
        False,
    )


def test_formatted_report_never_loads_subtotals_or_the_grand_total(corpus):
    outcome = corpus("salesforce_report_formatted_subtotals.csv")
    report, rows = report_of(outcome), outcome.rows
    assert (
        "Skipped 4 total or subtotal rows and 0 footer lines; they are never loaded as data."
        in report.decisions
    )
    # 14,000 + 6,500 + 52,000 + 27,300 = 99,800, the file's own Grand Total (loaded once).
    assert rows["amount_usd"].sum() == pytest.approx(99_800.00, abs=0.01)
    assert sorted(rows["opportunity_id"]) == [f"006Qx00000C3d0{n}AAA" for n in range(1, 5)]
    assert sorted(rows["stage"]) == [
        "Closed Won",
        "Negotiation/Review",
        "Prospecting",
        "Prospecting",
    ]
    assert rows["account_id"].isna().all()  # the report has no account column


def test_salesforce_amounts_with_their_currency_code(corpus):
    outcome = corpus("salesforce_report_usd_amounts.csv")
    rows = outcome.rows
    # USD 12,000.00 + USD 7,480.25 + USD 31,200.00 = 50,680.25
    assert rows["amount_usd"].sum() == pytest.approx(50_680.25, abs=0.01)
    ashgrove = by(rows, "opportunity_id")["006Qx00000D4e02AAA"]
    assert ashgrove["amount_usd"] == pytest.approx(7_480.25, abs=0.005)
    assert ashgrove["probability_pct"] == 70
    assert day(ashgrove["close_date"]) == date(2027, 1, 15)


def test_salesforce_amount_currency_column(corpus):
    rows = corpus("salesforce_report_amount_currency_column.csv").rows
    # 9,900.00 + 45,000.00 + 2,250.75 = 57,150.75
    assert rows["amount_usd"].sum() == pytest.approx(57_150.75, abs=0.01)
    assert by(rows, "opportunity_id")["006Qx00000D4f03AAA"]["amount_usd"] == pytest.approx(
        2_250.75, abs=0.005
    )


def test_salesforce_data_loader_export(corpus):
    outcome = corpus("salesforce_dataloader_opportunities.csv")
    rows = outcome.rows
    # 36000.0 + 14500.0 + 22000.0 + 18240.0 = 90740
    assert rows["amount_usd"].sum() == pytest.approx(90_740.00, abs=0.01)
    deals = by(rows, "opportunity_id")
    greyfriars = deals["006Qx00000E5f01AAA"]
    assert day(greyfriars["created_date"]) == date(2026, 8, 3)  # 2026-08-03T14:22:00.000Z
    assert day(greyfriars["close_date"]) == date(2026, 11, 12)
    assert (greyfriars["is_closed"], greyfriars["is_won"]) == (True, True)  # "true", "true"
    assert greyfriars["campaign_id"] == "7018d000000007gAAA"
    assert greyfriars["account_id"] == "001Qx00000Z9y01AAA"
    assert greyfriars["forecast_category"] == "closed"
    assert (deals["006Qx00000E5f03AAA"]["is_closed"], deals["006Qx00000E5f03AAA"]["is_won"]) == (
        True,
        False,
    )
    assert {key: deal["forecast_category"] for key, deal in deals.items()} == {
        "006Qx00000E5f01AAA": "closed",
        "006Qx00000E5f02AAA": "best_case",
        "006Qx00000E5f03AAA": "omitted",
        "006Qx00000E5f04AAA": "commit",
    }
    assert deals["006Qx00000E5f02AAA"]["source_channel"] == "customer"  # Existing Customer
    assert deals["006Qx00000E5f04AAA"]["opportunity_type"] == "renewal"
    assert deals["006Qx00000E5f04AAA"]["probability_pct"] == 80


def test_enterprise_amounts_keep_their_cents(corpus):
    deals = by(corpus("salesforce_dataloader_enterprise_amounts.csv").rows, "opportunity_id")
    assert deals["006Qx00000E5g01AAA"]["amount_usd"] == pytest.approx(2_345_678.91, abs=0.005)
    assert deals["006Qx00000E5g02AAA"]["amount_usd"] == pytest.approx(1_000_000.01, abs=0.005)


def test_hubspot_deals_export(corpus):
    rows = corpus("hubspot_deals.csv").rows
    # 8000 + 26500 + 12750.5 + 19000 = 66250.5
    assert rows["amount_usd"].sum() == pytest.approx(66_250.50, abs=0.01)
    deals = by(rows, "opportunity_id")
    pellston = deals["9876543203"]
    assert (day(pellston["created_date"]), day(pellston["close_date"])) == (
        date(2026, 8, 21),  # 2026-08-21 11:02
        date(2026, 11, 18),  # 2026-11-18 16:30
    )
    assert (pellston["is_closed"], pellston["is_won"]) == (True, True)
    assert pellston["opportunity_type"] == "expansion"  # Existing Business
    assert (deals["9876543204"]["is_closed"], deals["9876543204"]["is_won"]) == (True, False)
    assert int(rows["is_closed"].sum()) == 2  # Closed Won, Closed Lost; the others are open
    assert rows["account_id"].isna().all()


def test_hubspot_contacts_export(corpus):
    outcome = corpus("hubspot_contacts.csv")
    leads = by(outcome.rows, "lead_id")
    assert set(leads) == {"701", "702", "703", "704", "705"}
    assert pd.Timestamp(leads["701"]["created_at"]) == pd.Timestamp("2026-10-01 09:12")
    assert pd.Timestamp(leads["703"]["customer_at"]) == pd.Timestamp("2026-11-18 16:30")
    assert int(outcome.rows["mql_at"].notna().sum()) == 3  # 701, 702, 703
    assert int(outcome.rows["customer_at"].notna().sum()) == 1  # 703
    assert {key: lead["source_channel"] for key, lead in leads.items()} == {
        "701": "paid_search",  # Paid Search
        "702": "content_seo",  # Organic Search
        "703": "partners",  # Referrals
        "704": "direct",  # Direct Traffic
        "705": "events",  # Offline Sources
    }
    assert leads["701"]["source_campaign_id"] == outcome.campaign_ids["FY27 Q4 Search - Brand"]
    assert (
        leads["703"]["source_campaign_id"]
        == outcome.campaign_ids["FY27 Q4 Partner MDF - SI Alliance"]
    )
    assert pd.isna(leads["705"]["source_campaign_id"])  # Harvest Expo 2026: no demo campaign
    assert leads["702"]["lifecycle_stage"] == "Marketing Qualified Lead"


def test_google_ads_report(corpus):
    outcome = corpus("google_ads_campaign_report.csv")
    report, rows = report_of(outcome), outcome.rows
    assert report.snapshot_date == date(2026, 11, 22)  # "November 20, 2026 - November 22, 2026"
    assert (
        "Header on line 3; the 2 lines above it (report title, dates, account) skipped."
        in report.decisions
    )
    # 81.40 + 1,234.56 + 45.10 + 44.05 + 97.25 + 39.90 = 1,542.26 (the Total: rows say the same)
    assert rows["amount_usd"].sum() == pytest.approx(1_542.26, abs=0.01)
    # 1,790 + 27,410 + 980 + 1,012 + 2,160 + 871 = 34,223; 71 + 1,088 + 22 + 38 + 85 + 19 = 1,323
    assert (int(rows["impressions"].sum()), int(rows["clicks"].sum())) == (34_223, 1_323)
    assert set(rows["channel"]) == {"paid_search"}
    assert set(rows["source"]) == {"google_ads"}
    per_campaign = rows.groupby("campaign_id")["amount_usd"].sum()
    brand = outcome.campaign_ids["FY27 Q4 Search - Brand"]
    category = outcome.campaign_ids["FY27 Q4 Search - Category"]
    assert per_campaign[brand] == pytest.approx(125.45, abs=0.01)  # 81.40 + 44.05
    assert per_campaign[category] == pytest.approx(1_331.81, abs=0.01)  # 1,234.56 + 97.25
    # A campaign the store does not know is kept under the platform and its name.
    assert per_campaign["google_ads:Harborview - Competitor Conquest"] == pytest.approx(
        85.00, abs=0.01
    )  # 45.10 + 39.90
    assert report.rows_updated == 4


def test_google_ads_excel_csv_utf16(corpus):
    outcome = corpus("google_ads_campaign_report_excel_utf16.csv")
    report, rows = report_of(outcome), outcome.rows
    assert report.decisions[:2] == [
        "Read as UTF-16 (Excel's \u201cUnicode text\u201d).",
        "Cells separated by tabs.",
    ]
    assert report.snapshot_date == date(2026, 10, 6)
    # 1,020.40 + 310.75 + 987.60 + 298.15 = 2,616.90
    assert rows["amount_usd"].sum() == pytest.approx(2_616.90, abs=0.01)
    # 22,315 + 4,120 + 21,904 + 4,002 = 52,341; 640 + 389 + 612 + 371 = 2,012
    assert (int(rows["impressions"].sum()), int(rows["clicks"].sum())) == (52_341, 2_012)
    per_campaign = rows.groupby("campaign_id")["amount_usd"].sum()
    assert per_campaign["google_ads:Lakeshore - Generic Analytics"] == pytest.approx(
        2_008.00, abs=0.01
    )  # 1,020.40 + 987.60


def test_linkedin_campaign_manager_export(corpus):
    outcome = corpus("linkedin_campaign_manager.csv")
    report, rows = report_of(outcome), outcome.rows
    assert report.snapshot_date == date(2026, 11, 14)  # "Report End: 11/14/2026"
    # 164.37 + 58.12 + 171.05 + 61.46 = 455.00
    assert rows["amount_usd"].sum() == pytest.approx(455.00, abs=0.01)
    # 4,211 + 9,804 + 4,398 + 10,122 = 28,535; 19 + 11 + 23 + 9 = 62
    assert (int(rows["impressions"].sum()), int(rows["clicks"].sum())) == (28_535, 62)
    per_campaign = rows.groupby("campaign_id")["amount_usd"].sum()
    cfo = outcome.campaign_ids["FY27 Q4 LinkedIn - CFO Persona"]
    assert per_campaign[cfo] == pytest.approx(335.42, abs=0.01)  # 164.37 + 171.05
    assert per_campaign["linkedin_ads:Brightloom - RevOps Thought Leadership"] == pytest.approx(
        119.58, abs=0.01
    )  # 58.12 + 61.46
    assert sorted({day(value) for value in rows["spend_date"]}) == [
        date(2026, 11, 13),
        date(2026, 11, 14),
    ]
    assert set(rows["channel"]) == {"linkedin"}


def test_meta_ads_manager_export(corpus):
    outcome = corpus("meta_ads_manager.csv")
    report, rows = report_of(outcome), outcome.rows
    assert report.snapshot_date == date(2026, 11, 3)  # its last day
    # 52.18 + 49.77 + 23.40 + 25.65 = 151.00
    assert rows["amount_usd"].sum() == pytest.approx(151.00, abs=0.01)
    # 6,120 + 5,894 + 2,710 + 2,988 = 17,712
    assert int(rows["impressions"].sum()) == 17_712
    assert rows["clicks"].isna().all()  # the export has no clicks column
    assert set(rows["channel"]) == {"paid_social"}
    per_campaign = rows.groupby("campaign_id")["amount_usd"].sum()
    assert per_campaign["meta_ads:Brightloom - Lookalike Prospecting"] == pytest.approx(
        101.95, abs=0.01
    )  # 52.18 + 49.77


def test_salesforce_report_from_a_german_locale(corpus):
    outcome = corpus("salesforce_report_de_locale.csv")
    report, rows = report_of(outcome), outcome.rows
    assert "Numbers read with a decimal comma (1.234,56)." in report.decisions
    assert report.snapshot_date == date(2026, 11, 22)  # "Generated By: ... 22.11.2026 10:14"
    # 48.500,00 + 12.300,50 = 60,800.50
    assert rows["amount_usd"].sum() == pytest.approx(60_800.50, abs=0.01)
    deals = by(rows, "opportunity_id")
    brueckner = deals["006Qx00000N4q02AAA"]
    assert (day(brueckner["created_date"]), day(brueckner["close_date"])) == (
        date(2026, 10, 9),  # 09.10.2026
        date(2027, 1, 15),  # 15.01.2027
    )
    assert brueckner["account_id"] == "Brückner Logistik AG"


def test_european_spreadsheet_in_windows_1252(corpus):
    outcome = corpus("european_spend_cp1252.csv")
    report, rows = report_of(outcome), outcome.rows
    assert report.decisions[:2] == [
        "Read as Windows-1252 (Western European).",
        "Cells separated by semicolons.",
    ]
    # 1.234,56 + 987,65 + 12.000,00 = 14,222.21
    assert rows["amount_usd"].sum() == pytest.approx(14_222.21, abs=0.01)
    per_campaign = rows.groupby("campaign_id")["amount_usd"].sum()
    # The é survives the transcoding: 1,234.56 + 987.65 = 2,222.21
    assert per_campaign["finance:Salon Café Lyon"] == pytest.approx(2_222.21, abs=0.01)
    assert sorted(day(value) for value in rows["spend_date"]) == [
        date(2026, 10, 31),  # 31.10.2026
        date(2026, 11, 1),
        date(2026, 11, 2),
    ]


def test_european_spreadsheet_in_utf8_with_byte_order_mark(corpus):
    outcome = corpus("european_campaigns_utf8_bom.csv")
    report, rows = report_of(outcome), outcome.rows
    assert report.decisions[0] == "Read as UTF-8 with a byte-order mark."
    campaigns = by(rows, "campaign_id")
    assert set(campaigns) == {"EU-2026-101", "EU-2026-102", "EU-2026-103"}  # no BOM in the key
    zurich = campaigns["EU-2026-101"]
    assert zurich["campaign_name"] == "Frühjahrs-Webinar Zürich"
    assert (day(zurich["start_date"]), day(zurich["end_date"])) == (
        date(2026, 3, 2),  # 02.03.2026
        date(2026, 3, 27),
    )
    assert campaigns["EU-2026-102"]["owner"] == "Élodie Marchand"
    # 4.500,00 + 18.750,50 + 9.900,00 = 33,150.50
    assert rows["budget_usd"].sum() == pytest.approx(33_150.50, abs=0.01)


def test_generic_campaigns(corpus):
    rows = corpus("generic_campaigns.csv").rows
    campaigns = by(rows, "campaign_id")
    # 9000.00 + 6500.00 + 22000.00 = 37,500; CMP-BL-004 has no budget
    assert rows["budget_usd"].sum() == pytest.approx(37_500.00, abs=0.01)
    assert pd.isna(campaigns["CMP-BL-004"]["budget_usd"])
    assert {key: campaign["channel"] for key, campaign in campaigns.items()} == {
        "CMP-BL-001": "paid_social",
        "CMP-BL-002": "linkedin",
        "CMP-BL-003": "events",
        "CMP-BL-004": "webinars",
    }
    assert (
        day(campaigns["CMP-BL-003"]["start_date"]),
        day(campaigns["CMP-BL-003"]["end_date"]),
    ) == (
        date(2026, 10, 28),
        date(2026, 10, 30),
    )


def test_generic_touches(corpus):
    rows = corpus("generic_touches.csv").rows
    touches = by(rows, "touch_id")
    assert len(touches) == 5
    assert pd.Timestamp(touches["TCH-BL-0003"]["touched_at"]) == pd.Timestamp("2026-11-10 16:30")
    assert touches["TCH-BL-0003"]["campaign_id"] == "7018d0000000085AAA"
    assert pd.isna(touches["TCH-BL-0002"]["campaign_id"])
    assert pd.isna(touches["TCH-BL-0002"]["account_id"])
    assert rows.groupby("channel").size().to_dict() == {
        "content_seo": 1,
        "events": 1,
        "paid_search": 1,
        "partners": 1,
        "webinars": 1,
    }


def test_generic_revenue_from_mrr(corpus):
    rows = corpus("generic_revenue_mrr.csv").rows
    # ARR = 12 x MRR: (2500.00 + 3000.00 + 1250.50 + 0.00 + 8400.00) x 12 = 15,150.50 x 12
    # = 181,806.00
    assert rows["arr_usd"].sum() == pytest.approx(181_806.00, abs=0.01)
    ironvale = {
        day(row["month"]): row["arr_usd"]
        for row in rows.to_dict("records")
        if row["account_id"] == "001Qx00000Z9y03AAA"
    }
    assert ironvale[date(2026, 10, 1)] == pytest.approx(15_006.00, abs=0.005)  # 1250.50 x 12
    assert ironvale[date(2026, 11, 1)] == 0
    assert set(rows["segment"]) == {"Mid-Market", "SMB", "Enterprise"}


def test_generic_revenue_from_arr_with_month_names(corpus):
    rows = corpus("generic_revenue_arr_month_names.csv").rows
    # 48,000 + 52,800 + 120,000 = 220,800
    assert rows["arr_usd"].sum() == pytest.approx(220_800.00, abs=0.01)
    assert sorted({day(value) for value in rows["month"]}) == [
        date(2026, 9, 1),  # Sep 2026
        date(2026, 10, 1),  # Oct 2026
    ]
    assert rows["account_name"].isna().all()


def test_generic_goals_on_the_february_fiscal_calendar(corpus):
    rows = corpus("generic_goals.csv").rows
    goals = by(rows, "goal_id")
    # 4,200,000 + 1,150,000 + 185 + 1,200 + 250,000 = 5,601,385
    assert rows["target"].sum() == pytest.approx(5_601_385.00, abs=0.01)
    # No direction given: the registry's (MQLs higher, cost per MQL lower is better).
    assert goals["G-BL-Q4-FY2027-MQL"]["direction"] == "higher"
    periods = {
        key: (goal["period_label"], day(goal["period_start"]), day(goal["period_end"]))
        for key, goal in goals.items()
    }
    assert periods["G-BL-FY2027-PIPE"] == ("FY2027", date(2026, 2, 1), date(2027, 1, 31))
    assert periods["G-BL-Q4-FY2027-PIPE"] == ("Q4 FY2027", date(2026, 11, 1), date(2027, 1, 31))
    assert periods["G-BL-CMP-HARVEST"] == ("Nov 2026", date(2026, 11, 1), date(2026, 11, 30))
    assert goals["G-BL-Q4-FY2027-CPM"]["direction"] == "lower"
    assert goals["G-BL-Q4-FY2027-PIPE"]["parent_goal_id"] == "G-BL-FY2027-PIPE"
    assert goals["G-BL-CMP-HARVEST"]["campaign_id"] == "CMP-BL-003"


def test_generic_forecasts_without_ids(corpus):
    rows = corpus("generic_forecasts.csv").rows
    # 410,000 + 455,000 + 520,000 + 1,180,000 = 2,565,000
    assert rows["value"].sum() == pytest.approx(2_565_000.00, abs=0.01)
    assert sorted(rows["category"]) == ["best_case", "commit", "most_likely", "most_likely"]
    assert {
        (row["period_label"], day(row["period_start"]), day(row["period_end"]))
        for row in rows.to_dict("records")
    } == {("Q4 FY2027", date(2026, 11, 1), date(2027, 1, 31))}
    # Ids made from each row's content: distinct, stable in form.
    assert rows["forecast_id"].nunique() == 4
    assert all(value.startswith("FC-") and len(value) == 19 for value in rows["forecast_id"])


def test_generic_budgets(corpus):
    rows = corpus("generic_budgets.csv").rows
    # 42,000 + 18,500 + 27,250 + 45,000 = 132,750
    assert rows["planned_spend_usd"].sum() == pytest.approx(132_750.00, abs=0.01)
    plans = {
        (row["period_label"], row["channel"]): (day(row["period_start"]), day(row["period_end"]))
        for row in rows.to_dict("records")
    }
    assert plans == {
        ("Q4 FY2027", "paid_search"): (date(2026, 11, 1), date(2027, 1, 31)),
        ("Q4 FY2027", "linkedin"): (date(2026, 11, 1), date(2027, 1, 31)),
        ("Q2 FY2028", "events"): (date(2027, 5, 1), date(2027, 7, 31)),  # "Events"
        ("Q2 FY2028", "paid_search"): (date(2027, 5, 1), date(2027, 7, 31)),
    }


def test_generic_spend(corpus):
    outcome = corpus("generic_spend.csv")
    report, rows = report_of(outcome), outcome.rows
    # 4,500.00 + 1,200.00 + 310.40 + 0.00 = 6,010.40
    assert rows["amount_usd"].sum() == pytest.approx(6_010.40, abs=0.01)
    assert set(rows["source"]) == {"finance"}
    assert report.snapshot_date == date(2026, 11, 17)
    assert by(rows, "campaign_id")["CMP-BL-004"]["amount_usd"] == 0


def test_quoted_cells_with_line_breaks_separators_and_quotes(corpus):
    rows = corpus("salesforce_report_multiline_quoted.csv").rows
    deals = by(rows, "opportunity_id")
    assert len(deals) == 3
    assert deals["006Qx00000F6g01AAA"]["opportunity_name"] == "Harbor & Pine, Inc. - Platform"
    assert deals["006Qx00000F6g01AAA"]["account_id"] == "Harbor & Pine, Inc."
    assert deals["006Qx00000F6g02AAA"]["opportunity_name"] == 'Northgate "Blue" Foods - Platform'
    # 11,000 + 6,400 + 8,800 = 26,200
    assert rows["amount_usd"].sum() == pytest.approx(26_200.00, abs=0.01)
    assert day(deals["006Qx00000F6g03AAA"]["close_date"]) == date(2026, 11, 21)


def test_us_dates_decided_by_one_row_with_a_day_over_12(corpus):
    outcome = corpus("salesforce_report_us_dates_decided_by_one_row.csv")
    report, deals = report_of(outcome), by(outcome.rows, "opportunity_id")
    assert (
        "Dates read as month/day/year (11/22/2026): the file's other dates allow no other "
        "reading." in report.decisions
    )
    dates = {
        key: (day(deal["created_date"]), day(deal["close_date"])) for key, deal in deals.items()
    }
    assert dates == {
        "006Qx00000G7h01AAA": (date(2026, 1, 2), date(2026, 3, 4)),  # 01/02, 03/04
        "006Qx00000G7h02AAA": (date(2026, 2, 3), date(2026, 5, 6)),  # 02/03, 05/06
        "006Qx00000G7h03AAA": (date(2026, 11, 23), date(2026, 12, 11)),  # 11/23 decides
    }


def test_uk_dates_decided_by_one_row_with_a_day_over_12(corpus):
    outcome = corpus("salesforce_report_uk_dates_decided_by_one_row.csv")
    report, deals = report_of(outcome), by(outcome.rows, "opportunity_id")
    assert (
        "Dates read as day/month/year (22/11/2026): the file's other dates allow no other "
        "reading." in report.decisions
    )
    assert report.snapshot_date == date(2026, 11, 22)  # "22/11/2026" in the footer, day first
    dates = {
        key: (day(deal["created_date"]), day(deal["close_date"])) for key, deal in deals.items()
    }
    assert dates == {
        "006Qx00000H8i01AAA": (date(2026, 2, 1), date(2026, 4, 3)),  # 01/02, 03/04
        "006Qx00000H8i02AAA": (date(2026, 10, 2), date(2026, 11, 30)),  # 02/10, 30/11 decides
    }


def test_vertical_bar_separated_spend(corpus):
    outcome = corpus("generic_spend_pipe_separated.csv")
    report, rows = report_of(outcome), outcome.rows
    assert "Cells separated by vertical bars." in report.decisions
    # 2,750.00 + 1,100.00 = 3,850.00
    assert rows["amount_usd"].sum() == pytest.approx(3_850.00, abs=0.01)


def test_percentages_and_dollar_signs(corpus):
    rows = corpus("salesforce_report_percent_probability.csv").rows
    deals = by(rows, "opportunity_id")
    assert {key: deal["probability_pct"] for key, deal in deals.items()} == {
        "006Qx00000J9k01AAA": 10,  # 10%
        "006Qx00000J9k02AAA": 60,  # 60%
        "006Qx00000J9k03AAA": 100,  # 100%
    }
    # $4,800.00 + $15,250.00 + $61,000.00 = 81,050.00
    assert rows["amount_usd"].sum() == pytest.approx(81_050.00, abs=0.01)


def test_formula_looking_cells_are_stored_as_plain_text_unchanged(corpus):
    deals = by(corpus("hubspot_deals_formula_cells.csv").rows, "opportunity_id")
    assert deals["9876543501"]["opportunity_name"] == '=HYPERLINK("http://evil.example","click")'
    assert deals["9876543502"]["opportunity_name"] == "+cmd|' /C calc'!A0"
    assert deals["9876543503"]["opportunity_name"] == "@SUM(1+1)*cmd|' /C calc'!A0"
    assert deals["9876543502"]["owner"] == "=1+2"
    assert deals["9876543503"]["owner"] == "-2+3"


# --------------------------------------------------------------------------------------------
# Files written by the tests (too large to commit) and dedicated cases
# --------------------------------------------------------------------------------------------
@pytest.fixture
def demo_copy(demo_template, tmp_path):
    """A private, migrated copy of the demo store for one test."""
    engine = create_store_engine(copy_store(demo_template, tmp_path / "store"))
    migrate(engine)
    yield engine
    engine.dispose()


def test_a_ten_megabyte_single_line_is_refused_with_a_message(demo_copy, tmp_path):
    path = tmp_path / "one_line.csv"
    path.write_bytes(b"x," * (5 * 1024 * 1024))  # 10 MB, no line break
    before = table_counts(demo_copy)
    report = ingest_file(demo_copy, path, IngestOptions(now=NOW))
    assert (report.status, report.message) == (
        "unreadable",
        "The file's first line is longer than 256 KB with no line break: this is not a CSV "
        "export, or its lines are not separated. Export it again as CSV.",
    )
    assert table_counts(demo_copy) == before


def test_a_ten_megabyte_line_below_a_header_is_refused_with_a_message(demo_copy, tmp_path):
    path = tmp_path / "long_cell.csv"
    path.write_bytes(
        b'date,campaign_name,channel,amount\n2026-11-01,"'
        + b"A" * (10 * 1024 * 1024)
        + b'",events,10.00\n'
    )
    before = table_counts(demo_copy)
    report = ingest_file(demo_copy, path, IngestOptions(now=NOW))
    assert (report.status, report.message) == (
        "unreadable",
        "A line of the file is longer than 2 MB: this is not a CSV export, or a quoted cell is "
        "never closed. Export the report again.",
    )
    assert table_counts(demo_copy) == before


def test_a_windows_1252_file_with_its_first_accent_after_64_kilobytes_loads(demo_copy, tmp_path):
    lines = ["date;campaign_name;channel;amount;currency"]
    # 1,419 rows of plain ASCII (about 70 KB), then one campaign with an é.
    for number in range(1_419):
        lines.append(f"{1 + number % 28:02d}.10.2026;Campagne Nord {number:04d};events;100,00;USD")
    lines.append("31.10.2026;Salon Café Lyon;events;1.234,56;USD")
    path = tmp_path / "long_european_spend.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    assert path.read_bytes().index("é".encode("cp1252")) > 64 * 1024
    report = ingest_file(demo_copy, path, IngestOptions(now=NOW))
    assert (report.status, report.message) == ("loaded", loaded(1_420, "spend"))
    with demo_copy.connect() as connection:
        amount = connection.execute(
            sa.text(
                "select amount_usd from spend where upload_id = :upload "
                "and campaign_id = 'finance:Salon Café Lyon'"
            ),
            {"upload": report.upload_id},
        ).scalar_one()
    assert amount == pytest.approx(1_234.56, abs=0.005)


def test_spend_with_an_empty_campaign_id_cell_is_loaded_by_name_or_refused(demo_copy):
    path = FIXTURES / "generic_spend_blank_campaign_id.csv"
    before = table_counts(demo_copy)
    report = ingest_file(demo_copy, path, IngestOptions(now=NOW))  # must not raise
    if report.loaded:
        # The row without an id is known by its campaign name, as when the column is absent.
        with demo_copy.connect() as connection:
            ids = {
                row[0]
                for row in connection.execute(
                    sa.text("select campaign_id from spend where upload_id = :upload"),
                    {"upload": report.upload_id},
                )
            }
        assert ids == {"CMP-BL-003", "finance:Brightloom - Sponsored Newsletter"}
    else:
        assert report.status == "invalid"
        assert error_rows(report)[0][:2] == (3, "campaign_id")
        assert table_counts(demo_copy) == before


def test_a_backfilled_deal_loads_with_its_warning_listed(corpus):
    report = report_of(corpus("hubspot_deals_close_before_created.csv"))
    assert report.warnings.values.tolist() == [
        [
            3,
            "Close Date",
            "2026-08-01 00:00",
            "closes before it was created (created 2026-09-15): loaded as the export says "
            "(backfilled history?)",
        ]
    ]


def test_an_unknown_channel_loads_as_other_and_is_listed(corpus):
    outcome = corpus("generic_touches_unknown_channel.csv")
    report = report_of(outcome)
    unmapped = [(v.value, v.rows, v.loads_as) for v in report.values if v.origin == "unmapped"]
    assert unmapped == [("Carrier pigeon", 1, "other")]
    assert sorted(outcome.rows["channel"]) == ["other", "paid_search"]
