"""The one source of the NYSE calendar: exchange-calendars' XNYS, built once per process."""

from __future__ import annotations

from functools import lru_cache

import exchange_calendars as xcals

CALENDAR_START = "1990-01-02"


@lru_cache(maxsize=1)
def nyse() -> xcals.ExchangeCalendar:
    """The XNYS calendar from 1990 to a year ahead."""
    return xcals.get_calendar("XNYS", start=CALENDAR_START)
