"""The one definition of a stop level: backtest, sweep (and later the alert rules) call it.

Numba-compiled, so the kernels can call it bar by bar; plain Python may call it too (a numba
dispatcher). A rule is a RULE record (strategies/stops.py): `spec.rule()`. Per position it
needs the fill price of the entry, the trailing reference (the highest high, or close, since
the entry up to the previous session; see update_reference_nb) and ATR before the session.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from numba import njit

from strategies.stops import NO_STOP, STOP_ATR, STOP_FIXED, STOP_TRAILING, TAKE_PROFIT, TIME

WITHOUT_NRT: dict[str, Any] = {"_nrt": False}
"""numba's flag (as in numba.cpython.unicode): no reference counting, nothing allocated."""
RecordView = Any
"""One row of a structured array (a RULE, POSITION, FILL ... record): numba reads and writes
its fields by name; to mypy it is untyped."""


class StopLevel(NamedTuple):
    level: float  # NaN: no protective rule on
    reason: int  # STOP_FIXED, STOP_TRAILING or STOP_ATR: the rule with the highest level


@njit(cache=True, inline="always", **WITHOUT_NRT)
def stop_level_nb(entry_price: float, reference: float, atr: float, rule: RecordView) -> StopLevel:
    """The highest protective level of a long position and the rule that sets it.

    fixed: entry x (1 - fixed_pct); trailing: max(entry, reference) x (1 - trailing_pct);
    atr: max(entry, reference) - atr_mult x ATR (off while ATR is NaN)."""
    level = -np.inf
    reason = NO_STOP
    if not math.isnan(rule.fixed_pct):
        level = entry_price * (1.0 - rule.fixed_pct)
        reason = STOP_FIXED
    ref = max(entry_price, reference)
    if not math.isnan(rule.trailing_pct):
        candidate = ref * (1.0 - rule.trailing_pct)
        if candidate > level:
            level, reason = candidate, STOP_TRAILING
    if not math.isnan(rule.atr_mult) and not math.isnan(atr):
        candidate = ref - rule.atr_mult * atr
        if candidate > level:
            level, reason = candidate, STOP_ATR
    if reason == NO_STOP:
        return StopLevel(np.nan, NO_STOP)
    return StopLevel(level, reason)


@njit(cache=True, inline="always", **WITHOUT_NRT)
def take_profit_level_nb(entry_price: float, rule: RecordView) -> float:
    """entry x (1 + take_profit_pct); NaN when the rule is off."""
    return entry_price * (1.0 + rule.take_profit_pct)


@njit(cache=True, inline="always", **WITHOUT_NRT)
def update_reference_nb(reference: float, high: float, close: float, rule: RecordView) -> float:
    """The trailing reference after a session's close: the highest high (or close) so far.

    A position bought inside the session (a limit entry) starts at -inf: its first session's
    high may predate the fill, so it trails from that session's close."""
    if rule.trail_from_close or reference == -np.inf:
        return max(reference, close)
    return max(reference, high)


class StopExit(NamedTuple):
    """A position's sale decided by its stop rules in one session (reason NO_STOP: none)."""

    reason: int  # STOP_FIXED, STOP_TRAILING, STOP_ATR, TAKE_PROFIT, TIME or NO_STOP
    price: float  # raw fill (before slippage): the level, or the open when it opened through
    level: float  # the stop or take-profit level that filled (NaN: a time stop, or no sale)


@njit(cache=True, inline="always", **WITHOUT_NRT)
def open_exit_nb(open_price: float, stop: StopLevel, profit: float, held: float,
                 rule: RecordView) -> StopExit:
    """At the open of a session the position was held into (not on the session it was bought
    in): a stop, or else a take-profit, the open is already through fills at the open; else the
    time stop sells at the open once `time_sessions` closes were held."""
    if not math.isnan(stop.level) and open_price <= stop.level:
        return StopExit(stop.reason, open_price, stop.level)
    if not math.isnan(profit) and open_price >= profit:
        return StopExit(TAKE_PROFIT, open_price, profit)
    if not math.isnan(rule.time_sessions) and held >= rule.time_sessions:
        return StopExit(TIME, open_price, np.nan)
    return StopExit(NO_STOP, np.nan, np.nan)


@njit(cache=True, inline="always", **WITHOUT_NRT)
def bar_exit_nb(open_price: float, high: float, low: float, stop: StopLevel,
                profit: float) -> StopExit:
    """During a session: the stop when the low reaches its level (first, when the take-profit
    could fill as well), else the take-profit when the high reaches it; a level the session
    opened through fills at the open."""
    if not math.isnan(stop.level) and low <= stop.level:
        return StopExit(stop.reason, min(stop.level, open_price), stop.level)
    if not math.isnan(profit) and high >= profit:
        return StopExit(TAKE_PROFIT, max(profit, open_price), profit)
    return StopExit(NO_STOP, np.nan, np.nan)


class Breaker(NamedTuple):
    """The portfolio breaker after a close."""

    peak: float  # the value the drawdown is measured from
    tripped: bool  # no satellite is bought while tripped
    trip_bar: int  # the session it last tripped at
    cut: bool  # it tripped at this close: every satellite is sold at the next open


@njit(cache=True, inline="always", **WITHOUT_NRT)
def breaker_close_nb(value: float, t: int, peak: float, tripped: bool, trip_bar: int,
                     rule: RecordView) -> Breaker:
    """The breaker after the close of session t at portfolio value `value`: it trips when the
    value is more than breaker_drawdown below its peak and re-arms once the drawdown is back
    within rearm_recovery or rearm_sessions sessions passed (the peak restarts there)."""
    if math.isnan(rule.breaker_drawdown):
        return Breaker(peak, tripped, trip_bar, False)
    if tripped:
        if value >= peak * (1.0 - rule.rearm_recovery) or (
                rule.rearm_sessions > 0 and t - trip_bar >= rule.rearm_sessions):
            return Breaker(value, False, trip_bar, False)
        return Breaker(peak, True, trip_bar, False)
    peak = max(peak, value)
    if value < peak * (1.0 - rule.breaker_drawdown):
        return Breaker(peak, True, t, True)
    return Breaker(peak, False, trip_bar, False)
