"""The deflated Sharpe ratio (Bailey and Lopez de Prado, 2014): how likely a winner's Sharpe
ratio is above zero once the number of rules tried is discounted.

    SR0 = sqrt(V) x ((1 - g) x Z(1 - 1/N) + g x Z(1 - 1/(N e)))   expected best of N luck draws
    DSR = Phi((SR - SR0) x sqrt(T - 1) / sqrt(1 - skew x SR + (kurtosis - 1) / 4 x SR^2))

per session (not annualised): SR the rule's Sharpe ratio over T daily returns, skew and
kurtosis (non-excess) of those returns, N the trials (distinct rules: rules with identical
fills are one trial), V the variance of the N trials' Sharpe ratios, g Euler's constant, Z the
standard normal quantile, Phi its distribution. This is vectorbt's
`returns.metrics.deflated_sharpe_ratio` (the returns accessor's `deflated_sharpe_ratio`, with
its defaults: biased skew and kurtosis), written on scipy's normal distribution (scipy.special:
a tune imports neither vectorbt nor scipy.stats, seconds between them); tests/tuning checks it
against vectorbt, scipy.stats' moments and hand-computed values. One trial: SR0 = 0 (the
probabilistic Sharpe ratio).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import ndtr, ndtri

from backtests.metrics import SESSIONS_PER_YEAR

THRESHOLD = 0.95
"""A winner whose deflated Sharpe probability is below this is flagged over-fitted."""


class DeflatedSharpe(NamedTuple):
    probability: float  # P(true Sharpe > 0) after discounting the trials (NaN: undefined)
    sharpe: float  # the rule's annualised Sharpe ratio over the returns
    expected_max: float  # annualised Sharpe the best of `trials` luck-only rules would reach
    trials: int
    sessions: int
    skew: float
    kurtosis: float  # non-excess (3 for normal returns)

    def as_json(self) -> dict[str, object]:
        return {key: (None if isinstance(value, float) and not math.isfinite(value) else value)
                for key, value in self._asdict().items()}


def expected_max_sharpe(var_sharpe: float, trials: int) -> float:
    """Per-session Sharpe ratio the best of `trials` zero-skill rules is expected to reach."""
    if trials < 2:
        return 0.0
    gamma = float(np.euler_gamma)
    return math.sqrt(var_sharpe) * ((1.0 - gamma) * ndtri(1.0 - 1.0 / trials)
                                    + gamma * ndtri(1.0 - 1.0 / (trials * math.e)))


def moments(returns: np.ndarray) -> tuple[float, float]:
    """Skew and (non-excess) kurtosis, biased: m3 / m2^1.5 and m4 / m2^2 of the deviations."""
    if len(returns) < 2:
        return math.nan, math.nan
    deviation = returns - returns.mean()
    m2 = float(np.mean(deviation**2))
    if m2 == 0.0:
        return math.nan, math.nan
    return float(np.mean(deviation**3)) / m2**1.5, float(np.mean(deviation**4)) / m2**2


def deflated_sharpe(returns: np.ndarray, trials: int, var_sharpe: float) -> DeflatedSharpe:
    """The DSR of one rule's daily returns; var_sharpe: variance of the trials' annualised
    Sharpe ratios (ddof 1)."""
    r = np.asarray(returns, dtype=np.float64)
    n = len(r)
    std = float(np.std(r, ddof=1)) if n > 1 else math.nan
    sr = float(np.mean(r)) / std if n > 1 and std > 0 else math.nan
    sr0 = expected_max_sharpe(var_sharpe / SESSIONS_PER_YEAR, trials)
    g3, g4 = moments(r)
    spread = 1.0 - g3 * sr + (g4 - 1.0) / 4.0 * sr * sr
    if math.isnan(sr) or not spread > 0:
        probability = math.nan
    else:
        probability = float(ndtr((sr - sr0) * math.sqrt(n - 1) / math.sqrt(spread)))
    root = math.sqrt(SESSIONS_PER_YEAR)
    return DeflatedSharpe(probability, sr * root, sr0 * root, trials, n, g3, g4)
