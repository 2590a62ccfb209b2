"""The alert engine's inputs as typed records: a resolved position and the rules' settings."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class ResolvedPosition:
    """A position with its entry session, entry price and effective stop parameters."""

    ticker: str
    shares: float
    entry: pd.Timestamp
    entry_price: float
    trailing_pct: float | None = None
    fixed_pct: float | None = None
    atr_mult: float | None = None
    atr_window: int = 14


@dataclass(frozen=True)
class RuleSettings:
    drawdown_levels: tuple[float, ...] = (0.10, 0.20, 0.30)
    near_stop_pct: float = 0.03
    pullback_tol: float = 0.05
    pullback_sessions: int = 20
    satellites: tuple[str, ...] = ("NBIS", "CRWV")
    watch: tuple[str, ...] = ()  # further tickers checked for stale data (the portfolio's)
