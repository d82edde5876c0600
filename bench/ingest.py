"""Ingest benchmark: our pipeline against DuckDB's bare ``read_csv`` and pandas ``to_sql``.

Run ``python -m bench.ingest [--rows N] [--out bench/INGEST.md]`` (``make bench``). It writes,
with a fixed seed, a Salesforce Data Loader opportunity export and a generic daily spend export
of N rows each into a temporary folder, then measures for each file, in the same run and each
in its own subprocess (so the peak resident memory is that method's alone):

a. **read_csv**: DuckDB's bare ``create table t as select * from read_csv(...)`` (auto-detect)
   into a fresh DuckDB file: the raw limit;
b. **ingest**: ``ingest_file`` end to end (archive, detect, stage, validate, commit) into a
   fresh store made by ``create_store_engine`` + ``migrate``;
c. **pandas**: ``pandas.read_csv`` + ``DataFrame.to_sql`` through a SQLAlchemy DuckDB engine.

a and b run three times each (interleaved) and report the median; c runs once. When c would
take longer than ``--naive-budget`` seconds it is measured on the first 100,000 rows and its
time extrapolated linearly (the table says so).

The child processes are this module run with ``--child``; they print one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from core.channels import PAID_CHANNELS  # a constant module: no heavy imports

if TYPE_CHECKING:
    import numpy as np

# numpy, pandas, DuckDB and the app are imported where they are used: the parent process
# must stay small, because a child's ru_maxrss starts from its parent's peak (Linux keeps the
# high-water mark across fork and exec), and read_csv's child should load DuckDB alone.

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ROWS = 1_000_000
DEFAULT_OUT = ROOT / "bench" / "RESULTS.md"
SEED = 20_261_122
AS_OF = date(2026, 11, 22)
CHUNK_ROWS = 250_000
PROBE_ROWS = 100_000
RUNS = 3
NAIVE_BUDGET_SECONDS = 600.0
TARGET_RATIO = 3.0
TARGET_PEAK_MB = 1000.0  # 1 GB, in MB of 10^6 bytes
CHILD_TIMEOUT_SECONDS = 3 * 3600

OPPORTUNITY_COLUMNS = [
    "ID",
    "ACCOUNTID",
    "ACCOUNT.NAME",
    "NAME",
    "STAGENAME",
    "AMOUNT",
    "CLOSEDATE",
    "CREATEDDATE",
    "TYPE",
    "LEADSOURCE",
    "ISCLOSED",
    "ISWON",
    "CAMPAIGNID",
    "PROBABILITY",
    "FORECASTCATEGORYNAME",
    "OWNER.NAME",
    "LASTMODIFIEDDATE",
]
SPEND_COLUMNS = ["date", "campaign_id", "campaign_name", "channel", "amount", "currency"]

OPEN_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
)
OPEN_PROBABILITY = ("10", "20", "40", "60", "80")
OPEN_FORECAST = ("Pipeline", "Pipeline", "Best Case", "Best Case", "Commit")
OWNERS = (
    "Alex Morgan",
    "Priya Nair",
    "Tom Becker",
    "Sofia Rossi",
    "James Carter",
    "Mei Chen",
    "Daniel Kim",
    "Laura Schmidt",
    "Chris Walker",
    "Fatima Haddad",
    "Lukas Wagner",
    "Emma Dubois",
)
NAME_FIRST = (
    "Acme", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli",
    "Vandelay", "Wonka", "Tyrell", "Cyberdyne", "Soylent", "Aperture", "Massive", "Pied Piper",
    "Dunder", "Gringotts", "Oscorp", "Blue Sun", "Nakatomi", "Virtucon", "Monarch", "Sirius",
    "Zenith", "Apex", "Summit", "Harbor", "Granite", "Silverline", "Redwood", "Bluebird",
    "Ironclad", "Evergreen", "Brightwave", "Cobalt", "Lumen", "Polaris", "Quantum",
)  # fmt: skip
NAME_SECOND = (
    "Analytics", "Systems", "Labs", "Logistics", "Health", "Energy", "Foods", "Media",
    "Robotics", "Capital", "Retail", "Software", "Networks", "Pharma", "Motors", "Security",
    "Insurance", "Telecom", "Materials", "Holdings",
)  # fmt: skip
NAME_SUFFIX = ("Inc.", "LLC", "GmbH", "Ltd", "Group", "Corp.", "AG", "SA")
TYPES = ("New Business", "Expansion", "Renewal")
LEAD_SOURCES = (
    "Paid Search",
    "Paid Social",
    "LinkedIn",
    "Event",
    "Webinar",
    "Content",
    "Partner Referral",
    "Outbound Prospecting",
    "Website",
    "Sales Generated",
    "Existing Customer",
)
SPEND_CHANNELS = PAID_CHANNELS
SPEND_THEMES = (
    "Brand",
    "Pipeline Accelerator",
    "Field Series",
    "CFO Roundtable",
    "Data Leaders",
    "Product Launch",
    "Retargeting",
    "Partner Summit",
)


# --------------------------------------------------------------------------------------------
# Test files
# --------------------------------------------------------------------------------------------
def _pick(values: tuple[str, ...], index: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.asarray(values, dtype=object)[index]


def _salesforce_ids(prefix: str, numbers: np.ndarray) -> np.ndarray:
    from core.demo.ids import salesforce_ids

    return salesforce_ids(prefix, numbers)


def _iso_days(days: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)


def _salesforce_stamps(minutes: np.ndarray) -> np.ndarray:
    import numpy as np

    text = np.datetime_as_string(minutes.astype("datetime64[m]").astype("datetime64[s]"), unit="s")
    return np.char.add(text, ".000Z").astype(object)


def _money(values: np.ndarray) -> np.ndarray:
    """``1234.56`` from amounts (vectorised: whole and cent parts as integers)."""
    import numpy as np

    cents = np.round(values * 100).astype(np.int64)
    whole = (cents // 100).astype(str).astype(object)
    fraction = np.char.zfill((cents % 100).astype(str), 2).astype(object)
    return whole + "." + fraction


def write_opportunities(path: Path, rows: int, seed: int = SEED) -> None:
    """A Salesforce Data Loader opportunity export: every field quoted, 18-character ids."""
    import numpy as np
    import pandas as pd

    from core.demo.exports import CsvExport

    rng = np.random.default_rng(seed)
    accounts = max(1, rows // 4)
    as_of = np.datetime64(AS_OF, "D")
    first_day = np.datetime64("2023-01-01", "D")
    span = int((as_of - first_day).astype(int))
    with CsvExport(path, OPPORTUNITY_COLUMNS, quote_all=True) as export:
        for start in range(0, rows, CHUNK_ROWS):
            count = min(CHUNK_ROWS, rows - start)
            number = np.arange(start, start + count, dtype=np.int64)
            account = rng.integers(0, accounts, count)
            account_name = (
                _pick(NAME_FIRST, account % len(NAME_FIRST))
                + " "
                + _pick(NAME_SECOND, (account // len(NAME_FIRST)) % len(NAME_SECOND))
                + " "
                + _pick(NAME_SUFFIX, (account // 7) % len(NAME_SUFFIX))
            )
            kind = rng.choice(3, count, p=[0.6, 0.25, 0.15])
            created = first_day + rng.integers(0, span, count).astype("timedelta64[D]")
            close = created + rng.integers(14, 271, count).astype("timedelta64[D]")
            created_minutes = created.astype("datetime64[m]") + (
                rng.integers(8 * 60, 18 * 60, count)
            ).astype("timedelta64[m]")
            is_closed = close <= as_of
            is_won = is_closed & (rng.random(count) < 0.32)
            stage_index = rng.integers(0, len(OPEN_STAGES), count)
            stage = np.where(
                is_won,
                "Closed Won",
                np.where(is_closed, "Closed Lost", _pick(OPEN_STAGES, stage_index)),
            )
            probability = np.where(
                is_won, "100", np.where(is_closed, "0", _pick(OPEN_PROBABILITY, stage_index))
            )
            forecast = np.where(
                is_won, "Closed", np.where(is_closed, "Omitted", _pick(OPEN_FORECAST, stage_index))
            )
            product = np.where(
                kind == 0,
                "Platform",
                np.where(
                    kind == 1,
                    "Analytics Add-on",
                    "Renewal " + (close.astype("datetime64[Y]").astype(int) + 1971).astype(str),
                ),
            ).astype(object)
            modified = np.minimum(close, as_of).astype("datetime64[m]") + np.timedelta64(
                10 * 60 + 14, "m"
            )
            modified = np.maximum(modified, created_minutes)
            with_campaign = rng.random(count) < 0.6
            campaign = np.where(
                with_campaign,
                _salesforce_ids("701", rng.integers(0, 2_000, count)),
                "",
            )
            amount = np.round(rng.lognormal(np.log(40_000), 0.8, count), -2)
            export.write(
                pd.DataFrame(
                    {
                        "ID": _salesforce_ids("006", number),
                        "ACCOUNTID": _salesforce_ids("001", account),
                        "ACCOUNT.NAME": account_name,
                        "NAME": account_name + " - " + product,
                        "STAGENAME": stage.astype(object),
                        "AMOUNT": _money(amount),
                        "CLOSEDATE": _iso_days(close),
                        "CREATEDDATE": _salesforce_stamps(created_minutes),
                        "TYPE": _pick(TYPES, kind),
                        "LEADSOURCE": _pick(
                            LEAD_SOURCES, rng.integers(0, len(LEAD_SOURCES), count)
                        ),
                        "ISCLOSED": np.where(is_closed, "true", "false").astype(object),
                        "ISWON": np.where(is_won, "true", "false").astype(object),
                        "CAMPAIGNID": campaign.astype(object),
                        "PROBABILITY": probability.astype(object),
                        "FORECASTCATEGORYNAME": forecast.astype(object),
                        "OWNER.NAME": _pick(OWNERS, rng.integers(0, len(OWNERS), count)),
                        "LASTMODIFIEDDATE": _salesforce_stamps(modified),
                    }
                )
            )


def write_spend(path: Path, rows: int, seed: int = SEED) -> None:
    """A generic daily spend export: one row per campaign and day, ending on the as-of day."""
    import numpy as np
    import pandas as pd

    from core.demo.exports import CsvExport

    rng = np.random.default_rng(seed + 1)
    campaigns = max(1, math.ceil(rows / 1_000))
    days = math.ceil(rows / campaigns)
    first_day = np.datetime64(AS_OF, "D") - np.timedelta64(days - 1, "D")
    campaign_numbers = np.arange(campaigns)
    channel_index = campaign_numbers % len(SPEND_CHANNELS)
    campaign_ids = np.char.add("CMP-", np.char.zfill(campaign_numbers.astype(str), 5)).astype(
        object
    )
    labels = np.asarray(
        [channel.replace("_", " ").title() for channel in SPEND_CHANNELS], dtype=object
    )
    campaign_names = (
        labels[channel_index]
        + " - "
        + _pick(SPEND_THEMES, (campaign_numbers // len(SPEND_CHANNELS)) % len(SPEND_THEMES))
        + " "
        + (campaign_numbers + 1).astype(str).astype(object)
    )
    channels = np.asarray(SPEND_CHANNELS, dtype=object)[channel_index]
    scale = rng.lognormal(np.log(400), 0.7, campaigns)
    with CsvExport(path, SPEND_COLUMNS) as export:
        for start in range(0, rows, CHUNK_ROWS):
            count = min(CHUNK_ROWS, rows - start)
            row = np.arange(start, start + count, dtype=np.int64)
            campaign = row % campaigns
            day = first_day + (row // campaigns).astype("timedelta64[D]")
            amount = scale[campaign] * rng.gamma(4.0, 0.25, count)
            export.write(
                pd.DataFrame(
                    {
                        "date": _iso_days(day),
                        "campaign_id": campaign_ids[campaign],
                        "campaign_name": campaign_names[campaign],
                        "channel": channels[campaign],
                        "amount": _money(amount),
                        "currency": "USD",
                    }
                )
            )


WRITERS = {"opportunities": write_opportunities, "spend": write_spend}


def head_of(path: Path, rows: int, target: Path) -> Path:
    """The header and first ``rows`` records of a file (no record spans lines in ours)."""
    with path.open("rb") as source, target.open("wb") as output:
        for _ in range(rows + 1):
            line = source.readline()
            if not line:
                break
            output.write(line)
    return target


# --------------------------------------------------------------------------------------------
# Children: one method, one process
# --------------------------------------------------------------------------------------------
def _peak_mb() -> float:
    """This process's ru_maxrss (KiB on Linux), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def _high_water_mb() -> float | None:
    """VmHWM: the peak resident set of this process's own memory map (reset by exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return None


def _cpu_seconds() -> float:
    """CPU time (user + system, every thread) this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_read_csv(file: Path, work: Path) -> dict[str, object]:
    import duckdb

    con = duckdb.connect(str(work / "raw.duckdb"))
    cpu, started = _cpu_seconds(), time.perf_counter()
    con.execute("create table t as select * from read_csv(?)", [str(file)]).fetchall()
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    rows = con.execute("select count(*) from t").fetchall()[0][0]
    settings = dict(
        con.execute(
            "select name, value from duckdb_settings() where name in ('threads', 'memory_limit')"
        ).fetchall()
    )
    started = time.perf_counter()
    con.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "close_seconds": time.perf_counter() - started,
        "rows": int(rows),
        "settings": settings,
    }


