"""The event-study kernels against hand-computed numbers on synthetic series."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from events.study import (
    StudySettings,
    abnormal_returns,
    aggregate,
    car,
    car_path,
    ols,
    simple_returns,
    study_event,
)


def prices(returns: list[float], start: float = 100.0) -> np.ndarray:
    """Closes whose simple returns are exactly `returns` (the first close has none)."""
    return start * np.cumprod([1.0, *(1.0 + np.array(returns))])


# Hand example (estimation 4, gap 1, window 0:1):
#   estimation r_m = [0.01, -0.02, 0.03, 0.00], r = [0.03, -0.03, 0.05, 0.01]
#   means 0.005 and 0.015; Sxy = 0.0021, Sxx = 0.0013 -> beta = 21/13, alpha = 0.09/13
#   day 0: r = 0.10, r_m = 0.02  -> AR = 0.10 - 0.09/13 - 0.42/13 = 0.79/13
#   day 1: r = 0.00, r_m = -0.01 -> AR = -0.09/13 + 0.21/13 = 0.12/13;  CAR[0,1] = 0.91/13 = 0.07
HAND = StudySettings(window=(0, 1), estimation=4, gap=1, min_estimation=3)
BENCH_R = [0.01, -0.02, 0.03, 0.00, 0.05, 0.02, -0.01]  # index 5 is the gap day
STOCK_R = [0.03, -0.03, 0.05, 0.01, -0.04, 0.10, 0.00]


def test_ols_by_hand() -> None:
    alpha, beta, sigma = ols(np.array(STOCK_R[:4]), np.array(BENCH_R[:4]))
    assert beta == pytest.approx(21 / 13)
    assert alpha == pytest.approx(0.09 / 13)
    residuals = np.array(STOCK_R[:4]) - 0.09 / 13 - 21 / 13 * np.array(BENCH_R[:4])
    assert sigma == pytest.approx(math.sqrt((residuals**2).sum() / 2))


def test_market_model_ar_and_car_by_hand() -> None:
    stock, bench = simple_returns(prices(STOCK_R)), simple_returns(prices(BENCH_R))
    assert math.isnan(stock[0]) and stock[1:] == pytest.approx(STOCK_R)
    result = abnormal_returns(stock, bench, position=6, settings=HAND)
    assert result.model == "market" and not result.flagged
    assert result.estimation_sessions == 4
    assert result.ar == pytest.approx([0.79 / 13, 0.12 / 13])
    assert car(result.ar, HAND, 0, 1) == pytest.approx(0.07)
    assert car(result.ar, HAND, 0, 0) == pytest.approx(0.79 / 13)
    assert car(result.ar, HAND, -5, 1) is None  # outside the window


def test_study_event_on_frames_matches_the_arrays() -> None:
    sessions = pd.bdate_range("2025-01-01", periods=8)
    close = pd.Series(prices(STOCK_R), index=sessions)
    bench = pd.Series(prices(BENCH_R), index=sessions)
    result = study_event(close, bench, sessions[6], HAND)
    assert result.ar == pytest.approx([0.79 / 13, 0.12 / 13])


def test_known_alpha_and_beta_are_recovered_and_shocks_are_the_ar() -> None:
    rng = np.random.default_rng(7)
    bench = rng.normal(0.001, 0.02, 400)
    alpha, beta = 0.0005, 1.8
    stock = alpha + beta * bench
    day0 = 300
    shocks = {-1: 0.01, 0: 0.20, 1: -0.05, 5: 0.03}
    for day, shock in shocks.items():
        stock[day0 + day] += shock
    settings = StudySettings()
    result = abnormal_returns(np.r_[np.nan, stock[1:]], np.r_[np.nan, bench[1:]], day0, settings)
    assert result.model == "market" and not result.flagged
    assert result.estimation_sessions == 120
    assert result.alpha == pytest.approx(alpha) and result.beta == pytest.approx(beta)
    expected = np.zeros(26)
    for day, shock in shocks.items():
        expected[day + 5] = shock
    assert result.ar == pytest.approx(expected, abs=1e-12)
    assert car(result.ar, settings, 0, 1) == pytest.approx(0.15)
    assert car(result.ar, settings, 0, 5) == pytest.approx(0.18)
    assert car(result.ar, settings, -5, 20) == pytest.approx(0.19)
    assert car_path(result.ar)[-1] == pytest.approx(0.19)


def test_estimation_window_ends_gap_sessions_before_the_event_window() -> None:
    bench = np.r_[np.nan, np.full(199, 0.01)]
    bench[1::2] = -0.01
    stock = 2.0 * bench
    day0 = 150
    # a shock inside the gap (day -6) must not leak into the fit; one just before it (day -11) must
    stock_gap = stock.copy()
    stock_gap[day0 - 6] += 0.5
    result = abnormal_returns(stock_gap, bench, day0, StudySettings())
    assert result.beta == pytest.approx(2.0)
    stock_in = stock.copy()
    stock_in[day0 - 11] += 0.5
    assert abnormal_returns(stock_in, bench, day0, StudySettings()).beta != pytest.approx(2.0)


def test_short_history_is_flagged_and_falls_back_to_benchmark_adjusted() -> None:
    bench = np.r_[np.nan, np.linspace(-0.02, 0.02, 59)]
    stock = 0.001 + 1.5 * bench
    settings = StudySettings()
    # day 0 at 50: estimation returns 1..39 (39 sessions, >= 30): market model, flagged
    result = abnormal_returns(stock, bench, 50, settings)
    assert result.model == "market" and result.flagged and result.estimation_sessions == 39
    # day 0 at 30 of 40 returns: estimation 1..19 (19 sessions < 30): AR = r - r_bench
    result = abnormal_returns(stock[:40], bench[:40], 30, settings)
    assert result.model == "benchmark_adjusted" and result.flagged
    assert result.ar[5] == pytest.approx(stock[30] - bench[30])
    # the window runs past the data: missing days are NaN and the CAR over them unknown
    assert math.isnan(result.ar[-1])
    assert car(result.ar, settings, 0, 5) is not None
    assert car(result.ar, settings, -5, 20) is None


def test_constant_mean_without_benchmark() -> None:
    returns = np.r_[np.nan, np.tile([0.01, 0.03], 100)]  # mean 0.02
    returns[150] = 0.12
    result = abnormal_returns(returns, None, 150, StudySettings(window=(0, 0)))
    assert result.model == "constant_mean" and result.beta is None
    assert result.alpha == pytest.approx(0.02)
    assert result.ar == pytest.approx([0.10])
    raw = abnormal_returns(returns, None, 20, StudySettings(window=(0, 0)))
    assert raw.model == "raw" and raw.flagged and raw.ar == pytest.approx([returns[20]])


def test_cross_sectional_t_stat_by_hand() -> None:
    result = aggregate([0.1, 0.2, 0.3, None])
    assert result.n == 3
    assert result.mean == pytest.approx(0.2)
    assert result.t_stat == pytest.approx(0.2 / (0.1 / math.sqrt(3)))
    assert aggregate([0.05]) == (0.05, None, 1)
    assert aggregate([]) == (None, None, 0)


def test_settings_validation_and_sub_windows() -> None:
    with pytest.raises(ValueError, match="must contain day 0"):
        StudySettings(window=(1, 5))
    assert StudySettings().sub_windows() == [(0, 0), (0, 1), (0, 5), (-5, 20)]
    assert StudySettings(window=(-2, 3)).sub_windows() == [(0, 0), (0, 1), (-2, 3)]
