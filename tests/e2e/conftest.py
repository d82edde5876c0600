"""Browser tests: the real app served by ``streamlit run``, driven through Debian's Chromium.

``playwright install`` cannot download browsers on these machines, so the tests launch
``/usr/bin/chromium``. Without it every test here is skipped, unless ``MR_REQUIRE_BROWSER=1``
(set in CI), in which case every test fails instead, so a missing browser never passes silently.

The app server runs in its own process on a free port, against its own copy of the demo store
(DuckDB lets only one process open a file). Its output goes to
``test-artifacts/logs/streamlit-server.log`` (``logs/gw0/`` and so on under parallel workers);
the app redacts error details in the page (``showErrorDetails = "none"``), so that log is where
a failure's traceback is.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.conftest import DemoTemplate, copy_store

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER_ENV = "MR_REQUIRE_BROWSER"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1440, "height": 900}
# A cold query cache on a slow CI machine can take a few seconds per rerun: give `expect` room.
EXPECT_TIMEOUT_MS = 15_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
# One folder of server logs per test process: parallel workers (pytest-xdist) each serve their
# own apps and must not write over each other's logs.
SERVER_LOG = ARTIFACTS / "logs" / os.environ.get("PYTEST_XDIST_WORKER", "") / "streamlit-server.log"

HEALTH_TIMEOUT_S = 60.0
HEALTH_POLL_S = 0.25
SHUTDOWN_TIMEOUT_S = 10.0

# Streamlit 1.67's own test ids and state attributes (read from the rendered DOM).
APP = '[data-testid="stApp"]'
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
STATUS_WIDGET = '[data-testid="stStatusWidget"]'
# An uncaught exception renders as stException (a generic message: details are redacted);
# st.error and the exception box both contain stAlertContentError.
PROBLEMS = '[data-testid="stException"], [data-testid="stAlertContentError"]'

# Streamlit scrolls inside stMain (and the sidebar), not the document: the content's height.
_CONTENT_HEIGHT_JS = """() => Math.max(
    document.documentElement.scrollHeight,
    ...Array.from(
        document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebarContent"]'),
        (element) => element.scrollHeight,
    ),
)"""
_TWO_FRAMES_JS = """() => new Promise(
    (done) => requestAnimationFrame(() => requestAnimationFrame(done))
)"""


# --- Chromium: present, or skip (locally) / fail (CI) -----------------------------------------


def _browser_required() -> bool:
    return os.environ.get(REQUIRE_BROWSER_ENV, "").strip() == "1"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture launches it: no Chromium means skip, or fail when CI requires it.

    Runtest hooks in this conftest only see the tests in this folder.
    """
    if CHROMIUM.exists():
        return
    if _browser_required():
        pytest.fail(
            f"{CHROMIUM} is missing and {REQUIRE_BROWSER_ENV}=1 requires the browser tests: "
            "install it with `apt-get install -y chromium`.",
            pytrace=False,
        )
    pytest.skip(
        f"browser tests need Debian's Chromium at {CHROMIUM} "
        f"(`apt-get install -y chromium`; set {REQUIRE_BROWSER_ENV}=1 to fail instead)"
    )


# --- pytest-playwright overrides ----------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium (Playwright's own browsers cannot be downloaded here)."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Every page is a 1440x900 desktop window."""
    return {**browser_context_args, "viewport": dict(VIEWPORT)}


# --- The app server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _health(port: int) -> str | None:
    """The body of ``/_stcore/health``, or ``None`` while the server does not answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/_stcore/health")
        response = connection.getresponse()
        return response.read().decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def _server_output(log_path: Path = SERVER_LOG) -> str:
    try:
        return log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no server output captured)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)


@contextmanager
def serve_app(
    store_url: str, log_path: Path, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """``streamlit run app.py`` on a free port against ``store_url`` (with ``extra_env`` in its
    environment); yields the base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "MARKETING_REVIEW_DB": store_url,
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        log.write(f"$ {' '.join(command)}\n# MARKETING_REVIEW_DB={store_url}\n".encode())
        log.flush()
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + HEALTH_TIMEOUT_S
            while True:
                if _health(port) == "ok":
                    break
                if process.poll() is not None:
                    pytest.fail(
                        f"the app server exited with code {process.returncode} before it was "
                        f"healthy; its output ({log_path}):\n{_server_output(log_path)}",
                        pytrace=False,
                    )
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"the app server did not answer /_stcore/health with 'ok' within "
                        f"{HEALTH_TIMEOUT_S:.0f} s; its output ({log_path}):\n"
                        f"{_server_output(log_path)}",
                        pytrace=False,
                    )
                time.sleep(HEALTH_POLL_S)
            yield f"http://127.0.0.1:{port}"
        finally:
            _stop(process)


