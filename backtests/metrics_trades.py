"""Metrics of a run's trades (FIFO lots, backtests/lots.py), each defined once.

A trade is a closed piece of a lot, or a lot still open at the end valued at the last close
(reason end_of_data, as a forced exit): the statistics below cover every trade, so their P&L
adds up to the run's profit. `trades` counts the closed ones only. A trade's return is its P&L
(net of the fees of both fills) over its cost, shares x entry price.

    trades                closed trades (round trips)
    win_rate              share of trades with P&L > 0
    avg_win / avg_loss    mean return of the winning / losing trades (avg_loss <= 0)
    expectancy            mean return per trade: win_rate * avg_win + loss_rate * avg_loss
    profit_factor         gross profit / gross loss (backtests/metrics.py)
    avg_holding_sessions  mean of exit session - entry session (the open ones: to the last)
    exposure              share of sessions during which some satellite was held, from the
                          session of its buy through the session of its sale
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from backtests.metrics import return_metrics
from strategies.stops import END_OF_DATA


class TradeMetrics(NamedTuple):
    trades: int
    win_rate: float
    avg_win: float
    avg_loss: float
    expectancy: float
    profit_factor: float
    avg_holding_sessions: float


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if len(x) else math.nan


def trade_returns(trades: pd.DataFrame) -> np.ndarray:
    """Each trade's P&L over its cost (shares x entry price)."""
    cost = trades["shares"].to_numpy(float) * trades["entry_price"].to_numpy(float)
    return trades["pnl"].to_numpy(float) / cost


def holding_sessions(trades: pd.DataFrame) -> np.ndarray:
    """Sessions from each trade's entry to its exit (the open ones: to the last session)."""
    return trades["exit_idx"].to_numpy(float) - trades["entry_idx"].to_numpy(float)


def trade_metrics(trades: pd.DataFrame) -> TradeMetrics:
    """The metrics of every trade (TRADE records: pnl, shares, entry_price, entry_idx,
    exit_idx, reason)."""
    pnl = trades["pnl"].to_numpy(float)
    returns = trade_returns(trades)
    wins, losses = returns[pnl > 0], returns[pnl < 0]
    count = len(pnl)
    win_rate = len(wins) / count if count else math.nan
    return TradeMetrics(
        trades=closed_trades(trades),
        win_rate=win_rate,
        avg_win=_mean(wins),
        avg_loss=_mean(losses),
        expectancy=_mean(returns),
        profit_factor=return_metrics(np.zeros(0), pnl).profit_factor,
        avg_holding_sessions=_mean(holding_sessions(trades)),
    )


def closed_trades(trades: pd.DataFrame) -> int:
    return int((trades["reason"] != END_OF_DATA).sum())


def exposure(trades: pd.DataFrame, sessions: int, satellites: list[int]) -> float:
    """Share of the run's sessions during which a satellite (column in `satellites`) was held."""
    if sessions == 0:
        return math.nan
    held = np.zeros(sessions + 1, np.int64)
    mine = trades[trades["col"].isin(satellites)]
    np.add.at(held, mine["entry_idx"].to_numpy(np.int64), 1)
    np.add.at(held, mine["exit_idx"].to_numpy(np.int64) + 1, -1)
    return float((np.cumsum(held)[:sessions] > 0).mean())
