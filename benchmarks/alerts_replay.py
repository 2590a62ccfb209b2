"""A year of `alerts replay` beside a backtest of the same year, in one run (issue 13).

    .venv/bin/python benchmarks/alerts_replay.py [--runs 7]

Positions in NVDA, NBIS and CRWV bought 2025-07-02 with a 60% trailing stop, so all three stay
open the whole year and every session is evaluated; the replay (rules, one pass, and a fresh
SQLite ledger of a year's sessions) runs in-process against the core_satellite backtest of
2025-07-02..2026-07-02 (shipped config, warm numba cache). Also the rules' pass alone (no
ledger), and the replay of a quarter, to show the cost grows with the span, not its square.
Medians of --runs, interleaved so drift on a shared machine hits all of them.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from backtests.run import run_backtest
from bot.alerting import build_inputs, replay, run_timeline
from market.calendar import sessions_between
from satellite_cli.context import AppContext

ROOT = Path(__file__).resolve().parents[1]
START, END = pd.Timestamp("2025-07-02"), pd.Timestamp("2026-07-02")
POSITIONS = "".join(f'\n[[positions]]\nticker = "{t}"\nshares = 100\nentry_date = 2025-07-02\n'
                    f"stop = {{ trailing_pct = 0.6 }}\n" for t in ("NVDA", "NBIS", "CRWV"))


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="satellite-bench-") as folder:
        config = Path(folder) / "config.toml"
        config.write_text((ROOT / "config.toml").read_text() + POSITIONS)
        context = AppContext(config_option=config, data_dir_option=Path(folder) / "data")
        settings = context.config.settings
        inputs = build_inputs(context)
        quarter = pd.Timestamp("2025-10-02")
        work: dict[str, Callable[[], object]] = {
            "backtest, a year": lambda: run_backtest(settings, context.store, "core_satellite", START, END),
            "alerts replay, a year": lambda: replay(context, START, END),
            "alerts replay, a quarter": lambda: replay(context, START, quarter),
            "rules' pass alone, a year": lambda: run_timeline(inputs, END),
        }
        for job in work.values():  # warm-up: imports, numba cache, calendars
            job()
        times: dict[str, list[float]] = {name: [] for name in work}
        for _ in range(runs):
            for name, job in work.items():
                times[name].append(timed(job))
    base = statistics.median(times["backtest, a year"])
    sessions = len(sessions_between(START, END))
    print(f"{'':28} {'median s':>9} {'x backtest':>10}   ({runs} runs, {sessions} sessions a year)")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:28} {median:9.3f} {median / base:10.2f}")


if __name__ == "__main__":
    main()
