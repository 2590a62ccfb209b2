"""`events suggest`: unexplained moves beyond z, scored like the study, on synthetic and bundled data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from events.align import align_all, align_event
from events.study import StudySettings
from events.suggest import (
    Suggestion,
    add_command,
    day0_settings,
    explained_sessions,
    rank,
    scan_ticker,
    suggestion_json,
)
from tests.events.helpers import event
from tests.events.synthetic import SESSIONS, Shocks, pair
from tests.events.test_align import EVENTS, FRAMES

SHOCK_DAY, EXPLAINED_DAY = SESSIONS[250], SESSIONS[300]


def naive_z(close: pd.Series, bench: pd.Series, position: int, settings: StudySettings) -> float:
    """z of one session from scratch: OLS on the 120 returns ending `gap` sessions before it and
    the one-day forecast-error standard deviation."""
    r, m = close.pct_change().to_numpy(), bench.pct_change().to_numpy()
    fit = slice(position - settings.gap - settings.estimation, position - settings.gap)
    beta, alpha = np.polyfit(m[fit], r[fit], 1)
    residuals = r[fit] - alpha - beta * m[fit]
    sigma = math.sqrt((residuals**2).sum() / (settings.estimation - 2))
    deviation = m[position] - m[fit].mean()
    sd = sigma * math.sqrt(1 + 1 / settings.estimation + deviation**2 / ((m[fit] - m[fit].mean()) ** 2).sum())
    return float((r[position] - alpha - beta * m[position]) / sd)


def test_planted_moves_are_found_and_catalogued_ones_are_not() -> None:
    frames = pair(Shocks(gap={SHOCK_DAY: 0.12, EXPLAINED_DAY: -0.15, SESSIONS[301]: 0.1}), noise=0.01)
    close, bench = frames["STOCK"]["Close"], frames["BENCH"]["Close"]
    catalogued = align_event(event(EXPLAINED_DAY.date(), "pre_market", ("STOCK",)), "STOCK", frames["STOCK"])
    explained = explained_sessions([catalogued], frames["STOCK"])
    assert explained == {EXPLAINED_DAY, SESSIONS[301]}  # day 0 and day +1
    scan = scan_ticker("STOCK", close, bench, explained, StudySettings(), 4.0)
    assert [item.session for item in scan.suggestions] == [SHOCK_DAY]
    (found,) = scan.suggestions
    position = int(SESSIONS.get_loc(SHOCK_DAY))
    assert found.z == pytest.approx(naive_z(close, bench, position, StudySettings()))
    assert found.ret == pytest.approx(close.iloc[position] / close.iloc[position - 1] - 1)
    assert found.model == "market" and found.abnormal == pytest.approx(0.12, abs=0.03)
    # sessions with fewer than min_estimation sessions of history are not scored
    assert scan.unscored == StudySettings().gap + StudySettings().min_estimation
    assert scan.scored == len(SESSIONS) - 1 - scan.unscored
    later = scan_ticker("STOCK", close, bench, explained, StudySettings(), 4.0, SESSIONS[251])
    assert later.suggestions == []


def test_one_session_scoring_uses_the_study_rules() -> None:
    settings = StudySettings(window=(-3, 10), estimation=80, gap=4, min_estimation=40)
    one_day = day0_settings(settings)
    assert one_day.window == (0, 0)
    assert (one_day.estimation, one_day.gap, one_day.min_estimation) == (80, 4, 40)


ALIGNED = align_all(list(EVENTS.values()), FRAMES)


def bundled_scan(z_min: float = 3.0) -> list[Suggestion]:
    scans = []
    for ticker in ("NVDA", "NBIS", "CRWV"):
        bench = None if ticker == "NVDA" else FRAMES["NVDA"]["Close"]
        mine = [item for item in ALIGNED if item.ticker == ticker]
        scans.append(scan_ticker(ticker, FRAMES[ticker]["Close"], bench,
                                 explained_sessions(mine, FRAMES[ticker]), StudySettings(), z_min,
                                 pd.Timestamp("2024-10-21")))
    return rank(scans).suggestions


def test_bundled_data_lists_the_known_uncatalogued_moves() -> None:
    suggestions = bundled_scan()
    found = {(item.ticker, f"{item.session:%Y-%m-%d}") for item in suggestions}
    assert {("CRWV", "2025-12-19"), ("NBIS", "2026-03-11")} <= found
    assert all(abs(item.z) > 3 for item in suggestions)
    sizes = [abs(item.z) for item in suggestions]
    assert sizes == sorted(sizes, reverse=True)
    explained = set()  # (ticker, day 0) and (ticker, the next stored session) of every event
    for item in ALIGNED:
        if item.day0 is not None and item.in_data:
            index = FRAMES[item.ticker].index
            position = int(index.get_loc(item.day0))
            explained |= {(item.ticker, index[position]), (item.ticker, index[position + 1])}
    assert not {(item.ticker, item.session) for item in suggestions} & explained


def test_json_keys_and_add_line() -> None:
    crwv = next(item for item in bundled_scan() if item.ticker == "CRWV")
    payload = suggestion_json(crwv)
    assert list(payload) == ["ticker", "session", "return", "abnormal", "z", "model"]
    assert payload["session"] == "2025-12-19" and payload["model"] == "market"
    assert payload["return"] == pytest.approx(0.2264, abs=1e-4)
    assert add_command(crwv).startswith(
        "satellite events add --id crwv-2025-12-19 --announced 2025-12-19 --timing unknown --tickers CRWV "
        "--kind KIND")
