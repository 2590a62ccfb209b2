"""Where satellite keeps what it makes: the user data and cache directories (platformdirs)."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

import platformdirs

DATA_DIR_ENV = "SATELLITE_DATA_DIR"
CACHE_DIR_ENV = "SATELLITE_CACHE_DIR"


def default_data_dir() -> Path:
    """The platform's user data folder: ~/.local/share/satellite on Linux (XDG_DATA_HOME wins)."""
    return Path(platformdirs.user_data_dir("satellite", appauthor=False))


def cache_dir() -> Path:
    """The user cache folder (env SATELLITE_CACHE_DIR wins): compiled kernels, the session
    table, remembered price checks. Nothing in it is precious; deleting it costs only time."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_cache_dir("satellite", appauthor=False))


KERNEL_PACKAGES = ("backtests", "strategies")
"""Packages whose numba kernels inline functions from other files of theirs."""


def numba_cache_dir(root: Path | None = None) -> Path:
    """Where numba keeps compiled kernels (NUMBA_CACHE_DIR), instead of beside the sources.

    numba re-compiles a cached function only when its own file changes, not when a function it
    inlines from another file does; so the folder is named after the kernel sources' stamps
    (size and modification time, as numba's own check): any change starts a fresh cache.
    root: the folder holding the packages (default: where satellite is installed)."""
    root = root if root is not None else Path(__file__).resolve().parents[1]
    digest = hashlib.sha1(usedforsecurity=False)
    for package in KERNEL_PACKAGES:
        for source in sorted((root / package).glob("*.py")):
            stat = source.stat()
            digest.update(f"{package}/{source.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return cache_dir() / "numba" / digest.hexdigest()[:12]


def use_numba_cache() -> None:
    """Compiled kernels go to numba_cache_dir(), never beside the sources, whoever imports them
    (the CLI, a test, a notebook); called by the kernel packages on import, so it holds before
    or after numba is imported. A NUMBA_CACHE_DIR already set wins."""
    if "NUMBA_CACHE_DIR" not in os.environ:  # the stamps are read once per process, not per caller
        os.environ["NUMBA_CACHE_DIR"] = str(numba_cache_dir())
    folder = os.environ["NUMBA_CACHE_DIR"]
    config: Any = sys.modules.get("numba.core.config")
    if config is not None and not config.CACHE_DIR:  # numba read its settings already
        config.CACHE_DIR = folder
