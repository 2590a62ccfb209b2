"""Hand-computed fills for every stop rule on 5-10 bar series (RELIABILITY 20).

Conventions: an entry decided at the close of bar 0 fills at the open of bar 1; costs are zero
unless a test says otherwise; NBIS bars are (open, high, low, close).
"""

from __future__ import annotations

import pytest

from backtests.engine import KernelRun
from strategies.stops import CAP, StopSpec
from tests.backtests.stop_panels import panel_from_bars, run, satellite_trades

# a rise to 110 then a slide: the trailing cases
SLIDE = [
    (100, 101, 99, 100), (100, 105, 99, 104), (104, 110, 103, 108), (108, 109, 100, 104),
    (103, 104, 97, 98), (95, 96, 89, 90), (90, 92, 85, 91), (91, 92, 90, 91),
]


def test_signal_at_close_fills_at_next_open() -> None:
    result = run(panel_from_bars(SLIDE), [0], StopSpec())
    assert satellite_trades(result) == [(1, 100.0, 7, 91.0, "end_of_data")]


def test_exit_signal_fills_at_next_open() -> None:
    result = run(panel_from_bars(SLIDE), [0], StopSpec(), exit_rows=[2])
    assert satellite_trades(result) == [(1, 100.0, 3, 108.0, "signal")]


def test_fixed_stop_fills_at_its_level() -> None:
    bars = [(100, 100, 100, 100), (100, 102, 97, 101), (101, 103, 96, 98), (98, 99, 94, 95),
            (95, 96, 94, 95)]
    result = run(panel_from_bars(bars), [0], StopSpec(fixed_pct=0.05))
    assert satellite_trades(result) == [(1, 100.0, 3, 95.0, "stop_fixed")]
    assert result.stop_levels["NBIS"].iloc[1:4].tolist() == [95.0, 95.0, 95.0]


def test_fixed_stop_gap_through_fills_at_the_open() -> None:
    bars = [(100, 100, 100, 100), (100, 102, 97, 101), (101, 103, 96, 98), (93, 94, 90, 92),
            (92, 93, 91, 92)]
    result = run(panel_from_bars(bars), [0], StopSpec(fixed_pct=0.05))
    assert satellite_trades(result) == [(1, 100.0, 3, 93.0, "stop_fixed")]


def test_trailing_stop_from_the_highest_high() -> None:
    # levels: bar1 100x0.9=90, bar2 105x0.9=94.5, bar3 110x0.9=99, bar4 99: low 97 -> 99
    result = run(panel_from_bars(SLIDE), [0], StopSpec(trailing_pct=0.10))
    assert satellite_trades(result) == [(1, 100.0, 4, 99.0, "stop_trailing")]
    assert result.stop_levels["NBIS"].iloc[1:5].tolist() == pytest.approx([90, 94.5, 99, 99])


def test_trailing_stop_from_the_highest_close() -> None:
    # closes 104, 108 -> level 108 x 0.9 = 97.2 on bar 4 (low 97)
    result = run(panel_from_bars(SLIDE), [0], StopSpec(trailing_pct=0.10, trail_from="close"))
    assert satellite_trades(result) == [(1, 100.0, 4, 97.2, "stop_trailing")]


def test_trailing_stop_gap_through_fills_at_the_open() -> None:
    bars = [*SLIDE[:4], (96, 97, 95, 96), (96, 96, 96, 96)]  # level 99, opens at 96
    result = run(panel_from_bars(bars), [0], StopSpec(trailing_pct=0.10))
    assert satellite_trades(result) == [(1, 100.0, 4, 96.0, "stop_trailing")]


def test_atr_stop_trails_the_high_by_k_atr() -> None:
    # close k = 100 + k, high = close + 1, low = close - 1, open = previous close: TR = 2,
    # ATR(2) = 2 from bar 2; bar 4 level = highest high 104 - 2 x 2 = 100; low 99 -> 100
    bars = [(99 + k, 101 + k, 99 + k, 100 + k) for k in range(4)]
    bars[0] = (100, 101, 99, 100)
    bars.append((103, 103.5, 99, 99.5))
    bars.append((99.5, 100, 99, 99.5))
    result = run(panel_from_bars(bars), [0], StopSpec(atr_mult=2.0, atr_window=2))
    assert satellite_trades(result) == [(1, 100.0, 4, 100.0, "stop_atr")]
    assert result.stop_levels["NBIS"].iloc[2:5].tolist() == pytest.approx([98, 99, 100])


