"""What every command shares: the loaded config, the data directory and the price store.

Built by the CLI's callback; tests may pass their own (with a fake price source). It satisfies
bot.workspace.Workspace, the narrow view the alert engine and the bot are given. Heavy packages
(pandas via market) load on first use, so `--help` stays instant.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from satellite.paths import DATA_DIR_ENV, default_data_dir

if TYPE_CHECKING:
    from market.sources import PriceSource
    from market.store import PriceStore
    from satellite.config import LoadedConfig
    from strategies.base import Strategy


class AppContext:
    def __init__(self, config_option: Path | None = None, data_dir_option: Path | None = None,
                 debug: bool = False, price_source: PriceSource | None = None) -> None:
        self.config_option = config_option
        self.data_dir_option = data_dir_option
        self.debug = debug
        self.source = price_source

    @cached_property
    def config(self) -> LoadedConfig:
        from satellite.config import load_config

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
        from market.store import PriceStore

        return PriceStore(self.data_dir)

    @cached_property
    def price_source(self) -> PriceSource:
        if self.source is not None:
            return self.source
        from market.sources import YFinanceSource

        return YFinanceSource()

    @property
    def results_dir(self) -> Path:
        """Where `tune --save` writes its CSV of every rule (files the user names go where named)."""
        return self.data_dir / "results"

    @property
    def strategies_dir(self) -> Path:
        """User strategy files: [data] strategies, else strategies/ in the data directory."""
        configured = self.config.settings.data.strategies
        return self.config.resolve(configured) if configured is not None else self.data_dir / "strategies"

    def strategies(self) -> dict[str, type[Strategy]]:
        """The built-in and the user's strategies; a [strategies.NAME] section that names none of
        them is refused with the nearest name (it would otherwise be ignored)."""
        from satellite.config import check_strategy_sections
        from strategies.registry import available

        found = available(self.strategies_dir)
        check_strategy_sections(self.config.settings, found, str(self.config.path or "config.toml"))
        return found
