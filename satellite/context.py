"""What every command shares: the loaded config, the data directory and the price store."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from market.sources import PriceSource, YFinanceSource
from market.store import PriceStore
from satellite.config import DATA_DIR_ENV, LoadedConfig, load_config


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "satellite"


@dataclass
class AppContext:
    """Built by the CLI's callback; tests may pass their own (with a fake price source)."""

    config_option: Path | None = None
    data_dir_option: Path | None = None
    debug: bool = False
    price_source: PriceSource = field(default_factory=YFinanceSource)

    @cached_property
    def config(self) -> LoadedConfig:
        return load_config(self.config_option)

    @cached_property
    def data_dir(self) -> Path:
        """--data-dir, else env SATELLITE_DATA_DIR, else [data] dir, else the user data folder."""
        if self.data_dir_option is not None:
            return self.data_dir_option.expanduser()
        from_env = os.environ.get(DATA_DIR_ENV)
        if from_env:
            return Path(from_env).expanduser()
        configured = self.config.settings.data.dir
        if configured is not None:
            return self.config.resolve(configured)
        return default_data_dir()

    @cached_property
    def store(self) -> PriceStore:
        return PriceStore(self.data_dir)
