"""Data: load exports, see what the store holds, and every upload with undo."""

import streamlit as st

from core.formatting import escape_markdown, format_day
from ui import company, context, data, ingest, rates
from ui.store import open_store

context.current()  # makes sure the frame (sidebar, banner) ran; the page reads no period
store = open_store()
st.title("Data")
st.caption(
    f"Store: {escape_markdown(store.description)}"
    + (" (read-only: warehouse mode)" if store.read_only else "")
)
company.company_section(store)  # "Set up your company" first; after that, a closed expander

extent = data.data_extent(store.url, store.version)
summary = data.table_summary(store.url, store.version)
left, middle, right = st.columns(3)
left.metric("Uploads loaded", f"{extent.upload_count:,}", border=True)
middle.metric(
    "Data through",
    format_day(extent.data_through) if extent.data_through else "No data yet",
    border=True,
    help="The latest day any loaded export describes.",
)
right.metric(
    "Rows kept",
    f"{int(summary['stored_rows'].sum()):,}",
    border=True,
    help="Every version of every record ever loaded; nothing is overwritten.",
)

notice = st.session_state.pop("_data_notice", None)
if notice:
    st.success(escape_markdown(notice), icon=":material/check_circle:")

# A key makes the open tab survive reruns (undo, a checkbox) even when elements above it change.
load_tab, tables_tab, history_tab = st.tabs(
    ["Load an export", "What the store holds", "Upload history"], key="data_tab", on_change="rerun"
)

# --------------------------------------------------------------------------------------------
with load_tab:
    ingest.upload_section(store)

# --------------------------------------------------------------------------------------------
with tables_tab:
    if extent.upload_count == 0:
        st.info(
            "The store is empty. Load an export, or the demo company with `python -m core demo`."
        )
    st.dataframe(
        summary,
        hide_index=True,
        column_order=[
            "table_label",
            "current_rows",
            "stored_rows",
            "first_date",
            "last_date",
            "uploads",
            "last_upload_at",
        ],
        column_config={
            "table_label": st.column_config.TextColumn("Table"),
            "current_rows": st.column_config.NumberColumn("Current records", format="localized"),
            "stored_rows": st.column_config.NumberColumn(
                "Versions kept", format="localized", help="Every version of every record loaded"
            ),
            "first_date": st.column_config.DateColumn("From", format="D MMM YYYY"),
            "last_date": st.column_config.DateColumn("To", format="D MMM YYYY"),
            "uploads": st.column_config.NumberColumn("Uploads"),
            "last_upload_at": st.column_config.DatetimeColumn(
                "Last upload", format="D MMM YYYY, HH:mm"
            ),
        },
    )
    rates.rates_section(store, data.store_settings(store.url, store.version).get("currency", "USD"))

# --------------------------------------------------------------------------------------------
with history_tab:
    ingest.history_section(store)