def test_atr_stop_gap_through() -> None:
    bars = [(99 + k, 101 + k, 99 + k, 100 + k) for k in range(4)]
    bars[0] = (100, 101, 99, 100)
    bars.append((97, 98, 96, 97))
    result = run(panel_from_bars(bars), [0], StopSpec(atr_mult=2.0, atr_window=2))
    assert satellite_trades(result) == [(1, 100.0, 4, 97.0, "stop_atr")]


def test_time_stop_sells_at_the_open_after_n_sessions() -> None:
    result = run(panel_from_bars(SLIDE), [0], StopSpec(time_sessions=3))
    assert satellite_trades(result) == [(1, 100.0, 4, 103.0, "time")]


def test_take_profit_fills_at_its_level() -> None:
    result = run(panel_from_bars(SLIDE), [0], StopSpec(take_profit_pct=0.05))
    assert satellite_trades(result) == [(1, 100.0, 1, 105.0, "take_profit")]


def test_take_profit_gap_through_fills_at_the_open() -> None:
    bars = [(100, 100, 100, 100), (100, 101, 99, 101), (107, 108, 106, 107), (107, 107, 107, 107)]
    result = run(panel_from_bars(bars), [0], StopSpec(take_profit_pct=0.05))
    assert satellite_trades(result) == [(1, 100.0, 2, 107.0, "take_profit")]


def test_stop_comes_before_take_profit_in_one_bar() -> None:
    bars = [(100, 100, 100, 100), (100, 106, 94, 100), (100, 100, 100, 100)]
    result = run(panel_from_bars(bars), [0], StopSpec(fixed_pct=0.05, take_profit_pct=0.05))
    assert satellite_trades(result) == [(1, 100.0, 1, 95.0, "stop_fixed")]


def test_the_highest_level_names_the_exit() -> None:
    # fixed 2% = 98 guards bars 1-2; from bar 3 trailing 10% of 110 = 99 is higher
    result = run(panel_from_bars(SLIDE), [0], StopSpec(fixed_pct=0.02, trailing_pct=0.10))
    assert satellite_trades(result) == [(1, 100.0, 4, 99.0, "stop_trailing")]
    # fixed 0.5% = 99.5 is above everything: the bar-1 low of 99 hits it
    result = run(panel_from_bars(SLIDE), [0], StopSpec(fixed_pct=0.005, trailing_pct=0.10))
    assert satellite_trades(result) == [(1, 100.0, 1, 99.5, "stop_fixed")]


def test_breaker_cuts_satellites_and_rearms_after_n_sessions() -> None:
    flat = [(100, 100, 100, 100)] * 8
    nvda = [10, 10, 8, 8, 8, 8, 8, 8]
    spec = StopSpec(breaker_drawdown=0.10, breaker_rearm_sessions=2)
    result = run(panel_from_bars(flat, nvda), list(range(8)), spec)
    # value at close 2 = 85 x 8 + 150 = 830: 17% below the peak -> sold at the open of 3;
    # re-armed at the close of 4 (two sessions later), bought again at the open of 5
    trades = satellite_trades(result)
    assert trades[0] == (1, 100.0, 3, 100.0, "breaker")
    assert trades[1][:2] == (5, 100.0)
    assert result.open_weights["NBIS"].iloc[5] == pytest.approx(0.15)


def test_breaker_rearms_after_recovery() -> None:
    flat = [(100, 100, 100, 100)] * 8
    nvda = [10, 10, 8, 8, 10, 10, 10, 10]
    spec = StopSpec(breaker_drawdown=0.10, breaker_rearm_recovery=0.05, breaker_rearm_sessions=50)
    result = run(panel_from_bars(flat, nvda), list(range(8)), spec)
    trades = satellite_trades(result)
    assert trades[0][2:] == (3, 100.0, "breaker")
    assert trades[1][0] == 5  # recovered at the close of 4, bought at the open of 5


