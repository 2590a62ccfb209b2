"""The sweep kernel: every stop rule of a grid through the fill kernel's logic, metrics only.

Each rule (one row of `rules`: the StopSpec.kernel_args() scalars) is the kernel of
backtests/kernel.py replayed bar by bar with the same fill helpers (backtests/kernel_fills.py),
but nothing is recorded: a bar's fills go to a small scratch buffer and are folded at once into
streaming statistics (value, returns' sums, the drawdown of cumulated returns, fills, the
profit factor of vectorbt's exit trades). Memory is O(rules x metrics), never bars x rules.
Rules run in parallel (numba prange). The formulas mirror backtests/report.py (vectorbt's
returns accessor, 252 sessions a year): tests/tuning checks them against full backtests.

Shared prefix: before the first session where a satellite is listed no stop rule can act, so
the state there depends only on the breaker's three scalars; it is computed once per breaker
setting and every rule continues from a copy (`prefix_state`, `run_rules`).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from numba import njit, prange
from vectorbt.portfolio.nb import get_trade_stats_nb
from vectorbt.utils.math_ import is_close_nb, is_close_or_less_nb, is_less_nb

from backtests.engine import KernelInputs
from backtests.kernel import stop_level_nb
from backtests.kernel_fills import _buy_nb, _rebalance_into_nb, _trim_nb
from strategies.stops import BREAKER, SIGNAL, TAKE_PROFIT, TIME

METRICS = ("total_return", "cagr", "max_drawdown", "sharpe", "sortino", "calmar", "trades",
           "profit_factor")
SESSIONS_PER_YEAR = 252.0
# rows of the float state (m columns each) and slots of the scalar state
SHARES, ENTRY, REF, CORE_REF, HELD, LAG, INIT, GROUP, IN_POS, E_SIZE, E_GROSS, E_FEES = range(12)
STATE_ROWS = 12
CASH, PEAK, TRIPPED, TRIP_BAR, CUT, PREV, COUNT, SUM_R, MEAN, M2, DOWN2, CUMPROD, PEAK_CUM, \
    MIN_DD, FILLS, WIN, LOSS, NTRADES = range(18)
SCALARS = 18
WITHOUT_NRT: dict[str, Any] = {"_nrt": False}
"""numba's flag (as in numba.cpython.unicode): no reference counting, no allocation."""


class Costs(NamedTuple):
    init_cash: float
    fees: float
    slippage: float


def initial_state(m: int, init_cash: float) -> tuple[np.ndarray, np.ndarray]:
    state = np.zeros((STATE_ROWS, m))
    state[ENTRY] = np.nan
    state[REF] = np.nan
    state[CORE_REF] = np.nan
    state[GROUP] = -1.0
    scalars = np.zeros(SCALARS)
    scalars[CASH] = init_cash
    scalars[PEAK] = init_cash
    scalars[TRIP_BAR] = -1.0
    scalars[PREV] = init_cash
    scalars[CUMPROD] = 1.0
    scalars[PEAK_CUM] = -np.inf
    return state, scalars


@njit(cache=True, inline="always")
def _fold_fills_nb(n_fills, f_col, f_size, f_price, f_fees, f_side, st, sc):
    """vectorbt's exit trades (get_exit_trades_nb), streamed: wins and losses of each exit."""
    for k in range(n_fills):
        j = f_col[k]
        sc[FILLS] += 1.0
        if f_side[k] == 0:
            if st[IN_POS, j] == 0.0:
                st[IN_POS, j] = 1.0
                st[E_SIZE, j], st[E_GROSS, j], st[E_FEES, j] = 0.0, 0.0, 0.0
            st[E_SIZE, j] += f_size[k]
            st[E_GROSS, j] += f_size[k] * f_price[k]
            st[E_FEES, j] += f_fees[k]
            continue
        size_sum = st[E_SIZE, j]
        if not is_close_or_less_nb(f_size[k], size_sum):
            continue  # long only: a sale never exceeds the position
        closed = is_close_nb(f_size[k], size_sum)
        exit_size = size_sum if closed else f_size[k]
        pnl, _ = get_trade_stats_nb(exit_size, st[E_GROSS, j] / size_sum,
                                    exit_size / size_sum * st[E_FEES, j], f_price[k], f_fees[k], 0)
        _count_trade_nb(pnl, sc)
        if closed:
            st[IN_POS, j] = 0.0
        else:
            fraction = (size_sum - f_size[k]) / size_sum
            st[E_SIZE, j] *= fraction
            st[E_GROSS, j] *= fraction
            st[E_FEES, j] *= fraction


