"""A normal (non-editable) install: no command writes inside the installed packages.

The package is installed with pip into a temporary site folder (dependencies come from the
test environment through a .pth line, nothing is downloaded); every command that makes files
then runs from it, and the installed tree must be byte-for-byte what pip left.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("satellite", "market", "events", "strategies", "backtests", "bot")


def _snapshot(site: Path) -> dict[str, tuple[int, int]]:
    return {str(path.relative_to(site)): (path.stat().st_size, path.stat().st_mtime_ns)
            for package in PACKAGES for path in (site / package).rglob("*")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("source") / "satellite"  # a copy: the build writes beside it
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "__pycache__", "tests", "benchmarks"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-q", "--target", str(site), str(source)],
        capture_output=True, text=True, timeout=600, cwd=source,
    )
    assert done.returncode == 0, done.stderr
    return site


def test_no_command_writes_inside_the_installed_packages(installed: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"  # made by the autouse isolated_environment fixture
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("SATELLITE", "XDG"))},
        "HOME": str(home), "PYTHONPATH": os.pathsep.join([str(installed), sysconfig.get_paths()["purelib"]]),
        "PYTHONNOUSERSITE": "1",
    }
    before = _snapshot(installed)
    assert any(name.endswith("catalogue.toml") for name in before)
    commands = [
        ["backtest", "--json"],
        ["tune", "core_satellite", "--grid", "stops.trailing_pct=0.1,0.2", "--grid",
         "stops.fixed_pct=0.1,0.2", "--split", "2026-01-01",
         "--save", "--heatmap", "heat.html"],
        ["backtest", "--html", "report.html", "--png", "report.png"],
        ["events", "study", "--ticker", "NBIS", "--json"],
        ["alerts", "replay", "--start", "2026-06-01", "--end", "2026-07-02"],
        ["data", "check"],
    ]
    for command in commands:
        done = subprocess.run(
            [sys.executable, "-S", "-c", "from satellite_cli.app import main; main()", *command],
            capture_output=True, text=True, timeout=600, cwd=tmp_path, env=environment,
        )
        assert done.returncode == 0, (command, done.stderr)
    where = subprocess.run(  # -S: no .pth of the test environment, so no editable-install finder
        [sys.executable, "-S", "-c",
         "import satellite_cli.app as a, backtests as b; print(a.__file__, b.__file__)"],
        capture_output=True, text=True, env=environment, timeout=60).stdout
    assert where.count(str(installed)) == 2, where
    assert _snapshot(installed) == before
    results = home / ".local" / "share" / "satellite" / "results"
    assert list(results.glob("tune-core_satellite-*.csv"))  # results went to the user data dir
    for named in ("heat.html", "report.html", "report.png"):  # and named files where the user said
        assert (tmp_path / named).is_file()
