"""The strategy interface: typed parameters and one method that turns prices into targets.

A strategy returns target portfolio weights (sessions x tickers). Row t holds the weights to
trade to at the open of session t, and may only use data up to the close of session t - 1;
NaN means "no order for this ticker at this session". The backtest engine fills at the open,
so a strategy cannot see the price it trades at.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict

from market.panel import PricePanel
from satellite.config import PortfolioConfig, StopsConfig


class StrategyParams(BaseModel):
    """A strategy's parameters: each field has a default and a description."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Strategy(ABC):
    """Subclass, set `name`, `description` and `Params`, and implement `target_weights`."""

    name: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[StrategyParams]] = StrategyParams

    def __init__(self, params: StrategyParams, portfolio: PortfolioConfig, stops: StopsConfig):
        self.params = params
        self.portfolio = portfolio
        self.stops = stops

    @abstractmethod
    def target_weights(self, panel: PricePanel) -> pd.DataFrame:
        """Target weights per session and ticker, decided before the session's open."""
