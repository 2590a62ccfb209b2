"""The study over the shipped catalogue and bundled prices, checked independently."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from events.align import align_all
from events.study import StudySettings
from events.study_json import as_json
from events.study_report import choose_benchmark, parse_window, run_study
from tests.events.test_align import EVENTS, FRAMES

ALIGNED = align_all(list(EVENTS.values()), FRAMES)
RESULT = run_study(ALIGNED, FRAMES, StudySettings(), "NVDA")


def test_choose_benchmark() -> None:
    assert choose_benchmark("NBIS", "NVDA", None) == "NVDA"
    assert choose_benchmark("NVDA", "NVDA", "QQQ") == "QQQ"
    assert choose_benchmark("NVDA", "NVDA", None) is None
    assert choose_benchmark("QQQ", "QQQ", "QQQ") is None


def test_parse_window() -> None:
    assert parse_window("-5:20") == (-5, 20)
    with pytest.raises(ValueError, match="FIRST:LAST"):
        parse_window("-5..20")
    with pytest.raises(ValueError, match="contain day 0"):
        parse_window("1:5")


def test_nbis_microsoft_matches_an_independent_market_model() -> None:
    nbis, nvda = FRAMES["NBIS"]["Close"], FRAMES["NVDA"]["Close"]
    r = nbis.pct_change()
    m = nvda.pct_change().reindex(r.index)
    position = int(r.index.get_loc("2025-09-09"))  # type: ignore[arg-type]
    # estimation: 120 returns ending 5 sessions before day -5, i.e. days -130..-11
    window = slice(position - 130, position - 10)
    beta, alpha = np.polyfit(m.iloc[window], r.iloc[window], 1)
    expected = [r.iloc[position + d] - alpha - beta * m.iloc[position + d] for d in (0, 1)]
    row = next(row for row in RESULT.rows if row.aligned.event.id == "nbis-microsoft")
    assert row.result.model == "market" and not row.result.flagged
    assert row.result.beta == pytest.approx(beta)
    assert row.result.ar[5:7] == pytest.approx(expected)
    assert row.cars[(0, 1)] == pytest.approx(sum(expected))


def test_models_by_history_and_benchmark() -> None:
    models = {(row.aligned.event.id, row.aligned.ticker): row for row in RESULT.rows}
    assert models[("nbis-700m-raise", "NBIS")].result.model == "benchmark_adjusted"
    assert models[("crwv-openai-4b", "CRWV")].result.model == "benchmark_adjusted"
    assert models[("deepseek-shock", "NBIS")].result.model == "market"
    assert models[("deepseek-shock", "NBIS")].result.flagged
    nvda = models[("nvda-openai-100b", "NVDA")]
    assert nvda.result.model == "constant_mean" and nvda.benchmark is None
    skipped = {item.event.id for item, _ in RESULT.skipped}
    assert skipped == {"nbis-relisting", "crwv-openai-11.9b", "crwv-ipo"}
    assert len(RESULT.rows) == 21


def test_groups_aggregate_by_ticker_and_kind() -> None:
    groups = {(group.ticker, group.kind): group for group in RESULT.groups}
    crwv = groups[("CRWV", "contract")]
    cars = [row.cars[(0, 1)] for row in RESULT.rows
            if row.aligned.ticker == "CRWV" and row.aligned.event.kind == "contract"]
    assert crwv.n == 4 == len(cars)
    values = np.array(cars, dtype=float)
    stats = crwv.stats[(0, 1)]
    assert stats.mean == pytest.approx(values.mean())
    t_stat = values.mean() / (values.std(ddof=1) / np.sqrt(4))
    assert stats.t.statistic == pytest.approx(t_stat)
    assert stats.t.p_value == pytest.approx(2 * scipy_stats.t.sf(abs(t_stat), 3))
    # crwv-openai-4b has 22 estimation sessions (benchmark-adjusted): out of BMP, rank and sign
    assert stats.bmp.n == stats.rank.n == stats.sign.n == 3
    assert stats.note is not None and "1 event without a fitted model" in stats.note
    assert groups[("NBIS", "contract")].n == 2
    assert groups[("ALL", "contract")].n == 7


def test_below_three_events_only_the_placebo_p_value() -> None:
    groups = {(group.ticker, group.kind): group for group in RESULT.groups}
    acquisition = groups[("CRWV", "acquisition")]  # the n = 2, t = -123.82 case of issue 15
    assert acquisition.members == ("crwv-core-scientific (CRWV)", "crwv-core-scientific-rejected (CRWV)")
    for stats in acquisition.stats.values():
        assert stats.n == 2 and stats.mean is not None
        for test in (stats.t, stats.bmp, stats.rank, stats.sign):
            assert test.statistic is None and test.p_value is None
        assert stats.placebo_p is not None and 0 < stats.placebo_p <= 1
        assert stats.placebo_draws == RESULT.settings.placebo_draws >= 1000
        assert stats.note is not None and stats.note.startswith("n = 2 < 3")
    for group in RESULT.groups:
        for stats in group.stats.values():
            assert (stats.t.p_value is None) == (stats.n < 3 or stats.t.statistic is None)


def test_tests_run_on_every_group_of_three_or_more() -> None:
    tested = [(group, stats) for group in RESULT.groups for stats in group.stats.values() if stats.n >= 3]
    assert len(tested) >= 4 * 4
    for _group, stats in tested:
        assert stats.t.p_value is not None and 0 <= stats.t.p_value <= 1
        if stats.bmp.n >= 3:
            for test in (stats.bmp, stats.rank, stats.sign):
                assert test.p_value is not None and 0 <= test.p_value <= 1


def test_the_study_is_reproducible_with_its_seed() -> None:
    again = run_study(ALIGNED, FRAMES, StudySettings(), "NVDA")
    other = run_study(ALIGNED, FRAMES, StudySettings(seed=16), "NVDA")
    key = (0, 1)
    assert [g.stats[key].placebo_p for g in again.groups] == [g.stats[key].placebo_p for g in RESULT.groups]
    assert [g.stats[key].placebo_p for g in other.groups] != [g.stats[key].placebo_p for g in RESULT.groups]


def test_json_shape() -> None:
    payload = as_json(RESULT)
    assert payload["window"] == "-5:20" and payload["days"][0] == -5
    assert payload["placebo_draws"] == 2000 and payload["seed"] == 15
    event = payload["events"][0]
    assert set(event) >= {"id", "ticker", "kind", "timing", "day0", "model", "benchmark", "flagged",
                          "estimation_sessions", "alpha", "beta", "ar", "car", "car_sd",
                          "first_open_day", "tradeable_car"}
    assert len(event["ar"]) == 26
    assert set(event["car"]) == set(event["car_sd"]) == {"0:0", "0:1", "0:5", "-5:20"}
    assert set(event["tradeable_car"]) == {"0:0", "0:1", "0:5", "0:20"}
    group = payload["groups"][0]
    assert set(group) == {"ticker", "kind", "n", "events", "car", "tradeable_car"}
    assert set(group["car"]["0:1"]) == {"mean", "n", "t_stat", "p_value", "bmp", "rank", "sign",
                                        "placebo", "note"}
    assert set(group["car"]["0:1"]["bmp"]) == {"statistic", "p_value", "n"}
    assert set(group["car"]["0:1"]["placebo"]) == {"p_value", "draws"}
    assert set(group["tradeable_car"]["0:1"]) == {"mean", "n"}
