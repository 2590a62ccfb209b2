"""Split and walk-forward: nothing after a boundary reaches the scores before it."""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtests.sweep_kernel import METRICS
from backtests.tune import TuneRequest, make_folds, run_tune
from backtests.tune_exec import open_executor
from backtests.tune_grid import parse_grid
from backtests.tune_sweep import Sweeper
from satellite.config import SatelliteConfig
from strategies.registry import available
from tests.conftest import Invoke
from tests.tuning.conftest import FrameStore, perturbed, sweep_table

GRID = ["stops.trailing_pct=0.06:0.30:0.04", "stops.fixed_pct=none,0.08,0.15"]


def request(settings: SatelliteConfig, **fields: object) -> TuneRequest:
    params = parse_grid(GRID, "core_satellite", settings, available())
    return TuneRequest("core_satellite", params, **fields)  # type: ignore[arg-type]


def sweeper(settings: SatelliteConfig, frames: dict[str, pd.DataFrame]) -> Sweeper:
    ask = request(settings)
    return Sweeper(settings, FrameStore(frames), ask.strategy, ask.params)  # type: ignore[arg-type]


def test_split_ranking_ignores_later_prices(
    settings: SatelliteConfig, bundled_frames: dict[str, pd.DataFrame]
) -> None:
    split = pd.Timestamp("2026-01-01")
    ask = request(settings, split=split)
    base = run_tune(settings, FrameStore(bundled_frames), ask)  # type: ignore[arg-type]
    moved = run_tune(settings, FrameStore(perturbed(bundled_frames, split)), ask)  # type: ignore[arg-type]
    assert np.array_equal(base.stream.scores.in_sample, moved.stream.scores.in_sample, equal_nan=True)
    assert [r.row for r in base.honesty.top] == [r.row for r in moved.honesty.top]
    assert base.honesty.cscv.pbo == moved.honesty.cscv.pbo
    assert [r.deflated for r in base.honesty.top] == [r.deflated for r in moved.honesty.top]
    assert np.array_equal(list(base.benchmark["in_sample"].values()),
                          list(moved.benchmark["in_sample"].values()), equal_nan=True)
    assert not np.allclose(base.stream.scores.out_of_sample, moved.stream.scores.out_of_sample,
                           equal_nan=True)


def test_walk_forward_folds_use_no_data_past_their_boundaries(
    settings: SatelliteConfig, bundled_frames: dict[str, pd.DataFrame]
) -> None:
    base = sweeper(settings, bundled_frames)
    for rolling in (False, True):
        folds = make_folds(base.sessions(), None, 3, rolling)
        assert len(folds) == 3
        for fold in folds:
            oos = fold.out_of_sample
            assert oos is not None and fold.in_sample.end < oos.start
            moved_is = sweeper(settings, perturbed(bundled_frames, fold.in_sample.end))
            assert np.array_equal(sweep_table(base, fold.in_sample),
                                  sweep_table(moved_is, fold.in_sample), equal_nan=True)
            moved_oos = sweeper(settings, perturbed(bundled_frames, oos.end))
            assert np.array_equal(sweep_table(base, oos), sweep_table(moved_oos, oos), equal_nan=True)
        if rolling:  # each fold ranks on the block just before its out-of-sample block
            for before, after in itertools.pairwise(folds):
                assert after.in_sample == before.out_of_sample
            assert abs(folds[0].in_sample.sessions - folds[0].out_of_sample.sessions) <= 1  # type: ignore[union-attr]
        else:  # anchored: every fold starts at the first session
            assert len({f.in_sample.start for f in folds}) == 1
        result = run_tune(settings, FrameStore(bundled_frames),  # type: ignore[arg-type]
                          request(settings, walk_forward=3, rolling=rolling))
        k = METRICS.index("sharpe")
        tables = [sweep_table(base, fold.out_of_sample)[:, k] for fold in folds if fold.out_of_sample]
        assert np.allclose(result.stream.scores.out_of_sample, np.mean(tables, axis=0), equal_nan=True)
        ins = [sweep_table(base, fold.in_sample)[:, k] for fold in folds]
        assert np.allclose(result.stream.scores.in_sample, np.mean(ins, axis=0), equal_nan=True)
        assert result.honesty.span == folds[-1].in_sample


