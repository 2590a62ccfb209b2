"""Tomorrow's levels: for each open position, the stop in force for the next session.

What the investor copies into the broker's stop orders each evening: after the close of D,
each rule's level for the session after D (computed by strategies.stop_level, as the backtest
and the alert rules do), the highest one, and the level that was in force during D.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from bot.tracking import PositionPath
from satellite.errors import UserInputError
from strategies.stop_level import stop_level_nb, take_profit_level_nb
from strategies.stops import StopSpec

if TYPE_CHECKING:  # bot.alerting builds the evening digest from next_level: imported when called
    from bot.alerting import AlertInputs

PROTECTIVE = {"stop_fixed": "fixed_pct", "stop_trailing": "trailing_pct", "stop_atr": "atr_mult"}


@dataclass(frozen=True)
class NextLevel:
    """One open position's orders for the next session."""

    ticker: str
    entry: pd.Timestamp
    close: float  # at D
    session: pd.Timestamp  # the next session
    level: float | None  # the highest protective level (None: no rule on, or ATR warming up)
    rule: str | None
    previous_level: float | None  # the level in force during D (None: none, e.g. bought in D)
    levels: dict[str, float]  # each protective rule's own level
    take_profit: float | None  # a limit sell at this price
    sell_at_open: str | None  # "time" or "breaker": sell at the next open whatever the price

    @property
    def change(self) -> float | None:
        if self.level is None or self.previous_level is None:
            return None
        return self.level - self.previous_level

    def as_json(self) -> dict[str, Any]:
        return {"ticker": self.ticker, "entry_date": f"{self.entry:%Y-%m-%d}",
                "session": f"{self.session:%Y-%m-%d}", "level": self.level, "rule": self.rule,
                "previous_level": self.previous_level, "levels": self.levels,
                "take_profit": self.take_profit, "sell_at_open": self.sell_at_open,
                "close": self.close}


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def rule_levels(spec: StopSpec, entry_price: float, reference: float, atr: float) -> dict[str, float]:
    """Each protective rule that is on, alone, through the one level function."""
    out = {}
    alone = replace(spec, fixed_pct=None, trailing_pct=None, atr_mult=None)
    for rule, name in PROTECTIVE.items():
        value = getattr(spec, name)
        if value is not None:
            level = stop_level_nb(entry_price, reference, atr, replace(alone, **{name: value}).rule()).level
            if not math.isnan(level):
                out[rule] = float(level)
    return out


def next_level(path: PositionPath, row: int, session: pd.Timestamp) -> NextLevel:
    position = path.position
    spec = position.stops
    basis = path.basis[row]  # the entry price, or the close a held-through stop restarted from
    profit = float(take_profit_level_nb(basis, spec.rule()))
    return NextLevel(
        ticker=position.ticker, entry=position.entry, close=path.close[row], session=session,
        level=_number(path.next_level[row]), rule=path.next_rule[row] or None,
        previous_level=_number(path.level[row]),
        levels=rule_levels(spec, basis, path.reference[row], path.next_atr[row]),
        take_profit=_number(profit), sell_at_open=path.sell_at_open[row] or None)


def levels_after(inputs: AlertInputs, day: pd.Timestamp) -> list[NextLevel]:
    """The levels for the session after `day`, of every position open after its close.

    A position's ticker must have the bar of `day`: levels from an older close would be wrong."""
    from bot.alerting import run_timeline
    from market.calendar import session_after

    held = [p for p in inputs.positions if p.entry <= day and (p.sold is None or p.sold.session > day)]
    for position in held:
        last = inputs.frames[position.ticker].index[-1]
        if last < day:
            raise UserInputError(f"{position.ticker} prices end {last:%Y-%m-%d}, before {day:%Y-%m-%d}: "
                                 f"run `satellite data update`, or pass --date {last:%Y-%m-%d}")
    return open_levels(run_timeline(inputs, day).paths, day, session_after(day))


def open_levels(paths: list[PositionPath], day: pd.Timestamp, nxt: pd.Timestamp) -> list[NextLevel]:
    """next_level of every path open after the close of `day` (and with that day's bar)."""
    out = []
    for path in paths:
        row = path.index_at(day)
        if row < 0 or path.closed_by(day) is not None or path.sessions[row] != day:
            continue
        out.append(next_level(path, row, nxt))
    return out
