"""The sweep's metrics, defined once: a running record of sums over daily returns.

total_return, cagr, max_drawdown, sharpe, sortino, calmar and profit_factor are computed here
and nowhere else: the backtest (backtests/report.py) and the tuner's sweep kernel call the same
numba functions. Conventions (vectorbt's returns accessor, tests/backtests/test_metrics_vectorbt):
252 sessions a year, risk-free rate 0, a session's return is its value against the previous
session's (the first against the initial cash), non-finite results become NaN (JSON null).

API (everything a caller needs; `sums` is one SUMS record, e.g. `array[0]` inside numba code;
a larger record whose fields include SUMS' names works as well):

    SUMS                              numpy dtype of the running sums
    new_sums() -> array               one SUMS record (shape (1,)), reset, for Python callers
    reset_nb(sums)                    start again (count 0, cumulated value 1, no peak)
    period_return_nb(prev, value)     one session's return: (value - prev) / prev
    accumulate_nb(sums, ret)          one session's return into the sums
    add_trade_nb(sums, pnl)           one trade's profit or loss (for profit_factor)
    finalize_nb(sums) -> ReturnMetrics   the seven metrics (allocates nothing)
    return_metrics(returns, pnls) -> ReturnMetrics   all of the above over arrays (Python)
    value_returns(value, init_cash) -> array         the daily returns of a value curve

The *_nb functions are njit(inline="always") without NRT, so a kernel compiled without
reference counting (the sweep) can call them in its inner loop.

Definitions (n sessions, r_t their returns, C_t = prod_{s<=t} (1 + r_s)):
    total_return   C_n - 1
    cagr           C_n ** (252 / n) - 1
    max_drawdown   max_t (1 - C_t / max_{s<=t} C_s), a positive fraction; the peak starts at the
                   first session's close (as vectorbt: the initial cash is not a peak)
    sharpe         mean(r) / std(r, ddof=1) * sqrt(252); std by Welford's update; n < 2: NaN
    sortino        mean(r) * 252 / (sqrt(sum(min(r, 0)^2) / n) * sqrt(252)); n < 2: NaN
    calmar         cagr / max_drawdown (NaN without a drawdown)
    profit_factor  gross profit / gross loss of the trades (NaN without a losing trade)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from strategies.stop_level import WITHOUT_NRT, RecordView

SESSIONS_PER_YEAR = 252.0
"""Sessions a year: annualises cagr, sharpe, sortino and every annualised metric."""

SUMS = np.dtype([
    ("count", np.float64),  # sessions accumulated
    ("mean", np.float64),  # Welford: running mean of the returns
    ("m2", np.float64),  # Welford: sum of squared deviations from the running mean
    ("down2", np.float64),  # sum of squared negative returns
    ("cumprod", np.float64),  # cumulated value C_t (1 before the first session)
    ("peak_cum", np.float64),  # highest C_s so far (-inf before the first session)
    ("min_dd", np.float64),  # lowest C_t / peak - 1 so far (<= 0)
    ("win", np.float64),  # gross profit of the trades
    ("loss", np.float64),  # gross loss of the trades (<= 0)
], align=True)


class ReturnMetrics(NamedTuple):
    """The metrics the sweep ranks rules by (fractions; ratios annualised; NaN: undefined)."""

    total_return: float
    cagr: float
    max_drawdown: float  # positive fraction: 0.15 is a 15% fall
    sharpe: float
    sortino: float
    calmar: float
    profit_factor: float


@njit(cache=True, inline="always", **WITHOUT_NRT)
def reset_nb(sums: RecordView) -> None:
    sums.count = 0.0
    sums.mean = 0.0
    sums.m2 = 0.0
    sums.down2 = 0.0
    sums.cumprod = 1.0
    sums.peak_cum = -np.inf
    sums.min_dd = 0.0
    sums.win = 0.0
    sums.loss = 0.0


@njit(cache=True, inline="always", **WITHOUT_NRT)
def period_return_nb(prev: float, value: float) -> float:
    return (value - prev) / prev


@njit(cache=True, inline="always", **WITHOUT_NRT)
def accumulate_nb(sums: RecordView, ret: float) -> None:
    sums.count += 1.0
    delta = ret - sums.mean
    sums.mean += delta / sums.count
    sums.m2 += delta * (ret - sums.mean)
    if ret < 0.0:
        sums.down2 += ret * ret
    sums.cumprod *= ret + 1.0
    sums.peak_cum = max(sums.peak_cum, sums.cumprod)
    sums.min_dd = min(sums.min_dd, sums.cumprod / sums.peak_cum - 1.0)


@njit(cache=True, inline="always", **WITHOUT_NRT)
def add_trade_nb(sums: RecordView, pnl: float) -> None:
    if pnl > 0.0:
        sums.win += pnl
    elif pnl < 0.0:
        sums.loss += pnl


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _finite(x: float) -> float:
    return x if math.isfinite(x) else np.nan


@njit(cache=True, inline="always", **WITHOUT_NRT)
def finalize_nb(sums: RecordView) -> ReturnMetrics:
    n = sums.count
    ann = SESSIONS_PER_YEAR
    cagr = sums.cumprod ** (ann / n) - 1.0 if n > 0 else np.nan
    drawdown = -sums.min_dd
    std = math.sqrt(sums.m2 / (n - 1.0)) if n > 1 else np.nan
    downside = math.sqrt(sums.down2 / n) * math.sqrt(ann) if n > 0 else np.nan
    sharpe = np.nan if n < 2 else (np.inf if std == 0.0 else sums.mean / std * math.sqrt(ann))
    sortino = np.nan if n < 2 else (np.inf if downside == 0.0 else sums.mean * ann / downside)
    return ReturnMetrics(
        _finite(sums.cumprod - 1.0),
        _finite(cagr),
        _finite(drawdown),
        _finite(sharpe),
        _finite(sortino),
        _finite(cagr / drawdown) if drawdown > 0.0 else np.nan,
        _finite(sums.win / -sums.loss) if sums.loss < 0.0 else np.nan,
    )


@njit(cache=True)
def _reset_all_nb(sums: np.ndarray) -> None:
    reset_nb(sums[0])


@njit(cache=True)
def _fold_nb(sums: np.ndarray, returns: np.ndarray, pnls: np.ndarray) -> ReturnMetrics:
    record = sums[0]
    for k in range(returns.shape[0]):
        accumulate_nb(record, returns[k])
    for k in range(pnls.shape[0]):
        add_trade_nb(record, pnls[k])
    return finalize_nb(record)


@njit(cache=True)
def _value_returns_nb(value: np.ndarray, init_cash: float) -> np.ndarray:
    out = np.empty(value.shape[0])
    prev = init_cash
    for t in range(value.shape[0]):
        out[t] = period_return_nb(prev, value[t])
        prev = value[t]
    return out


def new_sums() -> np.ndarray:
    """One SUMS record (an array of shape (1,)), reset."""
    sums = np.zeros(1, SUMS)
    _reset_all_nb(sums)
    return sums


def value_returns(value: np.ndarray, init_cash: float) -> np.ndarray:
    """Each session's return: against the previous session's value, the first against the
    initial cash."""
    return _value_returns_nb(np.ascontiguousarray(value, dtype=np.float64), float(init_cash))


def return_metrics(returns: np.ndarray, pnls: np.ndarray | None = None) -> ReturnMetrics:
    """The seven metrics of daily returns (and of trades' profit and loss, for
    profit_factor) through the same accumulator as the sweep."""
    trades = np.zeros(0) if pnls is None else np.ascontiguousarray(pnls, dtype=np.float64)
    metrics = _fold_nb(new_sums(), np.ascontiguousarray(returns, dtype=np.float64), trades)
    return ReturnMetrics(*(float(x) for x in metrics))
