"""The sweep: every stop rule of a grid through the fill engine, metrics only.

Each rule (a RULE record, strategies/stops.py) runs the same driver and per-bar step as a full
backtest (backtests/kernel.py span_nb), with an empty Record: nothing is kept but the streamed
statistics (value, returns' sums, the drawdown of cumulated returns, fills, FIFO trades and
their profit and loss). Memory is O(rules x metrics), never bars x rules. Rules are cut into
chunks that run in parallel (numba prange), each chunk reusing one state and scratch. The
metrics are backtests/metrics.py's (accumulate_nb at every close, finalize_nb at the end: the
functions the backtest's report calls); tests/tuning checks them against full backtests. Each
rule also keeps the sums of its returns per block of sessions (backtests/cscv.py) and a
fingerprint of its fills (rules with identical fills are one trial).

Shared prefix: before the first session where a satellite is listed no stop rule can act, so
the state there depends only on the breaker's three fields; it is computed once per breaker
setting and every rule continues from a copy (`prefix_state`, `run_rules`).
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
from numba import njit, prange

from backtests.kernel import span_nb
from backtests.kernel_state import (
    BLOCK_SUMS,
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
from backtests.metrics import finalize_nb
from strategies.stop_level import RecordView

METRICS = ("total_return", "cagr", "max_drawdown", "sharpe", "sortino", "calmar", "fills",
           "trades", "profit_factor")
BREAKER_FIELDS = ("breaker_drawdown", "rearm_recovery", "rearm_sessions")
"""The rule fields that can act before a satellite lists (the prefix depends on them)."""


@njit(cache=True)
def metrics_nb(state: State, record: Record, out: np.ndarray) -> None:
    """METRICS of a finished run from its streamed sums, through backtests/metrics.py's
    finalize_nb (the one definition); the lots still open count in the profit factor, valued
    at the last close."""
    stats = state.stats[0]
    open_lots_nb(state.lots, state.positions, 0, stats, record.trades, 0)
    metrics = finalize_nb(stats)
    out[0] = metrics.total_return
    out[1] = metrics.cagr
    out[2] = metrics.max_drawdown
    out[3] = metrics.sharpe
    out[4] = metrics.sortino
    out[5] = metrics.calmar
    out[6] = stats.fills
    out[7] = stats.trades
    out[8] = metrics.profit_factor


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
              lots: Lots, scratch: Scratch, record: Record, out: np.ndarray,
              blocks: np.ndarray, fingerprints: np.ndarray) -> None:
    """Rules first..last-1 from the prefix state (its block sums in record.blocks), one state
    and scratch reused; each rule's block sums go to blocks[r]."""
    prefix = State(positions, account, stats, lots)
    state = _copy_state_nb(positions, account, stats, lots)
    own = Scratch(scratch.fills.copy(), scratch.bar.copy())
    n = market.close.shape[0]
    for r in range(first, last):
        _restore_nb(prefix, state)
        blocks[r] = record.blocks
        mine = Record(record.fills, record.trades, record.cash, record.value, record.open_weight,
                      record.level, record.counts, record.block_of, blocks[r])
        span_nb(t0, n, market, orders, book, rules[r], state, own, mine)
        metrics_nb(state, mine, out[r])
        fingerprints[r] = state.stats[0].fingerprint
        if state.stats[0].overflow:
            out[r, :] = np.inf  # a buffer was too small: run_rules raises


@njit(cache=True, parallel=True, nogil=True)
def rules_nb(t0: int, market: Market, orders: Orders, book: Book, rules: np.ndarray,
             positions: np.ndarray, account: np.ndarray, stats: np.ndarray, lots: Lots,
             scratch: Scratch, record: Record, chunks: int, out: np.ndarray,
             blocks: np.ndarray, fingerprints: np.ndarray) -> None:
    """Every rule from the prefix state (its four parts: numba's parallel loops take no
    nested records) at bar t0 to the end: metrics, block sums and fingerprints."""
    count = rules.shape[0]
    per = (count + chunks - 1) // chunks
    for c in prange(chunks):
        _chunk_nb(c * per, min(count, (c + 1) * per), t0, market, orders, book, rules,
                  positions, account, stats, lots, scratch, record, out, blocks, fingerprints)


class SweepOut(NamedTuple):
    """What the sweep keeps of each rule (rows in the order of the rules given)."""

    metrics: np.ndarray  # rules x METRICS
    blocks: np.ndarray  # rules x blocks x BLOCK_FIELDS (0 blocks: not kept)
    fingerprints: np.ndarray  # uint64 per rule: equal when the fills are identical


def prefix_length(book: Book, market: Market) -> int:
    """Sessions before the first one where a satellite is listed (no stop can act there)."""
    listed = ~np.isnan(market.open[:, book.satellite])
    rows = np.flatnonzero(listed.any(axis=1))
    return int(rows[0]) if len(rows) else market.open.shape[0]


def prefix_state(market: Market, orders: Orders, book: Book, rule: RecordView, record: Record,
                 share: bool = True) -> tuple[int, State]:
    """(t0, state) at the end of the shared prefix for rules with `rule`'s breaker fields;
    the prefix's block sums go into record.blocks."""
    sessions, m = market.close.shape
    state = new_state(m, book.init_cash, sessions)
    t0 = prefix_length(book, market) if share else 0
    if t0 > 0:
        span_nb(0, t0, market, orders, book, rule, state, new_scratch(m), record)
    return t0, state


def run_rules(market: Market, orders: Orders, book: Book, rules: np.ndarray,
              block_of: np.ndarray | None = None, blocks: int = 0,
              share: bool = True) -> SweepOut:
    """Every rule's METRICS (and, given block_of, a block per session, the sums of `blocks`
    blocks); rules grouped by breaker setting, each group from its shared prefix."""
    count = len(rules)
    out = SweepOut(np.full((count, len(METRICS)), np.nan),
                   np.zeros((count, blocks if block_of is not None else 0, BLOCK_SUMS)),
                   np.zeros(count, np.uint64))
    breaker = np.nan_to_num(np.column_stack([rules[name].astype(float) for name in BREAKER_FIELDS]),
                            nan=-1.0)
    keys, which = np.unique(breaker, axis=0, return_inverse=True)
    m = market.close.shape[1]
    for key in range(len(keys)):
        rows = np.flatnonzero(which.ravel() == key)
        record = no_record(m, block_of, out.blocks.shape[1])
        t0, state = prefix_state(market, orders, book, rules[rows[0]], record, share)
        chunks = max(1, min(len(rows), 4 * numba.get_num_threads()))
        part = SweepOut(np.full((len(rows), len(METRICS)), np.nan),
                        np.empty((len(rows), *out.blocks.shape[1:])), np.zeros(len(rows), np.uint64))
        rules_nb(t0, market, orders, book, np.ascontiguousarray(rules[rows]), *state[:3],
                 state.lots, new_scratch(m), record, chunks, *part)
        out.metrics[rows], out.blocks[rows], out.fingerprints[rows] = part
    if np.isinf(out.metrics).all(axis=1).any():
        raise RuntimeError("the sweep kernel ran out of room for fills or lots")
    return out
