"""The backtest service: config + stored prices (+ events) -> strategy -> portfolio and stats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from backtests.engine import (
    Caps,
    ExecutionCosts,
    KernelRun,
    buy_and_hold,
    simulate_signals,
    simulate_targets,
    stops_active,
)
from backtests.report import Stats, portfolio_stats
from events.align import AlignedEvent, align_all
from events.catalogue import SHIPPED_CATALOGUE, Event, load_catalogue
from market.panel import PricePanel, build_panel, resolve_span
from market.store import PriceStore
from satellite.config import SatelliteConfig
from satellite.errors import StrategyError, UserInputError
from strategies.base import Signals, Strategy
from strategies.registry import build_strategy
from strategies.stops import END_OF_DATA, REASONS, SIGNAL

if TYPE_CHECKING:
    import vectorbt as vbt


@dataclass(frozen=True)
class BacktestResult:
    strategy: str
    panel: PricePanel
    portfolio: vbt.Portfolio
    benchmark: vbt.Portfolio
    stats: Stats
    benchmark_stats: Stats
    trades: list[dict[str, Any]] = field(default_factory=list)
    events: list[AlignedEvent] = field(default_factory=list)
    kernel: KernelRun | None = None

    @property
    def start(self) -> pd.Timestamp:
        return self.panel.sessions[0]

    @property
    def end(self) -> pd.Timestamp:
        return self.panel.sessions[-1]

    @property
    def exits_by_reason(self) -> dict[str, int]:
        """Closed trades by exit reason ("cap" counts partial trims)."""
        counts = dict.fromkeys(REASONS, 0)
        for trade in self.trades:
            counts[trade["reason"]] += 1
        if self.kernel is not None:
            counts["cap"] = int((self.kernel.fills["reason"] == REASONS.index("cap")).sum())
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
    weight in cash until its first session. events: the catalogue (default: the shipped one).
    delay: sessions between the close a signal is decided at and the open it fills at.
    """
    portfolio = settings.portfolio
    strategy = strategy or build_strategy(strategy_name, settings, overrides)
    frames = store.load_frames(portfolio.tickers)
    span = resolve_span(frames, start, end)
    start, end = span.start, span.end
    core_first = frames[portfolio.core].index[0]
    if start < core_first:
        raise UserInputError(
            f"--start {start:%Y-%m-%d} is before the core {portfolio.core}'s first session "
            f"{core_first:%Y-%m-%d}; start on or after it"
        )
    panel = build_panel(frames, start, end)
    catalogue = events if events is not None else load_catalogue([SHIPPED_CATALOGUE])
    aligned = align_all(catalogue, frames)
    costs = ExecutionCosts.from_portfolio(portfolio)
    kernel: KernelRun | None = None
    if strategy.is_weights() and not stops_active(strategy.stop_spec):
        targets = call_strategy(strategy, panel, aligned)
        assert isinstance(targets, pd.DataFrame)
        result_portfolio = simulate_targets(panel, targets, costs)
        trades = vectorbt_trades(result_portfolio, panel)
    else:  # signals, or target weights with stop rules on the satellites: the fill kernel
        signals = call_strategy(strategy, panel, aligned)
        assert isinstance(signals, Signals | pd.DataFrame)
        result_portfolio, kernel = simulate_signals(
            panel, signals, strategy.stop_spec, costs, Caps.from_portfolio(portfolio), portfolio,
            delay,
        )
        trades = kernel_trades(kernel, panel)
    benchmark = buy_and_hold(panel, portfolio.core, costs)
    return BacktestResult(
        strategy=strategy.name,
        panel=panel,
        portfolio=result_portfolio,
        benchmark=benchmark,
        stats=portfolio_stats(result_portfolio),
        benchmark_stats=portfolio_stats(benchmark),
        trades=trades,
        events=aligned,
        kernel=kernel,
    )


def call_strategy(
    strategy: Strategy, panel: PricePanel, events: list[AlignedEvent]
) -> Signals | pd.DataFrame:
    """The strategy's signals (or target weights); its failures become StrategyError."""
    try:
        if strategy.is_weights():
            return strategy.target_weights(panel)
        return strategy.signals(panel, events)
    except UserInputError:
        raise
    except Exception as err:
        raise StrategyError(
            f"strategy {strategy.name} failed: {type(err).__name__}: {err}"
        ) from err


def kernel_trades(kernel: KernelRun, panel: PricePanel) -> list[dict[str, Any]]:
    rows = kernel.trades.sort_values(["entry_idx", "col"], kind="stable")
    return [
        _trade(panel, int(r["col"]), int(r["entry_idx"]), float(r["entry_price"]),
               int(r["exit_idx"]), float(r["exit_price"]), float(r["shares"]),
               REASONS[int(r["reason"])], float(r["stop_level"]))
        for r in rows.to_dict("records")
    ]


def vectorbt_trades(portfolio: vbt.Portfolio, panel: PricePanel) -> list[dict[str, Any]]:
    """Trades of a target-weights run (vectorbt's trade records): rebalances are "signal"."""
    records = portfolio.trades.values
    out = []
    for r in records:
        reason = REASONS[SIGNAL] if int(r["status"]) == 1 else REASONS[END_OF_DATA]
        out.append(_trade(panel, int(r["col"]), int(r["entry_idx"]), r["entry_price"],
                          int(r["exit_idx"]), r["exit_price"], r["size"], reason, float("nan")))
    return sorted(out, key=lambda trade: (trade["entry_date"], trade["ticker"]))


def _trade(
    panel: PricePanel, col: int, entry_idx: int, entry_price: float, exit_idx: int,
    exit_price: float, shares: float, reason: str, stop_level: float,
) -> dict[str, Any]:
    sessions = panel.sessions
    return {
        "ticker": panel.tickers[col],
        "entry_date": f"{sessions[entry_idx]:%Y-%m-%d}",
        "entry_price": float(entry_price),
        "exit_date": f"{sessions[exit_idx]:%Y-%m-%d}",
        "exit_price": float(exit_price),
        "shares": float(shares),
        "return": float(exit_price) / float(entry_price) - 1.0,
        "reason": reason,
        "stop_level": None if pd.isna(stop_level) else float(stop_level),
    }
