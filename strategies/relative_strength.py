"""relative_strength: hold the satellites, cut one that lags NVDA by more than Z since entry.

Satellites are bought at their target weights on the first open (the core too). At each
close the kernel compares a held satellite's return since its entry with the core's over the
same span; trailing it by more than `lag_pct` sells it at the next open (reason "signal").
A cut satellite is bought back after a close where its `reentry_window`-session return beats
the core's (and passes no_chase, off by default here).
"""

from __future__ import annotations

from pydantic import Field

from events.align import AlignedEvent
from market.panel import PricePanel
from strategies.base import Signals, Strategy
from strategies.filters import NoChaseParams, no_chase


class RelativeStrengthParams(NoChaseParams):
    lag_pct: float = Field(0.20, gt=0, lt=1, description="Z: cut when lagging the core by this")
    reentry_window: int = Field(20, ge=1, description="buy back when this return beats the core's")
    chase_above_pct: float | None = Field(None, gt=0, description="no_chase X (None: off)")
    chase_rise_pct: float | None = Field(None, gt=0, description="no_chase Y (None: off)")


class RelativeStrength(Strategy):
    name = "relative_strength"
    description = "satellites held while they amplify NVDA; cut when lagging it by Z%"
    Params = RelativeStrengthParams

    def signals(self, panel: PricePanel, events: list[AlignedEvent]) -> Signals:
        p = self.params
        assert isinstance(p, RelativeStrengthParams)
        sats = self.portfolio.satellites
        close = panel.close
        window = p.reentry_window
        change = close / close.shift(window) - 1
        beats = change[sats].gt(change[self.portfolio.core], axis=0)
        entries = self.empty(panel)
        entries[sats] = beats & no_chase(close[sats], p)
        hold = {ticker: self.portfolio.weights[ticker] for ticker in self.portfolio.tickers}
        return Signals(entries, self.empty(panel), hold=hold, lag_pct=p.lag_pct)
