"""The statistics of a backtest (the `stats` keys of `satellite backtest --json`).

Every number comes from the one definition in backtests/metrics*.py (the sweep's seven from
the numba accumulator the tuner shares); nothing here imports vectorbt, so a backtest that
prints a table or JSON never pays its import.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple, TypedDict

import pandas as pd

from backtests.metrics import SESSIONS_PER_YEAR, return_metrics, value_returns
from backtests.metrics_returns import drawdowns as worst_drawdowns
from backtests.metrics_returns import monthly_returns, relative_metrics, risk_metrics
from backtests.metrics_trades import exposure, trade_metrics

__all__ = ["SESSIONS_PER_YEAR", "STAT_GROUPS", "RunCurve", "StatRow", "Stats", "format_stat",
           "run_stats"]


class Stats(TypedDict):
    total_return: float
    cagr: float
    max_drawdown: float
    sharpe: float
    sortino: float
    calmar: float
    fills: int
    trades: int
    win_rate: float
    avg_win: float
    avg_loss: float
    expectancy: float
    profit_factor: float
    avg_holding_sessions: float
    exposure: float
    best_day: float
    worst_day: float
    volatility: float
    alpha: float
    beta: float
    information_ratio: float
    tracking_error: float
    up_capture: float
    down_capture: float
    monthly_returns: dict[str, float]
    drawdowns: list[dict[str, object]]


class StatRow(NamedTuple):
    """How a stat is shown (the terminal table and the HTML report)."""

    key: str
    label: str
    kind: Literal["percent", "ratio", "count", "sessions"]


STAT_GROUPS: dict[str, tuple[StatRow, ...]] = {
    "Returns": (
        StatRow("total_return", "Total return", "percent"),
        StatRow("cagr", "CAGR", "percent"),
        StatRow("best_day", "Best day", "percent"),
        StatRow("worst_day", "Worst day", "percent"),
    ),
    "Risk": (
        StatRow("max_drawdown", "Max drawdown", "percent"),
        StatRow("volatility", "Volatility (annual)", "percent"),
        StatRow("sharpe", "Sharpe", "ratio"),
        StatRow("sortino", "Sortino", "ratio"),
        StatRow("calmar", "Calmar", "ratio"),
    ),
    "Against the core": (
        StatRow("alpha", "Alpha (annual)", "percent"),
        StatRow("beta", "Beta", "ratio"),
        StatRow("information_ratio", "Information ratio", "ratio"),
        StatRow("tracking_error", "Tracking error", "percent"),
        StatRow("up_capture", "Up capture", "ratio"),
        StatRow("down_capture", "Down capture", "ratio"),
    ),
    "Trades": (
        StatRow("fills", "Fills", "count"),
        StatRow("trades", "Trades (closed)", "count"),
        StatRow("win_rate", "Win rate", "percent"),
        StatRow("avg_win", "Avg win", "percent"),
        StatRow("avg_loss", "Avg loss", "percent"),
        StatRow("expectancy", "Expectancy", "percent"),
        StatRow("profit_factor", "Profit factor", "ratio"),
        StatRow("avg_holding_sessions", "Avg holding (sessions)", "sessions"),
        StatRow("exposure", "Exposure (satellites held)", "percent"),
    ),
}
"""The scalar stats in the order they are shown, by group."""


def format_stat(value: object, kind: str) -> str:
    """A stat as text: percentages with one decimal, ratios with two, '-' when undefined."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "-"
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "sessions":
        return f"{value:.1f}"
    return str(int(value))


class RunCurve(NamedTuple):
    """What the statistics need of one run."""

    value: pd.Series  # per session, after its close
    init_cash: float
    trades: pd.DataFrame  # TRADE records (backtests/kernel_state.py), the open ones included
    fills: int

    def returns(self) -> pd.Series:
        return pd.Series(value_returns(self.value.to_numpy(float), self.init_cash),
                         self.value.index)


def run_stats(run: RunCurve, benchmark: pd.Series, satellites: list[int]) -> Stats:
    """Every stat of a run against the benchmark's daily returns over the same sessions;
    satellites: the columns whose holding counts as exposure."""
    returns = run.returns()
    r = returns.to_numpy(float)
    trades = trade_metrics(run.trades)
    core = return_metrics(r, run.trades["pnl"].to_numpy(float))
    risk = risk_metrics(r)
    relative = relative_metrics(r, benchmark.reindex(returns.index).to_numpy(float))
    return Stats(
        total_return=core.total_return, cagr=core.cagr, max_drawdown=core.max_drawdown,
        sharpe=core.sharpe, sortino=core.sortino, calmar=core.calmar,
        fills=run.fills, trades=trades.trades, win_rate=trades.win_rate,
        avg_win=trades.avg_win, avg_loss=trades.avg_loss, expectancy=trades.expectancy,
        profit_factor=core.profit_factor, avg_holding_sessions=trades.avg_holding_sessions,
        exposure=exposure(run.trades, len(r), satellites),
        best_day=risk.best_day, worst_day=risk.worst_day, volatility=risk.volatility,
        alpha=relative.alpha, beta=relative.beta,
        information_ratio=relative.information_ratio, tracking_error=relative.tracking_error,
        up_capture=relative.up_capture, down_capture=relative.down_capture,
        monthly_returns=monthly_returns(returns),
        drawdowns=[d.as_json() for d in worst_drawdowns(returns)],
    )
