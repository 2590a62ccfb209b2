"""The sweep: every stop rule of a grid through the fill engine, metrics only.

Each rule (a RULE record, strategies/stops.py) runs the same driver and per-bar step as a full
backtest (backtests/kernel.py span_nb), with an empty Record: nothing is kept but the streamed
statistics (value, returns' sums, the drawdown of cumulated returns, fills, FIFO trades and
their profit and loss). Memory is O(rules x metrics), never bars x rules. Rules are cut into
chunks that run in parallel (numba prange), each chunk reusing one state and scratch. The
formulas mirror backtests/report.py (vectorbt's returns accessor, 252 sessions a year):
tests/tuning checks them against full backtests.

Shared prefix: before the first session where a satellite is listed no stop rule can act, so
the state there depends only on the breaker's three fields; it is computed once per breaker
setting and every rule continues from a copy (`prefix_state`, `run_rules`).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

from backtests.kernel import span_nb
from backtests.kernel_state import (
    Book,
    Lots,
    Market,
    Orders,
    Record,
    Scratch,
    State,
    new_scratch,
    new_state,
    no_record,
)
from backtests.lots import open_lots_nb
from strategies.stop_level import RecordView

METRICS = ("total_return", "cagr", "max_drawdown", "sharpe", "sortino", "calmar", "fills",
           "trades", "profit_factor")
SESSIONS_PER_YEAR = 252.0
BREAKER_FIELDS = ("breaker_drawdown", "rearm_recovery", "rearm_sessions")
"""The rule fields that can act before a satellite lists (the prefix depends on them)."""


@njit(cache=True)
def metrics_nb(state: State, record: Record, init_cash: float, out: np.ndarray) -> None:
    """The metrics of METRICS from the streamed sums (report.portfolio_stats' formulas); the
    lots still open count in the profit factor, valued at the last close."""
    stats = state.stats[0]
    open_lots_nb(state.lots, state.positions, 0, stats, record.trades, 0)
    n = stats.count
    ann = SESSIONS_PER_YEAR
    cagr = stats.cumprod ** (ann / n) - 1.0 if n > 0 else np.nan
    max_dd = stats.min_dd
    mean = stats.sum_r / n
    std = math.sqrt(stats.m2 / (n - 1.0)) if n > 1 else np.nan
    down = math.sqrt(stats.down2 / n) * math.sqrt(ann)
    out[0] = (stats.prev - init_cash) / init_cash
    out[1] = cagr
    out[2] = abs(max_dd)
    out[3] = np.nan if n < 2 else (np.inf if std == 0.0 else mean / std * math.sqrt(ann))
    out[4] = np.nan if n < 2 else (np.inf if down == 0.0 else mean * ann / down)
    out[5] = np.nan if max_dd == 0.0 else cagr / abs(max_dd)
    out[6] = stats.fills
    out[7] = stats.trades
    out[8] = np.nan if stats.loss == 0.0 else stats.win / abs(stats.loss)
    for k in range(out.shape[0]):
        if not math.isfinite(out[k]):
            out[k] = np.nan


@njit(cache=True)
def _copy_state_nb(positions: np.ndarray, account: np.ndarray, stats: np.ndarray,
                   lots: Lots) -> State:
    return State(positions.copy(), account.copy(), stats.copy(),
                 Lots(np.empty_like(lots.size), np.empty_like(lots.price),
                      np.empty_like(lots.fee_per_share), np.empty_like(lots.idx),
                      np.zeros_like(lots.head), np.zeros_like(lots.tail)))


@njit(cache=True)
def _restore_nb(prefix: State, state: State) -> None:
    """state := prefix (the open lots moved to the front of each column)."""
    state.positions[:] = prefix.positions
    state.account[:] = prefix.account
    state.stats[:] = prefix.stats
    src, dst = prefix.lots, state.lots
    for j in range(src.head.shape[0]):
        live = src.tail[j] - src.head[j]
        for k in range(live):
            dst.size[j, k] = src.size[j, src.head[j] + k]
            dst.price[j, k] = src.price[j, src.head[j] + k]
            dst.fee_per_share[j, k] = src.fee_per_share[j, src.head[j] + k]
            dst.idx[j, k] = src.idx[j, src.head[j] + k]
        dst.head[j] = 0
        dst.tail[j] = live


@njit(cache=True)
def _chunk_nb(first: int, last: int, t0: int, market: Market, orders: Orders, book: Book,
              rules: np.ndarray, positions: np.ndarray, account: np.ndarray, stats: np.ndarray,
              lots: Lots, scratch: Scratch, record: Record, out: np.ndarray) -> None:
    """Rules first..last-1 from the prefix state, one state and scratch reused."""
    prefix = State(positions, account, stats, lots)
    state = _copy_state_nb(positions, account, stats, lots)
    own = Scratch(scratch.fills.copy(), scratch.bar.copy())
    n = market.close.shape[0]
    for r in range(first, last):
        _restore_nb(prefix, state)
        span_nb(t0, n, market, orders, book, rules[r], state, own, record)
        metrics_nb(state, record, book.init_cash, out[r])
        if state.stats[0].overflow:
            out[r, :] = np.inf  # a buffer was too small: run_rules raises


@njit(cache=True, parallel=True)
def rules_nb(t0: int, market: Market, orders: Orders, book: Book, rules: np.ndarray,
             positions: np.ndarray, account: np.ndarray, stats: np.ndarray, lots: Lots,
             scratch: Scratch, record: Record, chunks: int) -> np.ndarray:
    """Every rule from the prefix state (its four parts: numba's parallel loops take no
    nested records) at bar t0 to the end: metrics (rules x METRICS)."""
    count = rules.shape[0]
    out = np.full((count, 9), np.nan)
    per = (count + chunks - 1) // chunks
    for c in prange(chunks):
        _chunk_nb(c * per, min(count, (c + 1) * per), t0, market, orders, book, rules,
                  positions, account, stats, lots, scratch, record, out)
    return out


def prefix_length(book: Book, market: Market) -> int:
    """Sessions before the first one where a satellite is listed (no stop can act there)."""
    listed = ~np.isnan(market.open[:, book.satellite])
    rows = np.flatnonzero(listed.any(axis=1))
    return int(rows[0]) if len(rows) else market.open.shape[0]


def prefix_state(market: Market, orders: Orders, book: Book, rule: RecordView,
                 share: bool = True) -> tuple[int, State]:
    """(t0, state) at the end of the shared prefix for rules with `rule`'s breaker fields."""
    sessions, m = market.close.shape
    state = new_state(m, book.init_cash, sessions)
    t0 = prefix_length(book, market) if share else 0
    if t0 > 0:
        span_nb(0, t0, market, orders, book, rule, state, new_scratch(m), no_record(m))
    return t0, state


def run_rules(market: Market, orders: Orders, book: Book, rules: np.ndarray,
              share: bool = True) -> np.ndarray:
    """Metrics (len(rules) x len(METRICS)) of every rule; rules grouped by breaker setting."""
    out = np.full((len(rules), len(METRICS)), np.nan)
    breaker = np.nan_to_num(np.column_stack([rules[name].astype(float) for name in BREAKER_FIELDS]),
                            nan=-1.0)
    keys, which = np.unique(breaker, axis=0, return_inverse=True)
    m = market.close.shape[1]
    for key in range(len(keys)):
        rows = np.flatnonzero(which.ravel() == key)
        t0, state = prefix_state(market, orders, book, rules[rows[0]], share)
        chunks = max(1, min(len(rows), 4 * numba.get_num_threads()))
        out[rows] = rules_nb(t0, market, orders, book, np.ascontiguousarray(rules[rows]),
                             *state[:3], state.lots, new_scratch(m), no_record(m), chunks)
    if np.isinf(out).all(axis=1).any():
        raise RuntimeError("the sweep kernel ran out of room for fills or lots")
    return out
