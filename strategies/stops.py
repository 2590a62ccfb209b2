"""Stop rules as data: one frozen spec, read from [stops] and overridable per strategy.

Every rule is long-only and applies to satellites (the core is never stopped). Levels are
decided from data known before the bar they guard and checked against the bar's low/high:

- fixed:     entry x (1 - fixed_pct)
- trailing:  max(entry, highest high or close since entry, up to the previous bar) x (1 - pct)
- atr:       the same trailing reference - atr_mult x ATR(atr_window) at the previous close
             (ATR is the simple mean of the true range over the window)
- time:      sold at the open after the position was held `time_sessions` sessions
- take-profit: entry x (1 + take_profit_pct), a limit above the price
- breaker:   when portfolio value falls more than breaker_drawdown below its peak at a close,
             every satellite is sold at the next open and no satellite is bought until it is
             re-armed: drawdown back within breaker_rearm_recovery, or breaker_rearm_sessions
             sessions after the trip; the peak restarts from the re-arm close.

A bar whose open is already through a level fills at the open (gap-through); otherwise the
stop fills at its level. When a protective stop and the take-profit could both fill in one
bar, the stop is assumed to come first (the conservative reading of a daily bar).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np
from numba import njit

from satellite.config import StopsConfig

REASONS: tuple[str, ...] = (
    "signal", "stop_fixed", "stop_trailing", "stop_atr", "time", "take_profit", "breaker",
    "end_of_data", "cap",
)
"""Exit reasons by code; "cap" marks a partial sale that trims a satellite to its cap."""

SIGNAL, STOP_FIXED, STOP_TRAILING, STOP_ATR, TIME, TAKE_PROFIT, BREAKER, END_OF_DATA, CAP = range(9)
ENTRY = -1
"""Reason code of a buy fill."""
NO_STOP = -1
"""Reason code of a stop level when no protective rule is on."""


@dataclass(frozen=True)
class StopSpec:
    """All stop rules of one run; None switches a rule off."""

    fixed_pct: float | None = None
    trailing_pct: float | None = None
    trail_from: Literal["high", "close"] = "high"
    atr_mult: float | None = None
    atr_window: int = 14
    time_sessions: int | None = None
    take_profit_pct: float | None = None
    breaker_drawdown: float | None = None
    breaker_rearm_recovery: float | None = None
    breaker_rearm_sessions: int | None = None

    @classmethod
    def from_config(cls, stops: StopsConfig) -> StopSpec:
        fields = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in stops.model_dump().items() if key in fields})

    def merged(self, overrides: dict[str, Any]) -> StopSpec:
        return replace(self, **overrides)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def rule(self) -> np.void:
        """The spec as one RULE record (numpy.void) for the kernels and stop_level_nb."""
        return rule_table([self])[0]


RULE = np.dtype([
    ("fixed_pct", np.float64),          # NaN: off
    ("trailing_pct", np.float64),       # NaN: off
    ("trail_from_close", np.bool_),     # trail the highest close instead of the highest high
    ("atr_mult", np.float64),           # NaN: off (ATR comes in as an array, see atr_before_bar)
    ("time_sessions", np.float64),      # NaN: off
    ("take_profit_pct", np.float64),    # NaN: off
    ("breaker_drawdown", np.float64),   # NaN: off
    ("rearm_recovery", np.float64),     # drawdown to re-arm at (default: half the trip)
    ("rearm_sessions", np.int64),       # -1: off
], align=True)
"""A stop rule as the kernels read it: one record, every field by name."""


def rule_table(specs: list[StopSpec]) -> np.ndarray:
    """The RULE records of several specs (rows of a sweep)."""
    rows = [spec_numbers(spec) for spec in specs]
    return rule_columns({name: np.array([row[name] for row in rows], dtype=np.float64)
                         for name in StopSpec.__dataclass_fields__}, len(specs))


def spec_numbers(spec: StopSpec) -> dict[str, float]:
    """A spec's fields as numbers (None: NaN; trail_from: 1.0 for "close"), rule_columns'
    input."""
    numbers = {name: _nan(value) for name, value in spec.as_dict().items() if name != "trail_from"}
    numbers["trail_from"] = 1.0 if spec.trail_from == "close" else 0.0
    return numbers


def rule_columns(columns: dict[str, np.ndarray], count: int) -> np.ndarray:
    """RULE records from one array (or number) per StopSpec field in spec_numbers' form: a
    sweep builds its grid's rules with numpy, no spec per rule."""
    table = np.zeros(count, dtype=RULE)
    for name in ("fixed_pct", "trailing_pct", "atr_mult", "time_sessions", "take_profit_pct",
                 "breaker_drawdown"):
        table[name] = columns[name]
    table["trail_from_close"] = np.asarray(columns["trail_from"]) == 1.0
    recovery = np.broadcast_to(np.asarray(columns["breaker_rearm_recovery"], np.float64), count)
    table["rearm_recovery"] = np.where(np.isnan(recovery), table["breaker_drawdown"] / 2, recovery)
    sessions = np.broadcast_to(np.asarray(columns["breaker_rearm_sessions"], np.float64), count)
    table["rearm_sessions"] = np.where(np.isnan(sessions) | (sessions == 0), -1,
                                       np.nan_to_num(sessions)).astype(np.int64)
    return table


def canonical_rules(table: np.ndarray) -> np.ndarray:
    """The same RULE records with every field that can never act switched off, so rules that
    differ only there are seen to be one (a sweep runs it once):
    - a fixed stop at or above the trailing one (fixed_pct >= trailing_pct): the fixed level
      entry x (1 - fixed) is never above max(entry, reference) x (1 - trailing), and
      stop_level_nb keeps the highest, so the level (and every fill) is the trailing rule's;
    - the re-arm fields of a rule without a breaker."""
    out = table.copy()
    never = ~np.isnan(out["trailing_pct"]) & (out["fixed_pct"] >= out["trailing_pct"])
    out["fixed_pct"][never] = np.nan
    off = np.isnan(out["breaker_drawdown"])
    out["rearm_recovery"][off] = np.nan
    out["rearm_sessions"][off] = -1
    return out


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """max(high - low, |high - previous close|, |low - previous close|); NaN where unlisted."""
    previous = np.vstack([np.full((1, close.shape[1]), np.nan), close[:-1]])
    ranges = np.stack([high - low, np.abs(high - previous), np.abs(low - previous)])
    out = np.nanmax(np.where(np.isnan(ranges), -np.inf, ranges), axis=0)
    out[np.isnan(high - low)] = np.nan
    return out


def atr_before_bar(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, window: int
) -> np.ndarray:
    """ATR known at the open of each bar: the mean true range of the `window` bars before it.

    Row t is the mean over rows t - window .. t - 1 (NaN until a full window exists), so a
    stop checked during bar t never uses bar t's own range.
    """
    return _window_means_nb(true_range(high, low, close), window)


@njit(cache=True)
def _window_means_nb(ranges: np.ndarray, window: int) -> np.ndarray:
    """Row t: the mean of rows t - window .. t - 1, summed in row order as numpy's mean over
    axis 0 does (NaN when one is NaN, and for the first `window` rows)."""
    sessions, columns = ranges.shape
    out = np.full((sessions, columns), np.nan)
    for t in range(window, sessions):
        for j in range(columns):
            total = 0.0
            for k in range(t - window, t):
                total += ranges[k, j]
            out[t, j] = total / window
    return out
