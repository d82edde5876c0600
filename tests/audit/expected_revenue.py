"""The audit's hand computations, part one: what every number is computed FROM, and the
expected ``revenue`` and ``pipeline`` tables (tests/audit/test_audit_company.py asserts them).

Everything here comes from the written definitions (DOMAIN.md, the README and the registry that
``python -m core definitions --json`` prints) and the hand-built company of
tests/audit/company.py; nothing is imported from ``core``. Money is computed with fractions and
must match to the cent; only ratios use a relative tolerance.

The bookings definition's types are read from ``BOOKINGS_TYPES`` of THIS module on every call,
here and in tests/audit/expected_plans.py: tests/audit/test_audit_definition_change.py replaces
it here to compute the numbers under another version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

import pytest

from tests.audit import company as co

D = co.AS_OF  # Friday 20 Nov 2026, day 20 of the 92 days of Q4 FY2027
F = Fraction

# ============================================================================================
# The registry, as `python -m core definitions --json` prints it (checked in test_audit_company.py)
# ============================================================================================
MARKETING_CHANNELS = (
    "paid_search", "paid_social", "linkedin", "events", "webinars", "content_seo", "partners",
    "outbound", "direct",
)  # fmt: skip
SPEND_CHANNELS = MARKETING_CHANNELS[:-1]
REGISTRY = {
    "pipeline_created": {"opportunity_types": ["new_business"]},
    "sourced_pipeline": {
        "opportunity_types": ["new_business"],
        "marketing_channels": list(MARKETING_CHANNELS),
    },
    "influenced_pipeline": {
        "opportunity_types": ["new_business", "expansion", "renewal"],
        "influence_window_days": 90,
    },
    "bookings": {"opportunity_types": ["new_business", "expansion"]},
    "spend": {"channels": list(SPEND_CHANNELS)},
    "mqls": {"mql_stages": ["mql"]},
    "sqls": {"sql_stages": ["sql"]},
    "win_rate": {"opportunity_types": ["new_business"], "basis": "amount"},
    "cost_per_mql": {"channels": list(SPEND_CHANNELS), "mql_stages": ["mql"]},
    "payback": {
        "channels": list(SPEND_CHANNELS),
        "opportunity_types": ["new_business"],
        "gross_margin": 0.8,
    },
    "nrr": {"window_months": 12},
    "grr": {"window_months": 12},
    "coverage": {"opportunity_types": ["new_business", "expansion"]},
    "coverage_to_go": {"opportunity_types": ["new_business", "expansion"], "win_rate_quarters": 4},
    "forecast_bias": {"category": "most_likely", "submission": "latest"},
    "goal_status": {
        "green_at": 1.0,
        "amber_at": 0.9,
        "red_below_chance": 0.1,
        "pacing": "seasonal",
    },
    "attribution": {"model": "w_shaped"},
}
PIPELINE_TYPES = {"new_business"}
BOOKINGS_TYPES = {"new_business", "expansion"}
WIN_RATE_TYPES = {"new_business"}
COVERAGE_TYPES = {"new_business", "expansion"}
INFLUENCE_DAYS = 90
GROSS_MARGIN = F(8, 10)
GREEN_AT, AMBER_AT, RED_BELOW_CHANCE = F(1), F(9, 10), 0.1
NRR_WINDOW = 12

# ============================================================================================
# The fiscal calendar, written out (year starts in February, named by the year it ends in)
# ============================================================================================
QUARTERS = {
    "Q3 FY2025": (date(2024, 8, 1), date(2024, 10, 31)),
    "Q4 FY2025": (date(2024, 11, 1), date(2025, 1, 31)),
    "Q1 FY2026": (date(2025, 2, 1), date(2025, 4, 30)),
    "Q2 FY2026": (date(2025, 5, 1), date(2025, 7, 31)),
    "Q3 FY2026": (date(2025, 8, 1), date(2025, 10, 31)),
    "Q4 FY2026": (date(2025, 11, 1), date(2026, 1, 31)),
    "Q1 FY2027": (date(2026, 2, 1), date(2026, 4, 30)),
    "Q2 FY2027": (date(2026, 5, 1), date(2026, 7, 31)),
    "Q3 FY2027": (date(2026, 8, 1), date(2026, 10, 31)),
    "Q4 FY2027": (date(2026, 11, 1), date(2027, 1, 31)),
    "Q1 FY2028": (date(2027, 2, 1), date(2027, 4, 30)),
}
YEARS = {
    "FY2025": (date(2024, 2, 1), date(2025, 1, 31)),
    "FY2026": (date(2025, 2, 1), date(2026, 1, 31)),
    "FY2027": (date(2026, 2, 1), date(2027, 1, 31)),
}
PERIODS = {**QUARTERS, **YEARS}
THIS_QUARTER, NEXT_QUARTER = "Q4 FY2027", "Q1 FY2028"
# the four full quarters before the as-of day's (coverage_to_go: win_rate_quarters = 4)
LAST_FOUR = ("Q4 FY2026", "Q1 FY2027", "Q2 FY2027", "Q3 FY2027")


def month_start(month: str) -> date:
    return date.fromisoformat(month + "-01")


# ============================================================================================
# Deals as the exports show them
# ============================================================================================


def last_export_on_or_before(day: date) -> date:
    return max(export for export in co.EXPORT_DAYS if export <= day)


@dataclass(frozen=True)
class Seen:
    """A deal as one export shows it."""

    deal: co.Deal
    stage: str
    amount: Fraction
    close: date

    @property
    def is_open(self) -> bool:
        return self.stage in co.OPEN_STAGES

    @property
    def is_won(self) -> bool:
        return self.stage == co.WON

    @property
    def is_lost(self) -> bool:
        return self.stage == co.LOST


def export(day: date) -> dict[str, Seen]:
    """Every deal in the export of ``day``."""
    out = {}
    for deal in co.DEALS:
        state = deal.state_on(day)
        if state is not None:
            out[deal.deal_id] = Seen(deal, state.stage, F(state.amount), state.close)
    return out


# "The deal as seen on day D" = the latest export by D (20 Nov: the 27 Nov export must not count)
AT_D = export(last_export_on_or_before(D))
QUARTER_START = QUARTERS[THIS_QUARTER][0]
AT_START = export(max(e for e in co.EXPORT_DAYS if e < QUARTER_START))  # 30 Oct 2026
EXPORTS_BY_D = [e for e in co.EXPORT_DAYS if e <= D]


def total(values: Iterable[Fraction]) -> Fraction:
    return sum(values, F(0))


def bookings(first: date, last: date) -> Fraction:
    """Won, by close date, of the bookings definition's types (renewals left out)."""
    return total(
        s.amount
        for s in AT_D.values()
        if s.is_won and s.deal.kind in BOOKINGS_TYPES and first <= s.close <= last
    )


