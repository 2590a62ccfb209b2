"""Parsing of command-line values shared by commands: dates (tickers: satellite.tickers)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from satellite.errors import UserInputError

if TYPE_CHECKING:
    import pandas as pd

DATE_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(text: str, option: str) -> dt.date:
    """A YYYY-MM-DD calendar date that exists and is not in the future (New York time)."""
    if not DATE_SHAPE.match(text.strip()):
        raise UserInputError(f"{option} {text!r}: write the date as YYYY-MM-DD, e.g. 2025-06-30")
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError as err:
        raise UserInputError(f"{option} {text}: no such day ({err}); check the month and day") from None
    today = dt.datetime.now(ZoneInfo("America/New_York")).date()
    if day > today:
        raise UserInputError(f"{option} {text}: the date is in the future (today is {today:%Y-%m-%d})")
    return day


def parse_date(text: str | None, option: str) -> pd.Timestamp | None:
    """parse_day as a pandas Timestamp, or None when the option was not given."""
    if text is None:
        return None
    day = parse_day(text, option)
    import pandas as pd

    return pd.Timestamp(day)
