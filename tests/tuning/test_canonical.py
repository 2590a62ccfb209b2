"""Rules the sweep runs once (canonical form) have exactly the fills of every rule they stand for."""

from __future__ import annotations

import numpy as np
import pandas as pd

from backtests.sweep_kernel import run_rules
from backtests.tune import make_folds
from backtests.tune_grid import parse_grid
from backtests.tune_sweep import Sweeper, distinct_rules
from satellite.config import SatelliteConfig
from strategies.registry import available
from strategies.stops import canonical_rules, rule_columns
from tests.tuning.conftest import FrameStore


def test_canonical_rules_have_the_same_fills_and_metrics(
    settings: SatelliteConfig, bundled_frames: dict[str, pd.DataFrame],
) -> None:
    params = parse_grid(["stops.trailing_pct=0.04:0.24:0.04", "stops.fixed_pct=none,0.04,0.12,0.3",
                         "stops.breaker_rearm_sessions=none,5"], "core_satellite", settings,
                        available())
    sweeper = Sweeper(settings, FrameStore(bundled_frames), "core_satellite", params,  # type: ignore[arg-type]
                      pd.Timestamp("2024-06-03"))
    span = make_folds(sweeper.sessions(), None, None)[0].in_sample
    (group,) = sweeper.groups([span])
    raw = rule_columns(sweeper.grid.columns(group.rows, group.base), len(group.rows))
    canon = canonical_rules(raw)
    assert (np.isnan(canon["fixed_pct"]) & ~np.isnan(raw["fixed_pct"])).sum() > 10
    assert (canon["rearm_sessions"] == -1).all()  # no breaker: its re-arm fields never act
    assert len(distinct_rules(canon)[0]) < len(raw) // 2 < len(distinct_rules(raw)[0])
    inputs = group.spans[0]
    before = run_rules(inputs.market, inputs.orders, inputs.book, raw)
    after = run_rules(inputs.market, inputs.orders, inputs.book, canon)
    assert np.array_equal(before.metrics, after.metrics, equal_nan=True)
    assert np.array_equal(before.fingerprints, after.fingerprints)