def child_ingest(file: Path, work: Path, uncapped: bool = False) -> dict[str, object]:
    from core.store.engine import create_store_engine
    from core.store.ingest import pipeline
    from core.store.schema import migrate

    started = time.perf_counter()
    engine = create_store_engine(f"duckdb:///{work / 'store.duckdb'}")
    migrate(engine)
    setup = time.perf_counter() - started
    options = pipeline.IngestOptions(uploaded_by="bench")
    cpu, started = _cpu_seconds(), time.perf_counter()
    if uncapped:
        # ingest_file's own steps, with the archive's size limit lifted: what the pipeline
        # would do with a file above MAX_UPLOAD_BYTES if the limit allowed it.
        folder = pipeline.archive_folder(engine.url.render_as_string(hide_password=False))
        report = pipeline.IngestReport(file_name=file.name)
        report.sha256, archived, report.size_bytes = pipeline.archive_file(
            file, folder, limit=1 << 50
        )
        report.archive_path = archived
        report = pipeline.ingest_archived(engine, archived, file.name, report, options)
    else:
        report = pipeline.ingest_file(engine, file, options)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    started = time.perf_counter()
    engine.dispose()
    close = time.perf_counter() - started
    result: dict[str, object] = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "setup_seconds": setup,
        "close_seconds": close,
        "rows": report.rows_valid,
        "max_upload_bytes": pipeline.MAX_UPLOAD_BYTES,
        "status": report.status,
        "message": report.message,
        "preset": report.preset.name if report.preset else None,
        "rows_read": report.rows_read,
        "rows_rejected": report.rows_rejected,
        "errors": report.errors.head(5).astype(str).to_dict("records"),
    }
    return result