def test_dask_local_cluster_gives_identical_results(
    settings: SatelliteConfig, bundled_frames: dict[str, pd.DataFrame],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr("backtests.tune_exec.CELLS_PER_CHUNK", 64 * 100)  # several chunks
    monkeypatch.setattr("backtests.tune_exec.MIN_CHUNK", 4)
    ask = request(settings, split=pd.Timestamp("2026-01-01"))
    store = FrameStore(bundled_frames)
    local = run_tune(settings, store, ask)  # type: ignore[arg-type]
    with open_executor("dask", workers=2) as pool:
        remote = run_tune(settings, store, ask, pool)  # type: ignore[arg-type]
    assert np.array_equal(local.stream.scores.in_sample, remote.stream.scores.in_sample, equal_nan=True)
    assert np.array_equal(local.stream.scores.out_of_sample, remote.stream.scores.out_of_sample,
                          equal_nan=True)
    assert np.array_equal(local.stream.scores.klass, remote.stream.scores.klass)
    assert json.dumps(local.as_json()) == json.dumps(remote.as_json())  # NaN == NaN as text


def test_cli_split_prints_json_and_writes_heatmap_and_csv(invoke: Invoke, tmp_path: Path) -> None:
    page, table = tmp_path / "heat.html", tmp_path / "all.csv"
    result = invoke("tune", "core_satellite", "--grid", "stops.trailing_pct=0.05:0.30:0.05",
                    "--grid", "stops.fixed_pct=0.05:0.15:0.05", "--grid",
                    "stops.take_profit_pct=none,0.5", "--split", "2026-01-01", "--top", "3",
                    "--json", "--heatmap", str(page), "--csv", str(table))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["rules"] == 36 and len(payload["top"]) == 3
    assert payload["top"][0]["out_of_sample"]["sharpe"] is not None
    assert set(payload["benchmark"]) == {"in_sample", "out_of_sample"}
    html = page.read_text()
    assert "plotly" in html and "out-of-sample" in html and "take_profit_pct" in html
    assert "chosen rule (best in-sample)" in html and "out-of-sample best" in html
    assert len(set(re.findall(r'"zmin":([-0-9.e]+)', html))) == 2  # a colour scale per panel
    assert len(pd.read_csv(table)) == 36
    results = Path(os.environ["XDG_DATA_HOME"]) / "satellite" / "results"  # the user data dir
    assert not list(results.glob("tune-core_satellite-*.csv"))  # only on request (--save)
    for record in payload["top"]:
        assert {"deflated_sharpe", "plateau", "equivalent", "flagged"} <= set(record)
    assert 0 <= payload["pbo"] <= 1 and payload["blocks"] == 16
    shown = invoke("tune", "core_satellite", "--grid", "stops.trailing_pct=0.1,0.2", "--grid",
                   "stops.fixed_pct=0.1,0.2", "--walk-forward", "2", "--rolling", "--blocks", "4",
                   "--save")
    assert shown.exit_code == 0, shown.output
    assert "OOS (mean)" in shown.output and "NVDA buy & hold" in shown.output
    assert "rolling folds" in shown.output and "PBO" in shown.output
    assert len(list(results.glob("tune-core_satellite-*.csv"))) == 1


def test_rules_with_identical_fills_are_one_row(invoke: Invoke) -> None:
    """A fixed stop at or above the trailing one never binds: the three rules are one."""
    grid = ["--grid", "stops.trailing_pct=0.1", "--grid", "stops.fixed_pct=none,0.2,0.3"]
    payload = json.loads(invoke("tune", "core_satellite", *grid, "--json").output)
    assert payload["rules"] == 3 and payload["distinct"] == 1 and len(payload["top"]) == 1
    assert payload["top"][0]["equivalent"] == {
        "rules": 3, "params": {"stops.trailing_pct": [0.1], "stops.fixed_pct": [None, 0.2, 0.3]}}
    assert payload["pbo"] is None  # one distinct rule: nothing was selected
    assert payload["top"][0]["deflated_sharpe"]["trials"] == 1
    shown = invoke("tune", "core_satellite", *grid)
    assert shown.exit_code == 0, shown.output
    assert "2 more: fixed_pct off-0.3" in shown.output and "PBO -" in shown.output
