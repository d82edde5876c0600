"""Every CSV the app hands out neutralises spreadsheet formulas from uploaded text.

A campaign, an opportunity, a rejected row and the person who loaded them all carry
``=HYPERLINK("http://x")``, entered the way users enter them (uploads and the name box of the
Data page). Each CSV download is then read back from what the page gave the browser: the
scorecard, the drill-down's opportunities, the problems of a refused file, the rejected rows
and the audit log. Text cells that a spreadsheet would run start with an apostrophe; numbers
(negative ones included) stay numbers. The original-file download is the user's own file,
byte for byte, by design (its button says so) and is not an export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from core.safe_export import FORMULA_STARTS
from tests.conftest import DemoTemplate
from tests.pages.conftest import query_value
from tests.pages.helpers import open_page
from tests.pages.test_app import assert_no_errors
from tests.pages.test_data_page import load_button, upload

FORMULA = '=HYPERLINK("http://x")'
NEUTRALISED = "'" + FORMULA
# A formula with no quote or separator in it stays at the start of a rejected row's raw text.
DDE = "=cmd|' /C calc'!A0"
CAMPAIGN_HEADER = (
    "campaign_id,campaign_name,channel,objective,start_date,end_date,budget,goal_id,owner"
)
BAD_SPEND = (
    "date,channel,amount,campaign_id\n"
    "2026-11-02,events,1200.50,C-1\n"
    # The formula in the amount (an unknown channel would load as Other, not be refused).
    f'2026-11-03,events,"{FORMULA.replace(chr(34), chr(34) * 2)}",C-1\n'
    "2026-11-04,events,-40,C-1\n"
    f"{DDE},events,12,C-1\n"
)


@dataclass(frozen=True)
class Download:
    file_name: str
    mimetype: str
    data: bytes

    def rows(self) -> list[list[str]]:
        return list(csv.reader(io.StringIO(self.data.decode("utf-8-sig"))))


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Download]]:
    """Every file a download button hands to the browser, as Streamlit stores it for serving."""
    captured: list[Download] = []
    store_file = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes) and filename:
            captured.append(Download(filename, mimetype, path_or_data))
        return store_file(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    yield captured


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def load_through_the_data_page(app_for, url: str, name: str, text: str) -> None:
    """Upload ``text`` as ``name`` on the Data page and load it, typed in as ``FORMULA``."""
    app = upload(open_page(app_for, url, "pages/data.py"), name, text)
    assert not app.error, [item.value for item in app.error]
    app.text_input(key="uploader_name").input(FORMULA).run()
    load_button(app).click().run()
    assert_no_errors(app)
    assert app.success, "the file did not load"


def hostile_opportunities(template: DemoTemplate) -> tuple[str, str]:
    """The demo's latest opportunity export with every opportunity name made a formula."""
    latest = sorted((template.exports / "crm" / "opportunities").glob("*.csv"))[-1]
    rows = list(csv.DictReader(latest.open(newline="", encoding="utf-8")))
    for row in rows:
        row["NAME"] = f"{FORMULA} {row['NAME']}"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL)
    writer.writeheader()
    writer.writerows(rows)
    return latest.name, out.getvalue()


def latest(downloads: list[Download], prefix: str) -> Download:
    matching = [item for item in downloads if item.file_name.startswith(prefix)]
    assert matching, f"no download named {prefix}*: {[item.file_name for item in downloads]}"
    return matching[-1]


def assert_nothing_runs(download: Download) -> None:
    """No cell a spreadsheet would run: only a number (a negative amount) may start so."""
    assert download.mimetype == "text/csv"
    for row_number, row in enumerate(download.rows(), start=1):
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                try:
                    float(cell)
                except ValueError:
                    pytest.fail(f"{download.file_name} row {row_number} would run {cell!r}")


def assert_neutralised(download: Download, planted: str = FORMULA) -> None:
    """Nothing runs, and the planted formula is there as text."""
    assert_nothing_runs(download)
    cells = [cell for row in download.rows() for cell in row]
    assert any(cell.startswith("'" + planted) for cell in cells), download.file_name


def test_every_csv_export_neutralises_formulas(app_for, demo_store_url, demo_template, downloads):
    url = demo_store_url
    # A campaign credited with deals this quarter, renamed to a formula by an upload.
    campaigns = open_page(app_for, url, "pages/campaigns.py", level="campaign")
    card = next(f.value for f in campaigns.dataframe if "Pipeline per $" in f.value.columns)
    credited = card[(card["Pipeline"] > 0) & (card["Channel"] == "Paid search")].iloc[0]
    escaped = str(credited["Campaign"]).replace("'", "''")
    campaign_id = str(
        query_value(
            url, f"select campaign_id from current_campaigns where campaign_name = '{escaped}'"
        )
    )
    row = query_value(
        url,
        "select concat_ws(',', campaign_id, channel, objective, start_date, end_date, budget_usd)"
        f" from current_campaigns where campaign_id = '{campaign_id}'",
    )
    ident, channel, objective, start, end, budget = str(row).split(",")
    load_through_the_data_page(
        app_for,
        url,
        "renamed_campaign.csv",
        f"{CAMPAIGN_HEADER}\n{ident},{quoted(FORMULA)},{channel},{objective},{start},{end},"
        f"{budget},,{quoted(FORMULA)}\n",
    )
    opportunity_file, opportunity_text = hostile_opportunities(demo_template)
    load_through_the_data_page(app_for, url, opportunity_file, opportunity_text)

    # Campaigns page: the scorecard and the drill-down's opportunities.
    app = open_page(app_for, url, "pages/campaigns.py", level="campaign")
    app.selectbox(key="campaigns_channel").select("paid_search").run()
    app.session_state["campaigns_campaign"] = campaign_id
    app.run()
    assert_no_errors(app)
    scorecard = latest(downloads, "scorecard-campaign-")
    assert_neutralised(scorecard)
    assert [cell for row in scorecard.rows() for cell in row if cell.startswith(NEUTRALISED)] == [
        NEUTRALISED
    ]
    opportunities = latest(downloads, f"opportunities-{campaign_id}")
    assert_neutralised(opportunities)

    # Data page: the problems of a refused file, then its rejected rows once kept.
    app = upload(open_page(app_for, url, "pages/data.py"), "bad_spend.csv", BAD_SPEND)
    assert app.error
    problems = latest(downloads, "problems-")
    assert_neutralised(problems)
    assert problems.rows()[1][:3] == ["3", "amount", NEUTRALISED]
    app.checkbox[0].check().run()
    app.text_input(key="uploader_name").input(FORMULA).run()
    load_button(app).click().run()
    assert_no_errors(app)
    rejects = latest(downloads, "rejects-upload-")
    assert_neutralised(rejects, DDE)  # the row as the file had it, which starts with the formula
    assert_neutralised(problems, DDE)

    # Audit page: the person who loaded the files was typed in as a formula.
    app = open_page(app_for, url, "pages/audit.py")
    log = latest(downloads, "audit-log")
    assert_neutralised(log)
    header = log.rows()[0]
    assert sum(1 for row in log.rows()[1:] if row[header.index("Who")] == NEUTRALISED) == 3

    # Every CSV handed out was one of the above: none escaped the check.
    originals = {"renamed_campaign.csv", "bad_spend.csv", opportunity_file}
    exports = [item for item in downloads if item.file_name not in originals]
    assert {item.file_name.split("-")[0] for item in exports} == {
        "scorecard",
        "opportunities",
        "problems",
        "rejects",
        "audit",
    }
    for item in exports:
        assert_nothing_runs(item)
