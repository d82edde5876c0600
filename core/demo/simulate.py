"""Simulation of the demo company, from marketing spend to pipeline, bookings and ARR.

The simulation runs on weeks (Mondays) from the start of history to the end of the fiscal
quarter after the as-of date: the future part is never exported, but it is what the forecasts
and goal targets were (imperfectly) aimed at, as real ones are.

Stages, in order:

1. campaigns per channel and fiscal quarter, and the quarterly budget plan per channel;
2. daily spend per campaign, following the plan with flights and noise;
3. expected new-business pipeline per channel and week from the true response curves
   (:mod:`core.demo.profile`), realised as opportunities (Poisson counts, lognormal amounts);
4. the customer base month by month: new accounts from wins, renewals, expansion, contraction,
   churn and reactivation, as opportunities and as ARR per account and month;
5. opportunity histories (stages, slipping close dates, amount changes) for weekly snapshots;
6. leads (backwards from the opportunities they became, plus the many that never convert) and
   their campaign touches, a fiscal quarter at a time so large scales stream to disk.

Days are integers (days since 1970-01-01) inside this module so everything vectorises.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core.calendar import FiscalCalendar, FiscalPeriod, add_months, week_start
from core.channels import PAID_CHANNELS
from core.demo import names
from core.demo.ids import salesforce_id
from core.demo.profile import (
    ACCOUNT_EXECUTIVES,
    BASELINES,
    CHANNELS,
    CUSTOMERS,
    FISCAL_YEAR_START_MONTH,
    MARKETING_BUDGET_ANNUAL_GROWTH,
    SPEND_EXPERIMENTS,
    scaled,
)

EPOCH = date(1970, 1, 1)
WARM_UP_QUARTERS = 2
NEVER = np.iinfo(np.int64).max // 4  # "not reached" for day arrays
OPEN_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
)
STAGE_PROBABILITY = (10.0, 20.0, 40.0, 60.0, 80.0)
STAGE_FORECAST_CATEGORY = ("Pipeline", "Pipeline", "Best Case", "Best Case", "Commit")
CLOSED_WON, CLOSED_LOST = "Closed Won", "Closed Lost"

SEGMENT_BOUNDS_USD = (25_000, 80_000)
CHANNEL_OWNERS = {
    "paid_search": "Nina Alvarez",
    "paid_social": "Nina Alvarez",
    "linkedin": "Nina Alvarez",
    "events": "Owen Park",
    "webinars": "Lena Fischer",
    "content_seo": "Lena Fischer",
    "partners": "Raj Mehta",
    "outbound": "Marcus Lee",
}
TOUCH_TYPES = {
    "paid_search": ("Ad click", "Form fill"),
    "paid_social": ("Ad click", "Form fill"),
    "linkedin": ("Lead gen form", "Ad click"),
    "events": ("Event attended", "Booth scan"),
    "webinars": ("Webinar registered", "Webinar attended"),
    "content_seo": ("Content download", "Blog subscribe"),
    "partners": ("Partner referral", "Partner webinar"),
    "outbound": ("Meeting booked", "Email reply"),
    "direct": ("Demo request", "Pricing page form"),
}
REGIONS = ("NA", "EMEA", "APAC", "LATAM")


def to_day(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH).days


def to_date(day: int) -> date:
    """Date of a day number."""
    return EPOCH + timedelta(days=int(day))


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 for day numbers (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def rng_for(seed: int, stream: str) -> np.random.Generator:
    """Independent generator per stream, so changing one stage never reshuffles another."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


@dataclass(frozen=True)
class DemoOptions:
    """What the generator is asked for."""

    as_of: date
    seed: int = 42
    scale: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.scale <= 1000:
            raise ValueError(f"scale must be above 0 and at most 1000, got {self.scale}")
        if self.seed < 0:
            raise ValueError(f"seed must be zero or positive, got {self.seed}")


