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

The owner's answers (the position book) take precedence over the model: a position sold on a
session closes there at the owner's price (a stop of that session still reports its stop_hit);
a stop the owner held through ("Still holding", or a sale recorded on a later session) reports
its stop_hit but leaves the position open, its rules restarted as if bought at that session's
close: the fixed stop and take-profit from that close, the trailing reference from it, the time
stop counting from it (the P&L keeps the original entry price).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field, replace

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
    """How a position ended (or a stop it was held through): the session, the raw fill price
    and the rule that sold it, with what set the level: the trailing reference (its date, None:
    the entry), the ATR and the price the rules counted from."""

    session: pd.Timestamp
    fill: float
    level: float | None  # the stop or take-profit level (None: time stop, breaker or the owner's sale)
    rule: str  # stop_fixed, stop_trailing, stop_atr, take_profit, time, breaker; "sold": the owner's
    reference: float = math.nan
    reference_date: pd.Timestamp | None = None
    atr: float = math.nan
    basis: float = math.nan


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
    basis: list[float] = field(default_factory=list)  # the price the stop rules count from
    hits: list[Closed] = field(default_factory=list)  # every stop the model saw, held through or not
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
        self.basis = position.entry_price
        self.profit = float(take_profit_level_nb(position.entry_price, self.rule))
        self.hit: Closed | None = None  # the model's stop in the last step (held through or not)

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
            stop = stop_level_nb(self.basis, self.reference, self.atr[i], self.rule)
            exit_ = self._exit(o, h, low, stop, cut, held_at_open=not entered_now)
        self.row += 1
        self._record(session, c, stop)
        self.hit = None if exit_ is None else Closed(
            session, exit_.price, None if math.isnan(exit_.level) else exit_.level, rule_name(exit_.reason),
            self.reference, self.reference_date, float(self.atr[i]), self.basis)
        if self.hit is not None:
            self.path.hits.append(self.hit)
        sold = position.sold
        held_through = session in position.holds or (sold is not None and sold.session > session)
        if self.hit is not None and held_through:
            self._restart(session, c)
            return None
        if self.hit is not None or (sold is not None and sold.session == session):
            self.path.closed = self._closed(session)
            self._record_next(math.nan, NO_LEVEL)
            return self.path.closed
        self.held += 1.0
        reference = float(update_reference_nb(self.reference, h, c, self.rule))
        if reference > max(self.reference, self.basis):
            self.reference_date = session
        self.reference = reference
        atr = float(self.atr[i + 1])
        self._record_next(atr, stop_level_nb(self.basis, self.reference, atr, self.rule))
        return None

    def _closed(self, session: pd.Timestamp) -> Closed:
        """The model's stop at its fill, or at the owner's price when the owner sold that session."""
        sold = self.position.sold
        sold = sold if sold is not None and sold.session == session else None
        if self.hit is None:
            assert sold is not None
            return Closed(session, sold.price, None, "sold")
        return self.hit if sold is None else replace(self.hit, fill=sold.price)

    def _restart(self, session: pd.Timestamp, close: float) -> None:
        """Held through a stop: the rules count from this close (see the module docstring)."""
        self.held = 0.0
        self.basis = close
        self.reference, self.reference_date = close, session
        self.profit = float(take_profit_level_nb(close, self.rule))
        atr = float(self.atr[self.row])
        self._record_next(atr, stop_level_nb(self.basis, self.reference, atr, self.rule))

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
        self.path.basis.append(self.basis)
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
