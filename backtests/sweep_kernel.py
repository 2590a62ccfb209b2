"""The sweep: every stop rule of a grid through the fill engine, metrics only.

Each rule (a RULE record, strategies/stops.py) runs the same per-bar function as a full
backtest (backtests/kernel.py bar_nb), with an empty Record: nothing is kept but the streamed
statistics (value, returns' sums, the drawdown of cumulated returns, fills, FIFO trades and
their profit and loss). Memory is O(rules x metrics), never bars x rules. The metrics are
backtests/metrics.py's (accumulate_nb at every close, finalize_nb at the end: the functions the
backtest's report calls); tests/tuning checks them against full backtests. Each rule also keeps
the sums of its returns per block of sessions (backtests/cscv.py) and a fingerprint of its
fills (rules with identical fills are one trial).

Rules as the inner dimension: each worker (numba prange) takes blocks of up to MAX_LANES rules
and runs them side by side, session by session, each rule's state one row of the block's
arrays (Lanes). Most bars of most rules are quiet (nothing can fill: kernel_step.quiet_bar_nb
takes them with a few loads and the close); the others run the full bar. Side by side, one
rule's dependency chains (a return's division, the running mean) overlap the next rule's.

Shared prefix: before the first session where a satellite is listed no stop rule can act, so
the state there depends only on the breaker's three fields; it is computed once per breaker
setting and every rule continues from a copy (`prefix_state`, `run_rules`).
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
from numba import njit, prange

from backtests.kernel import bar_nb, returns_step_nb, span_nb
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
    one_array_type,
)
from backtests.kernel_step import quiet_bar_nb
from backtests.lots import open_lots_nb
from backtests.metrics import finalize_nb
from strategies.stop_level import WITHOUT_NRT, RecordView

METRICS = ("total_return", "cagr", "max_drawdown", "sharpe", "sortino", "calmar", "fills",
           "trades", "profit_factor")
BREAKER_FIELDS = ("breaker_drawdown", "rearm_recovery", "rearm_sessions")
"""The rule fields that can act before a satellite lists (the prefix depends on them)."""


@njit(cache=True, **WITHOUT_NRT)
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


class Lanes(NamedTuple):
    """Room for one worker's block of rules run side by side (lanes): the State of each lane
    (backtests/kernel_state.py records and lots, one row per lane) and its block sums.
    Numba's parallel loops take no nested records, so the parts are passed one by one."""

    positions: np.ndarray  # workers x lanes x columns POSITION
    account: np.ndarray  # workers x lanes x 1 ACCOUNT (a lane's: one record, as State's)
    stats: np.ndarray  # workers x lanes x 1 STATS
    lot_size: np.ndarray  # workers x lanes x columns x capacity (Lots' fields)
    lot_price: np.ndarray
    lot_fee: np.ndarray
    lot_idx: np.ndarray
    lot_head: np.ndarray  # workers x lanes x columns
    lot_tail: np.ndarray
    blocks: np.ndarray  # workers x lanes x blocks x BLOCK_SUMS


PAD = 8
"""Spare columns in each worker's scratch rows, so that two workers never write one cache line
(the per-bar step reads only the first m)."""
LANE_BYTES = 8 << 20
"""Lots memory of one worker's lanes at most (the lane count follows from it)."""
MAX_LANES = 128
"""Rules run side by side by one worker: enough to hide each rule's dependency chains (a
return's division, the running mean), few enough that their state stays in the caches."""


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _lane_nb(lanes: Lanes, w: int, k: int) -> State:
    return State(lanes.positions[w, k], lanes.account[w, k], lanes.stats[w, k],
                 Lots(lanes.lot_size[w, k], lanes.lot_price[w, k], lanes.lot_fee[w, k],
                      lanes.lot_idx[w, k], lanes.lot_head[w, k], lanes.lot_tail[w, k]))


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _restore_nb(prefix: State, state: State) -> None:
    """state := prefix (the open lots moved to the front of each column)."""
    for j in range(prefix.positions.shape[0]):
        state.positions[j] = prefix.positions[j]
    state.account[0] = prefix.account[0]
    state.stats[0] = prefix.stats[0]
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


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _copy_blocks_nb(src: np.ndarray, dst: np.ndarray) -> None:
    for b in range(src.shape[0]):
        for f in range(src.shape[1]):
            dst[b, f] = src[b, f]


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _lane_record_nb(record: Record, lanes: Lanes, w: int, k: int) -> Record:
    return Record(record.fills, record.trades, record.cash, record.value, record.open_weight,
                  record.level, record.counts, record.block_of, lanes.blocks[w, k])


