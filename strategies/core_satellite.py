"""core_satellite: hold the target weights, rebalanced by calendar or when weights drift.

A satellite not listed yet keeps its weight in cash and is bought at the open of its first
session. Calendar rebalancing trades at the open of the first session of each week, month or
quarter; drift rebalancing trades at the open after a close where any weight is more than
`drift` away from its target. With `cap_rebalance` (the default) it also rebalances at any open
where a satellite, or all of them together, would start above its cap ([portfolio]
max_satellite_weight, max_satellites_weight): holdings are valued at that open, so the caps
hold after the fills of every open (a market-on-open order to trade back to the targets).
`--set cap_rebalance=false` gives the foundation's plain calendar/drift behaviour.
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
        True, description="also rebalance at an open where a satellite would start above its cap"
    )


class CoreSatellite(Strategy):
    name = "core_satellite"
    description = "NVDA core with capped satellites at target weights, rebalanced"
    Params = CoreSatelliteParams

    def target_weights(self, panel: PricePanel) -> pd.DataFrame:
        weights = pd.Series(self.portfolio.weights)[panel.tickers]
        listed = panel.open.notna().to_numpy()
        if self.portfolio.rebalance.mode == "calendar":
            rebalance = calendar_rebalance_sessions(panel.sessions, self.portfolio.rebalance.every)
        else:
            rebalance = drift_rebalance_sessions(
                panel.close.to_numpy(), panel.open.to_numpy(), weights.to_numpy(),
                self.portfolio.rebalance.drift,
            )
        params = self.params
        if isinstance(params, CoreSatelliteParams) and params.cap_rebalance:
            satellites = np.array([ticker in self.portfolio.satellites for ticker in panel.tickers])
            rebalance = cap_rebalance_sessions(
                panel.open.to_numpy(), weights.to_numpy(), rebalance, satellites,
                self.portfolio.max_satellite_weight, self.portfolio.max_satellites_weight,
            )
        first_listed = listed & ~np.vstack([np.zeros((1, listed.shape[1]), bool), listed[:-1]])
        first_listed[0] = False  # the start is already a rebalance
        trade = (rebalance[:, None] & listed) | first_listed
        targets = np.where(trade, weights.to_numpy()[None, :], np.nan)
        return pd.DataFrame(targets, index=panel.sessions, columns=panel.tickers)


def calendar_rebalance_sessions(sessions: pd.DatetimeIndex, every: str) -> np.ndarray:
    """True at the first session and at the first session of each new period."""
    periods = sessions.to_period(PERIOD_CODES[every]).asi8
    starts = np.ones(len(sessions), dtype=bool)
    starts[1:] = periods[1:] != periods[:-1]
    return starts


def drift_rebalance_sessions(
    close: np.ndarray, open_: np.ndarray, weights: np.ndarray, drift: float
) -> np.ndarray:
    """True at the first session and at each open after a close with a weight out of band.

    Holdings are tracked in units of portfolio value (fees ignored): a pure function of prices,
    so the decision at session t uses closes up to t - 1 only.
    """
    sessions = close.shape[0]
    rebalance = np.zeros(sessions, dtype=bool)
    rebalance[0] = True
    units = np.where(np.isnan(open_[0]), 0.0, weights / np.where(np.isnan(open_[0]), 1, open_[0]))
    cash = 1.0 - np.nansum(np.where(np.isnan(open_[0]), 0.0, weights))
    for t in range(1, sessions):
        newly_listed = np.isnan(open_[t - 1]) & ~np.isnan(open_[t])
        if newly_listed.any():  # the cash kept for a new listing buys it at its first open
            value = cash + np.nansum(units * np.nan_to_num(close[t - 1]))
            spend = weights[newly_listed] * value
            units[newly_listed] = spend / open_[t][newly_listed]
            cash -= spend.sum()
        held = units * np.nan_to_num(close[t - 1])
        value = cash + held.sum()
        listed = ~np.isnan(close[t - 1])
        if np.any(np.abs(held[listed] / value - weights[listed]) > drift):
            rebalance[t] = True
            value_at_open = cash + np.nansum(units * np.nan_to_num(open_[t]))
            safe_open = np.nan_to_num(open_[t], nan=1.0)
            units = np.where(np.isnan(open_[t]), 0.0, weights * value_at_open / safe_open)
            cash = value_at_open * (1.0 - weights[~np.isnan(open_[t])].sum())
    return rebalance


CAP_MARGIN = 1e-3
"""Rebalance slightly before a cap: the tracker ignores fees, the portfolio pays them."""


def cap_rebalance_sessions(
    open_: np.ndarray,
    weights: np.ndarray,
    rebalance: np.ndarray,
    satellites: np.ndarray,
    cap: float,
    total_cap: float,
) -> np.ndarray:
    """`rebalance` plus each open where holdings valued at that open break a cap.

    Holdings are tracked in units of portfolio value (fees ignored), rebalanced to the
    targets at every marked open; a newly listed ticker is bought at its first open.
    """
    out = rebalance.copy()
    units = np.zeros(len(weights))
    cash = 1.0
    for t in range(open_.shape[0]):
        price = open_[t]
        listed = ~np.isnan(price)
        held = np.where(listed, units * np.nan_to_num(price), 0.0)
        value = cash + held.sum()
        weight = held / value
        over = (weight[satellites] > cap * (1 - CAP_MARGIN)).any() or (
            weight[satellites].sum() > total_cap * (1 - CAP_MARGIN)
        )
        if t > 0 and over and not out[t]:
            out[t] = True
        if out[t]:
            units = np.where(listed, weights * value / np.where(listed, price, 1.0), 0.0)
            cash = value * (1.0 - weights[listed].sum())
        else:
            new = listed & (units == 0) & (weights > 0)
            if t > 0 and new.any():
                spend = weights[new] * value
                units[new] = spend / price[new]
                cash -= spend.sum()
    return out