def child_pandas(file: Path, work: Path) -> dict[str, object]:
    import pandas as pd
    import sqlalchemy as sa

    engine = sa.create_engine(f"duckdb:///{work / 'pandas.duckdb'}")
    cpu, started = _cpu_seconds(), time.perf_counter()
    frame = pd.read_csv(file)
    read = time.perf_counter() - started
    frame.to_sql("t", engine, if_exists="replace", index=False)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    with engine.connect() as connection:
        rows = connection.execute(sa.text("select count(*) from t")).scalar_one()
    engine.dispose()
    return {"seconds": seconds, "cpu_seconds": cpu, "read_seconds": read, "rows": int(rows)}


def child_ingest_uncapped(file: Path, work: Path) -> dict[str, object]:
    return child_ingest(file, work, uncapped=True)


CHILDREN = {
    "read_csv": child_read_csv,
    "ingest": child_ingest,
    "ingest_uncapped": child_ingest_uncapped,
    "pandas": child_pandas,
}


def run_child(method: str, file: Path, expected_rows: int, scratch: Path) -> dict[str, object]:
    """One measurement in a fresh process and a fresh folder; the child's JSON plus checks."""
    work = Path(tempfile.mkdtemp(prefix=f"{method}-", dir=scratch))
    command = [
        sys.executable,
        "-m",
        "bench.ingest",
        "--child",
        method,
        "--file",
        str(file),
        "--work",
        str(work),
    ]
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_SECONDS,
            check=False,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {
            "ok": False,
            "problem": f"exit code {done.returncode}",
            "stderr": done.stderr[-4000:],
            "command": " ".join(command),
        }
    result = json.loads(lines[-1])
    result["ok"] = True
    if method.startswith("ingest") and (
        result["status"] != "loaded" or result["rows"] != expected_rows
    ):
        result["ok"] = False
        result["problem"] = (
            f"status {result['status']!r}, rows_valid {result['rows']:,} (expected "
            f"'loaded' and {expected_rows:,}): {result['message']}"
        )
    elif result["rows"] != expected_rows:
        result["ok"] = False
        result["problem"] = f"{result['rows']:,} rows loaded, expected {expected_rows:,}"
    return result


