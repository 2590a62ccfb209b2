"""Find strategies by name and build them with validated parameters.

Every module in strategies/ (built-in or a user's file dropped there) is imported and each
Strategy subclass *defined in that file* with a `name` is registered. A file that fails to
import is reported (`load_errors`), not fatal. Parameters come from config.toml
[strategies.NAME] (a [strategies.NAME.stops] table overrides [stops] for that strategy) and
from `--set key=value` (`--set stops.trailing_pct=0.1` for a stop); unknown names are
refused with the nearest valid one.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import ValidationError

from satellite.config import SatelliteConfig, StopsConfig
from satellite.config_errors import describe_error
from satellite.errors import StrategyError
from strategies.base import Strategy
from strategies.stops import StopSpec

PACKAGE_DIR = Path(__file__).resolve().parent
NOT_STRATEGIES = {"__init__", "base", "registry", "stops", "stop_level", "filters"}
NONE_WORDS = {"none", "null", "off"}


@dataclass
class Discovery:
    strategies: dict[str, type[Strategy]] = field(default_factory=dict)
    load_errors: list[str] = field(default_factory=list)


def discover(user_dir: Path | None = None) -> Discovery:
    """The built-in strategies, then those defined in user_dir's .py files (when it exists).

    Import failures of user files are collected in load_errors, not raised.
    """
    found = Discovery()
    _collect(PACKAGE_DIR, found)
    if user_dir is not None and user_dir.is_dir():
        _collect(user_dir, found)
    return found


def _collect(directory: Path, found: Discovery) -> None:
    for path in sorted(directory.glob("*.py")):
        if path.stem in NOT_STRATEGIES or path.stem.startswith("_"):
            continue
        try:
            module = _import(path, directory)
        except Exception as err:  # a user's file may fail in any way: report it, go on
            found.load_errors.append(f"{path}: {type(err).__name__}: {err}")
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (issubclass(cls, Strategy) and cls is not Strategy
                    and cls.__module__ == module.__name__ and "name" in cls.__dict__):
                if cls.name in found.strategies:
                    found.load_errors.append(f"{path}: strategy {cls.name!r} defined twice")
                    continue
                found.strategies[cls.name] = cls


def _import(path: Path, directory: Path) -> ModuleType:
    if directory == PACKAGE_DIR:
        return importlib.import_module(f"strategies.{path.stem}")
    name = f"satellite_user_strategies.{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def available(user_dir: Path | None = None) -> dict[str, type[Strategy]]:
    return discover(user_dir).strategies


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """`key=value` strings from --set, as a dict (the last one wins)."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise StrategyError(f"--set {pair!r}: write it as key=value, e.g. --set tol=0.03")
        out[key.strip()] = value.strip()
    return out


def build_strategy(
    name: str,
    settings: SatelliteConfig,
    overrides: dict[str, str] | None = None,
    strategies: dict[str, type[Strategy]] | None = None,
) -> Strategy:
    """The named strategy with [strategies.NAME] and --set parameters validated."""
    strategies = strategies if strategies is not None else available()
    if name not in strategies:
        hint = difflib.get_close_matches(name, strategies, n=1)
        suggestion = f"did you mean {hint[0]!r}?" if hint else f"known: {', '.join(strategies)}"
        raise StrategyError(f"unknown strategy {name!r}; {suggestion}")
    cls = strategies[name]
    raw = dict(settings.strategies.get(name, {}))
    stop_raw: dict[str, Any] = dict(raw.pop("stops", {}) or {})
    for key, value in (overrides or {}).items():
        if key.startswith("stops."):
            stop_raw[key.removeprefix("stops.")] = _value(value)
        else:
            raw[key] = _value(value)
    params = _validate(cls.Params, raw, f"strategies.{name}")
    stops = _validate(StopsConfig, {**settings.stops.model_dump(), **stop_raw},
                      f"strategies.{name}.stops")
    strategy = cls(params, settings.portfolio, stops)
    strategy.stop_spec = StopSpec.from_config(stops)
    return strategy


def _value(text: Any) -> Any:
    if isinstance(text, str):
        if text.lower() in NONE_WORDS:
            return None
        if text.startswith("[") and text.endswith("]"):
            return [item.strip().strip("'\"") for item in text[1:-1].split(",") if item.strip()]
    return text


def _validate(model: Any, raw: dict[str, Any], where: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        raise StrategyError(f"{where}.{describe_error(err, model)}") from None


def describe(cls: type[Strategy]) -> list[tuple[str, str, str]]:
    """(name, default, description) of each parameter, for `backtest --list`."""
    rows = []
    for key, info in cls.Params.model_fields.items():
        rows.append((key, repr(info.default), info.description or ""))
    return rows
