"""A deliberately leaky strategy: it buys today when tomorrow's close is higher."""

from __future__ import annotations

from events.align import AlignedEvent
from market.panel import PricePanel
from strategies.base import Signals, Strategy


class Fine(Strategy):
    name = "fine"
    description = "peeks at the next close (check-bias must catch it)"

    def signals(self, panel: PricePanel, events: list[AlignedEvent]) -> Signals:
        entries = self.empty(panel)
        sats = self.portfolio.satellites
        entries[sats] = panel.close[sats].shift(-1) > panel.close[sats]
        return Signals(entries, ~entries, hold=self.core_hold())