def child_main(method: str, file: Path, work: Path) -> None:
    try:
        result = CHILDREN[method](file, work)
    except Exception as error:
        import traceback

        traceback.print_exc()
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}), flush=True)
        sys.exit(1)
    result["peak_mb"] = _peak_mb()
    result["vm_hwm_mb"] = _high_water_mb()
    print(json.dumps(result, default=str), flush=True)


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------
@dataclass
class Measure:
    """The runs of one method on one file."""

    method: str
    rows: int  # rows the measurement is about (the full file's, when extrapolated)
    runs: list[dict[str, object]] = field(default_factory=list)
    measured_rows: int = 0
    extrapolated: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(run["ok"] for run in self.runs)

    @property
    def seconds(self) -> float:
        median = statistics.median(float(run["seconds"]) for run in self.runs)
        return median * self.rows / self.measured_rows if self.extrapolated else median

    @property
    def cpu_seconds(self) -> float:
        median = statistics.median(float(run["cpu_seconds"]) for run in self.runs)
        return median * self.rows / self.measured_rows if self.extrapolated else median

    @property
    def peak_mb(self) -> float:
        return max(float(run["peak_mb"]) for run in self.runs)

    @property
    def problem(self) -> str:
        failed = next(run for run in self.runs if not run["ok"])
        return str(failed.get("problem") or failed.get("error") or "failed")


