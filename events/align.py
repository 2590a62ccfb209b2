"""Day-0 alignment: which session first reacts to an event, and the price just before it.

Rules (../shared/research/events.md): day 0 is the announcement date's session for pre_market
and intraday news (the next session when the date is a weekend or holiday), the next session
after the date for after_close news, and the date's session for unknown timing (flagged: the
reaction may have come a session later). The pre-announcement price is the close of the last
session before day 0. An event before the ticker's first session is not tradable (day 0 and
pre_close are None), which is not an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from events.catalogue import Event
from market.calendar import calendar_range, is_session, next_session, session_after


@dataclass(frozen=True)
class AlignedEvent:
    """An event seen from one ticker's prices.

    day0: first reaction session (None when not tradable). pre_close: close of the session
    before day0 (None before the first stored session, e.g. the IPO day). tradable: the ticker
    was listed by day 0. timing_flagged: the timing is unknown. off_session: the announcement
    date was a weekend or holiday. in_data: day0 is a stored session (False when the prices
    end before day 0: update them).
    """

    event: Event
    ticker: str
    day0: pd.Timestamp | None
    pre_close: float | None
    tradable: bool
    timing_flagged: bool
    off_session: bool = False
    in_data: bool = False

    @property
    def note(self) -> str | None:
        if not self.tradable:
            return f"not tradable: announced before {self.ticker}'s first session"
        if not self.in_data:
            return f"day 0 {self.day0:%Y-%m-%d} is after the last stored {self.ticker} session"
        if self.pre_close is None:
            return f"day 0 is {self.ticker}'s first session: no pre-announcement close"
        return None


def day0_session(event: Event) -> pd.Timestamp:
    """The calendar's day 0 for an event, whatever the ticker's prices."""
    announced = pd.Timestamp(event.announced)
    if event.timing == "after_close":
        return session_after(announced)
    return next_session(announced)


def align_event(event: Event, ticker: str, frame: pd.DataFrame) -> AlignedEvent:
    """Align event on ticker's validated OHLCV frame (indexed by session date)."""
    flagged = event.timing == "unknown"
    off_session = not is_session(pd.Timestamp(event.announced))
    if pd.Timestamp(event.announced) < calendar_range()[0]:  # before the NYSE calendar: not tradable
        return AlignedEvent(event, ticker, None, None, False, flagged, off_session, False)
    day0 = day0_session(event)
    index = pd.DatetimeIndex(frame.index)
    if len(index) == 0 or day0 < index[0]:
        return AlignedEvent(event, ticker, None, None, False, flagged, off_session, False)
    position = int(index.searchsorted(day0, side="left"))
    in_data = position < len(index) and index[position] == day0
    pre_close = float(frame["Close"].iloc[position - 1]) if position > 0 else None
    return AlignedEvent(event, ticker, day0, pre_close, True, flagged, off_session, in_data)


def align_all(events: list[Event], frames: dict[str, pd.DataFrame]) -> list[AlignedEvent]:
    """One AlignedEvent per (event, ticker) in catalogue order; tickers without a frame skipped."""
    return [
        align_event(event, ticker, frames[ticker])
        for event in events
        for ticker in event.tickers
        if ticker in frames
    ]


def session_offset(frame: pd.DataFrame, day0: pd.Timestamp, offset: int) -> pd.Timestamp | None:
    """The stored session `offset` sessions from day0 (None outside the stored prices)."""
    index = pd.DatetimeIndex(frame.index)
    position = int(index.searchsorted(day0, side="left")) + offset
    if position < 0 or position >= len(index):
        return None
    return pd.Timestamp(index[position])


def reaction(aligned: AlignedEvent, frame: pd.DataFrame, sessions: int = 1) -> float | None:
    """Close of day0 + (sessions - 1) vs pre_close, as a fraction (None when unknown).

    sessions=1 is the day-0 close-to-close move; sessions=5 the 5-session reaction.
    """
    if aligned.day0 is None or aligned.pre_close is None or not aligned.in_data:
        return None
    day = session_offset(frame, aligned.day0, sessions - 1)
    if day is None:
        return None
    return float(frame["Close"].loc[day]) / aligned.pre_close - 1.0
