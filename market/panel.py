"""Several tickers' validated OHLCV aligned on one NYSE session index."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from satellite.errors import UserInputError


@dataclass(frozen=True)
class PricePanel:
    """Open/high/low/close/volume frames (sessions x tickers); NaN before a ticker's listing."""

    open: pd.DataFrame
    high: pd.DataFrame
    low: pd.DataFrame
    close: pd.DataFrame
    volume: pd.DataFrame

    @property
    def sessions(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.close.index)

    @property
    def tickers(self) -> list[str]:
        return [str(ticker) for ticker in self.close.columns]

    def first_sessions(self) -> pd.Series:
        """Each ticker's first session with a price inside the panel."""
        return self.close.apply(lambda column: column.first_valid_index())

    def upto(self, end: pd.Timestamp) -> PricePanel:
        """The panel truncated at end (inclusive): what was known at that session's close."""
        return PricePanel(*(frame.loc[:end] for frame in self._frames()))

    def _frames(self) -> tuple[pd.DataFrame, ...]:
        return (self.open, self.high, self.low, self.close, self.volume)


@dataclass(frozen=True)
class Span:
    """The sessions a run covers, resolved from --start/--end and the stored prices."""

    start: pd.Timestamp
    end: pd.Timestamp


def resolve_span(
    frames: dict[str, pd.DataFrame], start: pd.Timestamp | None, end: pd.Timestamp | None
) -> Span:
    """Default start: the first session every ticker has; default end: the last they all have.

    One definition for backtest, tune and check-bias, with messages that say which bound the
    data sets when the user gave only one date.
    """
    shared_first = max(frame.index[0] for frame in frames.values())
    shared_last = min(frame.index[-1] for frame in frames.values())
    first = start if start is not None else shared_first
    last = end if end is not None else shared_last
    if first <= last:
        return Span(first, last)
    tickers = ", ".join(frames)
    if end is None:
        raise UserInputError(
            f"--start {first:%Y-%m-%d} is after the last session the prices of {tickers} share "
            f"({shared_last:%Y-%m-%d}); start earlier, or `satellite data update` for newer prices"
        )
    if start is None:
        raise UserInputError(
            f"--end {last:%Y-%m-%d} is before the first session the prices of {tickers} share "
            f"({shared_first:%Y-%m-%d}); end later, or give an earlier --start"
        )
    raise UserInputError(f"--start {first:%Y-%m-%d} is after --end {last:%Y-%m-%d}")


def build_panel(
    frames: dict[str, pd.DataFrame],
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> PricePanel:
    """Align validated frames on the union of their sessions, cut to [start, end]."""
    index = pd.DatetimeIndex(sorted(set().union(*(frame.index for frame in frames.values()))))
    if start is not None:
        index = index[index >= start]
    if end is not None:
        index = index[index <= end]
    if len(index) == 0:
        raise UserInputError(
            f"no sessions between {_day(start)} and {_day(end)} in the prices of "
            f"{', '.join(frames)}; pick dates inside the data (see `satellite data check`)"
        )
    columns = {
        field: pd.DataFrame({ticker: frame[field].reindex(index) for ticker, frame in frames.items()})
        for field in ("Open", "High", "Low", "Close", "Volume")
    }
    return PricePanel(
        columns["Open"], columns["High"], columns["Low"], columns["Close"], columns["Volume"]
    )


def _day(value: pd.Timestamp | None) -> str:
    return "the start" if value is None else f"{value:%Y-%m-%d}"
