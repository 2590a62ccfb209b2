"""--grid parsing: ranges with float steps, lists, and one-line errors (exit 2)."""

from __future__ import annotations

import pytest

from backtests.tune_grid import Grid, parse_grid, parse_spec
from satellite.config import SatelliteConfig
from satellite.errors import UserInputError
from strategies.registry import available
from tests.conftest import Invoke


def test_a_float_range_includes_its_stop() -> None:
    values = parse_spec("0.05:0.40:0.01", "--grid x")
    assert len(values) == 36
    assert values[0] == 0.05 and values[-1] == 0.40 and values[7] == 0.12
    assert parse_spec("0.1:0.3:0.1", "f") == (0.1, 0.2, 0.3)  # 0.1 + 2 x 0.1 > 0.3 in floats
    assert parse_spec("10:40:10", "f") == (10, 20, 30, 40)
    assert parse_spec("0.1,none,0.3", "f") == (0.1, None, 0.3)


@pytest.mark.parametrize(("spec", "message"), [
    ("0.3:0.1:0.01", "empty range"),
    ("0.1:0.3:0", "step must be a positive"),
    ("0.1:0.3", "start:stop:step"),
    ("a:b:c", "must be numbers"),
    ("", "no values"),
    ("0.1,,0.2", "empty item"),
])
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        parse_spec(spec, "--grid p")


def test_names_and_values_are_validated() -> None:
    settings, found = SatelliteConfig(), available()
    with pytest.raises(UserInputError, match=r"did you mean 'stops\.trailing_pct'"):
        parse_grid(["stops.trailng_pct=0.1,0.2"], "core_satellite", settings, found)
    with pytest.raises(UserInputError, match=r"value 1\.5"):
        parse_grid(["stops.fixed_pct=0.5,1.5"], "core_satellite", settings, found)
    with pytest.raises(UserInputError, match="given twice"):
        parse_grid(["stops.fixed_pct=0.1", "stops.fixed_pct=0.2"], "core_satellite", settings, found)
    params = parse_grid(["swing.window=10:30:10", "stops.atr_mult=2,3"], "swing", settings, found)
    assert [p.name for p in params] == ["window", "stops.atr_mult"]
    assert not params[0].vectorised and params[1].vectorised
    grid = Grid(tuple(params))
    assert grid.size == 6 and grid.rule(5) == {"window": 30, "stops.atr_mult": 3}
    groups = list(grid.groups())
    assert [values for values, _ in groups] == [{"window": 10}, {"window": 20}, {"window": 30}]
    assert [rows.tolist() for _, rows in groups] == [[0, 1], [2, 3], [4, 5]]


@pytest.mark.parametrize("args", [
    ["--grid", "stops.trailing_pct=0.4:0.1:0.01"],
    ["--grid", "stops.trailng_pct=0.1"],
    ["--grid", "stops.trailing_pct"],
    [],
    ["--grid", "stops.trailing_pct=0.1", "--metric", "sharp"],
    ["--grid", "stops.trailing_pct=0.1", "--executor", "spark"],
])
def test_cli_errors_are_one_line_exit_2(invoke: Invoke, args: list[str]) -> None:
    result = invoke("tune", "core_satellite", *args)
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1
