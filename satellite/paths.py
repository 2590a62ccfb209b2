"""Where satellite keeps what it makes: the user data and cache directories (platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path

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


def numba_cache_dir() -> Path:
    """Where numba keeps compiled kernels (NUMBA_CACHE_DIR), instead of beside the sources."""
    return cache_dir() / "numba"
