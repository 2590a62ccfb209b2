"""The NYSE (XNYS) session calendar, from exchange-calendars (market.xnys), as pandas dates.

The calendar covers 1990-01-02 to about a year ahead (calendar_range). Outside it nothing is
known: sessions_between clips to it, is_session falls back to "a weekday" (holidays unknown),
next_session before it is the calendar's first session, and a date after it is a UserInputError.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from market.session_table import session_table
from market.xnys import nyse
from satellite.errors import UserInputError


def calendar_range() -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last session the calendar knows."""
    calendar = nyse()
    return pd.Timestamp(calendar.first_session), pd.Timestamp(calendar.last_session)


def sessions_between(first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    """Every NYSE session from first to last, both included (tz-naive dates), within the calendar."""
    low, high = calendar_range()
    first, last = max(pd.Timestamp(first), low), min(pd.Timestamp(last), high)
    if first > last:
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    return nyse().sessions_in_range(first, last)


def is_session(day: pd.Timestamp) -> bool:
    """An NYSE session; outside the calendar's range, any weekday (its holidays are unknown)."""
    day = pd.Timestamp(day).normalize()
    low, high = calendar_range()
    if not low <= day <= high:
        return day.weekday() < 5
    return bool(nyse().is_session(day))


def next_session(day: pd.Timestamp) -> pd.Timestamp:
    """The first session on or after day (the calendar's first session for a day before it)."""
    day = pd.Timestamp(day).normalize()
    low, high = calendar_range()
    if day > high:
        raise UserInputError(f"{day:%Y-%m-%d} is after {high:%Y-%m-%d}, the last date the NYSE calendar "
                             "(exchange-calendars) covers")
    return pd.Timestamp(nyse().date_to_session(max(day, low), direction="next"))


def session_after(day: pd.Timestamp) -> pd.Timestamp:
    """The first session strictly after day."""
    return next_session(pd.Timestamp(day).normalize() + pd.Timedelta(days=1))


def last_completed_session(now: pd.Timestamp | None = None) -> pd.Timestamp:
    """The newest session whose close (early closes included) is at or before now."""
    return pd.Timestamp(session_table().last_completed(_moment(now)))


def sessions_missing_after(last: pd.Timestamp, now: pd.Timestamp | None = None) -> int:
    """How many completed sessions come after `last` (0: up to date)."""
    return session_table().completed_after(pd.Timestamp(last).date(), _moment(now))


def _moment(now: pd.Timestamp | None) -> dt.datetime:
    moment = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    return moment.to_pydatetime()
