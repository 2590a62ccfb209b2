"""`--grid PARAM=SPEC` parsing: a parameter name and its values, validated against a strategy.

SPEC is a range `start:stop:step` (stop included when the steps reach it, to within 1e-9 of a
step, so 0.05:0.40:0.01 has 36 values) or a list `a,b,c` (`none` switches a stop rule off).
PARAM is a stop (`stops.trailing_pct`) or a strategy parameter (`window`, or `swing.window`).
Every value is validated as `--set PARAM=VALUE` would be; errors are one line naming the flag.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from satellite.config import SatelliteConfig, StopsConfig
from satellite.errors import UserInputError
from strategies.base import Strategy
from strategies.registry import build_strategy
from strategies.stops import StopSpec, spec_numbers

MAX_RULES = 2_000_000
VECTOR_STOPS = frozenset({
    "fixed_pct", "trailing_pct", "trail_from", "atr_mult", "time_sessions", "take_profit_pct",
    "breaker_drawdown", "breaker_rearm_recovery", "breaker_rearm_sessions",
})
"""Stop keys that become sweep-kernel columns; other parameters change the kernel's inputs."""


@dataclass(frozen=True)
class GridParam:
    name: str  # "stops.trailing_pct" or a strategy parameter
    values: tuple[Any, ...]

    @property
    def is_stop(self) -> bool:
        return self.name.startswith("stops.")

    @property
    def vectorised(self) -> bool:
        return self.is_stop and self.name.removeprefix("stops.") in VECTOR_STOPS


def parse_spec(text: str, flag: str) -> tuple[Any, ...]:
    """The values of one SPEC: a range start:stop:step or a list a,b,c."""
    text = text.strip()
    if not text:
        raise UserInputError(f"{flag}: no values; write start:stop:step or a,b,c")
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise UserInputError(f"{flag}: a range is start:stop:step, e.g. 0.05:0.40:0.01")
        try:
            numbers = [float(part) for part in parts]
        except ValueError:
            raise UserInputError(
                f"{flag}: range bounds must be numbers, e.g. 0.05:0.40:0.01") from None
        start, stop, step = numbers
        if not step > 0 or not all(math.isfinite(x) for x in numbers):
            raise UserInputError(f"{flag}: the step must be a positive number")
        if stop < start:
            raise UserInputError(f"{flag}: empty range (stop {parts[1]} is below start {parts[0]})")
        count = math.floor((stop - start) / step + 1e-9) + 1
        integral = all(_is_int(part) for part in parts)
        values = [start + i * step for i in range(count)]
        return tuple(round(v) if integral else round(v, 12) for v in values)
    items = [item.strip() for item in text.split(",")]
    if any(not item for item in items):
        raise UserInputError(f"{flag}: empty item in the list {text!r}; write a,b,c")
    return tuple(dict.fromkeys(_number(item) for item in items))


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _number(text: str) -> Any:
    if text.lower() in {"none", "null", "off"}:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def parse_grid(
    pairs: list[str], strategy_name: str, settings: SatelliteConfig,
    strategies: dict[str, type[Strategy]],
) -> list[GridParam]:
    """The --grid options as validated parameters (unknown names: "did you mean")."""
    if not pairs:
        raise UserInputError(
            "give at least one --grid PARAM=SPEC, e.g. --grid stops.trailing_pct=0.05:0.3:0.01")
    build_strategy(strategy_name, settings, strategies=strategies)  # unknown strategy: one line
    cls = strategies[strategy_name]
    known = [f"stops.{key}" for key in StopsConfig.model_fields] + list(cls.Params.model_fields)
    params: list[GridParam] = []
    for pair in pairs:
        name, sep, spec = pair.partition("=")
        name = name.strip()
        flag = f"--grid {pair}"
        if not sep or not name:
            raise UserInputError(f"{flag}: write it as PARAM=SPEC, e.g. stops.trailing_pct=0.05:0.3:0.01")
        name = name.removeprefix(f"{strategy_name}.")
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            detail = f"did you mean {hint[0]!r}?" if hint else f"known: {', '.join(known)}"
            raise UserInputError(f"{flag}: unknown parameter {name!r} of {strategy_name}; {detail}")
        if any(param.name == name for param in params):
            raise UserInputError(f"{flag}: {name} is given twice; give each parameter once")
        values = parse_spec(spec, flag)
        for value in values:  # each value must pass the same validation as --set
            try:
                build_strategy(strategy_name, settings, {name: _text(value)}, strategies)
            except UserInputError as err:
                raise UserInputError(f"{flag}: value {value!r}: {err}") from None
        params.append(GridParam(name, values))
    size = math.prod(len(param.values) for param in params)
    if size > MAX_RULES:
        raise UserInputError(f"the grid has {size:,} rules, more than {MAX_RULES:,}; use coarser steps")
    return params


