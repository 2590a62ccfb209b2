"""Speed of stop sweeps: satellite's kernel vs vectorbt (numba, rust) vs backtesting.py, and
how a whole `satellite tune` scales with the number of rules.

    .venv/bin/python benchmarks/sweep.py [--skip-vectorbt] [--bt-rules N] [--scaling 1k,10k,100k,1M]

Part 1, comparable work (10,000 rules = trailing_pct x take_profit_pct, 100 x 100, over the
full bundled history: NVDA from 1999-12-31, 6,665 sessions; NBIS and CRWV from their
listings). Both stops exist in every engine, so every engine runs the same rules:
- satellite: core_satellite (NVDA core, NBIS/CRWV satellites with both stops, monthly
  rebalance re-buys a stopped satellite, shared cash, caps) through backtests/sweep_kernel,
  every session replayed per rule, rules side by side; once with the quiet-bar shortcut (a
  bar with no order, no stop in reach and no cap near only marks to market), once with every
  bar through the backtest's full per-bar step; then with the shared prefix (the sessions
  before a satellite lists, identical for all rules, run once), reported separately.
- vectorbt: Portfolio.from_signals(engine="numba" and engine="rust"), the rules as columns
  (chunks of 1,000), each ticker alone, bought at each month's first session, sl_stop with
  sl_trail (trailing from the high) and tp_stop, plus each column's total return. It does
  less (one ticker per column, no shared cash, no rebalancing): the ratios are conservative.
- backtesting.py: Backtest.optimize on NVDA alone, the same two stops, re-bought at month
  starts; a sample of rules, per-rule time extrapolated (labelled).
Numba compilation is excluded (a warm-up run first); times are medians of the runs.

Part 2, scaling: `satellite tune core_satellite` end to end (import, prices, strategy, sweep,
PBO, deflated Sharpe, benchmark) over the default span for 1k ... 1M rules, each in a fresh
process, three times interleaved (the median seconds, the largest max RSS). Not part of the
test run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backtests.sweep_kernel import run_rules  # noqa: E402
from backtests.tune import make_folds  # noqa: E402
from backtests.tune_grid import parse_grid  # noqa: E402
from backtests.tune_sweep import Sweeper  # noqa: E402
from market.store import PriceStore  # noqa: E402
from satellite.config import SatelliteConfig  # noqa: E402
from strategies.registry import available  # noqa: E402

TRAILING = np.round(np.arange(1, 101) * 0.005, 4)  # 0.005 .. 0.5
TAKE_PROFIT = np.round(np.arange(1, 101) * 0.05, 4)  # 0.05 .. 5.0
GRID = ["stops.trailing_pct=0.005:0.5:0.005", "stops.take_profit_pct=0.05:5.0:0.05"]
START = pd.Timestamp("1999-12-31")
SCALING = {
    "1k": ["stops.trailing_pct=0.005:0.5:0.005", "stops.fixed_pct=0.05:0.5:0.05"],
    "10k": ["stops.trailing_pct=0.005:0.5:0.005", "stops.fixed_pct=0.005:0.5:0.005"],
    "100k": ["stops.trailing_pct=0.005:0.5:0.005", "stops.fixed_pct=0.005:0.5:0.005",
             "stops.take_profit_pct=0.5:5.0:0.5"],
    "1M": ["stops.trailing_pct=0.005:0.5:0.005", "stops.fixed_pct=0.005:0.5:0.005",
           "stops.take_profit_pct=0.05:5.0:0.05"],
}


def satellite_seconds(share: bool, shortcut: bool = True) -> tuple[float, int]:
    """(seconds of the kernel for every rule, rule-sessions replayed)."""
    settings = SatelliteConfig()
    store = PriceStore(Path(tempfile.mkdtemp()))  # bundled prices only
    params = parse_grid(GRID, "core_satellite", settings, available())
    sweeper = Sweeper(settings, store, "core_satellite", params, START)
    span = make_folds(sweeper.sessions(), None, None)[0].in_sample
    jobs = list(sweeper.jobs(sweeper.groups([span]), 0, np.zeros(0, np.int64), 0))
    began = time.perf_counter()
    for job in jobs:
        run_rules(*job.spans[0], job.rules, share=share, shortcut=shortcut)
    return time.perf_counter() - began, sweeper.grid.size * span.sessions


def month_starts(index: pd.DatetimeIndex) -> np.ndarray:
    periods = index.to_period("M").asi8
    starts = np.ones(len(index), dtype=bool)
    starts[1:] = periods[1:] != periods[:-1]
    return starts


def vectorbt_seconds(frames: dict[str, pd.DataFrame], engine: str, chunk: int = 1000) -> float:
    import vectorbt as vbt

    trailing = np.repeat(TRAILING, len(TAKE_PROFIT))
    profit = np.tile(TAKE_PROFIT, len(TRAILING))
    began = time.perf_counter()
    for frame in frames.values():
        entries = month_starts(frame.index)
        for first in range(0, len(trailing), chunk):
            columns = pd.RangeIndex(first, min(first + chunk, len(trailing)))
            portfolio = vbt.Portfolio.from_signals(
                close=frame["Close"], entries=pd.Series(entries, frame.index),
                price=frame["Open"], open=frame["Open"], high=frame["High"], low=frame["Low"],
                sl_stop=pd.DataFrame([trailing[columns]], columns=columns), sl_trail=True,
                tp_stop=pd.DataFrame([profit[columns]], columns=columns),
                fees=0.001, slippage=0.0005, init_cash=100_000.0, engine=engine,
                broadcast_kwargs={"columns_from": columns},
            )
            portfolio.total_return()
    return time.perf_counter() - began


try:  # the bench extra: pip install 'satellite[bench]'
    from backtesting import Backtest, Strategy
except ImportError:
    Backtest = None
else:
    class TrailProfit(Strategy):
        """Bought at a month's first session; trailing stop from the high, take-profit."""

        trailing = 0.1
        profit = 1.0

        def init(self) -> None:
            self.months = self.data.index.to_period("M")
            self.highest = 0.0

        def next(self) -> None:
            i = len(self.data) - 1
            if not self.position and (i == 0 or self.months[i] != self.months[i - 1]):
                self.buy()
                self.highest = 0.0
                return
            for trade in self.trades:
                self.highest = max(self.highest, trade.entry_price, self.data.High[-1])
                trade.sl = self.highest * (1 - self.trailing)
                trade.tp = trade.entry_price * (1 + self.profit)


