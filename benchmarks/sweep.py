"""Speed of a 10,000-rule stop sweep: satellite's kernel vs vectorbt (numba) vs backtesting.py.

    .venv/bin/python benchmarks/sweep.py [--skip-vectorbt] [--bt-rules N]

Grid: trailing_pct x fixed_pct, 100 x 100 values (0.005 to 0.5), over the full bundled history
(NVDA from 1999-12-31: 6,665 sessions; NBIS and CRWV from their listings).
- satellite: core_satellite (NVDA core, NBIS/CRWV satellites with both stops, monthly
  rebalance re-buys a stopped satellite) through backtests/sweep_kernel, all 10,000 rules, with
  and without the shared prefix (the sessions before a satellite lists, identical for all rules).
- vectorbt: Portfolio.from_signals(engine="numba") with the rules as columns (chunks of 1,000),
  each ticker on its own, bought at each month's first session; vectorbt has one stop per
  column, so it runs only the trailing half of each rule (less work: the ratio is conservative),
  plus total_return of each column.
- backtesting.py: Backtest.optimize on NVDA alone (same rules: a stop at max(entry x (1 - fixed),
  highest high x (1 - trailing)), re-bought at month starts); a sample of rules, per-rule time
  extrapolated to 1,000 (labelled).
Numba compilation is excluded (a warm-up run first). Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backtests.sweep_kernel import run_rules
from backtests.tune import Sweeper, TuneRequest, make_folds
from backtests.tune_grid import parse_grid
from market.store import PriceStore
from satellite.config import SatelliteConfig
from strategies.registry import available

GRID = ["stops.trailing_pct=0.005:0.5:0.005", "stops.fixed_pct=0.005:0.5:0.005"]
START = pd.Timestamp("1999-12-31")


def satellite_seconds(settings: SatelliteConfig, store: PriceStore, share: bool) -> float:
    params = parse_grid(GRID, "core_satellite", settings, available())
    request = TuneRequest("core_satellite", params, start=START)
    sweeper = Sweeper(settings, store, request)
    span = make_folds(sweeper.sessions(), None, None)[0].in_sample
    began = time.perf_counter()
    for _, task in sweeper.tasks(span):
        run_rules(*task, share=share)
    return time.perf_counter() - began


def month_starts(index: pd.DatetimeIndex) -> np.ndarray:
    periods = index.to_period("M").asi8
    starts = np.ones(len(index), dtype=bool)
    starts[1:] = periods[1:] != periods[:-1]
    return starts


def vectorbt_seconds(frames: dict[str, pd.DataFrame], trailing: np.ndarray, chunk: int = 1000) -> float:
    import vectorbt as vbt

    began = time.perf_counter()
    for frame in frames.values():
        entries = month_starts(frame.index)
        for first in range(0, len(trailing), chunk):
            stops = trailing[first : first + chunk]
            columns = pd.Index(stops, name="sl_stop")
            portfolio = vbt.Portfolio.from_signals(
                close=frame["Close"], entries=pd.Series(entries, frame.index),
                price=frame["Open"], open=frame["Open"], high=frame["High"], low=frame["Low"],
                sl_stop=pd.DataFrame([stops], columns=columns), sl_trail=True,
                fees=0.001, slippage=0.0005, init_cash=100_000.0, engine="numba",
                broadcast_kwargs={"columns_from": columns},
            )
            portfolio.total_return()
    return time.perf_counter() - began


try:  # the bench extra: pip install 'satellite[bench]'
    from backtesting import Backtest, Strategy
except ImportError:
    Backtest = None
else:
    class TrailFixed(Strategy):
        """Bought at a month's first session; stop at max(fixed, trailing from the high)."""

        trailing = 0.1
        fixed = 0.1

        def init(self) -> None:
            self.months = self.data.index.to_period("M")
            self.highest = 0.0

        def next(self) -> None:
            i = len(self.data) - 1
            new_month = i == 0 or self.months[i] != self.months[i - 1]
            if not self.position and new_month:
                self.buy()
                self.highest = 0.0
                return
            for trade in self.trades:
                self.highest = max(self.highest, trade.entry_price, self.data.High[-1])
                trade.sl = max(trade.entry_price * (1 - self.fixed), self.highest * (1 - self.trailing))


def backtesting_seconds_per_rule(frame: pd.DataFrame, rules: int) -> tuple[float, int]:
    if Backtest is None:
        raise ImportError("backtesting")
    side = int(np.sqrt(rules))
    values = list(np.round(np.linspace(0.05, 0.5, side), 4))
    bt = Backtest(frame, TrailFixed, cash=100_000_000, commission=0.001, finalize_trades=True)
    began = time.perf_counter()
    bt.optimize(trailing=values, fixed=values, maximize="Return [%]")
    return (time.perf_counter() - began) / (side * side), side * side


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bt-rules", type=int, default=16, help="backtesting.py sample size")
    parser.add_argument("--skip-vectorbt", action="store_true")
    args = parser.parse_args()
    settings = SatelliteConfig()
    store = PriceStore(Path(tempfile.mkdtemp()))  # bundled prices only
    frames = store.load_frames(["NVDA", "NBIS", "CRWV"])
    rules = 100 * 100
    sessions = {t: len(f) for t, f in frames.items()}
    print(f"grid: {rules:,} rules (trailing_pct x fixed_pct); sessions {sessions}; "
          f"{os.cpu_count()} cores")
    satellite_seconds(settings, store, True)  # warm-up: numba's cached compilation
    shared = min(satellite_seconds(settings, store, True) for _ in range(3))
    plain = min(satellite_seconds(settings, store, False) for _ in range(2))
    per_k = {"satellite (shared prefix)": shared / rules * 1000,
             "satellite (every session per rule)": plain / rules * 1000}
    print(f"satellite: {shared:.2f} s for {rules:,} rules over all three tickers "
          f"({plain:.2f} s without the shared prefix)")
    if not args.skip_vectorbt:
        trailing = np.round(np.repeat(np.arange(1, 101) * 0.005, 100), 4)
        vectorbt_seconds({t: f.iloc[:300] for t, f in frames.items()}, trailing[:100], 100)
        seconds = vectorbt_seconds(frames, trailing)
        per_k["vectorbt from_signals, numba (3 tickers, trailing only)"] = seconds / rules * 1000
        print(f"vectorbt: {seconds:.1f} s for {rules:,} columns per ticker")
    try:
        per_rule, sample = backtesting_seconds_per_rule(frames["NVDA"], args.bt_rules)
        label = f"backtesting.py optimize (NVDA only; {sample} rules timed, extrapolated)"
        per_k[label] = per_rule * 1000
        print(f"backtesting.py: {per_rule * 1000:.0f} ms per rule on NVDA")
    except ImportError:
        print("backtesting.py not installed: pip install 'satellite[bench]'")
    print()
    print(f"{'engine':<72} {'s / 1,000 rules':>16} {'x satellite':>12}")
    base = per_k["satellite (shared prefix)"]
    for name, value in per_k.items():
        print(f"{name:<72} {value:>16.4f} {value / base:>12,.0f}")
    print("\nsatellite without the shared prefix vs the others: " + ", ".join(
        f"{name.split(' ')[0]} {value / per_k['satellite (every session per rule)']:,.0f}x"
        for name, value in per_k.items() if not name.startswith("satellite")))


if __name__ == "__main__":
    main()
