"""The backtest service: config + stored prices -> strategy -> portfolio and benchmark stats."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import vectorbt as vbt

from backtests.engine import ExecutionCosts, buy_and_hold, simulate_targets
from backtests.report import Stats, portfolio_stats
from market.panel import PricePanel, build_panel
from market.store import PriceStore
from satellite.config import SatelliteConfig
from satellite.errors import StrategyError, UserInputError
from strategies.registry import build_strategy


@dataclass(frozen=True)
class BacktestResult:
    strategy: str
    panel: PricePanel
    portfolio: vbt.Portfolio
    benchmark: vbt.Portfolio
    stats: Stats
    benchmark_stats: Stats

    @property
    def start(self) -> pd.Timestamp:
        return self.panel.sessions[0]

    @property
    def end(self) -> pd.Timestamp:
        return self.panel.sessions[-1]

    def as_json(self) -> dict[str, object]:
        return {
            "strategy": self.strategy,
            "start": f"{self.start:%Y-%m-%d}",
            "end": f"{self.end:%Y-%m-%d}",
            "stats": dict(self.stats),
            "benchmark": dict(self.benchmark_stats),
        }


def run_backtest(
    settings: SatelliteConfig,
    store: PriceStore,
    strategy_name: str = "core_satellite",
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> BacktestResult:
    """Backtest a strategy on the stored prices beside buy-and-hold of the core.

    By default the run starts at the first session where every portfolio ticker has prices and
    ends at the last session they all have; an earlier start keeps a not-yet-listed satellite's
    weight in cash until its first session.
    """
    portfolio = settings.portfolio
    strategy = build_strategy(strategy_name, settings)
    frames = store.load_frames(portfolio.tickers)
    start = start if start is not None else max(frame.index[0] for frame in frames.values())
    end = end if end is not None else min(frame.index[-1] for frame in frames.values())
    if start > end:
        raise UserInputError(f"--start {start:%Y-%m-%d} is after --end {end:%Y-%m-%d}")
    core_first = frames[portfolio.core].index[0]
    if start < core_first:
        raise UserInputError(
            f"--start {start:%Y-%m-%d} is before the core {portfolio.core}'s first session "
            f"{core_first:%Y-%m-%d}; start on or after it"
        )
    panel = build_panel(frames, start, end)
    try:
        targets = strategy.target_weights(panel)
    except UserInputError:
        raise
    except Exception as err:
        raise StrategyError(f"strategy {strategy_name} failed: {type(err).__name__}: {err}") from err
    costs = ExecutionCosts.from_portfolio(portfolio)
    result_portfolio = simulate_targets(panel, targets, costs)
    benchmark = buy_and_hold(panel, portfolio.core, costs)
    return BacktestResult(
        strategy=strategy_name,
        panel=panel,
        portfolio=result_portfolio,
        benchmark=benchmark,
        stats=portfolio_stats(result_portfolio),
        benchmark_stats=portfolio_stats(benchmark),
    )
