"""Synthetic OHLC frames for the event tests: a benchmark and a stock that follows it with a known
beta, session by session on the NYSE calendar, with shocks planted in the overnight gap or the
open-to-close move of chosen sessions."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from market.calendar import sessions_between

SESSIONS = sessions_between(pd.Timestamp("2024-01-02"), pd.Timestamp("2025-06-30"))
BETA = 1.5


@dataclass(frozen=True)
class Shocks:
    """Extra returns by session: `gap` in the overnight move, `intraday` from open to close."""

    gap: dict[pd.Timestamp, float] = field(default_factory=dict)
    intraday: dict[pd.Timestamp, float] = field(default_factory=dict)


def frame_from(gaps: np.ndarray, moves: np.ndarray, start: float = 100.0) -> pd.DataFrame:
    """OHLCV whose open = previous close * (1 + gap) and close = open * (1 + move)."""
    opens, closes = np.empty(len(gaps)), np.empty(len(gaps))
    previous = start
    for day, (gap, move) in enumerate(zip(gaps, moves, strict=True)):
        opens[day] = previous * (1 + gap)
        closes[day] = opens[day] * (1 + move)
        previous = closes[day]
    return pd.DataFrame({
        "Open": opens, "High": np.maximum(opens, closes) * 1.01, "Low": np.minimum(opens, closes) * 0.99,
        "Close": closes, "Volume": np.full(len(gaps), 1_000_000.0),
    }, index=pd.DatetimeIndex(SESSIONS[:len(gaps)], name="Date"))


def pair(shocks: Shocks, seed: int = 5, noise: float = 0.0) -> dict[str, pd.DataFrame]:
    """{'BENCH': ..., 'STOCK': ...}: the stock's gap and move are BETA times the benchmark's (plus
    optional noise and the shocks)."""
    rng = np.random.default_rng(seed)
    size = len(SESSIONS)
    bench_gap, bench_move = rng.normal(0, 0.004, size), rng.normal(0, 0.01, size)
    stock_gap = BETA * bench_gap + rng.normal(0, noise, size)
    stock_move = BETA * bench_move + rng.normal(0, noise, size)
    for day, value in shocks.gap.items():
        stock_gap[SESSIONS.get_loc(day)] += value
    for day, value in shocks.intraday.items():
        stock_move[SESSIONS.get_loc(day)] += value
    return {"BENCH": frame_from(bench_gap, bench_move), "STOCK": frame_from(stock_gap, stock_move)}
