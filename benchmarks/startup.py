"""Start-up of the commands a new user runs first, as ratios to `python -c pass` in one run.

    .venv/bin/python benchmarks/startup.py [--runs 7]

Each command runs as a whole process (the installed `satellite` script), several times,
interleaved with `python -c pass` so that drift on a shared machine hits both; medians are
printed. "first backtest after set-up" starts from an empty cache directory, runs the set-up's
warm-up step (what `python3 dev.py ...` does once after installing), then times the first
backtest; "first backtest, no warm-up" is the same without that step (numba compiles).
Targets (issue "The first hour"): --help and data check < 0.3 s, warm backtest < 2.5 s, the
first backtest after set-up < 6 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SATELLITE = str(BIN / "satellite")
TARGETS = {"--help": 0.3, "data check": 0.3, "backtest (warm)": 2.5, "first backtest after set-up": 6.0}


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - start


def fresh_cache_env(folder: str) -> dict[str, str]:
    return {**os.environ, "SATELLITE_CACHE_DIR": folder, "NUMBA_CACHE_DIR": str(Path(folder) / "numba")}


def first_backtest(runs: int, warm_up: bool) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="satellite-bench-") as folder:
            env = fresh_cache_env(folder)
            if warm_up:
                timed([SATELLITE, "backtest", "--json"], env)  # the set-up's compile step
            times.append(timed([SATELLITE, "backtest"], env))
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    env = dict(os.environ)
    commands = {
        "--help": [SATELLITE, "--help"],
        "data check": [SATELLITE, "data", "check"],
        "backtest (warm)": [SATELLITE, "backtest"],
    }
    for command in commands.values():
        timed(command, env)  # warm the caches once
    baseline: list[float] = []
    measured: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            baseline.append(timed([sys.executable, "-c", "pass"], env))
            measured[name].append(timed(command, env))
    measured["first backtest after set-up"] = first_backtest(max(2, runs // 3), warm_up=True)
    measured["first backtest, no warm-up"] = first_backtest(max(2, runs // 3), warm_up=False)
    base = statistics.median(baseline)
    print(f"python -c pass: median {base:.3f} s over {len(baseline)} runs")
    print(f"{'command':<30} {'median s':>9} {'min s':>7} {'max s':>7} {'x pass':>8} {'target s':>9}")
    for name, times in measured.items():
        median = statistics.median(times)
        target = TARGETS.get(name)
        verdict = "" if target is None else f"{target:>6.1f} {'ok' if median < target else 'MISSED'}"
        print(f"{name:<30} {median:>9.3f} {min(times):>7.3f} {max(times):>7.3f} {median / base:>8.1f} "
              f"{verdict:>9}")


if __name__ == "__main__":
    main()
