"""Benchmark of the app at demo scale 1, 10 and 100: every page cold and warm, the budget
simulator, and the app process's peak memory (issue 13's targets), written to bench/RESULTS.md.

For each scale the demo company is built into a fresh DuckDB file (``python -m core demo``, timed,
its own process), then one fresh process plays the app server:

- it serves the Definitions page once, untimed: the server's start (imports, the engine, the
  sign-in gate), paid once per process, is reported on its own as "first page after start";
- **cold**, per page: every ``st.cache_data`` entry and the fitted scenario model cleared, then
  the page run through the real ``app.py`` with Streamlit's AppTest (the frame, the sidebar and
  the page: what the server computes before the browser draws) — what the first person to open
  the page after new data is loaded waits for;
- **warm**: the same page run again three times (median): a rerun on a widget change, or a
  second visit, served from the caches keyed by data version;
- the **naive** way of a page is its cold time on every rerun (no cache): the ratio cold / warm
  is what the caches save;
- the **budget simulator** on the page's own fitted model: 100 random slider moves
  (:func:`core.scenarios.simulate`), 12 least-harm cuts, and the fit itself;
- **peak memory**: the process's peak resident set (``ru_maxrss``) after every page and the
  simulator: the app server's footprint with all caches filled.

Run ``make bench`` (every benchmark), ``make bench-pages`` or
``python -m bench.pages [--quick] [--scales 1 10 100] [--store SCALE=URL]``.

**PostgreSQL beside DuckDB** (issue 14): ``--engines duckdb postgres --postgres-url URL`` builds
each scale's demo twice, into a fresh DuckDB file and into a fresh database created on that
PostgreSQL server (``create database`` on its ``postgres`` database, in AUTOCOMMIT), each build
the same ``python -m core demo`` in its own process, and measures both stores with the same
measuring process. Only the report's "PostgreSQL beside DuckDB" section is then written into
``--out`` (the DuckDB sections already there are left as they are); ``--store SCALE=URL`` takes a
``postgresql+psycopg://`` URL too, for a database already built. ``--save DIR`` keeps the
measurements (``scale-N.json`` for DuckDB, ``postgres-scale-N.json`` for PostgreSQL) for
``--render``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bench.ingest import _cpu_model, _meminfo_gib, _nproc, _version
from bench.scenarios import _store_argument

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "RESULTS.md"
AS_OF = date(2026, 11, 23)
SEED = 42
PAGES = (
    ("overview", "Overview"),
    ("review", "Review"),
    ("goals", "Goals"),
    ("revenue", "Revenue"),
    ("pipeline", "Pipeline & Sales"),
    ("forecasts", "Forecast accuracy"),
    ("scenarios", "Budget scenarios"),
    ("campaigns", "Campaigns"),
    ("definitions", "Definitions"),
    ("data", "Data"),
    ("audit", "Audit"),
)
WARM_RUNS = 3
RESTART_PAGES = ("scenarios", "campaigns")  # the pages that fit response curves
MOVES = 100
SAVINGS = 12
TIMEOUT_S = 900
TARGET_WARM_MS = 300.0
TARGET_COLD_S = {10.0: 2.0, 100.0: 3.0}
TARGET_MOVE_MS = 50.0
TARGET_MEMORY_MB = 2000.0  # at scale 100
ENGINES = {"duckdb": "DuckDB", "postgres": "PostgreSQL"}
POSTGRES_HEADING = "## PostgreSQL beside DuckDB"
# The server settings the PostgreSQL section states (pg_settings; those not at their default
# are named as such).
POSTGRES_SETTINGS = (
    "shared_buffers",
    "work_mem",
    "effective_cache_size",
    "maintenance_work_mem",
    "max_parallel_workers_per_gather",
    "jit",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "max_connections",
)
STORE_TABLES = ("spend", "touches", "leads", "opportunities", "revenue")
TOP_CALLERS = 3  # per page, the functions whose queries took longest, in the PostgreSQL section


# Where a page misses its cold target, what the profile showed (py-spy on the measuring
# process, and the seconds per query from SQLAlchemy's cursor events, at scale 10 and 100).
WHY_SLOW = {
    "overview": (
        "What's working: the attribution inputs (every deal of the quarter and the quarter "
        "before, with each campaign touch on its account in the 90 days before it was created) "
        "are read into pandas and credited under the chosen model, about 4 s of queries at "
        "scale 100; then goal tracking (every goal's daily series, see Goals)."
    ),
    "campaigns": (
        "The same attribution inputs as the Overview, for two quarters, credited in pandas "
        "(six models need each deal's touch path), and the incremental return from the fitted "
        "curves (the fit itself when none is stored)."
    ),
    "goals": (
        "Every goal's daily series (one grouped query per metric) and monthly ARR with paying "
        "accounts counted distinct (about 0.8 s of current_revenue at scale 100)."
    ),
    "revenue": (
        "Sourced and influenced bookings per day (an exists-subquery over touches per deal), "
        "logo churn per quarter and the segment list, each a pass over millions of "
        "account-months or touches at scale 100."
    ),
    "forecasts": (
        "The baseline's track record: seven baselines, each with stage win rates over two "
        "years of first stage visits and a slip rate over eight quarters, about 0.9 s each at "
        "scale 100."
    ),
    "scenarios": (
        "Fitting the response curves (8 channels, 50 bootstrap draws: 5-8 s at any scale) when "
        "none is stored; with the fit stored, goal tracking and the goal effects."
    ),
    "pipeline": "Funnel counts and SLA months over every lead (4.9M at scale 100).",
}


def log(text: str) -> None:
    print(f"[bench.pages {datetime.now():%H:%M:%S}] {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The measuring process (python -m bench.pages --measure URL --json FILE)
# --------------------------------------------------------------------------------------------
def _navigation_mode() -> None:
    """Keep AppTest in st.navigation mode on every run, as the real server is (see
    tests/pages/conftest.py: without this a rerun would run the page file alone)."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def navigation_only(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        PagesManager.uses_pages_directory = False
        original(self, *args, **kwargs)

    PagesManager.__init__ = navigation_only  # type: ignore[method-assign]


def _problems(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(item.value)[:200] for item in (*app.exception, *app.error)]


def _problems_full(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Every exception's whole message and stack trace, and every error shown, untruncated."""
    full = []
    for item in app.exception:
        trace = "\n".join(getattr(item, "stack_trace", []) or [])
        full.append(f"{item.value}\n{trace}".strip())
    full.extend(str(item.value) for item in app.error)
    return full


_PROJECT_CODE = tuple(f"{ROOT / folder}{os.sep}" for folder in ("core", "ui", "pages"))


class QueryClock:
    """Seconds spent in ``cursor.execute`` per calling function, for every engine of the process.

    SQLAlchemy's cursor events time each statement (for PostgreSQL the round trip with every
    row; for DuckDB the query, its rows fetched after); each is booked to the innermost frame
    of the app's own code (``core/``, ``ui/``, ``pages/``), e.g.
    ``core/store/forecasts.py:stage_win_rates``, so the two engines' times can be set side by
    side whatever SQL text each dialect sends.
    """

    def __init__(self) -> None:
        self.records: list[tuple[str, float]] = []

    def install(self) -> None:
        import sqlalchemy as sa

        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._before)
        sa.event.listen(sa.engine.Engine, "after_cursor_execute", self._after)

    def _before(self, conn, *_args) -> None:  # type: ignore[no-untyped-def]
        conn.info.setdefault("bench_began", []).append(time.perf_counter())

    def _after(self, conn, *_args) -> None:  # type: ignore[no-untyped-def]
        began = conn.info.get("bench_began")
        if began:
            self.records.append((self._caller(), time.perf_counter() - began.pop()))

    @staticmethod
    def _caller() -> str:
        frame = sys._getframe(2)
        while frame is not None:
            path = frame.f_code.co_filename
            if path.startswith(_PROJECT_CODE):
                return f"{Path(path).relative_to(ROOT)}:{frame.f_code.co_name}"
            frame = frame.f_back
        return "elsewhere"

    def take(self) -> dict[str, object]:
        """The statements since the last call: count, seconds, and seconds per caller."""
        records, self.records = self.records, []
        callers: dict[str, list[float]] = {}
        for caller, seconds in records:
            runs_seconds = callers.setdefault(caller, [0, 0.0])
            runs_seconds[0] += 1
            runs_seconds[1] += seconds
        return {
            "count": len(records),
            "seconds": sum(seconds for _, seconds in records),
            "callers": {
                caller: {"runs": int(runs), "seconds": seconds}
                for caller, (runs, seconds) in sorted(callers.items(), key=lambda item: -item[1][1])
            },
        }


