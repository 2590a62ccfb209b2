"""Portfolio invariants on the bundled data for every built-in strategy (RELIABILITY 22),
and check-bias passing for every built-in and catching the leaky one (RELIABILITY 21)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backtests.bias import check_bias
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
    result = bundled(name)
    portfolio, panel = result.portfolio, result.panel
    cash = portfolio.cash().to_numpy()
    assert cash.min() >= -1e-6
    assets = portfolio.assets().to_numpy()
    close = panel.close.ffill().fillna(0).to_numpy()
    value = cash + np.nansum(assets * close, axis=1)
    assert np.allclose(portfolio.value().to_numpy(), value, rtol=1e-10)
    records = portfolio.orders.values
    assert np.allclose(records["fees"], records["size"] * records["price"] * 0.001, rtol=1e-9)
    # weights after the fills of every open, valued at that open (the kernel records them
    # before any stop fills later in the bar; target-weight runs only trade at the open)
    open_ = panel.open.fillna(0).to_numpy()
    weights = assets * open_ / (cash + np.sum(assets * open_, axis=1))[:, None]
    if result.kernel is not None:
        weights = result.kernel.open_weights.to_numpy()
    satellites = [panel.tickers.index(t) for t in ("NBIS", "CRWV")]
    assert weights[:, satellites].max() <= 0.20 + 1e-9
    assert weights[:, satellites].sum(axis=1).max() <= 0.35 + 1e-9
    if result.kernel is not None:
        assert np.allclose(result.kernel.value.to_numpy(), portfolio.value().to_numpy(), rtol=1e-9)
        assert np.allclose(result.kernel.cash.to_numpy(), cash, atol=1e-6)
        assert len(records) == len(result.kernel.fills)


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
