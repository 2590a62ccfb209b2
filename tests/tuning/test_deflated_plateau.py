"""The deflated Sharpe ratio by hand and against vectorbt; the plateau score by hand."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kurtosis, skew

from backtests.deflated import deflated_sharpe, expected_max_sharpe, moments
from backtests.plateau import neighbours, plateau

RETURNS = np.array([0.01, -0.02, 0.015, 0.003, -0.004, 0.02, 0.001, -0.006])


def test_deflated_sharpe_by_hand() -> None:
    r = RETURNS
    n = len(r)
    mean = sum(r) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in r) / (n - 1))
    sr = mean / sd
    m2 = sum((x - mean) ** 2 for x in r) / n
    g3 = sum((x - mean) ** 3 for x in r) / n / m2**1.5
    g4 = sum((x - mean) ** 4 for x in r) / n / m2**2
    trials, var_annual = 50, 0.8
    z, e, gamma = NormalDist(), math.e, 0.5772156649015329
    sr0 = math.sqrt(var_annual / 252) * ((1 - gamma) * z.inv_cdf(1 - 1 / trials)
                                         + gamma * z.inv_cdf(1 - 1 / (trials * e)))
    expected = z.cdf((sr - sr0) * math.sqrt(n - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2))
    found = deflated_sharpe(r, trials, var_annual)
    assert found.probability == pytest.approx(expected, abs=1e-12)
    assert found.sharpe == pytest.approx(sr * math.sqrt(252), rel=1e-12)
    assert found.expected_max == pytest.approx(sr0 * math.sqrt(252), rel=1e-12)
    assert (found.skew, found.kurtosis) == pytest.approx((g3, g4), rel=1e-12)
    assert moments(r) == pytest.approx((skew(r), kurtosis(r, fisher=False)), rel=1e-12)


def test_one_trial_is_the_probabilistic_sharpe_ratio_and_more_trials_deflate() -> None:
    assert expected_max_sharpe(0.5, 1) == 0.0
    probabilities = [deflated_sharpe(RETURNS + 0.004, n, 1.0).probability for n in (1, 10, 1000)]
    assert probabilities == sorted(probabilities, reverse=True)
    assert deflated_sharpe(np.zeros(10), 5, 1.0).probability != deflated_sharpe(
        np.zeros(10), 5, 1.0).probability  # undefined (NaN): no variance


def test_deflated_sharpe_equals_vectorbts() -> None:
    vbt = pytest.importorskip("vectorbt")
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.normal(0.001, 0.02, size=(300, 12)),
                         index=pd.date_range("2024-01-01", periods=300, freq="D"))
    accessor = frame.vbt.returns(freq="1D", year_freq="252 days")
    sharpes = accessor.sharpe_ratio().to_numpy()
    theirs = accessor.deflated_sharpe_ratio().to_numpy()
    variance = float(np.var(sharpes, ddof=1))
    ours = [deflated_sharpe(frame[c].to_numpy(), 12, variance).probability for c in frame]
    assert np.allclose(ours, theirs, atol=1e-12, rtol=0)
    from vectorbt.returns.metrics import deflated_sharpe_ratio  # the function underneath

    assert deflated_sharpe_ratio(est_sharpe=np.array([0.1]), var_sharpe=0.002, nb_trials=40,
                                 backtest_horizon=300, skew=np.array([0.0]),
                                 kurtosis=np.array([3.0]))[0] == pytest.approx(
        NormalDist().cdf((0.1 - expected_max_sharpe(0.002, 40)) * math.sqrt(299)
                         / math.sqrt(1 + 0.5 * 0.01)), abs=1e-12)
    assert vbt is not None


def test_neighbours_on_a_grid() -> None:
    assert sorted(neighbours(0, (3, 3)).tolist()) == [1, 3, 4]
    assert sorted(neighbours(4, (3, 3)).tolist()) == [0, 1, 2, 3, 5, 6, 7, 8]
    assert sorted(neighbours(2, (5,)).tolist()) == [1, 3]


def test_plateau_by_hand() -> None:
    scores = np.array([1.0, 1.0, 1.0,
                       1.0, 3.0, 1.2,
                       0.8, np.nan, 1.1])
    spike = plateau(4, scores, (3, 3), False, grid_median=1.0)
    assert spike.median == pytest.approx(1.0) and spike.neighbours == 7 and spike.spike
    flat = np.array([2.2, 2.1, 2.3, 2.2, 2.3, 2.0, 2.2, 2.1, 2.25])
    broad = plateau(4, flat, (3, 3), False, grid_median=2.0)
    assert broad.median == pytest.approx(2.2) and broad.neighbours == 8 and not broad.spike
    assert not plateau(4, flat, (3, 3), False, grid_median=1.0).spike
    drawdowns = np.array([0.3, 0.3, 0.3, 0.3, 0.05, 0.3, 0.3, 0.3, 0.3])  # minimised
    assert plateau(4, drawdowns, (3, 3), True, grid_median=0.3).spike
