"""Properties of the significance tests (hypothesis, bounded and derandomised)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.placebo import pseudo_means
from events.significance import bmp_test, corrado_test, cross_sectional_t, placebo_p_value, sign_test

BOUNDED = settings(max_examples=60, derandomize=True, deadline=None)
returns = st.floats(-0.5, 0.5, allow_nan=False, allow_subnormal=False)
scales = st.floats(0.01, 10.0)


@BOUNDED
@given(st.lists(st.tuples(returns, scales, scales), min_size=3, max_size=12))
def test_bmp_depends_only_on_the_standardised_cars(rows: list[tuple[float, float, float]]) -> None:
    cars = np.array([car for car, _, _ in rows])
    sds = np.array([sd for _, sd, _ in rows])
    factors = np.array([factor for _, _, factor in rows])
    base, scaled = bmp_test(cars, sds), bmp_test(cars * factors, sds * factors)
    if base.statistic is None or scaled.statistic is None:
        return
    assert scaled.statistic == pytest.approx(base.statistic, rel=1e-6, abs=1e-6)
    assert base.p_value is not None and 0 <= base.p_value <= 1


@BOUNDED
@given(st.lists(returns, min_size=3, max_size=12), scales)
def test_bmp_with_equal_sds_is_the_plain_t(cars: list[float], sd: float) -> None:
    plain = cross_sectional_t(np.array(cars))
    standardised = bmp_test(np.array(cars), np.full(len(cars), sd))
    if plain.statistic is None:
        return
    assert standardised.statistic == pytest.approx(plain.statistic, rel=1e-6)
    assert standardised.p_value == pytest.approx(plain.p_value, rel=1e-6, abs=1e-12)


@BOUNDED
@given(st.integers(3, 8), st.integers(5, 40), st.integers(0, 2**32 - 1))
def test_corrado_only_sees_ranks(events: int, days: int, seed: int) -> None:
    grid = np.random.default_rng(seed).normal(0, 0.02, (events, days))
    window = np.zeros(days, dtype=bool)
    window[-2:] = True
    base = corrado_test(grid, window)
    transformed = corrado_test(np.exp(grid * 40) - 3.0, window)  # strictly increasing
    assert transformed.statistic == pytest.approx(base.statistic)
    assert base.p_value is None or 0 <= base.p_value <= 1


@BOUNDED
@given(st.lists(returns, min_size=3, max_size=15), st.floats(0.05, 0.95))
def test_sign_statistic_follows_the_count_of_positive_cars(cars: list[float], share: float) -> None:
    residuals = [np.where(np.arange(100) < share * 100, 1.0, -1.0)] * len(cars)
    result = sign_test(np.array(cars), residuals)
    expected = float(np.mean([(r > 0).mean() for r in residuals]))
    positive = sum(car > 0 for car in cars)
    assert result.statistic is not None and result.p_value is not None
    assert np.sign(result.statistic) == np.sign(positive - len(cars) * expected)
    assert 0 <= result.p_value <= 1


@BOUNDED
@given(st.lists(returns, min_size=1, max_size=200), returns, returns)
def test_placebo_p_is_a_share_and_falls_as_the_mean_grows(pseudo: list[float], a: float, b: float) -> None:
    means = np.array(pseudo)
    small, large = sorted((abs(a), abs(b)))
    p_small, p_large = placebo_p_value(small, means), placebo_p_value(large, means)
    assert 1 / (len(means) + 1) <= p_large <= p_small <= 1


@BOUNDED
@given(st.lists(returns, min_size=1, max_size=30, unique=True), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_pseudo_samples_are_means_of_distinct_sessions(pool: list[float], count: int, seed: int) -> None:
    values = np.array(pool)
    means = pseudo_means({"X": values}, ["X"] * count, 200, np.random.default_rng(seed))
    if count > len(values):
        assert means is None
        return
    assert means is not None and len(means) == 200
    top, bottom = np.sort(values)[::-1][:count].mean(), np.sort(values)[:count].mean()
    assert (means <= top + 1e-12).all() and (means >= bottom - 1e-12).all()
