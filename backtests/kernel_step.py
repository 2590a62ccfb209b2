"""The one per-bar step of the fill engine: the full backtest and the sweep both run it.

Order of events in bar t (row t of the trade-indexed inputs):
(1) at the open: the decisions from the previous close (the breaker's cut, a cap breach, a
    relative-strength lag) and the strategy's orders. Exits first (breaker cut, gap-through
    stops and take-profits, time stops, exit signals), each at the open; then a rebalance
    (the strategy's targets, or the standing targets when a satellite closed above its cap and
    the strategy rebalances on a breach); then entries (market orders and limits at or above
    the open); then cap trims of positions that closed above their cap. Orders are sized with
    the value at the open (target percentages, as vectorbt's from_orders).
(2) during the bar: stops at their level when the low reaches it, take-profits when the high
    does, limit entries when the low reaches the limit.
(3) at the close: trailing references, relative-strength lag, value, the breaker.

A decision never reads the open it trades at: whether to rebalance or trim at the open of t is
judged on the holdings after the close of t - 1, valued at that close.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from backtests.kernel_fills import (
    CAP_SLACK,
    buy_weight_nb,
    rebalance_nb,
    sell_nb,
    start_position_nb,
    trim_nb,
    value_at_open_nb,
)
from backtests.kernel_state import Book, Market, Orders, Scratch, State
from strategies.stop_level import (
    WITHOUT_NRT,
    RecordView,
    bar_exit_nb,
    breaker_close_nb,
    open_exit_nb,
    stop_level_nb,
    take_profit_level_nb,
    update_reference_nb,
)
from strategies.stops import BREAKER, CAP, NO_STOP, SIGNAL


@njit(cache=True, inline="always", **WITHOUT_NRT)
def bar_step_nb(t: int, market: Market, orders: Orders, book: Book, rule: RecordView,
                state: State, scratch: Scratch, weights: bool) -> int:
    """Bar t of one run: its fills go to scratch.fills (the count is returned), the state
    moves to after the close of t, scratch.bar keeps the bar's stop levels and, with
    `weights`, its open weights (what a full run records; the sweep, which records nothing,
    skips them: they were half of its time)."""
    total_over = _begin_bar_nb(t, market, book, state, scratch)
    breach = total_over
    for j in range(state.positions.shape[0]):
        breach = breach or scratch.bar[j].over_cap
    nf = _open_exits_nb(t, market, orders, book, rule, state, scratch, 0)
    state.account[0].cut_pending = False
    on_breach = breach and book.rebalance_on_cap
    if orders.has_target[t] or on_breach:
        reason = CAP if on_breach and not orders.has_target[t] else SIGNAL
        nf = rebalance_nb(t, market, orders, book, state, scratch, nf, on_breach, reason)
        for j in range(state.positions.shape[0]):
            if scratch.bar[j].opened:
                start_position_nb(t, j, market.open[t, j], -1, market, book, state)
    nf = _open_entries_nb(t, market, orders, book, state, scratch, nf)
    if breach:
        nf = trim_nb(t, market, book, state, scratch, nf, total_over)
    if weights:
        _open_weights_nb(t, market, state, scratch)
    nf = _bar_exits_nb(t, market, book, rule, state, scratch, nf)
    nf = _limit_entries_nb(t, market, orders, book, state, scratch, nf)
    _close_nb(t, market, book, rule, state.positions, state.account[0])
    return nf


@njit(cache=True, inline="always", **WITHOUT_NRT)
def quiet_bar_nb(t: int, market: Market, orders: Orders, book: Book, rule: RecordView,
                 positions: np.ndarray, account: RecordView) -> bool:
    """Bar t when nothing can fill in it: returns True after applying exactly what
    bar_step_nb would (the protective levels, `seen`, the close), or False (then run
    bar_step_nb; a held satellite's last_level may be set already, to the value the step's
    first pass sets). Quiet means: no target order and no breaker cut at the
    open, nothing above its cap at the last close, no exit order for a held column, no entry
    or initial weight for a listed column not held, and no held satellite whose stop,
    take-profit, time stop or relative-strength lag acts in the bar (the same functions decide
    it). The sweep's shortcut: most bars of most rules are quiet, and this skips the passes of
    the full step; tests/backtests/test_engine_properties checks it changes nothing. Takes a
    run's positions and account record (State's), so a sweep need not assemble a State."""
    if account.cut_pending or orders.has_target[t]:
        return False
    value = account.value
    satellites = 0.0
    for j in range(positions.shape[0]):
        position = positions[j]
        listed = not math.isnan(market.open[t, j])
        if position.shares <= 0.0:
            if listed and (orders.enter[t, j] or (not position.seen and book.init_weight[j] > 0.0)):
                return False
            continue
        held = position.shares * position.mark
        if held > book.cap[j] * value * (1 + CAP_SLACK):
            return False
        if book.satellite[j]:
            satellites += held
        if listed and (orders.leave[t, j] or (book.satellite[j]
                                              and _stop_acts_nb(t, j, position, market, rule))):
            return False
    if satellites > book.total_cap * value * (1 + CAP_SLACK):
        return False
    for j in range(positions.shape[0]):
        if not math.isnan(market.open[t, j]):
            positions[j].seen = True
    _close_nb(t, market, book, rule, positions, account)
    return True


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _stop_acts_nb(t: int, j: int, position: RecordView, market: Market, rule: RecordView) -> bool:
    """Whether held satellite j leaves in bar t by its own rules (as _open_exits_nb and
    _bar_exits_nb decide it). Sets its last_level as both do (the same value)."""
    if position.lag_exit:
        return True
    stop = stop_level_nb(position.entry_price, position.reference, market.atr[t, j], rule)
    if not math.isnan(stop.level):
        position.last_level = stop.level
    profit = take_profit_level_nb(position.entry_price, rule)
    price = market.open[t, j]
    return (open_exit_nb(price, stop, profit, position.held, rule).reason != NO_STOP
            or bar_exit_nb(price, market.high[t, j], market.low[t, j], stop, profit).reason
            != NO_STOP)


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _begin_bar_nb(t: int, market: Market, book: Book, state: State, scratch: Scratch) -> bool:
    """Reset the bar's flags and mark positions that closed above their cap (valued at the
    last close: what an order placed before this open can know; CAP_SLACK). Returns whether
    the satellites closed above their cap together."""
    value = state.account[0].value
    satellites = 0.0
    for j in range(state.positions.shape[0]):
        bar = scratch.bar[j]
        bar.listed = not math.isnan(market.open[t, j])
        bar.exited = False
        bar.opened = False
        bar.level = np.nan
        bar.open_weight = 0.0
        position = state.positions[j]
        held = position.shares * position.mark if position.shares > 0.0 else 0.0
        bar.over_cap = held > book.cap[j] * value * (1 + CAP_SLACK)
        if book.satellite[j]:
            satellites += held
    return satellites > book.total_cap * value * (1 + CAP_SLACK)


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _open_exits_nb(t: int, market: Market, orders: Orders, book: Book, rule: RecordView,
                   state: State, scratch: Scratch, nf: int) -> int:
    """Whole-position sales at the open: breaker cut, gap-through stop or take-profit, time
    stop, relative-strength lag, the strategy's exit signal."""
    for j in range(state.positions.shape[0]):
        position = state.positions[j]
        if position.shares <= 0.0 or not scratch.bar[j].listed:
            continue
        price = market.open[t, j]
        reason = -1
        level = np.nan
        if book.satellite[j]:
            stop = stop_level_nb(position.entry_price, position.reference, market.atr[t, j], rule)
            scratch.bar[j].level = stop.level
            if not math.isnan(stop.level):
                position.last_level = stop.level
            if state.account[0].cut_pending:
                reason = BREAKER
            else:
                exit_ = open_exit_nb(price, stop, take_profit_level_nb(position.entry_price, rule),
                                     position.held, rule)
                reason, level = exit_.reason, exit_.level
                if reason == NO_STOP and position.lag_exit:
                    reason = SIGNAL
        if reason < 0 and orders.leave[t, j]:
            reason = SIGNAL
        if reason < 0:
            continue
        if reason in (BREAKER, SIGNAL):
            level = np.nan
        nf = sell_nb(t, j, price, position.shares, reason, level, state, book, scratch, nf)
        scratch.bar[j].exited = True
    return nf


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _open_entries_nb(t: int, market: Market, orders: Orders, book: Book, state: State,
                     scratch: Scratch, nf: int) -> int:
    """Market entries (and limits at or above the open) of columns not held; a held weight
    (init_weight) is bought at the column's first open of the run."""
    for j in range(state.positions.shape[0]):
        position = state.positions[j]
        bar = scratch.bar[j]
        if not bar.listed or bar.exited or position.shares > 0.0:
            continue
        price = market.open[t, j]
        limit = orders.limit[t, j]
        weight = 0.0
        if not position.seen and book.init_weight[j] > 0.0:
            weight = book.init_weight[j]
        elif orders.enter[t, j] and (math.isnan(limit) or price <= limit):
            if _blocked(t, j, orders, book, state):
                continue
            weight = orders.size[t, j]
        if weight <= 0.0:
            continue
        bought = buy_weight_nb(t, j, price, weight, market, book, state, scratch, nf)
        if bought > nf:
            nf = bought
            start_position_nb(t, j, price, orders.group[t, j], market, book, state)
    for j in range(state.positions.shape[0]):
        if scratch.bar[j].listed:
            state.positions[j].seen = True
    return nf


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _blocked(t: int, j: int, orders: Orders, book: Book, state: State) -> bool:
    """An entry that may not fill: its one-shot group filled already, or the breaker is
    tripped and j is a satellite."""
    group = orders.group[t, j]
    return ((group >= 0 and group <= state.positions[j].last_group)
            or (book.satellite[j] and state.account[0].tripped))


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _open_weights_nb(t: int, market: Market, state: State, scratch: Scratch) -> None:
    value = value_at_open_nb(t, market, state, scratch)
    for j in range(state.positions.shape[0]):
        shares = state.positions[j].shares
        if shares > 0.0 and scratch.bar[j].listed:
            scratch.bar[j].open_weight = shares * market.open[t, j] / value


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _bar_exits_nb(t: int, market: Market, book: Book, rule: RecordView, state: State,
                  scratch: Scratch, nf: int) -> int:
    """A satellite's stop when the low reaches its level, else its take-profit when the high
    does (the stop first when both could fill); at the open when it opened through."""
    for j in range(state.positions.shape[0]):
        position = state.positions[j]
        if position.shares <= 0.0 or not scratch.bar[j].listed or not book.satellite[j]:
            continue
        stop = stop_level_nb(position.entry_price, position.reference, market.atr[t, j], rule)
        scratch.bar[j].level = stop.level
        if not math.isnan(stop.level):
            position.last_level = stop.level
        exit_ = bar_exit_nb(market.open[t, j], market.high[t, j], market.low[t, j], stop,
                            take_profit_level_nb(position.entry_price, rule))
        if exit_.reason == NO_STOP:
            continue
        nf = sell_nb(t, j, exit_.price, position.shares, exit_.reason, exit_.level, state, book,
                     scratch, nf)
        scratch.bar[j].exited = True
    return nf


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _limit_entries_nb(t: int, market: Market, orders: Orders, book: Book, state: State,
                      scratch: Scratch, nf: int) -> int:
    """Buy-limits below the open fill at the limit when the low reaches it."""
    for j in range(state.positions.shape[0]):
        position = state.positions[j]
        limit = orders.limit[t, j]
        if (not scratch.bar[j].listed or scratch.bar[j].exited or position.shares > 0.0
                or not orders.enter[t, j] or math.isnan(limit) or market.open[t, j] <= limit
                or market.low[t, j] > limit or _blocked(t, j, orders, book, state)):
            continue
        bought = buy_weight_nb(t, j, limit, orders.size[t, j], market, book, state, scratch, nf)
        if bought == nf:
            continue
        nf = bought
        start_position_nb(t, j, limit, orders.group[t, j], market, book, state)
        position.held = -1.0  # bought after the open: this bar does not count as held
        position.reference = -np.inf  # the bar's high may predate the fill: trail from its close
    return nf


@njit(cache=True, inline="always", **WITHOUT_NRT)
def _close_nb(t: int, market: Market, book: Book, rule: RecordView, positions: np.ndarray,
              account: RecordView) -> None:
    """Marks, trailing references, the relative-strength lag, value and the breaker."""
    value = account.cash
    core_close = market.close[t, book.core_col]
    for j in range(positions.shape[0]):
        position = positions[j]
        close = market.close[t, j]
        if not math.isnan(close):
            position.mark = close
        if position.shares <= 0.0:
            continue
        value += position.shares * position.mark
        if math.isnan(close):
            continue
        position.held += 1.0
        position.reference = update_reference_nb(position.reference, market.high[t, j], close,
                                                 rule)
        if (book.satellite[j] and not math.isnan(book.lag_pct)
                and (close / position.entry_price) / (core_close / position.core_ref) - 1.0
                < -book.lag_pct):
            position.lag_exit = True
    account.value = value
    breaker = breaker_close_nb(value, t, account.peak, account.tripped, account.trip_bar, rule)
    account.peak, account.tripped, account.trip_bar = breaker.peak, breaker.tripped, breaker.trip_bar
    if breaker.cut:
        account.cut_pending = True
