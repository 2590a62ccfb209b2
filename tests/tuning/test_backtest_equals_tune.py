"""One rule, one number: `satellite tune` scores a rule exactly as `satellite backtest` runs it.

Random built-in strategies x random stop settings (every key of [stops]) x random starts on the
bundled data: the tune's in-sample metrics of a one-rule grid equal the backtest's statistics to
1e-9. Bounded: a fixed number of examples, derandomized; the rule with every stop off (the one
that ran through vectorbt's from_orders in backtest but the kernel in tune) is always checked.
"""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from backtests.run import run_backtest
from backtests.sweep_kernel import METRICS
from backtests.tune import make_folds
from backtests.tune_grid import overrides, parse_grid
from backtests.tune_sweep import Sweeper
from satellite.config import SatelliteConfig
from strategies.registry import available
from strategies.stops import StopSpec
from tests.backtests.random_runs import stop_specs
from tests.backtests.reference import full_stats
from tests.tuning.conftest import FrameStore, sweep_table

STRATEGIES = ["core_satellite", "event_pullback", "no_chase", "relative_strength", "swing"]
STARTS = [None, "2024-11-01", "2025-06-02"]
ALL_OFF = StopSpec(breaker_rearm_sessions=None)
GRID_KEYS = ("fixed_pct", "trailing_pct", "trail_from", "atr_mult", "atr_window", "time_sessions",
             "take_profit_pct", "breaker_drawdown", "breaker_rearm_recovery",
             "breaker_rearm_sessions")


def grid(spec: StopSpec) -> list[str]:
    values = spec.as_dict()
    return [f"stops.{key}={'none' if values[key] is None else values[key]}" for key in GRID_KEYS]


def agree(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9 * max(1.0, abs(b))


@settings(max_examples=12, derandomize=True, deadline=None, print_blob=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.sampled_from(STRATEGIES), st.integers(2, 20).flatmap(stop_specs),
       st.sampled_from(STARTS))
@example("core_satellite", ALL_OFF, None)
@example("core_satellite", StopSpec(), "2024-11-01")
def test_backtest_equals_tune(bundled_frames: dict[str, pd.DataFrame], strategy: str,
                              spec: StopSpec, start: str | None) -> None:
    settings_, store = SatelliteConfig(), FrameStore(bundled_frames)
    begin = pd.Timestamp(start) if start else None
    params = parse_grid(grid(spec), strategy, settings_, available())
    sweeper = Sweeper(settings_, store, strategy, params, begin)  # type: ignore[arg-type]
    assert sweeper.grid.size == 1
    tuned = sweep_table(sweeper, make_folds(sweeper.sessions(), None, None)[0].in_sample)[0]
    backtest = run_backtest(settings_, store, strategy, start=begin,  # type: ignore[arg-type]
                            overrides=overrides(sweeper.grid.rule(0)))
    expected = full_stats(backtest.portfolio, backtest.kernel.trades)
    for k, name in enumerate(METRICS):
        assert agree(tuned[k], expected[name]), (name, tuned[k], expected[name])
