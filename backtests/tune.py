"""Tuning: a grid of stop (and strategy) parameters, swept in-sample, re-scored out-of-sample.

Spans: without --split the whole range is in-sample. `--split DATE`: in-sample is every session
before DATE, out-of-sample DATE to the end. `--walk-forward K`: the sessions are cut into K + 1
equal blocks; fold i is anchored (in-sample = blocks 1..i) and scored on block i + 1; a rule's
score is its mean over the folds. Every span is a fresh backtest of its own sessions (initial
cash at its first open): the in-sample run is built from prices truncated at its last session,
so nothing after a boundary can reach the ranking. Each span also gets buy-and-hold of the core.

The sweep: parameters that change the kernel's inputs (strategy parameters, stops.atr_window)
form groups computed once each; the stop rules of a group are kernel columns, chunked
(tune_exec.chunk_size) and run by an executor. Target-weight strategies (core_satellite) always
go through the same fill engine as `satellite backtest`, with the same warm-up (the strategy
sees every session before the span's start), so a rule scores here what a backtest prints.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from backtests.engine import buy_and_hold
from backtests.inputs import Execution, from_start, history_panel, prepare_run
from backtests.kernel_state import Book, Market, Orders
from backtests.report import portfolio_stats, profit_factor
from backtests.sweep_kernel import METRICS, run_rules
from backtests.tune_exec import Executor, LocalExecutor, chunk_size, chunks
from backtests.tune_grid import GridParam, combinations, overrides
from events.align import align_all
from events.catalogue import SHIPPED_CATALOGUE, Event, load_catalogue
from market.panel import build_panel, resolve_span
from market.store import PriceStore
from satellite.config import SatelliteConfig
from satellite.errors import UserInputError
from strategies.base import Strategy
from strategies.registry import available, build_strategy
from strategies.stops import rule_table

MINIMISED = frozenset({"max_drawdown"})
COUNTS = frozenset({"fills", "trades"})
"""Metrics that are counts, not scores: never ranked on (trades: --min-trades)."""

if TYPE_CHECKING:
    import vectorbt as vbt


@dataclass(frozen=True)
class Span:
    start: pd.Timestamp
    end: pd.Timestamp
    sessions: int

    def as_json(self) -> dict[str, object]:
        return {"start": f"{self.start:%Y-%m-%d}", "end": f"{self.end:%Y-%m-%d}",
                "sessions": self.sessions}


@dataclass(frozen=True)
class Fold:
    in_sample: Span
    out_of_sample: Span | None


@dataclass
class TuneResult:
    strategy: str
    metric: str
    mode: str  # "full" | "split" | "walk_forward"
    params: list[GridParam]
    rules: list[dict[str, Any]]
    folds: list[Fold]
    in_sample: np.ndarray  # rules x METRICS (mean over folds)
    out_of_sample: np.ndarray | None
    benchmark: dict[str, dict[str, float]]  # "in_sample"/"out_of_sample" -> metric -> value
    order: np.ndarray  # rule indices, best first; rules filtered out by --min-trades last
    eligible: int
    top: int
    csv_path: Path | None = None
    extra_csv: list[Path] = field(default_factory=list)

    def score(self, which: str, rule: int, metric: str | None = None) -> float:
        table = self.in_sample if which == "in_sample" else self.out_of_sample
        if table is None:
            return math.nan
        return float(table[rule, METRICS.index(metric or self.metric)])

    def frame(self) -> pd.DataFrame:
        """One row per rule: parameters, in-sample metrics (is_*), out-of-sample (oos_*), rank."""
        data = pd.DataFrame(self.rules)
        for k, name in enumerate(METRICS):
            data[f"is_{name}"] = self.in_sample[:, k]
        if self.out_of_sample is not None:
            for k, name in enumerate(METRICS):
                data[f"oos_{name}"] = self.out_of_sample[:, k]
        rank = np.full(len(self.rules), np.nan)
        rank[self.order[: self.eligible]] = np.arange(1, self.eligible + 1)
        data["rank"] = rank
        return data

    def as_json(self) -> dict[str, object]:
        def metrics(table: np.ndarray | None, rule: int) -> dict[str, float] | None:
            return None if table is None else dict(zip(METRICS, map(float, table[rule]), strict=True))

        return {
            "strategy": self.strategy,
            "metric": self.metric,
            "mode": self.mode,
            "grid": {param.name: list(param.values) for param in self.params},
            "rules": len(self.rules),
            "eligible": self.eligible,
            "folds": [{"in_sample": fold.in_sample.as_json(),
                       "out_of_sample": fold.out_of_sample.as_json() if fold.out_of_sample else None}
                      for fold in self.folds],
            "benchmark": self.benchmark,
            "top": [{"rank": i + 1, "params": self.rules[r],
                     "in_sample": metrics(self.in_sample, r),
                     "out_of_sample": metrics(self.out_of_sample, r)}
                    for i, r in enumerate(self.order[: min(self.top, self.eligible)])],
            "results_csv": str(self.csv_path) if self.csv_path else None,
        }


@dataclass(frozen=True)
class TuneRequest:
    strategy: str
    params: list[GridParam]
    metric: str = "sharpe"
    min_trades: int = 0
    split: pd.Timestamp | None = None
    walk_forward: int | None = None
    top: int = 10
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None


class SweepTask(NamedTuple):
    """One chunk of the sweep: run_rules(*task)."""

    market: Market
    orders: Orders
    book: Book
    rules: np.ndarray  # RULE records


def full_stats(portfolio: vbt.Portfolio, trades: pd.DataFrame) -> dict[str, float]:
    """portfolio_stats plus the profit factor of the trades (open ones at the last close)."""
    stats: dict[str, float] = {key: float(value)  # type: ignore[arg-type]
                               for key, value in portfolio_stats(portfolio, trades).items()}
    stats["profit_factor"] = profit_factor(trades)
    return stats


def make_folds(sessions: pd.DatetimeIndex, split: pd.Timestamp | None,
               walk_forward: int | None) -> list[Fold]:
    def span(part: pd.DatetimeIndex) -> Span:
        return Span(part[0], part[-1], len(part))

    if split is not None and walk_forward is not None:
        raise UserInputError("give --split or --walk-forward, not both")
    if split is not None:
        before, after = sessions[sessions < split], sessions[sessions >= split]
        if len(before) < 2 or len(after) < 2:
            raise UserInputError(
                f"--split {split:%Y-%m-%d} leaves fewer than 2 sessions on one side of "
                f"{sessions[0]:%Y-%m-%d}..{sessions[-1]:%Y-%m-%d}; pick a date inside")
        return [Fold(span(before), span(after))]
    if walk_forward is not None:
        if walk_forward < 1 or len(sessions) < 2 * (walk_forward + 1):
            raise UserInputError(
                f"--walk-forward {walk_forward}: need 1 or more folds of at least 2 sessions "
                f"({len(sessions)} sessions)")
        cuts = [round(len(sessions) * i / (walk_forward + 1)) for i in range(walk_forward + 2)]
        return [Fold(span(sessions[: cuts[i]]), span(sessions[cuts[i] : cuts[i + 1]]))
                for i in range(1, walk_forward + 1)]
    return [Fold(span(sessions), None)]


class Sweeper:
    """Sweeps the grid over spans of one store's prices (each span truncated at its end)."""

    def __init__(self, settings: SatelliteConfig, store: PriceStore, request: TuneRequest,
                 events: list[Event] | None = None,
                 strategies: dict[str, type[Strategy]] | None = None):
        self.settings = settings
        self.request = request
        self.strategies = strategies if strategies is not None else available()
        self.portfolio = settings.portfolio
        self.frames = store.load_frames(self.portfolio.tickers)
        self.catalogue = events if events is not None else load_catalogue([SHIPPED_CATALOGUE])
        self.execution = Execution.from_portfolio(self.portfolio)
        self.rules = combinations(request.params)

    def sessions(self) -> pd.DatetimeIndex:
        frames = self.frames
        span = resolve_span(frames, self.request.start, self.request.end)
        return build_panel(frames, span.start, span.end).sessions

    def tasks(self, span: Span) -> list[tuple[np.ndarray, SweepTask]]:
        """(rule rows, run_rules arguments) of every chunk of the span."""
        frames = {ticker: frame.loc[: span.end] for ticker, frame in self.frames.items()}
        history = history_panel(frames, span.end)
        aligned = align_all(self.catalogue, frames)
        fixed = [p.name for p in self.request.params if not p.vectorised]
        groups: dict[tuple[Any, ...], list[int]] = {}
        for row, rule in enumerate(self.rules):
            groups.setdefault(tuple(rule[name] for name in fixed), []).append(row)
        out = []
        for key, rows in groups.items():
            strategy = build_strategy(self.request.strategy, self.settings,
                                      overrides(dict(zip(fixed, key, strict=True))), self.strategies)
            inputs = prepare_run(strategy, history, aligned, span.start, self.execution)
            table = rule_table([
                strategy.stop_spec.merged({name.removeprefix("stops."): self.rules[row][name]
                                           for name in self.rules[row] if name not in fixed})
                for row in rows])
            size = chunk_size(len(rows), span.sessions)
            for block in chunks(np.arange(len(rows)), size):
                task = SweepTask(inputs.market, inputs.orders, inputs.book, table[block])
                out.append((np.asarray(rows)[block], task))
        return out

    def benchmark(self, span: Span) -> dict[str, float]:
        frames = {ticker: frame.loc[: span.end] for ticker, frame in self.frames.items()}
        panel = from_start(history_panel(frames, span.end), span.start)
        portfolio, run = buy_and_hold(panel, self.portfolio.core, self.execution.costs)
        return full_stats(portfolio, run.trades)


