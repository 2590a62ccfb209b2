"""One satellite through the backtest's fill kernel, to hold the alert engine against it.

`kernel_exit` buys a single satellite column with all the cash at the open of the entry
session (a market order, as a backtest's) through backtests.kernel.simulate, with no fees and
no slippage so the fill is the raw price, and returns its first sale.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from backtests.kernel import simulate
from backtests.kernel_state import Book, Market, Orders
from strategies.stops import REASONS, StopSpec, atr_before_bar


class KernelExit(NamedTuple):
    session: pd.Timestamp
    price: float  # raw fill (no slippage)
    rule: str  # exit reason


def kernel_exit(frame: pd.DataFrame, entry: pd.Timestamp, spec: StopSpec) -> KernelExit | None:
    """The first sale of a satellite bought at the open of `entry` (None: held to the end)."""
    prices = [np.ascontiguousarray(frame[name].to_numpy(float)[:, None])
              for name in ("Open", "High", "Low", "Close")]
    shape = prices[0].shape
    market = Market(open=prices[0], high=prices[1], low=prices[2], close=prices[3],
                    atr=atr_before_bar(prices[1], prices[2], prices[3], spec.atr_window))
    enter = np.zeros(shape, bool)
    enter[int(frame.index.searchsorted(entry)), 0] = True
    no_target = np.full(shape, np.nan)
    orders = Orders(enter=enter, size=np.ones(shape), limit=np.full(shape, np.nan),
                    group=np.full(shape, -1), leave=np.zeros(shape, bool), target=no_target,
                    standing=no_target.copy(), has_target=np.zeros(shape[0], bool))
    book = Book(cap=np.full(1, np.inf), total_cap=np.inf, satellite=np.ones(1, bool),
                init_weight=np.zeros(1), lag_pct=np.nan, core_col=0, rebalance_on_cap=False,
                init_cash=1_000_000.0, fees=0.0, slippage=0.0)
    record, _ = simulate(market, orders, book, spec.rule())
    sales = record.fills[record.fills["side"] == 1]
    if len(sales) == 0:
        return None
    first = sales[0]
    return KernelExit(frame.index[int(first["idx"])], float(first["price"]), REASONS[int(first["reason"])])
