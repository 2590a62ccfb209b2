"""The event study's kernels: market-model abnormal returns, CARs and cross-sectional t-stats.

Pure functions: arrays in, typed results out. Returns are simple daily close-to-close returns.

For an event whose day 0 sits at position p of a ticker's return array, with event window
[w0, w1] (sessions relative to day 0), the estimation window is the `estimation` returns ending
`gap` sessions before the event window: positions [p + w0 - gap - estimation, p + w0 - gap - 1].
The model, by what exists there (pairs where the ticker and benchmark returns are both known):

- market: OLS r = alpha + beta * r_bench + e on >= min_estimation sessions; AR = r - alpha -
  beta * r_bench. Flagged when fewer than `estimation` sessions existed (recent listing).
- benchmark_adjusted: fewer than min_estimation sessions: AR = r - r_bench (beta 1), flagged.
- constant_mean: no benchmark (an event on the benchmark itself): AR = r - mean(r).
- raw: no benchmark and too short a history: AR = r, flagged.

The fitted models (market, constant_mean) also keep the estimation-window residuals and what the
forecast-error variance of a CAR needs (events/significance.py standardises and ranks with them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

Model = Literal["market", "benchmark_adjusted", "constant_mean", "raw"]
STANDARD_WINDOWS: tuple[tuple[int, int], ...] = ((0, 0), (0, 1), (0, 5), (-5, 20))
MIN_EVENTS = 3  # fewest events for a t-stat, a 95% band or a p-value (the placebo one apart)


@dataclass(frozen=True)
class StudySettings:
    """window: event window in sessions around day 0; estimation: sessions of the estimation
    window; gap: sessions between it and the event window; min_estimation: fewest sessions for
    a fitted model (below it: benchmark-adjusted returns); placebo_draws and seed: the placebo
    test's pseudo-event samples."""

    window: tuple[int, int] = (-5, 20)
    estimation: int = 120
    gap: int = 5
    min_estimation: int = 30
    placebo_draws: int = 2000  # pseudo-event samples per group and window (>= 1000 in the CLI)
    seed: int = 15  # of the placebo draws: the same seed gives the same p-values

    def __post_init__(self) -> None:
        first, last = self.window
        if not first <= 0 <= last:
            raise ValueError(f"window {first}:{last} must contain day 0 (first <= 0 <= last)")
        if self.estimation < 2 or self.gap < 0 or self.min_estimation < 2:
            raise ValueError("estimation and min_estimation must be >= 2 and gap >= 0")
        if self.placebo_draws < 1:
            raise ValueError("placebo_draws must be >= 1")

    @property
    def days(self) -> np.ndarray:
        return np.arange(self.window[0], self.window[1] + 1)

    def sub_windows(self) -> list[tuple[int, int]]:
        """The standard sub-windows inside the event window, then the window itself."""
        inside = [pair for pair in STANDARD_WINDOWS
                  if self.window[0] <= pair[0] and pair[1] <= self.window[1]]
        return inside if self.window in inside else [*inside, self.window]


class AbnormalReturns(NamedTuple):
    """alpha/beta: the expected return is (alpha or 0) + (beta or 0) * r_bench for every model
    (constant_mean: alpha is the mean; benchmark_adjusted: beta 1; raw: neither)."""

    model: Model
    flagged: bool
    estimation_sessions: int
    alpha: float | None
    beta: float | None
    sigma: float | None  # residual standard deviation over the estimation window
    ar: np.ndarray  # one per day of the event window; NaN where a return is missing
    # fitted models only (NaN / None otherwise): the estimation window's residuals, `estimation`
    # long and aligned on its relative days (NaN where unknown or before the first session) ...
    residuals: np.ndarray = np.empty(0)
    # ... and the benchmark over the event window, its estimation mean and sum of squares
    event_bench: np.ndarray | None = None
    bench_mean: float | None = None
    bench_sxx: float | None = None

    @property
    def fitted(self) -> bool:
        """A model estimated on >= min_estimation sessions (market or constant_mean)."""
        return self.sigma is not None and math.isfinite(self.sigma)

    def expected(self, bench: np.ndarray | float | None) -> np.ndarray | float:
        """The model's expected return given benchmark return(s) over the same span."""
        base = 0.0 if self.alpha is None else self.alpha
        if self.beta is None or bench is None:
            return base if bench is None else np.full(np.shape(bench), base)
        return base + self.beta * np.asarray(bench, dtype=float)


class Aggregate(NamedTuple):
    mean: float | None
    t_stat: float | None
    n: int


def simple_returns(close: np.ndarray) -> np.ndarray:
    """r[t] = close[t] / close[t-1] - 1, NaN at t = 0."""
    close = np.asarray(close, dtype=float)
    out = np.full(close.shape, np.nan)
    out[1:] = close[1:] / close[:-1] - 1.0
    return out


def ols(y: np.ndarray, x: np.ndarray) -> tuple[float, float, float]:
    """alpha, beta and residual standard deviation (n - 2 degrees of freedom) of y on x."""
    x_mean, y_mean = x.mean(), y.mean()
    sxx = float(((x - x_mean) ** 2).sum())
    beta = float(((x - x_mean) * (y - y_mean)).sum() / sxx) if sxx > 0 else 0.0
    alpha = float(y_mean - beta * x_mean)
    residuals = y - alpha - beta * x
    sigma = math.sqrt(float((residuals**2).sum()) / (len(y) - 2)) if len(y) > 2 else math.nan
    return alpha, beta, sigma