def run_tune(
    settings: SatelliteConfig,
    store: PriceStore,
    request: TuneRequest,
    executor: Executor | None = None,
    events: list[Event] | None = None,
    progress: Callable[[int], Callable[[], None]] | None = None,
    results_dir: Path | None = None,
    strategies: dict[str, type[Strategy]] | None = None,
) -> TuneResult:
    """Sweep every rule on every span; rank in-sample; keep out-of-sample beside it.

    progress(total_chunks) returns the callback called after each chunk; results_dir: where
    the CSV of every rule goes (None: not written; the CLI passes the user data directory's
    results folder); strategies: the registry to build from (default: the built-ins)."""
    if request.metric not in METRICS or request.metric in COUNTS:
        raise UserInputError(f"--metric {request.metric!r}: one of "
                             f"{', '.join(m for m in METRICS if m not in COUNTS)}")
    sweeper = Sweeper(settings, store, request, events, strategies)
    folds = make_folds(sweeper.sessions(), request.split, request.walk_forward)
    spans = [fold.in_sample for fold in folds] + [f.out_of_sample for f in folds if f.out_of_sample]
    plans = [sweeper.tasks(span) for span in spans]
    done = progress(sum(len(plan) for plan in plans)) if progress else (lambda: None)
    flat = [task for plan in plans for _, task in plan]
    results = (executor or LocalExecutor()).run(run_rules, flat, done)
    tables, k = [], 0
    for plan in plans:
        table = np.full((len(sweeper.rules), len(METRICS)), np.nan)
        for rows, _ in plan:
            table[rows] = results[k]
            k += 1
        tables.append(table)
    n_folds = len(folds)
    in_sample = np.mean(tables[:n_folds], axis=0)
    out_of_sample = np.mean(tables[n_folds:], axis=0) if len(tables) > n_folds else None
    bench = {"in_sample": _mean_stats([sweeper.benchmark(f.in_sample) for f in folds])}
    if out_of_sample is not None:
        bench["out_of_sample"] = _mean_stats(
            [sweeper.benchmark(f.out_of_sample) for f in folds if f.out_of_sample])
    order, eligible = rank(in_sample, request.metric, request.min_trades)
    mode = "split" if request.split is not None else (
        "walk_forward" if request.walk_forward is not None else "full")
    result = TuneResult(request.strategy, request.metric, mode, request.params, sweeper.rules,
                        folds, in_sample, out_of_sample, bench, order, eligible, request.top)
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        stamp = pd.Timestamp.now().strftime("%Y%m%d-%H%M%S")
        result.csv_path = results_dir / f"tune-{request.strategy}-{stamp}.csv"
        result.frame().to_csv(result.csv_path, index=False)
    return result


def rank(table: np.ndarray, metric: str, min_trades: int) -> tuple[np.ndarray, int]:
    """Rule indices best first (ties keep grid order) and how many pass the filters."""
    score = table[:, METRICS.index(metric)]
    if metric not in MINIMISED:
        score = -score
    ok = ~np.isnan(score) & (table[:, METRICS.index("trades")] >= min_trades)
    good = np.flatnonzero(ok)
    good = good[np.argsort(score[good], kind="stable")]
    return np.concatenate([good, np.flatnonzero(~ok)]), len(good)


def _mean_stats(stats: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(np.mean([s[key] for s in stats])) for key in METRICS}
