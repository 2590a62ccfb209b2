"""The strategy interface: typed parameters and one of two methods to implement.

- `signals(panel, events) -> Signals`: entries, exits, sizes (and optional buy limits and
  one-shot entry groups) per session and ticker. Row t may use data up to the close of session
  t only; it is acted on at the open of session t + 1 (or during that session for a limit).
  The engine adds the stop rules ([stops], per strategy) and the caps.
- `target_weights(panel) -> DataFrame`: target weights to trade to at the open of session t,
  using data up to the close of session t - 1 only, not the open of t (NaN: no order). The
  engine also trades every ticker to its standing target (the latest one given) at the run's
  first open and at a ticker's first open when it lists later; `rebalances_on_cap()` asks it
  to rebalance to the standing targets after a close where a satellite is above its cap.
  core_satellite works this way.

Either way a strategy is a pure function of prices (and events): `satellite check-bias` runs it
on data truncated at each session and compares. The panel it gets holds every stored session up
to the run's end, so indicators warm up on the history before --start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict

from events.align import AlignedEvent
from market.panel import PricePanel
from satellite.config import PortfolioConfig, StopsConfig
from strategies.stops import StopSpec


class StrategyParams(BaseModel):
    """A strategy's parameters: each field has a default and a description."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Signals:
    """What a signal strategy decided at each close (sessions x tickers, decision-indexed).

    entries/exits: bool. sizes: weight of portfolio value to buy (NaN or missing: the
    ticker's target weight in [portfolio]); caps always apply. limits: a buy-limit price for
    the next session (NaN: buy at the open). groups: one-shot entry ids, increasing in time
    per ticker (-1: none); once a group has filled it never fills again, so an entry stopped
    out is not retried. hold: weights bought at each ticker's first open and held (the core).
    lag_pct: sell a satellite at the next open when, since its entry, it trails the core by
    more than this fraction (reason "signal").
    """

    entries: pd.DataFrame
    exits: pd.DataFrame
    sizes: pd.DataFrame | None = None
    limits: pd.DataFrame | None = None
    groups: pd.DataFrame | None = None
    hold: dict[str, float] = field(default_factory=dict)
    lag_pct: float | None = None


class Strategy:
    """Subclass, set `name`, `description` and `Params`, and implement `signals` (or
    `target_weights`). Parameters come from config.toml [strategies.NAME] and `--set`."""

    name: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[StrategyParams]] = StrategyParams
    uses_events: ClassVar[bool] = False

    def __init__(self, params: StrategyParams, portfolio: PortfolioConfig, stops: StopsConfig):
        self.params = params
        self.portfolio = portfolio
        self.stops = stops
        self.stop_spec = StopSpec.from_config(stops)

    @classmethod
    def is_weights(cls) -> bool:
        """True when the strategy gives target weights rather than signals."""
        return cls.target_weights is not Strategy.target_weights

    def signals(self, panel: PricePanel, events: list[AlignedEvent]) -> Signals:
        """Entries/exits/sizes decided at each close, from data up to that close."""
        raise NotImplementedError(f"{self.name} implements neither signals nor target_weights")

    def target_weights(self, panel: PricePanel) -> pd.DataFrame:
        """Target weights per session and ticker, decided before the session's open."""
        raise NotImplementedError(f"{self.name} implements neither signals nor target_weights")

    def rebalances_on_cap(self) -> bool:
        """True: a satellite (or all together) closing above its cap rebalances every ticker
        to its standing target at the next open. False: the engine sells only what is over
        the cap back to it (a trim)."""
        return False

    # helpers shared by signal strategies ------------------------------------------------
    def empty(self, panel: PricePanel) -> pd.DataFrame:
        return pd.DataFrame(False, index=panel.sessions, columns=panel.tickers)

    def core_hold(self) -> dict[str, float]:
        """The core bought at its target weight on the first open and held."""
        return {self.portfolio.core: self.portfolio.weights[self.portfolio.core]}
