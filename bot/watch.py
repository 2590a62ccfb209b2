"""The positions and the portfolio stepped session by session, once, from the first entry.

Every position carries its stop state forward (bot/tracking.py); a stopped position is closed
at its fill, its rules end and its proceeds stay in the portfolio as cash. The portfolio's value
is an index chained from the first entry (an entry adds no jump; the entry session counts from
the entry price), its drawdown alerts re-arm only after recovering `rearm_band` above a level,
and the [stops] breaker watches it as the backtest's does. The cost is one pass over the
sessions, whatever the span.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bot import messages
from bot.alert import Alert
from bot.model import ResolvedPosition, RuleSettings
from bot.tracking import Closed, PositionPath, PositionTracker
from strategies.stop_level import breaker_close_nb


@dataclass(frozen=True)
class Watched:
    """What the pass produced: the alerts of the positions and the portfolio, each position's
    path, and at every session the portfolio was evaluated: its value index, its value in USD
    (positions at the close, sold ones at their fill) and the session's P&L in USD (the change
    of what was held at the previous close; an entry adds its cost to the value, not to P&L)."""

    alerts: list[Alert]
    paths: list[PositionPath]
    value: pd.Series
    usd: pd.Series
    pnl: pd.Series


@dataclass
class Rearm:
    """Drawdown levels that fired and wait to recover (hysteresis): a level re-arms once the
    drawdown is back below level - band; band None: half the distance to the next level up (to
    0 drawdown from the first), so levels 10/20/30% re-arm at 5/15/25%."""

    levels: tuple[float, ...]
    band: float | None = None
    fired: set[float] = field(default_factory=set)

    def rearm_at(self, level: float) -> float:
        if self.band is not None:
            return level - self.band
        below = max((other for other in self.levels if other < level), default=0.0)
        return level - (level - below) / 2

    def crossings(self, drawdown: float) -> list[tuple[float, bool]]:
        """(level, resolved) for each level crossed this session: falling through an armed level
        fires it; recovering more than `band` above a fired one resolves and re-arms it."""
        crossed = []
        for level in self.levels:
            if level not in self.fired and drawdown >= level:
                self.fired.add(level)
                crossed.append((level, False))
            elif level in self.fired and drawdown < self.rearm_at(level):
                self.fired.discard(level)
                crossed.append((level, True))
        return crossed


@dataclass
class _PositionRules:
    near_armed: bool = True
    drawdown: Rearm | None = None


class Watch:
    """One pass over the sessions of every position's ticker up to `until`."""

    def __init__(self, frames: dict[str, pd.DataFrame], positions: list[ResolvedPosition],
                 settings: RuleSettings, until: pd.Timestamp) -> None:
        self.settings = settings
        self.until = until
        self.positions = positions
        self.trackers = [PositionTracker(p, frames[p.ticker]) for p in positions]
        self.rules = [_PositionRules(drawdown=Rearm(settings.drawdown_levels, settings.rearm_band))
                      for _ in positions]
        self.values = [math.nan] * len(positions)  # shares x last close, or the proceeds
        self.alerts: list[Alert] = []
        self.portfolio = Rearm(settings.drawdown_levels, settings.rearm_band)
        self.breaker_rule = settings.stops.rule()
        self.index, self.peak = 1.0, 1.0
        self.peak_date: pd.Timestamp | None = None
        self.breaker = (1.0, False, -1)
        self.cut = False
        self.count = 0
        self.series: dict[pd.Timestamp, float] = {}
        self.usd: dict[pd.Timestamp, float] = {}
        self.pnl: dict[pd.Timestamp, float] = {}
        first = min((p.entry for p in positions), default=until)
        days = set().union(*(frames[p.ticker].index for p in positions)) if positions else set()
        self.sessions = sorted(d for d in days if first <= d <= until)

    def run(self) -> Watched:
        for session in self.sessions:
            self._session(session)
        return Watched(self.alerts, [t.path for t in self.trackers], pd.Series(self.series, dtype=float),
                       pd.Series(self.usd, dtype=float), pd.Series(self.pnl, dtype=float))

    def _session(self, session: pd.Timestamp) -> None:
        before, after, complete, active = 0.0, 0.0, True, False
        cut, self.cut = self.cut, False
        for k, tracker in enumerate(self.trackers):
            position = tracker.position
            if position.entry > session:
                continue
            entering = math.isnan(self.values[k])
            if tracker.path.closed is not None and tracker.path.closed.session < session:
                before, after = before + self.values[k], after + self.values[k]
                continue
            active = True
            if not tracker.has_bar(session):  # stale: no portfolio rule from its old close
                complete = False
                continue
            before += position.shares * position.entry_price if entering else self.values[k]
            closed = tracker.step(cut and position.ticker in self.settings.satellites)
            if tracker.hit is not None:
                self._stop_hit(k, tracker.hit)
            if closed is not None:
                self.values[k] = position.shares * closed.fill
            else:
                self.values[k] = position.shares * tracker.path.close[-1]
                self._after_close(k, session)
            after += self.values[k]
        if active and complete and before > 0:
            self.usd[session], self.pnl[session] = after, after - before
            self._portfolio(session, after / before)

    def _stop_hit(self, k: int, closed: Closed) -> None:
        tracker = self.trackers[k]
        path, position, i = tracker.path, tracker.position, tracker.row - 1
        facts = messages.StopFacts(position, closed.level if closed.level is not None else math.nan,
                                   closed.rule, closed.reference, closed.reference_date, closed.atr,
                                   closed.basis)
        o, h, low = (float(tracker.prices[name][i]) for name in ("Open", "High", "Low"))
        self.alerts.append(Alert(closed.session, "stop_hit", position.ticker, "", closed.level,
                                 path.close[-1], messages.stop_hit(facts, o, low, h, closed.fill),
                                 closed.fill, closed.rule))

    def _after_close(self, k: int, session: pd.Timestamp) -> None:
        tracker, rules = self.trackers[k], self.rules[k]
        path, position = tracker.path, tracker.position
        close, level = path.close[-1], path.next_level[-1]
        band = self.settings.near_stop_pct
        if tracker.time_exit_next():
            self.alerts.append(Alert(session, "near_stop", position.ticker, "", None, close,
                                     messages.sell_at_open(position, close, "time", _next_day(session)),
                                     None, "time"))
        elif not np.isnan(level):
            distance = close / level - 1
            if rules.near_armed and distance <= band:
                facts = messages.StopFacts(position, level, path.next_rule[-1], path.reference[-1],
                                           path.reference_date[-1], path.next_atr[-1], path.basis[-1])
                self.alerts.append(Alert(session, "near_stop", position.ticker, "", level, close,
                                         messages.near_stop(facts, close, distance, _next_day(session)),
                                         None, path.next_rule[-1]))
                rules.near_armed = False
            elif not rules.near_armed and distance > 2 * band:
                rules.near_armed = True
        high = path.high_close[-1]
        drawdown = 1 - close / high
        assert rules.drawdown is not None
        for crossed, resolved in rules.drawdown.crossings(drawdown):
            text = messages.ticker_drawdown(position.ticker, close, drawdown, high, path.high_date[-1],
                                            crossed, resolved)
            self.alerts.append(Alert(session, "drawdown_resolved" if resolved else "drawdown",
                                     position.ticker, f"{crossed:g}", crossed, close, text))

    def _portfolio(self, session: pd.Timestamp, growth: float) -> None:
        self.index *= growth
        self.series[session] = self.index
        if self.index > self.peak or self.peak_date is None:
            self.peak, self.peak_date = max(self.peak, self.index), session
        drawdown = 1 - self.index / self.peak
        for crossed, resolved in self.portfolio.crossings(drawdown):
            text = messages.portfolio_drawdown(drawdown, self.peak_date, crossed, resolved)
            self.alerts.append(Alert(session, "drawdown_resolved" if resolved else "drawdown",
                                     "portfolio", f"{crossed:g}", crossed, None, text))
        self._breaker(session)

    def _breaker(self, session: pd.Timestamp) -> None:
        peak, tripped, trip_bar = self.breaker
        state = breaker_close_nb(self.index, self.count, peak, tripped, trip_bar, self.breaker_rule)
        self.breaker = (float(state.peak), bool(state.tripped), int(state.trip_bar))
        self.count += 1
        if not state.cut:
            return
        self.cut = True
        drawdown = 1 - self.index / float(state.peak)
        for tracker in self.trackers:
            position = tracker.position
            if tracker.is_open and tracker.path.sessions and position.ticker in self.settings.satellites:
                close = tracker.path.close[-1]
                tracker.path.sell_at_open[-1] = "breaker"
                self.alerts.append(Alert(session, "near_stop", position.ticker, "", None, close,
                                         messages.sell_at_open(position, close, "breaker",
                                                               _next_day(session), drawdown),
                                         None, "breaker"))


def _next_day(session: pd.Timestamp) -> pd.Timestamp:
    from market.calendar import session_after

    return session_after(session)


def watch(frames: dict[str, pd.DataFrame], positions: list[ResolvedPosition],
          settings: RuleSettings, until: pd.Timestamp) -> Watched:
    return Watch(frames, positions, settings, until).run()
