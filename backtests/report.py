"""Statistics of a backtest, as fractions, annualised over 252 sessions a year."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, TypedDict

import pandas as pd

from strategies.stops import END_OF_DATA

SESSIONS_PER_YEAR = 252

if TYPE_CHECKING:
    import vectorbt as vbt


class Stats(TypedDict):
    total_return: float
    cagr: float
    max_drawdown: float
    sharpe: float
    sortino: float
    calmar: float
    fills: int
    trades: int


def portfolio_stats(portfolio: vbt.Portfolio, trades: pd.DataFrame) -> Stats:
    """Stats of a portfolio's value curve; max_drawdown is positive; `fills` counts fills,
    `trades` the closed trades (FIFO lots, backtests/lots.py)."""
    import vectorbt  # noqa: F401  (registers the .vbt accessor)

    returns = portfolio.returns()
    accessor = returns.vbt.returns(freq="1D", year_freq=f"{SESSIONS_PER_YEAR} days")
    return Stats(
        total_return=_number(portfolio.total_return()),
        cagr=_number(accessor.annualized()),
        max_drawdown=abs(_number(accessor.max_drawdown())),
        sharpe=_number(accessor.sharpe_ratio()),
        sortino=_number(accessor.sortino_ratio()),
        calmar=_number(accessor.calmar_ratio()),
        fills=int(portfolio.orders.count()),
        trades=closed_trades(trades),
    )


def closed_trades(trades: pd.DataFrame) -> int:
    return int((trades["reason"] != END_OF_DATA).sum())


def profit_factor(trades: pd.DataFrame) -> float:
    """Gross profit / gross loss over every trade (the open ones at the last close)."""
    pnl = trades["pnl"]
    factor = float(pnl[pnl > 0].sum()) / abs(float(pnl[pnl < 0].sum())) if (pnl < 0).any() else (
        math.inf if (pnl > 0).any() else math.nan)
    return factor if math.isfinite(factor) else float("nan")


def _number(value: object) -> float:
    number = float(value.iloc[0]) if isinstance(value, pd.Series) else float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else float("nan")
