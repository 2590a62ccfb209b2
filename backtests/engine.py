"""A run's inputs -> the fill engine -> fills, trades and a vectorbt Portfolio (the accounting).

Every run goes through the fill engine (backtests/kernel.py): strategies, core_satellite with
or without stops, the buy-and-hold benchmark. `run_kernel` gives the engine's record alone
(what `satellite backtest` needs: its statistics come from backtests/metrics*.py);
`simulate_run` adds a vectorbt Portfolio (rust engine) that accounts for the fills, for the
charts and the tests. vectorbt's own from_orders is kept in the tests as the reference the
engine must agree with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from backtests.inputs import Execution, ExecutionCosts, RunInputs, run_inputs
from backtests.invariants import check_run
from backtests.kernel import simulate
from backtests.kernel_state import FILL, TRADE, Book, Market, Orders
from market.panel import PricePanel
from strategies.base import Signals
from strategies.stops import StopSpec

if TYPE_CHECKING:  # vectorbt takes seconds to import: only the commands that backtest pay it
    import vectorbt as vbt

ENGINE = "rust"


class KernelRun(NamedTuple):
    """The engine's output for one run: fills, trades (FIFO lots) and per-session state."""

    fills: pd.DataFrame  # FILL fields; side 0 buy, 1 sell; reason: strategies.stops code
    trades: pd.DataFrame  # TRADE fields; the open ones have reason end_of_data
    cash: pd.Series
    value: pd.Series
    open_weights: pd.DataFrame  # after the fills of each open, valued at that open
    stop_levels: pd.DataFrame


def simulate_run(inputs: RunInputs, spec: StopSpec) -> tuple[vbt.Portfolio, KernelRun]:
    """One rule through the fill engine (its invariants checked); vectorbt accounts for its
    fills."""
    run = run_kernel(inputs, spec)
    return portfolio_from_fills(inputs.panel, run.fills, run_costs(inputs)), run


def run_costs(inputs: RunInputs) -> ExecutionCosts:
    return ExecutionCosts(inputs.book.init_cash, inputs.book.fees, inputs.book.slippage)


def run_kernel(inputs: RunInputs, spec: StopSpec) -> KernelRun:
    """One rule through the fill engine (its invariants checked), without vectorbt."""
    record, _ = simulate(inputs.market, inputs.orders, inputs.book, spec.rule())
    check_run(inputs.market, inputs.book, record)
    index, tickers = inputs.panel.sessions, inputs.panel.tickers
    run = KernelRun(
        pd.DataFrame(record.fills, columns=list(FILL.names or ())),
        pd.DataFrame(record.trades, columns=list(TRADE.names or ())),
        pd.Series(record.cash, index), pd.Series(record.value, index),
        pd.DataFrame(record.open_weight, index, tickers),
        pd.DataFrame(record.level, index, tickers),
    )
    return run


def simulate_decisions(
    panel: PricePanel,
    decisions: Signals | pd.DataFrame,
    spec: StopSpec,
    execution: Execution,
    rebalance_on_cap: bool = False,
    delay: int = 1,
) -> tuple[vbt.Portfolio, KernelRun]:
    """Decisions made on `panel` (signals, or target weights) run over all of its sessions."""
    inputs = run_inputs(panel, panel.sessions[0], decisions, execution, spec.atr_window,
                        rebalance_on_cap, delay)
    return simulate_run(inputs, spec)


def buy_and_hold(
    panel: PricePanel, ticker: str, costs: ExecutionCosts
) -> tuple[vbt.Portfolio, KernelRun]:
    """All cash into one ticker at its first open of the panel, held to the end."""
    return simulate_run(buy_and_hold_inputs(panel, ticker, costs), StopSpec())


def buy_and_hold_inputs(panel: PricePanel, ticker: str, costs: ExecutionCosts) -> RunInputs:
    """The inputs of buy_and_hold (run them with run_kernel to skip vectorbt)."""
    fields = ("open", "high", "low", "close", "volume")
    single = PricePanel(*(getattr(panel, name)[[ticker]] for name in fields))
    open_, high, low, close = (np.ascontiguousarray(getattr(single, name).to_numpy(float))
                               for name in fields[:4])
    shape = open_.shape
    target = np.full(shape, np.nan)
    target[int(np.flatnonzero(~np.isnan(open_[:, 0]))[0]), 0] = 1.0
    market = Market(open_, high, low, close, np.full(shape, np.nan))
    orders = Orders(np.zeros(shape, bool), np.zeros(shape), np.full(shape, np.nan),
                    np.full(shape, -1), np.zeros(shape, bool), target, target.copy(),
                    ~np.isnan(target).all(axis=1))
    book = Book(np.full(1, np.inf), np.inf, np.zeros(1, bool), np.zeros(1), np.nan, 0, False,
                float(costs.initial_cash), float(costs.fees), float(costs.slippage))
    return RunInputs(single, market, orders, book)


def portfolio_from_fills(panel: PricePanel, fills: pd.DataFrame, costs: ExecutionCosts) -> vbt.Portfolio:
    """A vectorbt Portfolio whose order records are the engine's fills (shared cash)."""
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
