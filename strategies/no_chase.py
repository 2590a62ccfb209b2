"""no_chase: hold the satellites at their target weights, but only buy when not chasing.

Each satellite is bought at the open after a close that passes the no_chase filter (not more
than X above its N-day average, no rise over Y in K sessions) and held until a stop sells
it; then it waits for the next close that passes. The core is bought on the first open and
held. The filter itself (strategies/filters.py) is part of every entry strategy's parameters.
"""

from __future__ import annotations

from events.align import AlignedEvent
from market.panel import PricePanel
from strategies.base import Signals, Strategy
from strategies.filters import NoChaseParams, no_chase


class NoChase(Strategy):
    name = "no_chase"
    description = "satellites at target weight, bought only when price is not extended"
    Params = NoChaseParams

    def signals(self, panel: PricePanel, events: list[AlignedEvent]) -> Signals:
        params = self.params
        assert isinstance(params, NoChaseParams)
        entries = self.empty(panel)
        satellites = self.portfolio.satellites
        allowed = no_chase(panel.close[satellites], params)
        entries[satellites] = allowed & panel.close[satellites].notna()
        return Signals(entries, self.empty(panel), hold=self.core_hold())
