"""A 12-session synthetic satellite with a position and an event, for hand-computed alerts.

Each session opens at its close and trades 0.5% either side of it (high = close x 1.005,
low = close x 0.995), so the levels are easy to work out by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from bot.model import ResolvedPosition, RuleSettings
from events.align import AlignedEvent
from events.catalogue import Event
from market.calendar import sessions_between
from strategies.stops import StopSpec

SESSIONS = sessions_between(pd.Timestamp("2025-02-03"), pd.Timestamp("2025-02-19"))  # 12 (02-17: holiday)
CLOSES = [100.0, 110.0, 120.0, 115.0, 104.0, 103.0, 109.0, 104.5, 101.0, 120.0, 125.0, 95.0]
SETTINGS = RuleSettings(drawdown_levels=(0.10, 0.20), near_stop_pct=0.03, pullback_tol=0.05,
                        pullback_sessions=20, satellites=("SAT",))


def frame(closes: list[float] = CLOSES, opens: list[float] | None = None,
          highs: list[float] | None = None, lows: list[float] | None = None) -> pd.DataFrame:
    close = np.array(closes)
    return pd.DataFrame(
        {"Open": close if opens is None else np.array(opens),
         "High": close * 1.005 if highs is None else np.array(highs),
         "Low": close * 0.995 if lows is None else np.array(lows), "Close": close,
         "Volume": np.full(len(close), 1000.0)},
        index=pd.DatetimeIndex(SESSIONS[: len(close)], name="Date"),
    )


def position(entry_price: float = 100.0, at_open: bool = True, entry: int = 0,
             **stop: object) -> ResolvedPosition:
    """10 shares of SAT; stop: StopSpec fields (default: 15% trailing the highest close)."""
    spec = StopSpec(**{"trail_from": "close", **(stop or {"trailing_pct": 0.15})})  # type: ignore[arg-type]
    return ResolvedPosition("SAT", 10.0, pd.Timestamp(SESSIONS[entry]), entry_price, spec, at_open)


def day(index: int) -> pd.Timestamp:
    return pd.Timestamp(SESSIONS[index])


def deal() -> AlignedEvent:
    event = Event("sat-deal", dt.date(2025, 2, 3), "after_close", ("SAT",), "contract",
                  counterparty="Hyperscaler", value_usd=5e9, summary="5-year GPU contract")
    return AlignedEvent(event, "SAT", day0=day(1), pre_close=100.0, tradable=True,
                        timing_flagged=False, in_data=True)
