"""Ticker symbols as the user types them: one rule for the CLI, the bot and the catalogue."""

from __future__ import annotations

import re

from satellite.errors import UserInputError

TICKER_PATTERN = re.compile(r"^[A-Z][A-Z0-9.\-^=]{0,14}$")


def parse_ticker(text: str) -> str:
    ticker = text.strip().upper()
    if not TICKER_PATTERN.match(ticker):
        raise UserInputError(f"{text!r} is not a ticker symbol (letters, digits, '.', '-'), e.g. NVDA")
    return ticker
