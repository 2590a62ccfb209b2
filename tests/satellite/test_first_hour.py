"""What a new user meets in the first hour: help that keeps its text, messages that point the
right way, imports that do not silently replace history, and the layering of the packages."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer

from satellite_cli.app import app
from satellite_cli.context import AppContext
from tests.conftest import DATA, Invoke

CORE_PACKAGES = ["market", "events", "strategies", "backtests", "bot"]


def _commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the tree (typer vendors click: its classes are read by duck type)."""
    found = [path]
    for name, command in getattr(group, "commands", {}).items():
        found += _commands(command, (*path, name))
    return found


def _help_texts(command: Any) -> list[str]:
    texts = [command.help or ""]
    texts += [getattr(param, "help", None) or "" for param in command.params]
    return [text for text in texts if text]


def test_every_help_text_is_shown_whole(invoke: Invoke) -> None:
    root = typer.main.get_command(app)
    commands = _commands(root)
    assert len(commands) > 20
    for path in commands:
        command = root
        for name in path:
            command = command.commands[name]
        result = invoke(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        shown = " ".join(result.output.split())
        for text in _help_texts(command):
            first = text.split("\n\n")[0]
            assert " ".join(first.split()) in shown, (path, first)
        assert "<bool>" not in result.output, path


def test_bracketed_defaults_survive(invoke: Invoke) -> None:
    shown = " ".join(invoke("--help").output.split())
    assert "[env SATELLITE_CONFIG; default ./config.toml]" in shown
    listing = invoke("backtest", "--list").output
    assert "stops: [stops] in config.toml, [strategies.NAME.stops], or --set" in listing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["backtest", "--start", "2025-06-31"], "--start 2025-06-31: no such day"),
        (["backtest", "--start", "2026-09-01"],
         "is after the last session the prices of NVDA, NBIS, CRWV share (2026-07-02)"),
        (["events", "list", "--ticker", "AMD"], "--ticker AMD: no event in the catalogues names it"),
        (["events", "study", "--ticker", "AMD"], "--ticker AMD: no event in the catalogues names it"),
        (["backtest", "--set", "stops.trailing_pct=15"], "a fraction: 0.15 is 15%"),
    ],
)
def test_messages_point_the_right_way(invoke: Invoke, args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output and result.output.count("\n") == 1, result.output


def test_config_check_prints_toml_that_parses(invoke: Invoke) -> None:
    result = invoke("config", "check")
    assert result.exit_code == 0, result.output
    parsed = tomllib.loads(result.output)
    assert parsed["stops"]["trailing_pct"] == 0.15
    assert parsed["portfolio"]["weights"]["NVDA"] == 0.7
    assert "# fixed_pct = (not set)" in result.output
    assert json.loads(invoke("config", "check", "--json").output)["config"]["stops"]["fixed_pct"] is None


def test_import_over_history_needs_replace_and_remove_goes_back(invoke: Invoke, data_dir: Path) -> None:
    context = AppContext(data_dir_option=data_dir)
    refused = invoke("data", "import", "NVDA", str(DATA / "AAA.csv"), context=context)
    assert refused.exit_code == 2
    assert "NVDA already has 6665 bundled sessions (1999-12-31 to 2026-07-02)" in refused.output
    assert "--replace" in refused.output and not (data_dir / "NVDA.csv").exists()
    done = invoke("data", "import", "NVDA", str(DATA / "AAA.csv"), "--replace", context=context)
    assert done.exit_code == 0, done.output
    assert "replacing 6665 bundled sessions" in done.output and "with 6 sessions" in done.output
    removed = invoke("data", "remove", "NVDA", context=context)
    assert removed.exit_code == 0 and "now uses the bundled prices" in removed.output
    (row,) = json.loads(invoke("data", "check", "NVDA", "--json", context=context).output)
    assert row["source"] == "bundled" and row["rows"] == 6665
    assert invoke("data", "remove", "NVDA", context=context).exit_code == 2


def test_commands_say_when_prices_are_stale(invoke: Invoke) -> None:
    result = invoke("backtest")
    assert result.exit_code == 0
    assert "note: prices end 2026-07-02" in result.output and "satellite data update" in result.output
    assert "note: prices end" not in invoke("backtest", "--json").output  # JSON stays one document


@pytest.mark.parametrize("package", CORE_PACKAGES)
def test_core_packages_never_import_the_cli_layer(package: str) -> None:
    code = (f"import sys, pkgutil, importlib, {package}\n"
            f"for info in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
            "    importlib.import_module(info.name)\n"
            "bad = sorted(name for name in sys.modules if name.startswith('satellite_cli'))\n"
            "print(bad)\nsys.exit(1 if bad else 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr


def test_help_loads_no_pandas() -> None:
    code = ("import sys\nfrom satellite_cli.app import app\n"
            "try:\n    app(['--help'], prog_name='satellite')\nexcept SystemExit:\n    pass\n"
            "sys.exit(1 if 'pandas' in sys.modules or 'numba' in sys.modules else 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
