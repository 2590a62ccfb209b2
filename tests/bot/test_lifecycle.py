"""The owner's answers in the stop model, on the 12-session series (tests/bot/synthetic.py), by hand.

Closes 100 110 120 115 104 103 109 104.5 101 120 125 95 (each session opens at its close, trades
0.5% either side); 10 shares bought at the first open; a 15% trailing stop on the highest close:
the stop for session 8 is 0.85 x 120 = 102 and session 8 opens at 101 through it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import pytest

from bot.levels import open_levels
from bot.model import Exit
from bot.rules import Timeline, timeline
from tests.bot.synthetic import SETTINGS, day, frame, position


def run(until: int = 11, **book: Any) -> Timeline:
    lot = replace(position(), **book)
    return timeline({"SAT": frame()}, [lot], [], SETTINGS, day(until))


def stop_hits(result: Timeline) -> list[tuple[int, float | None]]:
    sessions = list(frame().index)
    return [(sessions.index(a.session), a.fill) for a in result.alerts if a.rule == "stop_hit"]


def test_sold_at_the_stop_is_the_models_close() -> None:
    model, sold = run(), run(sold=Exit(day(8), 101.0))
    fields = ("session", "fill", "level", "rule")
    closed = [(getattr(sold.paths[0].closed, f), getattr(model.paths[0].closed, f)) for f in fields]
    assert all(mine == models for mine, models in closed)
    assert stop_hits(sold) == stop_hits(model) == [(8, 101.0)]
    assert sold.usd.equals(model.usd)


def test_sold_at_another_price_on_the_stop_session() -> None:
    result = run(sold=Exit(day(8), 100.5))
    closed = result.paths[0].closed
    assert (closed.session, closed.fill, closed.rule) == (day(8), 100.5, "stop_trailing")
    assert stop_hits(result) == [(8, 101.0)]  # the alert says what the stop order did
    assert result.usd[day(8)] == pytest.approx(1005.0)
    assert result.usd.index[-1] == day(8)  # all cash from then on: the portfolio is not watched
    assert result.pnl[day(8)] == pytest.approx(1005.0 - 1045.0)  # from the 104.50 close of session 7


def test_a_sale_before_any_stop_closes_there_without_an_alert() -> None:
    result = run(sold=Exit(day(4), 104.2))
    closed = result.paths[0].closed
    assert (closed.session, closed.fill, closed.rule, closed.level) == (day(4), 104.2, "sold", None)
    assert stop_hits(result) == []
    assert result.usd.index[-1] == day(4) and result.usd[day(4)] == pytest.approx(1042.0)


def test_still_holding_restarts_the_rules_from_the_close() -> None:
    result = run(holds=(day(8),))
    path = result.paths[0]
    # session 8: the stop fills in the model (reported), the owner still holds: restart from 101
    # stop for 9: 0.85 x 101 = 85.85; 9 closes 120 -> 102 for 10; 10 closes 125 -> 106.25 for 11;
    # session 11 opens at 95 through 106.25: a second stop_hit, sold at the open
    assert stop_hits(result) == [(8, 101.0), (11, 95.0)]
    assert path.next_level[8:11] == pytest.approx([85.85, 102.0, 106.25])
    assert path.basis[8] == 101.0
    [level] = open_levels(result.paths, day(8), day(9))
    assert (level.level, level.previous_level) == (pytest.approx(85.85), pytest.approx(102.0))
    assert result.usd[day(10)] == pytest.approx(1250.0)  # held: valued at the close, not the fill
    index = result.value
    assert index[day(9)] / index[day(8)] == pytest.approx(120 / 101)  # no jump at the restart


def test_a_sale_recorded_after_a_stop_means_it_was_held_through() -> None:
    result = run(sold=Exit(day(10), 124.0))
    closed = result.paths[0].closed
    assert (closed.session, closed.fill, closed.rule) == (day(10), 124.0, "sold")
    assert stop_hits(result) == [(8, 101.0)]
    assert result.usd[day(10)] == pytest.approx(1240.0)


def test_the_lot_names_the_position_in_the_stored_state() -> None:
    lot = replace(position(), lot=7)
    assert lot.key == "SAT@2025-02-03#7" and position().key == "SAT@2025-02-03"
    assert pd.Timestamp(lot.entry) == day(0)
