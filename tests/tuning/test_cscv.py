"""CSCV's probability of backtest over-fitting: against a naive full-matrix CSCV, on noise and
with a planted edge, and through the real sweep (its block sums) on a small grid."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from backtests.cscv import block_index, cscv, cscv_sums
from backtests.kernel_state import BLOCK_FIELDS
from backtests.tune import TuneRequest, run_tune
from backtests.tune_grid import parse_grid
from backtests.tune_sweep import Sweeper
from satellite.config import SatelliteConfig
from strategies.registry import available
from tests.tuning.conftest import FrameStore


def block_sums(returns: np.ndarray, blocks: int) -> np.ndarray:
    """Rules x blocks x BLOCK_FIELDS from a sessions x rules matrix (what the kernel keeps)."""
    of = block_index(len(returns), blocks)
    out = np.zeros((returns.shape[1], blocks, len(BLOCK_FIELDS)))
    for b in range(blocks):
        part = returns[of == b]
        out[:, b] = np.stack([part.sum(0), (part**2).sum(0), (np.minimum(part, 0) ** 2).sum(0),
                              np.prod(1 + part, axis=0)], axis=1)
    return out


def naive_score(part: np.ndarray, metric: str) -> np.ndarray:
    if metric == "total_return":
        return np.prod(1 + part, axis=0) - 1
    if metric == "sortino":
        down = np.sqrt(np.mean(np.minimum(part, 0) ** 2, axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(down > 0, part.mean(0) / down, -np.inf)
    std = part.std(0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(std > 0, part.mean(0) / std, -np.inf)


def naive_cscv(returns: np.ndarray, blocks: int, metric: str) -> tuple[float, np.ndarray]:
    """The paper's procedure on the full matrix: every split, the in-sample best's OOS rank."""
    of = block_index(len(returns), blocks)
    logits = []
    for chosen in itertools.combinations(range(blocks), blocks // 2):
        inside = np.isin(of, chosen)
        best = int(np.argmax(naive_score(returns[inside], metric)))
        rank = rankdata(naive_score(returns[~inside], metric))[best]
        w = rank / (returns.shape[1] + 1)
        logits.append(np.log(w / (1 - w)))
    found = np.array(logits)
    return float(np.mean(found <= 0)), found


def noise(seed: int, sessions: int = 800, rules: int = 40) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0005, 0.02, size=(sessions, rules))


@pytest.mark.parametrize("metric", ["sharpe", "sortino", "total_return"])
def test_cscv_equals_the_naive_full_matrix_procedure(metric: str) -> None:
    returns = noise(3, 330, 25)
    returns[:, 7] = returns[:, 3]  # a tie
    expected_pbo, expected_logits = naive_cscv(returns, 8, metric)
    found = cscv(cscv_sums(block_sums(returns, 8), metric), len(returns), metric)
    assert found.combinations == found.total_combinations == 70
    assert found.pbo == pytest.approx(expected_pbo, abs=1e-9)
    assert np.allclose(found.logits, expected_logits, atol=1e-9, rtol=0)


def test_pbo_of_pure_noise_is_near_one_half() -> None:
    pbos = [cscv(cscv_sums(block_sums(noise(seed), 16), "sharpe"), 800, "sharpe").pbo
            for seed in range(6)]
    assert 0.35 < float(np.mean(pbos)) < 0.65


def test_pbo_with_a_planted_edge_is_low() -> None:
    returns = noise(11)
    returns[:, 5] += 0.004  # one rule with a real edge (Sharpe about 3 a year)
    found = cscv(cscv_sums(block_sums(returns, 16), "sharpe"), 800, "sharpe")
    assert found.pbo < 0.05
    assert float(np.median(found.ranks)) > 0.9


def test_a_huge_grid_scores_a_seeded_sample_of_the_combinations() -> None:
    sums = cscv_sums(block_sums(noise(2, 320, 3000), 16), "sharpe")
    first = cscv(sums, 320, "sharpe")
    assert first.total_combinations == 12870 and first.combinations < 12870
    again = cscv(sums, 320, "sharpe")
    assert np.array_equal(first.logits, again.logits)


def test_the_sweeps_block_sums_give_the_naive_cscv_of_the_rules_returns(
    settings: SatelliteConfig, bundled_frames: dict[str, pd.DataFrame],
) -> None:
    """A small grid through the real sweep: CSCV from the kernel's block sums of the distinct
    rules equals the naive procedure on their full daily returns (each re-run alone)."""
    params = parse_grid(["stops.trailing_pct=0.04:0.30:0.02", "stops.fixed_pct=none,0.06,0.12"],
                        "core_satellite", settings, available())
    store = FrameStore(bundled_frames)
    result = run_tune(settings, store, TuneRequest(  # type: ignore[arg-type]
        "core_satellite", params, blocks=8, top=3))
    span = result.honesty.span
    sweeper = Sweeper(settings, store, "core_satellite", params)  # type: ignore[arg-type]
    firsts = result.stream.first_rows()
    assert len(firsts) == result.honesty.trials == result.honesty.cscv.rules
    assert 2 < len(firsts) < result.rules  # some rules share their fills
    returns = np.column_stack([sweeper.returns(int(row), span) for row in firsts])
    expected_pbo, expected_logits = naive_cscv(returns, 8, "sharpe")
    assert result.honesty.cscv.pbo == pytest.approx(expected_pbo, abs=1e-9)
    assert np.allclose(result.honesty.cscv.logits, expected_logits, atol=1e-9, rtol=0)
    for klass, row in enumerate(firsts):  # every rule of a class has its first rule's scores
        members = np.flatnonzero(result.stream.scores.klass == klass)
        assert row == members[0]
        assert np.all(result.stream.scores.in_sample[members] == result.stream.scores.in_sample[row])
