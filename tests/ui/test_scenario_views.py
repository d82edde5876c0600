"""Budget scenario view helpers: what the page shows and how the curves are keyed."""

import json

import pandas as pd
import pytest

from core.scenarios import GoalEffect
from ui.scenarios import break_even_label, curves_chart, goal_title, moves_visibly


def _effect(before: float, after: float) -> GoalEffect:
    return GoalEffect(
        goal_name="ARR", period_label="FY2027", metric="arr", target=100.0,
        projection=before * 100, loss=(before - after) * 100, before=before, after=after,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("before", "after", "shown"),
    [
        (1.17, 1.1702, False),  # "from 117% to 117%" says nothing
        (0.921, 0.918, False),  # both round to 92%
        (0.926, 0.914, True),  # 93% to 91%
        (0.97, 0.92, True),
        (0.855, 0.844, True),  # 86% to 84%
    ],
)
def test_a_goal_is_listed_only_when_its_attainment_moves_at_the_shown_precision(
    before, after, shown
):
    assert moves_visibly(_effect(before, after)) is shown


def test_the_curve_markers_keep_their_colours_whatever_their_order():
    curves = pd.DataFrame(
        {"channel": ["events"] * 2, "spend": [0.0, 1.0], "pipeline": [0.0, 2.0],
         "low": [0.0, 1.0], "high": [0.0, 3.0]}
    )  # fmt: skip
    marks = pd.DataFrame(
        {"channel": ["events"] * 2, "spend": [0.5, 0.8], "pipeline": [1.0, 1.5],
         "marker": ["Marginal return falls below $1", "Planned spend"]}
    )  # fmt: skip
    spec = curves_chart(curves, marks).to_dict()
    colour = spec["spec"]["layer"][2]["encoding"]["color"]["scale"]
    assert dict(zip(colour["domain"], colour["range"], strict=True)) == {
        "Planned spend": "#C0392B",  # red, as the caption says
        "Marginal return falls below $1": "#E67E22",  # orange
    }


def test_a_goal_names_its_period_once():
    effect = _effect(0.9, 0.8)
    assert goal_title(effect) == "ARR (FY2027)"
    named = GoalEffect(**{**effect.__dict__, "goal_name": "Pipeline in FY2027"})
    assert goal_title(named) == "Pipeline in FY2027"


def test_the_curves_chart_is_drawn_in_the_store_currency():
    curves = pd.DataFrame(
        {"channel": ["events"] * 2, "spend": [0.0, 1.0], "pipeline": [0.0, 2.0],
         "low": [0.0, 1.0], "high": [0.0, 3.0]}
    )  # fmt: skip
    marks = pd.DataFrame(
        {"channel": ["events"], "spend": [0.8], "pipeline": [1.5],
         "marker": [break_even_label("EUR")]}
    )  # fmt: skip
    found = curves_chart(curves, marks, "EUR").to_dict()
    found.pop("$schema", None)
    spec = json.dumps(found, ensure_ascii=False)
    assert "Marginal return falls below €1" in spec and "'€'" in spec
    assert "$" not in spec
