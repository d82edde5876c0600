"""AppTest of the Data page's upload flow: check, map, keep rejects, load, undo."""

import pytest

from core.store.schema import metadata
from tests.pages.conftest import query_value, scalar

CAMPAIGNS = (
    "campaign_id,campaign_name,channel,objective,start_date,end_date,budget,goal_id,owner\n"
    "C-NEW-1,Spring Launch Webinar,Webinars,Demand generation,2026-03-01,2026-03-31,12000,,Lena Fischer\n"
    'C-NEW-2,=HYPERLINK("http://evil.example"),Events,Demand generation,2026-04-01,2026-04-30,8000,,Owen Park\n'
)
BAD_SPEND = (
    "date,channel,amount,campaign_id\n"
    "2026-11-02,events,1200.50,C-1\n"
    "2026-11-03,events,-40,C-1\n"
    "2026-11-04,events,twelve,C-1\n"
)
RENAMED_SPEND = (
    "date,channel,Spend (USD),campaign_id,amount\n"
    "2026-11-02,events,1200.50,C-1,ignore me\n"
    "2026-11-03,webinars,800,C-2,ignore me\n"
)
AMBIGUOUS = (
    "date,channel,amount,campaign_id\n03/04/2026,events,100,C-1\n05/06/2026,events,200,C-1\n"
)


def data_page(app_for, url):
    app = app_for(url).run()
    app.switch_page("pages/data.py").run()
    assert not app.exception
    return app


def upload(app, name: str, text: str):
    app.get("file_uploader")[0].set_value((name, text.encode("utf-8"), "text/csv")).run()
    assert not app.exception, [item.value for item in app.exception]
    return app


def load_button(app):
    return next(button for button in app.button if button.label.startswith("Load "))


def counts(url: str) -> dict[str, int]:
    return {table: int(scalar(url, f"select count(*) from {table}")) for table in metadata.tables}


def test_a_good_export_loads_and_appears_in_the_history(app_for, demo_store_url):
    before = scalar(demo_store_url, "select count(*) from current_campaigns")
    app = upload(data_page(app_for, demo_store_url), "new_campaigns.csv", CAMPAIGNS)
    assert "new\\_campaigns\\.csv" in app.subheader[0].value
    assert any("2 rows read" in caption.value for caption in app.caption)
    assert load_button(app).label == "Load 2 rows into Campaigns"
    assert load_button(app).disabled  # no name yet
    app.text_input(key="uploader_name").input("Dana Whitfield").run()
    load_button(app).click().run()
    assert not app.exception and not app.error
    assert "Loaded 2 rows into campaigns" in app.success[0].value.replace("\\", "")
    history = app.selectbox(key="history_upload")
    assert history.options[0].endswith("new_campaigns.csv · Campaigns · loaded")
    app.get("file_uploader")  # the uploader was reset for the next file
    assert scalar(demo_store_url, "select count(*) from current_campaigns") == before + 2
    # Formula-looking text is stored as plain text, exactly as it was in the file.
    name = scalar_text(
        demo_store_url, "select campaign_name from current_campaigns where campaign_id = 'C-NEW-2'"
    )
    assert name == '=HYPERLINK("http://evil.example")'


def scalar_text(url: str, sql: str) -> str:
    return str(query_value(url, sql))


def test_a_malformed_export_shows_each_problem_and_changes_nothing(app_for, demo_store_url):
    before = counts(demo_store_url)
    app = upload(data_page(app_for, demo_store_url), "bad_spend.csv", BAD_SPEND)
    message = app.error[0].value.replace("\\", "")
    assert message == (
        "2 problems in 2 of 3 rows: nothing was loaded. Fix the file, or choose to load the valid "
        "rows and keep the rejects."
    )
    problems = app.dataframe[0].value
    assert problems.to_dict("records")[0] == {
        "row": 3,
        "column": "amount",
        "value": "-40",
        "problem": "is negative; spend must be zero or more",
    }
    assert problems.iloc[1]["row"] == 4 and problems.iloc[1]["column"] == "amount"
    assert (
        next(button.label for button in app.get("download_button"))
        == "Download the 2 problems as CSV"
    )
    assert load_button(app).disabled
    assert counts(demo_store_url) == before


def test_keeping_rejects_loads_the_valid_rows_and_offers_them_for_download(app_for, demo_store_url):
    app = upload(data_page(app_for, demo_store_url), "bad_spend.csv", BAD_SPEND)
    app.checkbox[0].check().run()
    app.text_input(key="uploader_name").input("Dana").run()
    assert load_button(app).label == "Load 1 row into Spend"
    load_button(app).click().run()
    assert "2 rejected rows kept with their reasons" in app.success[0].value.replace("\\", "")
    labels = [button.label for button in app.get("download_button")]
    assert "Download the 2 rejected rows" in labels
    reasons = scalar_text(
        demo_store_url,
        "select string_agg(reason, ' | ' order by row_number) from rejects "
        "where upload_id = (select max(upload_id) from uploads)",
    )
    assert reasons.startswith(
        "is negative; spend must be zero or more (value: -40) | is not a number such as 1234.56"
    )


