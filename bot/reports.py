"""/daily [N], /weekly [N] and /levels: the portfolio per session or week beside the core, and
tomorrow's stops, from the rules' one pass (the value and P&L the digest uses).

Per row: the value in USD at the close (sold positions at their fill), the change of the value
index (so a purchase is not a gain), the P&L in USD (the change of what was held at the previous
close) and the core's change over the same sessions. A week is an ISO week; its change runs from
the previous week's last close (the first week: from the entry prices).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from bot.alerting import build_inputs, run_timeline
from bot.levels import NextLevel, levels_after
from bot.messages import rule_words
from bot.rules import Timeline
from bot.workspace import Workspace
from satellite.errors import UserInputError


@dataclass(frozen=True)
class PeriodRow:
    end: pd.Timestamp
    value: float
    change: float
    pnl: float
    core_change: float


def daily_rows(result: Timeline, core_close: pd.Series, count: int) -> list[PeriodRow]:
    index = result.value
    rows = []
    for row, session in enumerate(index.index):
        before = float(index.iloc[row - 1]) if row > 0 else 1.0
        rows.append(PeriodRow(session, float(result.usd[session]), float(index.iloc[row]) / before - 1,
                              float(result.pnl[session]), _core_change(core_close, session, session)))
    return rows[-count:]


def weekly_rows(result: Timeline, core_close: pd.Series, count: int) -> list[PeriodRow]:
    index = result.value
    weeks: dict[tuple[int, int], list[pd.Timestamp]] = {}
    for session in index.index:
        year, week, _ = session.isocalendar()
        weeks.setdefault((year, week), []).append(session)
    rows, before = [], 1.0
    for days in weeks.values():
        first, last = days[0], days[-1]
        value = float(index[last])
        pnl = float(result.pnl[days].sum())
        rows.append(PeriodRow(last, float(result.usd[last]), value / before - 1, pnl,
                              _core_change(core_close, first, last)))
        before = value
    return rows[-count:]


def _core_change(close: pd.Series, first: pd.Timestamp, last: pd.Timestamp) -> float:
    """The core's change from the close before `first` to the close of `last`."""
    row = int(close.index.searchsorted(first))
    if row == 0 or last not in close.index:
        return math.nan
    return float(close[last]) / float(close.iloc[row - 1]) - 1


def period_table(rows: list[PeriodRow], core: str, title: str) -> str:
    """A fixed-width table (sent as <pre>)."""
    head = f"{'date':<10} {'value':>12} {'change':>8} {'P&L':>11} {core:>7}"
    lines = [title, head]
    for row in rows:
        core_text = "-" if math.isnan(row.core_change) else f"{row.core_change:+.2%}"
        lines.append(f"{row.end:%Y-%m-%d} {row.value:>12,.2f} {row.change:>+8.2%} {row.pnl:>+11,.2f} "
                     f"{core_text:>7}")
    return "\n".join(lines)


def levels_text(levels: list[NextLevel], day: pd.Timestamp) -> str:
    if not levels:
        return f"No open position after the close of {day:%Y-%m-%d}: no stop order needed."
    lines = [f"Stops for {levels[0].session:%Y-%m-%d} (after the close of {day:%Y-%m-%d}):"]
    for level in levels:
        if level.sell_at_open is not None:
            lines.append(f"{level.ticker}: sell at the open ({rule_words(level.sell_at_open)})")
            continue
        if level.level is None:
            lines.append(f"{level.ticker}: no stop rule on")
            continue
        change = "" if level.change is None else f" ({level.change:+.2f} since {day:%Y-%m-%d})"
        each = ", ".join(f"{rule_words(rule)} {value:.2f}" for rule, value in level.levels.items())
        profit = f"; take-profit {level.take_profit:.2f}" if level.take_profit is not None else ""
        lines.append(f"{level.ticker} {level.level:.2f} {rule_words(level.rule or '')}{change}; "
                     f"close {level.close:.2f}; {each}{profit}")
    return "\n".join(lines)


class Reports:
    """The answers of /daily, /weekly and /levels over a Workspace."""

    def __init__(self, context: Workspace) -> None:
        self.context = context

    def periods(self, count: int, weekly: bool) -> str:
        inputs = build_inputs(self.context)
        if not inputs.positions:
            raise UserInputError("no positions in the book: /bought TICKER SHARES PRICE adds one")
        last = max(inputs.frames[p.ticker].index[-1] for p in inputs.positions)
        result = run_timeline(inputs, last)
        core = inputs.settings.core
        close = inputs.frames[core]["Close"] if core in inputs.frames else pd.Series(dtype=float)
        rows = (weekly_rows if weekly else daily_rows)(result, close, count)
        if not rows:
            return "No session evaluated with every position's prices yet."
        title = f"Portfolio by {'week' if weekly else 'session'}, last {len(rows)}"
        return period_table(rows, core, title)

    def levels(self) -> str:
        """After the newest close of the held tickers (a held ticker without it: an error)."""
        inputs = build_inputs(self.context)
        held = [p for p in inputs.positions if p.sold is None]
        if not held:
            return "No open position: no stop order needed."
        last = max(inputs.frames[p.ticker].index[-1] for p in held)
        return levels_text(levels_after(inputs, last), last)
