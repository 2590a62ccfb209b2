"""Plateau score: is a winner on a plateau of good neighbours or a lone spike?

A rule's neighbours are the grid points one step away in any number of parameters (up to
3^d - 1 of them on a d-parameter grid, fewer at an edge). Its plateau score is the median of
their scores (the ranking metric, in-sample). A lone spike keeps less than half of its edge
over the grid's median rule among its neighbours:
    (plateau - grid median) < SPIKE_SHARE x (score - grid median)   (signs flipped when the
metric is minimised). A rule on a plateau survives small changes of its parameters; a spike
is a coincidence of the prices.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np

SPIKE_SHARE = 0.5


class Plateau(NamedTuple):
    median: float  # median score of the neighbours (NaN: none scored)
    neighbours: int  # neighbours with a score
    spike: bool

    def as_json(self) -> dict[str, object]:
        return {"median": None if math.isnan(self.median) else self.median,
                "neighbours": self.neighbours, "spike": self.spike}


def neighbours(rule: int, shape: tuple[int, ...]) -> np.ndarray:
    """Row-major indices of the grid points one step from `rule` in any parameters."""
    here = np.unravel_index(rule, shape)
    out = []
    for step in itertools.product((-1, 0, 1), repeat=len(shape)):
        if not any(step):
            continue
        point = [i + s for i, s in zip(here, step, strict=True)]
        if all(0 <= p < n for p, n in zip(point, shape, strict=True)):
            out.append(int(np.ravel_multi_index(point, shape)))
    return np.array(out, dtype=np.int64)


def plateau(rule: int, scores: np.ndarray, shape: tuple[int, ...], minimised: bool,
            grid_median: float) -> Plateau:
    """The plateau of `rule` on a grid of `shape` (scores in row-major order)."""
    near = scores[neighbours(rule, shape)]
    near = near[np.isfinite(near)]
    if len(near) == 0:
        return Plateau(math.nan, 0, False)
    median = float(np.median(near))
    sign = -1.0 if minimised else 1.0
    edge = sign * (float(scores[rule]) - grid_median)
    kept = sign * (median - grid_median)
    return Plateau(median, len(near), bool(edge > 0 and kept < SPIKE_SHARE * edge))
