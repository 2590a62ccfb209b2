"""Tuning fixtures: the bundled prices behind a store that tests can perturb."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from backtests.cscv import block_index
from backtests.sweep_kernel import METRICS
from backtests.tune_folds import Span
from backtests.tune_sweep import Sweeper, sweep_chunk
from market.store import PriceStore
from satellite.config import SatelliteConfig


class FrameStore:
    """The PriceStore interface the tuner uses (load_frames), over frames held in memory."""

    def __init__(self, frames: dict[str, pd.DataFrame]):
        self.frames = frames

    def load_frames(self, tickers: list[str]) -> dict[str, pd.DataFrame]:
        return {ticker: self.frames[ticker].copy() for ticker in tickers}


@pytest.fixture(scope="session")
def bundled_frames(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    store = PriceStore(tmp_path_factory.mktemp("empty-data"))
    return store.load_frames(["NVDA", "NBIS", "CRWV"])


@pytest.fixture
def settings() -> SatelliteConfig:
    return SatelliteConfig()


def perturbed(frames: dict[str, pd.DataFrame], after: pd.Timestamp,
              seed: int = 7) -> dict[str, pd.DataFrame]:
    """Every OHLC bar after `after` scaled by a random factor (bars stay valid)."""
    rng = np.random.default_rng(seed)
    out = {}
    for ticker, frame in frames.items():
        frame = frame.copy()
        later = frame.index > after
        factor = rng.uniform(0.5, 1.5, size=int(later.sum()))
        for column in ("Open", "High", "Low", "Close"):
            frame.loc[later, column] = frame.loc[later, column].to_numpy() * factor
        out[ticker] = frame
    return out


Perturb = Callable[[dict[str, pd.DataFrame], pd.Timestamp], dict[str, pd.DataFrame]]


def sweep_table(sweeper: Sweeper, span: Span) -> np.ndarray:
    """Every rule's METRICS over one span (grid rows), straight from the sweep's chunks."""
    table = np.full((sweeper.grid.size, len(METRICS)), np.nan)
    for job in sweeper.jobs(sweeper.groups([span]), 0, block_index(span.sessions, 2), 2):
        out = sweep_chunk(job)
        table[out.rows] = out.metrics[0]
    return table