def pipeline_created(first: date, last: date, sourced: bool = False) -> Fraction:
    """New business created in the period at its current amount (sourced: marketing channels)."""
    return total(
        s.amount
        for s in AT_D.values()
        if s.deal.kind in PIPELINE_TYPES
        and first <= s.deal.created <= last
        and (not sourced or s.deal.channel in MARKETING_CHANNELS)
    )


def sourced_pipeline(first: date, last: date) -> Fraction:
    return pipeline_created(first, last, sourced=True)


def open_due(view: dict[str, Seen], first: date, last: date, types: set[str]) -> Fraction:
    return total(
        s.amount
        for s in view.values()
        if s.is_open and s.deal.kind in types and first <= s.close <= last
    )


def win_rate_by_amount(first: date, last: date) -> Fraction:
    closed = [
        s
        for s in AT_D.values()
        if (s.is_won or s.is_lost) and s.deal.kind in WIN_RATE_TYPES and first <= s.close <= last
    ]
    won = total(s.amount for s in closed if s.is_won)
    return won / total(s.amount for s in closed)


OPPORTUNITY_DATA_START = min(s.deal.created for s in AT_D.values())  # 1 Aug 2025

# ============================================================================================
# Leads, touches, spend as seen on D
# ============================================================================================


@dataclass(frozen=True)
class LeadSeen:
    lead: co.Lead
    created: datetime
    mql: datetime | None
    sql: datetime | None

    @property
    def row(self) -> str:
        if self.lead.campaign_id:
            return self.lead.campaign_id
        return f"(no campaign: {co.SOURCE_CHANNEL[self.lead.source]})"


