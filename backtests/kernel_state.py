"""The fill engine's typed records: inputs as NamedTuples of arrays, state as structured arrays.

Everything the per-bar step (backtests/kernel_step.py) reads or writes has a name: numba
compiles NamedTuples and structured-array fields (`positions[j].shares`) to plain loads and
stores, so nothing crosses a module border as a positional tuple or a slot number. Arrays are
sessions x columns (tickers), trade-indexed: row t acts at the open of session t or during it.
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypeVar

import numpy as np

from backtests.metrics import SUMS, new_sums

F8, I8, B1 = np.float64, np.int64, np.bool_


class Market(NamedTuple):
    """Prices of the run's sessions; NaN where a ticker has no bar."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    atr: np.ndarray  # ATR known at each open (strategies.stops.atr_before_bar)


class Orders(NamedTuple):
    """What the strategy asked for, trade-indexed (the decision was at an earlier close)."""

    enter: np.ndarray  # bool: buy at this open (or at the limit during the session)
    size: np.ndarray  # weight of portfolio value to buy
    limit: np.ndarray  # buy-limit price (NaN: market order at the open)
    group: np.ndarray  # one-shot entry group (-1: none)
    leave: np.ndarray  # bool: sell everything at this open
    target: np.ndarray  # target weight to trade to at this open (NaN: no order)
    standing: np.ndarray  # the target weights in force (what a cap rebalance trades to)
    has_target: np.ndarray  # bool per session: any target order at this open


class Book(NamedTuple):
    """The portfolio's constants: caps, which columns are satellites, costs."""

    cap: np.ndarray  # per column (inf for the core)
    total_cap: float  # all satellites together
    satellite: np.ndarray  # bool per column
    init_weight: np.ndarray  # weight bought at a column's first open of the run and held
    lag_pct: float  # relative-strength cut (NaN: off)
    core_col: int
    rebalance_on_cap: bool  # a cap breach at a close rebalances to `standing` (else: trims)
    init_cash: float
    fees: float
    slippage: float


Inputs = TypeVar("Inputs", Market, Orders, Book)


def one_array_type(inputs: Inputs) -> Inputs:
    """`inputs` with every array C-ordered and writable (copied only where it is not). numba
    compiles and caches a kernel once per argument type, and a read-only array (pandas hands
    out read-only views) is another type: each caller's mix would compile the engine again."""
    arrays: dict[str, Any] = {name: np.require(field, requirements=("C", "W"))
                              for name, field in inputs._asdict().items()
                              if isinstance(field, np.ndarray)}
    return inputs._replace(**arrays)


POSITION = np.dtype([
    ("shares", F8),
    ("entry_price", F8),  # fill price of the buy that opened the position
    ("reference", F8),  # trailing reference: highest high/close since entry (stop_level)
    ("core_ref", F8),  # the core's open at the entry (relative-strength lag)
    ("held", F8),  # sessions held (closes seen)
    ("lag_exit", B1),  # sell at the next open: trails the core by more than lag_pct
    ("seen", B1),  # listed at an open of this run already (init_weight buys once)
    ("last_group", I8),  # last one-shot group bought
    ("last_level", F8),  # last protective level computed while held
    ("mark", F8),  # last close (the position's value per share)
], align=True)

ACCOUNT = np.dtype([
    ("cash", F8),
    ("value", F8),  # at the last close
    ("peak", F8),  # the breaker's peak value
    ("tripped", B1),
    ("trip_bar", I8),
    ("cut_pending", B1),  # the breaker tripped at the last close: sell satellites at this open
], align=True)

STATS = np.dtype([
    ("prev", F8),  # value at the last close (the next session's return is against it)
    *((name, SUMS[name]) for name in SUMS.names or ()),  # backtests/metrics.py
    ("fills", F8), ("trades", F8),  # fills; closed trades (FIFO lots)
    ("fingerprint", np.uint64),  # hash of every fill (session, column, side, size, price)
    ("overflow", B1),  # a buffer was too small (a bug: the caller raises)
], align=True)
"""A run's streamed statistics: the metrics' running sums (SUMS' fields, updated only by
backtests/metrics.py's functions), counts, and a fingerprint of the fills (rules whose fills
are identical have equal fingerprints: the tuner counts them as one)."""

FILL = np.dtype([
    ("idx", I8), ("col", I8), ("size", F8), ("price", F8), ("fees", F8),
    ("side", I8),  # 0 buy, 1 sell
    ("reason", I8),  # strategies.stops REASONS code (ENTRY for a buy)
    ("level", F8),  # the level that filled a stop or take-profit (NaN otherwise)
    ("stop_level", F8),  # a sale: the last protective level of the position
    ("closes", B1),  # a sale of the whole position
], align=True)

TRADE = np.dtype([
    ("col", I8), ("entry_idx", I8), ("entry_price", F8), ("exit_idx", I8), ("exit_price", F8),
    ("shares", F8), ("fees", F8), ("pnl", F8), ("reason", I8), ("stop_level", F8),
], align=True)