def store_facts(url: str) -> dict[str, object]:
    """What the store is: engine, version, settings, size, and (PostgreSQL) tables analyzed."""
    import sqlalchemy as sa

    from core.store.engine import create_store_engine, store_path

    engine = create_store_engine(url)
    facts: dict[str, object] = {"dialect": engine.dialect.name}
    try:
        with engine.connect() as connection:

            def scalar(sql: str) -> object:
                return connection.execute(sa.text(sql)).scalar_one()

            facts["version"] = str(scalar("select version()"))
            if engine.dialect.name == "postgresql":
                rows = connection.execute(
                    sa.text(
                        "select name, setting, unit, source from pg_settings where name in :names"
                    ).bindparams(sa.bindparam("names", expanding=True)),
                    {"names": list(POSTGRES_SETTINGS)},
                ).all()
                facts["settings"] = {
                    name: {"setting": setting, "unit": unit, "source": source}
                    for name, setting, unit, source in rows
                }
                facts["store_bytes"] = int(scalar("select pg_database_size(current_database())"))
                facts["analyzed"] = [
                    row._asdict()
                    for row in connection.execute(
                        sa.text(
                            "select relname as table, n_live_tup as rows, "
                            "coalesce(last_analyze, last_autoanalyze) is not null as analyzed "
                            "from pg_stat_user_tables order by relname"
                        )
                    )
                ]
            elif engine.dialect.name == "duckdb":
                facts["settings"] = {
                    name: {"setting": str(scalar(f"select current_setting('{name}')"))}
                    for name in ("memory_limit", "threads")
                }
                path = store_path(url)
                if path is not None and path.exists():
                    facts["store_bytes"] = path.stat().st_size
    except sa.exc.DBAPIError as error:  # facts are a nicety: never the reason a run fails
        facts["error"] = str(error.orig)
    finally:
        engine.dispose()
    return facts


def measure(url: str) -> dict[str, object]:
    """Time every page cold and warm and the simulator in this process; the results as JSON."""
    import logging

    os.environ["MARKETING_REVIEW_DB"] = url
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    _navigation_mode()
    import sqlalchemy as sa
    import streamlit as st
    from streamlit.logger import set_log_level
    from streamlit.testing.v1 import AppTest

    set_log_level("error")  # AppTest's "no runtime" warnings, once per run

    app_path = str(ROOT / "app.py")
    facts = store_facts(url)  # before any page: PostgreSQL's analyze state as the build left it
    clock = QueryClock()
    clock.install()

    def page_run(page: str) -> tuple[AppTest, float]:
        app = AppTest.from_file(app_path, default_timeout=TIMEOUT_S)
        app.switch_page(f"pages/{page}.py")
        began = time.perf_counter()
        app.run()
        return app, time.perf_counter() - began

    began = time.perf_counter()
    first, _ = page_run("definitions")
    start_s = time.perf_counter() - began
    for page, _title in PAGES:  # a server that has shown every page once: imports done
        page_run(page)
    from core.store.engine import create_store_engine
    from ui import scenarios as scenario_views

    def forget_fits() -> None:
        """New data: no stored fit matches it (the engine is the app's, one per process)."""
        with create_store_engine(url).begin() as connection:
            connection.execute(sa.text("delete from scenario_fits"))

    def clear_caches() -> None:
        st.cache_data.clear()
        scenario_views.prepared.clear()

    pages: list[dict[str, object]] = []
    for page, title in PAGES:
        clear_caches()
        forget_fits()
        clock.take()
        app, cold = page_run(page)
        cold_queries = clock.take()
        problems = _problems(app)
        problems_full = _problems_full(app)
        shown = [item.value for item in app.title]
        if title not in shown:
            problems.append(f"the page shows {shown}, not {title!r}")
        warm = []
        for _ in range(WARM_RUNS):
            rerun_began = time.perf_counter()
            app.run()
            warm.append(time.perf_counter() - rerun_began)
        warm_queries = clock.take()
        problems.extend(_problems(app))
        problems_full.extend(_problems_full(app))
        pages.append(
            {
                "page": page,
                "title": title,
                "cold_s": cold,
                "warm_s": warm,
                "problems": problems,
                "problems_full": problems_full,
                "cold_queries": cold_queries,
                "warm_queries": warm_queries,
            }
        )
        log(f"  {title}: cold {cold:.2f} s, warm {statistics.median(warm) * 1000:.0f} ms")
    del first
    errors: list[str] = []  # what failed outside a page (the page runs catch their own)
    restart: list[dict[str, object]] = []
    try:
        restart = _restart_timings(url, page_run, clear_caches, clock)
    except Exception:
        errors.append(f"restart timings: {traceback.format_exc()}")
        log(f"  the restart timings failed: {errors[-1]}")
    try:
        counts, current_opportunities, simulator = _simulator_timings(url)
    except Exception:
        errors.append(f"simulator: {traceback.format_exc()}")
        log(f"  the simulator timings failed: {errors[-1]}")
        counts, current_opportunities, simulator = dict.fromkeys(STORE_TABLES, 0), 0, {}
    return {
        "url": url,
        "engine": "postgres" if facts["dialect"] == "postgresql" else facts["dialect"],
        "store": facts,
        "start_s": start_s,
        "pages": pages,
        "restart": restart,
        "simulator": simulator,
        "rows": counts,
        "current_opportunities": current_opportunities,
        "errors": errors,
        "store_end": store_facts(url),  # autovacuum may have analyzed more tables meanwhile
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000.0,
    }


def _restart_timings(url, page_run, clear_caches, clock) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """The pages that fit curves, cold again with the fit stored (as after a restart)."""
    import sqlalchemy as sa

    from core.store import scenarios as store_scenarios
    from core.store.engine import create_store_engine

    restart: list[dict[str, object]] = []
    store_scenarios.store_fit(create_store_engine(url))  # as the Data page does after an upload
    with create_store_engine(url).connect() as connection:
        stored = connection.execute(sa.text("select count(*) from scenario_fits")).scalar_one()
    log(f"  fits stored before the restart timings: {stored}")
    for page, title in PAGES:
        if page not in RESTART_PAGES:
            continue
        clear_caches()  # the fit stays stored, as after a server restart or the fit after upload
        clock.take()
        app, cold = page_run(page)
        restart.append(
            {
                "page": page,
                "title": title,
                "cold_s": cold,
                "problems": _problems(app),
                "problems_full": _problems_full(app),
                "cold_queries": clock.take(),
            }
        )
        log(f"  {title} after a restart (fit stored): cold {cold:.2f} s")
    return restart


