"""Probability of backtest over-fitting by combinatorially symmetric cross-validation (CSCV).

Bailey, Borwein, Lopez de Prado, Zhu (2016), "The probability of backtest overfitting". The
in-sample span's sessions are cut into S equal blocks (`block_index`). For every choice of S/2
blocks as in-sample (the other S/2 out-of-sample) the rule with the best in-sample score is
found and its out-of-sample score ranked among all rules: w = rank / (N + 1) (rank 1 = worst,
ties share their mean rank), logit = ln(w / (1 - w)). PBO is the share of combinations whose
logit is <= 0: the in-sample winner did no better than the median rule out of sample.

Nothing here sees a return series: the sweep keeps, per rule and block, the running sums of
BLOCK_FIELDS (backtests/kernel_state.py), and a union of blocks is the sum of its blocks' sums
(cscv_sums keeps the two a metric needs, growth as its log). The score over a union is the
ranking metric when it is made of such sums (sharpe, sortino, and total return / cagr, which
rank as the summed log growth), else the Sharpe ratio (`cscv_metric`). Memory: rules x S x 2
floats; work: combinations x rules x S. A grid so large
that all C(S, S/2) combinations exceed MAX_WORK is scored on a seeded sample of combinations
(`Cscv.combinations` says how many).
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

SCORED = {"sharpe": 0, "sortino": 1, "total_return": 2, "cagr": 2}
"""Ranking metrics CSCV scores as such (code); any other ranks CSCV by sharpe."""
DEFAULT_BLOCKS = 16
MAX_WORK = 400_000_000
"""Rules x combinations x blocks scored at most (about a second on 2 cores)."""
MIN_COMBINATIONS = 200


class Cscv(NamedTuple):
    pbo: float  # share of combinations whose in-sample best ranks at or below the median OOS
    logits: np.ndarray  # per combination: ln(w / (1 - w)) of the in-sample best's OOS rank w
    ranks: np.ndarray  # per combination: w, the in-sample best's relative OOS rank in (0, 1)
    combinations: int  # scored (all C(S, S/2), or a seeded sample of them)
    total_combinations: int
    blocks: int
    rules: int  # rules compared (distinct ones: equivalent rules are one)
    metric: str  # the score CSCV ranks by

    def as_json(self) -> dict[str, object]:
        quantiles = np.quantile(self.ranks, [0.1, 0.25, 0.5, 0.75, 0.9]) if len(self.ranks) else []
        return {"pbo": _number(self.pbo), "blocks": self.blocks, "rules": self.rules,
                "metric": self.metric, "combinations": self.combinations,
                "of_combinations": self.total_combinations,
                "winner_oos_rank": {"p10": _number(quantiles[0]), "p25": _number(quantiles[1]),
                                    "median": _number(quantiles[2]), "p75": _number(quantiles[3]),
                                    "p90": _number(quantiles[4])} if len(self.ranks) else None}


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def cscv_metric(metric: str) -> str:
    """The score CSCV ranks by for a ranking metric."""
    return metric if metric in SCORED else "sharpe"


def block_index(sessions: int, blocks: int) -> np.ndarray:
    """Per session of a span: its block (S equal blocks, sizes differing by one at most)."""
    edges = [round(sessions * i / blocks) for i in range(blocks + 1)]
    out = np.empty(sessions, np.int64)
    for b in range(blocks):
        out[edges[b] : edges[b + 1]] = b
    return out


def block_sizes(sessions: int, blocks: int) -> np.ndarray:
    return np.bincount(block_index(sessions, blocks), minlength=blocks).astype(np.float64)


def combinations(blocks: int, work_per_combination: int, seed: int = 0) -> tuple[np.ndarray, int]:
    """(in-sample block sets as a bool matrix, the number there are in all): every one of
    C(S, S/2), or a seeded sample when scoring all would exceed MAX_WORK."""
    total = math.comb(blocks, blocks // 2)
    every = np.zeros((total, blocks), np.bool_)
    for c, chosen in enumerate(itertools.combinations(range(blocks), blocks // 2)):
        every[c, list(chosen)] = True
    wanted = max(MIN_COMBINATIONS, MAX_WORK // max(1, work_per_combination))
    if wanted >= total:
        return every, total
    rows = np.sort(np.random.default_rng(seed).choice(total, size=wanted, replace=False))
    return every[rows], total


def cscv_sums(blocks: np.ndarray, metric: str) -> np.ndarray:
    """Rules x S x BLOCK_FIELDS sums -> rules x S x 2 additive sums CSCV scores `metric`
    by: (sum, sum_sq) for sharpe, (sum, down_sq) for sortino, (log growth, 0) for returns."""
    kind = SCORED[cscv_metric(metric)]
    if kind == 2:
        return np.stack([np.log(blocks[:, :, 3]), np.zeros(blocks.shape[:2])], axis=2)
    return np.ascontiguousarray(blocks[:, :, [0, 1 if kind == 0 else 2]])


@njit(cache=True, inline="always")
def _score_nb(a: float, b: float, n: float, kind: int) -> float:
    """The score of a union of blocks from its sums a, b (cscv_sums) over n sessions;
    -inf when undefined."""
    if kind == 2:
        return a
    mean = a / n
    if kind == 1:
        down = math.sqrt(b / n)
        return mean / down if down > 0.0 else -np.inf
    var = (b - a * mean) / (n - 1.0)
    return mean / math.sqrt(var) if var > 0.0 else -np.inf


@njit(cache=True, parallel=True)
def _ranks_nb(sums: np.ndarray, sizes: np.ndarray, chosen: np.ndarray, kind: int) -> np.ndarray:
    """Per combination: the in-sample best's relative out-of-sample rank w (mean rank of
    ties, first rule of the grid among in-sample ties)."""
    rules, blocks = sums.shape[0], sums.shape[1]
    out = np.empty(chosen.shape[0])
    total = sizes.sum()
    for c in prange(chosen.shape[0]):
        n_in = 0.0
        for b in range(blocks):
            if chosen[c, b]:
                n_in += sizes[b]
        best, best_score = -1, -np.inf
        oos = np.empty(rules)
        for r in range(rules):
            a_in = b_in = a_out = b_out = 0.0
            for b in range(blocks):
                if chosen[c, b]:
                    a_in += sums[r, b, 0]
                    b_in += sums[r, b, 1]
                else:
                    a_out += sums[r, b, 0]
                    b_out += sums[r, b, 1]
            score = _score_nb(a_in, b_in, n_in, kind)
            if best < 0 or score > best_score:
                best, best_score = r, score
            oos[r] = _score_nb(a_out, b_out, total - n_in, kind)
        below = 0.0
        equal = 0.0
        for r in range(rules):
            if oos[r] < oos[best]:
                below += 1.0
            elif oos[r] == oos[best]:
                equal += 1.0
        out[c] = (below + (equal + 1.0) / 2.0) / (rules + 1.0)
    return out


def cscv(sums: np.ndarray, sessions: int, metric: str, seed: int = 0) -> Cscv:
    """CSCV of rules' block sums (rules x S x 2, cscv_sums' form for `metric`) over a span of
    `sessions`."""
    rules, blocks = sums.shape[0], sums.shape[1]
    scored = cscv_metric(metric)
    if rules < 2:
        return Cscv(math.nan, np.zeros(0), np.zeros(0), 0, 0, blocks, rules, scored)
    chosen, total = combinations(blocks, rules * blocks, seed)
    ranks = _ranks_nb(np.ascontiguousarray(sums, dtype=np.float64),
                      block_sizes(sessions, blocks), chosen, SCORED[scored])
    logits = np.log(ranks / (1.0 - ranks))
    return Cscv(float(np.mean(logits <= 0.0)), logits, ranks, len(chosen), total, blocks,
                rules, scored)