BAR = np.dtype([
    ("listed", B1), ("exited", B1), ("opened", B1), ("over_cap", B1),
    ("target", F8),  # a rebalance's target weight (NaN: no order)
    ("order_value", F8), ("call", I8),  # its order value at the open and call sequence
    ("level", F8),  # stop level during the session (NaN: none)
    ("open_weight", F8),  # weight after the open's fills, valued at the open
], align=True)


class Lots(NamedTuple):
    """FIFO lots per column: each buy fill opens one, sales close the oldest first."""

    size: np.ndarray  # columns x capacity: shares left in the lot
    price: np.ndarray  # fill price of the buy
    fee_per_share: np.ndarray
    idx: np.ndarray  # session of the buy
    head: np.ndarray  # per column: first open lot
    tail: np.ndarray  # per column: one past the last lot


class State(NamedTuple):
    positions: np.ndarray  # POSITION per column
    account: np.ndarray  # ACCOUNT, one record
    stats: np.ndarray  # STATS, one record
    lots: Lots


class Scratch(NamedTuple):
    """One bar's working space: its fills and per-column flags (written by every step)."""

    fills: np.ndarray  # FILL
    bar: np.ndarray  # BAR per column


class Record(NamedTuple):
    """What a run keeps (zero-length arrays: keep nothing). The sweep keeps only `blocks`:
    per block of sessions the sums of BLOCK_FIELDS (backtests/cscv.py: over-fitting)."""

    fills: np.ndarray  # FILL
    trades: np.ndarray  # TRADE (closed lots)
    cash: np.ndarray  # per session, after its close
    value: np.ndarray
    open_weight: np.ndarray  # sessions x columns
    level: np.ndarray  # sessions x columns: stop levels
    counts: np.ndarray  # [fills, trades] written so far
    block_of: np.ndarray  # per session: its block (-1: none)
    blocks: np.ndarray  # blocks x BLOCK_FIELDS sums (0 rows: not kept)


BLOCK_FIELDS = ("sum", "sum_sq", "down_sq", "growth")
"""Sums kept per block of sessions (Record.blocks): of the returns, of their squares, of the
squares of the negative ones, and the product of (1 + return); backtests/cscv.py."""
BLOCK_SUMS = len(BLOCK_FIELDS)
FINGERPRINT_SEED = np.uint64(14695981039346656037)
"""FNV-1a offset basis: the fingerprint of a run without fills."""


def bar_fill_capacity(m: int) -> int:
    """Fills one bar can produce: exits, a rebalance's sells and buys, entries, up to 10 trim
    passes, stops and limit entries."""
    return 16 * m + 16


def new_state(m: int, init_cash: float, sessions: int) -> State:
    """Cash only; lots room for one buy per column per session (at most one can happen)."""
    positions = np.zeros(m, POSITION)
    for name in ("entry_price", "reference", "core_ref", "last_level", "mark"):
        positions[name] = np.nan
    positions["last_group"] = -1
    account = np.zeros(1, ACCOUNT)
    account["cash"] = account["value"] = account["peak"] = init_cash
    account["trip_bar"] = -1
    stats = np.zeros(1, STATS)
    stats["prev"] = init_cash
    stats[list(SUMS.names or ())] = new_sums().astype(SUMS)
    stats["fingerprint"] = FINGERPRINT_SEED
    capacity = sessions + 1
    lots = Lots(np.zeros((m, capacity)), np.zeros((m, capacity)), np.zeros((m, capacity)),
                np.zeros((m, capacity), I8), np.zeros(m, I8), np.zeros(m, I8))
    return State(positions, account, stats, lots)


def new_scratch(m: int) -> Scratch:
    return Scratch(np.zeros(bar_fill_capacity(m), FILL), np.zeros(m, BAR))


def new_record(sessions: int, m: int) -> Record:
    fills = sessions * bar_fill_capacity(m)
    return Record(np.zeros(fills, FILL), np.zeros(fills + m * (sessions + 1), TRADE),
                  np.zeros(sessions), np.zeros(sessions), np.zeros((sessions, m)),
                  np.full((sessions, m), np.nan), np.zeros(2, I8), *no_blocks())


def no_blocks() -> tuple[np.ndarray, np.ndarray]:
    """Record.block_of and Record.blocks when no block sums are kept."""
    return np.zeros(0, I8), np.zeros((0, BLOCK_SUMS))


def new_blocks(blocks: int) -> np.ndarray:
    """Empty block sums: zero sums, growth 1."""
    out = np.zeros((blocks, BLOCK_SUMS))
    out[:, BLOCK_SUMS - 1] = 1.0
    return out


def no_record(m: int, block_of: np.ndarray | None = None, blocks: int = 0) -> Record:
    """A Record that keeps nothing (the sweep): the same types, zero length; with block_of
    (a block per session), the sums of `blocks` blocks."""
    of = no_blocks()[0] if block_of is None else np.ascontiguousarray(block_of, dtype=I8)
    return Record(np.zeros(0, FILL), np.zeros(0, TRADE), np.zeros(0), np.zeros(0),
                  np.zeros((0, m)), np.zeros((0, m)), np.zeros(2, I8), of, new_blocks(blocks))
