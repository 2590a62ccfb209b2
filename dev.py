#!/usr/bin/env python3
"""Set-up and tasks with nothing but python3: creates .venv when needed, then runs a task.

    python3 dev.py backtest [ARGS...]   satellite backtest on the bundled data
    python3 dev.py test [PYTEST ARGS]   the test suite
    python3 dev.py lint                 ruff and mypy
    python3 dev.py satellite ARGS...    any satellite command

The environment is rebuilt when pyproject.toml or requirements.lock change.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".satellite-stamp"
INPUTS = [ROOT / "pyproject.toml", ROOT / "requirements.lock"]


def fingerprint() -> str:
    digest = hashlib.sha256()
    for path in INPUTS:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    wanted = fingerprint()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("dev.py: creating .venv", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("dev.py: installing satellite and its pinned dependencies", file=sys.stderr)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "-c", "requirements.lock", "-e", ".[dev]"], cwd=ROOT, check=True)
    STAMP.write_text(wanted)


WARM_UPS = (["backtest"], ["tune", "core_satellite", "--grid", "stops.trailing_pct=0.05:0.06:0.01"])
"""One backtest and one tiny tune compile every kernel a user's commands run."""


def ensure_kernels() -> None:
    """Compile the fill kernel into the user cache now, not on the user's first backtest.

    The cache folder is named after the kernel sources (satellite.paths.numba_cache_dir), so a
    change to them (a pull, an edit) is compiled here once, by the WARM_UPS."""
    where = subprocess.run(
        [str(BIN / "python"), "-c", "from satellite.paths import numba_cache_dir; print(numba_cache_dir())"],
        cwd=ROOT, capture_output=True, text=True)
    folder = Path(where.stdout.strip())
    if where.returncode == 0 and folder.is_dir() and any(folder.iterdir()):
        return
    print("dev.py: compiling the backtest and sweep kernels (once after each change to them)",
          file=sys.stderr)
    warm_ups = [subprocess.Popen([str(BIN / "satellite"), *command, "--json"], cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                for command in WARM_UPS]  # side by side: one core each
    for command, process in zip(WARM_UPS, warm_ups, strict=True):
        _, errors = process.communicate()
        if process.returncode != 0:
            print(f"dev.py: warning: the warm-up {command[0]} failed: {errors.strip()}", file=sys.stderr)


def run(command: list[str]) -> int:
    return subprocess.run(command, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"backtest", "test", "lint", "satellite"}:
        print(__doc__, file=sys.stderr)
        return 2
    task, rest = argv[0], argv[1:]
    ensure_environment()
    if task != "lint":
        ensure_kernels()
    if task == "backtest":
        return run([str(BIN / "satellite"), "backtest", *rest])
    if task == "satellite":
        return run([str(BIN / "satellite"), *rest])
    if task == "test":
        return run([str(BIN / "python"), "-m", "pytest", *rest])
    ruff = run([str(BIN / "ruff"), "check", "."])
    mypy = run([str(BIN / "mypy")])
    return ruff or mypy


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
