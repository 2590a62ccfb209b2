"""Discovery by subclass, import failures reported, parameters from config and --set."""

from __future__ import annotations

from pathlib import Path

import pytest

from satellite.config import SatelliteConfig, parse_config
from satellite.errors import StrategyError
from strategies.registry import build_strategy, discover, parse_overrides

HERE = Path(__file__).parent


def test_built_ins_are_discovered_without_errors() -> None:
    found = discover()
    assert found.load_errors == []
    assert {"core_satellite", "event_pullback", "no_chase", "swing", "relative_strength"} <= set(
        found.strategies)


def test_a_broken_file_is_reported_not_fatal() -> None:
    found = discover(HERE / "broken")
    user = set(found.strategies) - set(discover().strategies)
    assert user == {"fine"}  # only classes defined in each file
    assert len(found.load_errors) == 1 and "broken.py" in found.load_errors[0]


def test_unknown_parameter_gets_did_you_mean() -> None:
    with pytest.raises(StrategyError, match="did you mean 'window'"):
        build_strategy("swing", SatelliteConfig(), {"windo": "3"})
    with pytest.raises(StrategyError, match="did you mean 'trailing_pct'"):
        build_strategy("swing", SatelliteConfig(), {"stops.trailing_pc": "0.1"})
    with pytest.raises(StrategyError, match="did you mean 'swing'"):
        build_strategy("swimg", SatelliteConfig())


def test_config_then_set_overrides() -> None:
    settings = parse_config({"strategies": {"swing": {"window": 30, "stops": {"fixed_pct": 0.1}}}})
    strategy = build_strategy("swing", settings)
    assert strategy.params.window == 30  # type: ignore[attr-defined]
    assert strategy.stop_spec.fixed_pct == 0.1
    assert strategy.stop_spec.trailing_pct == 0.15  # [stops] default kept
    strategy = build_strategy("swing", settings, parse_overrides(
        ["window=12", "mode=breakout", "stops.trailing_pct=none", "chase_above_pct=0.2"]))
    assert strategy.params.window == 12  # type: ignore[attr-defined]
    assert strategy.params.mode == "breakout"  # type: ignore[attr-defined]
    assert strategy.stop_spec.trailing_pct is None
    with pytest.raises(StrategyError, match="window"):
        build_strategy("swing", settings, {"window": "abc"})
    with pytest.raises(StrategyError, match="key=value"):
        parse_overrides(["window"])
