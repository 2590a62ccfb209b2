"""The alert engine's inputs as typed records: a resolved position and the rules' settings."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from strategies.stops import StopSpec


@dataclass(frozen=True)
class Exit:
    """The owner sold the position (the position book): the session and the price."""

    session: pd.Timestamp
    price: float


@dataclass(frozen=True)
class ResolvedPosition:
    """A position with its entry session, entry price and effective stop rule.

    at_open: bought at the entry session's open (entry_price is that open), as a backtest's
    market order: the stop guards the entry session already, trailing from the entry price.
    Otherwise bought during the session, as a backtest's limit entry: the stop starts with the
    next session, trailing from the entry session's close (its high may predate the fill).

    From the position book: `sold`, the owner's sale (the position closes on that session at
    that price); `holds`, sessions whose stop_hit the owner answered "Still holding" (the
    position stays open and its rules restart from that session's close, bot.tracking); `lot`,
    the book's id (two lots of one ticker bought on one day, after a partial sale)."""

    ticker: str
    shares: float
    entry: pd.Timestamp
    entry_price: float
    stops: StopSpec = field(default_factory=StopSpec)
    at_open: bool = True
    sold: Exit | None = None
    holds: tuple[pd.Timestamp, ...] = ()
    lot: int | None = None

    @property
    def key(self) -> str:
        """Names the position in stored state: ticker@entry date (#lot from the book)."""
        lot = f"#{self.lot}" if self.lot is not None else ""
        return f"{self.ticker}@{self.entry:%Y-%m-%d}{lot}"


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
    core: str = "NVDA"  # the portfolio's core: the digest and /daily compare the value with it
