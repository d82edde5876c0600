"""The store as the app sees it: one engine per process, errors said in one sentence."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from sqlalchemy.engine import Engine

from core.formatting import escape_markdown
from core.store import queries
from core.store.engine import (
    StoreLockedError,
    StoreUrlError,
    describe_store,
    resolve_read_only,
    resolve_store_url,
)
from core.store.schema import SchemaVersionError
from core.store.schema import open_store as open_store_engine


def store_engine(url: str) -> Engine:
    """The process's engine for ``url`` (never mutate it: it is shared by every session).

    Migrated to the current schema; in warehouse mode (``MARKETING_REVIEW_READ_ONLY``, or
    ``read_only`` under ``[connections.store]``) opened read-only, only checked, never changed.
    """
    return _engine(url, resolve_read_only())


@st.cache_resource(max_entries=4, show_spinner=False)
def _engine(url: str, read_only: bool) -> Engine:
    return open_store_engine(url, read_only=read_only)


@dataclass(frozen=True)
class Store:
    """The open store for this run: its URL, engine and current data version."""

    url: str
    engine: Engine
    version: int
    read_only: bool = False

    @property
    def description(self) -> str:
        """Where the store is, without secrets."""
        return describe_store(self.url)


def open_store() -> Store:
    """Open the configured store, or explain why not and stop the page."""
    try:
        url = resolve_store_url()
        read_only = resolve_read_only()
        engine = _engine(url, read_only)
        return Store(
            url=url, engine=engine, version=queries.data_version(engine), read_only=read_only
        )
    except (StoreLockedError, StoreUrlError, SchemaVersionError) as error:
        st.error(
            f"The store cannot be opened. {escape_markdown(str(error))}",
            icon=":material/database:",
        )
        st.stop()
        raise  # st.stop() ends the run; this line only satisfies type checkers
