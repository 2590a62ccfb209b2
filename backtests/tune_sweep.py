"""The sweep's plan and its tasks: every rule of a grid through every span, chunk by chunk.

Parameters that change the kernel's inputs (strategy parameters, stops.atr_window) form groups
whose inputs are computed once per span; the stop rules of a group are RULE records built with
numpy from their grid indices (no object per rule), cut into chunks of about
tune_exec.CELLS_PER_CHUNK rule-sessions (counted after the shared prefix). One task runs one
chunk through every span (sweep_chunk), so a chunk's in-sample and out-of-sample scores arrive
together and can be streamed. Every span is a fresh backtest of its own sessions (initial cash
at its first open), built from prices truncated at its last session: nothing after a boundary
reaches a score before it. Target-weight strategies go through the same fill engine as
`satellite backtest`, with the same warm-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from backtests.engine import buy_and_hold_inputs, run_kernel
from backtests.inputs import Execution, from_start, history_panel, prepare_run
from backtests.kernel import simulate
from backtests.kernel_state import Book, Market, Orders
from backtests.metrics import return_metrics, value_returns
from backtests.metrics_trades import closed_trades
from backtests.sweep_kernel import METRICS, prefix_length, run_rules
from backtests.tune_exec import chunk_size, chunks
from backtests.tune_folds import Span
from backtests.tune_grid import Grid, GridParam, overrides
from events.align import AlignedEvent, align_all
from events.catalogue import SHIPPED_CATALOGUE, Event, load_catalogue
from market.panel import PricePanel, build_panel, resolve_span
from market.store import PriceStore
from satellite.config import SatelliteConfig
from strategies.base import Strategy
from strategies.registry import available, build_strategy
from strategies.stops import StopSpec, canonical_rules, rule_columns, spec_numbers

FNV_PRIME = np.uint64(1099511628211)


class SpanInputs(NamedTuple):
    market: Market
    orders: Orders
    book: Book


class ChunkJob(NamedTuple):
    """One task: rules (RULE records, grid rows `rows`) through every span. Rules that are one
    in canonical form (strategies.stops.canonical_rules) run once: `rules` holds each once and
    `expand` maps every row to its rule."""

    rows: np.ndarray
    rules: np.ndarray
    expand: np.ndarray
    spans: tuple[SpanInputs, ...]
    block_span: int  # the span whose block sums are kept (backtests/cscv.py)
    block_of: np.ndarray  # its block per session
    blocks: int


class ChunkOut(NamedTuple):
    rows: np.ndarray
    metrics: np.ndarray  # spans x rules x METRICS
    blocks: np.ndarray  # distinct rules x blocks x BLOCK_FIELDS (of the block span)
    block_rows: np.ndarray  # per rule: its row of `blocks`
    fingerprints: np.ndarray  # uint64 per rule, over every span: equal iff fills are


def sweep_chunk(job: ChunkJob) -> ChunkOut:
    metrics, fingerprint, blocks = [], np.zeros(len(job.rows), np.uint64), None
    for k, span in enumerate(job.spans):
        keep = k == job.block_span
        out = run_rules(span.market, span.orders, span.book, job.rules,
                        job.block_of if keep else None, job.blocks)
        metrics.append(out.metrics[job.expand])
        fingerprint = (fingerprint * FNV_PRIME) ^ out.fingerprints[job.expand]
        if keep:
            blocks = out.blocks
    assert blocks is not None
    return ChunkOut(job.rows, np.stack(metrics), blocks, job.expand, fingerprint)


def distinct_rules(rules: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the first row of each distinct RULE record, each row's distinct index); NaN equals NaN."""
    names = rules.dtype.names or ()
    key = np.column_stack([np.nan_to_num(rules[name].astype(np.float64), nan=-np.inf)
                           for name in names])
    rows = np.ascontiguousarray(key).view(f"V{8 * len(names)}").ravel()
    _, first, expand = np.unique(rows, return_index=True, return_inverse=True)
    return first, expand.ravel()


class Group(NamedTuple):
    """Rules sharing the kernel's inputs: the input-changing parameters' values."""

    values: dict[str, Any]
    rows: np.ndarray  # grid rows, ascending
    base: dict[str, float]  # the strategy's stop spec (spec_numbers), before the grid
    spans: tuple[SpanInputs, ...]
    size: int  # rules per chunk


