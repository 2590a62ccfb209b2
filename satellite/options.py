"""Parsing of command-line values shared by commands: dates and tickers."""

from __future__ import annotations

import pandas as pd

from satellite.config import TICKER_PATTERN
from satellite.errors import UserInputError


def parse_date(text: str | None, option: str) -> pd.Timestamp | None:
    """A YYYY-MM-DD date that is not in the future (New York time), or None."""
    if text is None:
        return None
    try:
        day = pd.Timestamp(pd.to_datetime(text, format="%Y-%m-%d"))
    except ValueError:
        raise UserInputError(f"{option} {text!r}: write the date as YYYY-MM-DD") from None
    today = pd.Timestamp.now(tz="America/New_York").tz_localize(None).normalize()
    if day > today:
        raise UserInputError(f"{option} {text}: the date is in the future (today is {today:%Y-%m-%d})")
    return day


def parse_ticker(text: str) -> str:
    ticker = text.strip().upper()
    if not TICKER_PATTERN.match(ticker):
        raise UserInputError(f"{text!r} is not a ticker symbol (letters, digits, '.', '-'), e.g. NVDA")
    return ticker
