"""vectorbt as the reference: its from_orders (rust engine) for the fill engine, and the stats of
a vectorbt Portfolio's value curve for the sweep (by the one definition in backtests/metrics)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import vectorbt as vbt

from backtests.inputs import ExecutionCosts
from backtests.metrics import return_metrics, value_returns
from backtests.metrics_trades import closed_trades
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


def full_stats(portfolio: vbt.Portfolio, trades: pd.DataFrame) -> dict[str, float]:
    """The sweep's metrics of a Portfolio's value curve (vectorbt's accounting of the fills),
    with fills, closed trades and the trades' profit factor (open ones at the last close)."""
    value = portfolio.value().to_numpy(float)
    init_cash = float(np.asarray(portfolio.init_cash).ravel()[0])
    core = return_metrics(value_returns(value, init_cash), trades["pnl"].to_numpy(float))
    stats = {key: float(number) for key, number in core._asdict().items()}
    stats["fills"] = float(portfolio.orders.count())
    stats["trades"] = float(closed_trades(trades))
    return stats
