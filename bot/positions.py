"""Resolve positions against stored prices: entry session, entry price, effective stop rule.

The alert engine watches the position book (bot.book); [[positions]] tables are resolved the
same way when they seed it.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd

from bot.book import BookPosition
from bot.model import Exit, ResolvedPosition
from market.calendar import is_session
from satellite.config import SatelliteConfig
from satellite.config_positions import PositionConfig
from satellite.errors import ConfigError
from strategies.stops import StopSpec

OPEN_TOLERANCE = 0.005
"""An entry_price within half a cent of the entry session's open was bought at the open."""


def resolve_positions(
    settings: SatelliteConfig, frames: dict[str, pd.DataFrame]
) -> list[ResolvedPosition]:
    """config.toml's [[positions]] (errors name positions[i])."""
    defaults = StopSpec.from_config(settings.stops)
    return [resolve_position(f"positions[{index}] ({position.ticker})", position, defaults,
                             frames[position.ticker])
            for index, position in enumerate(settings.positions)]


def resolve_book(
    rows: list[BookPosition], defaults: StopSpec, frames: dict[str, pd.DataFrame]
) -> list[ResolvedPosition]:
    """The book's lots, with the owner's sales and "Still holding" answers (errors name the lot)."""
    out = []
    for row in rows:
        resolved = resolve_position(f"position {row.id} ({row.ticker})", row.config(), defaults,
                                    frames[row.ticker])
        sold = (Exit(pd.Timestamp(row.exit_date), float(row.exit_price))
                if row.exit_date is not None and row.exit_price is not None else None)
        out.append(replace(resolved, sold=sold, holds=tuple(pd.Timestamp(day) for day in row.holds),
                           lot=row.id))
    return out


def position_stops(position: PositionConfig, defaults: StopSpec) -> StopSpec:
    """[stops], with a position's own protective rules (any of them) replacing those of [stops]."""
    own = position.stop
    if not any(value is not None for value in (own.trailing_pct, own.fixed_pct, own.atr_mult)):
        return defaults if own.atr_window is None else defaults.merged({"atr_window": own.atr_window})
    return defaults.merged({"trailing_pct": own.trailing_pct, "fixed_pct": own.fixed_pct,
                            "atr_mult": own.atr_mult,
                            "atr_window": own.atr_window or defaults.atr_window})


def resolve_position(
    where: str, position: PositionConfig, defaults: StopSpec, frame: pd.DataFrame
) -> ResolvedPosition:
    """The entry price defaults to the entry session's open, bought as a backtest buys (at the
    open); a different entry_price was paid during the session (see ResolvedPosition)."""
    entry = pd.Timestamp(position.entry_date)
    if not is_session(entry):
        raise ConfigError(f"{where}.entry_date {entry:%Y-%m-%d} is not an NYSE session; "
                          "use the session you bought on")
    if entry < frame.index[0]:
        raise ConfigError(f"{where}.entry_date {entry:%Y-%m-%d} is before the first stored "
                          f"session {frame.index[0]:%Y-%m-%d}")
    opened = float(frame["Open"].iloc[frame.index.searchsorted(entry)]) if entry in frame.index else None
    entry_price = position.entry_price
    if entry_price is None:
        if opened is None:
            raise ConfigError(f"{where}.entry_date {entry:%Y-%m-%d} is after the last stored "
                              "session: run `satellite data update` or set entry_price")
        entry_price = opened
    at_open = opened is not None and math.isclose(entry_price, opened, rel_tol=0.0,
                                                  abs_tol=OPEN_TOLERANCE)
    return ResolvedPosition(position.ticker, position.shares, entry, entry_price,
                            position_stops(position, defaults), at_open)