def leads_on(day: date) -> list[LeadSeen]:
    export_day = max(e for e in (co.LEAD_EXPORT_DAY, co.LATE_LEAD_EXPORT_DAY) if e <= day)
    out = []
    for lead in co.LEADS:
        values = co.lead_on(lead, export_day)
        if values is None:
            continue
        out.append(
            LeadSeen(
                lead,
                co.timestamp(lead.created),
                co.timestamp(values["mql"]) if values["mql"] else None,
                co.timestamp(values["sql"]) if values["sql"] else None,
            )
        )
    return out


LEADS_D = leads_on(D)
LEAD_DATA_START = min(lead.created.date() for lead in LEADS_D)  # 1 Jul 2026
SPEND_D = [row for row in co.SPEND if date.fromisoformat(row.day) <= D]
SPEND_DATA_START = min(date.fromisoformat(row.day) for row in SPEND_D)  # 3 Aug 2026


def in_window(moment: datetime | None, first: date, last: date) -> bool:
    return moment is not None and first <= moment.date() <= last


def mqls(first: date, last: date, campaign_id: str | None = None) -> int:
    return sum(
        1
        for lead in LEADS_D
        if in_window(lead.mql, first, last) and campaign_id in (None, lead.lead.campaign_id)
    )


def spend(first: date, last: date) -> Fraction:
    return total(
        F(row.amount)
        for row in SPEND_D
        if row.channel in SPEND_CHANNELS and first <= date.fromisoformat(row.day) <= last
    )


def cost_per_mql(first: date, last: date) -> Fraction:
    return spend(first, last) / mqls(first, last)


# ============================================================================================
# Revenue: ARR by account and month
# ============================================================================================
MONTHS = co.months()  # 2025-07 .. 2026-11; the first is the opening balance
AS_OF_MONTH = D.isoformat()[:7]


def arr(account: co.Account, month: str) -> Fraction:
    return F(12 * co.mrr(account, month))


def total_arr(accounts: Iterable[co.Account], month: str) -> Fraction:
    return total(arr(a, month) for a in accounts)


def bridge_month(accounts: list[co.Account], index: int) -> dict[str, Fraction]:
    """DOMAIN.md "Revenue": the movements of month MONTHS[index] against the month before."""
    month, before = MONTHS[index], MONTHS[index - 1]
    out = dict.fromkeys(
        ("start", "new", "reactivation", "expansion", "contraction", "churn", "end"), F(0)
    )
    for account in accounts:
        prev, cur = arr(account, before), arr(account, month)
        had_before = any(arr(account, m) > 0 for m in MONTHS[:index])
        out["start"] += prev
        out["end"] += cur
        if prev == 0 and cur > 0:
            out["reactivation" if had_before else "new"] += cur
        elif prev > 0 and cur == 0:
            out["churn"] += prev
        elif cur > prev:
            out["expansion"] += cur - prev
        elif cur < prev:
            out["contraction"] += prev - cur
    return out


def retention(accounts: list[co.Account], index: int) -> tuple[Fraction | None, Fraction | None]:
    """NRR and GRR at MONTHS[index]: the cohort paying 12 months earlier."""
    if index - NRR_WINDOW < 0:
        return None, None
    then = MONTHS[index - NRR_WINDOW]
    cohort = [a for a in accounts if arr(a, then) > 0]
    if not cohort:
        return None, None
    base = total_arr(cohort, then)
    now = total_arr(cohort, MONTHS[index])
    kept = total(min(arr(a, MONTHS[index]), arr(a, then)) for a in cohort)
    return now / base, kept / base


# ============================================================================================
# Comparators
# ============================================================================================


@dataclass(frozen=True)
class Money:
    """An amount: must match to the cent."""

    value: Fraction

    def check(self, actual: Any) -> bool:
        return isinstance(actual, int | float) and abs(F(actual) - self.value) < F(1, 200)

    def __repr__(self) -> str:
        return f"Money({float(self.value):,.4f})"


