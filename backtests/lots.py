"""Trades from fills: FIFO lots, each buy fill opens a lot and each sale closes the oldest first.

A closed piece of a lot is one trade: entry = the lot's buy, exit = the sale, `pnl` net of the
fees of both (each shared pro rata by shares). A rebalance top-up opens a lot, a trim closes
part of one. The lots still open at the end are trades valued at the last close (reason
end_of_data), so the pnl of every trade adds up to final value minus initial cash.
Both the full run (which keeps the trades) and the sweep (which only tallies them) call these.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from backtests.kernel_state import Lots
from backtests.metrics import add_trade_nb
from strategies.stop_level import WITHOUT_NRT, RecordView
from strategies.stops import END_OF_DATA

DUST = 1e-12
"""A lot with less than this fraction of its shares left is closed."""


@njit(cache=True, inline="always", **WITHOUT_NRT)
def add_lot_nb(lots: Lots, j: int, fill: RecordView, stats: RecordView) -> None:
    k = lots.tail[j]
    if k >= lots.size.shape[1]:
        stats.overflow = True
        return
    lots.size[j, k] = fill.size
    lots.price[j, k] = fill.price
    lots.fee_per_share[j, k] = fill.fees / fill.size
    lots.idx[j, k] = fill.idx
    lots.tail[j] = k + 1


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _trade_nb(trades: np.ndarray, nt: int, j: int, k: int, lots: Lots, shares: float,
              exit_idx: int, exit_price: float, exit_fees: float, reason: int,
              stop_level: float) -> float:
    """The pnl of `shares` of lot k sold at exit_price; recorded when trades has room."""
    entry_fees = shares * lots.fee_per_share[j, k]
    pnl = shares * (exit_price - lots.price[j, k]) - entry_fees - exit_fees
    if nt < trades.shape[0]:
        trade = trades[nt]
        trade.col, trade.entry_idx, trade.entry_price = j, lots.idx[j, k], lots.price[j, k]
        trade.exit_idx, trade.exit_price, trade.shares = exit_idx, exit_price, shares
        trade.fees, trade.pnl, trade.reason = entry_fees + exit_fees, pnl, reason
        trade.stop_level = stop_level
    return pnl


@njit(cache=True, inline="always", **WITHOUT_NRT)
def sell_lots_nb(lots: Lots, fill: RecordView, stats: RecordView, trades: np.ndarray, nt: int) -> int:
    """Close lots of the fill's column FIFO; each piece is a trade. Returns the trade count."""
    j = fill.col
    left = fill.size
    while lots.head[j] < lots.tail[j] and (fill.closes or left > DUST * fill.size):
        k = lots.head[j]
        lot = lots.size[j, k]
        shares = lot if fill.closes else min(lot, left)
        pnl = _trade_nb(trades, nt, j, k, lots, shares, fill.idx, fill.price,
                        fill.fees * shares / fill.size, fill.reason, fill.stop_level)
        add_trade_nb(stats, pnl)
        stats.trades += 1.0
        nt += 1
        left -= shares
        lots.size[j, k] = lot - shares
        if fill.closes or lots.size[j, k] <= DUST * lot:
            lots.head[j] = k + 1
    if nt > trades.shape[0] > 0:
        stats.overflow = True
    return nt


@njit(cache=True, inline="always", **WITHOUT_NRT)
def open_lots_nb(lots: Lots, positions: np.ndarray, last_idx: int, stats: RecordView,
                 trades: np.ndarray, nt: int) -> int:
    """Every lot still open as a trade valued at its column's last close (end_of_data);
    tallied into win/loss (not into the closed-trade count). Returns the trade count."""
    for j in range(lots.head.shape[0]):
        for k in range(lots.head[j], lots.tail[j]):
            pnl = _trade_nb(trades, nt, j, k, lots, lots.size[j, k], last_idx,
                            positions[j].mark, 0.0, END_OF_DATA, positions[j].last_level)
            add_trade_nb(stats, pnl)
            nt += 1
    if nt > trades.shape[0] > 0:
        stats.overflow = True
    return nt
