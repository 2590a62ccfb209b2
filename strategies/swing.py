"""swing: trend or breakout entries on the satellites, only while NVDA is in its own uptrend.

At each close: the core is in an uptrend when its close is above its `core_window` average.
trend mode buys a satellite whose close is above its `window` average and sells it when the
close falls below; breakout mode buys a close above the highest high of the previous `window`
sessions and sells a close below the lowest low of the previous `exit_window` sessions. Every
satellite is sold when the core leaves its uptrend. Entries pass the no_chase filter (off by
default here). Orders fill at the next open.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from events.align import AlignedEvent
from market.panel import PricePanel
from strategies.base import Signals, Strategy
from strategies.filters import NoChaseParams, no_chase


class SwingParams(NoChaseParams):
    mode: Literal["trend", "breakout"] = Field("trend", description="trend or breakout entries")
    window: int = Field(20, ge=2, description="satellite average (trend) or breakout window")
    exit_window: int = Field(10, ge=2, description="breakout mode: exit below this low")
    core_window: int = Field(50, ge=2, description="the core is in an uptrend above this average")
    chase_above_pct: float | None = Field(None, gt=0, description="no_chase X (None: off)")
    chase_rise_pct: float | None = Field(None, gt=0, description="no_chase Y (None: off)")


class Swing(Strategy):
    name = "swing"
    description = "trend/breakout swings on satellites while NVDA is in an uptrend"
    Params = SwingParams

    def signals(self, panel: PricePanel, events: list[AlignedEvent]) -> Signals:
        p = self.params
        assert isinstance(p, SwingParams)
        core = panel.close[self.portfolio.core]
        core_up = core > core.rolling(p.core_window, min_periods=p.core_window).mean()
        sats = self.portfolio.satellites
        close = panel.close[sats]
        if p.mode == "trend":
            average = close.rolling(p.window, min_periods=p.window).mean()
            enter, leave = close > average, close < average
        else:
            highest = panel.high[sats].rolling(p.window, min_periods=p.window).max().shift(1)
            lowest = panel.low[sats].rolling(p.exit_window, min_periods=p.exit_window).min()
            enter, leave = close > highest, close < lowest.shift(1)
        entries, exits = self.empty(panel), self.empty(panel)
        entries[sats] = enter & no_chase(close, p) & core_up.to_numpy()[:, None]
        exits[sats] = leave | ~core_up.to_numpy()[:, None]
        return Signals(entries, exits, hold=self.core_hold())
