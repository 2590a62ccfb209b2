"""The placebo test: pseudo-events at non-event sessions, seeded draws, p-values that mean it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from events.align import align_event
from events.placebo import _distinct_rows, group_rng, pseudo_cars, pseudo_means
from events.study import StudySettings
from events.study_report import run_study
from tests.events.helpers import event
from tests.events.synthetic import SESSIONS, Shocks, pair

SETTINGS = StudySettings(window=(-2, 3), estimation=60, gap=2, min_estimation=30)
EVENT_DAYS = [SESSIONS[200], SESSIONS[260]]


def naive_car(close: pd.Series, bench: pd.Series, position: int, first: int, last: int) -> float:
    """The CAR of a pseudo-event from scratch: np.polyfit on the estimation slice."""
    r, m = close.pct_change().to_numpy(), bench.pct_change().to_numpy()
    end = position + SETTINGS.window[0] - SETTINGS.gap
    fit = slice(max(end - SETTINGS.estimation, 1), end)
    beta, alpha = np.polyfit(m[fit], r[fit], 1)
    days = slice(position + first, position + last + 1)
    return float((r[days] - alpha - beta * m[days]).sum())


def test_pseudo_events_avoid_catalogue_days_and_match_a_naive_market_model() -> None:
    frames = pair(Shocks(), noise=0.01)
    close, bench = frames["STOCK"]["Close"], frames["BENCH"]["Close"]
    since = SESSIONS[100]
    pools = pseudo_cars(close, bench, EVENT_DAYS, SETTINGS, [(0, 0), (-2, 3)], since)
    events = [int(SESSIONS.get_loc(day)) for day in EVENT_DAYS]
    for first, last in ((0, 0), (-2, 3)):
        expected = [
            naive_car(close, bench, position, first, last)
            for position in range(100, len(SESSIONS) - 3)
            if not any(position + first - 1 <= day <= position + last for day in events)
        ]
        assert pools[(first, last)] == pytest.approx(expected)
    # (0, 0) drops each event's day 0 and the session after day +1's window: 2 sessions per event
    assert len(pools[(0, 0)]) == len(SESSIONS) - 3 - 100 - 4
    assert len(pools[(-2, 3)]) == len(SESSIONS) - 3 - 100 - 2 * 7


def test_draws_use_distinct_sessions_within_a_sample() -> None:
    rng = np.random.default_rng(0)
    picks = _distinct_rows(6, 4, 5000, rng)
    assert picks.shape == (5000, 4) and picks.min() >= 0 and picks.max() <= 5
    assert all(len(set(row)) == 4 for row in picks.tolist())
    # a pool exactly as large as the sample: every sample is the whole pool
    means = pseudo_means({"X": np.array([1.0, 2.0, 6.0])}, ["X", "X", "X"], 100, rng)
    assert means is not None and means == pytest.approx(np.full(100, 3.0))
    assert pseudo_means({"X": np.array([1.0])}, ["X", "X"], 10, rng) is None
    mixed = pseudo_means({"X": np.array([1.0]), "Y": np.array([3.0])}, ["X", "Y"], 4, rng)
    assert mixed == pytest.approx(np.full(4, 2.0))


def test_group_generators_are_seeded_per_label() -> None:
    first = group_rng(15, "CRWV|contract|0:1").random(3)
    assert group_rng(15, "CRWV|contract|0:1").random(3) == pytest.approx(first)
    assert group_rng(15, "NBIS|contract|0:1").random(3) != pytest.approx(first)


def study(shock: float, days: list[pd.Timestamp]) -> float | None:
    frames = pair(Shocks(gap={day: shock for day in days}), noise=0.01)
    aligned = [align_event(event(day.date(), "pre_market", ("STOCK",)), "STOCK", frames["STOCK"])
               for day in days]
    result = run_study(aligned, frames, SETTINGS, "BENCH")
    (group, _all) = result.groups
    assert group.ticker == "STOCK" and group.stats[(0, 0)].placebo_draws == 2000
    return group.stats[(0, 0)].placebo_p


def test_placebo_p_is_small_for_real_shocks_and_not_for_none() -> None:
    days = [SESSIONS[200], SESSIONS[240], SESSIONS[280]]
    assert study(0.15, days) == pytest.approx(1 / 2001)  # no pseudo sample comes near +15%
    p_value = study(0.0, days)
    assert p_value is not None and p_value > 0.05


def test_pseudo_cars_skip_sessions_without_a_complete_window() -> None:
    frames = pair(Shocks())
    close = frames["STOCK"]["Close"].iloc[:150]
    pools = pseudo_cars(close, frames["BENCH"]["Close"], [], SETTINGS, [(-2, 3)], SESSIONS[0])
    # positions 1 .. 146 (the last needs day +3 in data); none before a return exists
    assert len(pools[(-2, 3)]) == 146 - 2  # the first two lack day -2's return
    assert np.isfinite(pools[(-2, 3)]).all()
