"""event_pullback: after a catalogue event, buy the satellite back near its pre-event price.

For each event on a satellite (kinds in `kinds`) whose day 0 is in the data, a buy-limit at
pre_close x (1 + tol) is armed from the close of day 0 for `sessions` sessions: it fills
during a session whose low reaches the limit (at the open when the open is already below).
pre_close is the close of the session before day 0 (after_close news: day 0 is the next
session), so nothing after the close of day 0 is used. Each event fills at most once: a
position stopped out is not bought again on the same event (one-shot entry group). A later
event on the same ticker replaces an armed one. Entries also pass the no_chase filter (off
by default here: a pullback is by definition not a chase).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from events.align import AlignedEvent
from market.panel import PricePanel
from strategies.base import Signals, Strategy
from strategies.filters import NoChaseParams, no_chase


class EventPullbackParams(NoChaseParams):
    tol: float = Field(0.05, ge=0, lt=1, description="buy within this above the pre-event close")
    sessions: int = Field(20, ge=1, description="the buy stays armed this many sessions")
    kinds: list[str] = Field(
        ["contract", "investment", "acquisition", "financing", "earnings"],
        description="event kinds that arm an entry",
    )
    chase_above_pct: float | None = Field(None, gt=0, description="no_chase X (None: off)")
    chase_rise_pct: float | None = Field(None, gt=0, description="no_chase Y (None: off)")


class EventPullback(Strategy):
    name = "event_pullback"
    description = "after a catalogue event, buy a satellite back near its pre-event close"
    Params = EventPullbackParams
    uses_events = True

    def signals(self, panel: PricePanel, events: list[AlignedEvent]) -> Signals:
        p = self.params
        assert isinstance(p, EventPullbackParams)
        sessions = panel.sessions
        entries = self.empty(panel)
        limits = panel.close * np.nan
        groups = pd.DataFrame(-1, index=sessions, columns=panel.tickers, dtype=np.int64)
        armed = sorted(
            (e for e in events
             if e.ticker in self.portfolio.satellites and e.event.kind in p.kinds
             and e.day0 is not None and e.pre_close is not None and e.day0 in sessions),
            key=lambda e: (e.day0, e.event.id),
        )
        for number, aligned in enumerate(armed):
            assert aligned.day0 is not None and aligned.pre_close is not None
            start = int(sessions.searchsorted(aligned.day0))
            rows = slice(start, min(start + p.sessions, len(sessions)))
            column = panel.tickers.index(aligned.ticker)
            entries.iloc[rows, column] = True
            limits.iloc[rows, column] = aligned.pre_close * (1 + p.tol)
            groups.iloc[rows, column] = number
        sats = self.portfolio.satellites
        entries[sats] &= no_chase(panel.close[sats], p)
        return Signals(entries, self.empty(panel), limits=limits, groups=groups,
                       hold=self.core_hold())
