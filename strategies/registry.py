"""Find strategies by name and build them with validated parameters from config.toml."""

from __future__ import annotations

import difflib

from pydantic import ValidationError

from satellite.config import SatelliteConfig
from satellite.errors import StrategyError
from strategies.base import Strategy
from strategies.core_satellite import CoreSatellite

BUILT_IN: dict[str, type[Strategy]] = {CoreSatellite.name: CoreSatellite}


def available() -> dict[str, type[Strategy]]:
    return dict(BUILT_IN)


def build_strategy(name: str, settings: SatelliteConfig) -> Strategy:
    strategies = available()
    if name not in strategies:
        hint = difflib.get_close_matches(name, strategies, n=1)
        suggestion = f"did you mean {hint[0]!r}?" if hint else f"known: {', '.join(strategies)}"
        raise StrategyError(f"unknown strategy {name!r}; {suggestion}")
    cls = strategies[name]
    raw = settings.strategies.get(name, {})
    try:
        params = cls.Params.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        if first["type"] == "extra_forbidden":
            hint = difflib.get_close_matches(key, cls.Params.model_fields, n=1)
            detail = f"unknown parameter; did you mean {hint[0]!r}?" if hint else "unknown parameter"
        else:
            detail = first["msg"]
        raise StrategyError(f"strategies.{name}.{key}: {detail}") from None
    return cls(params, settings.portfolio, settings.stops)