def test_limit_entry_fills_at_the_limit_or_a_lower_open() -> None:
    bars = [(100, 100, 100, 100), (100, 101, 96, 97), (98, 99, 94, 96), (96, 96, 96, 96)]
    panel = panel_from_bars(bars)
    limits = panel.close * float("nan")
    limits.loc[:, "NBIS"] = 95.0
    result = run(panel, [0, 1, 2], StopSpec(), limits=limits)
    assert satellite_trades(result) == [(2, 95.0, 3, 96.0, "end_of_data")]
    gap = panel_from_bars([(100, 100, 100, 100), (93, 94, 92, 93), (93, 93, 93, 93)])
    limits = gap.close * float("nan")
    limits.loc[:, "NBIS"] = 95.0
    assert satellite_trades(run(gap, [0], StopSpec(), limits=limits))[0][:2] == (1, 93.0)


def test_a_stopped_group_is_not_retried() -> None:
    bars = [(100, 100, 100, 100), (100, 100, 94, 95), (96, 97, 95, 96), (96, 97, 95, 96)]
    panel = panel_from_bars(bars)
    groups = (panel.close * 0).astype(int)
    result = run(panel, [0, 1, 2], StopSpec(fixed_pct=0.05), groups=groups)
    assert satellite_trades(result) == [(1, 100.0, 1, 95.0, "stop_fixed")]
    retried = run(panel, [0, 1, 2], StopSpec(fixed_pct=0.05))
    assert len(satellite_trades(retried)) == 2  # without a group it buys again at bar 2


def test_costs_slippage_and_fees_once_per_fill() -> None:
    result = run(panel_from_bars(SLIDE), [0], StopSpec(fixed_pct=0.05), fees=0.001, slippage=0.01)
    fills = result.fills[result.fills["col"] == 1]
    buy, sell = fills.iloc[0], fills.iloc[1]
    assert buy["price"] == pytest.approx(101.0)  # open 100 + 1%
    assert sell["price"] == pytest.approx(95.0 * 0.99)  # stop 95 - 1% (bar 5 opens at 95)
    assert buy["fees"] == pytest.approx(buy["size"] * 101.0 * 0.001)
    # the core's costs left less than 15% in cash: the buy is cut to the cash, never below 0
    assert result.cash.iloc[1] == pytest.approx(0.0, abs=1e-9)
    assert (result.cash >= -1e-9).all()


def cap_fills(result: KernelRun) -> list[tuple[int, float]]:
    """(bar, shares sold) of each cap trim."""
    fills = result.fills[result.fills["reason"] == CAP]
    return [(int(row.idx), round(float(row.size), 9)) for row in fills.itertuples()]


def test_a_cap_breach_at_a_close_trims_at_the_next_open() -> None:
    # NBIS: 1.5 shares bought at 100 (15% of 1000), NVDA 85 at 10. Close 1 at 200: 300 of
    # 1150 = 26% > 20%. Trimmed at the open of 2 (180), to 20% of the value at that open:
    # 0.2 x (850 + 1.5 x 180) / 180 = 1.24444 shares kept, 0.25556 sold.
    bars = [(100, 100, 100, 100), (100, 200, 100, 200), (180, 180, 180, 180),
            (180, 180, 180, 180)]
    result = run(panel_from_bars(bars), [0], StopSpec())
    assert cap_fills(result) == [(2, round(1.5 - 0.2 * 1120 / 180, 9))]
    assert result.open_weights["NBIS"].iloc[2] == pytest.approx(0.20, rel=1e-12)


def test_a_breach_only_at_the_open_is_not_traded_on_that_open() -> None:
    # close 1 at 100 (15%); bar 2 gaps to 200 at the open: 26% there, but the order had to be
    # placed before that open. Close 2 at 200 shows the breach: trimmed at the open of 3.
    bars = [(100, 100, 100, 100), (100, 100, 100, 100), (200, 200, 200, 200),
            (200, 200, 200, 200)]
    result = run(panel_from_bars(bars), [0], StopSpec())
    assert result.open_weights["NBIS"].iloc[2] == pytest.approx(300 / 1150)
    assert cap_fills(result) == [(3, round(1.5 - 0.2 * 1150 / 200, 9))]
    costly = run(panel_from_bars(bars), [0], StopSpec(), fees=0.001, slippage=0.001)
    # with costs the trim is solved so that the weight after them is exactly the cap
    assert [bar for bar, _ in cap_fills(costly)] == [3]
    assert costly.open_weights["NBIS"].iloc[3] == pytest.approx(0.20, rel=1e-12)
