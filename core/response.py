"""Response curves: how a channel's weekly spend turns into the pipeline it sources.

The model, per channel (see ``DOMAIN.md``, "Budget-cut simulator")::

    a(t) = x(t - lag) + theta * a(t - 1)                  geometric adstock of weekly spend x
    s(a) = a^k / (a^k + h^k)                              Hill saturation, between 0 and 1
    pipeline(t) = s(a(t)) * (b0 + b1 cos w(t) + b2 sin w(t) + b3 year_end(t) + b4 thanksgiving(t))

``w(t)`` is the week's angle in the year, so ``b1``/``b2`` are a yearly season, and the two
holiday flags mark the weeks B2B buying stops. ``b0`` is the ceiling ``beta``: the weekly
pipeline the channel approaches with unlimited spend in an average week.

Fitting is bounded nonlinear least squares by variable projection: for every ``(theta, k, h)``
the five ``b`` coefficients are an ordinary least-squares solve, so the optimiser only searches
three numbers, from several starts and for each lag of 0-4 weeks. When the channel sources
leads, the shape (carryover, slope, half-saturation) is fitted to leads and pipeline together,
pipeline being the leads curve times dollars of pipeline per lead: leads come in far greater
numbers than deals, so they pin a shape that lumpy deal amounts alone leave loose. Weak priors
(slope about 1.3, carryover about 0.4) keep flat likelihoods from running to a bound; the data
overrule them whenever they speak. The last 13 weeks are held out once to report how well the
curve predicts weeks it never saw; the curve used is then refit on everything. The range comes
from refitting on residual-bootstrap resamples (blocks of four weeks, which keeps the
autocorrelation adstock leaves in residuals).

A channel with under a year of history, no spend variation (four-week spend varying by under
10%), or a curve that predicts pipeline no better than its season alone falls back to its
average return on spend over the last year, with a deliberately wide range, and
says why in :attr:`ResponseCurve.note`.

Quickstart
----------
>>> import numpy as np
>>> weeks = np.arange("2024-01-01", "2026-01-05", 7, dtype="datetime64[D]")
>>> rng = np.random.default_rng(0)
>>> spend = 10_000 * np.exp(rng.normal(0, 0.4, len(weeks)))
>>> truth = 50_000 * hill(adstock(spend, 0.3, 0), 12_000, 1.5)
>>> curve = fit_response("paid_search", weeks, spend, truth, draws=20, seed=1)
>>> curve.method, curve.r_squared > 0.95
('fitted', True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy.optimize import least_squares
from scipy.signal import lfilter

HOLDOUT_WEEKS = 13
MIN_WEEKS = 52  # a year of weekly history, so the season is seen at least once
MIN_SPEND_VARIATION = 0.10  # coefficient of variation of four-week spend
MAX_LAG_WEEKS = 4
FIT_VERSION = 1  # raise with any change to the fitting: fits stored by an older one are not reused
DRAWS = 50  # the point estimate and 49 bootstrap refits: 10-90% ranges, fitted in seconds
FALLBACK_SIGMA = 0.45  # lognormal spread of the average-return fallback: 10-90% is about x0.56-x1.8
THETA_BOUNDS = (0.0, 0.9)
K_BOUNDS = (0.5, 3.0)
H_RATIO_BOUNDS = (0.05, 20.0)  # half-saturation relative to mean adstock
PRIOR_LOG_K = (float(np.log(1.3)), 0.35)  # Hill slope about 1.3, within x/÷1.4
PRIOR_THETA = (0.4, 0.25)  # carryover about 0.4, anywhere from none to 0.9
SEASON_TERMS = 5  # b0 (ceiling) and b1..b4 (season and holidays)
# The fallback is a straight line roas * a; it is written as a Hill curve with k = 1 and a
# half-saturation far beyond any spend, so the simulator has one code path.
LINEAR_HALF_SATURATION = 1e12

Method = Literal["fitted", "average"]


def adstock(
    spend: np.ndarray, theta: float, lag_weeks: int = 0, initial: float = 0.0
) -> np.ndarray:
    """Geometric adstock with a lag: ``a(t) = x(t - lag) + theta * a(t - 1)``.

    Parameters
    ----------
    spend
        Weekly spend, oldest first.
    theta
        Share of last week's adstock carried into this week, ``0 <= theta < 1``.
    lag_weeks
        Weeks before spend starts to act; the first ``lag_weeks`` weeks see ``initial``'s
        steady-state spend.
    initial
        Adstock before the first week (``x / (1 - theta)`` for a steady spend ``x``).

    Examples
    --------
    >>> adstock(np.array([100.0, 0.0, 0.0]), 0.5).tolist()
    [100.0, 50.0, 25.0]
    >>> adstock(np.array([100.0, 0.0, 0.0]), 0.5, lag_weeks=1).tolist()
    [0.0, 100.0, 50.0]
    """
    if not 0.0 <= theta < 1.0:
        raise ValueError(f"theta must be in [0, 1), got {theta!r}")
    if lag_weeks < 0:
        raise ValueError(f"lag_weeks must be 0 or more, got {lag_weeks!r}")
    spend = np.asarray(spend, dtype=float)
    steady = initial * (1.0 - theta)
    shifted = np.concatenate([np.full(lag_weeks, steady), spend])[: len(spend)]
    result, _ = lfilter([1.0], [1.0, -theta], shifted, zi=[theta * initial])
    return result


def hill(adstocked: np.ndarray, half_saturation: float, k: float) -> np.ndarray:
    """Hill saturation ``a^k / (a^k + h^k)``: 0 with no adstock, 1/2 at ``a = h``, towards 1.

    Examples
    --------
    >>> hill(np.array([0.0, 50.0, 100.0, 300.0]), 100.0, 2.0).round(4).tolist()
    [0.0, 0.2, 0.5, 0.9]
    """
    if half_saturation <= 0 or k <= 0:
        raise ValueError(
            f"half_saturation and k must be positive, got {half_saturation!r} and {k!r}"
        )
    ratio = np.maximum(np.asarray(adstocked, dtype=float), 0.0) / half_saturation
    powered = ratio**k
    return powered / (powered + 1.0)


def season_features(week_starts: np.ndarray) -> np.ndarray:
    """Columns ``1, cos w, sin w, year_end, thanksgiving`` for weeks starting on these days.

    ``year_end`` marks weeks starting 22 Dec - 3 Jan, most of whose working days fall in the
    Christmas and New Year break;
    ``thanksgiving`` the week holding the fourth Thursday of November.

    Examples
    --------
    >>> season_features(np.array(["2026-12-28", "2026-11-23"], dtype="datetime64[D]"))[:, 3:]
    array([[1., 0.],
           [0., 1.]])
    """
    days = np.asarray(week_starts, dtype="datetime64[D]")
    years = days.astype("datetime64[Y]")
    day_of_year = (days - years.astype("datetime64[D]")).astype(float)
    angle = 2 * np.pi * day_of_year / 365.25
    month = (days.astype("datetime64[M]") - years.astype("datetime64[M]")).astype(int) + 1
    day = (days - days.astype("datetime64[M]").astype("datetime64[D]")).astype(int) + 1
    year_end = ((month == 12) & (day >= 22)) | ((month == 1) & (day <= 3))
    # The week (Monday start) holding Thanksgiving starts Monday 19-25 November.
    thanksgiving = (month == 11) & (day >= 19) & (day <= 25)
    return np.column_stack(
        [np.ones(len(days)), np.cos(angle), np.sin(angle), year_end, thanksgiving]
    ).astype(float)


@dataclass(frozen=True, eq=False)
class ResponseCurve:
    """A channel's fitted response and the draws that give its range.

    Draw 0 is the point estimate; the others are bootstrap refits. ``coefficients`` has one
    row per draw: ``b0..b4`` of the season (``b0`` is the weekly ceiling ``beta``).
    """

    channel: str
    method: Method
    lag_weeks: int
    theta: np.ndarray  # (draws,)
    hill_k: np.ndarray  # (draws,)
    half_saturation: np.ndarray  # (draws,) adstocked USD per week
    coefficients: np.ndarray  # (draws, 5)
    weeks: int  # weeks of history fitted
    r_squared: float | None  # in-sample, on the weeks fitted
    holdout_mape: float | None  # weighted MAPE on the last 13 weeks, fitted without them
    mean_weekly_spend: float  # over the last year
    mean_weekly_pipeline: float  # over the last year
    note: str = ""
    initial_adstock: float = field(default=0.0)

    @property
    def beta(self) -> float:
        """Weekly pipeline the channel approaches with unlimited spend, in an average week."""
        return float(self.coefficients[0, 0])

    def weekly_response(self, weekly_spend: np.ndarray, draw: int = 0) -> np.ndarray:
        """Steady-state weekly pipeline at constant weekly spend, in an average week."""
        steady = np.asarray(weekly_spend, dtype=float) / (1.0 - self.theta[draw])
        return self.coefficients[draw, 0] * hill(
            steady, float(self.half_saturation[draw]), float(self.hill_k[draw])
        )

    def marginal_roi(self, weekly_spend: np.ndarray, draw: int = 0) -> np.ndarray:
        """Pipeline per extra dollar at a steady weekly spend (derivative of the response)."""
        spend = np.maximum(np.asarray(weekly_spend, dtype=float), 1e-9)
        step = np.maximum(spend * 1e-4, 1e-3)
        return (
            self.weekly_response(spend + step, draw) - self.weekly_response(spend - step, draw)
        ) / (2 * step)

    def break_even_spend(self, upper: float) -> float | None:
        """Weekly spend above which an extra dollar returns less than a dollar of pipeline.

        ``None`` when marginal return is below 1 already at the first dollar, or still above 1
        at ``upper``.
        """
        grid = np.linspace(upper / 400, upper, 400)
        above = self.marginal_roi(grid) >= 1.0
        if not above.any():
            return None
        if above.all():
            return None
        # Hill curves with k > 1 rise before they fall: the break-even is the last crossing.
        last = int(np.flatnonzero(above)[-1])
        return float(grid[min(last + 1, len(grid) - 1)])


# --------------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Design:
    spend: np.ndarray
    targets: tuple[np.ndarray, ...]  # pipeline first, then leads when there are any
    weights: tuple[
        np.ndarray, ...
    ]  # per week: 1 / expected noise, so each week counts by its precision
    features: np.ndarray
    initial: float  # mean spend of the first weeks, for the adstock's starting state
    scale: float  # mean spend, to make h scale-free

    def with_targets(self, targets: tuple[np.ndarray, ...]) -> _Design:
        return _Design(self.spend, targets, self.weights, self.features, self.initial, self.scale)


def _curve_columns(design: _Design, lag: int, theta: float, k: float, h_ratio: float) -> np.ndarray:
    stock = adstock(design.spend, theta, lag, design.initial / (1.0 - theta))
    saturation = hill(stock, h_ratio * design.scale / (1.0 - theta), k)
    return saturation[:, None] * design.features


def _solve(
    columns: np.ndarray, target: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares: coefficients and the (unweighted) residuals."""
    coefficients, *_ = np.linalg.lstsq(columns * weight[:, None], target * weight, rcond=None)
    return coefficients, columns @ coefficients - target


