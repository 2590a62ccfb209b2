"""A 12-session synthetic satellite with a position and an event, for hand-computed alerts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from bot.model import ResolvedPosition, RuleSettings
from events.align import AlignedEvent
from events.catalogue import Event
from market.calendar import sessions_between

SESSIONS = sessions_between(pd.Timestamp("2025-02-03"), pd.Timestamp("2025-02-19"))  # 12 (02-17: holiday)
CLOSES = [100.0, 110.0, 120.0, 115.0, 104.0, 103.0, 109.0, 104.5, 101.0, 120.0, 125.0, 95.0]
SETTINGS = RuleSettings(drawdown_levels=(0.10, 0.20), near_stop_pct=0.03, pullback_tol=0.05,
                        pullback_sessions=20, satellites=("SAT",))


def frame(closes: list[float] = CLOSES) -> pd.DataFrame:
    close = np.array(closes)
    return pd.DataFrame(
        {"Open": close, "High": close * 1.01, "Low": close * 0.99, "Close": close,
         "Volume": np.full(len(close), 1000.0)},
        index=pd.DatetimeIndex(SESSIONS[: len(close)], name="Date"),
    )


def position(**stop: float) -> ResolvedPosition:
    stop = stop or {"trailing_pct": 0.15}
    return ResolvedPosition("SAT", 10.0, SESSIONS[0], 100.0, **stop)  # type: ignore[arg-type]


def day(index: int) -> pd.Timestamp:
    return pd.Timestamp(SESSIONS[index])


def deal() -> AlignedEvent:
    event = Event("sat-deal", dt.date(2025, 2, 3), "after_close", ("SAT",), "contract",
                  counterparty="Hyperscaler", value_usd=5e9, summary="5-year GPU contract")
    return AlignedEvent(event, "SAT", day0=day(1), pre_close=100.0, tradable=True,
                        timing_flagged=False, in_data=True)
