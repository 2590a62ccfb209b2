"""Property tests of the fill engine: random strategies x random stop rules.

The sweep (metrics streamed, nothing kept) equals the full backtest (every fill kept, vectorbt's
statistics) to 1e-9 for every metric; the shared prefix and the quiet-bar shortcut change
nothing, bit for bit; every full run passes
the engine's invariants (simulate_run checks them). Bounded: a fixed number of examples,
derandomized.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings

from backtests.engine import simulate_run
from backtests.inputs import run_inputs
from backtests.sweep_kernel import METRICS, run_rules
from strategies.stops import rule_table
from tests.backtests.random_runs import RandomRun, random_runs
from tests.backtests.reference import full_stats

BOUNDED = settings(max_examples=40, derandomize=True, deadline=None, print_blob=True,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow])


def agree(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9 * max(1.0, abs(b))


@BOUNDED
@given(random_runs())
def test_the_sweep_equals_the_full_backtest(run: RandomRun) -> None:
    inputs = run_inputs(run.panel, run.panel.sessions[0], run.decisions, run.execution,
                        run.specs[0].atr_window, run.rebalance_on_cap)
    table = rule_table(run.specs)
    swept = run_rules(inputs.market, inputs.orders, inputs.book, table)
    replayed = run_rules(inputs.market, inputs.orders, inputs.book, table, share=False)
    stepped = run_rules(inputs.market, inputs.orders, inputs.book, table, shortcut=False)
    for other in (replayed, stepped):  # the prefix and the quiet-bar shortcut change nothing
        assert np.array_equal(swept.metrics, other.metrics, equal_nan=True)
        assert np.array_equal(swept.fingerprints, other.fingerprints)
    for spec, row in zip(run.specs, swept.metrics, strict=True):
        portfolio, kernel = simulate_run(inputs, spec)
        expected = full_stats(portfolio, kernel.trades)
        for k, name in enumerate(METRICS):
            assert agree(row[k], expected[name]), (spec, name, row[k], expected[name])
