"""Budget scenarios page: a slider move, the least-harm button, the link, saving and comparing."""

from __future__ import annotations

import re

from tests.pages.conftest import scalar
from tests.pages.test_app import assert_no_errors

CHANNELS = (
    "content_seo", "events", "linkedin", "outbound",
    "paid_search", "paid_social", "partners", "webinars",
)  # fmt: skip


def _page(app_for, url, **query_params):
    app = app_for(url, **query_params).run()
    app.switch_page("pages/scenarios.py").run()
    assert_no_errors(app)
    return app


def _metric(app, label_start):
    return next(metric for metric in app.metric if metric.label.startswith(label_start))


def _money(text):
    """'$1.2M' / '$350K' / '$1,234' -> float."""
    text = text.replace("$", "").replace(",", "").replace("−", "-")
    factor = {"K": 1e3, "M": 1e6}.get(text[-1], 1.0)
    return float(text.rstrip("KM")) * factor


def test_the_plan_as_it_is_costs_nothing(app_for, demo_store_url):
    app = _page(app_for, demo_store_url)
    assert [item.value for item in app.subheader][:2] == ["Change the plan", "What it costs"]
    assert len([s for s in app.slider if s.key and s.key.startswith("scenario_change_")]) == 8
    assert _metric(app, "Saves").value == "$0"
    assert _money(_metric(app, "Pipeline lost").value) == 0
    assert "nothing is lost" in app.markdown[0].value or any(
        "nothing is lost" in item.value for item in app.markdown
    )


def test_a_slider_move_shows_savings_losses_and_the_link(app_for, demo_store_url):
    app = _page(app_for, demo_store_url)
    app.slider(key="scenario_change_paid_search").set_value(-30).run()
    assert_no_errors(app)
    saved = _money(_metric(app, "Saves").value)
    lost = _money(_metric(app, "Pipeline lost").value)
    assert saved > 0 and lost > 0
    assert _money(_metric(app, "Bookings lost").value) > 0
    assert any("Cutting Paid search by 30%" in item.value for item in app.markdown)
    assert app.query_params["cut_paid_search"] in ("-30", ["-30"])
    impact = app.table[0].value
    assert impact.iloc[0, 1].startswith("\\$")  # dollars escaped: two would make a formula
    assert list(impact["Lost (10-90% range)"]) == [
        "Pipeline",
        "Bookings",
        "New ARR",
        "Recognised revenue",
    ]
    assert any("projected attainment falls" in item.value for item in app.markdown)


def test_the_link_reopens_the_scenario(app_for, demo_store_url):
    app = _page(app_for, demo_store_url, cut_linkedin="-20", weeks="8")
    assert app.slider(key="scenario_change_linkedin").value == -20
    assert app.slider(key="scenario_weeks").value == 8
    assert _money(_metric(app, "Saves").value) > 0


def test_a_bad_link_value_is_named_and_ignored(app_for, demo_store_url):
    app = _page(app_for, demo_store_url, cut_events="-250")
    assert any("events" in item.value and "-250%" in item.value for item in app.warning)
    assert app.slider(key="scenario_change_events").value == 0


def test_least_harm_meets_the_saving_and_beats_pro_rata(app_for, demo_store_url):
    app = _page(app_for, demo_store_url)
    app.slider(key="scenario_saving").set_value(20_000).run()
    least = next(button for button in app.button if button.label == "Least-harm cut")
    least.click().run()
    assert_no_errors(app)
    cuts = [app.slider(key=f"scenario_change_{channel}").value for channel in CHANNELS]
    assert all(-100 <= cut <= 0 for cut in cuts) and any(cut < 0 for cut in cuts)
    comparison = next(
        item.value for item in app.markdown if item.value.startswith("**Saving $20K:**")
    )
    _, least_loss, prorata_loss = (
        _money(amount) for amount in re.findall(r"\$[\d.,]+[KM]?", comparison)
    )
    assert least_loss <= prorata_loss
    # Rounded to whole percent, the sliders save the saving to within a few percent.
    assert abs(_money(_metric(app, "Saves").value) - 20_000) / 20_000 < 0.1


def test_saving_a_scenario_and_comparing(app_for, demo_store_url):
    app = _page(app_for, demo_store_url)
    app.slider(key="scenario_change_events").set_value(-50).run()
    app.text_input[0].input("Events halved")
    app.text_input[1].input("Dana")
    app.button[-1].click().run()
    assert_no_errors(app)
    assert scalar(demo_store_url, "select count(*) from saved_scenarios") == 1
    table = app.dataframe[-2].value if len(app.dataframe) > 2 else app.dataframe[-1].value
    frames = [frame.value for frame in app.dataframe if "Scenario" in frame.value.columns]
    assert frames and "Events halved" in list(frames[0]["Scenario"])
    assert table is not None


def test_a_scenario_without_a_name_is_refused(app_for, demo_store_url):
    app = _page(app_for, demo_store_url)
    app.button[-1].click().run()
    assert any("Give the scenario a name" in item.value for item in app.error)
    assert scalar(demo_store_url, "select count(*) from saved_scenarios") == 0
