"""Helpers the page tests share: open a page through the app, find a headline card."""

from __future__ import annotations

from tests.pages.test_app import assert_no_errors


def open_page(app_for, url: str, page: str, **query: str):
    """Run the app on ``url`` (with link ``query``), switch to ``page`` (``pages/x.py``), no errors."""
    app = app_for(url, **query).run()
    app.switch_page(page).run()
    assert_no_errors(app)
    return app


def metric(app, label_start: str):
    """The first ``st.metric`` whose label starts with ``label_start``."""
    return next(item for item in app.metric if item.label.startswith(label_start))
