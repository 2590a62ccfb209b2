"""A position's stop rules session by session, carried forward from its entry (one pass).

The levels, fills and trailing reference come from strategies.stop_level, the functions the fill
kernel calls; the order of events in a session is the kernel's: at the open a stop (or
take-profit) the open is through, a time stop or the breaker's cut sells at the open; during
the session the stop fills when the low reaches its level (the stop first when the take-profit
could fill too); at the close the trailing reference moves. So a position here leaves on the
session and at the price a backtest's satellite bought at the same price on the same day does.

The level in force for a session is the one known at the previous close (ATR of the bars before
it); `next_level` is the one known after a session's close: what the investor's stop order
should say for the next session.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bot.model import ResolvedPosition
from strategies.stop_level import (
    StopExit,
    StopLevel,
    bar_exit_nb,
    open_exit_nb,
    stop_level_nb,
    take_profit_level_nb,
    update_reference_nb,
)
from strategies.stops import BREAKER, NO_STOP, REASONS, atr_before_bar

NO_LEVEL = StopLevel(math.nan, NO_STOP)


def rule_name(reason: int) -> str:
    """A stop level's or exit's rule as the backtest names its exit reasons ("" for none)."""
    return REASONS[reason] if reason >= 0 else ""


@dataclass(frozen=True)
class Closed:
    """How a position ended: the session, the raw fill price and the rule that sold it."""

    session: pd.Timestamp
    fill: float
    level: float | None  # the stop or take-profit level (None: time stop or breaker)
    rule: str  # stop_fixed, stop_trailing, stop_atr, take_profit, time or breaker


@dataclass
class PositionPath:
    """One position's sessions from its entry to its exit (or the last one evaluated)."""

    position: ResolvedPosition
    sessions: list[pd.Timestamp] = field(default_factory=list)
    close: list[float] = field(default_factory=list)
    level: list[float] = field(default_factory=list)  # in force during the session (NaN: none)
    rule: list[str] = field(default_factory=list)
    next_level: list[float] = field(default_factory=list)  # for the next session (NaN: none)
    next_rule: list[str] = field(default_factory=list)
    reference: list[float] = field(default_factory=list)  # trailing reference after the close
    reference_date: list[pd.Timestamp | None] = field(default_factory=list)  # None: the entry
    next_atr: list[float] = field(default_factory=list)  # ATR known after the close
    sell_at_open: list[str] = field(default_factory=list)  # "time" or "breaker": the next open sells
    high_close: list[float] = field(default_factory=list)  # highest close since entry
    high_date: list[pd.Timestamp] = field(default_factory=list)
    closed: Closed | None = None

    def index_at(self, session: pd.Timestamp) -> int:
        """Row of the last session on or before `session` (-1: none yet)."""
        return bisect.bisect_right(self.sessions, session) - 1

    def closed_by(self, session: pd.Timestamp) -> Closed | None:
        return self.closed if self.closed is not None and self.closed.session <= session else None


class PositionTracker:
    """Steps one position through its ticker's bars, keeping the kernel's per-position state."""

    def __init__(self, position: ResolvedPosition, frame: pd.DataFrame) -> None:
        self.position = position
        self.rule = position.stops.rule()
        self.path = PositionPath(position)
        first = int(frame.index.searchsorted(position.entry))
        start = max(0, first - position.stops.atr_window - 1)  # ATR needs the window before
        bars = frame.iloc[start:]
        self.sessions = pd.DatetimeIndex(bars.index)
        self.prices = {name: bars[name].to_numpy(dtype=float) for name in ("Open", "High", "Low", "Close")}
        high, low, close = (np.append(self.prices[name], np.nan)[:, None]  # one row more: the
                            for name in ("High", "Low", "Close"))        # next session's ATR
        self.atr = atr_before_bar(high, low, close, position.stops.atr_window)[:, 0]
        self.row = first - start
        self.reference = -np.inf
        self.reference_date: pd.Timestamp | None = None
        self.held = -1.0
        self.profit = float(take_profit_level_nb(position.entry_price, self.rule))

    @property
    def is_open(self) -> bool:
        return self.path.closed is None

    def has_bar(self, session: pd.Timestamp) -> bool:
        return self.row < len(self.sessions) and self.sessions[self.row] == session

    def step(self, cut: bool = False) -> Closed | None:
        """The next bar: its exit (if any) or the state after its close. cut: the breaker
        tripped at the last close, so the position is sold at this open."""
        i, position = self.row, self.position
        session = self.sessions[i]
        o, h, low, c = (float(self.prices[name][i]) for name in ("Open", "High", "Low", "Close"))
        entered_now = session == position.entry
        if entered_now or not self.path.sessions:
            self.reference = position.entry_price if (position.at_open or not entered_now) else -np.inf
            self.held = 0.0 if (position.at_open or not entered_now) else -1.0
        guarded = not entered_now or position.at_open  # a fill during the session is not
        stop, exit_ = NO_LEVEL, None
        if guarded:
            stop = stop_level_nb(position.entry_price, self.reference, self.atr[i], self.rule)
            exit_ = self._exit(o, h, low, stop, cut, held_at_open=not entered_now)
        self.row += 1
        self._record(session, c, stop)
        if exit_ is not None:
            self.path.closed = Closed(session, exit_.price, None if math.isnan(exit_.level) else exit_.level,
                                      rule_name(exit_.reason))
            self._record_next(math.nan, NO_LEVEL)
            return self.path.closed
        self.held += 1.0
        reference = float(update_reference_nb(self.reference, h, c, self.rule))
        if reference > max(self.reference, position.entry_price):
            self.reference_date = session
        self.reference = reference
        atr = float(self.atr[i + 1])
        self._record_next(atr, stop_level_nb(position.entry_price, self.reference, atr, self.rule))
        return None

    def _exit(self, o: float, h: float, low: float, stop: StopLevel, cut: bool,
              held_at_open: bool) -> StopExit | None:
        if held_at_open:
            if cut:
                return StopExit(BREAKER, o, math.nan)
            at_open = open_exit_nb(o, stop, self.profit, self.held, self.rule)
            if at_open.reason != NO_STOP:
                return at_open
        during = bar_exit_nb(o, h, low, stop, self.profit)
        return during if during.reason != NO_STOP else None

    def _record(self, session: pd.Timestamp, close: float, stop: StopLevel) -> None:
        path = self.path
        if not path.high_close or close > path.high_close[-1]:
            path.high_close.append(close)
            path.high_date.append(session)
        else:
            path.high_close.append(path.high_close[-1])
            path.high_date.append(path.high_date[-1])
        path.sessions.append(session)
        path.close.append(close)
        path.level.append(float(stop.level))
        path.rule.append(rule_name(stop.reason))

    def _record_next(self, atr: float, stop: StopLevel) -> None:
        self.path.reference.append(self.reference)
        self.path.reference_date.append(self.reference_date)
        self.path.next_atr.append(atr)
        self.path.next_level.append(float(stop.level))
        self.path.next_rule.append(rule_name(stop.reason))
        self.path.sell_at_open.append("time" if self.time_exit_next() else "")

    def time_exit_next(self) -> bool:
        """The time stop sells at the next open (sessions held reach time_sessions)."""
        sessions = self.position.stops.time_sessions
        return self.is_open and sessions is not None and self.held >= sessions
