"""The sweep kernel against full backtests (fill kernel + vectorbt stats) to 1e-9."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pandas as pd
import pytest

from backtests.run import run_backtest
from backtests.sweep_kernel import METRICS
from backtests.tune import TuneRequest, full_stats, run_tune
from backtests.tune_grid import overrides, parse_grid
from satellite.config import SatelliteConfig
from strategies.registry import available
from tests.tuning.conftest import FrameStore

GRIDS = {
    "core_satellite": ["stops.trailing_pct=0.05:0.40:0.05", "stops.fixed_pct=none,0.1,0.2",
                       "stops.take_profit_pct=none,0.5", "stops.breaker_drawdown=none,0.12"],
    "relative_strength": ["stops.atr_mult=none,2,3.5", "stops.trail_from=high,close",
                          "stops.time_sessions=none,25", "stops.trailing_pct=0.1,0.25"],
}


def close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9 * max(1.0, abs(b))


@pytest.mark.parametrize(("strategy", "start"), [
    ("core_satellite", None), ("relative_strength", "2024-06-03")])
def test_random_rules_equal_standalone_backtests(
    strategy: str, start: str | None, settings: SatelliteConfig,
    bundled_frames: dict[str, pd.DataFrame],
) -> None:
    store = FrameStore(bundled_frames)
    params = parse_grid(GRIDS[strategy], strategy, settings, available())
    begin = pd.Timestamp(start) if start else None
    result = run_tune(settings, store, TuneRequest(strategy, params, start=begin))  # type: ignore[arg-type]
    picks = random.Random(6).sample(range(len(result.rules)), 4)
    for rule in picks:
        standalone = run_backtest(settings, store, strategy, start=begin,  # type: ignore[arg-type]
                                  overrides=overrides(result.rules[rule]))
        expected = full_stats(standalone.portfolio, standalone.kernel.trades)
        for k, name in enumerate(METRICS):
            assert close(result.in_sample[rule, k], expected[name]), (result.rules[rule], name)


def test_best_in_sample_rule_rerun_gives_its_score(
    settings: SatelliteConfig, bundled_frames: dict[str, pd.DataFrame], tmp_path: Path,
) -> None:
    store = FrameStore(bundled_frames)
    params = parse_grid(["stops.trailing_pct=0.05:0.30:0.01", "stops.fixed_pct=0.05:0.20:0.05"],
                        "core_satellite", settings, available())
    split = pd.Timestamp("2026-01-01")
    result = run_tune(settings, store, TuneRequest(  # type: ignore[arg-type]
        "core_satellite", params, metric="sortino", split=split, min_trades=5),
        results_dir=tmp_path)
    best = int(result.order[0])
    fold = result.folds[0]
    again = run_backtest(settings, store, "core_satellite", end=fold.in_sample.end,  # type: ignore[arg-type]
                         overrides=overrides(result.rules[best]))
    assert close(result.score("in_sample", best), full_stats(again.portfolio, again.kernel.trades)["sortino"])
    later = run_backtest(settings, store, "core_satellite", start=fold.out_of_sample.start,  # type: ignore[arg-type,union-attr]
                         overrides=overrides(result.rules[best]))
    expected = full_stats(later.portfolio, later.kernel.trades)["sortino"]
    assert close(result.score("out_of_sample", best), expected)
    assert result.csv_path is not None
    saved = pd.read_csv(result.csv_path)
    assert len(saved) == len(result.rules) and saved["rank"].min() == 1