def backtesting_seconds_per_rule(frame: pd.DataFrame, rules: int) -> float:
    if Backtest is None:
        raise ImportError("backtesting")
    side = max(2, int(np.sqrt(rules)))
    bt = Backtest(frame, TrailProfit, cash=100_000_000, commission=0.001, finalize_trades=True)
    began = time.perf_counter()
    bt.optimize(trailing=list(np.linspace(0.05, 0.5, side).round(4)),
                profit=list(np.linspace(0.5, 5.0, side).round(4)), maximize="Return [%]")
    return (time.perf_counter() - began) / (side * side)


def comparable(args: argparse.Namespace) -> None:
    store = PriceStore(Path(tempfile.mkdtemp()))
    frames = store.load_frames(["NVDA", "NBIS", "CRWV"])
    rules = len(TRAILING) * len(TAKE_PROFIT)
    print(f"part 1: {rules:,} rules (trailing_pct x take_profit_pct, 100 x 100); sessions "
          f"{ {t: len(f) for t, f in frames.items()} }; {os.cpu_count()} cores")
    satellite_seconds(True)  # warm-up: numba's cached compilation
    plain, stepped, shared = [], [], []
    for _ in range(3):  # interleaved: the shared machine's load falls on all three alike
        plain.append(satellite_seconds(False))
        stepped.append(satellite_seconds(False, shortcut=False))
        shared.append(satellite_seconds(True))
    cells = plain[0][1]
    rows = {"satellite, every session replayed per rule (3 tickers, shared cash, caps)":
            statistics.median(s for s, _ in plain),
            "satellite, the same, every bar through the full step (no quiet-bar shortcut)":
            statistics.median(s for s, _ in stepped)}
    shared_s = statistics.median(s for s, _ in shared)
    for name, seconds in rows.items():
        print(f"{name}: {seconds:.2f} s, {seconds / cells * 1e9:.1f} ns per rule-session")
    print(f"satellite with the shared prefix: {shared_s:.2f} s")
    if not args.skip_vectorbt:
        for engine in ("numba", "rust"):
            vectorbt_seconds({t: f.iloc[:300] for t, f in frames.items()}, engine, 100)  # warm
            runs = [vectorbt_seconds(frames, engine) for _ in range(2)]
            rows[f"vectorbt from_signals, {engine} engine (each ticker alone, same stops)"] = (
                statistics.median(runs))
    try:
        per_rule = backtesting_seconds_per_rule(frames["NVDA"], args.bt_rules)
        rows[f"backtesting.py optimize (NVDA only; {args.bt_rules} rules timed, x {rules:,})"] = (
            per_rule * rules)
    except ImportError:
        print("backtesting.py not installed: pip install 'satellite[bench]'")
    base = rows[next(iter(rows))]
    print(f"\n| engine | s for {rules:,} rules | x satellite (replaying) |\n|---|---|---|")
    for name, seconds in rows.items():
        print(f"| {name} | {seconds:.2f} | {seconds / base:,.1f} |")
    print(f"| satellite with the shared prefix (run once for all rules) | {shared_s:.2f} | "
          f"{shared_s / base:.2f} |")