@pytest.fixture(scope="session")
def app_server(
    demo_template: DemoTemplate, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app for the whole session, on a private copy of the demo store.

    Yields the base URL (``http://127.0.0.1:PORT``, no trailing slash).
    """
    store_url = copy_store(demo_template, tmp_path_factory.mktemp("e2e-store"))
    with serve_app(store_url, SERVER_LOG) as base_url:
        yield base_url


@pytest.fixture
def fresh_app_server(demo_template: DemoTemplate, tmp_path: Path) -> Iterator[str]:
    """A newly started app that has not served a single request yet."""
    store_url = copy_store(demo_template, tmp_path / "store")
    with serve_app(store_url, SERVER_LOG.with_name("streamlit-fresh-server.log")) as base_url:
        yield base_url


# --- Helpers for the tests ----------------------------------------------------------------------


def wait_for_app(page: Page, title: str | None = None) -> None:
    """Wait until the app has finished its run: no fixed sleeps.

    Right after a navigation or a widget change the status widget may not have appeared yet, so
    "status widget absent" alone proves nothing. With ``title``, first wait for the page's own
    heading (drawn only by the run that renders that page), then for the app to report its
    script as not running, then for the status widget to be gone.
    """
    page.locator(APP).wait_for(state="attached")
    if title is not None:
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    page.locator(APP_IDLE).wait_for(state="attached")
    page.locator(STATUS_WIDGET).wait_for(state="detached")


def pick_option(
    page: Page, box: Locator, option: str, attempts: int = 3, *, containing: str | None = None
) -> None:
    """Open the select box ``box``, type ``option`` (the list is virtual: options far down it
    are not in the page until filtered) and click it. A rerun still under way when the box was
    clicked redraws it closed; the list is then opened again, up to ``attempts`` times.

    With ``containing``, ``option`` is only what is typed to filter the list, and the option
    clicked is the one whose text contains ``containing``."""
    for attempt in range(attempts):
        wait_for_app(page)
        box.click()
        page.keyboard.type(option)
        if containing is None:
            choice = page.get_by_role("option", name=option, exact=True)
        else:
            choice = page.get_by_role("option").filter(has_text=containing).first
        try:
            choice.wait_for(state="visible", timeout=10_000)
        except PlaywrightTimeoutError:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
            continue
        choice.click()
        wait_for_app(page)
        return


def start_review(page: Page, who: str, attempts: int = 3) -> None:
    """On the Overview, freeze the numbers as a review started by ``who``, and wait for the
    confirmation. A click that lands while a run redraws the form is lost (seen in CI on a busy
    machine: the form still held the name and nothing had started): it is clicked again, up to
    ``attempts`` times."""
    page.get_by_text("Start a review: freeze these numbers").click()
    page.get_by_role("textbox", name="Your name").first.fill(who)
    wait_for_app(page)
    started = page.get_by_text(re.compile(rf"^Review \d+ started by {re.escape(who)}"))
    for attempt in range(attempts):
        page.get_by_role("button", name="Start a review now").first.click()
        try:
            expect(started.first).to_be_visible(timeout=60_000)
            break
        except AssertionError:
            if attempt == attempts - 1:
                raise
    wait_for_app(page)


def assert_no_problems(page: Page) -> None:
    """No exception box and no error alert anywhere on the page (sidebar included)."""
    problems = page.locator(PROBLEMS)
    texts = problems.all_inner_texts()
    assert not texts, (
        f"the page at {page.url} shows {len(texts)} error element(s): {texts}; "
        f"tracebacks are in {SERVER_LOG}"
    )


def save_screenshot(page: Page, name: str) -> Path:
    """Save ``test-artifacts/screenshots/<name>.png`` (full page) and return its path.

    Streamlit scrolls inside its main container, not the document, so a ``full_page`` shot
    only covers the viewport. When the content is taller, ``<name>-full.png`` is saved too,
    with the window stretched to the content's height, then the viewport is restored.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    viewport = page.viewport_size or VIEWPORT
    content_height = int(page.evaluate(_CONTENT_HEIGHT_JS))
    if content_height > viewport["height"]:
        page.set_viewport_size({"width": viewport["width"], "height": content_height})
        try:
            # Two animation frames: the browser has laid out the taller window.
            page.evaluate(_TWO_FRAMES_JS)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-full.png"), full_page=True)
        finally:
            page.set_viewport_size({"width": viewport["width"], "height": viewport["height"]})
    return path