@njit(cache=True, **WITHOUT_NRT)
def _lane_block_nb(first: int, last: int, w: int, t0: int, market: Market, orders: Orders,
                   book: Book, rules: np.ndarray, positions: np.ndarray, account: np.ndarray,
                   stats: np.ndarray, lots: Lots, record: Record, lanes: Lanes, fills: np.ndarray,
                   bar: np.ndarray, out: np.ndarray, blocks: np.ndarray,
                   fingerprints: np.ndarray, shortcut: bool) -> None:
    """Rules first..last-1 side by side from the prefix state (its block sums in
    record.blocks): session by session, each rule's bar in turn (kernel.bar_nb, the backtest's
    bar, unless kernel_step.quiet_bar_nb can take it); then each rule's metrics, block sums
    and fingerprint."""
    prefix = State(positions, account, stats, lots)
    scratch = Scratch(fills, bar[: positions.shape[0]])
    for k in range(last - first):
        _restore_nb(prefix, _lane_nb(lanes, w, k))
        _copy_blocks_nb(record.blocks, lanes.blocks[w, k])
    for t in range(t0, market.close.shape[0]):
        for k in range(last - first):
            cash: RecordView = lanes.account[w, k, 0]  # ACCOUNT: cash, value, breaker
            if shortcut and quiet_bar_nb(t, market, orders, book, rules[first + k],
                                         lanes.positions[w, k], cash):
                returns_step_nb(t, cash.value, lanes.stats[w, k, 0], record.block_of,
                                lanes.blocks[w, k])
            else:
                bar_nb(t, market, orders, book, rules[first + k], _lane_nb(lanes, w, k), scratch,
                       _lane_record_nb(record, lanes, w, k))
    for k in range(last - first):
        r = first + k
        state = _lane_nb(lanes, w, k)
        metrics_nb(state, record, out[r])
        _copy_blocks_nb(lanes.blocks[w, k], blocks[r])
        fingerprints[r] = state.stats[0].fingerprint
        if state.stats[0].overflow:
            out[r, :] = np.inf  # a buffer was too small: run_rules raises


@njit(cache=True, parallel=True, nogil=True)
def rules_nb(t0: int, market: Market, orders: Orders, book: Book, rules: np.ndarray,
             positions: np.ndarray, account: np.ndarray, stats: np.ndarray, lots: Lots,
             record: Record, lanes: Lanes, fills: np.ndarray, bar: np.ndarray,
             out: np.ndarray, blocks: np.ndarray, fingerprints: np.ndarray,
             shortcut: bool) -> None:
    """Every rule from the prefix state at bar t0 to the end: metrics, block sums and
    fingerprints. Worker w runs the lane blocks w, w + workers, ... (each of up to
    `lanes.positions.shape[1]` rules side by side); `shortcut`: quiet bars take
    kernel_step.quiet_bar_nb (False: every bar the full step, for tests and benchmarks)."""
    workers, width = lanes.positions.shape[0], lanes.positions.shape[1]
    count = rules.shape[0]
    for parallel_w in prange(workers):
        w = np.int64(parallel_w)  # prange's index is unsigned in the parallel body: one type
        for first in range(w * width, count, workers * width):
            _lane_block_nb(first, min(count, first + width), w, t0, market, orders, book, rules,
                           positions, account, stats, lots, record, lanes, fills[w], bar[w],
                           out, blocks, fingerprints, shortcut)


class SweepOut(NamedTuple):
    """What the sweep keeps of each rule (rows in the order of the rules given)."""

    metrics: np.ndarray  # rules x METRICS
    blocks: np.ndarray  # rules x blocks x BLOCK_FIELDS (0 blocks: not kept)
    fingerprints: np.ndarray  # uint64 per rule: equal when the fills are identical


def new_lanes(workers: int, rules: int, prefix: State, t0: int, market: Market,
              record: Record) -> Lanes:
    """Room for `workers` workers' lanes: the lots hold the prefix's open ones and one buy per
    column per session after it (the bound new_state uses)."""
    sessions, m = market.close.shape
    live = int((prefix.lots.tail - prefix.lots.head).max()) if m else 0
    capacity = live + sessions - t0 + 1
    width = max(1, min(MAX_LANES, -(-rules // workers), LANE_BYTES // (32 * m * capacity)))
    shape = (workers, width, m, capacity)
    return Lanes(np.empty((workers, width, m), prefix.positions.dtype),
                 np.empty((workers, width, 1), prefix.account.dtype),
                 np.empty((workers, width, 1), prefix.stats.dtype),
                 np.empty(shape), np.empty(shape), np.empty(shape), np.empty(shape, np.int64),
                 np.zeros((workers, width, m), np.int64), np.zeros((workers, width, m), np.int64),
                 np.empty((workers, width, *record.blocks.shape)))


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
              share: bool = True, shortcut: bool = True) -> SweepOut:
    """Every rule's METRICS (and, given block_of, a block per session, the sums of `blocks`
    blocks); rules grouped by breaker setting, each group from its shared prefix."""
    market, orders, book = one_array_type(market), one_array_type(orders), one_array_type(book)
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
        part = SweepOut(np.full((len(rows), len(METRICS)), np.nan),
                        np.empty((len(rows), *out.blocks.shape[1:])), np.zeros(len(rows), np.uint64))
        workers = max(1, min(numba.get_num_threads(), len(rows)))
        scratch = [new_scratch(m + PAD) for _ in range(workers)]  # rows apart: no shared line
        rules_nb(t0, market, orders, book, np.ascontiguousarray(rules[rows]), *state[:3],
                 state.lots, record, new_lanes(workers, len(rows), state, t0, market, record),
                 np.stack([s.fills for s in scratch]), np.stack([s.bar for s in scratch]), *part,
                 shortcut)
        out.metrics[rows], out.blocks[rows], out.fingerprints[rows] = part
    if np.isinf(out.metrics).all(axis=1).any():
        raise RuntimeError("the sweep kernel ran out of room for fills or lots")
    return out
