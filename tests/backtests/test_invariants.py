"""Portfolio invariants on the bundled data for every built-in strategy (RELIABILITY 22),
and check-bias passing for every built-in and catching the leaky one (RELIABILITY 21)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtests.bias import check_bias
from backtests.inputs import Execution, history_panel, prepare_run
from backtests.invariants import InvariantError, check_run, positions
from backtests.kernel import simulate
from backtests.kernel_fills import CAP_SLACK
from backtests.kernel_state import Record
from backtests.run import BacktestResult, run_backtest
from satellite.config import SatelliteConfig
from satellite_cli.context import AppContext
from strategies.registry import available, build_strategy, discover

BUILT_IN = sorted(available())
LEAKY = Path(__file__).parents[1] / "strategies" / "leaky"
_CACHE: dict[str, BacktestResult] = {}


def bundled(name: str, **overrides: str) -> BacktestResult:
    key = f"{name}{sorted(overrides.items())}"
    if key not in _CACHE:
        _CACHE[key] = run_backtest(SatelliteConfig(), AppContext().store, name, overrides=overrides)
    return _CACHE[key]


def test_every_playbook_strategy_is_built_in() -> None:
    assert set(BUILT_IN) >= {
        "core_satellite", "event_pullback", "no_chase", "swing", "relative_strength"}


@pytest.mark.parametrize("name", BUILT_IN)
def test_portfolio_invariants_hold(name: str) -> None:
    """simulate_run checks the engine's invariants on every run (backtests/invariants.py);
    here vectorbt's accounting of the fills must agree with them."""
    result = bundled(name)
    portfolio, panel, kernel = result.portfolio, result.panel, result.kernel
    cash = portfolio.cash().to_numpy()
    assert cash.min() >= -1e-6
    assets = portfolio.assets().to_numpy()
    close = panel.close.ffill().fillna(0).to_numpy()
    value = cash + np.nansum(assets * close, axis=1)
    assert np.allclose(portfolio.value().to_numpy(), value, rtol=1e-10)
    records = portfolio.orders.values
    assert np.allclose(records["fees"], records["size"] * records["price"] * 0.001, rtol=1e-9)
    assert np.allclose(kernel.value.to_numpy(), portfolio.value().to_numpy(), rtol=1e-9)
    assert np.allclose(kernel.cash.to_numpy(), cash, atol=1e-6)
    assert len(records) == len(kernel.fills) == result.stats["fills"]
    final = float(portfolio.value().iloc[-1]) - portfolio.init_cash
    assert sum(t["pnl"] for t in result.trades) == pytest.approx(final, rel=1e-6)
    assert result.stats["trades"] == sum(t["reason"] != "end_of_data" for t in result.trades)


def test_a_broken_invariant_is_reported() -> None:
    strategy = build_strategy("core_satellite", SatelliteConfig())
    history = history_panel(AppContext().store.load_frames(strategy.portfolio.tickers), None)
    run = prepare_run(strategy, history, [], pd.Timestamp("2025-03-28"),
                      Execution.from_portfolio(strategy.portfolio))
    record, _ = simulate(run.market, run.orders, run.book, strategy.stop_spec.rule())
    check_run(run.market, run.book, record)

    def broken(change: Callable[[Record], None], message: str) -> None:
        copy = Record(*(array.copy() for array in record))
        change(copy)
        with pytest.raises(InvariantError, match=message):
            check_run(run.market, run.book, copy)

    broken(lambda r: r.cash.__setitem__(5, -1.0), "cash fell")
    broken(lambda r: r.value.__setitem__(5, r.value[5] * 1.01), "not cash \\+ positions")
    broken(lambda r: r.trades["pnl"].__setitem__(0, r.trades["pnl"][0] + 1.0), "trades add up")
    fills = record.fills
    buy = fills[(fills["side"] == 0) & (fills["col"] > 0) & (fills["idx"] > 0)][0]
    broken(lambda r: r.open_weight.__setitem__((buy["idx"], buy["col"]), 0.5), "over its cap")


def test_no_satellite_is_bought_outside_a_justified_rebalance() -> None:
    """core_satellite with stops: every satellite buy falls on a calendar rebalance, a
    satellite's first session, or an open after a close where a satellite was over its cap."""
    result = bundled("core_satellite")
    panel, kernel = result.panel, result.kernel
    sessions = panel.sessions
    months = sessions.to_period("M")
    calendar = {0} | {t for t in range(1, len(sessions)) if months[t] != months[t - 1]}
    value = kernel.value.to_numpy()
    shares = positions(kernel.fills.to_records(index=False), panel.close.shape)
    weight = shares * panel.close.ffill().fillna(0).to_numpy() / value[:, None]
    satellites = [panel.tickers.index(t) for t in ("NBIS", "CRWV")]
    over = (weight[:, satellites] > 0.20 * (1 + CAP_SLACK)).any(axis=1) | (
        weight[:, satellites].sum(axis=1) > 0.35 * (1 + CAP_SLACK))
    justified = calendar | {t + 1 for t in np.flatnonzero(over)}
    buys = kernel.fills[(kernel.fills["side"] == 0) & kernel.fills["col"].isin(satellites)]
    assert set(buys["idx"]) <= justified
    stopped = {"2025-06-09", "2026-05-22"}  # the audit's phantom re-entries: both satellites out
    assert not {f"{sessions[t]:%Y-%m-%d}" for t in buys["idx"]} & stopped


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_exit_has_a_reason(name: str) -> None:
    result = bundled(name)
    payload = result.as_json()
    assert payload["trades"], "each strategy trades on the bundled data"
    reasons = set(payload["exits_by_reason"])  # type: ignore[arg-type]
    for trade in payload["trades"]:  # type: ignore[attr-defined]
        assert trade["reason"] in reasons
        assert trade["entry_date"] <= trade["exit_date"]


def test_every_stop_rule_runs_on_the_bundled_data() -> None:
    overrides = {
        "stops.fixed_pct": "0.08", "stops.trailing_pct": "0.2", "stops.atr_mult": "3",
        "stops.time_sessions": "30", "stops.take_profit_pct": "0.4",
        "stops.breaker_drawdown": "0.12",
    }
    result = bundled("no_chase", **overrides)
    exits = result.exits_by_reason
    for reason in ("stop_fixed", "stop_atr", "time", "take_profit", "breaker"):
        assert exits[reason] > 0, reason


@pytest.mark.parametrize("name", BUILT_IN)
def test_check_bias_passes_for_built_ins(name: str) -> None:
    result = bundled(name)
    strategy = build_strategy(name, SatelliteConfig())
    diffs, checked = check_bias(strategy, result.panel, result.events, stride=7, last=10)
    assert diffs == []
    assert checked >= 50


def test_check_bias_catches_a_leaky_strategy() -> None:
    result = bundled("core_satellite")
    found = discover(LEAKY)
    strategy = build_strategy("leaky", SatelliteConfig(), strategies=found.strategies)
    diffs, _ = check_bias(strategy, result.panel, result.events, stride=25, last=5)
    assert diffs
    assert {d.field for d in diffs} <= {"entries", "exits"}


def test_check_bias_catches_a_strategy_peeking_at_the_open() -> None:
    result = bundled("core_satellite")
    found = discover(LEAKY)
    strategy = build_strategy("peeks_open", SatelliteConfig(), strategies=found.strategies)
    diffs, _ = check_bias(strategy, result.panel, result.events, stride=25, last=5)
    assert diffs and {d.field for d in diffs} == {"targets"}
