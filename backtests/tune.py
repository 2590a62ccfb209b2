"""Tuning: a grid of stop (and strategy) parameters, swept in-sample, re-scored out-of-sample,
and judged for over-fitting.

The spans (backtests/tune_folds.py): the whole range, --split, or --walk-forward K folds
(anchored, or --rolling). The sweep (backtests/tune_sweep.py): every rule through every span,
chunk by chunk, streamed into a TuneStream (backtests/tune_stream.py) that keeps 4 numbers per
rule, the best classes whole and the CSV rows written as they come (on request). Ranking is by
the in-sample metric (mean over folds), best first, ties in grid order; rules with identical
fills are one row. The verdict (backtests/tune_honesty.py): CSCV's probability of backtest
over-fitting over the last fold's in-sample span (the longest when anchored), each ranked
rule's deflated Sharpe ratio and plateau score, and the over-fitted flag.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from backtests.cscv import DEFAULT_BLOCKS, block_index
from backtests.sweep_kernel import METRICS
from backtests.tune_exec import Executor, LocalExecutor
from backtests.tune_folds import Fold, Span, make_folds
from backtests.tune_grid import Grid, GridParam
from backtests.tune_honesty import Honesty, assess
from backtests.tune_stream import TuneStream, open_csv
from backtests.tune_sweep import Sweeper, sweep_chunk
from events.catalogue import Event
from market.store import PriceStore
from satellite.config import SatelliteConfig
from satellite.errors import UserInputError
from strategies.base import Strategy

MINIMISED = frozenset({"max_drawdown"})
COUNTS = frozenset({"fills", "trades"})
"""Metrics that are counts, not scores: never ranked on (trades: --min-trades)."""
MAX_BLOCKS = 20

__all__ = ["Fold", "Span", "Sweeper", "TuneRequest", "TuneResult", "make_folds", "run_tune"]


@dataclass
class TuneResult:
    strategy: str
    metric: str
    mode: str  # "full" | "split" | "walk_forward"
    rolling: bool
    grid: Grid
    folds: list[Fold]
    stream: TuneStream  # per-rule scores and classes, the best classes whole
    honesty: Honesty
    benchmark: dict[str, dict[str, float]]  # "in_sample"/"out_of_sample" -> metric -> value
    csv_path: Path | None = None

    @property
    def params(self) -> list[GridParam]:
        return list(self.grid.params)

    @property
    def rules(self) -> int:
        return self.grid.size

    @property
    def eligible(self) -> int:
        return self.stream.eligible

    @property
    def has_out_of_sample(self) -> bool:
        return self.folds[0].out_of_sample is not None

    def oos_best(self) -> int | None:
        """The grid row with the best out-of-sample score (None without one)."""
        oos = self.stream.scores.out_of_sample
        if not self.has_out_of_sample or not np.isfinite(oos).any():
            return None
        return int(np.nanargmin(oos) if self.metric in MINIMISED else np.nanargmax(oos))

    def as_json(self) -> dict[str, object]:
        cscv = self.honesty.cscv.as_json()
        return {
            "strategy": self.strategy,
            "metric": self.metric,
            "mode": self.mode,
            "rolling": self.rolling,
            "grid": {param.name: list(param.values) for param in self.grid.params},
            "rules": self.rules,
            "distinct": self.honesty.trials,
            "eligible": self.eligible,
            "folds": [{"in_sample": fold.in_sample.as_json(),
                       "out_of_sample": fold.out_of_sample.as_json() if fold.out_of_sample else None}
                      for fold in self.folds],
            "benchmark": self.benchmark,
            "pbo": cscv["pbo"],
            "blocks": cscv["blocks"],
            "cscv": {**cscv, "span": self.honesty.span.as_json()},
            "verdict": self.honesty.explanation(),
            "top": [rule.as_json() for rule in self.honesty.top],
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
    rolling: bool = False
    blocks: int = DEFAULT_BLOCKS
    csv: Path | None = None  # write every rule here, chunk by chunk

    @property
    def mode(self) -> str:
        return ("split" if self.split is not None else
                "walk_forward" if self.walk_forward is not None else "full")


def check_request(request: TuneRequest) -> None:
    if request.metric not in METRICS or request.metric in COUNTS:
        raise UserInputError(f"--metric {request.metric!r}: one of "
                             f"{', '.join(m for m in METRICS if m not in COUNTS)}")
    if not (2 <= request.blocks <= MAX_BLOCKS and request.blocks % 2 == 0):
        raise UserInputError(f"--blocks {request.blocks}: an even number from 2 to {MAX_BLOCKS}")


def run_tune(
    settings: SatelliteConfig,
    store: PriceStore,
    request: TuneRequest,
    executor: Executor | None = None,
    events: list[Event] | None = None,
    progress: Callable[[int], Callable[[], None]] | None = None,
    strategies: dict[str, type[Strategy]] | None = None,
) -> TuneResult:
    """Sweep every rule on every span; rank in-sample; keep out-of-sample beside it; judge.

    progress(total_chunks) returns the callback called after each chunk; strategies: the
    registry to build from (default: the built-ins)."""
    check_request(request)
    sweeper = Sweeper(settings, store, request.strategy, request.params, request.start,
                      request.end, events, strategies)
    folds = make_folds(sweeper.sessions(), request.split, request.walk_forward, request.rolling)
    spans = [fold.in_sample for fold in folds] + [f.out_of_sample for f in folds if f.out_of_sample]
    block_span = len(folds) - 1  # the last fold's in-sample span
    scored = spans[block_span]
    if scored.sessions < 2 * request.blocks:
        raise UserInputError(f"--blocks {request.blocks}: the in-sample span has only "
                             f"{scored.sessions} sessions; use at most {scored.sessions // 2 // 2 * 2}")
    groups = sweeper.groups(spans)
    total = sum(math.ceil(len(g.rows) / g.size) for g in groups)
    done = progress(total) if progress else (lambda: None)
    with ExitStack() as files:
        sink = files.enter_context(open_csv(request.csv)) if request.csv is not None else None
        stream = TuneStream(sweeper.grid, request.metric, len(folds), request.min_trades,
                            request.top, block_span, sink)
        jobs = sweeper.jobs(groups, block_span, block_index(scored.sessions, request.blocks),
                            request.blocks)
        for out in (executor or LocalExecutor()).run(sweep_chunk, jobs, done):
            stream.add(out)
    honesty = assess(stream, sweeper, scored)
    bench = {"in_sample": _mean_stats([sweeper.benchmark(f.in_sample) for f in folds])}
    if folds[0].out_of_sample is not None:
        bench["out_of_sample"] = _mean_stats(
            [sweeper.benchmark(f.out_of_sample) for f in folds if f.out_of_sample])
    return TuneResult(request.strategy, request.metric, request.mode, request.rolling,
                      sweeper.grid, folds, stream, honesty, bench, request.csv)


def results_csv(results_dir: Path, strategy: str) -> Path:
    """Where `--save` writes a tune's table: the user data directory's results folder."""
    stamp = pd.Timestamp.now().strftime("%Y%m%d-%H%M%S")
    return results_dir / f"tune-{strategy}-{stamp}.csv"


def _mean_stats(stats: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(np.mean([s[key] for s in stats])) for key in METRICS}
