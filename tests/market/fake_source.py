"""A fake price source at the PriceSource interface, answering yfinance-shaped frames.

It serves a "true" history the way yfinance.download(auto_adjust=True, group_by="column",
multi_level_index=True) does: MultiIndex columns (Price, Ticker) in yfinance's order, a
tz-naive index named Date. Flags make it answer the ways Yahoo really fails.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from satellite.errors import SourceUnavailableError

YF_ORDER = ["Close", "High", "Low", "Open", "Volume"]


@dataclass
class FakeYahoo:
    history: dict[str, pd.DataFrame]
    name: str = "Fake Yahoo"
    empty: bool = False
    offline: bool = False
    null_dates: list[str] = field(default_factory=list)
    missing_last: int = 0
    revise_factor: float | None = None
    calls: list[tuple[str, dt.date | None, dt.date]] = field(default_factory=list)

    def fetch(self, ticker: str, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        self.calls.append((ticker, start, end))
        if self.offline:
            raise SourceUnavailableError(f"{ticker}: Fake Yahoo could not be reached; nothing changed")
        if self.empty or ticker not in self.history:
            return pd.DataFrame()
        frame = self.history[ticker].copy()
        days = frame.index.tz_localize(None) if frame.index.tz is not None else frame.index
        keep = days <= pd.Timestamp(end)
        if start is not None:
            keep &= days >= pd.Timestamp(start)
        frame = frame.loc[keep]
        if self.missing_last:
            frame = frame.iloc[: -self.missing_last]
        if self.revise_factor is not None:
            frame[["Open", "High", "Low", "Close"]] *= self.revise_factor
        for day in self.null_dates:
            if pd.Timestamp(day) in frame.index:
                frame.loc[pd.Timestamp(day), ["Open", "High", "Low", "Close"]] = np.nan
        return yfinance_shaped(frame, ticker)


def yfinance_shaped(frame: pd.DataFrame, ticker: str) -> pd.DataFrame:
    shaped = frame[YF_ORDER].copy()
    shaped.columns = pd.MultiIndex.from_product([YF_ORDER, [ticker]], names=["Price", "Ticker"])
    shaped.index = pd.DatetimeIndex(frame.index, name="Date")
    return shaped


def extend(frame: pd.DataFrame, days: list[str]) -> pd.DataFrame:
    """The frame plus synthetic bars on the given sessions (1% up a day from the last close)."""
    rows = []
    close = float(frame["Close"].iloc[-1])
    for _ in days:
        open_, close = close, close * 1.01
        rows.append([open_, close * 1.005, open_ * 0.995, close, 1_000_000.0])
    extra = pd.DataFrame(rows, index=pd.DatetimeIndex(pd.to_datetime(days), name="Date"),
                         columns=["Open", "High", "Low", "Close", "Volume"])
    return pd.concat([frame, extra])
