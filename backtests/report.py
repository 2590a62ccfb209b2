"""Statistics of a backtest, as fractions, annualised over 252 sessions a year."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, TypedDict

import pandas as pd

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
    trades: int


def portfolio_stats(portfolio: vbt.Portfolio) -> Stats:
    """Stats of a portfolio's value curve; max_drawdown is positive; trades counts fills."""
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
        trades=int(portfolio.orders.count()),
    )


def _number(value: object) -> float:
    number = float(value.iloc[0]) if isinstance(value, pd.Series) else float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else float("nan")
