"""Fill helpers of the per-bar step (backtests/kernel_step.py): one order each, typed state.

Each writes its fills into the bar's scratch buffer at index nf and returns the new count;
cash and shares change in the State records. Prices are raw: slippage (against the trader)
and fees (once per fill) are applied here. Nothing is allocated (the sweep runs without NRT).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from backtests.kernel_state import Book, Market, Orders, Scratch, State
from strategies.stop_level import WITHOUT_NRT
from strategies.stops import CAP, ENTRY

CAP_SLACK = 1e-3
"""A position counts as above its cap when it exceeds the cap by more than this fraction of it
(20.02% for a 20% cap), at a close and at the open a trim would sell it: a rebalance to a
target equal to the cap ends a hair above it after its own costs, and that must trigger
neither a trim of the dust nor another rebalance. A trim sells down to exactly the cap."""


@njit(cache=True, inline="always", **WITHOUT_NRT)
def fill_nb(scratch: Scratch, nf: int, t: int, j: int, size: float, price: float, fees: float,
            side: int, reason: int, level: float, stop_level: float, closes: bool) -> int:
    fill = scratch.fills[nf]
    fill.idx, fill.col, fill.size, fill.price, fill.fees = t, j, size, price, fees
    fill.side, fill.reason, fill.level, fill.stop_level, fill.closes = (
        side, reason, level, stop_level, closes)
    return nf + 1


@njit(cache=True, inline="always", **WITHOUT_NRT)
def value_at_open_nb(t: int, market: Market, state: State, scratch: Scratch) -> float:
    value = state.account[0].cash
    for j in range(state.positions.shape[0]):
        if state.positions[j].shares > 0.0 and scratch.bar[j].listed:
            value += state.positions[j].shares * market.open[t, j]
    return value


@njit(cache=True, inline="always", **WITHOUT_NRT)
def sell_nb(t: int, j: int, price: float, shares: float, reason: int, level: float,
            state: State, book: Book, scratch: Scratch, nf: int) -> int:
    """Sell `shares` of column j at raw `price`; all of them closes the position."""
    position = state.positions[j]
    closes = shares >= position.shares
    fill = price * (1.0 - book.slippage)
    fee = shares * fill * book.fees
    state.account[0].cash += shares * fill - fee
    nf = fill_nb(scratch, nf, t, j, shares, fill, fee, 1, reason, level, position.last_level,
                 closes)
    position.shares = 0.0 if closes else position.shares - shares
    return nf


@njit(cache=True, inline="always", **WITHOUT_NRT)
def start_position_nb(t: int, j: int, price: float, group: int, market: Market, book: Book,
                      state: State) -> None:
    """A position opened at raw price `price`: the stop rules start from here."""
    position = state.positions[j]
    position.entry_price = price
    position.reference = price
    position.held = 0.0
    position.lag_exit = False
    position.last_level = np.nan
    position.core_ref = market.open[t, book.core_col]
    if group >= 0:
        position.last_group = group


@njit(cache=True, inline="always", **WITHOUT_NRT)
def buy_weight_nb(t: int, j: int, price: float, weight: float, market: Market, book: Book,
                  state: State, scratch: Scratch, nf: int) -> int:
    """Buy column j at raw `price` for `weight` of the value at the open, within the caps
    and the cash: shares x price = w x V / (1 + w k), k the round cost of slippage and fees,
    so the weight after costs is exactly w."""
    cash = state.account[0].cash
    value = cash
    others = 0.0
    for i in range(state.positions.shape[0]):
        shares = state.positions[i].shares
        if shares > 0.0 and scratch.bar[i].listed:
            value += shares * market.open[t, i]
            if book.satellite[i] and i != j:
                others += shares * market.open[t, i]
    weight = min(weight, book.cap[j])
    if book.satellite[j]:
        weight = min(weight, book.total_cap - others / value)
    if weight <= 1e-12 or cash <= 0.0:
        return nf
    k_buy = (1.0 + book.slippage) * (1.0 + book.fees) - 1.0
    bought = weight * value / (1.0 + weight * k_buy) / price
    bought = min(bought, cash / (price * (1.0 + k_buy)))
    fill = price * (1.0 + book.slippage)
    fee = bought * fill * book.fees
    state.account[0].cash = cash - (bought * fill + fee)
    state.positions[j].shares = bought
    return fill_nb(scratch, nf, t, j, bought, fill, fee, 0, ENTRY, np.nan, np.nan, False)


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _call_sequence_nb(scratch: Scratch) -> None:
    """Columns by ascending order value, orders without a value last, ties in column order:
    vectorbt's call_seq="auto" (sells first, then the smallest buy first)."""
    bar = scratch.bar
    m = bar.shape[0]
    for j in range(m):
        bar[j].call = j
    for j in range(1, m):  # insertion sort of the call sequence by order value
        col = bar[j].call
        value = bar[col].order_value
        i = j - 1
        while i >= 0 and (bar[bar[i].call].order_value > value
                          or math.isnan(bar[bar[i].call].order_value)):
            bar[i + 1].call = bar[i].call
            i -= 1
        bar[i + 1].call = col


