"""The digest's text and /daily, /weekly against numbers worked out by hand on the 12-session
series (tests/bot/synthetic.py): 10 SAT bought at the first open (100), the core at
50 51 52 52 50 51 51 52 53 54 55 55. Sessions: 02-03 .. 02-07, 02-10 .. 02-14, 02-18, 02-19."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from bot.digest import digest_text, is_week_end
from bot.model import RuleSettings
from bot.reports import daily_rows, period_table, weekly_rows
from bot.rules import Timeline, timeline
from tests.bot.synthetic import CLOSES, SETTINGS, day, frame, position

CORE = [50.0, 51.0, 52.0, 52.0, 50.0, 51.0, 51.0, 52.0, 53.0, 54.0, 55.0, 55.0]


def run(until: int = 11, **stop: float) -> Timeline:
    settings = RuleSettings(**{**SETTINGS.__dict__, "core": "CORE"})
    return timeline({"SAT": frame(), "CORE": frame(CORE)}, [position(**stop)], [], settings, day(until))


def test_the_digest_of_a_session_by_hand() -> None:
    text = digest_text(run(2), "CORE", frame(CORE)["Close"], day(2), [])
    assert text == "\n".join([
        # 10 x 120; the index 1.2 over 1.1 the day before; the core 52 over 51; cost 10 x 100
        "Portfolio 1,200.00 USD: +9.09% today (CORE +1.96%); +200.00 (+20.0%) on cost",
        "Positions at the close:",
        "SAT 120.00 · P&L +200.00 (+20.0%) · stop 102.00, 15.0% below",
        # the stop in force during 02-05 was 0.85 x 110 = 93.50: raise the order to 0.85 x 120
        "Stops for 2025-02-06 (1 change(s) at the broker, marked ▶):",
        "▶ SAT 102.00 trailing stop: raise your stop order from 93.50 (+8.50)",
        "No alert today.",
    ])


def test_the_digest_of_the_stop_session_and_after() -> None:
    result = run(11)
    todays = [a for a in result.alerts if a.session == day(8)]
    stopped = digest_text(result, "CORE", frame(CORE)["Close"], day(8), todays)
    assert stopped is not None
    assert "SAT sold today at 101.00 (trailing stop) · P&L +10.00 (+1.0%)" in stopped
    assert "No open position after the close: no stop order needed." in stopped
    assert stopped.endswith("Alerts today: STOP HIT SAT")
    # the session after: nothing held any more, so no digest
    assert digest_text(result, "CORE", frame(CORE)["Close"], day(9), []) is None


def test_a_week_ends_on_its_last_session() -> None:
    fridays = [False] * 4 + [True] + [False] * 4 + [True, False, False]  # 02-17 is a holiday
    assert [is_week_end(day(i)) for i in range(12)] == fridays


def test_daily_and_weekly_rows_by_hand() -> None:
    result = run(11, trailing_pct=0.5)  # a stop far away: held to the end
    core = frame(CORE)["Close"]
    daily = daily_rows(result, core, 3)
    assert [f"{row.end:%m-%d}" for row in daily] == ["02-14", "02-18", "02-19"]
    assert [row.value for row in daily] == pytest.approx([1200.0, 1250.0, 950.0])
    assert [row.change for row in daily] == pytest.approx([120 / 101 - 1, 125 / 120 - 1, 95 / 125 - 1])
    assert [row.pnl for row in daily] == pytest.approx([190.0, 50.0, -300.0])
    assert [row.core_change for row in daily] == pytest.approx([54 / 53 - 1, 55 / 54 - 1, 0.0])
    weekly = weekly_rows(result, core, 10)
    assert [f"{row.end:%m-%d}" for row in weekly] == ["02-07", "02-14", "02-19"]
    assert [row.change for row in weekly] == pytest.approx([104 / 100 - 1, 120 / 104 - 1, 95 / 120 - 1])
    assert [row.pnl for row in weekly] == pytest.approx([40.0, 160.0, -250.0])  # they add up to 950 - 1000
    assert math.isnan(weekly[0].core_change)  # no close before the first session
    assert [row.core_change for row in weekly[1:]] == pytest.approx([54 / 50 - 1, 55 / 54 - 1])
    table = period_table(weekly, "CORE", "Portfolio by week, last 3").splitlines()
    assert table[1].split() == ["date", "value", "change", "P&L", "CORE"]
    assert table[2].split() == ["2025-02-07", "1,040.00", "+4.00%", "+40.00", "-"]


def test_closes_are_the_series_of_the_module() -> None:
    assert list(frame()["Close"]) == CLOSES and len(CORE) == len(CLOSES)
    assert pd.Timestamp(day(11)) == pd.Timestamp("2025-02-19")