@njit(cache=True, inline="always")
def _count_trade_nb(pnl, sc):
    sc[NTRADES] += 1.0
    if pnl > 0:
        sc[WIN] += pnl
    elif pnl < 0:
        sc[LOSS] += pnl


@njit(cache=True, inline="always")
def _close_step_nb(value, sc):
    """One session's return into the running sums (vectorbt: returns vs the previous value)."""
    r = (value - sc[PREV]) / sc[PREV]
    sc[PREV] = value
    sc[COUNT] += 1.0
    sc[SUM_R] += r
    delta = r - sc[MEAN]
    sc[MEAN] += delta / sc[COUNT]
    sc[M2] += delta * (r - sc[MEAN])
    if r < 0:
        sc[DOWN2] += r * r
    sc[CUMPROD] *= r + 1.0
    cum = sc[CUMPROD] * 100.0
    sc[PEAK_CUM] = max(sc[PEAK_CUM], cum)
    sc[MIN_DD] = min(sc[MIN_DD], cum / sc[PEAK_CUM] - 1.0)


@njit(cache=True)
def scratch_nb(m):
    """span_nb's buffers for m columns: integers, floats (rows of a bar's fills) and flags."""
    buf = 16 * m + 16
    return np.zeros((7, buf), np.int64), np.zeros((5, buf)), np.zeros((3, m), np.bool_)