@dataclass
class FileResult:
    """All measurements of one test file."""

    title: str
    path: Path
    size_bytes: int
    rows: int
    read_csv: Measure
    ingest: Measure
    pandas: Measure
    uncapped: Measure | None = None  # ingest with the upload size limit lifted, when it applies

    @property
    def ingest_for_ratios(self) -> Measure:
        """The ingest measurement the ratios use: as shipped, else with the limit lifted."""
        if not self.ingest.ok and self.uncapped is not None and self.uncapped.ok:
            return self.uncapped
        return self.ingest


def log(text: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {text}", file=sys.stderr, flush=True)


def _describe_run(run: dict[str, object]) -> str:
    if not run["ok"]:
        return f"FAILED: {run.get('problem') or run.get('error')}"
    return f"{float(run['seconds']):.2f} s, peak {float(run['peak_mb']):.0f} MB"


def _record(title: str, measure: Measure, run: dict[str, object], note: str = "") -> None:
    measure.runs.append(run)
    log(f"{title}: {measure.method}{note}: {_describe_run(run)}")
    if not run["ok"] and run.get("stderr"):
        log(f"command: {run['command']}\n{run['stderr']}")


def measure_file(
    title: str, path: Path, rows: int, scratch: Path, runs: int, naive_budget: float
) -> FileResult:
    size = path.stat().st_size
    result = FileResult(
        title,
        path,
        size,
        rows,
        Measure("read_csv", rows, measured_rows=rows),
        Measure("ingest", rows, measured_rows=rows),
        Measure("pandas", rows, measured_rows=rows),
    )
    for attempt in range(runs):
        note = f" run {attempt + 1}"
        for measure in (result.read_csv, result.ingest):
            _record(title, measure, run_child(measure.method, path, rows, scratch), note)
        refused = result.ingest.runs[0]
        limit = refused.get("max_upload_bytes")
        if result.uncapped is None and not refused["ok"] and limit and size > int(limit):
            log(
                f"{title}: {size / 1e6:,.0f} MB is above the upload limit "
                f"({int(limit) / 1e6:,.0f} MB): also measuring ingest with the limit lifted"
            )
            result.uncapped = Measure("ingest_uncapped", rows, measured_rows=rows)
        if result.uncapped is not None:
            run = run_child("ingest_uncapped", path, rows, scratch)
            _record(title, result.uncapped, run, note)
    naive = result.pandas
    if rows > PROBE_ROWS:
        probe = head_of(path, PROBE_ROWS, scratch / f"probe-{path.name}")
        run = run_child("pandas", probe, PROBE_ROWS, scratch)
        probe.unlink()
        log(f"{title}: pandas on {PROBE_ROWS:,} rows: {_describe_run(run)}")
        estimate = float(run["seconds"]) * rows / PROBE_ROWS if run["ok"] else math.inf
        if estimate > naive_budget:
            naive.measured_rows, naive.extrapolated = PROBE_ROWS, True
            _record(title, naive, run, f" (~{estimate:.0f} s at {rows:,} rows: extrapolated)")
            return result
    _record(title, naive, run_child("pandas", path, rows, scratch))
    return result


def generate(kind: str, path: Path, rows: int) -> None:
    """Write a test file in a child process (the parent stays small: see the imports)."""
    command = [sys.executable, "-m", "bench.ingest", "--generate", kind, "--file", str(path)]
    began = time.perf_counter()
    subprocess.run([*command, "--rows", str(rows)], cwd=ROOT, check=True)
    log(
        f"wrote {path.name}: {rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB "
        f"in {time.perf_counter() - began:.1f} s"
    )


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------
def _meminfo_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _nproc() -> str:
    try:
        return subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(os.cpu_count())


def _seconds(value: float) -> str:
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def _ratio(numerator: Measure, denominator: Measure) -> float | None:
    if not numerator.ok or not denominator.ok:
        return None
    return numerator.seconds / denominator.seconds


LABELS = {
    "read_csv": "a. DuckDB bare `read_csv` (raw limit)",
    "ingest": "b. Our ingest, end to end (`ingest_file`)",
    "ingest_uncapped": "b'. Our ingest with the upload size limit lifted (benchmark only)",
    "pandas": "c. pandas `read_csv` + `to_sql`",
}


def _table_row(measure: Measure, raw: Measure, rows: int) -> str:
    label = LABELS[measure.method]
    runs = ", ".join(
        f"{float(run['seconds']):.2f}" if run["ok"] else "failed" for run in measure.runs
    )
    if not measure.ok:
        return f"| {label} | FAILED | | | | | {runs} |"
    ratio = _ratio(measure, raw)
    peak = f"{measure.peak_mb:,.0f}"
    if measure.extrapolated:
        label += f", extrapolated from 100k rows ({float(measure.runs[0]['seconds']):.1f} s)"
        peak += " (at 100k rows)"
        runs += " (100k rows)"
    return (
        f"| {label} | {_seconds(measure.seconds)} | {_seconds(measure.cpu_seconds)} | "
        f"{rows / measure.seconds:,.0f} | {peak} | "
        f"{'' if ratio is None else f'{ratio:.2f}'} | {runs} |"
    )


def file_section(result: FileResult) -> list[str]:
    raw, naive = result.read_csv, result.pandas
    ingest = result.ingest_for_ratios
    lifted = ingest is result.uncapped
    measures = [raw, result.ingest, *([result.uncapped] if result.uncapped else []), naive]
    lines = [
        f"### {result.title}",
        "",
        f"`{result.path.name}`: {result.rows:,} rows, {result.size_bytes / 1e6:,.0f} MB.",
        "",
        "| Method | Seconds | CPU s | Rows/s | Peak memory (MB) | x read_csv | Runs (s) |",
        "|---|---:|---:|---:|---:|---:|---|",
        *(_table_row(measure, raw, result.rows) for measure in measures),
        "",
    ]
    if not result.ingest.ok:
        lines.append(f"- **`ingest_file` FAILED**: {result.ingest.problem}")
    b_over_a, c_over_b = _ratio(ingest, raw), _ratio(naive, ingest)
    b = "b'" if lifted else "b"
    which = " (ingest with the size limit lifted)" if lifted else ""
    speed = "n/a" if b_over_a is None else f"{b_over_a:.2f}x"
    naive_speed = "n/a" if c_over_b is None else f"{c_over_b:.1f}x"
    lines.append(f"- Ingest / read_csv ({b}/a){which}: **{speed}**")
    lines.append(
        f"- pandas / ingest (c/{b}){which}: **{naive_speed}**"
        + (" (pandas extrapolated from 100k rows)" if naive.extrapolated else "")
    )
    if ingest.ok:
        setup = statistics.median(float(run["setup_seconds"]) for run in ingest.runs)
        lines.append(
            f"- Ingest recognised the file as `{ingest.runs[0]['preset']}` and loaded "
            f"{int(ingest.runs[0]['rows']):,} rows; the fresh store (`create_store_engine` + "
            f"`migrate`, not timed above) took {setup:.2f} s."
        )
    if raw.ok:
        settings = raw.runs[0].get("settings", {})
        lines.append(
            f"- read_csv ran with DuckDB's defaults (threads {settings.get('threads')}, "
            f"memory_limit {settings.get('memory_limit')})."
        )
    lines.append("")
    return lines


def _verdicts(measure: Measure, raw: Measure) -> tuple[str, str]:
    ratio = _ratio(measure, raw)
    if ratio is None:
        return "n/a", "n/a"
    speed = f"{'met' if ratio < TARGET_RATIO else 'NOT met'} ({ratio:.2f}x)"
    peak = measure.peak_mb
    return speed, f"{'met' if peak < TARGET_PEAK_MB else 'NOT met'} ({peak:,.0f} MB)"


def targets_section(results: list[FileResult]) -> list[str]:
    lines = [
        "## Targets",
        "",
        "Ingest end to end under 3x DuckDB's bare `read_csv` of the same file, with peak "
        "memory under 1 GB.",
        "",
        "| File | Ingest < 3x read_csv | Ingest peak < 1 GB |",
        "|---|---|---|",
    ]
    for result in results:
        if result.ingest.ok:
            speed, memory = _verdicts(result.ingest, result.read_csv)
        else:
            speed = memory = "NOT met: `ingest_file` does not load the file"
            if result.uncapped is not None and result.uncapped.ok:
                lifted_speed, lifted_memory = _verdicts(result.uncapped, result.read_csv)
                speed += f"; with the size limit lifted: {lifted_speed}"
                memory += f"; with the size limit lifted: {lifted_memory}"
        lines.append(f"| {result.title} | {speed} | {memory} |")
    lines.append("")
    return lines


def _memory_check(results: list[FileResult]) -> str:
    """How far ru_maxrss may be from each child's own peak (it starts at the parent's)."""
    runs = [
        run
        for result in results
        for measure in (result.read_csv, result.ingest, result.uncapped, result.pandas)
        if measure is not None
        for run in measure.runs
        if run.get("vm_hwm_mb") is not None
    ]
    parent = _peak_mb()
    if not runs:
        return f"The parent process peaked at {parent:,.0f} MB."
    gap = max(float(run["peak_mb"]) - float(run["vm_hwm_mb"]) for run in runs)
    below = parent < min(float(run["vm_hwm_mb"]) for run in runs)
    return (
        f"The parent process peaked at {parent:,.0f} MB"
        + (", below every child" if below else "")
        + f"; each child's ru_maxrss is within {gap:,.1f} MB of its own VmHWM (the peak of "
        "its own address space)."
    )


def write_report(
    out: Path, results: list[FileResult], rows: int, runs: int, took: float, load: float
) -> None:
    from core.store.engine import DEFAULT_DUCKDB_MEMORY_LIMIT, MEMORY_LIMIT_ENV

    default = DEFAULT_DUCKDB_MEMORY_LIMIT
    memory_env = os.environ.get(MEMORY_LIMIT_ENV) or f"unset (default {default})"
    packages = ", ".join(
        f"{name} {_version(name)}"
        for name in ("duckdb", "pandas", "sqlalchemy", "duckdb-engine", "pyarrow", "numpy")
    )
    lines = [
        "# Ingest benchmark",
        "",
        f"- Date: {datetime.now():%Y-%m-%d %H:%M}",
        f"- Machine: `nproc` {_nproc()}, {_meminfo_gib()} memory, {_cpu_model()}",
        f"- Python {platform.python_version()}; {packages}",
        f"- Store memory limit (`MARKETING_REVIEW_DUCKDB_MEMORY`): {memory_env}",
        f"- Rows per file: {rows:,}; seed {SEED}; the whole run took {took / 60:.1f} min; "
        f"1-minute load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end",
        "",
        "Each measurement runs in its own process on a fresh DuckDB file. Seconds are the "
        f"median of {runs} runs for read_csv and ingest (interleaved), one run for pandas, and "
        "time the load alone (the DuckDB connection or the migrated store is opened first, "
        "untimed); CPU s is the user + system time of those seconds, every thread counted "
        "(steadier than wall time when other work shares the machine). Peak memory is the "
        "process's peak resident set (`ru_maxrss`: interpreter "
        "and imports included; the highest of the runs), in MB of 10^6 bytes. "
        + _memory_check(results),
        "",
        "## Results",
        "",
    ]
    for result in results:
        lines.extend(file_section(result))
    lines.extend(targets_section(results))
    lines.extend(
        [
            "## Reproduce",
            "",
            "```",
            "make bench",
            f"# or: .venv/bin/python -m bench.ingest --rows {rows} --out bench/INGEST.md",
            "```",
            "",
        ]
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest",
        description="Benchmark ingest against DuckDB read_csv and pandas to_sql.",
    )
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows per test file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the Markdown report")
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of read_csv and ingest")
    parser.add_argument(
        "--naive-budget",
        type=float,
        default=NAIVE_BUDGET_SECONDS,
        help="seconds pandas may take before it is measured on 100k rows and extrapolated",
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--generate", choices=sorted(WRITERS), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        child_main(args.child, args.file, args.work)
        return
    if args.generate:
        WRITERS[args.generate](args.file, args.rows)
        return
    if args.rows < 1 or args.runs < 1:
        raise SystemExit("--rows and --runs must be at least 1")
    started, load = time.perf_counter(), os.getloadavg()[0]
    results = []
    with tempfile.TemporaryDirectory(prefix="marketing-review-bench-") as folder:
        scratch = Path(folder)
        files = (
            (
                "Salesforce Data Loader opportunities",
                "opportunities",
                scratch / f"salesforce_opportunities_{AS_OF.isoformat()}.csv",
            ),
            ("Generic daily spend", "spend", scratch / "finance_spend_daily.csv"),
        )
        for title, kind, path in files:
            generate(kind, path, args.rows)
            results.append(
                measure_file(title, path, args.rows, scratch, args.runs, args.naive_budget)
            )
            path.unlink()
    took = time.perf_counter() - started
    write_report(args.out, results, args.rows, args.runs, took, load)
    log(f"wrote {args.out}")
    print(args.out.read_text(encoding="utf-8"))
    if not all(result.ingest.ok for result in results):
        log("WARNING: ingest_file did not load every file: see the report")


if __name__ == "__main__":
    main()