def _simulator_timings(url: str) -> tuple[dict[str, int], int, dict[str, object]]:
    """Row counts, and the budget simulator on the store's own fitted model."""
    import sqlalchemy as sa

    from core.scenarios import least_harm, simulate
    from core.store import queries
    from core.store import scenarios as store_scenarios
    from core.store.engine import create_store_engine

    engine = create_store_engine(url)
    as_of = queries.data_extent(engine).data_through or AS_OF
    calendar = queries.fiscal_calendar(queries.settings(engine))
    with engine.connect() as connection:
        counts = {
            table: int(
                connection.execute(sa.text(f"select count(*) from {table}")).scalar_one()  # noqa: S608
            )
            for table in STORE_TABLES
        }
        current_opportunities = int(
            connection.execute(sa.text("select count(*) from current_opportunities")).scalar_one()
        )
    simulator: dict[str, object] = {}
    began = time.perf_counter()
    data = store_scenarios.scenario_data(engine, as_of)
    simulator["data_s"] = time.perf_counter() - began
    if data is not None:
        began = time.perf_counter()
        curves = store_scenarios.fit_curves(data)
        simulator["fit_s"] = time.perf_counter() - began
        model, _ = store_scenarios.build_scenario_model(engine, data, curves, as_of, calendar)
        from bench.scenarios import random_moves

        moves = random_moves(model.channels, len(model.week_starts), MOVES)
        simulate(model, *moves[0])  # numpy's first-call costs
        move_s = []
        for move in moves:
            move_began = time.perf_counter()
            simulate(model, *move)
            move_s.append(time.perf_counter() - move_began)
        simulator["move_s"] = move_s
        window = float(model.window_spend(0, 13).sum())
        harm_s = []
        for step in range(SAVINGS):
            saving = window * (0.05 + 0.55 * step / (SAVINGS - 1))
            harm_began = time.perf_counter()
            least_harm(model, saving, 0, 13)
            harm_s.append(time.perf_counter() - harm_began)
        simulator["least_harm_s"] = harm_s
    else:
        simulator = {}
    engine.dispose()
    return counts, current_opportunities, simulator


# --------------------------------------------------------------------------------------------
# The parent: build stores, run the measuring process per scale, write the report
# --------------------------------------------------------------------------------------------
@dataclass
class ScaleRun:
    scale: float
    build_s: float | None
    build_peak_mb: float | None
    result: dict
    engine: str = "duckdb"
    # The build's stderr lines with the second each came, and the load averages of the run.
    run: dict = field(default_factory=dict)


def _run_build(command: list[str]) -> tuple[float, float, list[tuple[float, str]]]:
    """Run a build in its own process: its seconds, its own peak memory (MB, from ``wait4``,
    not the largest of every child so far) and its stderr lines with the second each came."""
    began = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    lines: list[tuple[float, str]] = []
    assert process.stderr is not None
    for line in process.stderr:
        lines.append((time.perf_counter() - began, line.rstrip("\n")))
        print(line, end="", file=sys.stderr, flush=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        tail = "\n".join(text for _, text in lines[-30:])
        raise subprocess.CalledProcessError(process.returncode, command, stderr=tail)
    return seconds, usage.ru_maxrss / 1000.0, lines


def _demo_command(scale: float, url: str) -> list[str]:
    return [
        sys.executable, "-m", "core", "demo", "--scale", f"{scale:g}", "--seed", str(SEED),
        "--as-of", AS_OF.isoformat(), "--db", url, "--replace",
    ]  # fmt: skip


def build_store(scale: float, folder: Path) -> tuple[str, float, float]:
    """The demo company at ``scale`` in a fresh file, built by the CLI in its own process."""
    url, seconds, peak, _ = build_duckdb_store(scale, folder)
    return url, seconds, peak


def build_duckdb_store(
    scale: float, folder: Path
) -> tuple[str, float, float, list[tuple[float, str]]]:
    """:func:`build_store`, with the build's stderr lines."""
    url = f"duckdb:///{folder / f'scale-{scale:g}.duckdb'}"
    seconds, peak, lines = _run_build(_demo_command(scale, url))
    return url, seconds, peak, lines


def _postgres_database_name(scale: float) -> str:
    return f"mr_bench_scale_{f'{scale:g}'.replace('.', '_')}_{os.getpid()}"


def _admin_engine(server_url: str):  # type: ignore[no-untyped-def]
    """The server's ``postgres`` database in AUTOCOMMIT (create and drop database need it)."""
    import sqlalchemy as sa

    url = sa.engine.make_url(server_url).set(database="postgres")
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def create_postgres_database(server_url: str, name: str) -> str:
    """A fresh, empty database ``name`` on the server of ``server_url``; its URL."""
    import sqlalchemy as sa

    engine = _admin_engine(server_url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'drop database if exists "{name}"'))
            connection.execute(sa.text(f'create database "{name}"'))
    finally:
        engine.dispose()
    url = sa.engine.make_url(server_url).set(database=name)
    return url.render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    import sqlalchemy as sa

    name = sa.engine.make_url(url).database
    engine = _admin_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'drop database if exists "{name}" with (force)'))
    finally:
        engine.dispose()


def build_postgres_store(
    scale: float, folder: Path, server_url: str
) -> tuple[str, float, float, list[tuple[float, str]]]:
    """The demo company at ``scale`` in a fresh PostgreSQL database on ``server_url``'s server,
    built by the same CLI command as the DuckDB file (its exports written under ``folder``)."""
    url = create_postgres_database(server_url, _postgres_database_name(scale))
    command = [*_demo_command(scale, url), "--out", str(folder / "demo")]
    seconds, peak, lines = _run_build(command)
    return url, seconds, peak, lines


def _engine_of(url: str) -> str:
    return "postgres" if url.startswith("postgresql") else "duckdb"


def _json_name(engine: str, scale: float) -> str:
    return f"scale-{scale:g}.json" if engine == "duckdb" else f"{engine}-scale-{scale:g}.json"


def run_scale(
    scale: float,
    url: str | None,
    folder: Path,
    engine: str = "duckdb",
    server_url: str | None = None,
    keep: bool = False,
) -> ScaleRun:
    """Build the store for ``scale`` on ``engine`` (unless ``url`` is given) and measure it."""
    name = ENGINES[engine]
    build_s = build_peak = None
    lines: list[tuple[float, str]] = []
    load = {"start": os.getloadavg()[0]}
    built = url is None
    if url is None:
        log(f"scale {scale:g}, {name}: building the demo store (seed {SEED}, as of {AS_OF})")
        if engine == "postgres":
            assert server_url is not None
            url, build_s, build_peak, lines = build_postgres_store(scale, folder, server_url)
        else:
            url, build_s, build_peak, lines = build_duckdb_store(scale, folder)
        log(f"scale {scale:g}, {name}: built in {build_s:.0f} s (peak {build_peak:,.0f} MB)")
        load["built"] = os.getloadavg()[0]
    out = folder / _json_name(engine, scale)
    log(f"scale {scale:g}, {name}: serving every page")
    try:
        subprocess.run(
            [sys.executable, "-m", "bench.pages", "--measure", url, "--json", str(out)],
            cwd=ROOT,
            check=True,
        )
    finally:
        if engine == "postgres" and built and not keep:
            drop_postgres_database(url)
    load["end"] = os.getloadavg()[0]
    result = json.loads(out.read_text())
    run = {
        "engine": engine,
        "scale": scale,
        "built": built,
        "build_s": build_s,
        "build_peak_mb": build_peak,
        "build_log": lines,
        "load": load,
        "date": f"{datetime.now():%Y-%m-%d %H:%M}",
    }
    result["run"] = run
    out.write_text(json.dumps(result))  # the run's facts kept with its measurements
    return ScaleRun(scale, build_s, build_peak, result, engine, run)


def run_from_json(path: Path) -> ScaleRun:
    """A run written by :func:`run_scale` (or an older ``scale-N.json`` without its facts)."""
    result = json.loads(path.read_text())
    run = result.get("run", {})
    scale = run.get("scale", float(path.stem.rpartition("scale-")[2]))
    engine = run.get("engine") or _engine_of(result.get("url", ""))
    return ScaleRun(float(scale), run.get("build_s"), run.get("build_peak_mb"), result, engine, run)