@njit(cache=True, **WITHOUT_NRT)
def span_nb(
    t0, t1, open_, high, low, close, atr, enter, size, limit, group, leave, target, has_target,
    cap, total_cap, satellite, init_weight, lag_pct, core_col, init_cash, fees, slippage,
    rule, st, sc, ib, fb, bb,
):
    """Bars t0..t1-1 of backtests/kernel.py simulate_nb for one rule, updating st and sc.

    Compiled without NRT (numba's reference counting: an atomic operation on every array
    passed or sliced, once about half of the time here): nothing is allocated, the buffers
    (ib, fb, bb) come from scratch_nb, and every helper is inlined."""
    fixed_pct, trail_pct, trail_close, atr_mult = rule[0], rule[1], rule[2] > 0.5, rule[3]
    time_sessions, tp_pct, breaker_dd, rearm_recovery = rule[4], rule[5], rule[6], rule[7]
    rearm_sessions = int(rule[8])
    m = close.shape[1]
    f_idx, f_col, f_side, f_reason, t_col, t_entry_idx, opened = (
        ib[0], ib[1], ib[2], ib[3], ib[4], ib[5], ib[6])
    f_size, f_price, f_fees, t_entry_px, t_shares = fb[0], fb[1], fb[2], fb[3], fb[4]
    listed, exited, sold_out = bb[0], bb[1], bb[2]
    shares = st[SHARES]
    k_buy = (1.0 + slippage) * (1.0 + fees) - 1.0
    k_sell = 1.0 - (1.0 - slippage) * (1.0 - fees)
    cash = sc[CASH]
    for t in range(t0, t1):
        nf = 0
        for j in range(m):
            listed[j] = not math.isnan(open_[t, j])
            exited[j] = False
        for j in range(m):  # (1) the open: exits
            if shares[j] <= 0.0 or not listed[j]:
                continue
            px = open_[t, j]
            reason = -1
            if satellite[j]:
                level, stop_reason = stop_level_nb(
                    st[ENTRY, j], st[REF, j], atr[t, j], fixed_pct, trail_pct, atr_mult)
                if sc[CUT] > 0.5:
                    reason = BREAKER
                elif not math.isnan(level) and px <= level:
                    reason = stop_reason
                elif not math.isnan(tp_pct) and px >= st[ENTRY, j] * (1.0 + tp_pct):
                    reason = TAKE_PROFIT
                elif not math.isnan(time_sessions) and st[HELD, j] >= time_sessions:
                    reason = TIME
                elif st[LAG, j] > 0.5:
                    reason = SIGNAL
            if reason < 0 and leave[t, j]:
                reason = SIGNAL
            if reason < 0:
                continue
            nf, cash = _sell_all_nb(t, j, px, shares, cash, slippage, fees, f_idx, f_col, f_size,
                                    f_price, f_fees, f_side, nf)
            exited[j] = True
        sc[CUT] = 0.0
        tripped = sc[TRIPPED] > 0.5
        if has_target[t]:
            opened[:] = -1
            nf, _, cash = _rebalance_into_nb(
                t, target[t], open_[t], listed, exited, shares, cash, satellite, tripped,
                slippage, fees, f_idx, f_col, f_size, f_price, f_fees, f_side, f_reason, nf,
                t_col, t_entry_idx, t_entry_px, t_shares, 0, opened, sold_out)
            for j in range(m):
                if opened[j] >= 0:
                    _opened_nb(st, j, open_[t, j], -1, open_[t, core_col])
                elif sold_out[j]:
                    exited[j] = True
        for j in range(m):  # entries at the open
            if not listed[j] or exited[j] or shares[j] > 0.0:
                continue
            weight = 0.0
            if st[INIT, j] == 0.0 and init_weight[j] > 0.0:
                weight = init_weight[j]
            elif enter[t, j] and (math.isnan(limit[t, j]) or open_[t, j] <= limit[t, j]):
                if (group[t, j] >= 0 and group[t, j] <= st[GROUP, j]) or (satellite[j] and tripped):
                    continue
                weight = size[t, j]
            if weight <= 0.0:
                continue
            nf, _ = _buy_nb(t, j, open_[t, j], weight, shares, open_[t], listed, cash, cap,
                            total_cap, satellite, k_buy, slippage, fees, f_idx, f_col, f_size,
                            f_price, f_fees, f_side, f_reason, nf, t_col, t_entry_idx, t_entry_px,
                            t_shares, 0)
            if shares[j] <= 0.0:
                continue
            cash -= f_size[nf - 1] * f_price[nf - 1] + f_fees[nf - 1]
            _opened_nb(st, j, open_[t, j], group[t, j], open_[t, core_col])
        for j in range(m):
            if listed[j]:
                st[INIT, j] = 1.0
        nf, cash = _trim_nb(t, open_[t], listed, shares, cash, cap, total_cap, satellite, k_sell,
                            slippage, fees, f_idx, f_col, f_size, f_price, f_fees, f_side,
                            f_reason, nf)
        for j in range(m):  # (2) during the bar: stops, take-profits, limit entries
            if shares[j] <= 0.0 or not listed[j] or not satellite[j]:
                continue
            level, stop_reason = stop_level_nb(
                st[ENTRY, j], st[REF, j], atr[t, j], fixed_pct, trail_pct, atr_mult)
            price = np.nan
            if not math.isnan(level) and low[t, j] <= level:
                price = min(level, open_[t, j])
            elif not math.isnan(tp_pct) and high[t, j] >= st[ENTRY, j] * (1.0 + tp_pct):
                price = max(st[ENTRY, j] * (1.0 + tp_pct), open_[t, j])
            if math.isnan(price):
                continue
            nf, cash = _sell_all_nb(t, j, price, shares, cash, slippage, fees, f_idx, f_col,
                                    f_size, f_price, f_fees, f_side, nf)
            exited[j] = True
        for j in range(m):
            if (not listed[j] or exited[j] or shares[j] > 0.0 or not enter[t, j]
                    or math.isnan(limit[t, j]) or open_[t, j] <= limit[t, j]
                    or low[t, j] > limit[t, j] or (satellite[j] and tripped)
                    or (group[t, j] >= 0 and group[t, j] <= st[GROUP, j])):
                continue
            nf, _ = _buy_nb(t, j, limit[t, j], size[t, j], shares, open_[t], listed, cash, cap,
                            total_cap, satellite, k_buy, slippage, fees, f_idx, f_col, f_size,
                            f_price, f_fees, f_side, f_reason, nf, t_col, t_entry_idx, t_entry_px,
                            t_shares, 0)
            if shares[j] <= 0.0:
                continue
            cash -= f_size[nf - 1] * f_price[nf - 1] + f_fees[nf - 1]
            _opened_nb(st, j, limit[t, j], group[t, j], open_[t, core_col])
            st[HELD, j] = -1.0
            st[REF, j] = -np.inf
        value = cash  # (3) the close
        for j in range(m):
            if shares[j] > 0.0 and not math.isnan(close[t, j]):
                value += shares[j] * close[t, j]
                st[HELD, j] += 1.0
                if trail_close or st[REF, j] == -np.inf:
                    st[REF, j] = max(st[REF, j], close[t, j])
                else:
                    st[REF, j] = max(st[REF, j], high[t, j])
                if (satellite[j] and not math.isnan(lag_pct)
                        and (close[t, j] / st[ENTRY, j])
                        / (close[t, core_col] / st[CORE_REF, j]) - 1.0 < -lag_pct):
                    st[LAG, j] = 1.0
        _fold_fills_nb(nf, f_col, f_size, f_price, f_fees, f_side, st, sc)
        _close_step_nb(value, sc)
        if not math.isnan(breaker_dd):
            if sc[TRIPPED] > 0.5:
                if value >= sc[PEAK] * (1.0 - rearm_recovery) or (
                        rearm_sessions > 0 and t - sc[TRIP_BAR] >= rearm_sessions):
                    sc[TRIPPED] = 0.0
                    sc[PEAK] = value
            else:
                sc[PEAK] = max(sc[PEAK], value)
                if value < sc[PEAK] * (1.0 - breaker_dd):
                    sc[TRIPPED], sc[TRIP_BAR], sc[CUT] = 1.0, t, 1.0
    sc[CASH] = cash


