"""A run's inputs for the fill engine: prices with warm-up, the strategy's decisions, the book.

Warm-up: the strategy and ATR see every stored session up to the run's end (the history); the
run itself starts at `start` with the initial cash, so indicators are ready at its first open
when the history allows (a ticker listed later simply has no signal until its indicator has
enough sessions). The backtest and the sweep build their inputs here, so one rule gives one
number everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from backtests.kernel_state import Book, Market, Orders
from events.align import AlignedEvent
from market.panel import PricePanel, build_panel
from satellite.config import PortfolioConfig
from satellite.errors import StrategyError, UserInputError
from strategies.base import Signals, Strategy
from strategies.stops import atr_before_bar


@dataclass(frozen=True)
class ExecutionCosts:
    initial_cash: float
    fees: float
    slippage: float

    @classmethod
    def from_portfolio(cls, portfolio: PortfolioConfig) -> ExecutionCosts:
        return cls(portfolio.initial_cash, portfolio.fees, portfolio.slippage)


@dataclass(frozen=True)
class Caps:
    """Caps as fractions of portfolio value, judged on the holdings at every close."""

    satellite: float
    satellites: float

    @classmethod
    def from_portfolio(cls, portfolio: PortfolioConfig) -> Caps:
        return cls(portfolio.max_satellite_weight, portfolio.max_satellites_weight)


@dataclass(frozen=True)
class Execution:
    """How orders execute: the portfolio (tickers, weights, core), its caps and costs."""

    portfolio: PortfolioConfig
    caps: Caps
    costs: ExecutionCosts

    @classmethod
    def from_portfolio(cls, portfolio: PortfolioConfig) -> Execution:
        return cls(portfolio, Caps.from_portfolio(portfolio),
                   ExecutionCosts.from_portfolio(portfolio))


@dataclass(frozen=True)
class RunInputs:
    """The run's panel (from its start) and the engine's arrays for it."""

    panel: PricePanel
    market: Market
    orders: Orders
    book: Book


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


def history_panel(frames: dict[str, pd.DataFrame], end: pd.Timestamp | None) -> PricePanel:
    """Every stored session up to `end`: the run plus its warm-up."""
    return build_panel(frames, None, end)


def from_start(panel: PricePanel, start: pd.Timestamp) -> PricePanel:
    cut = [frame.loc[start:] for frame in (panel.open, panel.high, panel.low, panel.close,
                                           panel.volume)]
    if cut[0].empty:
        raise UserInputError(f"--start {start:%Y-%m-%d} is after the last session of the data")
    return PricePanel(*cut)


def prepare_run(
    strategy: Strategy,
    history: PricePanel,
    events: list[AlignedEvent],
    start: pd.Timestamp,
    execution: Execution,
    delay: int = 1,
) -> RunInputs:
    """The strategy decides on the whole history; the engine trades from `start` on."""
    decisions = call_strategy(strategy, history, events)
    return run_inputs(history, start, decisions, execution, strategy.stop_spec.atr_window,
                      strategy.rebalances_on_cap(), delay)


def run_inputs(
    history: PricePanel,
    start: pd.Timestamp,
    decisions: Signals | pd.DataFrame,
    execution: Execution,
    atr_window: int,
    rebalance_on_cap: bool = False,
    delay: int = 1,
) -> RunInputs:
    """Decisions on the history (signals decision-indexed, shifted by `delay`; target weights
    trade-indexed) as the engine's arrays for the sessions from `start`."""
    first = int(history.sessions.searchsorted(start))
    panel = from_start(history, start)
    portfolio, caps, costs = execution.portfolio, execution.caps, execution.costs
    prices = [np.ascontiguousarray(frame.to_numpy(float)) for frame in
              (history.open, history.high, history.low, history.close)]
    atr = atr_before_bar(prices[1], prices[2], prices[3], atr_window)
    market = Market(*(np.ascontiguousarray(array[first:]) for array in (*prices, atr)))
    if isinstance(decisions, pd.DataFrame):
        orders = _target_orders(history, decisions, first)
        hold: dict[str, float] = {}
        lag = np.nan
    else:
        orders = _signal_orders(history, decisions, portfolio.weights, delay, first)
        hold, lag = decisions.hold, np.nan if decisions.lag_pct is None else decisions.lag_pct
    tickers = history.tickers
    satellite = np.array([ticker in portfolio.satellites for ticker in tickers])
    book = Book(
        np.where(satellite, caps.satellite, np.inf), float(caps.satellites), satellite,
        np.array([hold.get(ticker, 0.0) for ticker in tickers]), float(lag),
        tickers.index(portfolio.core), bool(rebalance_on_cap),
        float(costs.initial_cash), float(costs.fees), float(costs.slippage),
    )
    return RunInputs(panel, market, orders, book)


def _signal_orders(
    history: PricePanel, signals: Signals, weights: dict[str, float], delay: int, first: int
) -> Orders:
    """Shift decision-indexed signals by `delay` sessions: row t is acted on at bar t."""
    if delay < 1:
        raise ValueError("delay must be at least one session: a close cannot fill before it")
    index, columns = history.sessions, history.tickers

    def frame(data: pd.DataFrame | None, fill: Any, dtype: type) -> np.ndarray:
        if data is None:
            data = pd.DataFrame(fill, index=index, columns=columns)
        data = data.reindex(index=index, columns=columns)
        shifted = data.shift(delay).fillna(fill).to_numpy(dtype=dtype)
        return np.ascontiguousarray(shifted[first:])

    default = pd.DataFrame([[weights.get(t, 0.0) for t in columns]] * len(index),
                           index=index, columns=columns)
    sizes = default if signals.sizes is None else signals.sizes.fillna(default)
    listed = history.open.notna().to_numpy()[first:]
    no_target = np.full(listed.shape, np.nan)
    return Orders(
        frame(signals.entries, False, bool) & listed, frame(sizes, 0.0, float),
        frame(signals.limits, np.nan, float), frame(signals.groups, -1, np.int64),
        frame(signals.exits, False, bool) & listed, no_target, no_target.copy(),
        np.zeros(len(listed), bool),
    )


def _target_orders(history: PricePanel, targets: pd.DataFrame, first: int) -> Orders:
    """Target weights (row t trades at the open of t, NaN: no order) with the engine's own
    orders added: at the run's first open every ticker is traded to its standing target (the
    latest target given), and a ticker listing later is bought at its first open."""
    targets = targets.reindex(index=history.sessions, columns=history.tickers).astype(float)
    standing = np.ascontiguousarray(targets.ffill().to_numpy()[first:])
    target = targets.to_numpy()[first:].copy()
    listed = history.open.notna().to_numpy()[first:]
    starts = listed & ~np.vstack([np.zeros((1, listed.shape[1]), bool), listed[:-1]])
    starts[0] = True
    fill = starts & np.isnan(target)
    target[fill] = standing[fill]
    shape = target.shape
    return Orders(
        np.zeros(shape, bool), np.zeros(shape), np.full(shape, np.nan), np.full(shape, -1),
        np.zeros(shape, bool), np.ascontiguousarray(target), standing,
        ~np.isnan(target).all(axis=1),
    )
