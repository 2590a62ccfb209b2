"""Fill helpers of the kernel (backtests/kernel.py) and the sweep (backtests/sweep_kernel.py).

Each writes its fills into the caller's buffers at index nf (trades at nt) and returns the
new counts; the caller owns the state. Prices are raw: slippage and fees are applied here.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from strategies.stops import CAP, ENTRY, SIGNAL


@njit(cache=True, inline="always")
def _buy_nb(
    t, j, px, weight, shares, open_row, listed, cash, cap, total_cap, satellite,
    k_buy, slippage, fees, f_idx, f_col, f_size, f_price, f_fees, f_side, f_reason, nf,
    t_col, t_entry_idx, t_entry_px, t_shares, nt,
):
    """Buy column j at raw price px for `weight` of value, within caps and cash."""
    value = cash
    others = 0.0
    for i in range(shares.shape[0]):
        if shares[i] > 0.0 and listed[i]:
            value += shares[i] * open_row[i]
            if satellite[i] and i != j:
                others += shares[i] * open_row[i]
    weight = min(weight, cap[j])
    if satellite[j]:
        weight = min(weight, total_cap - others / value)
    if weight <= 1e-12 or cash <= 0.0:
        return nf, nt
    bought = weight * value / (1.0 + weight * k_buy) / px
    bought = min(bought, cash / (px * (1.0 + k_buy)))
    fill = px * (1.0 + slippage)
    f_idx[nf], f_col[nf], f_size[nf], f_price[nf] = t, j, bought, fill
    f_fees[nf], f_side[nf], f_reason[nf] = bought * fill * fees, 0, ENTRY
    shares[j] = bought
    t_col[nt], t_entry_idx[nt], t_entry_px[nt], t_shares[nt] = j, t, fill, bought
    return nf + 1, nt + 1


@njit(cache=True)
def _opened_nb(
    j, t, px, group, trade_id, nt, entry_px, ref_max, held_bars, last_group, lag_exit,
    core_ref, core_open,
):
    trade_id[j] = nt - 1
    entry_px[j] = px
    ref_max[j] = px
    held_bars[j] = 0
    lag_exit[j] = False
    core_ref[j] = core_open
    if group >= 0:
        last_group[j] = group


@njit(cache=True, inline="always")
def _trim_nb(
    t, price, listed, shares, cash, cap, total_cap, satellite, k_sell, slippage, fees,
    f_idx, f_col, f_size, f_price, f_fees, f_side, f_reason, nf,
):
    """Sell positions above their cap (each satellite, then all together) back to it.

    The positions over a cap are solved jointly so that each ends exactly at the cap after
    the fees of every trim; a pass can push another position over, so passes repeat.
    """
    m = shares.shape[0]
    for _ in range(10):  # no array is allocated: this runs at every bar of every rule
        value = cash
        for j in range(m):
            if shares[j] > 0.0 and listed[j]:
                value += shares[j] * price[j]
        over = 0
        over_value = 0.0
        c = 0.0
        for j in range(m):
            if shares[j] > 0.0 and listed[j] and shares[j] * price[j] > cap[j] * value * (1 + 1e-12):
                over += 1
                over_value += shares[j] * price[j]
                c = cap[j]
        after = 0.0
        kept = 0.0
        sat_value = 0.0
        if over > 0:
            kept = over * c * (value - k_sell * over_value) / (1.0 - over * c * k_sell)
            after = value - k_sell * (over_value - kept)
        else:
            for j in range(m):
                if shares[j] > 0.0 and listed[j] and satellite[j]:
                    sat_value += shares[j] * price[j]
            if sat_value <= total_cap * value * (1 + 1e-12):
                break
            kept = total_cap * (value - k_sell * sat_value) / (1.0 - total_cap * k_sell)
        for j in range(m):  # each target from the state before any trim of this pass
            target = -1.0
            if over > 0:
                if shares[j] > 0.0 and listed[j] and shares[j] * price[j] > cap[j] * value * (1 + 1e-12):
                    target = cap[j] * after
            elif shares[j] > 0.0 and listed[j] and satellite[j]:
                target = shares[j] * price[j] * kept / sat_value
            if target < 0.0:
                continue
            sold = shares[j] - target / price[j]
            if sold <= 0.0:
                continue
            fill = price[j] * (1.0 - slippage)
            fee = sold * fill * fees
            cash += sold * fill - fee
            f_idx[nf], f_col[nf], f_size[nf], f_price[nf] = t, j, sold, fill
            f_fees[nf], f_side[nf], f_reason[nf] = fee, 1, CAP
            nf += 1
            shares[j] -= sold
    return nf, cash


@njit(cache=True, inline="always")
def _rebalance_nb(
    t, target_row, open_row, listed, exited, shares, cash, satellite, tripped, slippage, fees,
    f_idx, f_col, f_size, f_price, f_fees, f_side, f_reason, nf,
    t_col, t_entry_idx, t_entry_px, t_shares, nt, opened,
):
    """_rebalance_into_nb with a new sold_out array, returned as the fourth value."""
    sold_out = np.zeros(shares.shape[0], np.bool_)
    nf, nt, cash = _rebalance_into_nb(
        t, target_row, open_row, listed, exited, shares, cash, satellite, tripped, slippage,
        fees, f_idx, f_col, f_size, f_price, f_fees, f_side, f_reason, nf,
        t_col, t_entry_idx, t_entry_px, t_shares, nt, opened, sold_out)
    return nf, nt, cash, sold_out


@njit(cache=True, inline="always")
def _rebalance_into_nb(
    t, target_row, open_row, listed, exited, shares, cash, satellite, tripped, slippage, fees,
    f_idx, f_col, f_size, f_price, f_fees, f_side, f_reason, nf,
    t_col, t_entry_idx, t_entry_px, t_shares, nt, opened, sold_out,
):
    """Trade each listed column with a target (NaN: no order) to target x value at the open.

    Like vectorbt's target percentages: the value is taken at the open before any order, the
    order is target shares minus held shares, sells go first, a buy the cash cannot cover
    (with slippage and fees) is cut to what it can. A column stopped out at this open, and a
    satellite while the breaker is tripped, is not bought. opened[j] becomes the trade index
    when column j goes from no shares to some (the caller starts that trade; -1 otherwise).
    sold_out[j] becomes True where a target of zero closed column j (False elsewhere).
    Returns nf, nt and cash. Allocates nothing (the sweep's kernel runs without NRT).
    """
    m = shares.shape[0]
    value = cash
    for j in range(m):
        if shares[j] > 0.0 and listed[j]:
            value += shares[j] * open_row[j]
    for j in range(m):
        sold_out[j] = False
    for j in range(m):
        if not listed[j] or math.isnan(target_row[j]) or shares[j] <= 0.0:
            continue
        sold = shares[j] - target_row[j] * value / open_row[j]
        if sold <= 0.0:
            continue
        if sold >= shares[j] * (1.0 - 1e-12):
            sold = shares[j]
            sold_out[j] = True
        fill = open_row[j] * (1.0 - slippage)
        fee = sold * fill * fees
        cash += sold * fill - fee
        f_idx[nf], f_col[nf], f_size[nf], f_price[nf] = t, j, sold, fill
        f_fees[nf], f_side[nf], f_reason[nf] = fee, 1, SIGNAL
        nf += 1
        shares[j] = 0.0 if sold_out[j] else shares[j] - sold
    for j in range(m):
        if (not listed[j] or math.isnan(target_row[j]) or exited[j]
                or (satellite[j] and tripped) or cash <= 0.0):
            continue
        bought = target_row[j] * value / open_row[j] - shares[j]
        if bought <= 0.0:
            continue
        fill = open_row[j] * (1.0 + slippage)
        bought = min(bought, cash / (fill * (1.0 + fees)))
        fee = bought * fill * fees
        cash -= bought * fill + fee
        f_idx[nf], f_col[nf], f_size[nf], f_price[nf] = t, j, bought, fill
        f_fees[nf], f_side[nf], f_reason[nf] = fee, 0, ENTRY
        nf += 1
        if shares[j] <= 0.0:
            opened[j] = nt
            t_col[nt], t_entry_idx[nt], t_entry_px[nt], t_shares[nt] = j, t, fill, bought
            nt += 1
        shares[j] += bought
    return nf, nt, cash