@njit(cache=True, inline="always")
def _sell_all_nb(t, j, px, shares, cash, slippage, fees, f_idx, f_col, f_size, f_price, f_fees,
                 f_side, nf):
    fill = px * (1.0 - slippage)
    fee = shares[j] * fill * fees
    cash += shares[j] * fill - fee
    f_idx[nf], f_col[nf], f_size[nf], f_price[nf], f_fees[nf], f_side[nf] = (
        t, j, shares[j], fill, fee, 1)
    shares[j] = 0.0
    return nf + 1, cash


@njit(cache=True, inline="always")
def _opened_nb(st, j, px, group, core_open):
    st[ENTRY, j], st[REF, j], st[HELD, j], st[LAG, j], st[CORE_REF, j] = px, px, 0.0, 0.0, core_open
    if group >= 0:
        st[GROUP, j] = group


@njit(cache=True)
def metrics_nb(st, sc, last_close, init_cash, out):
    """The metrics of METRICS from the streamed sums (report.portfolio_stats' formulas)."""
    for j in range(st.shape[1]):  # an open position is a trade valued at the last close
        if st[IN_POS, j] > 0.0 and is_less_nb(-st[E_SIZE, j], 0.0):
            size_sum = st[E_SIZE, j]
            pnl, _ = get_trade_stats_nb(size_sum, st[E_GROSS, j] / size_sum, st[E_FEES, j],
                                        last_close[j], 0.0, 0)
            _count_trade_nb(pnl, sc)
    n = sc[COUNT]
    ann = SESSIONS_PER_YEAR
    cagr = sc[CUMPROD] ** (ann / n) - 1.0 if n > 0 else np.nan
    max_dd = sc[MIN_DD]
    mean = sc[SUM_R] / n
    std = math.sqrt(sc[M2] / (n - 1.0)) if n > 1 else np.nan
    down = math.sqrt(sc[DOWN2] / n) * math.sqrt(ann)
    out[0] = (sc[PREV] - init_cash) / init_cash
    out[1] = cagr
    out[2] = abs(max_dd)
    out[3] = np.nan if n < 2 else (np.inf if std == 0.0 else mean / std * math.sqrt(ann))
    out[4] = np.nan if n < 2 else (np.inf if down == 0.0 else mean * ann / down)
    out[5] = np.nan if max_dd == 0.0 else cagr / abs(max_dd)
    out[6] = sc[FILLS]
    out[7] = np.nan if sc[NTRADES] == 0 else sc[WIN] / abs(sc[LOSS])
    for k in range(out.shape[0]):
        if not math.isfinite(out[k]):
            out[k] = np.nan