def abnormal_returns(
    returns: np.ndarray,
    bench: np.ndarray | None,
    position: int,
    settings: StudySettings,
) -> AbnormalReturns:
    """AR over the event window for day 0 at `position` of `returns` (bench on the same index)."""
    returns = np.asarray(returns, dtype=float)
    market = None if bench is None else np.asarray(bench, dtype=float)
    first, last = settings.window
    end = position + first - settings.gap  # exclusive
    span = np.arange(end - settings.estimation, end)  # the estimation window's positions
    window_r, window_m = _take(returns, span), None if market is None else _take(market, span)
    known = np.isfinite(window_r) if window_m is None else np.isfinite(window_r) & np.isfinite(window_m)
    count = int(known.sum())
    short = count < settings.estimation

    positions = np.arange(position + first, position + last + 1)
    event_r = _take(returns, positions)
    if market is not None and window_m is not None:
        event_m = _take(market, positions)
        if count >= settings.min_estimation:
            alpha, beta, sigma = ols(window_r[known], window_m[known])
            residuals = np.where(known, window_r - alpha - beta * window_m, np.nan)
            bench_mean = float(window_m[known].mean())
            sxx = float(((window_m[known] - bench_mean) ** 2).sum())
            return AbnormalReturns("market", short, count, alpha, beta, sigma,
                                   event_r - alpha - beta * event_m, residuals, event_m, bench_mean, sxx)
        return AbnormalReturns("benchmark_adjusted", True, count, None, 1.0, None, event_r - event_m,
                               np.full(settings.estimation, np.nan), event_m)
    if count >= settings.min_estimation:
        mean = float(window_r[known].mean())
        sigma = float(window_r[known].std(ddof=1))
        return AbnormalReturns("constant_mean", short, count, mean, None, sigma, event_r - mean,
                               np.where(known, window_r - mean, np.nan))
    return AbnormalReturns("raw", True, count, None, None, None, event_r,
                           np.full(settings.estimation, np.nan))


def _take(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """values at positions, NaN for positions outside the array."""
    inside = (positions >= 0) & (positions < len(values))
    out = np.full(len(positions), np.nan)
    out[inside] = values[positions[inside]]
    return out


def car_sd(result: AbnormalReturns, settings: StudySettings, first: int, last: int) -> float | None:
    """Standard deviation of the CAR from day `first` to `last` under the fitted model, with the
    forecast-error correction: sigma^2 * (L + L^2/M + (sum of (r_bench - mean))^2 / Sxx) for the
    market model, sigma^2 * (L + L^2/M) for the constant mean (L days, M estimation sessions).
    None for the fallback models (no estimation window to measure the noise on) and for a model
    that fits without error (sigma 0: nothing to standardise by)."""
    if not result.fitted or result.sigma is None or result.sigma <= 0:
        return None
    length, count = last - first + 1, result.estimation_sessions
    variance = length + length**2 / count
    if result.model == "market":
        assert result.event_bench is not None and result.bench_mean is not None
        assert result.bench_sxx is not None
        lo = first - settings.window[0]
        deviation = float((result.event_bench[lo:lo + length] - result.bench_mean).sum())
        if not math.isfinite(deviation):
            return None
        variance += deviation**2 / result.bench_sxx if result.bench_sxx > 0 else 0.0
    return result.sigma * math.sqrt(variance)


def car(ar: np.ndarray, settings: StudySettings, first: int, last: int) -> float | None:
    """Sum of AR from day `first` to day `last`; None if a day is missing or outside the window."""
    lo, hi = first - settings.window[0], last - settings.window[0]
    if lo < 0 or hi >= len(ar) or lo > hi:
        return None
    part = ar[lo:hi + 1]
    return float(part.sum()) if np.isfinite(part).all() else None


def car_path(ar: np.ndarray) -> np.ndarray:
    """Cumulative AR from the first day of the window; NaN from the first missing day on."""
    out = np.cumsum(ar)
    missing = ~np.isfinite(ar)
    if missing.any():
        out[int(np.argmax(missing)):] = np.nan
    return out


def aggregate(values: list[float | None]) -> Aggregate:
    """Mean, cross-sectional t-stat (mean / (sd / sqrt n)) and n of the known values; no t-stat
    below MIN_EVENTS (two values' standard deviation is too noisy to divide by)."""
    known = np.array([value for value in values if value is not None and math.isfinite(value)])
    n = len(known)
    if n == 0:
        return Aggregate(None, None, 0)
    mean = float(known.mean())
    if n < MIN_EVENTS:
        return Aggregate(mean, None, n)
    sd = float(known.std(ddof=1))
    return Aggregate(mean, mean / (sd / math.sqrt(n)) if sd > 0 else None, n)


def study_event(
    close: pd.Series,
    bench_close: pd.Series | None,
    day0: pd.Timestamp,
    settings: StudySettings,
) -> AbnormalReturns:
    """AR of one event from close series indexed by session (the benchmark reindexed onto the
    ticker's sessions; returns are computed on each series' own sessions first)."""
    returns = simple_returns(close.to_numpy())
    bench = None
    if bench_close is not None:
        bench_returns = pd.Series(simple_returns(bench_close.to_numpy()), index=bench_close.index)
        bench = bench_returns.reindex(close.index).to_numpy(dtype=float)
    position = int(pd.DatetimeIndex(close.index).get_loc(day0))  # type: ignore[arg-type]
    return abnormal_returns(returns, bench, position, settings)