class Sweeper:
    """Sweeps a grid over spans of one store's prices (each span truncated at its end)."""

    def __init__(self, settings: SatelliteConfig, store: PriceStore, strategy: str,
                 params: list[GridParam], start: pd.Timestamp | None = None,
                 end: pd.Timestamp | None = None, events: list[Event] | None = None,
                 strategies: dict[str, type[Strategy]] | None = None):
        self.settings = settings
        self.strategy = strategy
        self.strategies = strategies if strategies is not None else available()
        self.portfolio = settings.portfolio
        self.frames = store.load_frames(self.portfolio.tickers)
        self.catalogue = events if events is not None else load_catalogue([SHIPPED_CATALOGUE])
        self.execution = Execution.from_portfolio(self.portfolio)
        self.grid = Grid(tuple(params))
        self.start, self.end = start, end
        self._history: dict[Span, tuple[PricePanel, list[AlignedEvent]]] = {}
        self._inputs: dict[tuple[str, Span], SpanInputs] = {}

    def sessions(self) -> pd.DatetimeIndex:
        span = resolve_span(self.frames, self.start, self.end)
        return build_panel(self.frames, span.start, span.end).sessions

    def _span_history(self, span: Span) -> tuple[PricePanel, list[AlignedEvent]]:
        if span not in self._history:
            frames = {ticker: frame.loc[: span.end] for ticker, frame in self.frames.items()}
            self._history[span] = (history_panel(frames, span.end),
                                   align_all(self.catalogue, frames))
        return self._history[span]

    def build(self, values: dict[str, Any]) -> Strategy:
        return build_strategy(self.strategy, self.settings, overrides(values), self.strategies)

    def inputs(self, values: dict[str, Any], span: Span) -> SpanInputs:
        """The kernel's inputs of the strategy built with `values` over a span (computed once:
        the ranked rules' re-runs reuse their group's)."""
        fixed = {name: value for name, value in values.items() if not self._vectorised(name)}
        key = (repr(sorted(fixed.items(), key=str)), span)
        if key not in self._inputs:
            strategy = self.build(fixed)
            history, aligned = self._span_history(span)
            run = prepare_run(strategy, history, aligned, span.start, self.execution)
            self._inputs[key] = SpanInputs(run.market, run.orders, run.book)
        return self._inputs[key]

    def _vectorised(self, name: str) -> bool:
        return any(p.name == name and p.vectorised for p in self.grid.params)

    def groups(self, spans: list[Span]) -> list[Group]:
        out = []
        for values, rows in self.grid.groups():
            strategy = self.build(values)  # its stop spec: the base of the group's rules
            inputs = tuple(self.inputs(values, span) for span in spans)
            replayed = sum(len(i.market.close) - prefix_length(i.book, i.market) for i in inputs)
            out.append(Group(values, rows, spec_numbers(strategy.stop_spec), inputs,
                             chunk_size(len(rows), replayed)))
        return out

    def jobs(self, groups: list[Group], block_span: int, block_of: np.ndarray,
             blocks: int) -> Iterator[ChunkJob]:
        for group in groups:
            for rows in chunks(group.rows, group.size):
                rules = canonical_rules(rule_columns(self.grid.columns(rows, group.base), len(rows)))
                first, expand = distinct_rules(rules)
                yield ChunkJob(rows, rules[first], expand, group.spans, block_span, block_of,
                               blocks)

    def spec(self, row: int) -> tuple[Strategy, StopSpec]:
        """The strategy and stop spec of one grid row (what `backtest --set` would build)."""
        strategy = self.build(self.grid.rule(row))
        return strategy, strategy.stop_spec

    def returns(self, row: int, span: Span) -> np.ndarray:
        """Daily returns of one rule over a span (a run of the fill engine, everything kept)."""
        _, spec = self.spec(row)
        inputs = self.inputs(self.grid.rule(row), span)
        record = simulate(inputs.market, inputs.orders, inputs.book, spec.rule()).record
        return value_returns(record.value, inputs.book.init_cash)

    def benchmark(self, span: Span) -> dict[str, float]:
        """Buy-and-hold of the core over the span: METRICS, by the same definitions."""
        history, _ = self._span_history(span)
        inputs = buy_and_hold_inputs(from_start(history, span.start), self.portfolio.core,
                                     self.execution.costs)
        run = run_kernel(inputs, StopSpec())
        returns = value_returns(run.value.to_numpy(float), inputs.book.init_cash)
        stats = return_metrics(returns, run.trades["pnl"].to_numpy(float))._asdict()
        stats["fills"] = len(run.fills)
        stats["trades"] = closed_trades(run.trades)
        return {name: float(stats[name]) for name in METRICS}
