"""The playbook's fill kernel: entries, exits, caps and every stop rule, one bar at a time.

vectorbt's from_signals covers fixed, trailing-from-high and take-profit stops with OHLC fills,
but not a trail from closes, ATR or time stops, a portfolio drawdown breaker, caps held at every
open, one-shot entry groups, or a named reason on each exit; so the decisions live here (numba,
cache=True) and vectorbt does the accounting from the fills (backtests/engine.py).

Inputs are trade-indexed: row t acts at the open of bar t or during it. Order of events in
bar t: (1) at the open: breaker cut, gap-through stops and take-profits, time stops, exit
signals, market entries and limit entries whose limit is at or above the open, cap trims;
(2) during the bar: stops at their level when the low reaches it, take-profits when the high
does, limit entries when the low reaches the limit; (3) at the close: trailing references,
relative-strength lag, portfolio value and the breaker.

Buys are sized as a weight of portfolio value at the fill: shares x price = w x V / (1 + w k)
with k = (1 + slippage)(1 + fees) - 1, so the weight after fees is exactly w. Each fill pays
fees x shares x fill price once; fill prices include slippage against the trader.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from backtests.kernel_fills import _buy_nb, _opened_nb, _rebalance_nb, _trim_nb
from strategies.stops import (
    BREAKER,
    END_OF_DATA,
    SIGNAL,
    STOP_ATR,
    STOP_FIXED,
    STOP_TRAILING,
    TAKE_PROFIT,
    TIME,
)


@njit(cache=True)
def stop_level_nb(
    entry_px: float, ref_max: float, atr: float,
    fixed_pct: float, trail_pct: float, atr_mult: float,
) -> tuple[float, int]:
    """The highest protective level of a long position and the rule that set it (-1: none)."""
    level = -np.inf
    reason = -1
    if not math.isnan(fixed_pct):
        level = entry_px * (1.0 - fixed_pct)
        reason = STOP_FIXED
    ref = max(entry_px, ref_max)
    if not math.isnan(trail_pct):
        candidate = ref * (1.0 - trail_pct)
        if candidate > level:
            level = candidate
            reason = STOP_TRAILING
    if not math.isnan(atr_mult) and not math.isnan(atr):
        candidate = ref - atr_mult * atr
        if candidate > level:
            level = candidate
            reason = STOP_ATR
    if reason < 0:
        return np.nan, -1
    return level, reason


@njit(cache=True, inline="always")
def _exit_nb(
    t, j, price, reason, level, shares, cash, slippage, fees, f_idx, f_col, f_size, f_price,
    f_fees, f_side, f_reason, f_level, nf, trade_id, t_exit_idx, t_exit_px, t_reason, t_level,
    last_level,
):
    """Sell all of column j at raw price (slippage and fees applied), record the fill and close
    its trade with `reason` and the last protective level. Returns nf and cash."""
    fill = price * (1.0 - slippage)
    fee = shares[j] * fill * fees
    cash += shares[j] * fill - fee
    f_idx[nf], f_col[nf], f_size[nf], f_price[nf] = t, j, shares[j], fill
    f_fees[nf], f_side[nf], f_reason[nf], f_level[nf] = fee, 1, reason, level
    tid = trade_id[j]
    t_exit_idx[tid], t_exit_px[tid], t_reason[tid] = t, fill, reason
    t_level[tid] = last_level[j]
    shares[j] = 0.0
    trade_id[j] = -1
    return nf + 1, cash


@njit(cache=True)
def simulate_nb(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, atr: np.ndarray,
    enter: np.ndarray, size: np.ndarray, limit: np.ndarray, group: np.ndarray,
    leave: np.ndarray, target: np.ndarray, cap: np.ndarray, total_cap: float,
    satellite: np.ndarray, init_weight: np.ndarray, lag_pct: float, core_col: int,
    init_cash: float, fees: float, slippage: float,
    fixed_pct: float, trail_pct: float, trail_close: bool, atr_mult: float,
    time_sessions: float, tp_pct: float, breaker_dd: float, rearm_recovery: float,
    rearm_sessions: int,
):
    n, m = close.shape
    cap_fills = n * m * 14 + m  # per bar: exit, entry, stop, limit entry, up to 10 trims
    f_idx = np.zeros(cap_fills, np.int64)
    f_col = np.zeros(cap_fills, np.int64)
    f_size = np.zeros(cap_fills)
    f_price = np.zeros(cap_fills)
    f_fees = np.zeros(cap_fills)
    f_side = np.zeros(cap_fills, np.int64)
    f_reason = np.zeros(cap_fills, np.int64)
    f_level = np.full(cap_fills, np.nan)
    t_col = np.zeros(cap_fills, np.int64)
    t_entry_idx = np.zeros(cap_fills, np.int64)
    t_entry_px = np.zeros(cap_fills)
    t_exit_idx = np.zeros(cap_fills, np.int64)
    t_exit_px = np.zeros(cap_fills)
    t_reason = np.zeros(cap_fills, np.int64)
    t_level = np.full(cap_fills, np.nan)
    t_shares = np.zeros(cap_fills)
    cash_out = np.zeros(n)
    value_out = np.zeros(n)
    open_weight = np.zeros((n, m))
    level_out = np.full((n, m), np.nan)

    nf = 0
    nt = 0
    cash = init_cash
    shares = np.zeros(m)
    entry_px = np.full(m, np.nan)
    ref_max = np.full(m, np.nan)
    core_ref = np.full(m, np.nan)
    held_bars = np.zeros(m, np.int64)
    trade_id = np.full(m, -1, np.int64)
    last_level = np.full(m, np.nan)
    last_group = np.full(m, -1, np.int64)
    lag_exit = np.zeros(m, np.bool_)
    initialised = np.zeros(m, np.bool_)
    peak = init_cash
    tripped = False
    trip_bar = -1
    cut_pending = False
    k_buy = (1.0 + slippage) * (1.0 + fees) - 1.0
    k_sell = 1.0 - (1.0 - slippage) * (1.0 - fees)
    opened = np.full(m, -1, np.int64)
    has_target = np.zeros(n, np.bool_)
    for t in range(n):
        for j in range(m):
            if not math.isnan(target[t, j]):
                has_target[t] = True

    for t in range(n):
        listed = np.zeros(m, np.bool_)
        for j in range(m):
            listed[j] = not math.isnan(open_[t, j])
        exited = np.zeros(m, np.bool_)
        # ---- (1) the open: exits first, each at the open (or its level) -------------------
        for j in range(m):
            if shares[j] <= 0.0 or not listed[j]:
                continue
            px = open_[t, j]
            reason = -1
            level = np.nan
            if satellite[j]:
                level, stop_reason = stop_level_nb(
                    entry_px[j], ref_max[j], atr[t, j], fixed_pct, trail_pct, atr_mult)
                level_out[t, j] = level
                if not math.isnan(level):
                    last_level[j] = level
                if cut_pending:
                    reason = BREAKER
                elif not math.isnan(level) and px <= level:
                    reason = stop_reason
                elif not math.isnan(tp_pct) and px >= entry_px[j] * (1.0 + tp_pct):
                    reason = TAKE_PROFIT
                    level = entry_px[j] * (1.0 + tp_pct)
                elif not math.isnan(time_sessions) and held_bars[j] >= time_sessions:
                    reason = TIME
                elif lag_exit[j]:
                    reason = SIGNAL
            if reason < 0 and leave[t, j]:
                reason = SIGNAL
            if reason < 0:
                continue
            if reason in (BREAKER, TIME, SIGNAL):
                level = np.nan
            nf, cash = _exit_nb(t, j, px, reason, level, shares, cash, slippage, fees, f_idx,
                                f_col, f_size, f_price, f_fees, f_side, f_reason, f_level, nf,
                                trade_id, t_exit_idx, t_exit_px, t_reason, t_level, last_level)
            exited[j] = True
        cut_pending = False
        # ---- target rebalances (core_satellite), then entries at the open -------------------
        if has_target[t]:
            opened[:] = -1
            nf, nt, cash, sold_out = _rebalance_nb(
                t, target[t], open_[t], listed, exited, shares, cash, satellite, tripped,
                slippage, fees, f_idx, f_col, f_size, f_price, f_fees, f_side, f_reason, nf,
                t_col, t_entry_idx, t_entry_px, t_shares, nt, opened)
            for j in range(m):
                if opened[j] >= 0:
                    _opened_nb(j, t, open_[t, j], -1, trade_id, opened[j] + 1, entry_px, ref_max,
                               held_bars, last_group, lag_exit, core_ref, open_[t, core_col])
                elif sold_out[j]:
                    tid = trade_id[j]
                    t_exit_idx[tid], t_exit_px[tid] = t, open_[t, j] * (1.0 - slippage)
                    t_reason[tid] = SIGNAL
                    t_level[tid] = last_level[j]
                    trade_id[j] = -1
                    exited[j] = True
        for j in range(m):
            if not listed[j] or exited[j] or shares[j] > 0.0:
                continue
            weight = 0.0
            if not initialised[j] and init_weight[j] > 0.0:
                weight = init_weight[j]
            elif enter[t, j] and (math.isnan(limit[t, j]) or open_[t, j] <= limit[t, j]):
                if group[t, j] >= 0 and group[t, j] <= last_group[j]:
                    continue
                if satellite[j] and tripped:
                    continue
                weight = size[t, j]
            if weight <= 0.0:
                continue
            nf, nt = _buy_nb(
                t, j, open_[t, j], weight, shares, open_[t], listed, cash, cap, total_cap,
                satellite, k_buy, slippage, fees,
                f_idx, f_col, f_size, f_price, f_fees, f_side, f_reason, nf,
                t_col, t_entry_idx, t_entry_px, t_shares, nt)
            if shares[j] <= 0.0:
                continue
            cash -= f_size[nf - 1] * f_price[nf - 1] + f_fees[nf - 1]
            _opened_nb(j, t, open_[t, j], group[t, j], trade_id, nt, entry_px, ref_max,
                       held_bars, last_group, lag_exit, core_ref, open_[t, core_col])
        for j in range(m):
            if listed[j]:
                initialised[j] = True
        # ---- cap trims after the open's buys, valued at the open ---------------------------
        nf, cash = _trim_nb(t, open_[t], listed, shares, cash, cap, total_cap, satellite,
                            k_sell, slippage, fees, f_idx, f_col, f_size, f_price, f_fees,
                            f_side, f_reason, nf)
        value = cash
        for j in range(m):
            if shares[j] > 0.0 and listed[j]:
                value += shares[j] * open_[t, j]
        for j in range(m):
            if shares[j] > 0.0 and listed[j]:
                open_weight[t, j] = shares[j] * open_[t, j] / value
        # ---- (2) during the bar: stops, take-profits, limit entries ------------------------
        for j in range(m):
            if shares[j] <= 0.0 or not listed[j] or not satellite[j]:
                continue
            level, stop_reason = stop_level_nb(
                entry_px[j], ref_max[j], atr[t, j], fixed_pct, trail_pct, atr_mult)
            level_out[t, j] = level
            if not math.isnan(level):
                last_level[j] = level
            price = np.nan
            reason = -1
            if not math.isnan(level) and low[t, j] <= level:
                price, reason = min(level, open_[t, j]), stop_reason
            elif not math.isnan(tp_pct) and high[t, j] >= entry_px[j] * (1.0 + tp_pct):
                level = entry_px[j] * (1.0 + tp_pct)
                price, reason = max(level, open_[t, j]), TAKE_PROFIT
            if reason < 0:
                continue
            nf, cash = _exit_nb(t, j, price, reason, level, shares, cash, slippage, fees, f_idx,
                                f_col, f_size, f_price, f_fees, f_side, f_reason, f_level, nf,
                                trade_id, t_exit_idx, t_exit_px, t_reason, t_level, last_level)
            exited[j] = True
        for j in range(m):
            if (not listed[j] or exited[j] or shares[j] > 0.0 or not enter[t, j]
                    or math.isnan(limit[t, j]) or open_[t, j] <= limit[t, j]
                    or low[t, j] > limit[t, j] or (satellite[j] and tripped)
                    or (group[t, j] >= 0 and group[t, j] <= last_group[j])):
                continue
            nf, nt = _buy_nb(
                t, j, limit[t, j], size[t, j], shares, open_[t], listed, cash, cap, total_cap,
                satellite, k_buy, slippage, fees,
                f_idx, f_col, f_size, f_price, f_fees, f_side, f_reason, nf,
                t_col, t_entry_idx, t_entry_px, t_shares, nt)
            if shares[j] <= 0.0:
                continue
            cash -= f_size[nf - 1] * f_price[nf - 1] + f_fees[nf - 1]
            _opened_nb(j, t, limit[t, j], group[t, j], trade_id, nt, entry_px, ref_max,
                       held_bars, last_group, lag_exit, core_ref, open_[t, core_col])
            held_bars[j] = -1  # bought after the open: this bar does not count as held
            ref_max[j] = -np.inf  # the bar's high may predate the fill: trail from its close
        # ---- (3) the close -----------------------------------------------------------------
        value = cash
        for j in range(m):
            if shares[j] > 0.0 and not math.isnan(close[t, j]):
                value += shares[j] * close[t, j]
                held_bars[j] += 1
                if trail_close or ref_max[j] == -np.inf:
                    ref_max[j] = max(ref_max[j], close[t, j])
                else:
                    ref_max[j] = max(ref_max[j], high[t, j])
                if (satellite[j] and not math.isnan(lag_pct)
                        and (close[t, j] / entry_px[j])
                        / (close[t, core_col] / core_ref[j]) - 1.0 < -lag_pct):
                    lag_exit[j] = True
        cash_out[t] = cash
        value_out[t] = value
        if not math.isnan(breaker_dd):
            if tripped:
                recovered = value >= peak * (1.0 - rearm_recovery)
                if recovered or (rearm_sessions > 0 and t - trip_bar >= rearm_sessions):
                    tripped = False
                    peak = value
            else:
                peak = max(peak, value)
                if value < peak * (1.0 - breaker_dd):
                    tripped = True
                    trip_bar = t
                    cut_pending = True
    for j in range(m):
        tid = trade_id[j]
        if tid >= 0:
            t_exit_idx[tid], t_exit_px[tid], t_reason[tid] = n - 1, close[n - 1, j], END_OF_DATA
            t_level[tid] = last_level[j]
    return (
        f_idx[:nf], f_col[:nf], f_size[:nf], f_price[:nf], f_fees[:nf], f_side[:nf],
        f_reason[:nf], f_level[:nf],
        t_col[:nt], t_entry_idx[:nt], t_entry_px[:nt], t_exit_idx[:nt], t_exit_px[:nt],
        t_reason[:nt], t_level[:nt], t_shares[:nt],
        cash_out, value_out, open_weight, level_out,
    )
