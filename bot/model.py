"""The alert engine's inputs as typed records: a resolved position and the rules' settings."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from strategies.stops import StopSpec


@dataclass(frozen=True)
class ResolvedPosition:
    """A position with its entry session, entry price and effective stop rule.

    at_open: bought at the entry session's open (entry_price is that open), as a backtest's
    market order: the stop guards the entry session already, trailing from the entry price.
    Otherwise bought during the session, as a backtest's limit entry: the stop starts with the
    next session, trailing from the entry session's close (its high may predate the fill)."""

    ticker: str
    shares: float
    entry: pd.Timestamp
    entry_price: float
    stops: StopSpec = field(default_factory=StopSpec)
    at_open: bool = True

    @property
    def key(self) -> str:
        """Names the position in stored state: ticker@entry date."""
        return f"{self.ticker}@{self.entry:%Y-%m-%d}"


@dataclass(frozen=True)
class RuleSettings:
    drawdown_levels: tuple[float, ...] = (0.10, 0.20, 0.30)
    rearm_band: float | None = None  # None: half the distance to the next level up (see Rearm)
    near_stop_pct: float = 0.03
    pullback_tol: float = 0.05
    pullback_sessions: int = 20
    satellites: tuple[str, ...] = ("NBIS", "CRWV")
    watch: tuple[str, ...] = ()  # further tickers checked for stale data (the portfolio's)
    stops: StopSpec = field(default_factory=StopSpec)  # [stops]: its breaker watches the portfolio's value
