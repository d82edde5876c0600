"""Campaigns: who gets credit for pipeline, how each campaign and channel scores, what works.

Pure functions over frames the store prepares (it matches touches to opportunities by account
and the lookback window; this module only does the arithmetic of ``../shared/DOMAIN.md``,
"Attribution models"):

- :func:`attribute`: splits each opportunity's pipeline and bookings over the campaigns that
  touched its account before it was created, under one of :data:`ATTRIBUTION_MODELS`; an
  opportunity no campaign touched is credited to :data:`NO_TOUCH`, so attributed totals always
  equal the CRM's (:func:`reconciles` checks it);
- :func:`wilson_interval`: the Wilson score interval of a conversion or win rate;
- :func:`scorecard`: cost per MQL and per opportunity, CAC, return on spend, payback, and
  conversion and win rates with their intervals, per campaign or channel, with the groups that
  have too little data to rank flagged and the reason in plain English;
- :func:`with_trend`: the same metrics for a prior period, and the relative change;
- :func:`working_and_not`: the best and the worst groups by a metric, never the same group in
  both lists and never a group with too little data.

A frame marks a ratio with nothing to divide by as NaN (never inf); a single proportion with no
trials is ``None``.

Models
------
Touches of an opportunity are ordered by ``touched_at`` then ``touch_id``; with n touches:

==============  =================================================================================
``first_touch``  100% to the first touch
``last_touch``   100% to the last touch (the one nearest the opportunity's creation)
``linear``       1/n to each touch
``u_shaped``     40% first, 40% lead-creation touch, 20% split over the rest
``w_shaped``     30% first, 30% lead-creation touch, 30% last (opportunity creation), 10% rest
``time_decay``   2^(-days before creation / half-life), normalised to sum to 1
==============  =================================================================================

The lead-creation touch is the last touch at or before the lead's creation (the last touch when
the lead's creation is unknown or no touch precedes it). Positions that coincide add their
weights (a first touch that also created the lead takes 80% under ``u_shaped``); when no touch
is left for "the rest", its share goes to the anchor positions in proportion to their weights,
so a single touch always takes 100% and two distinct ones 50/50 under ``u_shaped``.

Examples
--------
>>> opportunities = pd.DataFrame({
...     "opportunity_id": ["o1", "o2"],
...     "created_at": pd.to_datetime(["2026-11-20 12:00", "2026-11-21 09:00"]),
...     "lead_created_at": pd.to_datetime(["2026-11-05 10:00", None]),
...     "amount_usd": [10_000.0, 4_000.0], "is_won": [True, False],
...     "won_usd": [10_000.0, 0.0]})
>>> touches = pd.DataFrame({
...     "opportunity_id": ["o1", "o1", "o1"], "touch_id": ["t1", "t2", "t3"],
...     "touched_at": pd.to_datetime(["2026-11-01", "2026-11-05", "2026-11-19"]),
...     "campaign_id": ["webinar", "ebook", "webinar"],
...     "channel": ["events", "content", "events"]})
>>> credits = attribute(opportunities, touches, "u_shaped")
>>> credits[["opportunity_id", "campaign_id", "credit"]].round(4).to_numpy().tolist()
[['o1', 'ebook', 0.4], ['o1', 'webinar', 0.6], ['o2', '(no campaign touch)', 1.0]]
>>> credits["pipeline_usd"].round(2).tolist()
[4000.0, 6000.0, 4000.0]
>>> reconciles(credits, opportunities)
True
>>> [round(bound, 4) for bound in wilson_interval(81, 263)]
[0.2553, 0.3662]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from statistics import NormalDist

import numpy as np
import pandas as pd

from core.formatting import DEFAULT_CURRENCY, format_money_exact, plural

__all__ = [
    "ATTRIBUTION_MODELS",
    "CREDIT_COLUMNS",
    "NO_TOUCH",
    "OPPORTUNITY_COLUMNS",
    "SCORECARD_INPUT_COLUMNS",
    "TOUCH_COLUMNS",
    "UNKNOWN_CAMPAIGN",
    "UNKNOWN_CHANNEL",
    "active",
    "attribute",
    "campaign_rows",
    "channel_rows",
    "model_rankings",
    "reconciles",
    "scorecard",
    "wilson_interval",
    "with_trend",
    "working_and_not",
]

ATTRIBUTION_MODELS: tuple[str, ...] = (
    "first_touch",
    "last_touch",
    "linear",
    "u_shaped",
    "w_shaped",
    "time_decay",
)
NO_TOUCH = "(no campaign touch)"  # campaign and channel of an opportunity nothing touched
UNKNOWN_CAMPAIGN = "(no campaign id)"  # a touch that names no campaign
UNKNOWN_CHANNEL = "(no channel)"  # a touch that names no channel
OPPORTUNITY_COLUMNS: tuple[str, ...] = (
    "opportunity_id",
    "created_at",
    "lead_created_at",
    "amount_usd",
    "won_usd",
)
TOUCH_COLUMNS: tuple[str, ...] = (
    "opportunity_id",
    "touch_id",
    "touched_at",
    "campaign_id",
    "channel",
)
CREDIT_COLUMNS: tuple[str, ...] = (
    "opportunity_id",
    "campaign_id",
    "channel",
    "credit",
    "pipeline_usd",
    "bookings_usd",
)
SCORECARD_COUNT_COLUMNS: tuple[str, ...] = (
    "touches",
    "leads",
    "mqls",
    "sqls",
    "mqls_to_sql",
    "opportunities",
    "won",
    "closed",
    "new_customers",
)
SCORECARD_MONEY_COLUMNS: tuple[str, ...] = (
    "spend_usd",
    "pipeline_usd",
    "bookings_usd",
    "new_arr_usd",
)
SCORECARD_INPUT_COLUMNS: tuple[str, ...] = (
    "name",
    *SCORECARD_MONEY_COLUMNS,
    *SCORECARD_COUNT_COLUMNS,
)
_NANOSECONDS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class _PositionWeights:
    """A position-based model: the weights of the anchor positions and the share of the rest."""

    first: float
    lead_creation: float
    last: float
    rest: float


_POSITION_MODELS = {
    "first_touch": _PositionWeights(first=1.0, lead_creation=0.0, last=0.0, rest=0.0),
    "last_touch": _PositionWeights(first=0.0, lead_creation=0.0, last=1.0, rest=0.0),
    "linear": _PositionWeights(first=0.0, lead_creation=0.0, last=0.0, rest=1.0),
    "u_shaped": _PositionWeights(first=0.4, lead_creation=0.4, last=0.0, rest=0.2),
    "w_shaped": _PositionWeights(first=0.3, lead_creation=0.3, last=0.3, rest=0.1),
}


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------
def _check_columns(frame: pd.DataFrame, required: Sequence[str], what: str) -> None:
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} need columns {', '.join(required)}; missing {', '.join(missing)}")


def _check_complete(frame: pd.DataFrame, columns: Sequence[str], what: str, hint: str) -> None:
    empty = [column for column in columns if frame[column].isna().any()]
    if empty:
        raise ValueError(f"{what}: some rows have no {', '.join(empty)}; {hint}")


def _timestamps(values: pd.Series, name: str) -> pd.Series:
    """Values as timezone-naive timestamps (timezone-aware ones in UTC)."""
    try:
        stamps = pd.to_datetime(values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must hold dates or timestamps: {error}") from error
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps


def _is_day(stamps: pd.Series) -> np.ndarray:
    """True where a value is a day rather than an instant: a date, read as exactly midnight."""
    return (stamps == stamps.dt.normalize()).to_numpy(dtype=bool)


# --------------------------------------------------------------------------------------------
# Attribution
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Deals:
    """Opportunities sorted by id (a deal's code is its position) with what attribution needs."""

    ids: pd.Index
    creation: np.ndarray  # nanoseconds; a creation date stands for the end of that day
    is_day: np.ndarray
    lead_created: np.ndarray  # nanoseconds; meaningful where ``lead_known``
    lead_known: np.ndarray
    amount_usd: np.ndarray
    won_usd: np.ndarray


@dataclass(frozen=True)
class _Touches:
    """Touches in attribution order (by deal, time, touch id), as codes into sorted values."""

    deal: np.ndarray
    touched_at: np.ndarray  # nanoseconds
    campaign: np.ndarray
    channel: np.ndarray
    campaigns: pd.Index
    channels: pd.Index


def _nanoseconds(stamps: pd.Series) -> np.ndarray:
    return stamps.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _deals(opportunities: pd.DataFrame) -> _Deals:
    _check_columns(opportunities, OPPORTUNITY_COLUMNS, "opportunities")
    _check_complete(
        opportunities,
        ("opportunity_id", "created_at", "amount_usd", "won_usd"),
        "opportunities",
        "every opportunity needs an id, a creation date and amounts (0 when not won)",
    )
    repeated = opportunities["opportunity_id"].duplicated()
    if repeated.any():
        first = opportunities.loc[repeated, "opportunity_id"].iloc[0]
        raise ValueError(f"opportunities need one row per opportunity; {first!r} repeats")
    order = np.argsort(opportunities["opportunity_id"].to_numpy(), kind="stable")
    deals = opportunities.iloc[order]
    created = _timestamps(deals["created_at"], "created_at")
    is_day = _is_day(created)
    # A creation date stands for the end of that day: the day's touches came before it.
    creation = _nanoseconds(created) + np.where(is_day, _NANOSECONDS_PER_DAY, 0)
    lead_created = _timestamps(deals["lead_created_at"], "lead_created_at")
    return _Deals(
        ids=pd.Index(deals["opportunity_id"]),
        creation=creation,
        is_day=is_day,
        lead_created=_nanoseconds(lead_created.fillna(pd.Timestamp(0))),
        lead_known=lead_created.notna().to_numpy(),
        amount_usd=deals["amount_usd"].to_numpy(dtype=float),
        won_usd=deals["won_usd"].to_numpy(dtype=float),
    )


def _sorted_codes(values: pd.Series, missing: str) -> tuple[np.ndarray, pd.Index]:
    """Text values as codes into their sorted distinct values, ``missing`` for missing ones."""
    if not pd.api.types.is_string_dtype(values):
        values = values.astype(str).where(values.notna())
    codes, uniques = pd.factorize(values.fillna(missing), sort=True)
    return codes, pd.Index(uniques)


def _matched_touches(touches: pd.DataFrame, deals: _Deals) -> _Touches:
    """Touches of known opportunities up to their creation, in attribution order, one per id."""
    _check_columns(touches, TOUCH_COLUMNS, "touches")
    _check_complete(
        touches,
        ("opportunity_id", "touch_id", "touched_at"),
        "touches",
        "every touch needs the opportunity it was matched to, an id and a time",
    )
    deal = deals.ids.get_indexer(touches["opportunity_id"])
    touched_at = _nanoseconds(_timestamps(touches["touched_at"], "touched_at"))
    known = np.flatnonzero(deal >= 0)
    creation, touched = deals.creation[deal[known]], touched_at[known]
    # A touch at the creation instant counts; on a creation day, any touch before its end.
    before = np.where(deals.is_day[deal[known]], touched < creation, touched <= creation)
    keep = known[before]
    # Codes of sorted values: ordering by codes is ordering by the values, whatever the rows'
    # order in the input, so the result never depends on it.
    touch = pd.factorize(touches["touch_id"], sort=True)[0][keep]
    campaign, campaigns = _sorted_codes(touches["campaign_id"], UNKNOWN_CAMPAIGN)
    channel, channels = _sorted_codes(touches["channel"], UNKNOWN_CHANNEL)
    campaign, channel = campaign[keep], channel[keep]
    deal, touched_at = deal[keep], touched_at[keep]
    order = np.lexsort((channel, campaign, touch, touched_at, deal))
    # The same touch matched twice (by e-mail and by account, say) counts once: its first.
    pair = deal[order].astype(np.int64) * (int(touch.max(initial=0)) + 1) + touch[order]
    _, first = np.unique(pair, return_index=True)
    order = order[np.sort(first)]
    return _Touches(
        deal=deal[order],
        touched_at=touched_at[order],
        campaign=campaign[order],
        channel=channel[order],
        campaigns=campaigns,
        channels=channels,
    )


def _touch_weights(
    touches: _Touches, deals: _Deals, model: str, half_life_days: float
) -> np.ndarray:
    """Each touch's share of its opportunity (an opportunity's touches are contiguous)."""
    deal = touches.deal
    rows = len(deal)
    starts = np.flatnonzero(np.r_[True, deal[1:] != deal[:-1]]) if rows else np.array([], int)
    group = np.cumsum(np.r_[False, deal[1:] != deal[:-1]]) if rows else np.array([], int)
    sizes = np.diff(np.r_[starts, rows])
    count = sizes[group]
    position = np.arange(rows) - starts[group]

    if model == "time_decay":
        age_days = (deals.creation[deal] - touches.touched_at) / _NANOSECONDS_PER_DAY
        # Ages relative to the newest touch: the same shares, and no weight underflows to zero.
        newest = np.minimum.reduceat(age_days, starts)[group]
        weights = np.exp2(-(age_days - newest) / half_life_days)
    else:
        shape = _POSITION_MODELS[model]
        before_lead = deals.lead_known[deal] & (touches.touched_at <= deals.lead_created[deal])
        last_before_lead = np.maximum.reduceat(np.where(before_lead, position, -1), starts)
        lead_position = np.where(last_before_lead >= 0, last_before_lead, sizes - 1)[group]
        anchors = (
            (position == 0, shape.first),
            (position == lead_position, shape.lead_creation),
            (position == count - 1, shape.last),
        )
        weights = np.zeros(rows)
        is_anchor = np.zeros(rows, dtype=bool)
        for at_anchor, weight in anchors:
            if weight > 0:
                weights += np.where(at_anchor, weight, 0.0)
                is_anchor |= at_anchor
        rest_count = count - np.add.reduceat(is_anchor.astype(int), starts)[group]
        weights += np.where(is_anchor, 0.0, shape.rest / np.maximum(rest_count, 1))
    # With no touch left for the rest, its share goes to the anchors in proportion.
    return weights / np.add.reduceat(weights, starts)[group]


def attribute(
    opportunities: pd.DataFrame,
    touches: pd.DataFrame,
    model: str,
    half_life_days: float = 7.0,
) -> pd.DataFrame:
    """Each opportunity's pipeline and bookings, split over the campaigns that touched it.

    Parameters
    ----------
    opportunities
        One row per opportunity: ``opportunity_id``, ``created_at`` (a timestamp; a date, or a
        timestamp at exactly midnight, stands for the end of that day, so the day's touches
        count), ``lead_created_at`` (when the account's lead was created; NaT when unknown),
        ``amount_usd`` and ``won_usd`` (the amount when won, else 0). Other columns, such as
        ``is_won``, are ignored.
    touches
        Touches already matched to opportunities: ``opportunity_id``, ``touch_id``,
        ``touched_at``, ``campaign_id``, ``channel``. Touches after the opportunity's creation,
        or of an opportunity not in ``opportunities``, are dropped; a touch listed twice for
        the same opportunity counts once. A missing campaign or channel reads as
        :data:`UNKNOWN_CAMPAIGN` / :data:`UNKNOWN_CHANNEL`.
    model
        One of :data:`ATTRIBUTION_MODELS` (see the module's docstring).
    half_life_days
        For ``time_decay``: the days over which a touch's credit halves.

    Returns
    -------
    pandas.DataFrame
        :data:`CREDIT_COLUMNS`, one row per opportunity and credited campaign (and channel,
        should a campaign's touches name two), sorted by opportunity, campaign and channel:
        ``credit`` in (0, 1], summing to 1 per opportunity, ``pipeline_usd`` = credit x
        amount, ``bookings_usd`` = credit x won amount. An opportunity without touches has one
        row with campaign and channel :data:`NO_TOUCH` and credit 1. Campaign ids and channels
        are text. The inputs are not modified.

    Examples
    --------
    Touches 0 and 7 days before creation with a 7-day half-life weigh 1 and 1/2:

    >>> opportunities = pd.DataFrame({"opportunity_id": ["o1"],
    ...     "created_at": [pd.Timestamp("2026-11-20 15:00")], "lead_created_at": [pd.NaT],
    ...     "amount_usd": [9_000.0], "won_usd": [0.0]})
    >>> touches = pd.DataFrame({"opportunity_id": ["o1", "o1"], "touch_id": ["t1", "t2"],
    ...     "touched_at": pd.to_datetime(["2026-11-13 15:00", "2026-11-20 15:00"]),
    ...     "campaign_id": ["ebook", "webinar"], "channel": ["content", "events"]})
    >>> attribute(opportunities, touches, "time_decay")["pipeline_usd"].tolist()
    [3000.0, 6000.0]
    >>> attribute(opportunities, touches, "w_shaped")["credit"].round(4).tolist()
    [0.3333, 0.6667]
    """
    if model not in ATTRIBUTION_MODELS:
        raise ValueError(
            f"unknown attribution model {model!r}; expected one of {', '.join(ATTRIBUTION_MODELS)}"
        )
    if not (isinstance(half_life_days, Real) and half_life_days > 0):
        raise ValueError(f"half_life_days must be more than 0 days, got {half_life_days}")
    deals = _deals(opportunities)
    matched = _matched_touches(touches, deals)
    credit = _touch_weights(matched, deals, model, float(half_life_days))

    # Merge touches of the same campaign (and channel): one key per row, in sorted order.
    n_campaigns, n_channels = len(matched.campaigns) or 1, len(matched.channels) or 1
    key = (matched.deal.astype(np.int64) * n_campaigns + matched.campaign) * n_channels
    key += matched.channel
    keys, inverse = np.unique(key[credit > 0], return_inverse=True)
    # A campaign holding all of an opportunity may sum past 1 by a rounding error: it is 1.
    credited = np.minimum(
        np.bincount(inverse, weights=credit[credit > 0], minlength=len(keys)), 1.0
    )
    deal = keys // (n_campaigns * n_channels)
    campaign = matched.campaigns.take((keys // n_channels) % n_campaigns).to_numpy(dtype=object)
    channel = matched.channels.take(keys % n_channels).to_numpy(dtype=object)

    untouched = np.flatnonzero(np.bincount(deal, minlength=len(deals.ids)) == 0)
    deal = np.concatenate((deal, untouched))
    order = np.argsort(deal, kind="stable")  # credited rows are in campaign order already
    deal = deal[order]
    credited = np.concatenate((credited, np.ones(len(untouched))))[order]
    no_touch = np.full(len(untouched), NO_TOUCH, dtype=object)
    return pd.DataFrame(
        {
            "opportunity_id": deals.ids.take(deal),
            "campaign_id": pd.array(np.concatenate((campaign, no_touch))[order], dtype=str),
            "channel": pd.array(np.concatenate((channel, no_touch))[order], dtype=str),
            "credit": credited,
            "pipeline_usd": credited * deals.amount_usd[deal],
            "bookings_usd": credited * deals.won_usd[deal],
        }
    )


def reconciles(credits: pd.DataFrame, opportunities: pd.DataFrame, tolerance: float = 1e-6) -> bool:
    """True when the credits cover exactly these opportunities, sum to 1 for each, and the
    attributed pipeline and bookings equal the opportunities' totals.

    Totals are compared with a relative tolerance (and the same absolute one near zero).

    >>> opportunities = pd.DataFrame({"opportunity_id": ["o1"], "amount_usd": [100.0],
    ...     "won_usd": [0.0]})
    >>> credits = pd.DataFrame({"opportunity_id": ["o1", "o1"], "credit": [0.5, 0.5],
    ...     "pipeline_usd": [50.0, 50.0], "bookings_usd": [0.0, 0.0]})
    >>> reconciles(credits, opportunities), reconciles(credits.iloc[:1], opportunities)
    (True, False)
    """
    _check_columns(credits, ("opportunity_id", "credit", "pipeline_usd", "bookings_usd"), "credits")
    _check_columns(opportunities, ("opportunity_id", "amount_usd", "won_usd"), "opportunities")
    if tolerance < 0:
        raise ValueError(f"tolerance must not be negative, got {tolerance}")
    per_opportunity = credits.groupby("opportunity_id", sort=False)["credit"].sum()
    if set(per_opportunity.index) != set(opportunities["opportunity_id"]):
        return False
    if not np.all(np.abs(per_opportunity.to_numpy() - 1.0) <= tolerance):
        return False
    return all(
        math.isclose(
            float(credits[credited].sum()),
            float(opportunities[total].sum()),
            rel_tol=tolerance,
            abs_tol=tolerance,
        )
        for credited, total in (("pipeline_usd", "amount_usd"), ("bookings_usd", "won_usd"))
    )


# --------------------------------------------------------------------------------------------
# Rates and their uncertainty
# --------------------------------------------------------------------------------------------
def _whole_count(value: float, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Real) or not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return int(value)


def wilson_interval(
    successes: int, trials: int, confidence: float = 0.95
) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion ``successes / trials``; ``None`` for no trials.

    Unlike ``p ± z·sqrt(p(1-p)/n)`` it stays within [0, 1] and is honest for small samples and
    for rates near 0 or 1 (0 of 10 is not "0%, certainly").

    Parameters
    ----------
    successes, trials
        Whole, non-negative counts, ``successes <= trials``.
    confidence
        The interval's coverage, strictly between 0 and 1.

    Examples
    --------
    >>> [round(bound, 4) for bound in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    >>> low, high = wilson_interval(0, 10)
    >>> low, round(high, 4)
    (0.0, 0.2775)
    >>> wilson_interval(0, 0) is None
    True
    """
    successes = _whole_count(successes, "successes")
    trials = _whole_count(trials, "trials")
    if successes > trials:
        raise ValueError(f"successes ({successes}) cannot exceed trials ({trials})")
    if not (isinstance(confidence, Real) and 0 < confidence < 1):
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
    if trials == 0:
        return None
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    share = successes / trials
    scale = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / scale
    half_width = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials**2)) / scale
    low = 0.0 if successes == 0 else max(0.0, min(share, centre - half_width))
    high = 1.0 if successes == trials else min(1.0, max(share, centre + half_width))
    return low, high


# --------------------------------------------------------------------------------------------
# Scorecard
# --------------------------------------------------------------------------------------------
def _divide(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator``, NaN where the denominator is not positive (never inf)."""
    defined = denominator > 0
    return (numerator / denominator.where(defined, 1.0)).where(defined, np.nan).astype(float)


def _bounds(successes: pd.Series, trials: pd.Series) -> tuple[list[float], list[float]]:
    intervals = [
        wilson_interval(int(success), int(trial)) or (math.nan, math.nan)
        for success, trial in zip(successes, trials, strict=True)
    ]
    return [low for low, _ in intervals], [high for _, high in intervals]


def _evidence(
    opportunities: float, spend: float, min_opportunities: int, min_spend: float, currency: str
) -> str:
    reasons = []
    if opportunities < min_opportunities:
        count = plural(int(opportunities), "opportunity", "opportunities")
        reasons.append(f"{count}, fewer than {min_opportunities:,} needed to rank")
    if spend < min_spend:
        reasons.append(
            f"spend {format_money_exact(math.floor(spend), currency)}, under "
            f"{format_money_exact(min_spend, currency)}"
        )
    return "; ".join(reasons)


def scorecard(
    rows: pd.DataFrame,
    min_opportunities: int = 5,
    min_spend_usd: float = 1000.0,
    gross_margin: float = 0.8,
    currency: str = DEFAULT_CURRENCY,
) -> pd.DataFrame:
    """Cost, return and conversion per campaign or channel, with thin evidence flagged.

    Parameters
    ----------
    rows
        One row per group: ``name`` and the raw totals of :data:`SCORECARD_INPUT_COLUMNS`
        (``won`` and ``closed`` count deals; ``sqls`` are the SQLs of the window, as the
        registry counts them, and ``mqls_to_sql`` the window's MQLs that have become SQLs,
        the cohort the conversion rate is read on). Other columns are carried through
        untouched.
    min_opportunities, min_spend_usd
        A group with fewer opportunities or less spend has too little data to rank.
    gross_margin
        The share of new ARR that pays back acquisition, for ``payback_months``.
    currency
        The store's reporting currency (the ``*_usd`` columns hold it), for the evidence text.

    Returns
    -------
    pandas.DataFrame
        The rows in their order, with ``cost_per_mql``, ``cost_per_opportunity``, ``cac``
        (spend per new customer), ``pipeline_roi`` and ``bookings_roi`` (per dollar spent),
        ``payback_months`` (12 x spend / (new ARR x gross margin)), ``mql_to_sql`` and
        ``win_rate`` (won / closed) each with ``_low`` and ``_high`` Wilson 95% bounds; a ratio
        is NaN when its denominator is 0, and a cost ratio (cost per MQL or opportunity, CAC,
        payback) when no spend is recorded: unknown, not free. Then ``too_little_data`` and
        ``evidence``, the reason in plain English ("" when there is enough). The input is not
        modified.

    Examples
    --------
    >>> rows = pd.DataFrame({"name": ["Webinars"], "spend_usd": [20_000.0], "touches": [900],
    ...     "leads": [300], "mqls": [100], "sqls": [45], "mqls_to_sql": [40],
    ...     "opportunities": [20], "won": [5],
    ...     "closed": [10], "pipeline_usd": [400_000.0], "bookings_usd": [100_000.0],
    ...     "new_arr_usd": [100_000.0], "new_customers": [5]})
    >>> card = scorecard(rows)
    >>> card[["cost_per_mql", "cac", "pipeline_roi", "payback_months", "win_rate"]].iloc[0].tolist()
    [200.0, 4000.0, 20.0, 3.0, 0.5]
    >>> scorecard(rows.assign(opportunities=3))["evidence"].iloc[0]
    '3 opportunities, fewer than 5 needed to rank'
    >>> free = scorecard(rows.assign(spend_usd=0.0)).iloc[0]  # no spend recorded: unknown cost
    >>> [bool(pd.isna(free[name])) for name in ("cost_per_mql", "cac", "payback_months")]
    [True, True, True]
    """
    _check_columns(rows, SCORECARD_INPUT_COLUMNS, "scorecard rows")
    numbers = [*SCORECARD_MONEY_COLUMNS, *SCORECARD_COUNT_COLUMNS]
    _check_complete(rows, numbers, "scorecard rows", "use 0 for none")
    negative = [column for column in numbers if (rows[column] < 0).any()]
    if negative:
        raise ValueError(f"scorecard rows cannot be negative; found negative {', '.join(negative)}")
    for part, whole in (("won", "closed"), ("mqls_to_sql", "mqls")):
        over = rows.loc[rows[part] > rows[whole], "name"]
        if not over.empty:
            raise ValueError(
                f"{part} cannot exceed {whole} (a part of them), got more for "
                f"{', '.join(map(str, over))}"
            )
    if isinstance(min_opportunities, bool) or not isinstance(min_opportunities, int):
        raise ValueError(f"min_opportunities must be a whole number, got {min_opportunities!r}")
    if min_opportunities < 0 or min_spend_usd < 0:
        raise ValueError(
            f"minimums must not be negative, got {min_opportunities} opportunities and "
            f"{format_money_exact(min_spend_usd, currency)}"
        )
    if not 0 < gross_margin <= 1:
        raise ValueError(f"gross margin must be above 0 and at most 1, got {gross_margin}")

    card = rows.copy()
    spend = card["spend_usd"].astype(float)
    # A cost ratio needs a cost: with no spend recorded (deals no campaign touched, leads no
    # campaign sourced) it is unknown, n/a, never $0 or a payback of 0 months.
    cost = spend.where(spend > 0)
    card["cost_per_mql"] = _divide(cost, card["mqls"])
    card["cost_per_opportunity"] = _divide(cost, card["opportunities"])
    card["cac"] = _divide(cost, card["new_customers"])
    card["pipeline_roi"] = _divide(card["pipeline_usd"], spend)
    card["bookings_roi"] = _divide(card["bookings_usd"], spend)
    card["payback_months"] = _divide(12 * cost, card["new_arr_usd"] * gross_margin)
    card["mql_to_sql"] = _divide(card["mqls_to_sql"], card["mqls"])
    card["mql_to_sql_low"], card["mql_to_sql_high"] = _bounds(card["mqls_to_sql"], card["mqls"])
    card["win_rate"] = _divide(card["won"], card["closed"])
    card["win_rate_low"], card["win_rate_high"] = _bounds(card["won"], card["closed"])
    card["too_little_data"] = (card["opportunities"] < min_opportunities) | (spend < min_spend_usd)
    card["evidence"] = [
        _evidence(float(count), float(paid), min_opportunities, float(min_spend_usd), currency)
        for count, paid in zip(card["opportunities"], spend, strict=True)
    ]
    return card


def with_trend(
    current: pd.DataFrame, prior: pd.DataFrame, key: str, columns: Sequence[str]
) -> pd.DataFrame:
    """``current`` with ``<column>_prior`` and ``<column>_change`` for each of ``columns``.

    The change is relative, ``(now - prior) / |prior|``, NaN when the prior value is 0 or
    missing. Rows are matched on ``key``: groups only in ``prior`` are dropped, groups only in
    ``current`` get a NaN prior. The inputs are not modified.

    >>> now = pd.DataFrame({"name": ["a", "b"], "cac": [120.0, 50.0]})
    >>> before = pd.DataFrame({"name": ["a", "c"], "cac": [100.0, 10.0]})
    >>> with_trend(now, before, "name", ["cac"])["cac_change"].round(2).tolist()
    [0.2, nan]
    """
    columns = list(columns)
    for frame, what in ((current, "the current period"), (prior, "the prior period")):
        _check_columns(frame, [key, *columns], f"rows of {what}")
    if prior[key].duplicated().any():
        raise ValueError(f"the prior period needs one row per {key}; some repeat")
    before = prior.set_index(key)
    trended = current.copy()
    for column in columns:
        previous = current[key].map(before[column]).astype(float)
        defined = previous.notna() & (previous != 0)
        change = (current[column].astype(float) - previous) / previous.abs().where(defined, 1.0)
        trended[f"{column}_prior"] = previous
        trended[f"{column}_change"] = change.where(defined, np.nan)
    return trended


def working_and_not(
    card: pd.DataFrame, metric: str, count: int = 3, higher_is_better: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The best ``count`` and the worst ``count`` rows of a scorecard by ``metric``.

    Only rows with enough data (``too_little_data`` False) and a defined metric are ranked;
    ties go by ``name``. With fewer than ``2 x count`` such rows, the better half (the larger
    half when odd) is the best list and the rest the worst, so no row is in both. The best list
    reads best first, the worst list worst first; rows keep the card's index.

    Parameters
    ----------
    card
        A :func:`scorecard` result (``name``, ``too_little_data`` and the metric).
    metric
        A numeric column of ``card``.
    count
        How many rows each list holds at most.
    higher_is_better
        ``False`` for costs such as ``cac`` and ``cost_per_mql``.

    Examples
    --------
    >>> card = pd.DataFrame({"name": ["a", "b", "c", "d"], "pipeline_roi": [3.0, 9.0, 1.0, 5.0],
    ...     "too_little_data": [False, False, False, True]})
    >>> best, worst = working_and_not(card, "pipeline_roi", count=1)
    >>> best["name"].tolist(), worst["name"].tolist()
    (['b'], ['c'])
    """
    _check_columns(card, ("name", "too_little_data"), "a scorecard")
    numeric = [
        str(column)
        for column in card.columns
        if pd.api.types.is_numeric_dtype(card[column])
        and not pd.api.types.is_bool_dtype(card[column])
    ]
    if metric not in numeric:
        raise ValueError(
            f"unknown metric {metric!r}; expected one of the scorecard's numeric columns: "
            f"{', '.join(numeric)}"
        )
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a whole number of at least 1, got {count!r}")
    values = card[metric].astype(float)
    eligible = card.loc[~card["too_little_data"].astype(bool) & np.isfinite(values)]
    ranked = eligible.sort_values(
        [metric, "name"], ascending=[not higher_is_better, True], kind="mergesort"
    )
    best_count = count if len(ranked) >= 2 * count else math.ceil(len(ranked) / 2)
    worst_count = min(count, len(ranked) - best_count)
    best = ranked.iloc[:best_count]
    worst = ranked.iloc[len(ranked) - worst_count :].sort_values(
        [metric, "name"], ascending=[higher_is_better, True], kind="mergesort"
    )
    return best.copy(), worst.copy()


# --------------------------------------------------------------------------------------------
# Rows for the scorecard, from the store's totals and the credits
# --------------------------------------------------------------------------------------------
TOTAL_COLUMNS: tuple[str, ...] = (
    "campaign_id", "campaign_name", "channel", "spend_usd", "touches", "leads", "mqls", "sqls",
    "mqls_to_sql", "won", "closed",
)  # fmt: skip
CREDITED_OPPORTUNITY_COLUMNS: tuple[str, ...] = ("opportunity_id", "amount_usd", "won_usd")


def campaign_rows(
    totals: pd.DataFrame, credits: pd.DataFrame, opportunities: pd.DataFrame
) -> pd.DataFrame:
    """One scorecard input row per campaign: the store's totals and the model's credits.

    Parameters
    ----------
    totals
        Per campaign (:data:`TOTAL_COLUMNS`): spend, touches, sourced leads, MQLs, SQLs and
        conversions, and deals whose primary campaign it is (``won``, ``closed``).
    credits
        :func:`attribute`'s output.
    opportunities
        The deals credited (``opportunity_id``, ``amount_usd`` in the window's pipeline,
        ``won_usd`` in its bookings, ``opportunity_type``).

    Returns
    -------
    pandas.DataFrame
        Every campaign in either input, with ``name``, the totals (0 where a campaign has
        none), ``opportunities`` (credited share of the pipeline deals), ``pipeline_usd``,
        ``bookings_usd``, ``new_arr_usd`` (credited new-business bookings) and
        ``new_customers`` (credited share of the won new-business deals). Rows for touches
        without a campaign and deals no campaign touched are kept, so totals reconcile.

    Examples
    --------
    >>> totals = pd.DataFrame({"campaign_id": ["c1"], "campaign_name": ["Webinar"],
    ...     "channel": ["webinars"], "spend_usd": [100.0], "touches": [3], "leads": [2],
    ...     "mqls": [1], "sqls": [1], "mqls_to_sql": [1], "won": [0], "closed": [0]})
    >>> credits = pd.DataFrame({"opportunity_id": ["o1", "o1"], "campaign_id": ["c1", NO_TOUCH],
    ...     "channel": ["webinars", NO_TOUCH], "credit": [0.5, 0.5],
    ...     "pipeline_usd": [50.0, 50.0], "bookings_usd": [0.0, 0.0]})
    >>> deals = pd.DataFrame({"opportunity_id": ["o1"], "amount_usd": [100.0],
    ...     "won_usd": [0.0], "opportunity_type": ["new_business"]})
    >>> rows = campaign_rows(totals, credits, deals)
    >>> rows[["name", "opportunities", "pipeline_usd"]].values.tolist()
    [['(no campaign touch)', 0.5, 50.0], ['Webinar', 0.5, 50.0]]
    """
    _check_columns(totals, TOTAL_COLUMNS, "campaign totals")
    _check_columns(credits, CREDIT_COLUMNS, "credits")
    _check_columns(opportunities, CREDITED_OPPORTUNITY_COLUMNS, "credited opportunities")
    deals = opportunities.set_index("opportunity_id")
    credited = credits.copy()
    in_pipeline = credited["opportunity_id"].map(deals["amount_usd"]).fillna(0.0) > 0
    won = credited["opportunity_id"].map(deals["won_usd"]).fillna(0.0) > 0
    if "opportunity_type" in deals.columns:
        new_business = credited["opportunity_id"].map(deals["opportunity_type"]) == "new_business"
    else:
        new_business = pd.Series(True, index=credited.index)
    credited["opportunities"] = credited["credit"].where(in_pipeline, 0.0)
    credited["new_arr_usd"] = credited["bookings_usd"].where(new_business, 0.0)
    credited["new_customers"] = credited["credit"].where(won & new_business, 0.0)
    by_campaign = credited.groupby("campaign_id", as_index=False).agg(
        credited_channel=("channel", "first"),
        opportunities=("opportunities", "sum"),
        pipeline_usd=("pipeline_usd", "sum"),
        bookings_usd=("bookings_usd", "sum"),
        new_arr_usd=("new_arr_usd", "sum"),
        new_customers=("new_customers", "sum"),
    )
    rows = totals.loc[:, list(TOTAL_COLUMNS)].merge(by_campaign, on="campaign_id", how="outer")
    rows["channel"] = rows["channel"].fillna(rows["credited_channel"])
    rows["name"] = rows["campaign_name"].fillna(rows["campaign_id"])
    counts = ["touches", "leads", "mqls", "sqls", "mqls_to_sql", "won", "closed"]
    amounts = ["spend_usd", "opportunities", "pipeline_usd", "bookings_usd", "new_arr_usd",
               "new_customers"]  # fmt: skip
    rows[counts] = rows[counts].fillna(0).astype(int)
    rows[amounts] = rows[amounts].fillna(0.0).astype(float)
    columns = ["campaign_id", "name", "channel", *amounts[:1], *counts, *amounts[1:]]
    return rows[columns].sort_values(["name", "campaign_id"]).reset_index(drop=True)


def channel_rows(campaigns: pd.DataFrame) -> pd.DataFrame:
    """:func:`campaign_rows` added up per channel (``name`` is the channel key).

    >>> rows = pd.DataFrame({"campaign_id": ["a", "b"], "name": ["A", "B"],
    ...     "channel": ["events", "events"], "spend_usd": [1.0, 2.0]})
    >>> channel_rows(rows)[["name", "spend_usd"]].values.tolist()
    [['events', 3.0]]
    """
    _check_columns(campaigns, ("campaign_id", "name", "channel"), "campaign rows")
    numbers = [
        column
        for column in campaigns.columns
        if column not in ("campaign_id", "name", "channel")
        and pd.api.types.is_numeric_dtype(campaigns[column])
    ]
    rows = campaigns.groupby("channel", as_index=False)[numbers].sum()
    rows.insert(0, "name", rows["channel"])
    return rows


def model_rankings(by_model: Mapping[str, pd.DataFrame], key: str) -> pd.DataFrame:
    """Attributed pipeline and its rank (1 = most) per group under each model, side by side.

    ``by_model`` maps a model to its :func:`campaign_rows` or :func:`channel_rows`; ``key`` is
    the column naming a group (``campaign_id`` or ``channel``). Deals no campaign touched are
    left out of the ranking (they are the same under every model).
    """
    unknown = set(by_model) - set(ATTRIBUTION_MODELS)
    if unknown:
        raise ValueError(
            f"unknown attribution model {', '.join(sorted(unknown))}; models are "
            f"{', '.join(ATTRIBUTION_MODELS)}"
        )
    table: pd.DataFrame | None = None
    for model, rows in by_model.items():
        _check_columns(rows, (key, "name", "pipeline_usd"), f"{model} rows")
        ranked = rows[rows[key] != NO_TOUCH][[key, "name", "pipeline_usd"]].copy()
        ranked[f"{model}_rank"] = (
            ranked["pipeline_usd"].rank(ascending=False, method="min").astype(int)
        )
        ranked = ranked.rename(columns={"pipeline_usd": f"{model}_pipeline_usd"})
        table = ranked if table is None else table.merge(ranked, on=[key, "name"], how="outer")
    if table is None:
        return pd.DataFrame(columns=[key, "name"])
    first = f"{next(iter(by_model))}_rank"
    return table.sort_values([first, "name"]).reset_index(drop=True)


ACTIVITY_COLUMNS = ("spend_usd", "touches", "leads", "mqls", "opportunities", "bookings_usd")


def active(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with any spend, touches, leads, MQLs, credited deals or bookings in the window
    (campaigns long over are left out of a quarter's scorecard).

    >>> rows = pd.DataFrame({"name": ["a", "b"], "spend_usd": [0.0, 5.0], "touches": [0, 0],
    ...     "leads": [0, 0], "mqls": [0, 0], "opportunities": [0.0, 0.0],
    ...     "bookings_usd": [0.0, 0.0]})
    >>> active(rows)["name"].tolist()
    ['b']
    """
    _check_columns(rows, ACTIVITY_COLUMNS, "rows")
    return rows[(rows[list(ACTIVITY_COLUMNS)] > 0).any(axis=1)]
