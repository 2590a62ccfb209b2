"""core_satellite on a 2-ticker, 6-session file, checked against numbers computed by hand.

Portfolio: AAA (core) 60%, BBB (satellite) 40%, 1000 cash, fees 0.1%, no slippage. Orders are
target percentages filled at the open through the fill engine; like vectorbt's from_orders it
sells before it buys and buys the smaller order first, and a buy that the remaining cash cannot
cover with its fee is filled partially. The fills are listed in the order they executed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtests.engine import simulate_decisions
from backtests.inputs import Caps, Execution, ExecutionCosts
from market.panel import build_panel
from market.validation import read_price_csv
from satellite.config import PortfolioConfig, StopsConfig
from strategies.core_satellite import CoreSatellite
from tests.conftest import DATA

FEES = 0.001


def portfolio_config() -> PortfolioConfig:
    return PortfolioConfig(
        core="AAA", satellites=["BBB"], weights={"AAA": 0.6, "BBB": 0.4},
        max_satellite_weight=0.4, max_satellites_weight=0.4,
        initial_cash=1000.0, fees=FEES, slippage=0.0,
    )


def run(bbb_file: str) -> tuple[pd.DataFrame, pd.Series]:
    frames = {"AAA": read_price_csv(DATA / "AAA.csv"), "BBB": read_price_csv(DATA / bbb_file)}
    panel = build_panel(frames)
    config = portfolio_config()
    strategy = CoreSatellite(CoreSatellite.Params(), config, StopsConfig(trailing_pct=None))
    execution = Execution(config, Caps(0.4, 0.4), ExecutionCosts(1000.0, FEES, 0.0))
    portfolio, run = simulate_decisions(panel, strategy.target_weights(panel),
                                        strategy.stop_spec, execution, rebalance_on_cap=True)
    fills = run.fills
    orders = pd.DataFrame({
        "Timestamp": panel.sessions[fills["idx"]], "Column": [panel.tickers[c] for c in fills["col"]],
        "Size": fills["size"], "Side": fills["side"].map({0: "Buy", 1: "Sell"}),
        "Fees": fills["fees"]})
    return orders, portfolio.value()


def test_rebalances_on_the_first_session_and_the_first_of_the_month() -> None:
    orders, value = run("BBB.csv")
    # 2025-01-27 open: BBB 400 / 20 = 20 shares, fee 0.4, cash left 1000 - 400.4 = 599.6;
    # AAA wants 60 shares (600 + 0.6 fee) but cash covers 599.6 / (10 x 1.001) shares.
    aaa_shares = 599.6 / (10 * 1.001)
    assert orders["Size"].iloc[0] == pytest.approx(20.0)
    assert orders["Size"].iloc[1] == pytest.approx(aaa_shares, rel=1e-12)
    # value at each close = shares x close (no cash left)
    closes = [(10.5, 19.0), (11.0, 18.0), (12.0, 17.0), (11.5, 18.0), (11.0, 20.0)]
    for day, (aaa_close, bbb_close) in enumerate(closes):
        assert value.iloc[day] == pytest.approx(aaa_shares * aaa_close + 20 * bbb_close, rel=1e-12)
    # 2025-02-03 open (new month): value at open, sell AAA down to 60%, buy BBB with the proceeds
    open_value = aaa_shares * 12.0 + 20 * 20.0
    aaa_sell = aaa_shares - 0.6 * open_value / 12.0
    cash = aaa_sell * 12.0 * (1 - FEES)
    bbb_buy = cash / (20.0 * (1 + FEES))  # wants 0.4 x value / 20 - 20 shares; cash is short
    assert bbb_buy < 0.4 * open_value / 20.0 - 20
    assert list(orders["Timestamp"].dt.strftime("%Y-%m-%d")) == [
        "2025-01-27", "2025-01-27", "2025-02-03", "2025-02-03"]
    assert orders["Size"].iloc[2] == pytest.approx(aaa_sell, rel=1e-9)
    assert orders["Side"].iloc[2] == "Sell"
    assert orders["Size"].iloc[3] == pytest.approx(bbb_buy, rel=1e-9)
    final = (aaa_shares - aaa_sell) * 12.5 + (20 + bbb_buy) * 21.0
    assert value.iloc[-1] == pytest.approx(final, rel=1e-9)
    assert orders["Fees"].sum() == pytest.approx(
        FEES * (400 + aaa_shares * 10 + aaa_sell * 12 + bbb_buy * 20), rel=1e-9
    )


def test_a_satellite_not_listed_yet_keeps_its_weight_in_cash() -> None:
    orders, value = run("BBB_late.csv")
    # 2025-01-27: only AAA trades: 600 / 10 = 60 shares, fee 0.6; cash 1000 - 600.6 = 399.4
    assert orders["Column"].iloc[0] == "AAA"
    assert orders["Size"].iloc[0] == pytest.approx(60.0)
    cash = 399.4
    assert value.iloc[0] == pytest.approx(60 * 10.5 + cash)
    assert value.iloc[1] == pytest.approx(60 * 11.0 + cash)
    # 2025-01-29 open: BBB lists; its target is 40% of the value at that open
    open_value = 60 * 11.0 + cash
    wanted = 0.4 * open_value / 18.0
    affordable = cash / (18.0 * (1 + FEES))
    bbb_shares = min(wanted, affordable)
    assert orders["Column"].iloc[1] == "BBB"
    assert pd.Timestamp(orders["Timestamp"].iloc[1]) == pd.Timestamp("2025-01-29")
    assert orders["Size"].iloc[1] == pytest.approx(bbb_shares, rel=1e-12)
    cash_left = cash - bbb_shares * 18.0 * (1 + FEES)
    assert value.iloc[2] == pytest.approx(60 * 12.0 + bbb_shares * 17.0 + cash_left, rel=1e-12)


def test_calendar_rebalance_sessions_fall_on_the_first_session_of_each_period() -> None:
    from strategies.core_satellite import calendar_rebalance_sessions

    sessions = pd.DatetimeIndex(pd.to_datetime(
        ["2025-03-27", "2025-03-28", "2025-03-31", "2025-04-01", "2025-04-02", "2025-07-01"]))
    assert calendar_rebalance_sessions(sessions, "month").tolist() == [
        True, False, False, True, False, True]
    assert calendar_rebalance_sessions(sessions, "quarter").tolist() == [
        True, False, False, True, False, True]


def test_bundled_data_path_is_package_data() -> None:
    from market.store import BUNDLED_DIR

    assert sorted(path.name for path in BUNDLED_DIR.glob("*.csv")) == [
        "CRWV.csv", "NBIS.csv", "NVDA.csv"]
    assert isinstance(BUNDLED_DIR, Path)


def test_drift_rebalances_at_the_open_after_a_close_out_of_band() -> None:
    from strategies.core_satellite import drift_rebalance_sessions

    # the book bought at close 0: 0.06 AAA units, 0.02 BBB; close 2 lifts BBB to 30: weights
    # 0.5 / 0.5, 0.1 away from the targets > 0.05, so the open of session 3 rebalances
    close = np.array([[10.0, 20.0], [10.0, 20.0], [10.0, 30.0], [10.0, 30.0], [10.0, 30.0]])
    marked = drift_rebalance_sessions(close, np.array([0.6, 0.4]), 0.05)
    assert marked.tolist() == [True, False, False, True, False]


def test_check_bias_passes_for_drift_rebalancing() -> None:
    from backtests.bias import check_bias
    from backtests.run import run_backtest
    from satellite.config import RebalanceConfig, SatelliteConfig
    from satellite_cli.context import AppContext
    from strategies.registry import build_strategy

    settings = SatelliteConfig(portfolio=PortfolioConfig(rebalance=RebalanceConfig(mode="drift")))
    result = run_backtest(settings, AppContext().store, "core_satellite")
    strategy = build_strategy("core_satellite", settings)
    diffs, checked = check_bias(strategy, result.panel, result.events, stride=10, last=5)
    assert diffs == [] and checked > 30


def test_a_stopped_satellite_waits_in_cash_for_the_next_calendar_rebalance() -> None:
    from market.panel import PricePanel
    from strategies.stops import StopSpec

    index = pd.bdate_range("2025-01-27", periods=7)  # Jan 27-31, Feb 3-4
    bbb = [(20, 20, 20, 20), (20, 21, 19.5, 20.5), (20, 20, 18, 18.5), (19, 25, 19, 25),
           (25, 26, 25, 26), (26, 26, 26, 26), (26, 26, 26, 26)]
    frames = [pd.DataFrame({"AAA": 10.0, "BBB": [bar[k] for bar in bbb]}, index=index)
              for k in range(4)]
    panel = PricePanel(*frames, frames[0] * 0 + 1)
    config = portfolio_config()
    strategy = CoreSatellite(CoreSatellite.Params(), config, StopsConfig())
    execution = Execution(config, Caps(0.5, 0.5), ExecutionCosts(1000.0, FEES, 0.0))
    _, run = simulate_decisions(panel, strategy.target_weights(panel), StopSpec(trailing_pct=0.1),
                                execution, rebalance_on_cap=True)
    fills = run.fills[run.fills["col"] == 1]
    # bought at the first open; trailing 10% of the high 21 = 18.9 hit on Jan 29 (low 18);
    # the rally of Jan 30-31 leaves it in cash (0% held breaks no cap) until Feb 3
    assert fills["idx"].tolist() == [0, 2, 5]
    assert fills["side"].tolist() == [0, 1, 0]
    assert fills["price"].iloc[1] == pytest.approx(18.9)
