"""Significance of a group's mean CAR: pure kernels, arrays in, a `Significance` out.

Every p-value is two-sided. Each test needs MIN_EVENTS events or more (below it: no statistic and
no p-value, only the placebo p-value, see events/placebo.py).

- cross_sectional_t: t = mean(CAR) / (sd(CAR) / sqrt n), Student t with n - 1 degrees of freedom.
- bmp_test (Boehmer, Musumeci & Poulsen 1991, "standardised cross-sectional"): each CAR divided by
  its forecast-error standard deviation from the estimation window (SCAR = CAR / sd), then
  t = mean(SCAR) / (sd(SCAR) / sqrt n), Student t, n - 1 degrees of freedom. Robust to the event
  raising the variance; an event without a fitted model (short history) cannot be standardised.
- corrado_test (Corrado 1989; multi-day form of Campbell & Wasley 1993): each event's ARs over its
  estimation and event windows are ranked together, U = rank / (T_i + 1) - 0.5 (T_i known ARs,
  ties averaged); per relative day the mean U over the events known that day; S_U^2 = (1/T)
  sum over days of (N_t / N) * mean_U_t^2; z = sqrt(L) * mean over the L window days of mean_U_t
  / S_U, standard normal.
- sign_test (generalised sign test, Cowan 1992): w events with a positive CAR against p = the mean
  share of positive estimation-window ARs; z = (w - n p) / sqrt(n p (1 - p)); the p-value is the
  exact binomial one (scipy.stats.binomtest), not the normal approximation, which is poor at n < 20.
- placebo_p_value: (1 + pseudo samples whose |mean CAR| >= |the actual mean|) / (1 + samples).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import stats

from events.study import MIN_EVENTS


class Significance(NamedTuple):
    """statistic and p_value are None when the test cannot be computed; n: events it used."""

    statistic: float | None
    p_value: float | None
    n: int


def _student(statistic: float, n: int) -> Significance:
    return Significance(statistic, float(2 * stats.t.sf(abs(statistic), n - 1)), n)


def cross_sectional_t(cars: np.ndarray) -> Significance:
    """The plain cross-sectional t-test of mean(CAR) = 0."""
    values = np.asarray(cars, dtype=float)
    n = len(values)
    if n < MIN_EVENTS:
        return Significance(None, None, n)
    sd = float(values.std(ddof=1))
    if sd == 0:
        return Significance(None, None, n)
    return _student(float(values.mean()) / (sd / math.sqrt(n)), n)


def bmp_test(cars: np.ndarray, sds: np.ndarray) -> Significance:
    """BMP on CARs and their forecast-error standard deviations (same order, all known)."""
    cars, sds = np.asarray(cars, dtype=float), np.asarray(sds, dtype=float)
    return cross_sectional_t(cars / sds)


def corrado_test(grid: np.ndarray, window: np.ndarray) -> Significance:
    """Corrado's rank test on a (events x relative days) grid of ARs, estimation days then event
    days, NaN where unknown; `window` marks the CAR's days (a boolean mask over the columns)."""
    grid = np.asarray(grid, dtype=float)
    n = grid.shape[0]
    if n < MIN_EVENTS:
        return Significance(None, None, n)
    scores = np.full(grid.shape, np.nan)
    for row, values in enumerate(grid):
        known = np.isfinite(values)
        scores[row, known] = stats.rankdata(values[known]) / (known.sum() + 1) - 0.5
    counts = np.isfinite(scores).sum(axis=0)
    present = counts > 0
    day_means = np.zeros(grid.shape[1])
    day_means[present] = np.nansum(scores[:, present], axis=0) / counts[present]
    spread = math.sqrt(float((counts[present] / n * day_means[present] ** 2).sum()) / present.sum())
    days = np.asarray(window, dtype=bool) & present
    if spread == 0 or not days.any():
        return Significance(None, None, n)
    statistic = math.sqrt(days.sum()) * float(day_means[days].mean()) / spread
    return Significance(statistic, float(2 * stats.norm.sf(abs(statistic))), n)


def sign_test(cars: np.ndarray, residuals: list[np.ndarray]) -> Significance:
    """Generalised sign test: CARs and each event's estimation-window ARs (NaN ignored)."""
    cars = np.asarray(cars, dtype=float)
    n = len(cars)
    if n < MIN_EVENTS:
        return Significance(None, None, n)
    shares = [float((known > 0).mean()) for known in (r[np.isfinite(r)] for r in residuals) if len(known)]
    if len(shares) != n:
        return Significance(None, None, n)
    expected = float(np.mean(shares))
    if not 0 < expected < 1:
        return Significance(None, None, n)
    positive = int((cars > 0).sum())
    statistic = (positive - n * expected) / math.sqrt(n * expected * (1 - expected))
    return Significance(statistic, float(stats.binomtest(positive, n, expected).pvalue), n)


def placebo_p_value(actual_mean: float, pseudo_means: np.ndarray) -> float:
    """Share of pseudo samples at least as extreme as the actual mean (counting the actual one)."""
    extreme = int((np.abs(pseudo_means) >= abs(actual_mean) - 1e-15).sum())
    return (1 + extreme) / (1 + len(pseudo_means))
