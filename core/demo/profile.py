"""The demo company's parameters: the truth the generator draws from.

Every paid channel has a known response curve (lagged geometric adstock + Hill saturation) that
turns weekly spend into expected new-business pipeline created. Volumes are quoted at scale 1;
:func:`scaled` multiplies spend, pipeline, half-saturation and the customer base by the scale, so
the curves keep their shape at every scale.

The true response of channel ``c`` in week ``t``::

    a(t) = x(t - lag) + theta * a(t - 1)
    expected_pipeline(t) = season(t) * beta * a(t)^k / (a(t)^k + h^k)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType

COMPANY_NAME = "Lumora Analytics"
FISCAL_YEAR_START_MONTH = 2
CURRENCY = "USD"


@dataclass(frozen=True)
class ChannelTruth:
    """A paid channel's true behaviour at scale 1.

    ``half_saturation_ratio`` places the Hill half-saturation point relative to the adstock that
    typical spend builds up: below 1 the channel is past saturation, well above 1 it has room
    to grow.
    """

    channel: str
    typical_weekly_spend_usd: float
    theta: float
    lag_weeks: int
    hill_k: float
    half_saturation_ratio: float
    typical_weekly_pipeline_usd: float
    mean_deal_usd: float
    win_rate: float
    lead_to_opportunity_rate: float
    mql_rate: float
    sql_rate_given_mql: float
    days_to_mql: float
    spend_noise: float
    seasonality_amplitude: float
    seasonality_peak_week: int

    @property
    def steady_adstock(self) -> float:
        """Adstock that constant typical spend converges to: x / (1 - theta)."""
        return self.typical_weekly_spend_usd / (1.0 - self.theta)

    @property
    def half_saturation_usd(self) -> float:
        """Hill half-saturation point h, in adstocked dollars per week."""
        return self.half_saturation_ratio * self.steady_adstock

    @property
    def beta_usd(self) -> float:
        """Hill ceiling beta: weekly pipeline the channel approaches with unlimited spend."""
        ratio = self.steady_adstock / self.half_saturation_usd
        saturation = ratio**self.hill_k / (ratio**self.hill_k + 1.0)
        return self.typical_weekly_pipeline_usd / saturation


CHANNELS: tuple[ChannelTruth, ...] = (
    # Past saturation: half-saturation well below typical adstock.
    ChannelTruth("paid_search", 14_000, 0.25, 0, 1.4, 0.35, 75_000, 24_000, 0.24, 0.065,
                 0.30, 0.30, 6, 0.15, 0.08, 10),
    ChannelTruth("paid_social", 7_000, 0.30, 0, 1.1, 1.0, 20_000, 18_000, 0.18, 0.03,
                 0.22, 0.25, 10, 0.25, 0.10, 40),
    # Room to grow: half-saturation far above typical adstock.
    ChannelTruth("linkedin", 11_000, 0.35, 1, 1.2, 3.0, 55_000, 38_000, 0.25, 0.055,
                 0.30, 0.32, 8, 0.15, 0.06, 12),
    ChannelTruth("events", 9_000, 0.60, 2, 1.5, 0.9, 60_000, 45_000, 0.30, 0.04,
                 0.25, 0.35, 3, 0.30, 0.15, 36),
    ChannelTruth("webinars", 3_500, 0.45, 1, 1.3, 1.2, 28_000, 30_000, 0.27, 0.07,
                 0.40, 0.32, 4, 0.20, 0.10, 8),
    ChannelTruth("content_seo", 6_000, 0.80, 3, 1.0, 1.5, 35_000, 26_000, 0.26, 0.055,
                 0.28, 0.30, 25, 0.10, 0.05, 6),
    ChannelTruth("partners", 5_000, 0.50, 2, 1.3, 0.8, 40_000, 52_000, 0.35, 0.15,
                 0.55, 0.45, 5, 0.35, 0.08, 30),
    ChannelTruth("outbound", 8_000, 0.30, 0, 1.6, 0.7, 45_000, 34_000, 0.20, 0.11,
                 0.45, 0.40, 2, 0.10, 0.07, 4),
)  # fmt: skip


@dataclass(frozen=True)
class BaselineTruth:
    """Pipeline no paid channel creates: inbound direct/organic, and sales' own prospecting."""

    channel: str
    weekly_pipeline_usd: float
    annual_growth: float
    mean_deal_usd: float
    win_rate: float
    lead_to_opportunity_rate: float  # 0 means the channel has no leads (sales prospecting)


BASELINES: tuple[BaselineTruth, ...] = (
    BaselineTruth("direct", 70_000, 0.15, 22_000, 0.30, 0.13),
    BaselineTruth("sales", 140_000, 0.10, 40_000, 0.22, 0.0),
)


@dataclass(frozen=True)
class CustomerTruth:
    """The installed base: renewals, expansion and churn."""

    initial_accounts: int = 300
    initial_mean_arr_usd: float = 45_000
    renewal_win_rate: float = 0.90
    contraction_share_of_renewals: float = 0.12
    uplift_share_of_renewals: float = 0.20
    expansion_probability_per_month: float = 0.025
    expansion_win_rate: float = 0.55
    reactivation_share_of_new_business: float = 0.05


CUSTOMERS = CustomerTruth()

MARKETING_BUDGET_ANNUAL_GROWTH = 0.12

# Designed spend changes (channel, fiscal quarter index from the start of history, multiplier)
# so that response curves are identifiable: cuts, pauses and scale-up tests.
SPEND_EXPERIMENTS: tuple[tuple[str, int, float], ...] = (
    ("paid_search", 6, 0.6),
    ("paid_search", 12, 1.3),
    ("paid_social", 5, 0.15),
    ("paid_social", 11, 1.8),
    ("linkedin", 9, 1.7),
    ("linkedin", 12, 1.4),
    ("events", 10, 0.5),
    ("webinars", 7, 1.6),
    ("content_seo", 8, 1.3),
    ("partners", 4, 0.5),
    ("partners", 13, 1.5),
    ("outbound", 10, 0.5),
)

PEOPLE = MappingProxyType(
    {
        "ceo": "Alex Morgan",
        "cfo": "Jordan Patel",
        "cmo": "Dana Whitfield",
        "vp_sales": "Chris Okafor",
        "vp_demand": "Marcus Lee",
        "revops": "Priya Raman",
    }
)

ACCOUNT_EXECUTIVES: tuple[str, ...] = (
    "Sam Rivera",
    "Taylor Brooks",
    "Jamie Chen",
    "Morgan Ellis",
    "Casey Nguyen",
    "Riley Shah",
    "Avery Johansson",
    "Quinn Adeyemi",
)


def scaled(channel: ChannelTruth, scale: float) -> ChannelTruth:
    """The channel at ``scale``: spend and pipeline multiplied, curve shape unchanged."""
    return replace(
        channel,
        typical_weekly_spend_usd=channel.typical_weekly_spend_usd * scale,
        typical_weekly_pipeline_usd=channel.typical_weekly_pipeline_usd * scale,
    )
