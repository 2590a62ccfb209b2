"""Catalogues as the app sees them: the shipped one plus the user's, checked against the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from events.align import AlignedEvent, align_all
from events.catalogue import SHIPPED_CATALOGUE, Event, load_catalogue
from market.store import PriceStore
from satellite.config import LoadedConfig


def catalogue_paths(config: LoadedConfig) -> list[Path]:
    """The shipped catalogue, then every [events] files entry (relative to config.toml)."""
    paths = [SHIPPED_CATALOGUE]
    for configured in config.settings.events.files:
        path = config.resolve(configured)
        if path.resolve() != SHIPPED_CATALOGUE.resolve():
            paths.append(path)
    return paths


def load_events(
    config: LoadedConfig,
    store: PriceStore,
    extra: list[Path] | None = None,
    today: dt.date | None = None,
) -> list[Event]:
    """Every event of the shipped and configured catalogues (plus `extra` files), validated;
    a ticker is known when the store has prices for it."""
    paths = catalogue_paths(config)
    resolved = {path.resolve() for path in paths}
    for path in extra or []:
        if path.resolve() not in resolved:
            paths.append(path)
            resolved.add(path.resolve())
    return load_catalogue(paths, set(store.tickers()), today)


def load_frames_for(store: PriceStore, events: list[Event]) -> dict[str, pd.DataFrame]:
    """The validated prices of every ticker the events name."""
    tickers = sorted({ticker for event in events for ticker in event.tickers})
    return store.load_frames(tickers)


def load_aligned(
    config: LoadedConfig, store: PriceStore
) -> tuple[list[AlignedEvent], dict[str, pd.DataFrame]]:
    """Load, validate and align every event; also returns the frames used."""
    events = load_events(config, store)
    frames = load_frames_for(store, events)
    return align_all(events, frames), frames