@dataclass(frozen=True)
class Ratio:
    """A ratio, count share or credited count: relative 1e-9 (Wilson bounds and the chance use
    1e-6: normal and t quantiles computed here in plain Python)."""

    value: float
    rel: float = 1e-9

    def check(self, actual: Any) -> bool:
        return isinstance(actual, int | float) and actual == pytest.approx(
            self.value, rel=self.rel, abs=1e-12
        )

    def __repr__(self) -> str:
        return f"Ratio({self.value!r})"


@dataclass(frozen=True)
class Text:
    """A sentence: must contain each part (its wording is the product's; the facts are ours)."""

    parts: tuple[str, ...]

    def check(self, actual: Any) -> bool:
        return isinstance(actual, str) and bool(actual) and all(p in actual for p in self.parts)


def money(value: Fraction | None) -> Money | None:
    return None if value is None else Money(F(value))


def ratio(value: Fraction | float | None, rel: float = 1e-9) -> Ratio | None:
    return None if value is None else Ratio(float(value), rel)


def text(*parts: str) -> Text:
    return Text(tuple(parts))


def matches(expected: Any, actual: Any) -> bool:
    if hasattr(expected, "check"):
        return expected.check(actual)
    if expected is None or isinstance(expected, bool):
        return actual is expected
    return type(actual) is type(expected) and actual == expected


def agrees(value: Any, by_hand: Any) -> bool:
    """A hand-checked expectation: a float worked out by hand within 1e-12 relative, anything
    else (fractions, counts, lists, tuples, dicts) exactly."""
    if isinstance(by_hand, float):
        return float(value) == pytest.approx(by_hand, rel=1e-12)
    return value == by_hand


DEFINITIONS_JSON: list[dict[str, Any]] = []  # filled by the fixture from `definitions --json`


def definition_labels(metrics: Iterable[str]) -> Any:
    """'<label> (definition v<version>)' as the registry names each metric (checked lazily: the
    registry is read from the CLI in the fixture)."""
    return LabelsOf(tuple(metrics))


@dataclass(frozen=True)
class LabelsOf:
    metrics: tuple[str, ...]

    def labels(self) -> dict[str, str]:
        by_metric = {d["metric"]: d for d in DEFINITIONS_JSON}
        return {
            m: f"{by_metric[m]['label']} (definition v{by_metric[m]['version']})"
            for m in self.metrics
        }

    def check(self, actual: Any) -> bool:
        labels = self.labels()
        if isinstance(actual, dict):
            return actual == labels
        return isinstance(actual, list) and sorted(actual) == sorted(labels.values())


# ============================================================================================
# Expected: revenue
# ============================================================================================
Row = dict[str, Any]


def expected_revenue(segment: str | None) -> dict[str, Row]:
    accounts = [a for a in co.ACCOUNTS if segment is None or a.segment == segment]
    last_index = MONTHS.index(AS_OF_MONTH)
    rows: dict[str, Row] = {
        "": {
            "as_of": D.isoformat(),
            "segment": segment,
            "currency": "USD",
            "definitions": definition_labels(("arr", "nrr", "grr", "new_arr")),
        }
    }

    def retention_fields(index: int) -> Row:
        nrr, grr = retention(accounts, index)
        return {
            "nrr": ratio(nrr),
            "grr": ratio(grr),
            "retention_reason": None if nrr is not None else text("12 months"),
        }

    for index in range(1, last_index + 1):
        movements = bridge_month(accounts, index)
        rows[f"months/{MONTHS[index]}"] = {
            "period": MONTHS[index],
            **{name: money(value) for name, value in movements.items()},
            **retention_fields(index),
        }
    for label, (first, last) in QUARTERS.items():
        indexes = [i for i in range(1, last_index + 1) if first <= month_start(MONTHS[i]) <= last]
        if not indexes:
            continue
        months_of = [bridge_month(accounts, i) for i in indexes]
        rows[f"quarters/{label}"] = {
            "period": label,
            "start": money(months_of[0]["start"]),
            **{
                name: money(total(m[name] for m in months_of))
                for name in ("new", "reactivation", "expansion", "contraction", "churn")
            },
            "end": money(months_of[-1]["end"]),
            **retention_fields(indexes[-1]),
            "months": len(indexes),
        }
    return rows


