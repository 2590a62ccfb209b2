"""Every metric on series small enough to compute by hand (backtests/metrics*.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numba import njit

from backtests.kernel_state import STATS
from backtests.metrics import (
    accumulate_nb,
    add_trade_nb,
    finalize_nb,
    reset_nb,
    return_metrics,
    value_returns,
)
from backtests.metrics_returns import (
    drawdowns,
    monthly_grid,
    monthly_returns,
    relative_metrics,
    risk_metrics,
)
from backtests.metrics_trades import exposure, trade_metrics
from strategies.stops import END_OF_DATA, SIGNAL, STOP_TRAILING

RETURNS = np.array([0.10, -0.20, 0.05, 0.10])  # cumulated: 1.1, 0.88, 0.924, 1.0164


def test_the_sweeps_seven_by_hand() -> None:
    m = return_metrics(RETURNS, np.array([100.0, -50.0, 30.0, -10.0]))
    assert m.total_return == pytest.approx(0.0164)
    assert m.cagr == pytest.approx(1.0164 ** (252 / 4) - 1)
    assert m.max_drawdown == pytest.approx(0.2)  # from the 1.1 peak to 0.88
    std = math.sqrt((0.0875**2 + 0.2125**2 + 0.0375**2 + 0.0875**2) / 3)  # mean 0.0125
    assert m.sharpe == pytest.approx(0.0125 / std * math.sqrt(252))
    assert m.sortino == pytest.approx(0.0125 * 252 / (math.sqrt(0.04 / 4) * math.sqrt(252)))
    assert m.calmar == pytest.approx(m.cagr / 0.2)
    assert m.profit_factor == pytest.approx(130 / 60)


def test_undefined_metrics_are_nan() -> None:
    up = return_metrics(np.array([0.01, 0.02]), np.array([5.0]))
    assert math.isnan(up.sortino) and math.isnan(up.calmar) and math.isnan(up.profit_factor)
    single = return_metrics(np.array([0.01]))
    assert math.isnan(single.sharpe) and single.total_return == pytest.approx(0.01)
    assert math.isnan(return_metrics(np.array([0.01, 0.01])).sharpe)  # std 0


def test_returns_of_a_value_curve_start_from_the_cash() -> None:
    assert value_returns(np.array([110.0, 99.0]), 100.0) == pytest.approx([0.1, -0.1])


@njit(cache=False)
def _in_a_kernel_record(returns: np.ndarray, pnls: np.ndarray, stats: np.ndarray) -> tuple:
    record = stats[0]
    reset_nb(record)
    for r in returns:
        accumulate_nb(record, r)
    for pnl in pnls:
        add_trade_nb(record, pnl)
    return finalize_nb(record)


def test_a_kernel_can_accumulate_into_its_own_record() -> None:
    """The sweep calls the same functions on the STATS record of its state (a larger record
    with SUMS' fields)."""
    pnls = np.array([100.0, -50.0])
    inside = _in_a_kernel_record(RETURNS, pnls, np.zeros(1, STATS))
    assert tuple(inside) == pytest.approx(tuple(return_metrics(RETURNS, pnls)))


def _series(values: list[float], start: str = "2025-01-30") -> pd.Series:
    return pd.Series(values, pd.bdate_range(start, periods=len(values)))


def test_drawdowns_by_hand() -> None:
    value = np.array([110.0, 99.0, 105.0, 111.0, 90.0, 95.0])
    returns = _series(list(value_returns(value, 100.0)), "2025-03-03")
    found = drawdowns(returns)
    assert [(d.start.day, d.trough.day, d.recovery, d.length) for d in found] == [
        (6, 7, None, 2), (3, 4, pd.Timestamp("2025-03-06"), 3)]
    assert [d.depth for d in found] == pytest.approx([1 - 90 / 111, 1 - 99 / 110])
    assert found[0].as_json()["recovery"] is None
    assert len(drawdowns(_series([-0.05, 0.1] * 8))) == 5  # seven recovered falls: the worst five


def test_monthly_returns_and_the_year_by_hand() -> None:
    returns = _series(list(RETURNS))  # Jan 30, Jan 31, Feb 3, Feb 4
    monthly = monthly_returns(returns)
    assert monthly == pytest.approx({"2025-01": 1.1 * 0.8 - 1, "2025-02": 1.05 * 1.1 - 1})
    row = monthly_grid(monthly)["2025"]
    assert row[0] == pytest.approx(-0.12) and row[2] is None
    assert row[12] == pytest.approx(0.0164)


def test_risk_and_benchmark_metrics_by_hand() -> None:
    # dyadic numbers, exact in binary: r - b is exactly 0.125 every session
    r, b = np.array([0.25, -0.125, 0.375]), np.array([0.125, -0.25, 0.25])
    risk = risk_metrics(r)
    assert risk.volatility == pytest.approx(np.std(r, ddof=1) * math.sqrt(252))
    assert (risk.best_day, risk.worst_day) == (0.375, -0.125)
    rel = relative_metrics(r, b)
    assert rel.beta == pytest.approx(1.0)  # r = b + 0.125 every session
    assert rel.alpha == pytest.approx(1.125**252 - 1)
    assert rel.tracking_error == 0.0
    assert math.isnan(rel.information_ratio)  # no tracking error
    assert rel.up_capture == pytest.approx(((1.25 * 1.375) ** 126 - 1) / ((1.125 * 1.25) ** 126 - 1))
    assert rel.down_capture == pytest.approx((0.875**252 - 1) / (0.75**252 - 1))
    noisy = relative_metrics(np.array([0.02, -0.01, 0.05]), np.array([0.01, -0.02, 0.02]))
    active = np.array([0.01, 0.01, 0.03])
    assert noisy.information_ratio == pytest.approx(
        active.mean() * 252 / (np.std(active, ddof=1) * math.sqrt(252)))
    assert noisy.beta == pytest.approx(np.cov([0.02, -0.01, 0.05], [0.01, -0.02, 0.02],
                                              bias=True)[0, 1] / np.var([0.01, -0.02, 0.02]))


TRADES = pd.DataFrame({
    "col": [1, 2, 0], "entry_idx": [0, 2, 0], "entry_price": [10.0, 20.0, 50.0],
    "exit_idx": [3, 4, 9], "exit_price": [11.9, 18.2, 52.1], "shares": [10.0, 5.0, 2.0],
    "fees": [1.0, 1.0, 0.2], "pnl": [18.0, -10.0, 4.0],
    "reason": [SIGNAL, STOP_TRAILING, END_OF_DATA], "stop_level": [np.nan] * 3,
})


def test_trade_metrics_by_hand() -> None:
    m = trade_metrics(TRADES)
    assert m.trades == 2  # the open one is not a closed trade
    assert m.win_rate == pytest.approx(2 / 3)
    assert m.avg_win == pytest.approx((0.18 + 0.04) / 2)  # pnl over shares x entry price
    assert m.avg_loss == pytest.approx(-0.1)
    assert m.expectancy == pytest.approx((0.18 - 0.1 + 0.04) / 3)
    assert m.profit_factor == pytest.approx(22 / 10)
    assert m.avg_holding_sessions == pytest.approx((3 + 2 + 9) / 3)


def test_exposure_counts_sessions_with_a_satellite_held() -> None:
    assert exposure(TRADES, 10, [1, 2]) == pytest.approx(0.5)  # sessions 0..4 of 10
    assert exposure(TRADES, 10, []) == 0.0
    no_trades = trade_metrics(TRADES.iloc[:0])
    assert no_trades.trades == 0 and math.isnan(no_trades.win_rate)
