"""Metrics of daily returns beyond the sweep's seven (backtests/metrics.py), each defined once.

Conventions as there: 252 sessions a year, risk-free rate 0, fractions (0.15 is 15%),
non-finite results NaN. `returns` are the sessions' returns (metrics.value_returns), the
benchmark's over the same sessions. Definitions, with a = r - b the active return:

    volatility         std(r, ddof=1) * sqrt(252)
    best_day/worst_day max(r) / min(r)
    beta               cov(r, b) / var(b) (population moments, as vectorbt and empyrical)
    alpha              (1 + mean(r - beta * b)) ** 252 - 1 (annualised, as vectorbt/empyrical)
    tracking_error     std(a, ddof=1) * sqrt(252)
    information_ratio  mean(a) * 252 / tracking_error (annualised; vectorbt's is not)
    up_capture         CAGR of r on the sessions with b > 0 / CAGR of b on them (empyrical)
    down_capture       the same on the sessions with b < 0
    monthly_returns    {"YYYY-MM": prod(1 + r) - 1 over the month's sessions}; a year's return
                       compounds its months (monthly_grid)
    drawdowns          the five deepest falls of C_t = prod(1 + r): start (the peak session),
                       trough, recovery (first session back at the peak, or None), depth
                       (positive fraction), length (sessions from the peak to the recovery, or
                       to the last session while not recovered)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from backtests.metrics import SESSIONS_PER_YEAR, return_metrics

WORST_DRAWDOWNS = 5


class Drawdown(NamedTuple):
    start: pd.Timestamp  # the session of the peak
    trough: pd.Timestamp
    recovery: pd.Timestamp | None  # the first session back at the peak; None: not yet
    depth: float  # positive fraction
    length: int  # sessions from start to recovery (or to the last session)

    def as_json(self) -> dict[str, object]:
        return {"start": f"{self.start:%Y-%m-%d}", "trough": f"{self.trough:%Y-%m-%d}",
                "recovery": None if self.recovery is None else f"{self.recovery:%Y-%m-%d}",
                "depth": self.depth, "length": self.length}


class RiskMetrics(NamedTuple):
    volatility: float
    best_day: float
    worst_day: float


class RelativeMetrics(NamedTuple):
    """Against a benchmark's returns over the same sessions."""

    alpha: float
    beta: float
    information_ratio: float
    tracking_error: float
    up_capture: float
    down_capture: float


def finite(x: float) -> float:
    return float(x) if math.isfinite(x) else math.nan


def _std(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1)) if len(x) > 1 else math.nan


def risk_metrics(returns: np.ndarray) -> RiskMetrics:
    if len(returns) == 0:
        return RiskMetrics(math.nan, math.nan, math.nan)
    return RiskMetrics(finite(_std(returns) * math.sqrt(SESSIONS_PER_YEAR)),
                       float(np.max(returns)), float(np.min(returns)))


def beta(returns: np.ndarray, bench: np.ndarray) -> float:
    if len(bench) < 2:
        return math.nan
    centred = bench - np.mean(bench)
    variance = float(np.mean(centred**2))
    return finite(float(np.mean(centred * returns)) / variance) if variance >= 1e-30 else math.nan


def _capture(returns: np.ndarray, bench: np.ndarray, sessions: np.ndarray) -> float:
    if not sessions.any():
        return math.nan
    ours, theirs = return_metrics(returns[sessions]).cagr, return_metrics(bench[sessions]).cagr
    return finite(ours / theirs) if theirs != 0.0 else math.nan


def relative_metrics(returns: np.ndarray, bench: np.ndarray) -> RelativeMetrics:
    b = beta(returns, bench)
    alpha = (1.0 + float(np.mean(returns - b * bench))) ** SESSIONS_PER_YEAR - 1.0 \
        if len(returns) > 1 else math.nan
    active = returns - bench
    tracking = _std(active) * math.sqrt(SESSIONS_PER_YEAR)
    info = float(np.mean(active)) * SESSIONS_PER_YEAR / tracking if tracking > 0 else math.nan
    return RelativeMetrics(finite(alpha), b, finite(info), finite(tracking),
                           _capture(returns, bench, bench > 0), _capture(returns, bench, bench < 0))


def monthly_returns(returns: pd.Series) -> dict[str, float]:
    """{"YYYY-MM": the month's compounded return}, months in order (partial ones included)."""
    months = pd.DatetimeIndex(returns.index).strftime("%Y-%m")
    growth = (1.0 + returns).groupby(months).prod() - 1.0
    return {str(month): float(value) for month, value in growth.items()}


def monthly_grid(monthly: dict[str, float]) -> dict[str, list[float | None]]:
    """{"YYYY": the twelve monthly returns (None: no session that month), then the year's
    (the months compounded)}."""
    years: dict[str, list[float | None]] = {}
    for key, value in monthly.items():
        year, month = key.split("-")
        years.setdefault(year, [None] * 13)[int(month) - 1] = value
    for row in years.values():
        growth = 1.0
        for month_return in row[:12]:
            growth *= 1.0 + (month_return or 0.0)
        row[12] = growth - 1.0
    return years


def growth_curve(returns: pd.Series) -> pd.Series:
    """C_t - 1: the run's growth since the start (0.25 is +25%)."""
    return (1.0 + returns).cumprod() - 1.0


def drawdown_curve(returns: pd.Series) -> pd.Series:
    """C_t / max_{s<=t} C_s - 1 per session (<= 0); its minimum is -max_drawdown."""
    cum = (1.0 + returns).cumprod()
    return cum / cum.cummax() - 1.0


def drawdowns(returns: pd.Series, worst: int = WORST_DRAWDOWNS) -> list[Drawdown]:
    """The `worst` deepest drawdowns of the cumulated returns, deepest first."""
    cum = np.cumprod(1.0 + returns.to_numpy(float))
    sessions = pd.DatetimeIndex(returns.index)
    found: list[Drawdown] = []
    peak_idx, trough_idx = 0, 0
    for t in range(1, len(cum)):
        if cum[t] >= cum[peak_idx]:
            if trough_idx > peak_idx:  # recovered from a fall
                found.append(_drawdown(sessions, cum, peak_idx, trough_idx, t))
            peak_idx = trough_idx = t
        elif cum[t] < cum[trough_idx]:
            trough_idx = t
    if trough_idx > peak_idx:
        found.append(_drawdown(sessions, cum, peak_idx, trough_idx, None))
    found.sort(key=lambda d: (-d.depth, d.start))
    return found[:worst]


def _drawdown(sessions: pd.DatetimeIndex, cum: np.ndarray, peak: int, trough: int,
              recovery: int | None) -> Drawdown:
    end = recovery if recovery is not None else len(cum) - 1
    return Drawdown(sessions[peak], sessions[trough],
                    None if recovery is None else sessions[recovery],
                    float(1.0 - cum[trough] / cum[peak]), end - peak)
