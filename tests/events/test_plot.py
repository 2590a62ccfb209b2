"""The study chart: a 95% band only where at least three events are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from events.plot import mean_band, study_figure
from tests.events.test_study_report import RESULT


def test_band_needs_three_events_per_day() -> None:
    paths = np.array([[0.01, 0.02, 0.03], [0.03, 0.04, np.nan], [0.05, np.nan, np.nan]])
    mean, low, high = mean_band(paths)
    assert mean == pytest.approx([0.03, 0.03, 0.03])
    error = np.std([0.01, 0.03, 0.05], ddof=1) / math.sqrt(3)
    assert low[0] == pytest.approx(0.03 - 1.96 * error) and high[0] == pytest.approx(0.03 + 1.96 * error)
    assert np.isnan(low[1:]).all() and np.isnan(high[1:]).all()  # two events, then one: no band


def test_figure_draws_bands_only_for_kinds_with_three_events() -> None:
    figure = study_figure(RESULT)
    names = {trace.name for trace in figure.data}
    assert "contract: 95% band" in names and "sector: 95% band" in names
    assert "acquisition: mean CAR" in names and "acquisition: 95% band" not in names  # n = 2
    assert "financing: 95% band" not in names  # n = 1
    titles = [annotation.text for annotation in figure.layout.annotations]
    assert "acquisition (n=2: no 95% band below 3 events)" in titles and "contract (n=7)" in titles
