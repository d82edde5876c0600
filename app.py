"""Marketing Review: the frame and router. Pages live in pages/, logic in core/."""

import streamlit as st

from core.formatting import escape_markdown, format_day
from ui import access, company, context
from ui.store import open_store

st.set_page_config(
    page_title="Marketing Review",
    page_icon=":material/monitoring:",
    layout="wide",
    initial_sidebar_state="expanded",
)

store = open_store()
user = access.gate(store)  # the sign-in page stops here for someone not signed in
company.sidebar_caption(store)
review = context.render_sidebar(store)
if review is not None and review.is_demo:
    st.info(
        f"Demo data: {escape_markdown(review.company_name)} is a generated company, "
        "not real figures. "
        f"Data through {format_day(review.data_through)}.",
        icon=":material/science:",
    )

navigation = st.navigation(
    [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/review.py", title="Review", icon=":material/event_note:"),
        st.Page("pages/goals.py", title="Goals", icon=":material/flag:"),
        st.Page("pages/revenue.py", title="Revenue", icon=":material/payments:"),
        st.Page("pages/pipeline.py", title="Pipeline & Sales", icon=":material/filter_alt:"),
        st.Page("pages/forecasts.py", title="Forecast accuracy", icon=":material/query_stats:"),
        st.Page("pages/scenarios.py", title="Budget scenarios", icon=":material/savings:"),
        st.Page("pages/campaigns.py", title="Campaigns", icon=":material/campaign:"),
        st.Page("pages/definitions.py", title="Definitions", icon=":material/menu_book:"),
        st.Page("pages/data.py", title="Data", icon=":material/database:"),
        *(
            [st.Page("pages/audit.py", title="Audit", icon=":material/policy:")]
            if user.can("read_audit")
            else []
        ),
    ]
)
navigation.run()
