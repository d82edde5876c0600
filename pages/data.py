"""Data: what the store holds, table by table, and where it came from."""

import streamlit as st

from core.formatting import format_day
from ui import context, data
from ui.store import open_store

context.current()  # makes sure the frame (sidebar, banner) ran; the page reads no period
store = open_store()
st.title("Data")
st.caption(f"Store: {store.description}")

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

st.subheader("Tables")
if extent.upload_count == 0:
    st.info("The store is empty. Load the demo company with `python -m core demo`.")
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

st.subheader("Upload history")
history = data.upload_history(store.url, store.version, 200)
if history.empty:
    st.info("No uploads yet.")
else:
    st.caption("The 200 most recent uploads, newest first. Each file is one upload.")
    st.dataframe(
        history,
        hide_index=True,
        column_order=[
            "upload_id",
            "file_name",
            "source_label",
            "table_label",
            "snapshot_date",
            "rows_read",
            "rows_inserted",
            "rows_updated",
            "rows_rejected",
            "uploaded_by",
            "uploaded_at",
            "status",
        ],
        column_config={
            "upload_id": st.column_config.NumberColumn("Upload", width="small"),
            "file_name": st.column_config.TextColumn("File", width="medium"),
            "source_label": st.column_config.TextColumn("Format", width="medium"),
            "table_label": st.column_config.TextColumn("Holds", width="medium"),
            "snapshot_date": st.column_config.DateColumn(
                "Describes", format="D MMM YYYY", width="small"
            ),
            "rows_read": st.column_config.NumberColumn("Rows", format="localized", width="small"),
            "rows_inserted": st.column_config.NumberColumn(
                "New", format="localized", width="small"
            ),
            "rows_updated": st.column_config.NumberColumn(
                "Updated",
                format="localized",
                width="small",
                help="New versions of records already held",
            ),
            "rows_rejected": st.column_config.NumberColumn(
                "Rejected", format="localized", width="small"
            ),
            "uploaded_by": st.column_config.TextColumn("By", width="small"),
            "uploaded_at": st.column_config.DatetimeColumn(
                "Loaded", format="D MMM YYYY, HH:mm", width="small"
            ),
            "status": st.column_config.TextColumn("Status", width="small"),
        },
    )
