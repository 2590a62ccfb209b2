"""The sweep kernel against full backtests (fill kernel + vectorbt stats) to 1e-9."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pandas as pd
import pytest

from backtests.run import run_backtest
from backtests.sweep_kernel import METRICS
from backtests.tune import TuneRequest, make_folds, run_tune
from backtests.tune_grid import overrides, parse_grid
from backtests.tune_sweep import Sweeper
from satellite.config import SatelliteConfig
from strategies.registry import available
from tests.backtests.reference import full_stats
from tests.tuning.conftest import FrameStore, sweep_table

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
    sweeper = Sweeper(settings, store, strategy, params, begin)  # type: ignore[arg-type]
    table = sweep_table(sweeper, make_folds(sweeper.sessions(), None, None)[0].in_sample)
    for row in random.Random(6).sample(range(sweeper.grid.size), 4):
        standalone = run_backtest(settings, store, strategy, start=begin,  # type: ignore[arg-type]
                                  overrides=overrides(sweeper.grid.rule(row)))
        expected = full_stats(standalone.portfolio, standalone.kernel.trades)
        for k, name in enumerate(METRICS):
            assert close(table[row, k], expected[name]), (sweeper.grid.rule(row), name)


def test_best_in_sample_rule_rerun_gives_its_score(
    settings: SatelliteConfig, bundled_frames: dict[str, pd.DataFrame], tmp_path: Path,
) -> None:
    store = FrameStore(bundled_frames)
    params = parse_grid(["stops.trailing_pct=0.05:0.30:0.01", "stops.fixed_pct=0.05:0.20:0.05"],
                        "core_satellite", settings, available())
    split = pd.Timestamp("2026-01-01")
    saved = tmp_path / "all.csv"
    result = run_tune(settings, store, TuneRequest(  # type: ignore[arg-type]
        "core_satellite", params, metric="sortino", split=split, min_trades=5, csv=saved))
    best = result.honesty.top[0]
    fold = result.folds[0]
    again = run_backtest(settings, store, "core_satellite", end=fold.in_sample.end,  # type: ignore[arg-type]
                         overrides=overrides(best.params))
    assert close(best.in_sample["sortino"], full_stats(again.portfolio, again.kernel.trades)["sortino"])
    later = run_backtest(settings, store, "core_satellite", start=fold.out_of_sample.start,  # type: ignore[arg-type,union-attr]
                         overrides=overrides(best.params))
    assert best.out_of_sample is not None
    assert close(best.out_of_sample["sortino"], full_stats(later.portfolio, later.kernel.trades)["sortino"])
    table = pd.read_csv(saved)
    assert len(table) == result.rules == 26 * 4 and sorted(table["row"]) == list(range(104))
    first = table.loc[table["row"] == best.row].iloc[0]
    assert close(first["is_sortino"], best.in_sample["sortino"])
    assert close(first["oos_sortino"], best.out_of_sample["sortino"])
    same = table[table["same_as"] == first["same_as"]]
    assert len(same) == best.equivalent.rules
    assert (same["is_sortino"] == first["is_sortino"]).all()
