"""Strategy targets + prices -> a vectorbt Portfolio (rust engine), filled at the open.

Orders are target percentages of the shared-cash portfolio, valued and filled at the session's
open with the configured fees and slippage; vectorbt sells before it buys ("auto" call
sequence), so rebalancing never borrows. Before a ticker lists its price columns are filled
with its first open so vectorbt can value a zero position; no order can fall there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from backtests.kernel import simulate_nb
from market.panel import PricePanel
from satellite.config import PortfolioConfig
from strategies.base import Signals
from strategies.stops import StopSpec, atr_before_bar

if TYPE_CHECKING:  # vectorbt takes seconds to import: only the commands that backtest pay it
    import vectorbt as vbt

ENGINE = "rust"


@dataclass(frozen=True)
class ExecutionCosts:
    initial_cash: float
    fees: float
    slippage: float

    @classmethod
    def from_portfolio(cls, portfolio: PortfolioConfig) -> ExecutionCosts:
        return cls(portfolio.initial_cash, portfolio.fees, portfolio.slippage)


def simulate_targets(
    panel: PricePanel, targets: pd.DataFrame, costs: ExecutionCosts
) -> vbt.Portfolio:
    """Trade to `targets` (sessions x tickers, NaN = no order) at each session's open."""
    if targets.index.equals(panel.sessions) is False or list(targets.columns) != panel.tickers:
        raise ValueError("targets must have the panel's sessions and tickers")
    listed = panel.open.notna()
    if (targets.notna() & ~listed).to_numpy().any():
        raise ValueError("a target falls on a session where its ticker has no price")
    open_ = panel.open.bfill()
    close = panel.close.fillna(open_)
    import vectorbt as vbt

    return vbt.Portfolio.from_orders(
        close=close,
        size=targets.astype(float),
        size_type="targetpercent",
        price=open_,
        val_price=open_,
        fees=costs.fees,
        slippage=costs.slippage,
        init_cash=costs.initial_cash,
        cash_sharing=True,
        group_by=True,
        call_seq="auto",
        freq="1D",
        engine=ENGINE,
    )


def buy_and_hold(panel: PricePanel, ticker: str, costs: ExecutionCosts) -> vbt.Portfolio:
    """All cash into one ticker at the first session's open, held to the end."""
    fields = ("open", "high", "low", "close", "volume")
    single = PricePanel(*(getattr(panel, name)[[ticker]] for name in fields))
    targets = pd.DataFrame(np.nan, index=single.sessions, columns=[ticker])
    first = single.open[ticker].first_valid_index()
    targets.loc[first, ticker] = 1.0
    return simulate_targets(single, targets, costs)


@dataclass(frozen=True)
class Caps:
    """Caps as fractions of portfolio value, held after the fills of every open."""

    satellite: float
    satellites: float

    @classmethod
    def from_portfolio(cls, portfolio: PortfolioConfig) -> Caps:
        return cls(portfolio.max_satellite_weight, portfolio.max_satellites_weight)


class KernelRun(NamedTuple):
    """The kernel's output: fills, trades and per-bar state (see backtests/kernel.py)."""

    fills: pd.DataFrame
    trades: pd.DataFrame
    cash: pd.Series
    value: pd.Series
    open_weights: pd.DataFrame
    stop_levels: pd.DataFrame


FILL_FIELDS = ("idx", "col", "size", "price", "fees", "side", "reason", "level")
TRADE_FIELDS = (
    "col", "entry_idx", "entry_price", "exit_idx", "exit_price", "reason", "stop_level", "shares",
)


