"""core_satellite: hold the target weights, rebalanced by calendar or when weights drift.

Calendar rebalancing trades at the open of the first session of each week, month or quarter;
drift rebalancing trades at the open after a close where a weight of the tracked book (the
targets bought at the last rebalance and left to move with prices) is more than `drift` away
from its target. A satellite not listed yet keeps its weight in cash; the engine buys it at
the open of its first session. With `cap_rebalance` (the default) the engine also rebalances
at the open after a close where a satellite, or all of them together, is above its cap
([portfolio] max_satellite_weight, max_satellites_weight), judged on what the portfolio holds
after stops and fees; with `--set cap_rebalance=false` it only sells the excess (a trim).
The targets use the session calendar and closes up to the previous session only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from market.panel import PricePanel
from strategies.base import Strategy, StrategyParams

PERIOD_CODES = {"week": "W", "month": "M", "quarter": "Q"}


class CoreSatelliteParams(StrategyParams):
    """core_satellite reads its weights, caps and rebalancing from [portfolio]."""

    cap_rebalance: bool = Field(
        True, description="rebalance at the open after a close where a satellite is above its cap"
    )


class CoreSatellite(Strategy):
    name = "core_satellite"
    description = "NVDA core with capped satellites at target weights, rebalanced"
    Params = CoreSatelliteParams

    def target_weights(self, panel: PricePanel) -> pd.DataFrame:
        weights = pd.Series(self.portfolio.weights)[panel.tickers].to_numpy(float)
        if self.portfolio.rebalance.mode == "calendar":
            rebalance = calendar_rebalance_sessions(panel.sessions, self.portfolio.rebalance.every)
        else:
            rebalance = drift_rebalance_sessions(
                panel.close.to_numpy(float), weights, self.portfolio.rebalance.drift)
        targets = np.where(rebalance[:, None], weights[None, :], np.nan)
        return pd.DataFrame(targets, index=panel.sessions, columns=panel.tickers)

    def rebalances_on_cap(self) -> bool:
        params = self.params
        return isinstance(params, CoreSatelliteParams) and params.cap_rebalance


def calendar_rebalance_sessions(sessions: pd.DatetimeIndex, every: str) -> np.ndarray:
    """True at the first session and at the first session of each new period."""
    periods = sessions.to_period(PERIOD_CODES[every]).asi8
    starts = np.ones(len(sessions), dtype=bool)
    starts[1:] = periods[1:] != periods[:-1]
    return starts


def drift_rebalance_sessions(close: np.ndarray, weights: np.ndarray, drift: float) -> np.ndarray:
    """True at the first session and at each open after a close with a weight out of band.

    The tracked book holds the targets bought at the close before each rebalance (a ticker
    listing later: at its first close) and moves with closes, fees ignored: a pure function
    of closes, so the decision at session t uses closes up to t - 1 only."""
    sessions = close.shape[0]
    rebalance = np.zeros(sessions, dtype=bool)
    rebalance[0] = True
    units = np.zeros(len(weights))
    cash = 1.0
    for t in range(1, sessions):
        price = close[t - 1]
        listed = ~np.isnan(price)
        safe = np.where(listed, price, 1.0)
        value = cash + float(np.sum(np.where(listed, units * safe, 0.0)))
        new = listed & (units == 0) & (weights > 0)
        if t == 1 or new.any():  # the initial book, or cash kept for a new listing
            fresh = new if t > 1 else listed
            units[fresh] = weights[fresh] * value / safe[fresh]
            cash -= float(np.sum(weights[fresh])) * value
        held = np.where(listed, units * safe, 0.0)
        if np.any(np.abs(held[listed] / value - weights[listed]) > drift):
            rebalance[t] = True
            units = np.where(listed, weights * value / safe, 0.0)
            cash = value * (1.0 - float(np.sum(weights[listed])))
    return rebalance