def _ms(seconds: float) -> str:
    milliseconds = seconds * 1000.0
    if milliseconds >= 100:
        return f"{milliseconds:,.0f}"
    return f"{milliseconds:.1f}" if milliseconds >= 10 else f"{milliseconds:.2f}"


def _s(seconds: float) -> str:
    return f"{seconds:,.2f}"


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _warm(page: dict) -> float:
    return statistics.median(page["warm_s"])


def scale_section(run: ScaleRun) -> list[str]:
    result = run.result
    rows = result["rows"]
    lines = [
        f"### Demo scale {run.scale:g}",
        "",
        f"Stored rows (every version): {rows['touches']:,} touches, {rows['spend']:,} spend, "
        f"{rows['opportunities']:,} opportunity versions ({result['current_opportunities']:,} "
        f"opportunities), {rows['leads']:,} leads, {rows['revenue']:,} account-months of ARR."
        + (
            f" Built in {run.build_s:.0f} s (peak {run.build_peak_mb:,.0f} MB)."
            if run.build_s is not None
            else " Store given with --store (build not timed)."
        ),
        "",
        f"First page after the server starts (imports, engine, sign-in gate; once per "
        f"process): {_s(result['start_s'])} s.",
        "",
        "| Page | Cold s | Warm ms (median of 3) | Cold / warm (naive rerun / ours) | Problems |",
        "|---|---:|---:|---:|---|",
    ]
    for page in result["pages"]:
        warm = _warm(page)
        problems = "; ".join(page["problems"]) or "none"
        lines.append(
            f"| {page['title']} | {_s(page['cold_s'])} | {_ms(warm)} | "
            f"{page['cold_s'] / warm:,.0f}x | {problems} |"
        )
    if result.get("restart"):
        lines += [
            "",
            "The pages that fit response curves, cold with the fit already stored (after a "
            "server restart, or once the fit the Data page starts after an upload is done):",
            "",
            "| Page | Cold s, fit stored | Cold s, fitting | Problems |",
            "|---|---:|---:|---|",
        ]
        fitting = {page["page"]: page["cold_s"] for page in result["pages"]}
        for page in result["restart"]:
            problems = "; ".join(page["problems"]) or "none"
            lines.append(
                f"| {page['title']} | {_s(page['cold_s'])} | {_s(fitting[page['page']])} | "
                f"{problems} |"
            )
    simulator = result["simulator"]
    if simulator:
        moves = sorted(simulator["move_s"])
        worst = moves[-1]
        lines += [
            "",
            "| Budget simulator | Median ms | Worst ms | Runs |",
            "|---|---:|---:|---:|",
            f"| Slider move (`simulate`) | {_ms(statistics.median(moves))} | {_ms(worst)} | "
            f"{len(moves)} |",
            f"| Least-harm cut | {_ms(statistics.median(simulator['least_harm_s']))} | "
            f"{_ms(max(simulator['least_harm_s']))} | {len(simulator['least_harm_s'])} |",
            f"| Curve fitting (every channel, with its range) | {_ms(simulator['fit_s'])} | "
            f"{_ms(simulator['fit_s'])} | 1 |",
            "",
            f"A slider move is {simulator['fit_s'] / statistics.median(moves):,.0f}x faster than "
            "refitting on every move (the naive way).",
        ]
    lines += ["", f"Peak memory of the app process: **{result['peak_rss_mb']:,.0f} MB**.", ""]
    return lines