def trade_indexed(
    signals: Signals, panel: PricePanel, weights: dict[str, float], delay: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shift decision-indexed signals by `delay` sessions: row t is acted on at bar t."""
    if delay < 1:
        raise ValueError("delay must be at least one session: a close cannot fill before it")
    index, columns = panel.sessions, panel.tickers

    def frame(data: pd.DataFrame | None, fill: Any, dtype: type) -> np.ndarray:
        if data is None:
            data = pd.DataFrame(fill, index=index, columns=columns)
        data = data.reindex(index=index, columns=columns)
        shifted = data.shift(delay).fillna(fill)
        return np.ascontiguousarray(shifted.to_numpy(dtype=dtype))

    default = pd.DataFrame([[weights.get(t, 0.0) for t in columns]] * len(index),
                           index=index, columns=columns)
    sizes = default if signals.sizes is None else signals.sizes.fillna(default)
    listed = panel.open.notna().to_numpy()
    enter = frame(signals.entries, False, bool) & listed
    leave = frame(signals.exits, False, bool) & listed
    return enter, frame(sizes, 0.0, float), frame(signals.limits, np.nan, float), \
        frame(signals.groups, -1, np.int64), leave


STOP_RULES = ("fixed_pct", "trailing_pct", "atr_mult", "time_sessions", "take_profit_pct",
              "breaker_drawdown")


def stops_active(spec: StopSpec) -> bool:
    """True when any stop rule is on (a target-weights strategy then runs through the kernel)."""
    return any(getattr(spec, rule) is not None for rule in STOP_RULES)


class KernelInputs(NamedTuple):
    """The kernel's market and strategy arrays (stop rules and costs go in separately)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    enter: np.ndarray
    size: np.ndarray
    limit: np.ndarray
    group: np.ndarray
    leave: np.ndarray
    target: np.ndarray
    cap: np.ndarray
    total_cap: float
    satellite: np.ndarray
    init_weight: np.ndarray
    lag_pct: float
    core_col: int

    def atr(self, window: int) -> np.ndarray:
        return atr_before_bar(self.high, self.low, self.close, window)


def kernel_inputs(
    panel: PricePanel,
    signals: Signals | pd.DataFrame,
    caps: Caps,
    portfolio: PortfolioConfig,
    delay: int = 1,
) -> KernelInputs:
    """Signals (decision-indexed, shifted by `delay`) or target weights (trade-indexed: row t
    trades at the open of t, NaN = no order) as the kernel's arrays."""
    if isinstance(signals, pd.DataFrame):
        target = np.ascontiguousarray(
            signals.reindex(index=panel.sessions, columns=panel.tickers).to_numpy(float))
        signals = Signals(pd.DataFrame(False, index=panel.sessions, columns=panel.tickers),
                          pd.DataFrame(False, index=panel.sessions, columns=panel.tickers))
    else:
        target = np.full((len(panel.sessions), len(panel.tickers)), np.nan)
    enter, size, limit, group, leave = trade_indexed(signals, panel, portfolio.weights, delay)
    tickers = panel.tickers
    satellite = np.array([t in portfolio.satellites for t in tickers])
    open_, high, low, close = (np.ascontiguousarray(f.to_numpy(float)) for f in
                               (panel.open, panel.high, panel.low, panel.close))
    return KernelInputs(
        open_, high, low, close, enter, size, limit, group, leave, target,
        np.where(satellite, caps.satellite, np.inf), caps.satellites, satellite,
        np.array([signals.hold.get(t, 0.0) for t in tickers]),
        np.nan if signals.lag_pct is None else signals.lag_pct, tickers.index(portfolio.core),
    )


def simulate_signals(
    panel: PricePanel,
    signals: Signals | pd.DataFrame,
    spec: StopSpec,
    costs: ExecutionCosts,
    caps: Caps,
    portfolio: PortfolioConfig,
    delay: int = 1,
) -> tuple[vbt.Portfolio, KernelRun]:
    """Run the kernel on the panel and let vectorbt account for its fills (value, stats).

    signals: a signal strategy's Signals, or a target-weights frame (core_satellite with
    stops: rebalances to the targets, stops on the satellites in between)."""
    inputs = kernel_inputs(panel, signals, caps, portfolio, delay)
    kernel: Any = simulate_nb  # a numba dispatcher: arrays in, tuple of arrays out
    out = kernel(
        inputs.open, inputs.high, inputs.low, inputs.close, inputs.atr(spec.atr_window),
        *inputs[4:], costs.initial_cash, costs.fees, costs.slippage, *spec.kernel_args(),
    )
    fills = pd.DataFrame(dict(zip(FILL_FIELDS, out[:8], strict=True)))
    trades = pd.DataFrame(dict(zip(TRADE_FIELDS, out[8:16], strict=True)))
    index, tickers = panel.sessions, panel.tickers
    run = KernelRun(
        fills, trades, pd.Series(out[16], index), pd.Series(out[17], index),
        pd.DataFrame(out[18], index, tickers), pd.DataFrame(out[19], index, tickers),
    )
    return portfolio_from_fills(panel, fills, costs), run


def portfolio_from_fills(panel: PricePanel, fills: pd.DataFrame, costs: ExecutionCosts) -> vbt.Portfolio:
    """A vectorbt Portfolio whose order records are the kernel's fills (shared cash)."""
    import vectorbt as vbt
    from vectorbt.portfolio.enums import log_dt, order_dt

    records = np.zeros(len(fills), dtype=order_dt)
    # vectorbt expects records grouped by column; within a column they stay chronological
    ordered = fills.sort_values(["col", "idx"], kind="stable")
    records["id"] = np.arange(len(fills))
    for name in ("col", "idx", "size", "price", "fees", "side"):
        records[name] = ordered[name].to_numpy()
    close = panel.close.fillna(panel.open.bfill()).ffill().astype(float)
    wrapper = vbt.base.array_wrapper.ArrayWrapper.from_obj(close, freq="1D", group_by=True)
    return vbt.Portfolio(
        wrapper, close, records, np.zeros(0, dtype=log_dt), np.array([float(costs.initial_cash)]),
        cash_sharing=True, engine=ENGINE,
    )
