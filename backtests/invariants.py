"""Checks every full run must pass (RELIABILITY 22); simulate_run applies them to each run.

- cash never below zero;
- value at each close = cash + every position (rebuilt from the fills) at its last close;
- caps: a satellite that closed above its cap (or all of them together above theirs), and
  one bought at an open, is within the cap after that open's fills, valued at the open;
- the trades (FIFO lots, open ones at the last close) add up to final value - initial cash.
A failure is a bug in the engine, never a user error.
"""

from __future__ import annotations

import numpy as np

from backtests.kernel_fills import CAP_SLACK
from backtests.kernel_state import Book, Market, Record


class InvariantError(AssertionError):
    """The fill engine broke one of its invariants (a bug: report it)."""


def check_run(market: Market, book: Book, record: Record) -> None:
    """Raise InvariantError naming the first invariant the run breaks."""
    scale = book.init_cash
    if record.cash.size and record.cash.min() < -1e-9 * scale:
        raise InvariantError(f"cash fell to {record.cash.min():.6g}")
    shares = positions(record.fills, market.close.shape)
    mark = _marks(market.close)
    value = record.cash + np.sum(shares * np.nan_to_num(mark), axis=1)
    if not np.allclose(value, record.value, rtol=1e-9, atol=1e-9 * scale):
        bar = int(np.argmax(np.abs(value - record.value)))
        raise InvariantError(f"value {record.value[bar]} at bar {bar} is not cash + positions "
                             f"({value[bar]})")
    _check_caps(market, book, record, shares, mark)
    if record.value.size:
        gain = record.value[-1] - book.init_cash
        pnl = float(record.trades["pnl"].sum())
        if abs(pnl - gain) > 1e-6 * max(abs(record.value[-1]), scale):
            raise InvariantError(f"trades add up to {pnl}, the run gained {gain}")


def positions(fills: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Shares held after each bar (sessions x columns), from the fills."""
    change = np.zeros(shape)
    signed = np.where(fills["side"] == 0, fills["size"], -fills["size"])
    np.add.at(change, (fills["idx"], fills["col"]), signed)
    return np.cumsum(change, axis=0)


def _marks(close: np.ndarray) -> np.ndarray:
    """Each column's last close so far (NaN before its first)."""
    index = np.where(~np.isnan(close), np.arange(close.shape[0])[:, None], 0)
    np.maximum.accumulate(index, axis=0, out=index)
    return np.take_along_axis(close, index, axis=0)


def _check_caps(market: Market, book: Book, record: Record, shares: np.ndarray,
                mark: np.ndarray) -> None:
    satellites = np.flatnonzero(book.satellite)
    if not len(satellites) or record.value.size < 2:
        return
    held = shares[:-1] * np.nan_to_num(mark[:-1])
    weight = held / record.value[:-1, None]  # at the close before each open from bar 1
    over = weight[:, satellites] > book.cap[satellites] * (1 + CAP_SLACK)
    total_over = weight[:, satellites].sum(axis=1) > book.total_cap * (1 + CAP_SLACK)
    fills = record.fills
    open_buy = np.zeros(market.open.shape, bool)
    at_open = (fills["side"] == 0) & np.isclose(
        fills["price"], market.open[fills["idx"], fills["col"]] * (1 + book.slippage),
        rtol=1e-12)
    open_buy[fills["idx"][at_open], fills["col"][at_open]] = True
    acted = over | open_buy[1:, satellites]
    after = record.open_weight[1:, satellites]
    slack = 1 + CAP_SLACK
    if np.any(acted & (after > book.cap[satellites] * slack)):
        bar, col = (int(x) for x in np.argwhere(acted & (after > book.cap[satellites] * slack))[0])
        raise InvariantError(f"satellite column {satellites[col]} at {after[bar, col]:.6f} after "
                             f"the open of bar {bar + 1}, over its cap")
    acted_total = total_over | open_buy[1:, satellites].any(axis=1)
    if np.any(acted_total & (after.sum(axis=1) > book.total_cap * slack)):
        bar = int(np.flatnonzero(acted_total & (after.sum(axis=1) > book.total_cap * slack))[0])
        raise InvariantError(f"satellites at {after[bar].sum():.6f} together after the open of "
                             f"bar {bar + 1}, over their cap")
