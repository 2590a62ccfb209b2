"""Tiny hand-made panels for the stop-rule tests: a flat core NVDA and one satellite NBIS."""

from __future__ import annotations

import numpy as np
import pandas as pd

from backtests.engine import KernelRun, simulate_decisions
from backtests.inputs import Caps, Execution, ExecutionCosts
from market.panel import PricePanel
from satellite.config import PortfolioConfig
from strategies.base import Signals
from strategies.stops import REASONS, StopSpec

DEFAULT_CAPS = Caps(0.20, 0.35)
PORTFOLIO = PortfolioConfig(
    core="NVDA", satellites=["NBIS"], weights={"NVDA": 0.85, "NBIS": 0.15},
)


def panel_from_bars(
    nbis: list[tuple[float, float, float, float]],
    nvda: list[float] | None = None,
) -> PricePanel:
    """NBIS bars as (open, high, low, close); NVDA flat at 10 unless closes are given."""
    index = pd.bdate_range("2025-01-06", periods=len(nbis))
    bars = np.array(nbis, dtype=float)
    core = np.array(nvda if nvda is not None else [10.0] * len(nbis), dtype=float)
    frames = []
    for column in range(4):
        frames.append(pd.DataFrame({"NVDA": core, "NBIS": bars[:, column]}, index=index))
    volume = pd.DataFrame(1.0, index=index, columns=["NVDA", "NBIS"])
    return PricePanel(frames[0], frames[1], frames[2], frames[3], volume)


def flags(panel: PricePanel, rows: list[int], ticker: str = "NBIS") -> pd.DataFrame:
    frame = pd.DataFrame(False, index=panel.sessions, columns=panel.tickers)
    for row in rows:
        frame.iloc[row, frame.columns.get_loc(ticker)] = True
    return frame


def run(
    panel: PricePanel,
    entry_rows: list[int],
    spec: StopSpec,
    exit_rows: list[int] | None = None,
    fees: float = 0.0,
    slippage: float = 0.0,
    caps: Caps = DEFAULT_CAPS,
    **signal_fields: object,
) -> KernelRun:
    signals = Signals(
        flags(panel, entry_rows), flags(panel, exit_rows or []), hold={"NVDA": 0.85},
        **signal_fields,  # type: ignore[arg-type]
    )
    execution = Execution(PORTFOLIO, caps, ExecutionCosts(1000.0, fees, slippage))
    _, result = simulate_decisions(panel, signals, spec, execution)
    return result


def satellite_trades(result: KernelRun) -> list[tuple[int, float, int, float, str]]:
    """(entry bar, entry price, exit bar, exit price, reason) of each NBIS trade."""
    trades = result.trades[result.trades["col"] == 1]
    return [
        (int(row.entry_idx), round(float(row.entry_price), 9), int(row.exit_idx),
         round(float(row.exit_price), 9), REASONS[int(row.reason)])
        for row in trades.itertuples()
    ]
