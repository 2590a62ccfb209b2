"""The evening digest: one message per evaluated session, from the rules' one pass.

It says what the portfolio is worth and how the day went beside the core (NVDA), each position's
close, P&L since entry and distance to its stop, the positions closed in the last five sessions
(and whether the sale is recorded in the book yet), the stops for the next session (bot.levels,
what `satellite alerts levels` prints) with every change to make at the broker marked "▶", and
the session's alerts. Pure: the timeline, the prices and the session in, text out.

A week's last session (the next session falls in another ISO week) also gets a PNG of the
portfolio's value against the core since the first entry (bot.services draws it): weekly, so
the chart is a summary, not a daily repetition of the numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from bot.alert import Alert
from bot.levels import NextLevel, open_levels
from bot.messages import TITLES, rule_words
from bot.rules import Timeline
from bot.tracking import PositionPath
from market.calendar import session_after, sessions_between

CHANGE_MARK = "▶"
UNCHANGED = 0.005  # a level within half a cent of the one in force needs no new order
RECENT_SESSIONS = 5  # a position closed this many sessions back is still listed


@dataclass(frozen=True)
class DayValue:
    """The portfolio at a session's close: USD value, the day's change and the core's."""

    value: float
    change: float
    core_change: float
    cost: float


def is_week_end(session: pd.Timestamp) -> bool:
    """The last session of its ISO week (the digest that carries the weekly chart)."""
    following = session_after(session)
    return following.isocalendar()[:2] != session.isocalendar()[:2]


def day_change(series: pd.Series, session: pd.Timestamp, start: float = 1.0) -> float:
    """series[session] over the value before it (`start` when session is the first)."""
    row = int(series.index.searchsorted(session))
    before = float(series.iloc[row - 1]) if row > 0 else start
    return float(series.iloc[row]) / before - 1


def core_change(close: pd.Series, session: pd.Timestamp) -> float:
    if session not in close.index:
        return math.nan
    return day_change(close, session, start=math.nan)


def day_value(result: Timeline, core_close: pd.Series, session: pd.Timestamp) -> DayValue | None:
    if session not in result.usd.index:
        return None
    entered = [path.position for path in result.paths if path.position.entry <= session]
    cost = sum(position.shares * position.entry_price for position in entered)
    return DayValue(float(result.usd[session]), day_change(result.value, session),
                    core_change(core_close, session), cost)


def digest_text(result: Timeline, core: str, core_close: pd.Series, session: pd.Timestamp,
                alerts: list[Alert]) -> str | None:
    """The digest of `session` (None: no position held in it, or its prices are incomplete)."""
    today = day_value(result, core_close, session)
    held = [path for path in result.paths if _held_in(path, session)]
    if today is None or not held:
        return None
    nxt = session_after(session)
    lines = [_headline(today, core)]
    lines += ["Positions at the close:", *(_position_line(path, session) for path in held)]
    lately = [_closed_line(path) for path in result.paths if _closed_lately(path, session)]
    if lately:
        lines.append("Closed in the last sessions: " + "; ".join(lately))
    levels = open_levels(result.paths, session, nxt)
    if levels:
        marked = sum(_needs_order(level) for level in levels)
        lines.append(f"Stops for {nxt:%Y-%m-%d} ({marked} change(s) at the broker, marked {CHANGE_MARK}):")
        lines += [_level_line(level) for level in levels]
    else:
        lines.append("No open position after the close: no stop order needed.")
    named = [f"{_title(a)} {a.subject}" for a in alerts if a.rule != "digest"]
    lines.append(f"Alerts today: {', '.join(named)}" if named else "No alert today.")
    return "\n".join(lines)


def _title(alert: Alert) -> str:
    return "Stop reminder" if alert.state.startswith("reminder") else TITLES.get(alert.rule, alert.rule)


def _held_in(path: PositionPath, session: pd.Timestamp) -> bool:
    """Held at the close of `session`, or sold during it."""
    row = path.index_at(session)
    if row < 0 or path.sessions[row] != session:
        return False
    closed = path.closed_by(session)
    return closed is None or closed.session == session


def _closed_lately(path: PositionPath, session: pd.Timestamp) -> bool:
    closed = path.closed_by(session)
    return (closed is not None and closed.session < session
            and len(sessions_between(closed.session, session)) - 1 <= RECENT_SESSIONS)


def _closed_line(path: PositionPath) -> str:
    """A closed position, and whether the owner recorded the sale in the book yet."""
    closed, position = path.closed, path.position
    assert closed is not None
    recorded = "recorded" if position.sold is not None else "not recorded yet: answer its stop_hit or /sold"
    return (f"{position.ticker} {closed.session:%Y-%m-%d} at {closed.fill:.2f} "
            f"({rule_words(closed.rule)}, {recorded})")


def _headline(today: DayValue, core: str) -> str:
    pnl = today.value - today.cost
    versus = f" ({core} {today.core_change:+.2%})" if not math.isnan(today.core_change) else ""
    return (f"Portfolio {today.value:,.2f} USD: {today.change:+.2%} today{versus}; "
            f"{pnl:+,.2f} ({today.value / today.cost - 1:+.1%}) on cost")


def _position_line(path: PositionPath, session: pd.Timestamp) -> str:
    position = path.position
    row = path.index_at(session)
    closed = path.closed_by(session)
    price = closed.fill if closed is not None else path.close[row]
    pnl = position.shares * (price - position.entry_price)
    gain = f"P&L {pnl:+,.2f} ({price / position.entry_price - 1:+.1%})"
    if closed is not None:
        return f"{position.ticker} sold today at {closed.fill:.2f} ({rule_words(closed.rule)}) · {gain}"
    level = path.next_level[row]
    stop = "no stop" if math.isnan(level) else f"stop {level:.2f}, {1 - level / price:.1%} below"
    return f"{position.ticker} {price:.2f} · {gain} · {stop}"


def _needs_order(level: NextLevel) -> bool:
    if level.sell_at_open is not None:
        return True
    if level.level is None:
        return False
    return level.previous_level is None or abs(level.level - level.previous_level) > UNCHANGED


def _level_line(level: NextLevel) -> str:
    mark = f"{CHANGE_MARK} " if _needs_order(level) else "  "
    if level.sell_at_open is not None:
        return f"{mark}{level.ticker}: sell at the open ({rule_words(level.sell_at_open)})"
    if level.level is None:
        return f"{mark}{level.ticker}: no stop rule on (or its ATR still warming up)"
    head = f"{mark}{level.ticker} {level.level:.2f} {rule_words(level.rule or '')}"
    profit = f"; take-profit limit {level.take_profit:.2f}" if level.take_profit is not None else ""
    if level.previous_level is None:
        return f"{head}: place a stop order at {level.level:.2f}{profit}"
    if not _needs_order(level):
        return f"{head}: unchanged{profit}"
    verb = "raise" if level.level > level.previous_level else "lower"
    return (f"{head}: {verb} your stop order from {level.previous_level:.2f} "
            f"({level.level - level.previous_level:+.2f}){profit}")
