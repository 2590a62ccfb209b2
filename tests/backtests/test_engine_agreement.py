"""The kernel against vectorbt: its own OHLC stops (rust engine) and its accounting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import vectorbt as vbt

from backtests.engine import simulate_decisions
from backtests.inputs import Caps, Execution, ExecutionCosts
from strategies.base import Signals
from strategies.stops import StopSpec
from tests.backtests.stop_panels import PORTFOLIO, flags, panel_from_bars, run, satellite_trades

# bar 1 (the entry bar) is quiet: vectorbt neither checks stops on it nor trails its high
BARS = [
    (100, 100, 100, 100), (100, 100, 99.5, 100), (101, 106, 100, 105), (105, 112, 104, 110),
    (110, 111, 103, 104), (104, 105, 97, 99), (98, 99, 90, 91), (91, 92, 88, 90),
]


@pytest.mark.parametrize(
    ("spec", "sl_stop", "sl_trail", "tp_stop"),
    [
        (StopSpec(fixed_pct=0.04), 0.04, False, np.nan),
        (StopSpec(trailing_pct=0.08), 0.08, True, np.nan),
        (StopSpec(take_profit_pct=0.09), np.nan, False, 0.09),
        (StopSpec(trailing_pct=0.12, take_profit_pct=0.3), 0.12, True, 0.3),
    ],
)
def test_stops_agree_with_vectorbt_from_signals(
    spec: StopSpec, sl_stop: float, sl_trail: bool, tp_stop: float
) -> None:
    panel = panel_from_bars(BARS)
    ours = satellite_trades(run(panel, [0], spec))[0]
    entries = pd.Series(False, index=panel.sessions)
    entries.iloc[1] = True
    theirs = vbt.Portfolio.from_signals(
        close=panel.close["NBIS"], entries=entries, price=panel.open["NBIS"],
        open=panel.open["NBIS"], high=panel.high["NBIS"], low=panel.low["NBIS"],
        sl_stop=sl_stop, sl_trail=sl_trail, tp_stop=tp_stop,
        stop_entry_price="fillprice", init_cash=1000.0, engine="rust",
    )
    assert theirs.engine == "rust"
    trade = theirs.trades.records_readable.iloc[0]
    if ours[4] == "end_of_data":
        assert trade["Status"] == "Open"
        return
    assert (ours[2], ours[3]) == (panel.sessions.get_loc(trade["Exit Timestamp"]),
                                  pytest.approx(trade["Avg Exit Price"]))


def test_vectorbt_accounting_matches_the_kernel() -> None:
    panel = panel_from_bars(BARS, nvda=[10, 10.5, 10.2, 11, 10.8, 10, 9.5, 9.9])
    spec = StopSpec(trailing_pct=0.08)
    signals = Signals(flags(panel, [0, 5]), flags(panel, []), hold={"NVDA": 0.85})
    execution = Execution(PORTFOLIO, Caps(0.2, 0.35), ExecutionCosts(1000.0, 0.001, 0.0005))
    portfolio, result = simulate_decisions(panel, signals, spec, execution)
    assert np.allclose(portfolio.value().to_numpy(), result.value.to_numpy(), atol=1e-9)
    assert np.allclose(portfolio.cash().to_numpy(), result.cash.to_numpy(), atol=1e-9)
    assert portfolio.orders.fees.sum() == pytest.approx(result.fills["fees"].sum())
    assert len(portfolio.orders.records) == len(result.fills)
