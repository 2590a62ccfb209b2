"""Split and walk-forward: nothing after a boundary reaches the scores before it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtests.sweep_kernel import METRICS, run_rules
from backtests.tune import Span, Sweeper, TuneRequest, make_folds, run_tune
from backtests.tune_exec import open_executor
from backtests.tune_grid import parse_grid
from satellite.config import SatelliteConfig
from strategies.registry import available
from tests.conftest import Invoke
from tests.tuning.conftest import FrameStore, perturbed

GRID = ["stops.trailing_pct=0.06:0.30:0.04", "stops.fixed_pct=none,0.08,0.15"]


def request(settings: SatelliteConfig, **fields: object) -> TuneRequest:
    params = parse_grid(GRID, "core_satellite", settings, available())
    return TuneRequest("core_satellite", params, **fields)  # type: ignore[arg-type]


def span_table(sweeper: Sweeper, span: Span) -> np.ndarray:
    table = np.full((len(sweeper.rules), len(METRICS)), np.nan)
    for rows, task in sweeper.tasks(span):
        table[rows] = run_rules(*task)
    return table


def test_split_ranking_ignores_later_prices(
    settings: SatelliteConfig, bundled_frames: dict[str, pd.DataFrame]
) -> None:
    split = pd.Timestamp("2026-01-01")
    ask = request(settings, split=split)
    base = run_tune(settings, FrameStore(bundled_frames), ask)  # type: ignore[arg-type]
    moved = run_tune(settings, FrameStore(perturbed(bundled_frames, split)), ask)  # type: ignore[arg-type]
    assert np.array_equal(base.in_sample, moved.in_sample, equal_nan=True)
    assert np.array_equal(base.order, moved.order)
    assert np.array_equal(list(base.benchmark["in_sample"].values()),
                          list(moved.benchmark["in_sample"].values()), equal_nan=True)
    assert base.out_of_sample is not None and moved.out_of_sample is not None
    assert not np.allclose(base.out_of_sample, moved.out_of_sample, equal_nan=True)


def test_walk_forward_folds_use_no_data_past_their_boundaries(
    settings: SatelliteConfig, bundled_frames: dict[str, pd.DataFrame]
) -> None:
    ask = request(settings, walk_forward=3)
    base = Sweeper(settings, FrameStore(bundled_frames), ask)  # type: ignore[arg-type]
    folds = make_folds(base.sessions(), None, 3)
    assert len(folds) == 3
    for fold in folds:
        oos = fold.out_of_sample
        assert oos is not None and fold.in_sample.end < oos.start
        moved_is = Sweeper(settings, FrameStore(perturbed(bundled_frames, fold.in_sample.end)), ask)  # type: ignore[arg-type]
        assert np.array_equal(span_table(base, fold.in_sample),
                              span_table(moved_is, fold.in_sample), equal_nan=True)
        moved_oos = Sweeper(settings, FrameStore(perturbed(bundled_frames, oos.end)), ask)  # type: ignore[arg-type]
        assert np.array_equal(span_table(base, oos), span_table(moved_oos, oos), equal_nan=True)
    result = run_tune(settings, FrameStore(bundled_frames), ask)  # type: ignore[arg-type]
    tables = [span_table(base, fold.out_of_sample) for fold in folds if fold.out_of_sample]
    assert result.out_of_sample is not None
    assert np.allclose(result.out_of_sample, np.mean(tables, axis=0), equal_nan=True)


def test_dask_local_cluster_gives_identical_results(
    settings: SatelliteConfig, bundled_frames: dict[str, pd.DataFrame],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr("backtests.tune_exec.CELLS_PER_CHUNK", 64 * 100)  # several chunks
    ask = request(settings, split=pd.Timestamp("2026-01-01"))
    store = FrameStore(bundled_frames)
    local = run_tune(settings, store, ask)  # type: ignore[arg-type]
    with open_executor("dask", workers=2) as pool:
        remote = run_tune(settings, store, ask, pool)  # type: ignore[arg-type]
    assert np.array_equal(local.in_sample, remote.in_sample, equal_nan=True)
    assert np.array_equal(local.out_of_sample, remote.out_of_sample, equal_nan=True)  # type: ignore[arg-type]


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
    assert len(pd.read_csv(table)) == 36
    results = Path(os.environ["XDG_DATA_HOME"]) / "satellite" / "results"  # the user data dir
    assert len(list(results.glob("tune-core_satellite-*.csv"))) == 1
    shown = invoke("tune", "core_satellite", "--grid", "stops.trailing_pct=0.1,0.2", "--grid",
                   "stops.fixed_pct=0.1,0.2", "--walk-forward", "2")
    assert shown.exit_code == 0, shown.output
    assert "OOS (mean)" in shown.output and "NVDA buy & hold" in shown.output
