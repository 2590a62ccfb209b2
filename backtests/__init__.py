"""Backtests: strategy + prices -> vectorbt Portfolio -> statistics and reports."""
