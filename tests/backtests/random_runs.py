"""Hypothesis strategies for random runs: a synthetic 3-ticker panel, random decisions (signals
with limits, one-shot groups, exits, sizes, a lag cut; or target weights) and random stop
rules (every key of [stops], both breaker re-arm modes)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from backtests.inputs import Caps, Execution, ExecutionCosts
from market.panel import PricePanel
from satellite.config import PortfolioConfig
from strategies.base import Signals
from strategies.stops import StopSpec

TICKERS = ["NVDA", "NBIS", "CRWV"]


class RandomRun(NamedTuple):
    panel: PricePanel
    decisions: Signals | pd.DataFrame
    rebalance_on_cap: bool
    execution: Execution
    specs: list[StopSpec]  # same atr_window: one sweep


def synthetic_panel(rng: np.random.Generator, sessions: int, listings: list[int]) -> PricePanel:
    """Random-walk bars; ticker k has no price before session listings[k]."""
    index = pd.bdate_range("2024-01-02", periods=sessions)
    frames: dict[str, dict[str, np.ndarray]] = {"open": {}, "high": {}, "low": {}, "close": {}}
    for ticker, vol, first in zip(TICKERS, (0.02, 0.05, 0.06), listings, strict=True):
        close = 50.0 * np.exp(np.cumsum(rng.normal(0.001, vol, sessions)))
        gap = np.exp(rng.normal(0.0, vol / 2, sessions))
        open_ = np.concatenate([[close[0] / gap[0]], close[:-1] * gap[1:]])
        high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, vol / 2, sessions)))
        low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, vol / 2, sessions)))
        for name, values in zip(("open", "high", "low", "close"), (open_, high, low, close),
                                strict=True):
            values = values.copy()
            values[:first] = np.nan
            frames[name][ticker] = values
    built = [pd.DataFrame(frames[name], index=index) for name in ("open", "high", "low", "close")]
    return PricePanel(*built, built[3] * 0 + 1e6)


def _maybe(draw: st.DrawFn, values: st.SearchStrategy[float | int]) -> float | int | None:
    return draw(st.one_of(st.none(), values))


@st.composite
def stop_specs(draw: st.DrawFn, atr_window: int) -> StopSpec:
    pct = st.floats(0.02, 0.35)
    return StopSpec(
        fixed_pct=_maybe(draw, pct), trailing_pct=_maybe(draw, pct),
        trail_from=draw(st.sampled_from(["high", "close"])),
        atr_mult=_maybe(draw, st.floats(0.5, 5.0)), atr_window=atr_window,
        time_sessions=_maybe(draw, st.integers(1, 30)),
        take_profit_pct=_maybe(draw, st.floats(0.02, 0.5)),
        breaker_drawdown=_maybe(draw, st.floats(0.03, 0.25)),
        breaker_rearm_recovery=_maybe(draw, st.floats(0.0, 0.1)),
        breaker_rearm_sessions=_maybe(draw, st.integers(1, 30)),  # None: recovery only
    )  # type: ignore[arg-type]


def _signals(draw: st.DrawFn, rng: np.random.Generator, panel: PricePanel,
             weights: dict[str, float]) -> Signals:
    shape = panel.close.shape
    satellites = np.array([False, True, True])
    entries = (rng.random(shape) < draw(st.floats(0.02, 0.6))) & satellites
    exits = (rng.random(shape) < draw(st.floats(0.0, 0.3))) & satellites
    frame = lambda data: pd.DataFrame(data, index=panel.sessions, columns=TICKERS)  # noqa: E731
    sizes = limits = groups = None
    if draw(st.booleans()):
        sizes = frame(rng.uniform(0.02, 0.4, shape))
    if draw(st.booleans()):
        below = panel.close.to_numpy() * rng.uniform(0.9, 1.02, shape)
        limits = frame(np.where(rng.random(shape) < 0.7, below, np.nan))
    if draw(st.booleans()):
        groups = frame(np.cumsum(rng.random(shape) < 0.15, axis=0).astype(np.int64))
    hold = {"NVDA": weights["NVDA"]}
    if draw(st.booleans()):
        hold["NBIS"] = weights["NBIS"]
    lag = draw(st.one_of(st.none(), st.floats(0.05, 0.4)))
    return Signals(frame(entries), frame(exits), sizes, limits, groups, hold, lag)


def _targets(draw: st.DrawFn, rng: np.random.Generator, panel: PricePanel,
             weights: dict[str, float]) -> pd.DataFrame:
    rows = rng.random(len(panel.sessions)) < draw(st.floats(0.02, 0.3))
    row = np.array([weights[t] for t in TICKERS])
    return pd.DataFrame(np.where(rows[:, None], row, np.nan), panel.sessions, TICKERS)


@st.composite
def random_runs(draw: st.DrawFn, rules: int = 3) -> RandomRun:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sessions = draw(st.integers(30, 120))
    listings = [0, draw(st.integers(0, sessions // 2)), draw(st.integers(0, sessions - 2))]
    panel = synthetic_panel(rng, sessions, listings)
    nbis, crwv = draw(st.floats(0.05, 0.2)), draw(st.floats(0.05, 0.2))
    weights = {"NVDA": 1.0 - nbis - crwv, "NBIS": nbis, "CRWV": crwv}
    cap = draw(st.floats(max(nbis, crwv), 0.35))
    total = draw(st.floats(nbis + crwv, 0.6))
    portfolio = PortfolioConfig(
        core="NVDA", satellites=["NBIS", "CRWV"], weights=weights, max_satellite_weight=cap,
        max_satellites_weight=total,
    )
    costs = ExecutionCosts(10_000.0, draw(st.sampled_from([0.0, 0.001, 0.003])),
                           draw(st.sampled_from([0.0, 0.0005, 0.002])))
    execution = Execution(portfolio, Caps(cap, total), costs)
    weights_run = draw(st.booleans())
    decisions = (_targets(draw, rng, panel, weights) if weights_run
                 else _signals(draw, rng, panel, weights))
    atr_window = draw(st.integers(2, 20))
    specs = [draw(stop_specs(atr_window)) for _ in range(rules)]
    return RandomRun(panel, decisions, weights_run and draw(st.booleans()), execution, specs)
