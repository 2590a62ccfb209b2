"""How much of a tune's winner is luck: PBO, deflated Sharpe, plateau, equivalent rules, flag.

A ranked rule is flagged over-fitted when the search's PBO (backtests/cscv.py) is above
PBO_LIMIT or its deflated Sharpe probability (backtests/deflated.py) is below
deflated.THRESHOLD (an undefined one counts as below); `reasons` says which in plain words.
Trials are classes (rules with identical fills in every span count once). Rules of one class
are one ranked row whose `equivalent` lists every parameter value its rules take. The plateau
(backtests/plateau.py) is reported beside; a lone spike is marked, not flagged by itself.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from backtests.cscv import Cscv, cscv
from backtests.deflated import THRESHOLD, DeflatedSharpe, deflated_sharpe
from backtests.plateau import Plateau, plateau
from backtests.sweep_kernel import METRICS
from backtests.tune_folds import Span
from backtests.tune_grid import Grid
from backtests.tune_stream import TuneStream
from backtests.tune_sweep import Sweeper

PBO_LIMIT = 0.5


class Equivalent(NamedTuple):
    """The rules with a ranked rule's fills (itself included)."""

    rules: int
    values: dict[str, list[Any]]  # parameter -> every value those rules take, sorted

    def as_json(self) -> dict[str, object]:
        return {"rules": self.rules, "params": self.values}

    def text(self, grid: Grid) -> str:
        """'fixed_pct 0.12-0.30' for each parameter with more than one value."""
        parts = []
        for param in grid.params:
            values = self.values[param.name]
            if len(values) > 1:
                name = param.name.removeprefix("stops.")
                parts.append(f"{name} {_label(values[0])}-{_label(values[-1])}"
                             if _contiguous(values, param.values) else
                             f"{name} {','.join(map(_label, values))}")
        return "; ".join(parts)


class TopRule(NamedTuple):
    rank: int
    row: int
    params: dict[str, Any]
    in_sample: dict[str, float]
    out_of_sample: dict[str, float] | None
    deflated: DeflatedSharpe
    plateau: Plateau
    equivalent: Equivalent
    flagged: bool
    reasons: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {"rank": self.rank, "params": self.params, "in_sample": _metrics(self.in_sample),
                "out_of_sample": _metrics(self.out_of_sample),
                "deflated_sharpe": self.deflated.as_json(), "plateau": self.plateau.as_json(),
                "equivalent": self.equivalent.as_json(), "flagged": self.flagged,
                "reasons": list(self.reasons)}


class Honesty(NamedTuple):
    cscv: Cscv
    span: Span  # the in-sample span CSCV and the deflated Sharpe ratio look at
    trials: int  # classes of rules
    top: list[TopRule]

    def explanation(self) -> str | None:
        """One line on the winner when it is flagged (None: not flagged)."""
        if not self.top or not self.top[0].flagged:
            return None
        return ("over-fitted: " + "; ".join(self.top[0].reasons)
                + " - expect the out-of-sample result to be much worse than in-sample")


def _label(value: Any) -> str:
    return "off" if value is None else str(value)


def _contiguous(values: list[Any], grid_values: tuple[Any, ...]) -> bool:
    at = sorted(grid_values.index(v) for v in values)
    return at[-1] - at[0] == len(at) - 1


def _metrics(values: dict[str, float] | None) -> dict[str, float | None] | None:
    if values is None:
        return None
    return {key: (None if math.isnan(v) else v) for key, v in values.items()}


def equivalent(grid: Grid, classes: np.ndarray, klass: int) -> Equivalent:
    rows = np.flatnonzero(classes == klass)
    values = {}
    for param in grid.params:
        taken = set(grid.values(rows, param).tolist())
        values[param.name] = [v for v in param.values if v in taken]
    return Equivalent(len(rows), values)


def reasons(pbo: float, deflated: DeflatedSharpe) -> tuple[str, ...]:
    out = []
    if pbo > PBO_LIMIT:
        out.append(f"PBO {pbo:.2f} > {PBO_LIMIT}: in {pbo:.0%} of the in/out-of-sample splits "
                   "the in-sample best ranked at or below the median rule out of sample")
    if not deflated.probability >= THRESHOLD:
        chance = ("undefined" if math.isnan(deflated.probability)
                  else f"{deflated.probability:.2f} < {THRESHOLD}")
        out.append(f"deflated Sharpe probability {chance}: after {deflated.trials:,} distinct "
                   f"rules, luck alone reaches a Sharpe of {deflated.expected_max:.2f}")
    return tuple(out)


def assess(stream: TuneStream, sweeper: Sweeper, span: Span, seed: int = 0) -> Honesty:
    """PBO of the search, then each ranked class: deflated Sharpe (its returns re-run over
    the span), plateau, equivalent rules, flag."""
    grid, scores = sweeper.grid, stream.scores
    found = cscv(stream.blocks(), span.sessions, stream.metric, seed)
    trials = stream.classes.count
    finite = scores.in_sample[np.isfinite(scores.in_sample)]
    median = float(np.median(finite)) if len(finite) else math.nan
    top = []
    for rank, ranked in enumerate(stream.ranked, start=1):
        dsr = deflated_sharpe(sweeper.returns(ranked.row, span), trials, stream.sharpes.variance)
        why = reasons(found.pbo, dsr)
        top.append(TopRule(rank, ranked.row, grid.rule(ranked.row), _named(ranked.in_sample),
                           None if ranked.out_of_sample is None else _named(ranked.out_of_sample),
                           dsr, plateau(ranked.row, scores.in_sample, grid.shape,
                                        stream.minimised, median),
                           equivalent(grid, scores.klass, ranked.klass), bool(why), why))
    return Honesty(found, span, trials, top)


def _named(values: np.ndarray) -> dict[str, float]:
    return dict(zip(METRICS, map(float, values), strict=True))
