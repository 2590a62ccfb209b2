"""Editing config.toml in place (tomlkit) and `satellite tune --adopt N`."""

from __future__ import annotations

import difflib
import json
import tomllib
from pathlib import Path

import pytest

from satellite.config import load_config, parse_config
from satellite.config_edit import edit_config, set_values
from satellite.errors import ConfigError, UserInputError
from satellite_cli.tune_adopt import chosen_record, target_tables
from tests.conftest import Invoke

SHIPPED = Path(__file__).parents[2] / "config.toml"


def changed_lines(old: str, new: str) -> list[str]:
    return [line for line in difflib.ndiff(old.splitlines(), new.splitlines())
            if line.startswith(("- ", "+ "))]


def test_a_changed_key_keeps_its_comment_and_every_other_byte() -> None:
    old = SHIPPED.read_text()
    new = set_values(old, ("stops",), {"trailing_pct": 0.12})
    assert changed_lines(old, new) == [
        "- trailing_pct = 0.15            # stop at the highest price since entry x (1 - 0.15)",
        "+ trailing_pct = 0.12            # stop at the highest price since entry x (1 - 0.15)"]


def test_a_new_key_takes_the_place_of_its_commented_line_or_follows_the_last_key() -> None:
    old = SHIPPED.read_text()
    new = set_values(old, ("stops",), {"fixed_pct": 0.08, "breaker_rearm_recovery": 0.05})
    assert changed_lines(old, new) == [
        "- # fixed_pct = 0.10             # stop at entry x (1 - 0.10)",
        "+ fixed_pct = 0.08             # stop at entry x (1 - 0.10)",
        "- # breaker_rearm_recovery = 0.075  # re-arm once drawdown is back within this (default half)",
        "+ breaker_rearm_recovery = 0.05  # re-arm once drawdown is back within this (default half)"]
    # no commented line among the table's keys: right after the last key, not after the
    # commented-out [strategies...] examples that follow [stops]
    plain = "[stops]\ntrailing_pct = 0.15  # mine\n\n# [strategies.swing]\n# fixed_pct = 1\n"
    assert set_values(plain, ("stops",), {"fixed_pct": 0.05}) == (
        "[stops]\ntrailing_pct = 0.15  # mine\nfixed_pct = 0.05\n\n# [strategies.swing]\n# fixed_pct = 1\n")


def test_off_switches_a_rule_off_and_reads_back() -> None:
    new = set_values(SHIPPED.read_text(), ("stops",), {"trailing_pct": None, "atr_mult": 2.5})
    stops = parse_config(tomllib.loads(new)).stops
    assert stops.trailing_pct is None and stops.atr_mult == 2.5
    assert 'trailing_pct = "off"' in new


def test_tables_are_created_and_inline_tables_edited() -> None:
    created = set_values('[portfolio]\ncore = "NVDA"\n', ("strategies", "swing", "stops"), {"fixed_pct": 0.1})
    assert created == (
        '[portfolio]\ncore = "NVDA"\n\n[strategies.swing.stops]\nfixed_pct = 0.1\n')
    inline = '[strategies.swing]\nwindow = 20\nstops = { trailing_pct = 0.2 }\n'
    edited = tomllib.loads(set_values(inline, ("strategies", "swing", "stops"), {"fixed_pct": 0.05}))
    assert edited["strategies"]["swing"]["stops"] == {"trailing_pct": 0.2, "fixed_pct": 0.05}


def test_an_invalid_result_is_refused_and_the_file_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(SHIPPED.read_text())
    with pytest.raises(ConfigError, match=r"stops\.fixed_pct"):
        edit_config(path, {("stops",): {"fixed_pct": 2.0}})
    assert path.read_text() == SHIPPED.read_text()
    assert [p.name for p in tmp_path.glob("*config.toml*")] == ["config.toml"]  # no temporary file
    change = edit_config(path, {("stops",): {"trailing_pct": 0.1}})
    assert change.changed and change.diff().count("\n+trailing_pct") == 1
    assert load_config(path).settings.stops.trailing_pct == 0.1


def test_the_strategy_table_is_chosen_when_the_config_has_one() -> None:
    params = {"stops.trailing_pct": 0.1, "tol": 0.03}
    assert target_tables("[stops]\n", "event_pullback", params) == {
        ("stops",): {"trailing_pct": 0.1}, ("strategies", "event_pullback"): {"tol": 0.03}}
    own = "[strategies.event_pullback.stops]\nfixed_pct = 0.1\n"
    assert target_tables(own, "event_pullback", {"stops.trailing_pct": 0.1}) == {
        ("strategies", "event_pullback", "stops"): {"trailing_pct": 0.1}}


def test_a_flagged_rule_needs_force_and_a_missing_flag_is_not_flagged() -> None:
    records = [{"rank": 1, "params": {"stops.trailing_pct": 0.3}, "flagged": True},
               {"rank": 2, "params": {"stops.trailing_pct": 0.2}}]
    with pytest.raises(UserInputError, match="over-fitted; pick another, or pass --force"):
        chosen_record(records, 1, force=False)
    assert chosen_record(records, 1, force=True) is records[0]
    assert chosen_record(records, 2, force=False) is records[1]
    with pytest.raises(UserInputError, match=r"1\.\.2"):
        chosen_record(records, 3, force=False)


def test_tune_adopt_changes_only_the_stops_lines(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(SHIPPED.read_text())
    grid = ["--grid", "stops.trailing_pct=0.1,0.2", "--grid", "stops.fixed_pct=none,0.3"]
    flagged = json.loads(invoke("tune", "core_satellite", *grid, "--json").output)["top"][0]["flagged"]
    if flagged:  # four rules over the default span do not beat luck: refused without --force
        refused = invoke("--config", str(path), "tune", "core_satellite", *grid, "--adopt", "1")
        assert refused.exit_code == 2 and "over-fitted" in refused.output
        assert path.read_text() == SHIPPED.read_text()
    result = invoke("--config", str(path), "tune", "core_satellite", *grid, "--adopt", "1", "--force")
    assert result.exit_code == 0, result.output
    new = path.read_text()
    changed = changed_lines(SHIPPED.read_text(), new)
    assert changed and all(line[2:].lstrip("# ").startswith(("trailing_pct", "fixed_pct"))
                           for line in changed)
    assert "adopted rule 1 into [stops]" in result.output and f"+++ {path}" in result.output
    check = json.loads(invoke("--config", str(path), "config", "check", "--json").output)
    stops = parse_config(tomllib.loads(new)).stops
    assert check["config"]["stops"]["trailing_pct"] == stops.trailing_pct in (0.1, 0.2)
    refused = invoke("--config", str(path), "tune", "core_satellite", "--grid", "stops.trailing_pct=0.1",
                     "--adopt", "2")
    assert refused.exit_code == 2 and "pick one of the ranked rules shown, 1..1" in refused.output