def _text(value: Any) -> str:
    return "none" if value is None else str(value)


@dataclass(frozen=True)
class Grid:
    """Every rule of the --grid options, by index in row-major order (the first option varies
    slowest); nothing is stored per rule: a rule's parameters come from its index."""

    params: tuple[GridParam, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(param.values) for param in self.params)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def rule(self, index: int) -> dict[str, Any]:
        """The parameters of rule `index` (name -> value)."""
        coords = np.unravel_index(int(index), self.shape)
        return {param.name: param.values[int(c)] for param, c in zip(self.params, coords, strict=True)}

    def fixed(self) -> list[int]:
        """Positions of the parameters that change the kernel's inputs (one run per value)."""
        return [d for d, param in enumerate(self.params) if not param.vectorised]

    def groups(self) -> Iterator[tuple[dict[str, Any], np.ndarray]]:
        """(the input-changing parameters' values, the rows of the rules that share them)."""
        fixed = self.fixed()
        shape = self.shape
        inner = [n if d not in fixed else 1 for d, n in enumerate(shape)]
        local = np.indices(inner).reshape(len(shape), -1)
        for point in itertools.product(*(range(shape[d]) for d in fixed)):
            coords = local.copy()
            for d, c in zip(fixed, point, strict=True):
                coords[d] = c
            values = {self.params[d].name: self.params[d].values[c]
                      for d, c in zip(fixed, point, strict=True)}
            yield values, np.asarray(np.ravel_multi_index(tuple(coords), shape))

    def columns(self, rows: np.ndarray, base: dict[str, float]) -> dict[str, np.ndarray]:
        """Stop fields of `rows` as spec_numbers columns: base, overridden by the grid."""
        columns: dict[str, np.ndarray] = {name: np.full(len(rows), value)
                                          for name, value in base.items()}
        coords = np.unravel_index(rows, self.shape)
        for param, coord in zip(self.params, coords, strict=True):
            if param.vectorised:
                columns[param.name.removeprefix("stops.")] = self._numbers[param.name][coord]
        return columns

    @cached_property
    def _numbers(self) -> dict[str, np.ndarray]:
        """Each stop parameter's values in spec_numbers' form (computed once, not per chunk)."""
        numbers = {}
        for param in self.params:
            if param.vectorised:
                key = param.name.removeprefix("stops.")
                numbers[param.name] = np.array([spec_numbers(StopSpec(**{key: value}))[key]
                                                for value in param.values])
        return numbers

    def values(self, rows: np.ndarray, param: GridParam) -> np.ndarray:
        """The values of one parameter for many rules (object array: None is off)."""
        d = self.params.index(param)
        table = np.empty(len(param.values), dtype=object)
        table[:] = list(param.values)
        return table[np.unravel_index(rows, self.shape)[d]]


def overrides(rule: dict[str, Any]) -> dict[str, str]:
    """A rule as `--set` overrides (what `satellite backtest --set` would take)."""
    return {name: _text(value) for name, value in rule.items()}