def _coefficients(design: _Design, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pipeline coefficients and the weighted residuals of every target.

    With leads, pipeline is tied to the leads curve: the same season, times dollars of pipeline
    per lead. Lumpy weekly pipeline then only has to tell one number, not five.
    """
    if len(design.targets) == 1:
        coefficients, residual = _solve(columns, design.targets[0], design.weights[0])
        return coefficients, residual * design.weights[0]
    pipeline, leads = design.targets
    lead_coefficients, lead_residual = _solve(columns, leads, design.weights[1])
    lead_fit = lead_residual + leads
    squared = design.weights[0] ** 2
    denominator = float((squared * lead_fit) @ lead_fit)
    per_lead = float((squared * lead_fit) @ pipeline) / denominator if denominator > 0 else 0.0
    residual = np.concatenate(
        [
            (per_lead * lead_fit - pipeline) * design.weights[0],
            lead_residual * design.weights[1],
        ]
    )
    return per_lead * lead_coefficients, residual


def _residuals(design: _Design, lag: int, params: np.ndarray) -> np.ndarray:
    theta, log_k, log_ratio = params
    columns = _curve_columns(design, lag, theta, np.exp(log_k), np.exp(log_ratio))
    # Weak priors, as residuals in the same noise units: weekly data often cannot tell a Hill
    # slope of 0.5 from 1.5 (the likelihood is flat), and then the slope should stay near
    # what marketing-mix practice finds rather than run to a bound.
    prior = np.array(
        [(log_k - PRIOR_LOG_K[0]) / PRIOR_LOG_K[1], (theta - PRIOR_THETA[0]) / PRIOR_THETA[1]]
    )
    return np.concatenate([_coefficients(design, columns)[1], prior])


def _fit_lag(
    design: _Design, lag: int, starts: list[np.ndarray], max_evaluations: int = 200
) -> tuple[float, np.ndarray, np.ndarray]:
    """Best (cost, nonlinear parameters, pipeline coefficients) for one lag, over starts."""
    lower = [THETA_BOUNDS[0], np.log(K_BOUNDS[0]), np.log(H_RATIO_BOUNDS[0])]
    upper = [THETA_BOUNDS[1], np.log(K_BOUNDS[1]), np.log(H_RATIO_BOUNDS[1])]
    best: tuple[float, np.ndarray] | None = None
    for start in starts:
        result = least_squares(
            lambda params: _residuals(design, lag, params),
            start,
            bounds=(lower, upper),
            method="trf",
            max_nfev=max_evaluations,
        )
        if best is None or result.cost < best[0]:
            best = (float(result.cost), result.x)
    assert best is not None
    cost, params = best
    theta, log_k, log_ratio = params
    columns = _curve_columns(design, lag, theta, np.exp(log_k), np.exp(log_ratio))
    return cost, params, _coefficients(design, columns)[0]


STARTS = [
    np.array([theta, np.log(k), np.log(ratio)])
    for theta, k, ratio in ((0.3, 1.2, 1.0), (0.6, 1.5, 0.5), (0.2, 1.0, 3.0))
]


def _noise(series: np.ndarray) -> float:
    """Week-to-week noise of a series: spread of first differences over sqrt 2, never zero."""
    if len(series) < 3:
        return 1.0
    return max(float(np.std(np.diff(series))) / np.sqrt(2.0), 1e-9)


def _weights(series: np.ndarray) -> np.ndarray:
    """Per-week weights for counts and sums of deals, whose noise grows with their level.

    Noise is taken as proportional to the square root of the local level (a 13-week moving
    average, floored at a tenth of the mean), then scaled so weighted noise is about 1.
    """
    window = min(13, len(series))
    level = np.convolve(series, np.ones(window) / window, mode="same")
    level = np.maximum(level, 0.1 * max(float(series.mean()), 1e-9))
    weight = 1.0 / np.sqrt(level)
    return weight / _noise(series * weight)


def _design(week_starts: np.ndarray, spend: np.ndarray, targets: tuple[np.ndarray, ...]) -> _Design:
    return _Design(
        spend=spend,
        targets=targets,
        weights=tuple(_weights(target) for target in targets),
        features=season_features(week_starts),
        initial=float(np.mean(spend[: min(8, len(spend))])),
        scale=max(float(np.mean(spend)), 1e-9),
    )


def _best_fit(design: _Design, lags: range) -> tuple[int, np.ndarray, np.ndarray]:
    fits = [(lag, *_fit_lag(design, lag, STARTS)) for lag in lags]
    lag, _, params, coefficients = min(fits, key=lambda fit: fit[1])
    return lag, params, coefficients


def _predict(design: _Design, lag: int, params: np.ndarray) -> list[np.ndarray]:
    """Fitted values of every target (pipeline first)."""
    theta, log_k, log_ratio = params
    columns = _curve_columns(design, lag, theta, np.exp(log_k), np.exp(log_ratio))
    residual = _coefficients(design, columns)[1]
    weeks = len(design.spend)  # the prior's residuals come after the weeks and are ignored
    return [
        design.targets[index] + residual[index * weeks : (index + 1) * weeks] / weight
        for index, weight in enumerate(design.weights)
    ]


def _weighted_mape(actual: np.ndarray, predicted: np.ndarray) -> float | None:
    total = float(np.abs(actual).sum())
    return float(np.abs(actual - predicted).sum() / total) if total > 0 else None


def _r_squared(actual: np.ndarray, predicted: np.ndarray) -> float | None:
    spread = float(((actual - actual.mean()) ** 2).sum())
    if spread <= 0:
        return None
    return 1.0 - float(((actual - predicted) ** 2).sum()) / spread


def _four_week_variation(spend: np.ndarray) -> float:
    blocks = spend[: len(spend) // 4 * 4].reshape(-1, 4).sum(axis=1)
    mean = float(blocks.mean()) if len(blocks) else 0.0
    return float(blocks.std() / mean) if mean > 0 else 0.0


def fit_response(
    channel: str,
    week_starts: np.ndarray,
    spend: np.ndarray,
    pipeline: np.ndarray,
    leads: np.ndarray | None = None,
    draws: int = DRAWS,
    seed: int = 0,
) -> ResponseCurve:
    """Fit a channel's response curve to weekly spend and the weekly pipeline it sourced.

    Parameters
    ----------
    channel
        Channel key, kept on the result.
    week_starts
        Monday of each week, oldest first (``datetime64[D]`` or ISO strings).
    spend, pipeline
        Weekly spend and weekly pipeline sourced by the channel, same length.
    leads
        Weekly leads sourced by the channel, or ``None``. Leads come in far greater numbers
        than opportunities, so they pin the curve's shape (adstock, lag, saturation) that
        lumpy weekly pipeline alone cannot; the dollars still come from pipeline alone.
    draws
        Number of curves kept (the point estimate plus ``draws - 1`` bootstrap refits).
    seed
        Seed of the bootstrap, so a fit is reproducible.

    Returns
    -------
    ResponseCurve
        ``method="fitted"`` for a real fit, ``"average"`` for the average-return fallback
        (with the reason in ``note``).

    Examples
    --------
    >>> weeks = np.arange("2025-01-06", "2025-03-03", 7, dtype="datetime64[D]")
    >>> curve = fit_response("events", weeks, np.full(8, 1_000.0), np.full(8, 3_000.0))
    >>> curve.method, curve.note
    ('average', 'only 8 weeks of spend history (52 needed for a curve)')
    """
    week_starts = np.asarray(week_starts, dtype="datetime64[D]")
    spend = np.asarray(spend, dtype=float)
    pipeline = np.asarray(pipeline, dtype=float)
    leads = None if leads is None else np.asarray(leads, dtype=float)
    if leads is not None and len(leads) != len(pipeline):
        raise ValueError(f"leads must have one value per week ({len(pipeline)}), got {len(leads)}")
    if not (len(week_starts) == len(spend) == len(pipeline)):
        raise ValueError(
            f"week_starts, spend and pipeline must have the same length, got "
            f"{len(week_starts)}, {len(spend)} and {len(pipeline)}"
        )
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws!r}")
    if (spend < 0).any() or (pipeline < 0).any():
        raise ValueError("spend and pipeline must not be negative")
    # Weeks before the channel's first spend say nothing about its curve.
    spent = np.flatnonzero(spend > 0)
    if spent.size:
        first = int(spent[0])
        week_starts, spend, pipeline = week_starts[first:], spend[first:], pipeline[first:]
        leads = None if leads is None else leads[first:]
    rng = np.random.default_rng(seed)
    last_year = slice(max(0, len(spend) - 52), len(spend))
    mean_spend = float(spend[last_year].mean()) if len(spend) else 0.0
    mean_pipeline = float(pipeline[last_year].mean()) if len(pipeline) else 0.0

    def fallback(note: str) -> ResponseCurve:
        return _average_return(
            channel, spend, pipeline, mean_spend, mean_pipeline, draws, rng, note
        )

    if spent.size == 0:
        return fallback("no spend recorded")
    if len(spend) < MIN_WEEKS:
        return fallback(
            f"only {len(spend)} weeks of spend history ({MIN_WEEKS} needed for a curve)"
        )
    variation = _four_week_variation(spend)
    if variation < MIN_SPEND_VARIATION:
        return fallback(
            f"spend barely varied (four-week spend varies {variation:.0%}; a curve needs "
            f"{MIN_SPEND_VARIATION:.0%} or more to tell what more or less spend does)"
        )
    if mean_pipeline <= 0:
        return fallback("no pipeline sourced in the last year")

    targets = (pipeline,) if leads is None or leads[-52:].sum() <= 0 else (pipeline, leads)
    lags = range(0, MAX_LAG_WEEKS + 1)
    held = len(spend) - HOLDOUT_WEEKS
    early = _design(week_starts[:held], spend[:held], tuple(target[:held] for target in targets))
    lag, params, coefficients = _best_fit(early, lags)
    full = _design(week_starts, spend, targets)
    theta, log_k, log_ratio = params
    columns = _curve_columns(full, lag, theta, np.exp(log_k), np.exp(log_ratio))
    holdout = _weighted_mape(pipeline[held:], (columns @ coefficients)[held:])

    lag, params, coefficients = _best_fit(full, lags)
    fitted = _predict(full, lag, params)
    r_squared = _r_squared(pipeline, fitted[0])
    # The curve must beat "spend makes no difference" (the season alone) on the same weighted
    # data; weekly pipeline R² alone cannot judge that, as lumpy deals keep it near zero even
    # for the true curve.
    weeks = len(spend)
    curve_cost = float((_residuals(full, lag, params)[: weeks * len(targets)] ** 2).sum())
    null_cost = float((_coefficients(full, full.features)[1] ** 2).sum())
    if r_squared is None or coefficients[0] <= 0 or curve_cost >= null_cost:
        return fallback("spend explains none of the week-to-week variation in pipeline or leads")

    samples = [(params, coefficients)]
    residuals = [target - fit for target, fit in zip(targets, fitted, strict=True)]
    block = 4
    blocks = int(np.ceil(len(spend) / block))
    for _ in range(draws - 1):
        # The same blocks for pipeline and leads keep the weeks' pairing.
        picks = rng.integers(0, len(spend) - block + 1, blocks)
        index = (picks[:, None] + np.arange(block)[None, :]).ravel()[: len(spend)]
        resampled = tuple(
            np.maximum(fit + residual[index], 0.0)
            for fit, residual in zip(fitted, residuals, strict=True)
        )
        _, refit_params, refit_coefficients = _fit_lag(
            full.with_targets(resampled), lag, [params], max_evaluations=60
        )
        samples.append((refit_params, refit_coefficients))
    nonlinear = np.array([sample[0] for sample in samples])
    theta = nonlinear[:, 0]
    return ResponseCurve(
        channel=channel,
        method="fitted",
        lag_weeks=lag,
        theta=theta,
        hill_k=np.exp(nonlinear[:, 1]),
        half_saturation=np.exp(nonlinear[:, 2]) * full.scale / (1.0 - theta),
        coefficients=np.array([sample[1] for sample in samples]),
        weeks=len(spend),
        r_squared=r_squared,
        holdout_mape=holdout,
        mean_weekly_spend=mean_spend,
        mean_weekly_pipeline=mean_pipeline,
        initial_adstock=full.initial,
    )


def _average_return(
    channel: str,
    spend: np.ndarray,
    pipeline: np.ndarray,
    mean_spend: float,
    mean_pipeline: float,
    draws: int,
    rng: np.random.Generator,
    note: str,
) -> ResponseCurve:
    """Pipeline proportional to spend at the last year's average return, with a wide range."""
    roas = mean_pipeline / mean_spend if mean_spend > 0 else 0.0
    spread = np.exp(rng.normal(-0.5 * FALLBACK_SIGMA**2, FALLBACK_SIGMA, draws))
    spread[0] = 1.0
    coefficients = np.zeros((draws, SEASON_TERMS))
    coefficients[:, 0] = roas * spread * LINEAR_HALF_SATURATION
    return ResponseCurve(
        channel=channel,
        method="average",
        lag_weeks=0,
        theta=np.zeros(draws),
        hill_k=np.ones(draws),
        half_saturation=np.full(draws, LINEAR_HALF_SATURATION),
        coefficients=coefficients,
        weeks=len(spend),
        r_squared=None,
        holdout_mape=None,
        mean_weekly_spend=mean_spend,
        mean_weekly_pipeline=mean_pipeline,
        note=note,
        initial_adstock=float(np.mean(spend[: min(8, len(spend))])) if len(spend) else 0.0,
    )
