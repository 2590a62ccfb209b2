"""What the alert engine and the bot need from whoever runs them: config, prices, a folder.

The CLI's context satisfies it; tests may pass any object with these four attributes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from market.sources import PriceSource
from market.store import PriceStore
from satellite.config import LoadedConfig


class Workspace(Protocol):
    @property
    def config(self) -> LoadedConfig: ...

    @property
    def data_dir(self) -> Path: ...

    @property
    def store(self) -> PriceStore: ...

    @property
    def price_source(self) -> PriceSource: ...
