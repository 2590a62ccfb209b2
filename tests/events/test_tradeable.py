"""Tradeable CAR: from the first open the investor could act on, not from the previous close."""

from __future__ import annotations

import numpy as np
import pytest

from events.align import align_event
from events.study import AbnormalReturns, StudySettings
from events.study_report import StudyRow, run_study
from events.tradeable import FIRST_OPEN_DAY, tradeable_car, tradeable_windows
from tests.events.helpers import event
from tests.events.synthetic import SESSIONS, Shocks, pair

DAY0 = SESSIONS[300]
SETTINGS = StudySettings()


def study_one(shocks: Shocks, timing: str = "pre_market") -> StudyRow:
    frames = pair(shocks)
    news = event(DAY0.date(), timing, ("STOCK",))
    (row,) = run_study([align_event(news, "STOCK", frames["STOCK"])], frames, SETTINGS, "BENCH").rows
    assert row.result.model == "market" and row.result.beta == pytest.approx(1.5, abs=1e-3)
    return row


def test_a_move_only_in_the_overnight_gap_is_not_tradeable() -> None:
    row = study_one(Shocks(gap={DAY0: 0.20}))
    assert row.cars[(0, 0)] == pytest.approx(0.20, abs=0.01)
    assert row.cars[(0, 5)] == pytest.approx(0.20, abs=0.01)
    for last in (0, 1, 5, 20):
        assert row.tradeable[(0, last)] == pytest.approx(0.0, abs=1e-3)


def test_a_move_after_the_open_is_all_tradeable() -> None:
    row = study_one(Shocks(intraday={DAY0: 0.10}))
    assert row.cars[(0, 1)] == pytest.approx(0.10, abs=0.005)
    assert row.tradeable[(0, 1)] == pytest.approx(0.10, abs=0.005)


def test_intraday_news_is_tradeable_from_the_next_open() -> None:
    day1 = SESSIONS[301]
    row = study_one(Shocks(intraday={DAY0: 0.10, day1: 0.05}), timing="intraday")
    assert row.tradeable[(0, 0)] is None  # no open after the news before day 0's close
    assert row.cars[(0, 1)] == pytest.approx(0.155, abs=0.01)
    assert row.tradeable[(0, 1)] == pytest.approx(0.05, abs=0.002)
    assert FIRST_OPEN_DAY["unknown"] == 1 and FIRST_OPEN_DAY["after_close"] == 0


def test_tradeable_car_kernel_by_hand() -> None:
    # market model alpha 0.001, beta 2; window -1:2; the first open is day 0
    settings = StudySettings(window=(-1, 2))
    ar = np.array([0.0, 0.30, 0.02, -0.01])  # close-to-close ARs of days -1..2
    result = AbnormalReturns("market", False, 120, 0.001, 2.0, 0.02, ar)
    stock_intraday = np.array([0.0, 0.05, 0.0, 0.0])  # open-to-close of day 0: +5%
    bench_intraday = np.array([0.0, 0.01, 0.0, 0.0])  # benchmark +1% from the open
    # day 0 from the open: 0.05 - 0.001 - 2 * 0.01 = 0.029; then + 0.02 (day 1) - 0.01 (day 2)
    assert tradeable_car(result, stock_intraday, bench_intraday, 0, 0, settings) == pytest.approx(0.029)
    assert tradeable_car(result, stock_intraday, bench_intraday, 0, 2, settings) == pytest.approx(0.039)
    # from the open of day 1: day 1's open-to-close (0 - 0.001 - 0) then day 2's -0.01
    assert tradeable_car(result, stock_intraday, bench_intraday, 1, 2, settings) == pytest.approx(-0.011)
    assert tradeable_car(result, stock_intraday, bench_intraday, 1, 0, settings) is None
    gap = stock_intraday.copy()
    gap[1] = np.nan
    assert tradeable_car(result, gap, bench_intraday, 0, 2, settings) is None


def test_tradeable_windows_end_where_the_sub_windows_end() -> None:
    assert tradeable_windows(StudySettings()) == [(0, 0), (0, 1), (0, 5), (0, 20)]
    assert tradeable_windows(StudySettings(window=(-2, 3))) == [(0, 0), (0, 1), (0, 3)]
