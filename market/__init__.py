"""Prices: bundled CSVs, the yfinance source, one validation for every source, the store."""

PRICE_COLUMNS = ["Open", "High", "Low", "Close", "Volume"]
