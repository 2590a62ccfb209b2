"""Where satellite keeps what the user makes: the user data directory (platformdirs)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

DATA_DIR_ENV = "SATELLITE_DATA_DIR"


def default_data_dir() -> Path:
    """The platform's user data folder: ~/.local/share/satellite on Linux (XDG_DATA_HOME wins)."""
    return Path(platformdirs.user_data_dir("satellite", appauthor=False))