# ============================================================================================
# Expected: pipeline
# ============================================================================================


def waterfall() -> Row:
    """README "Pipeline waterfall": each deal as the last export before the quarter had it and as
    the latest export by the as-of day has it."""
    first, last = QUARTERS[THIS_QUARTER]
    parts = dict.fromkeys(
        ("open_at_start", "created", "pulled_in", "pushed_out", "increased", "decreased", "won",
         "lost", "open_at_end"),
        F(0),
    )  # fmt: skip
    for deal_id in sorted(set(AT_START) | set(AT_D)):
        start, end = AT_START.get(deal_id), AT_D.get(deal_id)
        in_at_start = start is not None and start.is_open and first <= start.close <= last
        in_at_end = end is not None and first <= end.close <= last
        if end is not None and not end.is_open and start is not None and not start.is_open:
            continue  # closed before the quarter and closed still
        if in_at_start:
            parts["open_at_start"] += start.amount
        if in_at_end and not in_at_start:
            parts["created" if start is None else "pulled_in"] += end.amount
        if in_at_start and not in_at_end:
            parts["pushed_out"] += start.amount
        if in_at_start and in_at_end:
            change = end.amount - start.amount
            parts["increased" if change > 0 else "decreased"] += abs(change)
        if in_at_end:
            parts["won" if end.is_won else "lost" if end.is_lost else "open_at_end"] += end.amount
    imbalance = (
        parts["open_at_start"] + parts["created"] + parts["pulled_in"] - parts["pushed_out"]
        + parts["increased"] - parts["decreased"] - parts["won"] - parts["lost"]
        - parts["open_at_end"]
    )  # fmt: skip
    return {
        "period": THIS_QUARTER,
        "through": last_export_on_or_before(D).isoformat(),
        **{name: money(value) for name, value in parts.items()},
        "imbalance": money(imbalance),
    }


def goal_target(period: str, metric: str) -> Fraction | None:
    """A period's bookings target: its goals on bookings, campaign goals left out."""
    targets = [
        F(g.target)
        for g in co.GOALS
        if g.period == period and g.metric == metric and g.level != "campaign"
    ]
    return total(targets) if targets else None


def expected_pipeline() -> dict[str, Row]:
    window_first, window_last = QUARTERS[LAST_FOUR[0]][0], QUARTERS[LAST_FOUR[-1]][1]
    win_rate = win_rate_by_amount(window_first, window_last)
    required = 1 / win_rate
    sourced_share = sourced_pipeline(window_first, window_last) / pipeline_created(
        window_first, window_last
    )
    rows: dict[str, Row] = {"": {"as_of": D.isoformat(), "currency": "USD"}}
    for label in (THIS_QUARTER, NEXT_QUARTER):
        first, last = QUARTERS[label]
        target = goal_target(label, "bookings")
        won = bookings(first, min(last, D))
        in_hand = open_due(AT_D, first, last, COVERAGE_TYPES)
        to_go = target - won
        coverage = in_hand / to_go
        status = (
            "green"
            if coverage >= required
            else "amber"
            if coverage >= required * F(8, 10)
            else "red"
        )
        started = first <= D
        at_start = open_due(AT_START, first, last, COVERAGE_TYPES) / target if started else None
        needed = required * to_go
        gap = needed - in_hand
        rows[f"quarters/{label}"] = {
            "period": label,
            "coverage": ratio(coverage),
            "coverage_reason": None,
            "open_pipeline": money(in_hand),
            "target": money(target),
            "won_to_date": money(won),
            "required_coverage": ratio(required),
            "required_reason": None,
            "win_rate": ratio(win_rate),
            "status": status,
            "coverage_at_start": ratio(at_start),
            "pipeline_needed": money(needed),
            "pipeline_gap": money(gap),
            "sourced_pipeline_needed": money(gap * sourced_share),
            "definitions": definition_labels(
                ("coverage_to_go", "bookings", "win_rate", "coverage", "sourced_pipeline")
            ),
        }
    rows["waterfall"] = waterfall()
    rows[""]["waterfall_reason"] = None
    return rows
