"""The placebo test: how often do pseudo-events, at sessions with no catalogue event, give a mean
CAR as extreme as the real events'?

A pseudo-event is a session of the same ticker, inside the study period (from the first studied
day 0 to the last session with a complete window), whose CAR window holds no catalogue event's
day 0 or day +1. Its CAR is computed exactly as a real event's (same model, estimation window and
fallbacks). For a group of n events, one sample draws, for each event, a pseudo-event of that
event's ticker (distinct sessions within a sample when a ticker has several events) and takes
the mean of the n pseudo CARs; `draws` samples from a seeded generator.
"""

from __future__ import annotations

import zlib
from collections import Counter

import numpy as np
import pandas as pd

from events.study import StudySettings, abnormal_returns, car, simple_returns

Window = tuple[int, int]


def bench_returns_on(close: pd.Series, bench_close: pd.Series | None) -> np.ndarray | None:
    """The benchmark's own close-to-close returns, placed on the ticker's sessions."""
    if bench_close is None:
        return None
    returns = pd.Series(simple_returns(bench_close.to_numpy()), index=bench_close.index)
    return returns.reindex(close.index).to_numpy(dtype=float)


def pseudo_cars(
    close: pd.Series,
    bench_close: pd.Series | None,
    event_days: list[pd.Timestamp],
    settings: StudySettings,
    windows: list[Window],
    since: pd.Timestamp,
) -> dict[Window, np.ndarray]:
    """Per window: the CARs of every pseudo-event of one ticker (see the module docstring)."""
    index = pd.DatetimeIndex(close.index)
    returns = simple_returns(close.to_numpy())
    bench = bench_returns_on(close, bench_close)
    stored = [day for day in event_days if day in index]
    event_positions = np.unique(index.searchsorted(pd.DatetimeIndex(stored)))
    first = max(int(index.searchsorted(since)), 1)
    last = len(index) - 1 - settings.window[1]
    found: dict[Window, list[float]] = {window: [] for window in windows}
    for position in range(first, last + 1):
        result = abnormal_returns(returns, bench, position, settings)
        for window in windows:
            if _holds_event(event_positions, position + window[0], position + window[1]):
                continue
            value = car(result.ar, settings, *window)
            if value is not None:
                found[window].append(value)
    return {window: np.array(values) for window, values in found.items()}


def _holds_event(event_positions: np.ndarray, lo: int, hi: int) -> bool:
    """Whether a catalogue event's day 0 or day +1 falls in sessions lo..hi."""
    return bool(((event_positions >= lo - 1) & (event_positions <= hi)).any())


def pseudo_means(
    pools: dict[str, np.ndarray], tickers: list[str], draws: int, rng: np.random.Generator
) -> np.ndarray | None:
    """`draws` mean CARs of pseudo samples, one pseudo-event per entry of `tickers` (a ticker
    listed k times gets k distinct sessions per sample); None when a pool is too small."""
    total = np.zeros(draws)
    for ticker, count in sorted(Counter(tickers).items()):
        pool = pools.get(ticker)
        if pool is None or len(pool) < count:
            return None
        total += pool[_distinct_rows(len(pool), count, draws, rng)].sum(axis=1)
    return total / len(tickers)


def _distinct_rows(size: int, count: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """(draws x count) indices into range(size), distinct within each row."""
    picks = rng.integers(size, size=(draws, count))
    while True:
        ordered = np.sort(picks, axis=1)
        clash = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        if not clash.any():
            return picks
        picks[clash] = rng.integers(size, size=(int(clash.sum()), count))


def group_rng(seed: int, label: str) -> np.random.Generator:
    """A generator per group and window: results do not depend on which other groups are run."""
    return np.random.default_rng([seed, zlib.crc32(label.encode("utf-8"))])
