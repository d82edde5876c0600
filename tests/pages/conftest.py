"""AppTest helpers: run the real app.py against a store chosen by environment variable."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from core.store.engine import create_store_engine

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 60


@pytest.fixture(autouse=True)
def navigation_mode(monkeypatch):
    """Keep Streamlit in st.navigation mode on every AppTest run, as the real server is.

    Streamlit decides "legacy pages-directory mode" from a process-wide flag that is True when a
    ``pages/`` folder sits next to the script, until the first ``st.navigation`` call turns it
    off for good. AppTest resets the flag before every run, so without this its reruns would
    execute the page file alone, skipping app.py (which a running server never does again after
    its first run).
    """
    original = PagesManager.__init__

    def navigation_only(self, *args, **kwargs):
        PagesManager.uses_pages_directory = False
        original(self, *args, **kwargs)

    monkeypatch.setattr(PagesManager, "__init__", navigation_only)


@pytest.fixture
def app_for(monkeypatch):
    """``app_for(url, **query_params)``: the app, not yet run, reading the store at ``url``."""

    def build(url: str, **query_params: str) -> AppTest:
        monkeypatch.setenv("MARKETING_REVIEW_DB", url)
        app = AppTest.from_file(APP, default_timeout=TIMEOUT)
        for key, value in query_params.items():
            app.query_params[key] = value
        return app

    return build


def scalar(url: str, sql: str) -> float:
    """One number from the store, by SQL written in the test (independent of core's queries).

    Goes through an engine like the app's: DuckDB refuses a second connection to a file with a
    different configuration in the same process.
    """
    value = query_value(url, sql)
    return float(value or 0.0)


def query_value(url: str, sql: str) -> object:
    """The first value of a query's first row."""
    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()