CHILD = """
import json, sys, tempfile, time
began = time.perf_counter()
from pathlib import Path
from backtests.tune import TuneRequest, run_tune
from backtests.tune_grid import parse_grid
from market.store import PriceStore
from satellite.config import SatelliteConfig
from strategies.registry import available


def peak_mib():
    # this process's peak RSS (VmHWM: getrusage's maxrss would carry the parent's over exec)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


settings = SatelliteConfig()
params = parse_grid(json.loads(sys.argv[1]), "core_satellite", settings, available())
result = run_tune(settings, PriceStore(Path(tempfile.mkdtemp())), TuneRequest("core_satellite", params))
print(json.dumps({"seconds": time.perf_counter() - began, "rules": result.rules,
                  "distinct": result.honesty.trials, "pbo": result.honesty.cscv.pbo,
                  "sessions": result.folds[0].in_sample.sessions,
                  "rss_mib": peak_mib()}))
"""


def scaling(sizes: list[str]) -> None:
    print("\npart 2: `satellite tune core_satellite` end to end, default span, fresh process each")
    subprocess.run([sys.executable, "-c", CHILD, json.dumps(SCALING["1k"])], cwd=ROOT,
                   check=True, capture_output=True)  # warm the numba cache
    runs: dict[str, list[dict[str, float]]] = {size: [] for size in sizes}
    for _ in range(3):  # interleaved: the shared machine's load falls on every size alike
        for size in sizes:
            done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(SCALING[size])],
                                  cwd=ROOT, check=True, capture_output=True, text=True)
            runs[size].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print("| rules | distinct | seconds (median of 3) | max RSS MiB | PBO |\n|---|---|---|---|---|")
    for rows in runs.values():
        row = rows[0]
        seconds = statistics.median(r["seconds"] for r in rows)
        rss = max(r["rss_mib"] for r in rows)
        print(f"| {row['rules']:,} | {row['distinct']:,} | {seconds:.2f} | {rss:.0f} | "
              f"{row['pbo']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bt-rules", type=int, default=16, help="backtesting.py sample size")
    parser.add_argument("--skip-vectorbt", action="store_true")
    parser.add_argument("--skip-comparable", action="store_true")
    parser.add_argument("--scaling", default="1k,10k,100k,1M", help="sizes, or '' for none")
    args = parser.parse_args()
    if not args.skip_comparable:
        comparable(args)
    if args.scaling:
        scaling(args.scaling.split(","))


if __name__ == "__main__":
    main()
