"""The study over the shipped catalogue and bundled prices, checked independently."""

from __future__ import annotations

import numpy as np
import pytest

from events.align import align_all
from events.study import StudySettings
from events.study_report import as_json, choose_benchmark, parse_window, run_study
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
    assert crwv.stats[(0, 1)].mean == pytest.approx(values.mean())
    assert crwv.stats[(0, 1)].t_stat == pytest.approx(
        values.mean() / (values.std(ddof=1) / np.sqrt(4))
    )
    assert groups[("NBIS", "contract")].n == 2
    assert groups[("ALL", "contract")].n == 7


def test_json_shape() -> None:
    payload = as_json(RESULT)
    assert payload["window"] == "-5:20" and payload["days"][0] == -5
    event = payload["events"][0]
    assert set(event) >= {"id", "ticker", "kind", "day0", "model", "benchmark", "flagged",
                          "estimation_sessions", "alpha", "beta", "ar", "car"}
    assert len(event["ar"]) == 26
    assert set(event["car"]) == {"0:0", "0:1", "0:5", "-5:20"}
    assert set(payload["groups"][0]["car"]["0:1"]) == {"mean", "t_stat", "n"}
