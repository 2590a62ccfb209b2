"""The backtest service: config + stored prices (+ events) -> strategy -> fill engine -> stats."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from backtests.engine import (
    KernelRun,
    buy_and_hold_inputs,
    portfolio_from_fills,
    run_costs,
    run_kernel,
)
from backtests.inputs import Execution, ExecutionCosts, call_strategy, history_panel, prepare_run
from backtests.metrics_trades import holding_sessions, trade_returns
from backtests.report import RunCurve, Stats, run_stats
from events.align import AlignedEvent, align_all
from events.catalogue import SHIPPED_CATALOGUE, Event, load_catalogue
from market.panel import PricePanel, resolve_span
from market.store import PriceStore
from satellite.config import SatelliteConfig
from satellite.errors import UserInputError
from strategies.base import Strategy
from strategies.registry import build_strategy
from strategies.stops import REASONS, StopSpec

if TYPE_CHECKING:
    import vectorbt as vbt

__all__ = ["BacktestResult", "call_strategy", "run_backtest"]


@dataclass(frozen=True)
class BacktestResult:
    strategy: str
    panel: PricePanel  # the run's sessions (the warm-up before them is not traded)
    core: str
    costs: ExecutionCosts
    stats: Stats
    benchmark_stats: Stats
    kernel: KernelRun
    benchmark_kernel: KernelRun  # the core's buy-and-hold over the same sessions
    benchmark_panel: PricePanel  # the core alone
    trades: list[dict[str, Any]] = field(default_factory=list)
    events: list[AlignedEvent] = field(default_factory=list)

    @cached_property
    def portfolio(self) -> vbt.Portfolio:
        """vectorbt's accounting of the fills (imports vectorbt: charts and tests only)."""
        return portfolio_from_fills(self.panel, self.kernel.fills, self.costs)

    @cached_property
    def benchmark(self) -> vbt.Portfolio:
        return portfolio_from_fills(self.benchmark_panel, self.benchmark_kernel.fills, self.costs)

    @property
    def start(self) -> pd.Timestamp:
        return self.panel.sessions[0]

    @property
    def end(self) -> pd.Timestamp:
        return self.panel.sessions[-1]

    @property
    def exits_by_reason(self) -> dict[str, int]:
        """Trades by the reason of the sale that closed them (end_of_data: still open)."""
        counts = dict.fromkeys(REASONS, 0)
        for trade in self.trades:
            counts[trade["reason"]] += 1
        return counts

    def as_json(self) -> dict[str, object]:
        return {
            "strategy": self.strategy,
            "start": f"{self.start:%Y-%m-%d}",
            "end": f"{self.end:%Y-%m-%d}",
            "stats": dict(self.stats),
            "benchmark": dict(self.benchmark_stats),
            "trades": self.trades,
            "exits_by_reason": self.exits_by_reason,
        }


def run_backtest(
    settings: SatelliteConfig,
    store: PriceStore,
    strategy_name: str = "core_satellite",
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    overrides: dict[str, str] | None = None,
    events: list[Event] | None = None,
    delay: int = 1,
    strategy: Strategy | None = None,
) -> BacktestResult:
    """Backtest a strategy on the stored prices beside buy-and-hold of the core.

    By default the run starts at the first session where every portfolio ticker has prices and
    ends at the last session they all have; an earlier start keeps a not-yet-listed satellite's
    weight in cash until its first session. The strategy and ATR see every stored session
    before the start as warm-up. events: the catalogue (default: the shipped one).
    delay: sessions between the close a signal is decided at and the open it fills at.
    """
    portfolio = settings.portfolio
    strategy = strategy or build_strategy(strategy_name, settings, overrides)
    frames = store.load_frames(portfolio.tickers)
    start, end = run_span(frames, portfolio.core, start, end)
    catalogue = events if events is not None else load_catalogue([SHIPPED_CATALOGUE])
    aligned = align_all(catalogue, frames)
    execution = Execution.from_portfolio(portfolio)
    inputs = prepare_run(strategy, history_panel(frames, end), aligned, start, execution, delay)
    kernel = run_kernel(inputs, strategy.stop_spec)
    bench_inputs = buy_and_hold_inputs(inputs.panel, portfolio.core, execution.costs)
    bench_run = run_kernel(bench_inputs, StopSpec())
    init_cash = run_costs(inputs).initial_cash
    ours = RunCurve(kernel.value, init_cash, kernel.trades, len(kernel.fills))
    bench = RunCurve(bench_run.value, init_cash, bench_run.trades, len(bench_run.fills))
    satellites = [j for j, t in enumerate(inputs.panel.tickers) if t != portfolio.core]
    return BacktestResult(
        strategy=strategy.name,
        panel=inputs.panel,
        core=portfolio.core,
        costs=run_costs(inputs),
        stats=run_stats(ours, bench.returns(), satellites),
        benchmark_stats=run_stats(bench, bench.returns(), []),
        kernel=kernel,
        benchmark_kernel=bench_run,
        benchmark_panel=bench_inputs.panel,
        trades=trade_rows(kernel, inputs.panel),
        events=aligned,
    )


def run_span(
    frames: dict[str, pd.DataFrame], core: str, start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The run's first and last session (default: where every ticker has prices)."""
    span = resolve_span(frames, start, end)
    core_first = frames[core].index[0]
    if span.start < core_first:
        raise UserInputError(
            f"--start {span.start:%Y-%m-%d} is before the core {core}'s first session "
            f"{core_first:%Y-%m-%d}; start on or after it"
        )
    return span.start, span.end


def trade_rows(kernel: KernelRun, panel: PricePanel) -> list[dict[str, Any]]:
    """The trades (FIFO lots) as JSON rows, by entry date then ticker."""
    rows = kernel.trades.sort_values(["entry_idx", "col", "exit_idx"], kind="stable")
    sessions = panel.sessions
    out = []
    for r, pnl_pct, held in zip(rows.to_dict("records"), trade_returns(rows),
                                holding_sessions(rows), strict=True):
        out.append({
            "ticker": panel.tickers[int(r["col"])],
            "entry_date": f"{sessions[int(r['entry_idx'])]:%Y-%m-%d}",
            "entry_price": float(r["entry_price"]),
            "exit_date": f"{sessions[int(r['exit_idx'])]:%Y-%m-%d}",
            "exit_price": float(r["exit_price"]),
            "shares": float(r["shares"]),
            "return": float(r["exit_price"]) / float(r["entry_price"]) - 1.0,
            "pnl": float(r["pnl"]),
            "pnl_pct": float(pnl_pct),
            "sessions": int(held),
            "fees": float(r["fees"]),
            "reason": REASONS[int(r["reason"])],
            "stop_level": None if pd.isna(r["stop_level"]) else float(r["stop_level"]),
        })
    return out
