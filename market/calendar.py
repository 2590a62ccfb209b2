"""The NYSE (XNYS) session calendar, from exchange-calendars (market.xnys), as pandas dates."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from market.session_table import session_table
from market.xnys import nyse


def sessions_between(first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    """Every NYSE session from first to last, both included (tz-naive dates)."""
    return nyse().sessions_in_range(first, last)


def is_session(day: pd.Timestamp) -> bool:
    return bool(nyse().is_session(pd.Timestamp(day).normalize()))


def next_session(day: pd.Timestamp) -> pd.Timestamp:
    """The first session on or after day."""
    return pd.Timestamp(nyse().date_to_session(pd.Timestamp(day).normalize(), direction="next"))


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
