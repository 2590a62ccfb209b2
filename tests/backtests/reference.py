"""vectorbt's own from_orders (rust engine): the reference the fill engine must agree with."""

from __future__ import annotations

import pandas as pd
import vectorbt as vbt

from backtests.inputs import ExecutionCosts
from market.panel import PricePanel


def from_orders(panel: PricePanel, targets: pd.DataFrame, costs: ExecutionCosts) -> vbt.Portfolio:
    """Trade to `targets` (sessions x tickers, NaN = no order) at each session's open: target
    percentages of the shared cash valued at the open, sells before buys (call_seq "auto")."""
    listed = panel.open.notna()
    if (targets.notna() & ~listed).to_numpy().any():
        raise ValueError("a target falls on a session where its ticker has no price")
    open_ = panel.open.bfill()
    close = panel.close.fillna(open_)
    return vbt.Portfolio.from_orders(
        close=close, size=targets.astype(float), size_type="targetpercent", price=open_,
        val_price=open_, fees=costs.fees, slippage=costs.slippage, init_cash=costs.initial_cash,
        cash_sharing=True, group_by=True, call_seq="auto", freq="1D", engine="rust",
    )
