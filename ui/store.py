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
    create_store_engine,
    describe_store,
    resolve_store_url,
)
from core.store.schema import SchemaVersionError, migrate


@st.cache_resource(max_entries=4, show_spinner=False)
def store_engine(url: str) -> Engine:
    """The process's engine for ``url`` (never mutate it: it is shared by every session)."""
    engine = create_store_engine(url)
    migrate(engine)
    return engine


@dataclass(frozen=True)
class Store:
    """The open store for this run: its URL, engine and current data version."""

    url: str
    engine: Engine
    version: int

    @property
    def description(self) -> str:
        """Where the store is, without secrets."""
        return describe_store(self.url)


def open_store() -> Store:
    """Open the configured store, or explain why not and stop the page."""
    try:
        url = resolve_store_url()
        engine = store_engine(url)
        return Store(url=url, engine=engine, version=queries.data_version(engine))
    except (StoreLockedError, StoreUrlError, SchemaVersionError) as error:
        st.error(
            f"The store cannot be opened. {escape_markdown(str(error))}",
            icon=":material/database:",
        )
        st.stop()
        raise  # st.stop() ends the run; this line only satisfies type checkers
