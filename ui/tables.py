"""Tables for ``st.table``, which renders every cell as Markdown."""

from __future__ import annotations

import pandas as pd

from core.formatting import escape_markdown


def for_markdown(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every cell escaped: text from uploads can carry no link or markup, and
    two dollar amounts in one cell cannot become a LaTeX formula."""
    return table.map(escape_markdown)
