"""What a tune keeps of its chunks as they arrive: memory flat in the number of rules.

Per rule only 4 numbers stay (`Scores`: the ranking metric in-sample and out-of-sample, the
in-sample closed trades, the rule's class). A class is a set of rules with identical fills in
every span (equal fingerprints, numbered in order of first appearance): the tuner's unit of
ranking, of the trial count and of CSCV. Per class: its block sums (2 of BLOCK_FIELDS, as CSCV
scores them) and, through Welford's update, the variance of the classes' in-sample Sharpe
ratios (the deflated Sharpe ratio's V). The best `top` classes keep every metric. With a CSV
requested, each chunk's rows are appended as they come.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NamedTuple

import numpy as np
from numba import njit

from backtests.cscv import cscv_sums
from backtests.sweep_kernel import METRICS
from backtests.tune_grid import Grid
from backtests.tune_sweep import ChunkOut

SHARPE, TRADES = METRICS.index("sharpe"), METRICS.index("trades")
CANDIDATES = 4096
"""Rows of a chunk sorted for the ranking when they hold `top` classes (else all are)."""


@njit(cache=True)
def _classes_nb(keys: np.ndarray, ids: np.ndarray, count: int, fingerprints: np.ndarray,
                out: np.ndarray) -> int:
    """Each fingerprint's class id (open addressing; a new fingerprint gets id `count`,
    then count + 1 ...). Returns the new count. The table must stay under half full."""
    size = keys.shape[0]
    for r in range(fingerprints.shape[0]):
        fp = fingerprints[r]
        slot = np.int64(fp % np.uint64(size))
        while ids[slot] >= 0 and keys[slot] != fp:
            slot += 1
            if slot == size:
                slot = np.int64(0)
        if ids[slot] < 0:
            keys[slot] = fp
            ids[slot] = count
            count += 1
        out[r] = ids[slot]
    return count


class ClassTable:
    """Fingerprint -> class id, in order of first appearance."""

    def __init__(self) -> None:
        self.keys = np.zeros(1024, np.uint64)
        self.ids = np.full(1024, -1, np.int64)
        self.count = 0

    def assign(self, fingerprints: np.ndarray) -> np.ndarray:
        if 2 * (self.count + len(fingerprints)) > len(self.keys):
            self._grow(2 * (self.count + len(fingerprints)))
        out = np.empty(len(fingerprints), np.int64)
        self.count = _classes_nb(self.keys, self.ids, self.count, fingerprints, out)
        return out

    def _grow(self, least: int) -> None:
        size = 1 << max(10, (2 * least - 1).bit_length())
        live = self.ids >= 0
        keys, ids = self.keys[live], self.ids[live]
        order = np.argsort(ids)
        self.keys, self.ids = np.zeros(size, np.uint64), np.full(size, -1, np.int64)
        _classes_nb(self.keys, self.ids, 0, keys[order], np.empty(len(keys), np.int64))


class Scores(NamedTuple):
    """Per grid row (row-major index)."""

    in_sample: np.ndarray  # the ranking metric (mean over folds)
    out_of_sample: np.ndarray  # NaN without an out-of-sample span
    trades: np.ndarray  # closed trades in-sample (mean over folds)
    klass: np.ndarray  # class id (int32)


class Ranked(NamedTuple):
    """One of the best classes: its first rule and every metric."""

    klass: int
    row: int
    score: float
    in_sample: np.ndarray  # METRICS
    out_of_sample: np.ndarray | None


@dataclass
class Welford:
    count: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, values: np.ndarray) -> None:
        """A batch merged in (Chan et al.'s pairwise update of Welford's sums)."""
        x = values[np.isfinite(values)]
        if len(x) == 0:
            return
        n, mean = len(x), float(np.mean(x))
        m2 = float(np.sum((x - mean) ** 2))
        total = self.count + n
        delta = mean - self.mean
        self.m2 += m2 + delta * delta * self.count * n / total
        self.mean += delta * n / total
        self.count = total

    @property
    def variance(self) -> float:
        return self.m2 / (self.count - 1) if self.count > 1 else 0.0


@dataclass
class TuneStream:
    grid: Grid
    metric: str
    folds: int  # in-sample spans (the rest of each chunk's spans are out-of-sample)
    min_trades: int
    top: int
    block_span: int
    csv_file: IO[str] | None = None
    scores: Scores = field(init=False)
    classes: ClassTable = field(default_factory=ClassTable)
    class_blocks: np.ndarray = field(init=False)  # per class: CSCV sums (rows up to count)
    first_row: np.ndarray = field(init=False)  # per class: its first grid row
    sharpes: Welford = field(default_factory=Welford)
    ranked: list[Ranked] = field(default_factory=list)
    eligible: int = 0

    def __post_init__(self) -> None:
        n = self.grid.size
        self.scores = Scores(np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan),
                             np.full(n, -1, np.int32))
        # room for every rule being a class of its own: np.empty takes memory only as the
        # classes are written, so RSS follows the distinct rules and nothing is ever copied
        self.class_blocks = np.empty((n, 0, 2))
        self.first_row = np.empty(n, np.int64)
        self._writer = csv.writer(self.csv_file) if self.csv_file is not None else None
        self.k = METRICS.index(self.metric)
        self.minimised = self.metric == "max_drawdown"

    def add(self, out: ChunkOut) -> None:
        in_sample = out.metrics[: self.folds].mean(axis=0)
        oos = out.metrics[self.folds :].mean(axis=0) if len(out.metrics) > self.folds else None
        rows, scores = out.rows, self.scores
        scores.in_sample[rows] = in_sample[:, self.k]
        scores.trades[rows] = in_sample[:, TRADES]
        if oos is not None:
            scores.out_of_sample[rows] = oos[:, self.k]
        before = self.classes.count
        ids = self.classes.assign(out.fingerprints)
        scores.klass[rows] = ids
        new = np.flatnonzero(ids >= before)
        new = new[np.unique(ids[new], return_index=True)[1]]  # first rule of each new class
        self.first_row[before : self.classes.count] = rows[new]
        self._keep_blocks(before, out.blocks[out.block_rows[new]])
        self.sharpes.add(out.metrics[self.block_span][new, SHARPE])
        self._rank(rows, ids, in_sample, oos)
        if self._writer is not None:
            self._write(rows, ids, in_sample, oos)

    def _keep_blocks(self, before: int, blocks: np.ndarray) -> None:
        if self.class_blocks.shape[1] != blocks.shape[1]:
            self.class_blocks = np.empty((self.grid.size, blocks.shape[1], 2))
        self.class_blocks[before : self.classes.count] = cscv_sums(blocks, self.metric)

    def blocks(self) -> np.ndarray:
        """classes x blocks x 2: the CSCV sums of every class (class id order)."""
        return self.class_blocks[: self.classes.count]

    def first_rows(self) -> np.ndarray:
        """The first grid row of each class (class id order)."""
        return self.first_row[: self.classes.count]

    def _rank(self, rows: np.ndarray, ids: np.ndarray, in_sample: np.ndarray,
              oos: np.ndarray | None) -> None:
        score = in_sample[:, self.k]
        ok = np.isfinite(score) & (in_sample[:, TRADES] >= self.min_trades)
        self.eligible += int(ok.sum())
        good = np.flatnonzero(ok)
        key = score[good] if self.minimised else -score[good]
        if len(good) > CANDIDATES:  # the best CANDIDATES rows cover `top` classes but rarely
            near = np.argpartition(key, CANDIDATES)[:CANDIDATES]
            cut = key[near].max()
            near = np.flatnonzero(key <= cut)  # every row tied with the last one too
            if len(np.unique(ids[good[near]])) >= self.top:
                good, key = good[near], key[near]
        good = good[np.argsort(key, kind="stable")]
        seen = {r.klass for r in self.ranked}
        for i in good:
            if len(seen) >= self.top and not self._better(score[i], self.ranked[-1].score):
                break
            if int(ids[i]) in seen:
                continue
            seen.add(int(ids[i]))
            self.ranked.append(Ranked(int(ids[i]), int(rows[i]), float(score[i]),
                                      in_sample[i].copy(), None if oos is None else oos[i].copy()))
            self.ranked.sort(key=lambda r: (r.score if self.minimised else -r.score, r.row))
            del self.ranked[self.top :]
            seen = {r.klass for r in self.ranked}

    def _better(self, a: float, b: float) -> bool:
        return a < b if self.minimised else a > b

    def _write(self, rows: np.ndarray, ids: np.ndarray, in_sample: np.ndarray,
               oos: np.ndarray | None) -> None:
        assert self._writer is not None
        if self.csv_file is not None and self.csv_file.tell() == 0:
            self._writer.writerow([*(p.name for p in self.grid.params),
                                   *(f"is_{m}" for m in METRICS),
                                   *((f"oos_{m}" for m in METRICS) if oos is not None else ()),
                                   "row", "same_as"])
        first = self.first_rows()[ids]
        values = [self.grid.values(rows, p) for p in self.grid.params]
        for i, row in enumerate(rows):
            self._writer.writerow([*("off" if v[i] is None else v[i] for v in values),
                                   *map(_cell, in_sample[i]),
                                   *(map(_cell, oos[i]) if oos is not None else ()),
                                   int(row), int(first[i])])


def _cell(value: float) -> str:
    return "" if not math.isfinite(value) else repr(float(value))


def open_csv(path: Path) -> IO[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", newline="", encoding="utf-8")
