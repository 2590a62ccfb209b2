"""One rule, one number: the fill engine against vectorbt's from_orders on the same orders.

core_satellite with every stop off on the bundled data: the engine's orders (the calendar
rebalances, the first open, the listings and the rebalances after a cap breach) given to
vectorbt's from_orders produce the same fills and the same value to 1e-9. The convention both
follow at a rebalance: value at the open before any order, target shares minus held shares,
sells first, then buys from the smallest order value up; the last buy is cut to the cash.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtests.inputs import ExecutionCosts
from backtests.run import run_backtest
from satellite.config import SatelliteConfig
from satellite_cli.context import AppContext
from strategies.registry import build_strategy
from strategies.stops import CAP
from tests.backtests.reference import from_orders

NO_STOPS = {"stops.trailing_pct": "none"}


def test_core_satellite_without_stops_equals_from_orders() -> None:
    settings, overrides = SatelliteConfig(), NO_STOPS
    result = run_backtest(settings, AppContext().store, "core_satellite", overrides=overrides)
    panel, fills = result.panel, result.kernel.fills
    strategy = build_strategy("core_satellite", settings, overrides)
    weights = pd.Series(settings.portfolio.weights)[panel.tickers].to_numpy()
    scheduled = strategy.target_weights(panel).notna().any(axis=1).to_numpy().copy()
    scheduled[0] = True
    cap_days = np.zeros(len(panel.sessions), bool)
    cap_days[fills.loc[fills["reason"] == CAP, "idx"].to_numpy()] = True
    listed = panel.open.notna().to_numpy()
    first = listed & ~np.vstack([np.zeros((1, listed.shape[1]), bool), listed[:-1]])
    trade = ((scheduled | cap_days)[:, None] & listed) | first
    targets = pd.DataFrame(np.where(trade, weights, np.nan), panel.sessions, panel.tickers)
    reference = from_orders(panel, targets, ExecutionCosts.from_portfolio(settings.portfolio))
    assert np.allclose(reference.value().to_numpy(), result.kernel.value.to_numpy(), rtol=1e-9)
    theirs = np.sort(reference.orders.values, order=["col", "idx"])
    ours = fills.sort_values(["col", "idx"], kind="stable")
    assert len(theirs) == len(ours)
    assert np.allclose(theirs["size"], ours["size"], rtol=1e-9)
    assert np.allclose(theirs["price"], ours["price"], rtol=1e-12)
    assert result.stats["total_return"] == pytest.approx(
        float(reference.total_return()), rel=1e-9)