def targets_section(runs: list[ScaleRun]) -> list[str]:
    lines = [
        "## Targets (issue 13)",
        "",
        "| Scale | Every page warm < 300 ms (10, 100) | Every page cold < 2 s (10), 3 s (100) "
        "| Slider move < 50 ms "
        "| Memory < 2 GB (scale 100) |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        pages = run.result["pages"]
        slowest_warm = max(pages, key=_warm)
        slowest_cold = max(pages, key=lambda page: page["cold_s"])
        limit = TARGET_COLD_S.get(run.scale)
        warm_ok = _warm(slowest_warm) * 1000 < TARGET_WARM_MS
        cold = (
            f"{_met(slowest_cold['cold_s'] < limit)} (< {limit:g} s; slowest "
            f"{slowest_cold['title']} {_s(slowest_cold['cold_s'])} s)"
            if limit is not None
            else f"(no target; slowest {slowest_cold['title']} {_s(slowest_cold['cold_s'])} s)"
        )
        simulator = run.result["simulator"]
        move = (
            f"{_met(max(simulator['move_s']) * 1000 < TARGET_MOVE_MS)} "
            f"(worst {_ms(max(simulator['move_s']))} ms)"
            if simulator
            else "(no spend)"
        )
        peak = run.result["peak_rss_mb"]
        memory = (
            f"{_met(peak < TARGET_MEMORY_MB)} ({peak:,.0f} MB)"
            if run.scale == 100
            else f"(no target; {peak:,.0f} MB)"
        )
        warm = (
            f"{_met(warm_ok)} (slowest {slowest_warm['title']} {_ms(_warm(slowest_warm))} ms)"
            if limit is not None
            else f"(no target; slowest {slowest_warm['title']} {_ms(_warm(slowest_warm))} ms)"
        )
        lines.append(f"| {run.scale:g} | {warm} | {cold} | {move} | {memory} |")
    return [*lines, ""]


def gaps_section(runs: list[ScaleRun]) -> list[str]:
    """Each page that missed a cold or warm target, where, and what the profile showed."""
    missed: dict[str, list[str]] = {}
    titles = dict(PAGES)
    for run in runs:
        limit = TARGET_COLD_S.get(run.scale)
        for page in run.result["pages"]:
            if limit is not None and page["cold_s"] >= limit:
                missed.setdefault(page["page"], []).append(
                    f"cold {_s(page['cold_s'])} s at scale {run.scale:g}"
                )
            if run.scale in TARGET_COLD_S and _warm(page) * 1000 >= TARGET_WARM_MS:
                missed.setdefault(page["page"], []).append(
                    f"warm {_ms(_warm(page))} ms at scale {run.scale:g}"
                )
    if not missed:
        return []
    lines = ["## Where a target is missed, and why", ""]
    for page, where in missed.items():
        why = WHY_SLOW.get(page, "not profiled yet")
        lines.append(f"- **{titles[page]}** ({'; '.join(where)}): {why}")
    return [*lines, ""]


# What the PostgreSQL run showed, from the seconds per calling function in the section's
# "Where the time goes" list (QueryClock) and the build's log; rendered as the section's last
# bullets. Written after reading a run's numbers, like WHY_SLOW: re-check after a new run.
POSTGRES_NOTES: tuple[str, ...] = (
    "Run of 2026-12-05 03:23-03:31 at scale 10, no test suite running beside it, on a "
    "throwaway cluster as `.ci/postgres start` makes it (initdb's defaults; fsync, "
    "synchronous_commit and full_page_writes off and max_connections 200 on its command line), "
    "with the app's own session settings (`core/store/engine.py`: jit off, work_mem 64MB) and "
    "schema 13's PostgreSQL indexes for the write path.",
    "**No SQL failed**: every page rendered on PostgreSQL without an exception or an error "
    "message, and both stores hold the same rows.",
    "**Before schema 13 and the session settings** (the first run, 02:38-03:08, with other "
    "work on the cores): the build took 1,538 s against DuckDB's 167 s (9.2x) and the cold "
    "pages summed 87.9 s against 21.5 s (4.1x). The build was the weekly opportunity "
    "snapshots: with no index, each write's refresh read the whole `opportunities` table "
    "(3,572 sequential scans, 690 million rows) and the not-exists of "
    "`_refresh_stage_visits` ran as a nested loop over `opportunity_stage_visits` (144,615 "
    "scans, 11.1 billion rows) on statistics taken while it was small: two stretches of 25 "
    "snapshots took 430 s and 839 s. Indexes on the upload ids and keys the refresh reads "
    "(PostgreSQL only; DuckDB loads twice as fast without them) took the build to 199 s. "
    "JIT compilation had cost `campaign_totals` 2.4 s of 2.8 s and 4MB of work_mem spilled "
    "the attribution and ARR aggregations to disk.",
    "**Why PostgreSQL's cold pages are still slower: the analytical queries read whole "
    "tables.** Each is a scan of a row store several times the size of DuckDB's compressed "
    "columns (1,426 MB with its indexes against 182 MB); DuckDB's vectorised, parallel "
    "column scans are simply faster at this, and the "
    "query column shows the pages' extra time is in `cursor.execute`. Indexes do not help a "
    "query that aggregates a whole table.",
    "**Revenue** (the largest ratio, 14 s): `core/store/arr.py:logo_churn_by_period` runs one "
    "statement per quarter (18), each aggregating all of `current_revenue` by account and "
    "month: 0.7 s a statement on PostgreSQL against 9 ms on DuckDB. One statement for every "
    "quarter, or a monthly paying-accounts summary kept like `arr_summary`, is the fix (its "
    "own issue).",
    "**Forecast accuracy** (9 s): `slip_rate`, `stage_win_rates` and `open_due` each scan "
    "`opportunity_history` whole, once per baseline (seven); caching the baselines per data "
    "version, or one statement for the seven, would take most of it.",
    "**Where PostgreSQL is not slower**: warm reruns (the app's caches keyed by data version "
    "serve them), the budget simulator (arrays in memory once read), the small pages, and the "
    "app process's memory (DuckDB's buffer cache lives in the app process, PostgreSQL's in its "
    "own server).",
)


def _cell(text: str) -> str:
    """Text for a Markdown table cell: one line, no stray column breaks."""
    return " ".join(text.split()).replace("|", "\\|")


def _pairs(runs: list[ScaleRun]) -> list[tuple[ScaleRun, ScaleRun]]:
    """Each PostgreSQL run with the DuckDB run of the same scale."""
    duckdb = {run.scale: run for run in runs if run.engine == "duckdb"}
    return [
        (duckdb[run.scale], run) for run in runs if run.engine == "postgres" and run.scale in duckdb
    ]


def _pg_setting(name: str, info: dict) -> str:
    value, unit = info.get("setting", "?"), info.get("unit")
    units = {"8kB": 8, "kB": 1}
    if unit in units and value.lstrip("-").isdigit():
        kilobytes = int(value) * units[unit]
        value = f"{kilobytes / 1024:g}MB" if kilobytes >= 1024 else f"{kilobytes}kB"
    elif unit:
        value = f"{value}{unit}"
    source = info.get("source", "default")
    return f"{name} {value}" + ("" if source == "default" else f" ({source})")


def _fit_seconds(run: ScaleRun) -> float | None:
    for _, line in run.run.get("build_log", []):
        match = re.search(r"Fitted the budget curves in ([\d.]+) s", line)
        if match:
            return float(match.group(1))
    return None


def _ratio(postgres: float, duckdb: float) -> str:
    return f"{postgres / duckdb:,.1f}x" if duckdb > 0 else "–"


def _queries(page: dict, key: str = "cold_queries") -> str:
    queries = page.get(key)
    if not queries:
        return "–"
    return f"{_s(queries['seconds'])} ({queries['count']})"


def _statements(count: int) -> str:
    return f"{count} statement" + ("" if count == 1 else "s")


def _mb(size: object) -> str:
    return f"{int(size) / 1e6:,.0f} MB" if isinstance(size, int) else "unknown"


def _section_facts(duckdb: ScaleRun, postgres: ScaleRun) -> list[str]:
    """The section's bullets: what was measured when, the servers, the machine, the stores."""
    pg_store, duck_store = postgres.result.get("store", {}), duckdb.result.get("store", {})
    how = {
        run.engine: (
            "built by `python -m core demo` in its own process, then measured"
            if run.run.get("built") or run.build_s is not None
            else "given with `--store` (built earlier, build not timed), measured"
        )
        for run in (duckdb, postgres)
    }
    pg_version = str(pg_store.get("version", "unknown")).split(" on ")[0]
    settings = pg_store.get("settings", {})
    pg_settings = ", ".join(
        _pg_setting(name, settings[name]) for name in POSTGRES_SETTINGS if name in settings
    )
    duck_settings = duck_store.get("settings", {})
    duck_text = ", ".join(f"{name} {info.get('setting')}" for name, info in duck_settings.items())
    host = re.sub(r"^[^@]*@", "", str(postgres.result.get("url", "")).split("//", 1)[-1])
    host = host.split("/", 1)[0]
    loads = [
        (f"{ENGINES[run.engine]} {moment}", value)
        for run in (duckdb, postgres)
        for moment, value in run.run.get("load", {}).items()
    ]
    load_text = ", ".join(f"{value:.2f} ({moment})" for moment, value in loads)
    shared = any(value > 0.5 for _, value in loads)
    lines = [
        f"- Measured {postgres.run.get('date', 'at an unknown date')}, one run: DuckDB's "
        f"scale-{duckdb.scale:g} store {how['duckdb']} in this same run for this table (so its "
        "numbers here are this run's, not those under Results, which come from their own "
        f"run); PostgreSQL's {how['postgres']} by the same measuring process (`measure(url)`).",
        f"- PostgreSQL: {pg_version}, a server on {host} reached over TCP, one database per "
        f"store. Its settings (from `pg_settings`; those not at their default say where they "
        f"were set): {pg_settings}. Driver psycopg {_version('psycopg')}.",
        f"- DuckDB {_version('duckdb')} in the app process (duckdb-engine "
        f"{_version('duckdb-engine')}): {duck_text}.",
        f"- Machine: `nproc` {_nproc()}, {_meminfo_gib()} memory, {_cpu_model()}; SQLAlchemy "
        f"{_version('sqlalchemy')}, pandas {_version('pandas')}, Python "
        f"{platform.python_version()}. 1-minute load average: {load_text or 'not recorded'}."
        + (
            f" The {_nproc()} cores were shared with other processes during the run (the load "
            "was above zero before it started), so single figures can be off by tens of "
            "percent; the same page measured twice in a quiet hour differs less."
            if shared
            else ""
        ),
    ]
    if "store_bytes" in duck_store or "store_bytes" in pg_store:
        lines.append(
            f"- Store size: DuckDB file {_mb(duck_store.get('store_bytes'))}, PostgreSQL "
            f"database {_mb(pg_store.get('store_bytes'))} (`pg_database_size`, with indexes)."
        )
    rows_duck, rows_pg = duckdb.result.get("rows", {}), postgres.result.get("rows", {})
    if rows_duck == rows_pg:
        lines.append(
            "- Both stores hold the same rows: "
            + ", ".join(f"{count:,} {table}" for table, count in rows_duck.items())
            + f" ({postgres.result.get('current_opportunities', 0):,} current opportunities)."
        )
    else:
        lines.append(
            "- **The stores differ**: "
            + ", ".join(
                f"{table} {rows_duck.get(table)} in DuckDB, {rows_pg.get(table)} in PostgreSQL"
                for table in sorted(set(rows_duck) | set(rows_pg))
                if rows_duck.get(table) != rows_pg.get(table)
            )
            + "."
        )
    analyzed = pg_store.get("analyzed")
    if analyzed:

        def not_analyzed(facts: dict) -> list[str]:
            return [
                f"{table['table']} ({table['rows']:,} row{'' if table['rows'] == 1 else 's'})"
                for table in facts.get("analyzed", [])
                if table["rows"] and not table["analyzed"]
            ]

        holding = sum(1 for table in analyzed if table["rows"])
        start = not_analyzed(pg_store)
        end = not_analyzed(postgres.result.get("store_end", {}))
        lines.append(
            "- Neither the build nor the app runs `analyze`: PostgreSQL plans with what "
            f"autovacuum has analyzed. When the measuring began, {holding - len(start)} of the "
            f"{holding} tables holding rows had been analyzed"
            + (f" (not yet: {', '.join(start)})" if start else "")
            + (
                f"; at its end, all but {', '.join(end)}."
                if end
                else "; at its end, all of them."
                if "store_end" in postgres.result
                else "."
            )
        )
    return lines


# The demo's exports by path, in the order the build loads them, for the build's time per kind.
EXPORT_KINDS = (
    ("crm/opportunities/", "weekly opportunity snapshots"),
    ("hubspot_contacts", "leads (HubSpot contacts)"),
    ("campaign_touches", "campaign touches"),
    ("billing_mrr", "revenue (billing MRR by account)"),
    ("ads/", "spend (ad platforms and finance)"),
    ("marketing_spend", "spend (ad platforms and finance)"),
    ("", "plans, campaigns and forecasts"),
)
_PROGRESS = re.compile(r"\[(?P<number>\d+)/(?P<files>\d+)\] (?P<path>\S+): ")


def build_phases(run: ScaleRun) -> tuple[dict[str, float], list[tuple[int, float]]]:
    """Seconds of the build per kind of export (the time between the CLI's progress lines, each
    booked to the export the later line names; the first one includes simulating the company),
    and the weekly opportunity snapshots' seconds between their progress lines (every 25
    files) as (last file number, seconds)."""
    phases: dict[str, float] = {}
    snapshots: list[tuple[int, float]] = []
    previous: float | None = None
    for seconds, line in run.run.get("build_log", []):
        if line.startswith("Simulating"):
            phases["start of the process (imports)"] = seconds
            previous = seconds
            continue
        match = _PROGRESS.match(line)
        if match is None or previous is None:
            continue
        path = match.group("path")
        if int(match.group("number")) == 1:
            label = "simulating the company, then the first export"
        else:
            label = next(label for prefix, label in EXPORT_KINDS if prefix in path)
        phases[label] = phases.get(label, 0.0) + seconds - previous
        if path.startswith("crm/opportunities/"):
            snapshots.append((int(match.group("number")), seconds - previous))
        previous = seconds
    return phases, snapshots


def _build_phases_table(duckdb: ScaleRun, postgres: ScaleRun) -> list[str]:
    (duck, duck_snapshots), (pg, pg_snapshots) = build_phases(duckdb), build_phases(postgres)
    if not duck or not pg:
        return []
    labels = list(dict.fromkeys([*duck, *pg]))
    lines = [
        "Where the build's time went, from the second each of the CLI's progress lines came "
        "(a line per export, but one per 25 weekly opportunity snapshots; each interval booked "
        "to the export the later line names: writing that file and loading it):",
        "",
        "| Build step | DuckDB s | PostgreSQL s | PostgreSQL / DuckDB |",
        "|---|---:|---:|---:|",
    ]
    for label in labels:
        duck_s, pg_s = duck.get(label, 0.0), pg.get(label, 0.0)
        lines.append(f"| {label} | {_s(duck_s)} | {_s(pg_s)} | {_ratio(pg_s, duck_s)} |")
    lines.append("")
    if duck_snapshots and pg_snapshots:
        duck_by, pg_by = dict(duck_snapshots), dict(pg_snapshots)
        steps = ", ".join(
            f"{number}: {duck_by[number]:,.0f} / {pg_by[number]:,.0f}"
            for number in sorted(set(duck_by) & set(pg_by))
        )
        lines += [
            "The weekly opportunity snapshots, seconds per progress line (export number it "
            f"names: DuckDB / PostgreSQL): {steps}.",
            "",
        ]
    return lines


def _build_table(duckdb: ScaleRun, postgres: ScaleRun) -> list[str]:
    if duckdb.build_s is None and postgres.build_s is None:
        return ["Both stores were given with `--store`: no build was timed.", ""]

    def cell(value: float | None, text=_s) -> str:  # type: ignore[no-untyped-def]
        return "–" if value is None else text(value)

    fits = {run.engine: _fit_seconds(run) for run in (duckdb, postgres)}
    rest = {
        run.engine: (run.build_s - fits[run.engine])
        if run.build_s is not None and fits[run.engine] is not None
        else None
        for run in (duckdb, postgres)
    }

    def mb(value: float) -> str:
        return f"{value:,.0f}"

    return [
        f"The build: `python -m core demo --scale {duckdb.scale:g} --seed {SEED} --as-of "
        f"{AS_OF} --db URL --replace` (for PostgreSQL with `--out` a temporary folder for "
        "the exports, which the DuckDB build writes next to its file), each in its own "
        "process: it simulates the company, "
        "writes every vendor-shaped CSV export and loads each through the real loader (DuckDB "
        "in the process; for PostgreSQL each file staged in an in-memory DuckDB, then "
        "streamed with `COPY ... FROM STDIN`), then fits the budget curves. Simulating and "
        "writing are the same work for both engines, so the difference in the third row is "
        "the loading.",
        "",
        "| Build | DuckDB | PostgreSQL | PostgreSQL / DuckDB |",
        "|---|---:|---:|---:|",
        f"| Whole build, s | {cell(duckdb.build_s)} | {cell(postgres.build_s)} | "
        + (_ratio(postgres.build_s, duckdb.build_s) if duckdb.build_s and postgres.build_s else "–")
        + " |",
        f"| of which the budget-curve fit (as the CLI reports it), s | "
        f"{cell(fits['duckdb'])} | {cell(fits['postgres'])} | |",
        f"| the rest: simulate, write the exports, load them, s | {cell(rest['duckdb'])} | "
        f"{cell(rest['postgres'])} | "
        + (_ratio(rest["postgres"], rest["duckdb"]) if rest["duckdb"] and rest["postgres"] else "–")
        + " |",
        f"| Peak memory of the build process, MB | {cell(duckdb.build_peak_mb, mb)} | "
        f"{cell(postgres.build_peak_mb, mb)} | |",
        "",
    ]


def _pages_table(duckdb: ScaleRun, postgres: ScaleRun) -> list[str]:
    duck_pages = {page["page"]: page for page in duckdb.result["pages"]}
    lines = [
        "Every page through the real `app.py` (AppTest), cold (every cache cleared, no fit "
        "stored) and warm (median of 3 reruns), as in the sections below; *queries* is the "
        "time inside `cursor.execute` during the cold run (SQLAlchemy's cursor events; for "
        "PostgreSQL the round trip with every row) and the number of statements.",
        "",
        "| Page | DuckDB cold s | PostgreSQL cold s | PG / DuckDB | DuckDB warm ms | "
        "PostgreSQL warm ms | DuckDB queries s (n) | PostgreSQL queries s (n) | Problems |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    totals = [0.0, 0.0, 0.0, 0.0]
    for page in postgres.result["pages"]:
        duck = duck_pages.get(page["page"])
        if duck is None:
            continue
        problems = [f"PostgreSQL: {_cell(text)}" for text in page["problems"]]
        problems += [f"DuckDB: {_cell(text)}" for text in duck["problems"]]
        totals = [
            totals[0] + duck["cold_s"],
            totals[1] + page["cold_s"],
            totals[2] + _warm(duck),
            totals[3] + _warm(page),
        ]
        lines.append(
            f"| {page['title']} | {_s(duck['cold_s'])} | {_s(page['cold_s'])} | "
            f"{_ratio(page['cold_s'], duck['cold_s'])} | {_ms(_warm(duck))} | "
            f"{_ms(_warm(page))} | {_queries(duck)} | {_queries(page)} | "
            f"{'; '.join(problems) or 'none'} |"
        )
    lines += [
        f"| **Every page, summed** | {_s(totals[0])} | {_s(totals[1])} | "
        f"{_ratio(totals[1], totals[0])} | {_ms(totals[2])} | {_ms(totals[3])} | | | |",
        "",
    ]
    duck_restart = {page["page"]: page for page in duckdb.result.get("restart", [])}
    restart = [page for page in postgres.result.get("restart", []) if page["page"] in duck_restart]
    if restart:
        lines += [
            "The pages that fit response curves, cold again with the fit stored (after a "
            "server restart):",
            "",
            "| Page, fit stored | DuckDB cold s | PostgreSQL cold s | PG / DuckDB | "
            "DuckDB queries s (n) | PostgreSQL queries s (n) | Problems |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for page in restart:
            duck = duck_restart[page["page"]]
            problems = [f"PostgreSQL: {_cell(text)}" for text in page["problems"]]
            problems += [f"DuckDB: {_cell(text)}" for text in duck["problems"]]
            lines.append(
                f"| {page['title']} | {_s(duck['cold_s'])} | {_s(page['cold_s'])} | "
                f"{_ratio(page['cold_s'], duck['cold_s'])} | {_queries(duck)} | "
                f"{_queries(page)} | {'; '.join(problems) or 'none'} |"
            )
        lines.append("")
    return lines


def _simulator_table(duckdb: ScaleRun, postgres: ScaleRun) -> list[str]:
    def figures(run: ScaleRun) -> dict[str, str]:
        result, simulator = run.result, run.result.get("simulator") or {}
        moves = simulator.get("move_s")
        harm = simulator.get("least_harm_s")
        return {
            "start": _s(result["start_s"]),
            "median": _ms(statistics.median(moves)) if moves else "–",
            "worst": _ms(max(moves)) if moves else "–",
            "harm": _ms(statistics.median(harm)) if harm else "–",
            "fit": _s(simulator["fit_s"]) if "fit_s" in simulator else "–",
            "data": _s(simulator["data_s"]) if "data_s" in simulator else "–",
            "peak": f"**{result['peak_rss_mb']:,.0f}**",
        }

    duck, pg = figures(duckdb), figures(postgres)
    rows = (
        ("First page after the server starts, s", "start"),
        (f"Slider move (`simulate`), median of {MOVES}, ms", "median"),
        ("Slider move, worst, ms", "worst"),
        (f"Least-harm cut, median of {SAVINGS}, ms", "harm"),
        ("Curve fitting (every channel), s", "fit"),
        ("Reading the simulator's data (`scenario_data`), s", "data"),
        ("Peak memory of the app process, MB", "peak"),
    )
    return [
        "| Simulator and memory | DuckDB | PostgreSQL |",
        "|---|---:|---:|",
        *(f"| {label} | {duck[key]} | {pg[key]} |" for label, key in rows),
        "",
        "The simulator works on arrays in memory once its data is read, so its moves do not "
        "depend on the engine. The app's peak memory is its own process: DuckDB runs inside "
        "it (its cache counts), PostgreSQL's server processes are not counted.",
        "",
    ]


def _where_time_goes(duckdb: ScaleRun, postgres: ScaleRun) -> list[str]:
    """Per page whose cold time differs by a quarter second or more: the functions whose
    queries took longest on PostgreSQL, with the same functions' seconds on DuckDB."""
    duck_pages = {page["page"]: page for page in duckdb.result["pages"]}
    items = []
    for page in postgres.result["pages"]:
        duck = duck_pages.get(page["page"])
        if duck is None or "cold_queries" not in page or "cold_queries" not in duck:
            continue
        difference = page["cold_s"] - duck["cold_s"]
        if abs(difference) < 0.25:
            continue
        duck_callers = duck["cold_queries"]["callers"]
        callers = ", ".join(
            f"`{caller}` {_s(figures['seconds'])} s ({_statements(figures['runs'])}; DuckDB "
            + (f"{_s(duck_callers[caller]['seconds'])} s)" if caller in duck_callers else "none)")
            for caller, figures in list(page["cold_queries"]["callers"].items())[:TOP_CALLERS]
        )
        items.append(
            (
                difference,
                f"- **{page['title']}** ({'+' if difference > 0 else ''}{_s(difference)} s "
                f"cold on PostgreSQL; queries {_s(page['cold_queries']['seconds'])} s against "
                f"{_s(duck['cold_queries']['seconds'])} s): {callers}.",
            )
        )
    if not items:
        return []
    return [
        "Where the time goes (the pages whose cold time differs by 0.25 s or more; the "
        "functions whose queries took longest on PostgreSQL, each with the same function's "
        "query seconds on DuckDB):",
        "",
        *(text for _, text in sorted(items, reverse=True)),
        "",
    ]


def _failures(runs: list[ScaleRun]) -> list[str]:
    """Every error's whole text: pages that failed, and failures outside the pages."""
    lines = []
    for run in runs:
        name = ENGINES[run.engine]
        for page in [*run.result["pages"], *run.result.get("restart", [])]:
            for text in page.get("problems_full", []):
                lines += [f"{name}, {page['title']}:", "", "```", text, "```", ""]
        for text in run.result.get("errors", []):
            lines += [f"{name}, outside the pages:", "", "```", text, "```", ""]
    if not lines:
        return []
    return ["### What failed, in full", "", *lines]


def postgres_section(runs: list[ScaleRun]) -> list[str]:
    """The report's "PostgreSQL beside DuckDB" section from the runs of both engines."""
    pairs = _pairs(runs)
    if not pairs:
        return []
    scales = ", ".join(f"{postgres.scale:g}" for _, postgres in pairs)
    lines = [f"{POSTGRES_HEADING} (scale {scales})", ""]
    for duckdb, postgres in pairs:
        if len(pairs) > 1:
            lines += [f"### Scale {postgres.scale:g}", ""]
        lines += [*_section_facts(duckdb, postgres), ""]
        lines += _build_table(duckdb, postgres)
        lines += _build_phases_table(duckdb, postgres)
        lines += _pages_table(duckdb, postgres)
        lines += _simulator_table(duckdb, postgres)
        lines += _where_time_goes(duckdb, postgres)
    if POSTGRES_NOTES:
        lines += ["What this shows:", "", *(f"- {note}" for note in POSTGRES_NOTES), ""]
    lines += _failures([run for pair in pairs for run in pair])
    lines += [
        "Reproduce (a throwaway cluster on port 54331; `.ci/postgres stop 54331` deletes it):",
        "",
        "```",
        "URL=$(bash .ci/postgres start 54331)",
        f".venv/bin/python -m bench.pages --engines duckdb postgres --scales {scales} "
        '--postgres-url "$URL" --save /tmp/bench-pg',
        "#   writes this section into bench/RESULTS.md and leaves the other sections as they are;",
        "#   again from the saved measurements: .venv/bin/python -m bench.pages --render "
        "/tmp/bench-pg/*.json",
        "```",
        "",
    ]
    return lines


def place_section(text: str, section: list[str]) -> str:
    """``text`` with its PostgreSQL section replaced by ``section`` (or put before Results)."""
    lines = text.rstrip("\n").split("\n")
    start = next(
        (number for number, line in enumerate(lines) if line.startswith(POSTGRES_HEADING)), None
    )
    if start is not None:
        end = next(
            (number for number in range(start + 1, len(lines)) if lines[number].startswith("## ")),
            len(lines),
        )
        del lines[start:end]
    at = next((number for number, line in enumerate(lines) if line == "## Results"), None)
    if at is None:
        lines += ["", *section]
    else:
        lines[at:at] = section
    return "\n".join(lines).rstrip("\n") + "\n"


def existing_section(out: Path) -> list[str]:
    """The PostgreSQL section already in ``out`` (kept when the DuckDB sections are rewritten)."""
    if not out.is_file():
        return []
    lines = out.read_text().split("\n")
    start = next(
        (number for number, line in enumerate(lines) if line.startswith(POSTGRES_HEADING)), None
    )
    if start is None:
        return []
    end = next(
        (number for number in range(start + 1, len(lines)) if lines[number].startswith("## ")),
        len(lines),
    )
    return lines[start:end]


def write_postgres_section(out: Path, runs: list[ScaleRun]) -> None:
    """Write the PostgreSQL section into ``out``, leaving every other section as it is."""
    text = out.read_text() if out.is_file() else "# Benchmarks\n"
    out.write_text(place_section(text, postgres_section(runs)))


def write_report(out: Path, runs: list[ScaleRun], took: float, load: tuple[float, float]) -> None:
    versions = ", ".join(
        f"{name} {_version(name)}"
        for name in ("streamlit", "duckdb", "sqlalchemy", "duckdb-engine", "pandas", "numpy")
    )
    lines = [
        "# Benchmarks: every page, the budget simulator and memory, at demo scale "
        + ", ".join(f"{run.scale:g}" for run in runs),
        "",
        f"- Date: {datetime.now():%Y-%m-%d %H:%M}",
        f"- Machine: `nproc` {_nproc()}, {_meminfo_gib()} memory, {_cpu_model()}",
        f"- Python {platform.python_version()}; {versions}",
        f"- Store memory limit (`MARKETING_REVIEW_DUCKDB_MEMORY`): "
        f"{os.environ.get('MARKETING_REVIEW_DUCKDB_MEMORY', 'unset (default 600MB)')}",
        f"- Demo seed {SEED}, as of {AS_OF}; "
        + (
            f"the whole run took {took / 60:.1f} min; 1-minute load average {load[0]:.2f} at "
            f"the start, {load[1]:.2f} at the end"
            if took
            else "written with --render from the measurements of an earlier run"
        ),
        "",
        "Server seconds: each page run through the real `app.py` with Streamlit's AppTest in one "
        "process per scale (the frame, sidebar and page, everything the server computes before "
        "the browser draws; the browser's drawing is not included). **Cold** = every cache "
        "cleared (what the first viewer after new data waits for); **warm** = the same page "
        "rerun (a widget change or a second visit). Without the caches every rerun would cost "
        "the cold time, so cold / warm is the naive way against ours. Ingest against DuckDB's "
        "bare `read_csv` and pandas `to_sql` is in [INGEST.md](INGEST.md); the simulator in "
        "more depth (naive moves, the raw read) in [SCENARIOS.md](SCENARIOS.md).",
        "",
        *targets_section(runs),
        *gaps_section(runs),
        "## Results",
        "",
    ]
    for run in runs:
        lines.extend(scale_section(run))
    lines += [
        "## Reproduce",
        "",
        "```",
        "make bench          # every benchmark; make bench-pages for this file alone",
        "# or: .venv/bin/python -m bench.pages --scales 1 10 100 --out bench/RESULTS.md",
        "#     .venv/bin/python -m bench.pages --quick   (scale 1 only)",
        "```",
        "",
    ]
    kept = existing_section(out)  # measured in a run of its own: it says when
    text = "\n".join(lines)
    out.write_text(place_section(text, kept) if kept else text)


def _store_url(text: str) -> tuple[float, str]:
    """SCALE=URL for ``--store``: a DuckDB file (as bench.scenarios takes) or a PostgreSQL
    database already holding the demo."""
    scale, separator, url = text.partition("=")
    if separator and url.startswith(("postgresql://", "postgresql+")):
        try:
            return float(scale), url
        except ValueError:
            raise argparse.ArgumentTypeError(f"the scale must be a number, got {scale!r}") from None
    try:
        return _store_argument(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected SCALE=duckdb:////path or SCALE=postgresql+psycopg://..., got {text!r}"
        ) from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages", description=" ".join(__doc__.split("\n\n")[0].split())
    )
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0, 100.0])
    parser.add_argument("--quick", action="store_true", help="scale 1 only")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--store",
        type=_store_url,
        action="append",
        default=[],
        help="SCALE=URL: use this demo store for that scale instead of building one (a DuckDB "
        "file, or a postgresql+psycopg:// database for the PostgreSQL engine)",
    )
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=sorted(ENGINES),
        default=["duckdb"],
        help="the stores to measure (duckdb); with postgres, each scale is built and measured "
        "on both and only the report's 'PostgreSQL beside DuckDB' section is written into --out",
    )
    parser.add_argument(
        "--postgres-url",
        metavar="URL",
        help="a PostgreSQL server (postgresql+psycopg://user@host:port/any): each scale's "
        "store is built in a fresh database created on it, dropped after measuring",
    )
    parser.add_argument(
        "--keep-postgres",
        action="store_true",
        help="keep the PostgreSQL databases built (their URLs are logged), to measure again "
        "with --store",
    )
    parser.add_argument(
        "--save",
        type=Path,
        metavar="DIR",
        help="keep each measurement (scale-N.json, postgres-scale-N.json) in DIR for --render",
    )
    parser.add_argument(
        "--render",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="write the report from earlier runs' measurements (scale-N.json), measuring nothing; "
        "with a postgres-scale-N.json among them, the PostgreSQL section only",
    )
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    engines = set(args.engines) | {_engine_of(url) for _, url in args.store}
    args.engines = [engine for engine in ENGINES if engine in engines]
    if "postgres" in engines and not (args.measure or args.render):
        if "duckdb" not in engines:
            parser.error("the PostgreSQL section compares with DuckDB: --engines duckdb postgres")
        scales = [1.0] if args.quick else args.scales
        given = {scale for scale, url in args.store if _engine_of(url) == "postgres"}
        if not args.postgres_url and set(scales) - given:
            parser.error(
                "--postgres-url is needed to build the PostgreSQL stores (or --store "
                "SCALE=postgresql+psycopg://... for each scale)"
            )
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.measure:
        result = measure(args.measure)
        args.json.write_text(json.dumps(result))
        return
    if args.render:
        runs = sorted(
            (run_from_json(path) for path in args.render),
            key=lambda run: (run.scale, list(ENGINES).index(run.engine)),
        )
        if any(run.engine == "postgres" for run in runs):
            write_postgres_section(args.out, runs)
            log(f"wrote the PostgreSQL section of {args.out} from {len(runs)} measurement files")
            return
        write_report(args.out, runs, 0.0, os.getloadavg()[:2])
        log(f"wrote {args.out} from {len(runs)} measurement files")
        return
    scales = [1.0] if args.quick else args.scales
    stores = {(_engine_of(url), scale): url for scale, url in args.store}
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    began, load_start = time.perf_counter(), os.getloadavg()[0]
    runs = []
    with tempfile.TemporaryDirectory(prefix="marketing-review-bench-") as folder:
        for scale in scales:
            for engine in args.engines:
                run = run_scale(
                    scale,
                    stores.get((engine, scale)),
                    Path(folder),
                    engine,
                    args.postgres_url,
                    args.keep_postgres,
                )
                if args.keep_postgres and engine == "postgres":
                    log(f"scale {scale:g}, PostgreSQL store kept: {run.result['url']}")
                if args.save:
                    shutil.copy(Path(folder) / _json_name(engine, scale), args.save)
                runs.append(run)
    if "postgres" in args.engines:
        write_postgres_section(args.out, runs)
        log(f"wrote the PostgreSQL section of {args.out}")
        return
    write_report(args.out, runs, time.perf_counter() - began, (load_start, os.getloadavg()[0]))
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
