"""numba re-compiles a cached kernel only when its own file changes; ours inline functions from
other files, so the cache folder changes with any kernel source (satellite.paths). And numba
compiles a kernel once per argument type, so every caller hands it the same types."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtests.inputs import Execution, history_panel, prepare_run
from backtests.kernel import simulate, span_nb
from backtests.kernel_state import Orders
from backtests.sweep_kernel import rules_nb, run_rules
from satellite.config import SatelliteConfig
from satellite.paths import numba_cache_dir
from satellite_cli.context import AppContext
from strategies.registry import available, build_strategy
from strategies.stops import StopSpec, rule_table


def test_a_change_to_any_kernel_source_starts_a_fresh_cache(tmp_path: Path) -> None:
    for package in ("backtests", "strategies"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "kernel_fills.py").write_text("x = 1\n")
    first = numba_cache_dir(tmp_path)
    assert numba_cache_dir(tmp_path) == first
    inlined = tmp_path / "backtests" / "kernel_fills.py"
    inlined.write_text("x = 2\n")
    stamp = inlined.stat()
    os.utime(inlined, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000))
    assert numba_cache_dir(tmp_path) != first
    assert numba_cache_dir(tmp_path).parent == first.parent


def read_only(inputs: Orders) -> Orders:
    def frozen(array: np.ndarray) -> np.ndarray:
        copy = array.copy()
        copy.flags.writeable = False
        return copy

    return Orders(*(frozen(array) for array in inputs))


def test_every_route_into_the_kernels_compiles_them_once() -> None:
    """Read-only arrays (pandas' copy-on-write views) are another numba type: unless the entry
    points hand the kernels one array type, each caller's mix compiles the engine again."""
    settings = SatelliteConfig()
    rules = rule_table([StopSpec(), StopSpec(trailing_pct=0.1)])
    for name in sorted(available()):
        strategy = build_strategy(name, settings)
        history = history_panel(AppContext().store.load_frames(strategy.portfolio.tickers), None)
        run = prepare_run(strategy, history, [], pd.Timestamp("2026-01-02"),
                          Execution.from_portfolio(strategy.portfolio))
        for orders in (run.orders, read_only(run.orders)):
            simulate(run.market, orders, run.book, strategy.stop_spec.rule())
            run_rules(run.market, orders, run.book, rules)
    assert len(span_nb.signatures) == 1
    assert len(rules_nb.signatures) == 1


@pytest.mark.parametrize("numba_first", [False, True])
def test_library_use_caches_kernels_in_the_user_cache(tmp_path: Path, numba_first: bool) -> None:
    """A notebook importing the core packages (numba imported before them or not) compiles into
    the user cache, like the CLI: never beside the sources, never into a second cache."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["SATELLITE_CACHE_DIR"] = str(tmp_path)
    code = ("import numba\n" if numba_first else "") + (
        "import backtests.kernel, numba\nprint(numba.core.config.CACHE_DIR)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(tmp_path / "numba" / numba_cache_dir().name)
