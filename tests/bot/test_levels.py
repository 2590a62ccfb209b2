"""`alerts levels`: tomorrow's stop levels, by hand on the synthetic series and on the bundled data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bot.alerting import AlertInputs
from bot.levels import levels_after
from satellite.errors import UserInputError
from tests.bot.conftest import POSITIONS
from tests.bot.synthetic import SETTINGS, day, frame, position
from tests.conftest import Invoke


def test_each_rule_the_highest_and_the_change_by_hand() -> None:
    # after session 2 (closes 100, 110, 120): trailing 0.85 x 120 = 102; fixed 0.95 x 100 = 95;
    # ATR(2) from sessions 1-2 = (10.55 + 10.6) / 2 -> 120 - 2 x 10.575 = 98.85. In force
    # during session 2 was the ATR stop 110 - 2 x (1.0 + 10.55) / 2 = 98.45 (trailing 93.5)
    spec: dict[str, Any] = {"trailing_pct": 0.15, "fixed_pct": 0.05, "atr_mult": 2.0, "atr_window": 2,
            "take_profit_pct": 0.5}
    inputs = AlertInputs({"SAT": frame()}, [position(**spec)], [], SETTINGS)
    [row] = levels_after(inputs, day(2))
    assert row.session == day(3) and row.rule == "stop_trailing"
    assert row.level == pytest.approx(102.0)
    assert row.levels == pytest.approx({"stop_fixed": 95.0, "stop_trailing": 102.0, "stop_atr": 98.85})
    assert row.previous_level == pytest.approx(98.45) and row.change == pytest.approx(3.55)
    assert row.take_profit == pytest.approx(150.0) and row.sell_at_open is None
    assert set(row.as_json()) >= {"ticker", "session", "level", "rule", "previous_level", "levels"}


def test_the_time_stop_says_sell_at_the_open() -> None:
    # three closes held after session 2: the open of session 3 sells, whatever the price
    inputs = AlertInputs({"SAT": frame()}, [position(trailing_pct=0.15, time_sessions=3)], [], SETTINGS)
    assert levels_after(inputs, day(1))[0].sell_at_open is None
    [row] = levels_after(inputs, day(2))
    assert row.sell_at_open == "time" and row.level == pytest.approx(102.0)


def test_a_closed_position_has_no_level_and_stale_prices_are_refused() -> None:
    inputs = AlertInputs({"SAT": frame()}, [position()], [], SETTINGS)
    assert levels_after(inputs, day(7)) != [] and levels_after(inputs, day(8)) == []  # stopped in 8
    cut = AlertInputs({"SAT": frame()[:5]}, [position()], [], SETTINGS)
    with pytest.raises(UserInputError, match="SAT prices end 2025-02-07, before 2025-02-10"):
        levels_after(cut, day(5))


def test_the_level_printed_the_evening_before_is_the_one_the_stop_fills_at(
        invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[stops]\ntrailing_pct = 0.15\n" + POSITIONS)
    result = invoke("alerts", "levels", "--date", "2025-10-16", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["ticker"]: row for row in json.loads(result.output)}
    assert set(rows) == {"NVDA", "NBIS", "CRWV"}
    assert rows["CRWV"]["session"] == "2025-10-17" and rows["CRWV"]["rule"] == "stop_trailing"
    replay = json.loads(invoke("alerts", "replay", "--start", "2025-10-17", "--end", "2025-10-17",
                               "--json").output)
    hit = next(a for a in replay if a["subject"] == "CRWV" and a["rule"] == "stop_hit")
    assert rows["CRWV"]["level"] == hit["level"] == hit["fill"]
    after = json.loads(invoke("alerts", "levels", "--date", "2025-10-17", "--json").output)
    assert [row["ticker"] for row in after] == ["NVDA"]  # NBIS and CRWV were sold on 10-17
    table = invoke("alerts", "levels", "--date", "2025-10-17")
    assert "Stop levels after the close of 2025-10-17" in table.output and "NVDA" in table.output


def test_the_chart_draws_the_stop_path_and_marks_the_hit(tmp_path: Path) -> None:
    from bot.services import BotServices
    from satellite_cli.context import AppContext

    (tmp_path / "config.toml").write_text("[stops]\ntrailing_pct = 0.15\n" + POSITIONS)
    services = BotServices(AppContext(), tmp_path / "satellite.db")
    data = services.chart_data("CRWV")
    stop = data.stop
    assert stop is not None and data.hit is not None
    assert (data.hit.session, round(data.hit.fill, 2)) == (pd.Timestamp("2025-10-17"), 130.22)
    held = stop.dropna()
    assert held.index[0] == pd.Timestamp("2025-10-01") and held.index[-1] == pd.Timestamp("2025-10-17")
    assert held.is_monotonic_increasing and held.iloc[-1] == pytest.approx(data.hit.fill)
    assert held.nunique() > 3  # a path, not one flat line
    assert data.close.index[0] <= pd.Timestamp("2025-10-01")  # the window reaches back to the entry
    assert "closed 2025-10-17 at 130.22 (trailing stop)" in data.caption
    png, caption = services.chart("CRWV")
    assert png.startswith(b"\x89PNG") and caption == data.caption