@njit(cache=True, parallel=True)
def rules_nb(
    t0, open_, high, low, close, atr, enter, size, limit, group, leave, target, has_target,
    cap, total_cap, satellite, init_weight, lag_pct, core_col, init_cash, fees, slippage,
    rules, st0, sc0,
):
    """Every rule from the prefix state (st0, sc0) at bar t0 to the end: metrics (rules x 8)."""
    n = close.shape[0]
    out = np.full((rules.shape[0], 8), np.nan)
    last_close = close[n - 1]
    for r in prange(rules.shape[0]):
        st = st0.copy()
        sc = sc0.copy()
        ib, fb, bb = scratch_nb(st.shape[1])
        span_nb(t0, n, open_, high, low, close, atr, enter, size, limit, group, leave, target,
                has_target, cap, total_cap, satellite, init_weight, lag_pct, core_col, init_cash,
                fees, slippage, rules[r], st, sc, ib, fb, bb)
        metrics_nb(st, sc, last_close, init_cash, out[r])
    return out


def prefix_length(inputs: KernelInputs) -> int:
    """Sessions before the first one where a satellite is listed (no stop can act there)."""
    listed = ~np.isnan(inputs.open[:, inputs.satellite])
    rows = np.flatnonzero(listed.any(axis=1))
    return int(rows[0]) if len(rows) else inputs.open.shape[0]


def market_args(inputs: KernelInputs, atr: np.ndarray) -> tuple[Any, ...]:
    has_target = ~np.isnan(inputs.target).all(axis=1)
    return (inputs.open, inputs.high, inputs.low, inputs.close, atr, *inputs[4:10], has_target,
            *inputs[10:])


def prefix_state(
    inputs: KernelInputs, atr: np.ndarray, rule: np.ndarray, costs: Costs, share: bool = True
) -> tuple[int, np.ndarray, np.ndarray]:
    """(t0, state, scalars) at the end of the shared prefix for rules with `rule`'s breaker."""
    state, scalars = initial_state(inputs.open.shape[1], costs.init_cash)
    t0 = prefix_length(inputs) if share else 0
    if t0 > 0:
        kernel: Any = span_nb
        kernel(0, t0, *market_args(inputs, atr), *costs, np.ascontiguousarray(rule), state, scalars,
               *scratch_nb(inputs.open.shape[1]))
    return t0, state, scalars


def run_rules(
    inputs: KernelInputs, atr: np.ndarray, rules: np.ndarray, costs: Costs, share: bool = True
) -> np.ndarray:
    """Metrics (len(rules) x len(METRICS)) of every rule; rules grouped by breaker setting."""
    out = np.full((len(rules), len(METRICS)), np.nan)
    breaker = np.nan_to_num(rules[:, 6:9], nan=-1.0)
    keys, which = np.unique(breaker, axis=0, return_inverse=True)
    kernel: Any = rules_nb
    for key in range(len(keys)):
        rows = np.flatnonzero(which.ravel() == key)
        t0, state, scalars = prefix_state(inputs, atr, rules[rows[0]], costs, share)
        out[rows] = kernel(t0, *market_args(inputs, atr), *costs,
                           np.ascontiguousarray(rules[rows]), state, scalars)
    return out
