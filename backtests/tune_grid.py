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
from dataclasses import dataclass
from typing import Any

from satellite.config import SatelliteConfig, StopsConfig
from satellite.errors import UserInputError
from strategies.base import Strategy
from strategies.registry import build_strategy

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


def combinations(params: list[GridParam]) -> list[dict[str, Any]]:
    """Every rule of the grid, in row-major order of the --grid options."""
    names = [param.name for param in params]
    return [dict(zip(names, values, strict=True))
            for values in itertools.product(*(param.values for param in params))]


def overrides(rule: dict[str, Any]) -> dict[str, str]:
    """A rule as `--set` overrides (what `satellite backtest --set` would take)."""
    return {name: _text(value) for name, value in rule.items()}