@njit(cache=True, inline="always", **WITHOUT_NRT)
def rebalance_nb(t: int, market: Market, orders: Orders, book: Book, state: State,
                 scratch: Scratch, nf: int, use_standing: bool, sell_reason: int) -> int:
    """Trade each listed column with a target to target x value at the open.

    Like vectorbt's target percentages: the value is taken at the open before any order, the
    order is target shares minus held shares, the call sequence sorts by order value (sells
    first, then the smallest buy), a buy the cash cannot cover (with slippage and fees) is cut
    to what it can. The target is orders.target (or orders.standing where that is NaN and
    use_standing). A column stopped out at this open, and a satellite while the breaker is
    tripped, is not bought. bar.opened: the column went from no shares to some; bar.exited:
    a target of zero closed it."""
    m = state.positions.shape[0]
    value = value_at_open_nb(t, market, state, scratch)
    for j in range(m):
        bar = scratch.bar[j]
        bar.target = orders.target[t, j]
        if math.isnan(bar.target) and use_standing:
            bar.target = orders.standing[t, j]
        bar.order_value = np.nan
        if bar.listed and not math.isnan(bar.target):
            bar.order_value = bar.target * value - state.positions[j].shares * market.open[t, j]
    _call_sequence_nb(scratch)
    for k in range(m):
        j = scratch.bar[k].call
        bar = scratch.bar[j]
        if math.isnan(bar.order_value):
            break
        position = state.positions[j]
        price = market.open[t, j]
        wanted = bar.target * value / price
        if position.shares > 0.0 and wanted < position.shares:
            sold = position.shares - wanted
            if sold >= position.shares * (1.0 - 1e-12):
                sold = position.shares
                bar.exited = True
            nf = sell_nb(t, j, price, sold, sell_reason, np.nan, state, book, scratch, nf)
            continue
        cash = state.account[0].cash
        bought = wanted - position.shares
        if (bought <= 0.0 or bar.exited or (book.satellite[j] and state.account[0].tripped)
                or cash <= 0.0):
            continue
        fill = price * (1.0 + book.slippage)
        bought = min(bought, cash / (fill * (1.0 + book.fees)))
        fee = bought * fill * book.fees
        state.account[0].cash = cash - (bought * fill + fee)
        nf = fill_nb(scratch, nf, t, j, bought, fill, fee, 0, ENTRY, np.nan, np.nan, False)
        if position.shares <= 0.0:
            bar.opened = True
        position.shares += bought
    return nf


@njit(cache=True, inline="always", **WITHOUT_NRT)
def trim_nb(t: int, market: Market, book: Book, state: State, scratch: Scratch, nf: int,
            total_over: bool) -> int:
    """Sell positions that closed above their cap (bar.over_cap; all satellites when they
    closed above total_cap together) back to the cap, valued at this open; sales only.

    The positions over a cap are solved jointly so that each ends exactly at the cap after
    the costs of every trim; a pass can push another position over, so passes repeat."""
    m = state.positions.shape[0]
    k_sell = 1.0 - (1.0 - book.slippage) * (1.0 - book.fees)
    for _ in range(10):
        value = value_at_open_nb(t, market, state, scratch)
        over = 0
        over_value = 0.0
        cap = 0.0
        for j in range(m):
            held = state.positions[j].shares * market.open[t, j]
            if _over_cap(j, held, value, book, state, scratch):
                over += 1
                over_value += held
                cap = book.cap[j]
        kept = 0.0
        after = 0.0
        sat_value = 0.0
        if over > 0:
            kept = over * cap * (value - k_sell * over_value) / (1.0 - over * cap * k_sell)
            after = value - k_sell * (over_value - kept)
        else:
            if not total_over:
                break
            for j in range(m):
                if state.positions[j].shares > 0.0 and scratch.bar[j].listed and book.satellite[j]:
                    sat_value += state.positions[j].shares * market.open[t, j]
            if sat_value <= book.total_cap * value * (1 + CAP_SLACK):
                break
            kept = book.total_cap * (value - k_sell * sat_value) / (1.0 - book.total_cap * k_sell)
        for j in range(m):  # each target from the state before any trim of this pass
            position = state.positions[j]
            held = position.shares * market.open[t, j]
            target = -1.0
            if over > 0:
                if _over_cap(j, held, value, book, state, scratch):
                    target = book.cap[j] * after
            elif position.shares > 0.0 and scratch.bar[j].listed and book.satellite[j]:
                target = held * kept / sat_value
            if target < 0.0:
                continue
            sold = position.shares - target / market.open[t, j]
            if sold > 0.0:
                nf = sell_nb(t, j, market.open[t, j], sold, CAP, np.nan, state, book, scratch, nf)
    return nf


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _over_cap(j: int, held: float, value: float, book: Book, state: State,
              scratch: Scratch) -> bool:
    return (scratch.bar[j].over_cap and state.positions[j].shares > 0.0 and scratch.bar[j].listed
            and held > book.cap[j] * value * (1 + CAP_SLACK))