@dataclass(frozen=True)
class Timeline:
    """The simulated span: history start, as-of date, and the hidden future after it."""

    calendar: FiscalCalendar
    as_of: date
    simulation_start: date  # warm-up before history: simulated, never exported
    history_start: date
    simulation_end: date
    week_starts: np.ndarray  # day numbers of Mondays
    quarters: tuple[FiscalPeriod, ...]

    @property
    def as_of_day(self) -> int:
        return to_day(self.as_of)

    @property
    def start_day(self) -> int:
        return to_day(self.history_start)

    @property
    def simulation_start_day(self) -> int:
        return to_day(self.simulation_start)

    @property
    def history_quarter_offset(self) -> int:
        """Index in :attr:`quarters` of the first quarter of exported history."""
        return next(
            index
            for index, quarter in enumerate(self.quarters)
            if quarter.start >= self.history_start
        )

    @property
    def end_day(self) -> int:
        return to_day(self.simulation_end)

    def quarter_index(self, days: np.ndarray) -> np.ndarray:
        """Index into :attr:`quarters` of each day (clipped to the simulated span)."""
        starts = np.array([to_day(quarter.start) for quarter in self.quarters])
        return np.clip(np.searchsorted(starts, days, side="right") - 1, 0, len(starts) - 1)

    def week_index(self, days: np.ndarray) -> np.ndarray:
        """Index into :attr:`week_starts` of each day."""
        return np.clip((days - self.week_starts[0]) // 7, 0, len(self.week_starts) - 1)


def build_timeline(options: DemoOptions) -> Timeline:
    """Three full fiscal years before the current one, through the quarter after as-of.

    Two warm-up quarters before history give the company the open pipeline and customers it
    had when the exports begin; they are simulated but never exported.
    """
    calendar = FiscalCalendar(start_month=FISCAL_YEAR_START_MONTH)
    current_year = calendar.fiscal_year_of(options.as_of)
    history_start = calendar.year(current_year - 3).start
    simulation_start = calendar.shift(
        calendar.quarter_containing(history_start), -WARM_UP_QUARTERS
    ).start
    simulation_end = calendar.shift(calendar.quarter_containing(options.as_of), 1).end
    first_monday = to_day(week_start(simulation_start))
    week_starts = np.arange(first_monday, to_day(simulation_end) + 1, 7, dtype=np.int64)
    quarters = tuple(calendar.periods_between(simulation_start, simulation_end, "quarter"))
    return Timeline(
        calendar,
        options.as_of,
        simulation_start,
        history_start,
        simulation_end,
        week_starts,
        quarters,
    )


# --------------------------------------------------------------------------------------------
# Campaigns and budgets
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CampaignTemplate:
    """A campaign that runs every quarter in a channel (``window`` 0 = whole quarter)."""

    name: str
    objective: str
    weight: float
    per_quarter: int = 1
    window_days: int = 0


CAMPAIGN_TEMPLATES: dict[str, tuple[CampaignTemplate, ...]] = {
    "paid_search": (
        CampaignTemplate("Search - Brand", "Demand capture", 0.20),
        CampaignTemplate("Search - Competitor", "Demand capture", 0.15),
        CampaignTemplate("Search - Category", "Demand generation", 0.45),
        CampaignTemplate("Search - Retargeting", "Retargeting", 0.20),
    ),
    "paid_social": (
        CampaignTemplate("Meta - Prospecting", "Demand generation", 0.6),
        CampaignTemplate("Meta - Retargeting", "Retargeting", 0.4),
        CampaignTemplate("Meta - Burst", "Brand awareness", 0.8, per_quarter=2, window_days=21),
    ),
    "linkedin": (
        CampaignTemplate("LinkedIn - CFO Persona", "Demand generation", 0.40),
        CampaignTemplate("LinkedIn - Data Leaders", "Demand generation", 0.35),
        CampaignTemplate("LinkedIn - Lead Gen Forms", "Lead capture", 0.25),
    ),
    "events": (
        CampaignTemplate("Events - Field Program", "Pipeline acceleration", 0.15),
        CampaignTemplate("Event", "Demand generation", 1.0, per_quarter=3, window_days=7),
    ),
    "webinars": (
        CampaignTemplate("Webinar Program", "Demand generation", 0.10),
        CampaignTemplate("Webinar", "Demand generation", 1.0, per_quarter=6, window_days=14),
    ),
    "content_seo": (
        CampaignTemplate("SEO Program", "Organic demand", 0.7),
        CampaignTemplate("Content Syndication", "Lead capture", 0.3),
    ),
    "partners": (
        CampaignTemplate("Partner MDF - Cloud Marketplace", "Partner co-marketing", 0.5),
        CampaignTemplate("Partner MDF - SI Alliance", "Partner co-marketing", 0.5),
    ),
    "outbound": (
        CampaignTemplate("Outbound - Enterprise Sequence", "Outbound prospecting", 0.6),
        CampaignTemplate("Outbound - Mid-Market Sequence", "Outbound prospecting", 0.4),
    ),
}
EVENT_CITIES = (
    "Chicago",
    "London",
    "Austin",
    "Berlin",
    "Toronto",
    "New York",
    "Amsterdam",
    "San Francisco",
    "Boston",
    "Sydney",
    "Paris",
    "Denver",
)
EVENT_NAMES = (
    "Data Summit",
    "CFO Forum",
    "Analytics Roadshow",
    "RevOps Live",
    "Cloud Expo",
    "Finance Leaders Dinner",
)
WEBINAR_TOPICS = (
    "Forecasting without spreadsheets",
    "The modern data stack for finance",
    "Benchmarking SaaS metrics",
    "From dashboards to decisions",
    "Pricing analytics 101",
    "Board reporting in a day",
    "Churn signals that matter",
    "Pipeline hygiene for RevOps",
)


def replicas(scale: float) -> int:
    """Copies of each campaign template per quarter at ``scale`` (at least one)."""
    return max(1, round(scale))


def _event_day(rng: np.random.Generator, quarter: FiscalPeriod) -> int:
    """A weekday in the quarter outside the summer and year-end lulls."""
    start, end = to_day(quarter.start), to_day(quarter.end)
    for _ in range(50):
        day = int(rng.integers(start + 7, end - 3))
        calendar_day = to_date(day)
        quiet = calendar_day.month == 8 or (calendar_day.month, calendar_day.day) >= (12, 15)
        quiet = quiet or (calendar_day.month == 1 and calendar_day.day < 8)
        if weekday(np.array([day]))[0] < 5 and not quiet:
            return day
    return start + 14


def build_campaigns(timeline: Timeline, options: DemoOptions) -> pd.DataFrame:
    """Campaigns per channel and quarter with window, weight, owner and objective."""
    rng = rng_for(options.seed, "campaigns")
    copies = replicas(options.scale)
    rows = []
    for quarter_number, quarter in enumerate(timeline.quarters):
        prefix = f"FY{quarter.fiscal_year % 100:02d} Q{quarter.number}"
        for channel in PAID_CHANNELS:
            for template in CAMPAIGN_TEMPLATES[channel]:
                for copy in range(copies):
                    region = f" ({REGIONS[copy % 4]} {copy // 4 + 1})" if copies > 1 else ""
                    for occurrence in range(template.per_quarter):
                        if template.window_days:
                            end = _event_day(rng, quarter)
                            start = end - template.window_days + 1
                        else:
                            start, end = to_day(quarter.start), to_day(quarter.end)
                        if template.name == "Event":
                            city = EVENT_CITIES[int(rng.integers(len(EVENT_CITIES)))]
                            event = EVENT_NAMES[int(rng.integers(len(EVENT_NAMES)))]
                            title = f"{event} {city}"
                        elif template.name == "Webinar":
                            topic = WEBINAR_TOPICS[(quarter_number * 6 + occurrence) % 8]
                            title = f"Webinar - {topic}"
                        elif template.name == "Meta - Burst":
                            title = f"Meta - Burst {occurrence + 1}"
                        else:
                            title = template.name
                        rows.append(
                            {
                                "channel": channel,
                                "campaign_name": f"{prefix} {title}{region}",
                                "objective": template.objective,
                                "start_day": start,
                                "end_day": end,
                                "weight": template.weight / copies,
                                "quarter_index": quarter_number,
                                "owner": CHANNEL_OWNERS[channel],
                            }
                        )
    campaigns = pd.DataFrame(rows)
    # Event and webinar titles can repeat within a quarter: number the repeats.
    repeat = campaigns.groupby("campaign_name").cumcount()
    campaigns["campaign_name"] = campaigns["campaign_name"].where(
        repeat == 0, campaigns["campaign_name"] + " #" + (repeat + 1).astype(str)
    )
    campaigns["campaign_id"] = [salesforce_id("701", number) for number in range(len(campaigns))]
    return campaigns


def plan_budgets(timeline: Timeline, options: DemoOptions) -> pd.DataFrame:
    """Planned spend per channel and fiscal quarter: growth, noise and designed experiments."""
    rng = rng_for(options.seed, "budgets")
    experiments = {(channel, index): factor for channel, index, factor in SPEND_EXPERIMENTS}
    rows = []
    for truth in CHANNELS:
        channel = scaled(truth, options.scale)
        for index, quarter in enumerate(timeline.quarters):
            years = (to_day(quarter.start) - timeline.start_day) / 365.25
            growth = (1 + MARKETING_BUDGET_ANNUAL_GROWTH) ** years
            noise = float(np.exp(rng.normal(0.0, 0.12)))
            factor = experiments.get((truth.channel, index - timeline.history_quarter_offset), 1.0)
            planned = channel.typical_weekly_spend_usd * quarter.days / 7 * growth * noise * factor
            rows.append(
                {
                    "period_label": quarter.label,
                    "channel": truth.channel,
                    "period_start": quarter.start,
                    "period_end": quarter.end,
                    "planned_spend_usd": round(planned, -2),
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Spend
# --------------------------------------------------------------------------------------------
AD_METRICS = {  # cost per thousand impressions, click-through rate, conversion rate of clicks
    "paid_search": (45.0, 0.045, 0.035),
    "paid_social": (9.0, 0.009, 0.020),
    "linkedin": (38.0, 0.005, 0.060),
}


def _weekday_weights(channel: str, days: np.ndarray) -> np.ndarray:
    weekend = weekday(days) >= 5
    if channel in ("paid_search", "paid_social", "linkedin"):
        return np.where(weekend, 0.62, 1.15)
    return np.where(weekend, 0.05, 1.0)


def _channel_flight(channel: str, week_starts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Relative spend per week before normalisation: campaign activity, partners' monthly MDF."""
    if channel == "partners":
        first_week_of_month = np.array([to_date(day).day <= 7 for day in week_starts])
        return weights * np.where(first_week_of_month, 3.0, 0.3)
    return weights


@dataclass
class SpendResult:
    """Daily spend rows and the weekly spend per channel they add up to."""

    daily: pd.DataFrame
    weekly_spend: np.ndarray  # channel x week, USD


def simulate_spend(
    timeline: Timeline, campaigns: pd.DataFrame, budgets: pd.DataFrame, options: DemoOptions
) -> SpendResult:
    """Daily spend per campaign following the quarterly plan, with flights and noise."""
    rng = rng_for(options.seed, "spend")
    weeks = timeline.week_starts
    week_quarter = timeline.quarter_index(weeks)
    weekly = np.zeros((len(PAID_CHANNELS), len(weeks)))
    frames = []
    for channel_index, truth in enumerate(CHANNELS):
        channel = truth.channel
        mine = campaigns[campaigns["channel"] == channel]
        starts = mine["start_day"].to_numpy()
        ends = mine["end_day"].to_numpy()
        campaign_weights = mine["weight"].to_numpy()
        active = (starts[None, :] <= weeks[:, None] + 6) & (ends[None, :] >= weeks[:, None])
        activity = _channel_flight(channel, weeks, (active * campaign_weights).sum(axis=1))
        plan = budgets[budgets["channel"] == channel]["planned_spend_usd"].to_numpy()
        quarter_days = np.array([quarter.days for quarter in timeline.quarters])
        plan_per_week = plan[week_quarter] / quarter_days[week_quarter] * 7
        flight = np.zeros(len(weeks))
        for quarter_index in range(len(timeline.quarters)):
            in_quarter = week_quarter == quarter_index
            mean = activity[in_quarter].mean()
            flight[in_quarter] = activity[in_quarter] / mean if mean > 0 else 0.0
        noise = np.exp(rng.normal(-0.5 * truth.spend_noise**2, truth.spend_noise, len(weeks)))
        week_spend = plan_per_week * flight * noise
        day_parts, row_parts, amount_parts = [], [], []
        campaign_numbers = mine.index.to_numpy()
        for week_index, monday in enumerate(weeks):
            days = np.arange(monday, monday + 7)
            days = days[(days >= timeline.simulation_start_day) & (days <= timeline.end_day)]
            live = np.flatnonzero(active[week_index])
            if days.size == 0 or live.size == 0 or week_spend[week_index] <= 0:
                continue
            in_window = (starts[live][:, None] <= days[None, :]) & (
                ends[live][:, None] >= days[None, :]
            )
            cell = in_window * campaign_weights[live][:, None] * _weekday_weights(channel, days)
            total = cell.sum()
            if total <= 0:
                continue
            campaign_rows, day_columns = np.nonzero(cell)
            amount = np.round(week_spend[week_index] * cell[campaign_rows, day_columns] / total, 2)
            keep = amount >= 0.01
            day_parts.append(days[day_columns[keep]])
            row_parts.append(campaign_numbers[live[campaign_rows[keep]]])
            amount_parts.append(amount[keep])
            weekly[channel_index, week_index] = amount[keep].sum()
        frame = pd.DataFrame(
            {
                "spend_day": np.concatenate(day_parts),
                "campaign_row": np.concatenate(row_parts),
                "channel": channel,
                "amount_usd": np.concatenate(amount_parts),
            }
        )
        cpm, ctr, cvr = AD_METRICS.get(channel, (0.0, 0.0, 0.0))
        if cpm:
            impressions = rng.poisson(frame["amount_usd"].to_numpy() / cpm * 1000)
            clicks = rng.binomial(impressions, ctr)
            frame["impressions"] = impressions
            frame["clicks"] = clicks
            frame["conversions"] = rng.binomial(clicks, cvr)
        frames.append(frame)
    # Campaign rows, not ids and names: strings for millions of rows are made per export.
    daily = pd.concat(frames, ignore_index=True)
    daily["channel"] = daily["channel"].astype("category")
    return SpendResult(daily=daily, weekly_spend=weekly)


# --------------------------------------------------------------------------------------------
# Response: spend to expected pipeline
# --------------------------------------------------------------------------------------------
def lagged_adstock(spend: np.ndarray, theta: float, lag_weeks: int, initial: float) -> np.ndarray:
    """a(t) = x(t - lag) + theta * a(t - 1), starting from steady state ``initial``."""
    shifted = np.concatenate([np.full(lag_weeks, initial * (1 - theta)), spend])[: len(spend)]
    adstock = np.empty(len(spend))
    previous = initial
    for index, value in enumerate(shifted):
        previous = value + theta * previous
        adstock[index] = previous
    return adstock


def hill(adstock: np.ndarray, half_saturation: float, k: float) -> np.ndarray:
    """Hill saturation a^k / (a^k + h^k), between 0 and 1."""
    ratio = np.maximum(adstock, 0.0) / half_saturation
    powered = ratio**k
    return powered / (powered + 1.0)


def seasonality(week_starts: np.ndarray, amplitude: float, peak_week: int) -> np.ndarray:
    """Multiplicative season: a yearly wave, a year-end lull and a Thanksgiving dip."""
    dates = [to_date(day) for day in week_starts]
    week_of_year = np.array([day.isocalendar().week for day in dates])
    wave = 1 + amplitude * np.cos(2 * np.pi * (week_of_year - peak_week) / 52)
    holiday = np.array(
        [
            0.55
            if (day.month == 12 and day.day >= 22) or (day.month == 1 and day.day <= 3)
            else 0.8
            if day.month == 11 and 22 <= day.day <= 28
            else 1.0
            for day in dates
        ]
    )
    return wave * holiday


def expected_pipeline(timeline: Timeline, weekly_spend: np.ndarray, scale: float) -> np.ndarray:
    """True expected new-business pipeline per channel (paid, then baselines) and week."""
    weeks = timeline.week_starts
    rows = []
    for channel_index, truth in enumerate(CHANNELS):
        channel = scaled(truth, scale)
        adstock = lagged_adstock(
            weekly_spend[channel_index], channel.theta, channel.lag_weeks, channel.steady_adstock
        )
        season = seasonality(weeks, channel.seasonality_amplitude, channel.seasonality_peak_week)
        rows.append(
            season * channel.beta_usd * hill(adstock, channel.half_saturation_usd, channel.hill_k)
        )
    years = (weeks - timeline.start_day) / 365.25
    for baseline in BASELINES:
        season = seasonality(weeks, 0.06, 10)
        rows.append(
            season * baseline.weekly_pipeline_usd * scale * (1 + baseline.annual_growth) ** years
        )
    return np.vstack(rows)


# --------------------------------------------------------------------------------------------
# Opportunities
# --------------------------------------------------------------------------------------------
SOURCES: tuple[str, ...] = (*PAID_CHANNELS, *(baseline.channel for baseline in BASELINES))
MEAN_DEAL = {truth.channel: truth.mean_deal_usd for truth in CHANNELS} | {
    baseline.channel: baseline.mean_deal_usd for baseline in BASELINES
}
WIN_RATE = {truth.channel: truth.win_rate for truth in CHANNELS} | {
    baseline.channel: baseline.win_rate for baseline in BASELINES
}


@dataclass
class Opportunities:
    """Every simulated opportunity as parallel arrays (one entry per opportunity)."""

    kind: np.ndarray  # new_business / expansion / renewal
    channel: np.ndarray
    created: np.ndarray
    amount_initial: np.ndarray
    amount_final: np.ndarray
    amount_change_day: np.ndarray
    is_won: np.ndarray
    close_day: np.ndarray
    expected_close_initial: np.ndarray
    slip_days: np.ndarray
    stage_days: np.ndarray  # opportunity x 5 open stages, NEVER when not reached
    account: np.ndarray
    owner: np.ndarray
    campaign_row: np.ndarray  # -1 when no campaign
    lead_created: np.ndarray  # NEVER when the opportunity has no lead
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.kind)


def _lognormal_with_mean(rng: np.random.Generator, mean: np.ndarray, sigma: float) -> np.ndarray:
    return rng.lognormal(np.log(mean) - sigma**2 / 2, sigma)


def _lifecycle(
    rng: np.random.Generator,
    created: np.ndarray,
    is_won: np.ndarray,
    median_cycle_won: float,
    median_cycle_lost: float,
    size_factor: np.ndarray,
) -> dict[str, np.ndarray]:
    """Close day, stage days, slipping expected close date and amount change per opportunity."""
    count = len(created)
    median = np.where(is_won, median_cycle_won, median_cycle_lost) * size_factor
    cycle = np.maximum(7, np.round(rng.lognormal(np.log(median), 0.45))).astype(np.int64)
    close_day = created + cycle
    # Lost deals stop somewhere along the way; won deals pass every open stage.
    furthest = np.where(is_won, 4, rng.choice(5, count, p=[0.25, 0.25, 0.2, 0.2, 0.1]))
    cut_points = np.sort(rng.uniform(0.05, 0.95, (count, 4)), axis=1)
    stage_days = np.full((count, 5), NEVER, dtype=np.int64)
    stage_days[:, 0] = created
    for stage in range(1, 5):
        reached = furthest >= stage
        stage_days[reached, stage] = created[reached] + np.floor(
            cut_points[reached, stage - 1] * cycle[reached]
        ).astype(np.int64)
    # Reps expect deals to close sooner than they do, and push the date when it passes.
    expected_close = created + np.maximum(14, np.round(cycle * rng.uniform(0.5, 0.95, count)))
    slip_days = rng.choice([14, 21, 28, 42], count)
    changes = rng.random(count) < 0.3
    change_day = np.where(changes, stage_days[:, 3], NEVER)
    factor = np.where(changes & (change_day < NEVER), rng.uniform(0.8, 1.2, count), 1.0)
    return {
        "close_day": close_day,
        "stage_days": stage_days,
        "expected_close_initial": expected_close.astype(np.int64),
        "slip_days": slip_days.astype(np.int64),
        "amount_change_day": np.where(factor != 1.0, change_day, NEVER),
        "amount_factor": factor,
    }


def _round_amount(amount: np.ndarray, step: float) -> np.ndarray:
    return np.maximum(step, np.round(amount / step) * step)


def new_business(
    timeline: Timeline, pipeline: np.ndarray, campaigns: pd.DataFrame, options: DemoOptions
) -> Opportunities:
    """New-business opportunities realised from the expected pipeline of every source."""
    rng = rng_for(options.seed, "new_business")
    counts = rng.poisson(pipeline / np.array([MEAN_DEAL[source] for source in SOURCES])[:, None])
    source_index, week_index = np.nonzero(counts)
    repeats = counts[source_index, week_index]
    source_index = np.repeat(source_index, repeats)
    week_index = np.repeat(week_index, repeats)
    count = len(source_index)
    channel = np.asarray(SOURCES, dtype=object)[source_index]
    weekday_offset = rng.choice(7, count, p=[0.2, 0.22, 0.22, 0.2, 0.14, 0.01, 0.01])
    created = timeline.week_starts[week_index] + weekday_offset
    created = np.clip(created, timeline.simulation_start_day, timeline.end_day)
    order = np.argsort(created, kind="stable")
    channel, created = channel[order], created[order]
    mean_deal = np.array([MEAN_DEAL[source] for source in channel])
    amount = _round_amount(_lognormal_with_mean(rng, mean_deal, 0.7), 500.0)
    is_won = rng.random(count) < np.array([WIN_RATE[source] for source in channel])
    size_factor = (amount / mean_deal) ** 0.2
    life = _lifecycle(rng, created, is_won, 80.0, 55.0, size_factor)
    # Leads of marketing-sourced deals came in before the deal: lead -> MQL -> SQL -> opportunity.
    days_to_mql = np.array(
        [
            {truth.channel: truth.days_to_mql for truth in CHANNELS}.get(source, 2.0)
            for source in channel
        ]
    )
    has_lead = channel != "sales"
    to_mql = np.round(rng.lognormal(np.log(days_to_mql), 0.8))
    to_sql = np.round(rng.lognormal(np.log(5.0), 0.6, count))
    to_opportunity = rng.integers(0, 11, count)
    lead_created = np.where(has_lead, created - to_mql - to_sql - to_opportunity, NEVER)
    extras = {
        "lead_to_mql_days": to_mql.astype(np.int64),
        "mql_to_sql_days": to_sql.astype(np.int64),
    }
    campaign_row = np.full(count, -1, dtype=np.int64)
    paid = np.isin(channel, PAID_CHANNELS)
    campaign_row[paid] = pick_campaigns(
        campaigns,
        campaign_groups(campaigns),
        channel[paid],
        np.maximum(lead_created[paid], timeline.simulation_start_day),
        rng,
        timeline,
    )
    return Opportunities(
        kind=np.full(count, "new_business", dtype=object),
        channel=channel,
        created=created.astype(np.int64),
        amount_initial=amount,
        amount_final=_round_amount(amount * life["amount_factor"], 500.0),
        amount_change_day=life["amount_change_day"],
        is_won=is_won,
        close_day=life["close_day"],
        expected_close_initial=life["expected_close_initial"],
        slip_days=life["slip_days"],
        stage_days=life["stage_days"],
        account=np.full(count, -1, dtype=np.int64),
        owner=np.asarray(ACCOUNT_EXECUTIVES, dtype=object)[rng.integers(0, 8, count)],
        campaign_row=campaign_row,
        lead_created=lead_created.astype(np.int64),
        extras=extras,
    )


def campaign_groups(campaigns: pd.DataFrame) -> dict[tuple[str, int], np.ndarray]:
    """Campaign rows per (channel, quarter index): compute once, pass to :func:`pick_campaigns`."""
    return campaigns.groupby(["channel", "quarter_index"]).indices


def pick_campaigns(
    campaigns: pd.DataFrame,
    groups: dict[tuple[str, int], np.ndarray],
    channels: np.ndarray,
    days: np.ndarray,
    rng: np.random.Generator,
    timeline: Timeline,
) -> np.ndarray:
    """A campaign row per (channel, day): one of the channel's campaigns of that quarter that
    had started by that day, chosen in proportion to the campaigns' weights."""
    result = np.full(len(channels), -1, dtype=np.int64)
    if len(channels) == 0:
        return result
    quarters = timeline.quarter_index(days)
    keys = pd.DataFrame({"channel": channels, "quarter": quarters})
    all_weights = campaigns["weight"].to_numpy()
    all_starts = campaigns["start_day"].to_numpy()
    for (channel, quarter), positions in keys.groupby(["channel", "quarter"]).indices.items():
        rows = groups.get((channel, quarter))
        if rows is None:
            continue
        rows = rows[np.argsort(all_starts[rows], kind="stable")]
        cumulative = np.cumsum(all_weights[rows])
        started = np.searchsorted(all_starts[rows], days[positions], side="right")
        # Days before any campaign of the quarter started fall back to its first campaign.
        ceiling = cumulative[np.maximum(started, 1) - 1]
        draws = rng.random(len(positions)) * ceiling
        picked = np.searchsorted(cumulative, draws, side="right")
        result[positions] = rows[np.minimum(picked, np.maximum(started, 1) - 1)]
    return result
    quarters = timeline.quarter_index(days)
    keys = pd.DataFrame({"channel": channels, "quarter": quarters})
    for (channel, quarter), positions in keys.groupby(["channel", "quarter"]).indices.items():
        rows = groups.get((channel, quarter))
        if rows is None:
            continue
        weights = campaigns["weight"].to_numpy()[rows]
        cumulative = np.cumsum(weights)
        draws = rng.random(len(positions)) * cumulative[-1]
        result[positions] = rows[
            np.searchsorted(cumulative, draws, side="right").clip(0, len(rows) - 1)
        ]
    return result


# --------------------------------------------------------------------------------------------
# Customers: accounts, renewals, expansion, churn, ARR
# --------------------------------------------------------------------------------------------
@dataclass
class Customers:
    """Accounts, the opportunities the installed base creates, and ARR per account and month."""

    account_count: int
    segments: list[str]
    arr_rows: pd.DataFrame  # account, month_day, arr_usd
    base_opportunities: Opportunities
    arr_events: pd.DataFrame  # account, month_day, kind (new/reactivation/...), delta


def segment_of(arr: float) -> str:
    """Segment by first contract size."""
    if arr < SEGMENT_BOUNDS_USD[0]:
        return "SMB"
    if arr < SEGMENT_BOUNDS_USD[1]:
        return "Mid-Market"
    return "Enterprise"


def _month_starts(first: date, last: date) -> list[date]:
    months = [date(first.year, first.month, 1)]
    while months[-1] < date(last.year, last.month, 1):
        month = months[-1]
        months.append(date(month.year + (month.month == 12), month.month % 12 + 1, 1))
    return months


def simulate_customers(timeline: Timeline, deals: Opportunities, options: DemoOptions) -> Customers:
    """Walk the months: wins become customers; renewals, expansion and churn follow."""
    rng = rng_for(options.seed, "customers")
    months = _month_starts(timeline.simulation_start, timeline.simulation_end)
    month_days = np.array([to_day(month) for month in months])
    month_of_day = lambda day: int(np.searchsorted(month_days, day, side="right") - 1)  # noqa: E731
    initial = max(3, round(CUSTOMERS.initial_accounts * options.scale))
    capacity = initial + len(deals) + 1
    arr = np.zeros(capacity)
    anniversary = np.full(capacity, -1, dtype=np.int64)  # month index of next renewal
    ever_had_arr = np.zeros(capacity, dtype=bool)
    first_arr = np.zeros(capacity)
    churned_pool: list[int] = []
    pending_set: dict[int, list[tuple[int, float]]] = {}
    pending_add: dict[int, list[tuple[int, float]]] = {}

    initial_arr = _round_amount(
        _lognormal_with_mean(rng, np.full(initial, CUSTOMERS.initial_mean_arr_usd), 0.8), 120.0
    )
    arr[:initial] = initial_arr
    first_arr[:initial] = initial_arr
    ever_had_arr[:initial] = True
    anniversary[:initial] = rng.integers(0, 12, initial)
    account_count = initial

    base: dict[str, list] = {
        key: []
        for key in ("kind", "created", "amount", "is_won", "account", "close_day", "contract_month")
    }
    arr_accounts: list[np.ndarray] = []  # per month: live accounts and their ARR (numpy, compact)
    arr_values: list[np.ndarray] = []
    arr_months: list[np.ndarray] = []
    events: list[tuple[int, int, str, float]] = []
    deal_months = np.array([month_of_day(day) for day in deals.created])

    for month_index, month_day in enumerate(month_days):
        # 1. Contract changes effective this month.
        for account, value in pending_set.pop(month_index, []):
            before = arr[account]
            arr[account] = value
            if before == 0 and value > 0:
                events.append(
                    (
                        account,
                        month_index,
                        "reactivation" if ever_had_arr[account] else "new",
                        value,
                    )
                )
                ever_had_arr[account] = True
                if first_arr[account] == 0:
                    first_arr[account] = value
                anniversary[account] = month_index + 12
            elif before > 0 and value == 0:
                events.append((account, month_index, "churn", -before))
                churned_pool.append(account)
                anniversary[account] = -1
            elif value != before:
                events.append(
                    (
                        account,
                        month_index,
                        "expansion" if value > before else "contraction",
                        value - before,
                    )
                )
        for account, delta in pending_add.pop(month_index, []):
            if arr[account] > 0:
                arr[account] += delta
                events.append((account, month_index, "expansion", delta))
        # 2. ARR at the end of this month.
        live = np.flatnonzero(arr[:account_count] > 0)
        arr_accounts.append(live.astype(np.int32))
        arr_values.append(arr[live].copy())
        arr_months.append(np.full(live.size, month_index, dtype=np.int16))
        # 3. Renewals three months ahead: the renewal opportunity opens now.
        due = live[anniversary[live] == month_index + 3]
        flat_renew = live[(anniversary[live] <= month_index) & (anniversary[live] >= 0)]
        anniversary[flat_renew] += 12  # renewals due before history began renewed flat
        for account in due:
            renewal_month = month_index + 3
            won = rng.random() < CUSTOMERS.renewal_win_rate
            draw = rng.random()
            if not won:
                factor = 0.0
            elif draw < CUSTOMERS.contraction_share_of_renewals:
                factor = float(rng.uniform(0.6, 0.9))
            elif (
                draw < CUSTOMERS.contraction_share_of_renewals + CUSTOMERS.uplift_share_of_renewals
            ):
                factor = float(rng.uniform(1.03, 1.08))
            else:
                factor = 1.0
            renewed = (
                float(_round_amount(np.array([arr[account] * factor]), 120.0)[0]) if won else 0.0
            )
            created = int(month_day + rng.integers(0, 20))
            close = to_day(add_months(months[0], renewal_month)) - 1
            base["kind"].append("renewal")
            base["created"].append(created)
            base["amount"].append(renewed if won else float(arr[account]))
            base["is_won"].append(won)
            base["account"].append(int(account))
            base["close_day"].append(close)
            base["contract_month"].append(renewal_month)
            pending_set.setdefault(renewal_month, []).append((int(account), renewed))
            anniversary[account] = renewal_month + 12 if won else -1
        # 4. Expansion among live customers.
        expanding = live[rng.random(len(live)) < CUSTOMERS.expansion_probability_per_month]
        for account in expanding:
            created = int(month_day + rng.integers(0, 27))
            amount = float(
                _round_amount(np.array([arr[account] * rng.uniform(0.15, 0.45)]), 600.0)[
                    0
                ]  # multiples of 120: MRR in whole cents
            )
            won = rng.random() < CUSTOMERS.expansion_win_rate
            cycle = max(10, round(float(rng.lognormal(np.log(40.0), 0.4))))
            close = created + cycle
            base["kind"].append("expansion")
            base["created"].append(created)
            base["amount"].append(amount)
            base["is_won"].append(won)
            base["account"].append(int(account))
            base["close_day"].append(close)
            base["contract_month"].append(-1)
            if won:
                pending_add.setdefault(month_of_day(close) + 1, []).append((int(account), amount))
        # 5. New business created this month gets its account; wins start next month.
        for deal in np.flatnonzero(deal_months == month_index):
            reactivate = (
                churned_pool and rng.random() < CUSTOMERS.reactivation_share_of_new_business
            )
            if reactivate:
                account = churned_pool.pop(int(rng.integers(len(churned_pool))))
            else:
                account = account_count
                account_count += 1
            deals.account[deal] = account
            if deals.is_won[deal]:
                start_month = month_of_day(deals.close_day[deal]) + 1
                value = float(_round_amount(np.array([deals.amount_final[deal]]), 120.0)[0])
                pending_set.setdefault(start_month, []).append((int(account), value))
                if first_arr[account] == 0:
                    first_arr[account] = value

    segments = [segment_of(value if value > 0 else 10_000.0) for value in first_arr[:account_count]]
    frame = pd.DataFrame(
        {
            "account": np.concatenate(arr_accounts),
            "month_index": np.concatenate(arr_months),
            "arr_usd": np.concatenate(arr_values),
        }
    )
    frame["month_day"] = month_days[frame["month_index"].to_numpy()]
    event_frame = pd.DataFrame(events, columns=["account", "month_index", "kind", "delta_usd"])
    event_frame["month_day"] = month_days[event_frame["month_index"].to_numpy()]
    return Customers(
        account_count=account_count,
        segments=segments,
        arr_rows=frame,
        base_opportunities=_base_opportunities(base, timeline, rng),
        arr_events=event_frame,
    )


def _base_opportunities(
    base: dict[str, list], timeline: Timeline, rng: np.random.Generator
) -> Opportunities:
    """Renewal and expansion opportunities with stage histories."""
    created = np.array(base["created"], dtype=np.int64)
    count = len(created)
    close_day = np.array(base["close_day"], dtype=np.int64)
    is_won = np.array(base["is_won"], dtype=bool)
    kind = np.array(base["kind"], dtype=object)
    life = _lifecycle(rng, created, is_won, 40.0, 40.0, np.ones(count))
    # Renewals and expansions close on their own dates: rebuild stage days on that span.
    cycle = np.maximum(close_day - created, 7)
    close_day = created + cycle
    stage_days = life["stage_days"]
    for stage in range(1, 5):
        reached = stage_days[:, stage] < NEVER
        fraction = (life["stage_days"][reached, stage] - created[reached]) / np.maximum(
            life["close_day"][reached] - created[reached], 1
        )
        stage_days[reached, stage] = created[reached] + np.floor(fraction * cycle[reached]).astype(
            np.int64
        )
    renewal = kind == "renewal"
    optimistic = created + np.maximum(7, np.round(cycle * rng.uniform(0.5, 0.95, count))).astype(
        np.int64
    )
    expected = np.where(renewal, close_day, optimistic)
    amount = np.array(base["amount"], dtype=float)
    return Opportunities(
        kind=kind,
        channel=np.full(count, "customer", dtype=object),
        created=created,
        amount_initial=amount,
        amount_final=amount,
        amount_change_day=np.full(count, NEVER, dtype=np.int64),
        is_won=is_won,
        close_day=close_day,
        expected_close_initial=expected.astype(np.int64),
        slip_days=np.where(renewal, 14, life["slip_days"]).astype(np.int64),
        stage_days=stage_days,
        account=np.array(base["account"], dtype=np.int64),
        owner=np.asarray(ACCOUNT_EXECUTIVES, dtype=object)[rng.integers(0, 8, count)],
        campaign_row=np.full(count, -1, dtype=np.int64),
        lead_created=np.full(count, NEVER, dtype=np.int64),
        extras={},
    )


def combine(first: Opportunities, second: Opportunities) -> Opportunities:
    """All opportunities in one set, ordered by creation day."""
    merged = {}
    for name in (
        "kind",
        "channel",
        "created",
        "amount_initial",
        "amount_final",
        "amount_change_day",
        "is_won",
        "close_day",
        "expected_close_initial",
        "slip_days",
        "stage_days",
        "account",
        "owner",
        "campaign_row",
        "lead_created",
    ):
        merged[name] = np.concatenate([getattr(first, name), getattr(second, name)])
    order = np.argsort(merged["created"], kind="stable")
    extras = {}
    for name, values in first.extras.items():
        padded = np.concatenate([values, np.zeros(len(second), dtype=values.dtype)])
        extras[name] = padded[order]
    extras["new_business_index"] = np.concatenate(
        [np.arange(len(first)), np.full(len(second), -1)]
    )[order]
    return Opportunities(**{name: values[order] for name, values in merged.items()}, extras=extras)


# --------------------------------------------------------------------------------------------
# Opportunity snapshots
# --------------------------------------------------------------------------------------------
def snapshot_days(timeline: Timeline) -> list[int]:
    """Days of the weekly CRM exports: every Monday, plus the as-of date itself."""
    mondays = [
        int(day) for day in timeline.week_starts if timeline.start_day < day <= timeline.as_of_day
    ]
    if not mondays or mondays[-1] != timeline.as_of_day:
        mondays.append(timeline.as_of_day)
    return mondays


def opportunity_state(opportunities: Opportunities, rows: np.ndarray, day: int) -> pd.DataFrame:
    """State of opportunities ``rows`` at the end of ``day``, as a CRM export would show it."""
    created = opportunities.created[rows]
    closed = opportunities.close_day[rows] <= day
    won = opportunities.is_won[rows]
    stage_days = opportunities.stage_days[rows]
    stage_index = np.maximum((stage_days <= day).sum(axis=1) - 1, 0)
    stage = np.where(
        closed,
        np.where(won, CLOSED_WON, CLOSED_LOST),
        np.asarray(OPEN_STAGES, dtype=object)[stage_index],
    )
    probability = np.where(
        closed, np.where(won, 100.0, 0.0), np.asarray(STAGE_PROBABILITY)[stage_index]
    )
    category = np.where(
        closed,
        np.where(won, "Closed", "Omitted"),
        np.asarray(STAGE_FORECAST_CATEGORY, dtype=object)[stage_index],
    )
    expected = opportunities.expected_close_initial[rows]
    slip = opportunities.slip_days[rows]
    late = np.maximum(day - expected, 0)
    pushed = expected + slip * np.ceil(late / slip).astype(np.int64)
    close_date = np.where(closed, opportunities.close_day[rows], np.maximum(pushed, created))
    changed = opportunities.amount_change_day[rows] <= day
    amount = np.where(changed, opportunities.amount_final[rows], opportunities.amount_initial[rows])
    last_stage_day = np.where(stage_days <= day, stage_days, 0).max(axis=1)
    last_modified = np.maximum.reduce(
        [
            created,
            last_stage_day,
            np.where(changed, opportunities.amount_change_day[rows], 0),
            np.where(closed, opportunities.close_day[rows], 0),
            np.where(late > 0, expected + slip * np.floor(late / slip).astype(np.int64), 0),
        ]
    )
    return pd.DataFrame(
        {
            "row": rows,
            "stage": stage,
            "amount_usd": amount,
            "created_day": created,
            "close_day": close_date,
            "is_closed": closed,
            "is_won": closed & won,
            "probability_pct": probability,
            "forecast_category": category,
            "last_modified_day": np.minimum(last_modified, day),
        }
    )


def snapshot_rows(opportunities: Opportunities, day: int, previous_day: int) -> np.ndarray:
    """Opportunities an export on ``day`` lists: created by then, open or closed since the last."""
    return np.flatnonzero((opportunities.created <= day) & (opportunities.close_day > previous_day))


# --------------------------------------------------------------------------------------------
# Leads and touches
# --------------------------------------------------------------------------------------------
LEAD_RATES = {truth.channel: truth for truth in CHANNELS}
DIRECT = next(baseline for baseline in BASELINES if baseline.channel == "direct")


@dataclass
class LeadChunk:
    """Leads created in one fiscal quarter, with their touches."""

    leads: pd.DataFrame
    touches: pd.DataFrame


@dataclass
class LeadContext:
    """What lead generation needs from earlier stages."""

    timeline: Timeline
    options: DemoOptions
    pipeline: np.ndarray
    opportunities: Opportunities
    campaigns: pd.DataFrame
    campaign_groups: dict[tuple[str, int], np.ndarray]
    customers: Customers
    prospect_first: int
    prospect_count: int


def lead_chunks(context: LeadContext) -> Iterator[tuple[FiscalPeriod, LeadChunk]]:
    """Leads and touches, one month of lead creation at a time (bounded memory at any scale)."""
    timeline = context.timeline
    opportunities = context.opportunities
    months = timeline.calendar.periods_between(
        timeline.simulation_start, timeline.simulation_end, "month"
    )
    starts = np.array([to_day(month.start) for month in months])
    lead_month = np.where(
        opportunities.lead_created < NEVER,
        np.clip(
            np.searchsorted(
                starts, np.minimum(opportunities.lead_created, timeline.end_day), "right"
            )
            - 1,
            0,
            None,
        ),
        -1,
    )
    week_month = np.searchsorted(starts, timeline.week_starts, "right") - 1
    next_lead_number = 0
    next_touch_number = 0
    for month_index, month in enumerate(months):
        rng = rng_for(context.options.seed, f"leads-{month.start.isoformat()}")
        converting = np.flatnonzero(lead_month == month_index)
        frames = [_converting_leads(context, converting, rng)]
        for source_index, source in enumerate(SOURCES):
            if source == "sales" or month.start < timeline.history_start:
                continue
            weeks = np.flatnonzero(week_month == month_index)
            frames.append(_other_leads(context, source, source_index, weeks, rng))
        leads = pd.concat(frames, ignore_index=True)
        leads = leads.sort_values(
            ["created_at_day", "created_minute"], kind="stable", ignore_index=True
        )
        leads["lead_number"] = np.arange(next_lead_number, next_lead_number + len(leads))
        next_lead_number += len(leads)
        _finish_leads(leads, context, rng)
        touches = _touches(leads, context, rng)
        touches["touch_number"] = np.arange(next_touch_number, next_touch_number + len(touches))
        next_touch_number += len(touches)
        yield month, LeadChunk(leads=leads, touches=touches)


def _converting_leads(
    context: LeadContext, rows: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    opportunities = context.opportunities
    created = opportunities.lead_created[rows]
    to_mql = opportunities.extras["lead_to_mql_days"][rows]
    to_sql = opportunities.extras["mql_to_sql_days"][rows]
    mql = created + to_mql
    sql = mql + to_sql
    won = opportunities.is_won[rows]
    return pd.DataFrame(
        {
            "created_at_day": created,
            "created_minute": rng.integers(8 * 60, 18 * 60, len(rows)),
            "mql_day": mql,
            "sql_day": np.minimum(sql, opportunities.created[rows]),
            "opportunity_day": opportunities.created[rows],
            "customer_day": np.where(won, opportunities.close_day[rows], NEVER),
            "source_channel": opportunities.channel[rows],
            "campaign_row": opportunities.campaign_row[rows],
            "account": opportunities.account[rows],
            "opportunity_row": rows,
        }
    )


def _other_leads(
    context: LeadContext,
    source: str,
    source_index: int,
    weeks: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Leads that never become opportunities, in proportion to the channel's response."""
    if source == "direct":
        conversion, mql_rate, sql_rate, days_to_mql = DIRECT.lead_to_opportunity_rate, 0.5, 0.3, 2.0
    else:
        truth = LEAD_RATES[source]
        conversion, mql_rate = truth.lead_to_opportunity_rate, truth.mql_rate
        sql_rate, days_to_mql = truth.sql_rate_given_mql, truth.days_to_mql
    expected_leads = (
        context.pipeline[source_index, weeks] / MEAN_DEAL[source] * (1 / conversion - 1)
    )
    counts = rng.poisson(expected_leads)
    created = np.repeat(context.timeline.week_starts[weeks], counts) + rng.integers(
        0, 7, counts.sum()
    )
    count = len(created)
    is_mql = rng.random(count) < mql_rate
    is_sql = is_mql & (rng.random(count) < sql_rate)
    mql = np.where(
        is_mql, created + np.round(rng.lognormal(np.log(days_to_mql), 0.8, count)), NEVER
    )
    sql = np.where(is_sql, mql + np.round(rng.lognormal(np.log(5.0), 0.6, count)), NEVER)
    campaign_row = np.full(count, -1, dtype=np.int64)
    if source != "direct":
        campaign_row = pick_campaigns(
            context.campaigns,
            context.campaign_groups,
            np.full(count, source, dtype=object),
            np.maximum(created, context.timeline.simulation_start_day),
            rng,
            context.timeline,
        )
    return pd.DataFrame(
        {
            "created_at_day": created.astype(np.int64),
            "created_minute": rng.integers(7 * 60, 20 * 60, count),
            "mql_day": mql.astype(np.int64),
            "sql_day": sql.astype(np.int64),
            "opportunity_day": np.full(count, NEVER, dtype=np.int64),
            "customer_day": np.full(count, NEVER, dtype=np.int64),
            "source_channel": source,
            "campaign_row": campaign_row,
            "account": context.prospect_first + rng.integers(0, context.prospect_count, count),
            "opportunity_row": np.full(count, -1, dtype=np.int64),
        }
    )


def _finish_leads(leads: pd.DataFrame, context: LeadContext, rng: np.random.Generator) -> None:
    """Names, first outreach by Sales, and the status a CRM would show on the as-of date."""
    count = len(leads)
    first, last = names.person_names(rng, count)
    leads["first_name"] = first
    leads["last_name"] = last
    mql = leads["mql_day"].to_numpy()
    hours = rng.lognormal(np.log(16.0), 1.1, count)
    never_worked = (rng.random(count) < 0.06) & (leads["sql_day"].to_numpy() >= NEVER)
    safe_mql = np.where(mql < NEVER, mql, 0)
    worked_minutes = (safe_mql * 1440 + leads["created_minute"].to_numpy() + hours * 60).astype(
        np.int64
    )
    leads["first_worked_minute"] = np.where((mql < NEVER) & ~never_worked, worked_minutes, -1)
    as_of = context.timeline.as_of_day
    recent = (as_of - mql) < 30
    draw = rng.random(count)
    sql_reached = leads["sql_day"].to_numpy() <= as_of
    mql_reached = mql <= as_of
    status = np.where(
        leads["opportunity_day"].to_numpy() <= as_of,
        "Connected",
        np.where(
            sql_reached,
            np.where(recent, "In Progress", np.where(draw < 0.6, "Unqualified", "Recycled")),
            np.where(
                mql_reached,
                np.where(
                    leads["first_worked_minute"].to_numpy() < 0,
                    "New",
                    np.where(
                        recent,
                        "Attempted to Contact",
                        np.where(draw < 0.55, "Recycled", "Unqualified"),
                    ),
                ),
                "Open",
            ),
        ),
    )
    leads["lead_status"] = status


def _touches(leads: pd.DataFrame, context: LeadContext, rng: np.random.Generator) -> pd.DataFrame:
    """First touch at lead creation, then further campaign touches on the way to a deal."""
    timeline = context.timeline
    count = len(leads)
    created_minute = leads["created_at_day"].to_numpy() * 1440 + leads["created_minute"].to_numpy()
    channel = leads["source_channel"].to_numpy()
    first = pd.DataFrame(
        {
            "lead_position": np.arange(count),
            "minute": created_minute,
            "channel": channel,
            "campaign_row": leads["campaign_row"].to_numpy(),
        }
    )
    converting = leads["opportunity_row"].to_numpy() >= 0
    extra_counts = rng.poisson(np.where(converting, 2.0, 0.8))
    positions = np.repeat(np.arange(count), extra_counts)
    opportunity_day = np.where(converting, leads["opportunity_day"].to_numpy(), 0)
    end_minute = np.where(converting, opportunity_day * 1440 + 9 * 60, created_minute + 120 * 1440)
    span = np.maximum(end_minute[positions] - created_minute[positions], 60)
    minute = created_minute[positions] + (rng.random(len(positions)) * span).astype(np.int64)
    spend_share = np.array([truth.typical_weekly_spend_usd for truth in CHANNELS])
    extra_channel = np.asarray(PAID_CHANNELS, dtype=object)[
        rng.choice(len(PAID_CHANNELS), len(positions), p=spend_share / spend_share.sum())
    ]
    extra_campaign = pick_campaigns(
        context.campaigns,
        context.campaign_groups,
        extra_channel,
        np.clip(minute // 1440, timeline.simulation_start_day, timeline.end_day),
        rng,
        timeline,
    )
    extra = pd.DataFrame(
        {
            "lead_position": positions,
            "minute": minute,
            "channel": extra_channel,
            "campaign_row": extra_campaign,
        }
    )
    touches = pd.concat([first, extra], ignore_index=True)
    kind = rng.integers(0, 2, len(touches))
    touches["touch_type"] = [
        TOUCH_TYPES[source][index] for source, index in zip(touches["channel"], kind, strict=True)
    ]
    touches["is_customer_touch"] = False
    return touches.sort_values(["minute", "lead_position"], kind="stable", ignore_index=True)


def customer_touches(context: LeadContext) -> pd.DataFrame:
    """Customers' contacts engaging with campaigns before expansion and renewal deals."""
    rng = rng_for(context.options.seed, "customer-touches")
    opportunities = context.opportunities
    rows = np.flatnonzero(
        (opportunities.kind != "new_business") & (rng.random(len(opportunities)) < 0.5)
    )
    counts = rng.integers(1, 4, len(rows))
    positions = np.repeat(rows, counts)
    minute = (
        opportunities.created[positions] - rng.integers(1, 90, len(positions))
    ) * 1440 + rng.integers(8 * 60, 18 * 60, len(positions))
    channel = np.asarray(("webinars", "events", "content_seo"), dtype=object)[
        rng.integers(0, 3, len(positions))
    ]
    campaign_row = pick_campaigns(
        context.campaigns,
        context.campaign_groups,
        channel,
        np.clip(minute // 1440, context.timeline.simulation_start_day, context.timeline.end_day),
        rng,
        context.timeline,
    )
    first, last = names.person_names(rng, len(positions))
    kind = rng.integers(0, 2, len(positions))
    return pd.DataFrame(
        {
            "opportunity_row": positions,
            "account": opportunities.account[positions],
            "minute": minute,
            "channel": channel,
            "campaign_row": campaign_row,
            "touch_type": [
                TOUCH_TYPES[source][index] for source, index in zip(channel, kind, strict=True)
            ],
            "first_name": first,
            "last_name": last,
        }
    ).sort_values(["minute", "opportunity_row"], kind="stable", ignore_index=True)
