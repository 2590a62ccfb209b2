"""The significance tests against numbers worked out by hand (and naive re-implementations)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from events.significance import (
    bmp_test,
    corrado_test,
    cross_sectional_t,
    placebo_p_value,
    sign_test,
)
from events.study import StudySettings, abnormal_returns, car_sd, ols, simple_returns
from tests.events.test_study import BENCH_R, HAND, STOCK_R, prices


def student_p_two_df(t_stat: float) -> float:
    """Two-sided p of Student t with 2 degrees of freedom: closed form 1 - |t| / sqrt(2 + t^2)."""
    return 1 - abs(t_stat) / math.sqrt(2 + t_stat**2)


def normal_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def test_cross_sectional_t_by_hand() -> None:
    # mean 0.2, sd 0.1, n 3: t = 0.2 / (0.1 / sqrt 3) = 2 sqrt 3
    result = cross_sectional_t(np.array([0.1, 0.2, 0.3]))
    assert result.statistic == pytest.approx(2 * math.sqrt(3))
    assert result.p_value == pytest.approx(student_p_two_df(2 * math.sqrt(3)))  # 0.0742
    assert result.p_value == pytest.approx(0.07418, abs=1e-5)
    assert result.n == 3


def test_below_three_events_no_statistic() -> None:
    for values in ([], [0.05], [0.1, -0.2]):
        result = cross_sectional_t(np.array(values))
        assert result.statistic is None and result.p_value is None and result.n == len(values)
    assert bmp_test(np.array([0.1, 0.2]), np.array([0.1, 0.1])).p_value is None
    assert sign_test(np.array([0.1, 0.2]), [np.ones(3), -np.ones(3)]).p_value is None
    assert corrado_test(np.zeros((2, 5)), np.ones(5, dtype=bool)).p_value is None


def test_bmp_by_hand() -> None:
    # SCAR = CAR / sd = [2, 2, 3]: mean 7/3, sd sqrt(1/3), t = (7/3) / (sqrt(1/3) / sqrt 3) = 7
    result = bmp_test(np.array([0.02, 0.04, 0.09]), np.array([0.01, 0.02, 0.03]))
    assert result.statistic == pytest.approx(7.0)
    assert result.p_value == pytest.approx(student_p_two_df(7.0))  # 1 - 7 / sqrt 51 = 0.0198
    assert result.p_value == pytest.approx(0.019804, abs=1e-6)


def test_bmp_is_not_the_plain_t_when_variances_differ() -> None:
    cars = np.array([0.30, 0.01, 0.02])
    plain = cross_sectional_t(cars)
    standardised = bmp_test(cars, np.array([0.30, 0.01, 0.02]))  # each SCAR is 1: sd 0
    assert plain.statistic is not None and standardised.statistic is None


def test_corrado_rank_test_by_hand() -> None:
    # 3 events, 4 estimation days then day 0 (the window); event 3 misses its first day.
    grid = np.array([
        [0.01, -0.02, 0.03, 0.00, 0.05],
        [0.02, 0.01, -0.01, 0.03, 0.04],
        [np.nan, 0.01, 0.02, -0.01, -0.05],
    ])
    # U = rank / (T_i + 1) - 1/2, ranks within each row by hand:
    third, sixth, tenth = Fraction(1, 3), Fraction(1, 6), Fraction(1, 10)
    scores = [
        [0, -third, sixth, -sixth, third],  # ranks 3 1 4 2 5 of 5
        [0, -sixth, -third, sixth, third],  # ranks 3 2 1 4 5 of 5
        [None, tenth, 3 * tenth, -tenth, -3 * tenth],  # ranks - 3 4 2 1 of 4
    ]
    day_means, counts = [], []
    for day in range(5):
        known = [row[day] for row in scores if row[day] is not None]
        day_means.append(sum(known, Fraction(0)) / len(known))
        counts.append(len(known))
    spread = math.sqrt(sum(Fraction(c, 3) * m**2 for c, m in zip(counts, day_means, strict=True)) / 5)
    expected = float(day_means[4]) / spread  # sqrt(L) = 1
    assert expected == pytest.approx(1.4444, abs=1e-4)
    result = corrado_test(grid, np.array([False] * 4 + [True]))
    assert result.statistic == pytest.approx(expected)
    assert result.p_value == pytest.approx(normal_p(expected))
    assert result.n == 3


def test_corrado_is_a_rank_test() -> None:
    rng = np.random.default_rng(3)
    grid = rng.normal(0, 0.02, (6, 40))
    window = np.zeros(40, dtype=bool)
    window[-3:] = True
    base = corrado_test(grid, window)
    monotone = corrado_test(np.sign(grid) * np.abs(grid) ** 3 + 5.0, window)
    assert monotone.statistic == pytest.approx(base.statistic)


def test_generalised_sign_test_by_hand() -> None:
    # estimation shares of positive ARs 1/2, 1/2, 1/4, 3/4 -> p = 1/2; 3 of 4 CARs positive
    residuals = [np.array(row, dtype=float) for row in
                 ([1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, -1], [1, 1, 1, -1])]
    result = sign_test(np.array([0.1, 0.2, -0.1, 0.3]), residuals)
    assert result.statistic == pytest.approx(1.0)  # (3 - 4 * 1/2) / sqrt(4 * 1/4)
    assert result.p_value == pytest.approx(10 / 16)  # P(X >= 3) + P(X <= 1), X ~ B(4, 1/2)


def naive_binomial_p(successes: int, n: int, p: float) -> float:
    """Two-sided exact binomial p: the outcomes no more likely than the observed one."""
    pmf = [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]
    return min(1.0, sum(value for value in pmf if value <= pmf[successes] * (1 + 1e-7)))


def test_generalised_sign_test_against_a_naive_binomial() -> None:
    residuals = [np.array([1.0, -1.0, -1.0, np.nan, -1.0])] * 5  # p = 1/4, NaN ignored
    cars = np.array([0.1, 0.2, 0.3, 0.05, -0.1])
    result = sign_test(cars, residuals)
    assert result.statistic == pytest.approx((4 - 5 / 4) / math.sqrt(5 * 0.25 * 0.75))
    assert result.p_value == pytest.approx(naive_binomial_p(4, 5, 0.25))


def test_placebo_p_value_by_hand() -> None:
    # |-0.06| and |0.05| are as extreme as 0.05: (1 + 2) / (1 + 4)
    assert placebo_p_value(0.05, np.array([0.01, -0.06, 0.05, 0.02])) == pytest.approx(0.6)
    assert placebo_p_value(-0.5, np.zeros(999)) == pytest.approx(1 / 1000)


def test_car_sd_with_the_forecast_error_correction_by_hand() -> None:
    # HAND (test_study): M = 4 estimation sessions, bench mean 0.005, Sxx 0.0013;
    # event-window bench returns 0.02 and -0.01 (deviations 0.015 and -0.015)
    stock, bench = simple_returns(prices(STOCK_R)), simple_returns(prices(BENCH_R))
    result = abnormal_returns(stock, bench, position=6, settings=HAND)
    _, _, sigma = ols(np.array(STOCK_R[:4]), np.array(BENCH_R[:4]))
    assert result.sigma == pytest.approx(sigma)
    assert car_sd(result, HAND, 0, 0) == pytest.approx(sigma * math.sqrt(1 + 1 / 4 + 0.015**2 / 0.0013))
    assert car_sd(result, HAND, 0, 1) == pytest.approx(sigma * math.sqrt(2 + 4 / 4 + 0.0))
    assert result.residuals == pytest.approx(
        np.array(STOCK_R[:4]) - result.alpha - result.beta * np.array(BENCH_R[:4]))


def test_car_sd_constant_mean_and_fallbacks() -> None:
    returns = np.r_[np.nan, np.tile([0.01, 0.03], 100)]
    settings = StudySettings(window=(0, 2))
    result = abnormal_returns(returns, None, 150, settings)
    sd = float(np.std([0.01, 0.03] * 60, ddof=1))
    assert car_sd(result, settings, 0, 2) == pytest.approx(sd * math.sqrt(3 + 9 / 120))
    short = abnormal_returns(returns, None, 20, settings)
    assert short.model == "raw" and car_sd(short, settings, 0, 2) is None