def test_changing_the_mapping_fixes_a_renamed_column_and_is_remembered(app_for, demo_store_url):
    app = upload(data_page(app_for, demo_store_url), "renamed.csv", RENAMED_SPEND)
    # "amount" matched the wrong column: its values are text, so every row is a problem.
    assert "2 problems in 2 of 2 rows" in app.error[0].value.replace("\\", "")
    amount = next(box for box in app.selectbox if box.label == "Amount (required)")
    assert amount.value == "amount"
    amount.set_value("Spend (USD)").run()
    assert not app.error
    app.text_input(key="uploader_name").input("Dana").run()
    load_button(app).click().run()
    total = scalar(
        demo_store_url,
        "select sum(amount_usd) from spend where upload_id = (select max(upload_id) from uploads)",
    )
    assert total == pytest.approx(2000.50)  # 1200.50 + 800
    assert scalar(demo_store_url, "select count(*) from saved_mappings") == 1
    # The next file with the same header uses the confirmed mapping straight away.
    app = upload(app, "renamed_next_week.csv", RENAMED_SPEND.replace("2026-11-0", "2026-11-1"))
    assert not app.error
    assert (
        next(box for box in app.selectbox if box.label == "Amount (required)").value
        == "Spend (USD)"
    )


def test_ambiguous_dates_ask_for_the_order(app_for, demo_store_url):
    app = upload(data_page(app_for, demo_store_url), "ambiguous.csv", AMBIGUOUS)
    assert (
        app.warning[0]
        .value.replace("\\", "")
        .startswith("Every date in date reads both as month/day/year and as day/month/year")
    )
    assert load_button(app).disabled
    app.radio[0].set_value("dmy").run()
    assert not app.warning
    app.text_input(key="uploader_name").input("Dana").run()
    load_button(app).click().run()
    first = scalar_text(
        demo_store_url,
        "select min(spend_date)::varchar from spend where upload_id = (select max(upload_id) from uploads)",
    )
    assert first == "2026-04-03"  # 03/04/2026 read day first


def test_the_same_file_twice_is_recognised(app_for, demo_store_url):
    app = upload(data_page(app_for, demo_store_url), "new_campaigns.csv", CAMPAIGNS)
    app.text_input(key="uploader_name").input("Dana").run()
    load_button(app).click().run()
    app = upload(app, "copy_of_new_campaigns.csv", CAMPAIGNS)
    assert any("already loaded as upload" in item.value for item in app.info)
    assert load_button(app).disabled


def test_undo_from_the_history_restores_the_store(app_for, demo_store_url):
    before = scalar(demo_store_url, "select count(*) from current_campaigns")
    app = upload(data_page(app_for, demo_store_url), "new_campaigns.csv", CAMPAIGNS)
    app.text_input(key="uploader_name").input("Dana").run()
    load_button(app).click().run()
    newest = app.selectbox(key="history_upload").value
    app.button(key=f"undo_{newest}")  # present but disabled until confirmed
    assert app.button(key=f"undo_{newest}").disabled
    app.checkbox(key=f"confirm_undo_{newest}").check().run()
    app.button(key=f"undo_{newest}").click().run()
    assert not app.exception
    assert "undone: its rows no longer count" in app.success[0].value.replace("\\", "")
    assert app.selectbox(key="history_upload").options[0].endswith("· undone")
    assert scalar(demo_store_url, "select count(*) from current_campaigns") == before


def test_an_unreadable_file_says_why(app_for, demo_store_url):
    app = data_page(app_for, demo_store_url)
    app.get("file_uploader")[0].set_value(
        ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/csv")
    ).run()
    assert (
        app.error[0]
        .value.replace("\\", "")
        .startswith("The file is not a CSV export: it contains binary data")
    )


GOOD_SPEND = (
    "date,channel,amount,campaign_id\n2026-11-02,events,1200.50,C-1\n2026-11-03,webinars,800,C-2\n"
)


def test_a_spend_upload_fits_the_budget_curves_in_the_background(app_for, demo_store_url):
    import threading
    from datetime import date

    from core.store import queries
    from core.store import scenarios as store_scenarios
    from core.store.engine import create_store_engine
    from ui.scenarios import PREFIT_THREAD

    app = upload(data_page(app_for, demo_store_url), "spend_nov.csv", GOOD_SPEND)
    app.text_input(key="uploader_name").input("Dana Whitfield").run()
    load_button(app).click().run()
    assert not app.exception and not app.error
    for thread in threading.enumerate():
        if thread.name == PREFIT_THREAD:
            thread.join(timeout=120)
    engine = create_store_engine(demo_store_url)
    as_of = queries.data_extent(engine).data_through
    assert isinstance(as_of, date)
    data = store_scenarios.scenario_data(engine, as_of)
    assert data is not None
    wanted = store_scenarios.fit_fingerprint(data)
    stored = query_value(
        demo_store_url, f"select count(*) from scenario_fits where fingerprint = '{wanted}'"
    )
    assert stored == 1  # the page will read this fit, not fit again
