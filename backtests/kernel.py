"""The fill engine's driver: bars t0..t1 of one run through the per-bar step, fills folded.

vectorbt's from_signals covers fixed, trailing-from-high and take-profit stops with OHLC fills,
but not a trail from closes, ATR or time stops, a portfolio drawdown breaker, caps judged at
every close, one-shot entry groups, or a named reason on each exit; so the decisions live here
(numba, cache=True) and vectorbt does the accounting from the fills (backtests/engine.py).

One driver for every run: `span_nb` steps the bars (backtests/kernel_step.py), turns each
bar's fills into FIFO lots and trades (backtests/lots.py) and streams the return statistics.
A full backtest passes a Record with room and gets every fill, trade and per-bar state back;
the sweep (backtests/sweep_kernel.py) passes an empty Record and keeps only the statistics.

Buys are sized as a weight of portfolio value at the fill: shares x price = w x V / (1 + w k)
with k = (1 + slippage)(1 + fees) - 1, so the weight after fees is exactly w; a rebalance
trades to target percentages of the value at the open. Each fill pays fees x shares x fill
price once; fill prices include slippage against the trader.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from backtests.kernel_state import (
    Book,
    Market,
    Orders,
    Record,
    Scratch,
    State,
    new_record,
    new_scratch,
    new_state,
    one_array_type,
)
from backtests.kernel_step import bar_step_nb
from backtests.lots import add_lot_nb, open_lots_nb, sell_lots_nb
from backtests.metrics import accumulate_nb, period_return_nb
from strategies.stop_level import WITHOUT_NRT, RecordView


@njit(cache=True, inline="always", **WITHOUT_NRT)
def returns_step_nb(t: int, value: float, stats: RecordView, block_of: np.ndarray,
                    blocks: np.ndarray) -> None:
    """Session t's return (against the previous value) into the metrics' running sums
    (backtests/metrics.py) and, when blocks are kept (Record.blocks), into its block's sums."""
    r = period_return_nb(stats.prev, value)
    stats.prev = value
    accumulate_nb(stats, r)
    if blocks.shape[0] > 0 and block_of[t] >= 0:
        block = blocks[block_of[t]]
        block[0] += r
        block[1] += r * r
        if r < 0.0:
            block[2] += r * r
        block[3] *= 1.0 + r


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _mix_nb(h: np.uint64, x: int) -> np.uint64:
    """FNV-1a step: h xor x, times the FNV prime (wrapping)."""
    return (h ^ np.uint64(x)) * np.uint64(1099511628211)


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _mix_float_nb(h: np.uint64, x: float) -> np.uint64:
    mantissa, exponent = math.frexp(x)
    return _mix_nb(_mix_nb(h, np.int64(mantissa * 9007199254740992.0)), exponent + 2048)


@njit(cache=True, inline="always", **WITHOUT_NRT)
def fingerprint_nb(stats: RecordView, fill: RecordView) -> None:
    """The fill (session, column, side, size, price: what moves cash and shares) into the
    run's fingerprint; the reason and levels, which do not, stay out."""
    h = _mix_nb(stats.fingerprint, fill.idx * 4096 + fill.col * 2 + fill.side)
    stats.fingerprint = _mix_float_nb(_mix_float_nb(h, fill.size), fill.price)


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _fold_fills_nb(nf: int, state: State, scratch: Scratch, record: Record) -> None:
    """The bar's fills into lots (trades when a sale closes some) and, when kept, the record."""
    stats = state.stats[0]
    keep = record.fills.shape[0] > 0
    n_fills, n_trades = record.counts[0], record.counts[1]
    for k in range(nf):
        fill = scratch.fills[k]
        stats.fills += 1.0
        fingerprint_nb(stats, fill)
        if fill.side == 0:
            add_lot_nb(state.lots, fill.col, fill, stats)
        else:
            n_trades = sell_lots_nb(state.lots, fill, stats, record.trades, n_trades)
        if keep:
            if n_fills < record.fills.shape[0]:
                record.fills[n_fills] = fill
            else:
                stats.overflow = True
            n_fills += 1
    record.counts[0], record.counts[1] = n_fills, n_trades


@njit(cache=True, inline="always", **WITHOUT_NRT)
def bar_nb(t: int, market: Market, orders: Orders, book: Book, rule: RecordView, state: State,
           scratch: Scratch, record: Record) -> None:
    """Bar t of one run: the per-bar step, its fills folded, the session's return streamed;
    the record, if it has room, keeps the bar. The backtest, the shared prefix (span_nb) and
    the sweep's bars that are not quiet (sweep_kernel) all run this one function, inlined:
    numba passes a call's records of arrays field by field, over 200 values, which cost more
    than a quiet bar."""
    keep = record.cash.shape[0] > 0
    nf = bar_step_nb(t, market, orders, book, rule, state, scratch, keep)
    _fold_fills_nb(nf, state, scratch, record)
    returns_step_nb(t, state.account[0].value, state.stats[0], record.block_of, record.blocks)
    if keep:
        record.cash[t] = state.account[0].cash
        record.value[t] = state.account[0].value
        for j in range(state.positions.shape[0]):
            record.open_weight[t, j] = scratch.bar[j].open_weight
            record.level[t, j] = scratch.bar[j].level


@njit(cache=True, **WITHOUT_NRT)
def span_nb(t0: int, t1: int, market: Market, orders: Orders, book: Book, rule: RecordView,
            state: State, scratch: Scratch, record: Record) -> None:
    """Bars t0..t1-1 of one run: the state moves on, the record (if it has room) keeps them."""
    for t in range(t0, t1):
        bar_nb(t, market, orders, book, rule, state, scratch, record)


@njit(cache=True, **WITHOUT_NRT)
def finish_nb(last_idx: int, state: State, record: Record) -> None:
    """The lots still open become trades valued at the last close (end_of_data)."""
    record.counts[1] = open_lots_nb(state.lots, state.positions, last_idx, state.stats[0],
                                   record.trades, record.counts[1])


class KernelOverflow(RuntimeError):
    """A buffer of the kernel was too small: a bug in its capacity estimate."""


class Simulation(NamedTuple):
    record: Record  # trimmed to what was written
    state: State  # after the last close


def simulate(market: Market, orders: Orders, book: Book, rule: RecordView) -> Simulation:
    """Every bar of one run, everything kept."""
    market, orders, book = one_array_type(market), one_array_type(orders), one_array_type(book)
    sessions, m = market.close.shape
    state = new_state(m, book.init_cash, sessions)
    record = new_record(sessions, m)
    span_nb(0, sessions, market, orders, book, rule, state, new_scratch(m), record)
    finish_nb(sessions - 1, state, record)
    if state.stats[0]["overflow"]:
        raise KernelOverflow("the fill kernel ran out of room for fills or lots")
    n_fills, n_trades = (int(x) for x in record.counts)
    kept = record._replace(fills=record.fills[:n_fills], trades=record.trades[:n_trades])
    return Simulation(kept, state)

