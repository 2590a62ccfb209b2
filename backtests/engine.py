"""Strategy targets + prices -> a vectorbt Portfolio (rust engine), filled at the open.

Orders are target percentages of the shared-cash portfolio, valued and filled at the session's
open with the configured fees and slippage; vectorbt sells before it buys ("auto" call
sequence), so rebalancing never borrows. Before a ticker lists its price columns are filled
with its first open so vectorbt can value a zero position; no order can fall there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import vectorbt as vbt

from market.panel import PricePanel
from satellite.config import PortfolioConfig

ENGINE = "rust"


@dataclass(frozen=True)
class ExecutionCosts:
    initial_cash: float
    fees: float
    slippage: float

    @classmethod
    def from_portfolio(cls, portfolio: PortfolioConfig) -> ExecutionCosts:
        return cls(portfolio.initial_cash, portfolio.fees, portfolio.slippage)


def simulate_targets(
    panel: PricePanel, targets: pd.DataFrame, costs: ExecutionCosts
) -> vbt.Portfolio:
    """Trade to `targets` (sessions x tickers, NaN = no order) at each session's open."""
    if targets.index.equals(panel.sessions) is False or list(targets.columns) != panel.tickers:
        raise ValueError("targets must have the panel's sessions and tickers")
    listed = panel.open.notna()
    if (targets.notna() & ~listed).to_numpy().any():
        raise ValueError("a target falls on a session where its ticker has no price")
    open_ = panel.open.bfill()
    close = panel.close.fillna(open_)
    return vbt.Portfolio.from_orders(
        close=close,
        size=targets.astype(float),
        size_type="targetpercent",
        price=open_,
        val_price=open_,
        fees=costs.fees,
        slippage=costs.slippage,
        init_cash=costs.initial_cash,
        cash_sharing=True,
        group_by=True,
        call_seq="auto",
        freq="1D",
        engine=ENGINE,
    )


def buy_and_hold(panel: PricePanel, ticker: str, costs: ExecutionCosts) -> vbt.Portfolio:
    """All cash into one ticker at the first session's open, held to the end."""
    fields = ("open", "high", "low", "close", "volume")
    single = PricePanel(*(getattr(panel, name)[[ticker]] for name in fields))
    targets = pd.DataFrame(np.nan, index=single.sessions, columns=[ticker])
    first = single.open[ticker].first_valid_index()
    targets.loc[first, ticker] = 1.0
    return simulate_targets(single, targets, costs)
