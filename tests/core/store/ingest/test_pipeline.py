"""The ingest pipeline end to end: every preset round trip, undo, duplicates, versions, options.

Stores here are fresh (migrated, empty) unless a test needs the demo's campaigns; numbers are
either the demo's own truth (``demo_rows``) or small files written by the test itself.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.demo import DemoOptions, demo_rows
from core.store.engine import create_store_engine
from core.store.ingest.detect import UnreadableFileError
from core.store.ingest.pipeline import (
    IngestError,
    IngestOptions,
    archive_stream,
    ingest_file,
    rejects_of,
    undo_upload,
)
from core.store.schema import VERSIONED_TABLES, fact_columns, metadata, migrate
from core.store.writes import set_setting
from tests.conftest import copy_store
from tests.stores import fresh_store_url

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "exports"
NOW = datetime(2026, 11, 23, 9, 0)
AS_OF = date(2026, 11, 23)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def fresh_store(folder: Path) -> Engine:
    """A migrated, empty store whose fiscal year starts in February (as the demo's)."""
    folder.mkdir(parents=True, exist_ok=True)
    engine = create_store_engine(fresh_store_url(folder / "marketing.duckdb"))
    migrate(engine)
    with engine.begin() as connection:
        set_setting(connection, "fiscal_year_start_month", "2", "tester", NOW)
    return engine


def demo_store(demo_template, folder: Path) -> Engine:
    """A private, migrated copy of the session's demo store."""
    engine = create_store_engine(copy_store(demo_template, folder))
    migrate(engine)
    return engine


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the schema."""
    with engine.connect() as connection:
        return {
            name: int(connection.execute(sa.text(f"select count(*) from {name}")).scalar_one())
            for name in metadata.tables
        }


def current_contents(engine: Engine) -> dict[str, list[tuple]]:
    """Every ``current_*`` view's full contents, sorted."""
    with engine.connect() as connection:
        return {
            name: sorted(
                (
                    tuple(row)
                    for row in connection.execute(sa.text(f"select * from current_{name}"))
                ),
                key=repr,
            )
            for name in VERSIONED_TABLES
        }


def read(engine: Engine, sql: str, **parameters: object) -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.read_sql(sa.text(sql), connection, params=parameters)


def write_csv(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def normalised(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The store's columns of ``kind`` in comparable types, sorted by the natural key.

    Dates and timestamps become ``Timestamp`` (dates at midnight), numbers ``float``, missing
    values ``None`` in text and ``NaN``/``NaT`` elsewhere.
    """
    table = metadata.tables[kind]
    out = pd.DataFrame(index=frame.index)
    for name in compared_columns(kind):
        column_type = table.c[name].type
        values = frame[name]
        if isinstance(column_type, sa.Date):
            out[name] = pd.to_datetime(values).dt.normalize()
        elif isinstance(column_type, sa.DateTime):
            out[name] = pd.to_datetime(values)
        elif isinstance(column_type, sa.Float | sa.Integer | sa.BigInteger):
            out[name] = pd.to_numeric(values).astype("float64")
        elif isinstance(column_type, sa.Boolean):
            out[name] = values.astype(bool)
        else:
            out[name] = values.astype(object).where(values.notna(), None)
    key = list(VERSIONED_TABLES[kind])
    return out.sort_values(key, kind="stable").reset_index(drop=True)


# The currency lineage (schema 14) the demo generator's canonical rows do not carry: checked on
# their own (a USD demo keeps every amount as written, at rate 1).
LINEAGE_COLUMNS = frozenset({"original_amount", "original_currency", "exchange_rate", "is_spread"})


def compared_columns(kind: str) -> list[str]:
    """The store's columns of ``kind`` that the demo's canonical rows hold."""
    return [name for name in fact_columns(kind) if name not in LINEAGE_COLUMNS]


def assert_same_rows(actual: pd.DataFrame, expected: pd.DataFrame, kind: str) -> None:
    """Null-safe comparison; money to the cent (the store keeps 32-bit floats, see below)."""
    assert len(actual) == len(expected), f"{kind}: {len(actual)} rows, expected {len(expected)}"
    for name in compared_columns(kind):
        left, right = actual[name], expected[name]
        if pd.api.types.is_float_dtype(right):
            same = np.isclose(left.to_numpy(), right.to_numpy(), rtol=0, atol=0.005, equal_nan=True)
        elif pd.api.types.is_datetime64_any_dtype(right):
            same = (left == right) | (left.isna() & right.isna())
        else:
            same = np.array([a == b for a, b in zip(left, right, strict=True)])
        if not same.all():
            first = int(np.flatnonzero(~same)[0])
            key = {part: expected.at[first, part] for part in VERSIONED_TABLES[kind]}
            raise AssertionError(
                f"{kind}.{name}: {int((~same).sum())} rows differ; first at {key}: "
                f"stored {left.iloc[first]!r}, expected {right.iloc[first]!r}"
            )


# --------------------------------------------------------------------------------------------
# Round trip: the demo's exports, every preset, into a fresh store
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_every_demo_export_round_trips_into_the_current_views(tmp_path):
    out = tmp_path / "demo"
    expected_by_kind = demo_rows(DemoOptions(as_of=AS_OF, seed=7, scale=0.02), out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    engine = fresh_store(tmp_path / "store")
    try:
        loaded_presets: set[str] = set()
        for entry in manifest:
            report = ingest_file(engine, out / entry["path"], IngestOptions(now=NOW))
            if report.status == "duplicate" or (
                report.status == "invalid" and report.rows_read == 0
            ):
                # A weekly export identical to the week before, or one with no open deal (the
                # demo loader skips these too).
                assert entry["kind"] == "opportunities", entry["path"]
                continue
            assert report.status == "loaded", f"{entry['path']}: {report.message}"
            assert report.preset is not None and report.preset.name == entry["source"], entry
            assert report.snapshot_date == date.fromisoformat(entry["snapshot_date"]), (
                entry["path"],
                report.decisions,
            )
            loaded_presets.add(report.preset.name)
        assert loaded_presets == {entry["source"] for entry in manifest}
        for kind, rows in expected_by_kind.items():
            # Later files hold later versions: keep the last row per natural key.
            key = list(VERSIONED_TABLES[kind])
            expected = rows.drop_duplicates(key, keep="last").reset_index(drop=True)
            stored = read(engine, f"select * from current_{kind}")
            assert_same_rows(normalised(stored, kind), normalised(expected, kind), kind)
            if "exchange_rate" in stored.columns:
                money = {"opportunities": "amount_usd", "spend": "amount_usd"}.get(kind)
                assert set(stored["exchange_rate"].dropna()) <= {1.0}, kind
                if money:
                    assert (stored["original_amount"] == stored[money]).all(), kind
                    assert set(stored["original_currency"]) == {"USD"}, kind
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# Undo
# --------------------------------------------------------------------------------------------
DATA_LOADER_HEADER = '"ID","ACCOUNTID","NAME","STAGENAME","AMOUNT","CLOSEDATE","CREATEDDATE","TYPE","ISCLOSED","ISWON"'


def data_loader_row(
    opportunity_id: str,
    name: str,
    stage: str,
    amount: float,
    close: str,
    created: str,
    closed: bool = False,
    won: bool = False,
    account: str = "001Qx00000Z9y90AAA",
) -> str:
    cells = [
        opportunity_id,
        account,
        name,
        stage,
        f"{amount:.1f}",
        close,
        f"{created}T10:00:00.000Z",
        "New Business",
        "true" if closed else "false",
        "true" if won else "false",
    ]
    return ",".join(f'"{cell}"' for cell in cells)


def test_undo_restores_exactly_the_state_before_the_upload(demo_template, tmp_path):
    engine = demo_store(demo_template, tmp_path / "store")
    try:
        with engine.connect() as connection:
            held = [
                tuple(row)
                for row in connection.execute(
                    sa.text(
                        "select opportunity_id, opportunity_name, amount_usd, close_date, "
                        "created_date from current_opportunities where not is_closed "
                        "order by opportunity_id limit 2"
                    )
                )
            ]
        assert len(held) == 2
        before_contents, before_counts = current_contents(engine), table_counts(engine)
        # A week after the demo's last export: two deals it holds move on, two are new.
        export = write_csv(
            tmp_path / "salesforce_opportunities_2026-11-30.csv",
            [
                DATA_LOADER_HEADER,
                data_loader_row(
                    held[0][0],
                    held[0][1],
                    "Closed Won",
                    held[0][2] + 1000,
                    "2026-11-27",
                    f"{held[0][4]}",
                    closed=True,
                    won=True,
                ),
                data_loader_row(
                    held[1][0],
                    held[1][1],
                    "Negotiation/Review",
                    held[1][2],
                    "2027-01-29",
                    f"{held[1][4]}",
                ),
                data_loader_row(
                    "006Qx00000U9z01AAA",
                    "Yellowpine Labs - Platform",
                    "Prospecting",
                    9000,
                    "2027-01-15",
                    "2026-11-25",
                ),
                data_loader_row(
                    "006Qx00000U9z02AAA",
                    "Zinnia Health - Platform",
                    "Qualification",
                    14000,
                    "2027-02-20",
                    "2026-11-26",
                ),
            ],
        )
        report = ingest_file(engine, export, IngestOptions(now=NOW))
        assert (report.status, report.message) == (
            "loaded",
            "Loaded 4 rows into opportunities (2 new, 2 new versions of records already held).",
        )
        assert report.snapshot_date == date(2026, 11, 30)
        won = read(
            engine,
            "select stage, amount_usd, is_won from current_opportunities where opportunity_id = :id",
            id=held[0][0],
        ).iloc[0]
        assert (won["stage"], won["amount_usd"], won["is_won"]) == (
            "Closed Won",
            pytest.approx(held[0][2] + 1000, abs=0.01),
            True,
        )
        assert current_contents(engine) != before_contents

        undo_upload(engine, report.upload_id, "tester", NOW)

        assert current_contents(engine) == before_contents
        # The rows stay stored (undo never deletes), they only stop counting.
        after_counts = table_counts(engine)
        assert after_counts["opportunities"] == before_counts["opportunities"] + 4
        assert after_counts["uploads"] == before_counts["uploads"] + 1
        with pytest.raises(IngestError) as refused:
            undo_upload(engine, report.upload_id, "tester", NOW)
        assert str(refused.value) == (
            f"upload {report.upload_id} (salesforce_opportunities_2026-11-30.csv) is already undone"
        )
        with pytest.raises(IngestError) as unknown:
            undo_upload(engine, 987_654, "tester", NOW)
        assert str(unknown.value) == "there is no upload 987654"
    finally:
        engine.dispose()


def test_undo_of_a_spend_report_that_overlaps_the_demo(demo_template, tmp_path):
    engine = demo_store(demo_template, tmp_path / "store")
    try:
        before = current_contents(engine)
        report = ingest_file(
            engine, FIXTURES / "google_ads_campaign_report.csv", IngestOptions(now=NOW)
        )
        assert report.status == "loaded" and report.rows_updated == 4
        assert current_contents(engine) != before
        undo_upload(engine, report.upload_id, "tester", NOW)
        assert current_contents(engine) == before
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# The same bytes twice
# --------------------------------------------------------------------------------------------
def test_the_same_bytes_twice_are_a_duplicate_until_the_first_upload_is_undone(tmp_path):
    engine = fresh_store(tmp_path / "store")
    try:
        source = FIXTURES / "hubspot_deals.csv"
        first = ingest_file(engine, source, IngestOptions(now=NOW))
        assert first.status == "loaded"
        counts = table_counts(engine)
        # The same bytes under another name, a day later, are still the same file.
        renamed = tmp_path / "deals (1).csv"
        renamed.write_bytes(source.read_bytes())
        again = ingest_file(engine, renamed, IngestOptions(now=datetime(2026, 11, 24, 8, 30)))
        assert (again.status, again.duplicate_of, again.message) == (
            "duplicate",
            first.upload_id,
            f"This file was already loaded as upload {first.upload_id} (hubspot_deals.csv, "
            "23 Nov 2026 09:00): nothing loaded again. Undo that upload first to load it anew.",
        )
        assert again.upload_id is None and again.rows_read == 0
        assert table_counts(engine) == counts

        undo_upload(engine, first.upload_id, "tester", NOW)
        anew = ingest_file(engine, source, IngestOptions(now=NOW))
        assert (anew.status, anew.message) == (
            "loaded",
            # The undone upload's rows no longer count: every record is new again.
            "Loaded 4 rows into opportunities (4 new, 0 new versions of records already held).",
        )
        assert anew.upload_id != first.upload_id
        assert len(read(engine, "select * from current_opportunities")) == 4
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# Overlapping exports
# --------------------------------------------------------------------------------------------
def weekly_exports(folder: Path) -> tuple[Path, Path]:
    """Two weekly Data Loader exports; 006Qx00000V1a01AAA is in both, grown in the later one."""
    earlier = write_csv(
        folder / "salesforce_opportunities_2026-11-16.csv",
        [
            DATA_LOADER_HEADER,
            data_loader_row(
                "006Qx00000V1a01AAA",
                "Ashby Mills - Platform",
                "Prospecting",
                10000,
                "2027-01-20",
                "2026-11-02",
            ),
            data_loader_row(
                "006Qx00000V1a02AAA",
                "Brackenridge Co - Platform",
                "Qualification",
                6000,
                "2026-12-18",
                "2026-11-05",
            ),
        ],
    )
    later = write_csv(
        folder / "salesforce_opportunities_2026-11-23.csv",
        [
            DATA_LOADER_HEADER,
            data_loader_row(
                "006Qx00000V1a01AAA",
                "Ashby Mills - Platform",
                "Proposal/Price Quote",
                12500,
                "2027-01-20",
                "2026-11-02",
            ),
            data_loader_row(
                "006Qx00000V1a03AAA",
                "Cinderford Group - Platform",
                "Prospecting",
                4000,
                "2027-02-26",
                "2026-11-19",
            ),
        ],
    )
    return earlier, later


def current_ashby(engine: Engine) -> tuple[str, float]:
    row = read(
        engine,
        "select stage, amount_usd from current_opportunities where opportunity_id = '006Qx00000V1a01AAA'",
    ).iloc[0]
    return str(row["stage"]), float(row["amount_usd"])


def test_the_later_snapshot_of_an_opportunity_is_current(tmp_path):
    earlier, later = weekly_exports(tmp_path / "exports")
    engine = fresh_store(tmp_path / "store")
    try:
        first = ingest_file(engine, earlier, IngestOptions(now=NOW))
        second = ingest_file(engine, later, IngestOptions(now=NOW))
        assert (first.snapshot_date, second.snapshot_date) == (
            date(2026, 11, 16),
            date(2026, 11, 23),
        )
        assert (second.rows_inserted, second.rows_updated) == (1, 1)
        assert second.message == (
            "Loaded 2 rows into opportunities (1 new, 1 new version of records already held)."
        )
        assert current_ashby(engine) == ("Proposal/Price Quote", 12500.0)
        assert len(read(engine, "select * from current_opportunities")) == 3
        versions = read(
            engine,
            "select snapshot_date, amount_usd from opportunity_versions "
            "where opportunity_id = '006Qx00000V1a01AAA' order by snapshot_date",
        )
        assert [
            (pd.Timestamp(day).date(), amount) for day, amount in versions.itertuples(index=False)
        ] == [
            (date(2026, 11, 16), 10000.0),
            (date(2026, 11, 23), 12500.0),
        ]
    finally:
        engine.dispose()


def test_an_older_snapshot_loaded_later_does_not_replace_the_current_version(tmp_path):
    earlier, later = weekly_exports(tmp_path / "exports")
    engine = fresh_store(tmp_path / "store")
    try:
        ingest_file(engine, later, IngestOptions(now=NOW))
        late_arrival = ingest_file(engine, earlier, IngestOptions(now=NOW))
        # Still a version of a record already held, but not the current one.
        assert (late_arrival.rows_inserted, late_arrival.rows_updated) == (1, 1)
        assert current_ashby(engine) == ("Proposal/Price Quote", 12500.0)
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# Options: keep_rejects, dry_run, mapping, date order
# --------------------------------------------------------------------------------------------
def test_keep_rejects_loads_the_valid_rows_and_stores_the_rejects(tmp_path):
    engine = fresh_store(tmp_path / "store")
    try:
        report = ingest_file(
            engine,
            FIXTURES / "generic_spend_negative.csv",
            IngestOptions(now=NOW, keep_rejects=True),
        )
        assert (report.status, report.message) == (
            "loaded_with_rejects",
            "Loaded 1 row into spend (1 new, 0 new versions of records already held); 2 rejected "
            "rows kept with their reasons.",
        )
        assert (report.rows_valid, report.rows_rejected) == (1, 2)
        stored = read(engine, "select spend_date, campaign_id, amount_usd from current_spend")
        assert [
            (pd.Timestamp(day).date(), campaign, amount)
            for day, campaign, amount in stored.itertuples(index=False)
        ] == [(date(2026, 11, 2), "CMP-BL-003", 3500.0)]
        rejected = rejects_of(engine, report.upload_id)
        assert [tuple(row) for row in rejected.itertuples(index=False)] == [
            (
                3,
                "amount",
                "is negative; spend must be zero or more (value: -120.00)",
                "2026-11-03,CMP-BL-003,Harvest Expo 2026,events,-120.00,USD",
            ),
            (
                4,
                "amount",
                "is negative; spend must be zero or more (value: (45.00))",
                "2026-11-04,CMP-BL-003,Harvest Expo 2026,events,(45.00),USD",
            ),
        ]
        upload = read(
            engine,
            "select rows_read, rows_inserted, rows_rejected from uploads where upload_id = :id",
            id=report.upload_id,
        ).iloc[0]
        assert upload.tolist() == [3, 1, 2]
    finally:
        engine.dispose()


def test_a_dry_run_changes_no_table_but_archives_the_file(demo_template, tmp_path):
    engine = demo_store(demo_template, tmp_path / "store")
    try:
        source = FIXTURES / "meta_ads_manager.csv"
        before = table_counts(engine)
        report = ingest_file(engine, source, IngestOptions(now=NOW, dry_run=True))
        assert (report.status, report.message) == ("ready", "4 rows ready to load into spend.")
        assert report.upload_id is None
        assert table_counts(engine) == before
        content = source.read_bytes()
        sha = hashlib.sha256(content).hexdigest()
        assert report.sha256 == sha
        assert report.archive_path == tmp_path / "store" / "uploads" / sha
        assert report.archive_path.read_bytes() == content
        # Checked, not loaded: the real upload afterwards is not a duplicate.
        assert ingest_file(engine, source, IngestOptions(now=NOW)).status == "loaded"
    finally:
        engine.dispose()


def test_a_mapping_override_loads_renamed_columns_and_is_remembered(tmp_path):
    engine = fresh_store(tmp_path / "store")
    try:
        renamed = FIXTURES / "hubspot_deals_renamed_amount.csv"
        refused = ingest_file(engine, renamed, IngestOptions(now=NOW))
        assert refused.status == "invalid" and refused.preset.name == "hubspot_deals"
        report = ingest_file(
            engine,
            renamed,
            IngestOptions(
                now=NOW, mapping={"amount": "Amount in company currency"}, remember_mapping=True
            ),
        )
        assert (report.status, report.message) == (
            "loaded",
            "Loaded 2 rows into opportunities (2 new, 0 new versions of records already held).",
        )
        amounts = read(engine, "select opportunity_id, amount_usd from current_opportunities")
        assert dict(amounts.itertuples(index=False)) == {
            "9876543601": 17500.0,
            "9876543602": 6250.0,
        }

        # A later export with the same header needs no options: the mapping was remembered.
        later = write_csv(
            tmp_path / "hubspot_deals_next_week.csv",
            [
                renamed.read_text(encoding="utf-8").splitlines()[0],
                "9876543603,Umberfield Foods - Platform,Closed Won,2026-11-25 00:00,Dana Whitfield,5100,2026-10-01 10:00,Sales Pipeline,New Business",
            ],
        )
        next_week = ingest_file(engine, later, IngestOptions(now=NOW))
        assert (next_week.status, next_week.message) == (
            "loaded",
            "Loaded 1 row into opportunities (1 new, 0 new versions of records already held).",
        )
        mapped = {item.field.name: item.column for item in next_week.mapping}
        assert mapped["amount"] == "Amount in company currency"
        assert read(
            engine,
            "select amount_usd from current_opportunities where opportunity_id = '9876543603'",
        ).iloc[0, 0] == pytest.approx(5100.0)
    finally:
        engine.dispose()


def test_a_mapping_naming_a_missing_column_is_refused_with_its_message(tmp_path):
    engine = fresh_store(tmp_path / "store")
    try:
        before = table_counts(engine)
        with pytest.raises(IngestError) as refused:
            ingest_file(
                engine,
                FIXTURES / "hubspot_deals_renamed_amount.csv",
                IngestOptions(now=NOW, mapping={"amount": "Deal Amount"}),
            )
        assert str(refused.value) == (
            "mapping for amount names column 'Deal Amount', which the file does not have; its "
            "columns are: Record ID, Deal Name, Deal Stage, Close Date, Deal owner, Amount in "
            "company currency, Create Date, Pipeline, Deal Type"
        )
        assert table_counts(engine) == before
    finally:
        engine.dispose()


FINANCE_HEADER = "Date,Channel,Campaign,Media cost"


def test_a_remembered_mapping_recognises_a_header_no_format_knows(tmp_path):
    engine = fresh_store(tmp_path / "store")
    try:
        first = write_csv(
            tmp_path / "finance_week_46.csv",
            [FINANCE_HEADER, "2026-11-09,events,Harvest Expo 2026,1800.00"],
        )
        confirmed = ingest_file(
            engine,
            first,
            IngestOptions(
                now=NOW,
                source="generic_spend",
                mapping={"amount": "Media cost"},
                remember_mapping=True,
            ),
        )
        assert confirmed.status == "loaded", confirmed.message
        second = write_csv(
            tmp_path / "finance_week_47.csv",
            [FINANCE_HEADER, "2026-11-16,events,Harvest Expo 2026,2200.00"],
        )
        report = ingest_file(engine, second, IngestOptions(now=NOW))
        assert (report.status, report.preset.name if report.preset else None) == (
            "loaded",
            "generic_spend",
        )
        assert read(engine, "select sum(amount_usd) from current_spend").iloc[0, 0] == (
            pytest.approx(4000.0)  # 1,800.00 + 2,200.00
        )
    finally:
        engine.dispose()


AMBIGUOUS = FIXTURES / "salesforce_report_ambiguous_dates.csv"


def test_ambiguous_dates_are_never_guessed(tmp_path):
    engine = fresh_store(tmp_path / "store")
    try:
        before = table_counts(engine)
        report = ingest_file(engine, AMBIGUOUS, IngestOptions(now=NOW))
        assert (report.status, report.message) == (
            "needs_date_order",
            "Every date in Created Date, Close Date reads both as month/day/year and as "
            "day/month/year (for example 03/04/2026): choose the order the export uses.",
        )
        assert report.ambiguous_date_columns == ("Created Date", "Close Date")
        assert table_counts(engine) == before
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("order", "decision", "expected"),
    [
        (
            "mdy",
            "Dates read as month/day/year (11/22/2026), as chosen.",
            # 01/02/2026 -> 2 Jan, 03/04/2026 -> 4 Mar; 10/09 -> 9 Oct, 12/11 -> 11 Dec
            {
                "006Qx00000M3p01AAA": (date(2026, 1, 2), date(2026, 3, 4)),
                "006Qx00000M3p02AAA": (date(2026, 2, 3), date(2026, 6, 5)),
                "006Qx00000M3p03AAA": (date(2026, 10, 9), date(2026, 12, 11)),
            },
        ),
        (
            "dmy",
            "Dates read as day/month/year (22/11/2026), as chosen.",
            # 01/02/2026 -> 1 Feb, 03/04/2026 -> 3 Apr; 10/09 -> 10 Sep, 12/11 -> 12 Nov
            {
                "006Qx00000M3p01AAA": (date(2026, 2, 1), date(2026, 4, 3)),
                "006Qx00000M3p02AAA": (date(2026, 3, 2), date(2026, 5, 6)),
                "006Qx00000M3p03AAA": (date(2026, 9, 10), date(2026, 11, 12)),
            },
        ),
    ],
)
def test_the_chosen_date_order_decides_the_dates(tmp_path, order, decision, expected):
    engine = fresh_store(tmp_path / "store")
    try:
        report = ingest_file(engine, AMBIGUOUS, IngestOptions(now=NOW, date_order=order))
        assert (report.status, report.message) == (
            "loaded",
            "Loaded 3 rows into opportunities (3 new, 0 new versions of records already held).",
        )
        assert decision in report.decisions
        stored = read(
            engine, "select opportunity_id, created_date, close_date from current_opportunities"
        )
        assert {
            key: (pd.Timestamp(created).date(), pd.Timestamp(close).date())
            for key, created, close in stored.itertuples(index=False)
        } == expected
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# The archive's size limit
# --------------------------------------------------------------------------------------------
def test_a_file_at_the_limit_is_archived(tmp_path):
    folder = tmp_path / "uploads"
    sha, path, size = archive_stream(io.BytesIO(b"x" * 1024), folder, limit=1024)
    assert (sha, size) == (hashlib.sha256(b"x" * 1024).hexdigest(), 1024)
    assert list(folder.iterdir()) == [path]


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(tmp_path):
    folder = tmp_path / "uploads"
    megabyte = 1024 * 1024
    with pytest.raises(UnreadableFileError) as refused:
        archive_stream(io.BytesIO(b"x" * (megabyte + 1)), folder, limit=megabyte)
    assert str(refused.value) == (
        "The file is larger than 1 MB, the most the app accepts: split the export by date range "
        "and upload the parts."
    )
    assert list(folder.iterdir()) == []


def test_a_limit_below_a_megabyte_is_stated_correctly(tmp_path):
    folder = tmp_path / "uploads"
    with pytest.raises(UnreadableFileError) as refused:
        archive_stream(io.BytesIO(b"x" * 1025), folder, limit=1024)
    assert list(folder.iterdir()) == []
    assert str(refused.value) == (
        "The file is larger than 1 KB, the most the app accepts: split the export by date range "
        "and upload the parts."
    )


def test_the_size_bound_is_the_callers_and_a_refused_file_changes_nothing(tmp_path):
    engine = fresh_store(tmp_path / "store")
    export = tmp_path / "spend.csv"
    export.write_text(
        "date,channel,amount,campaign_id\n"
        + "".join(f"2026-11-{day:02d},events,100.00,CMP-{day}\n" for day in range(1, 29)),
        encoding="utf-8",
    )
    assert export.stat().st_size > 512
    refused = ingest_file(engine, export, IngestOptions(max_bytes=512))
    assert (refused.status, refused.message) == (
        "unreadable",
        "The file is larger than 512 bytes, the most the app accepts: split the export by date "
        "range and upload the parts.",
    )
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from uploads")).scalar() == 0
    loaded = ingest_file(engine, export, IngestOptions())
    assert (loaded.status, loaded.rows_valid) == ("loaded", 28)
    engine.dispose()
