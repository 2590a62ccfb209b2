"""Resolve [[positions]] against stored prices: entry session, entry price, effective stop rule."""

from __future__ import annotations

import math

import pandas as pd

from bot.model import ResolvedPosition
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
    defaults = StopSpec.from_config(settings.stops)
    return [resolve_position(index, position, defaults, frames[position.ticker])
            for index, position in enumerate(settings.positions)]


def position_stops(position: PositionConfig, defaults: StopSpec) -> StopSpec:
    """[stops], with a position's own protective rules (any of them) replacing those of [stops]."""
    own = position.stop
    if not any(value is not None for value in (own.trailing_pct, own.fixed_pct, own.atr_mult)):
        return defaults if own.atr_window is None else defaults.merged({"atr_window": own.atr_window})
    return defaults.merged({"trailing_pct": own.trailing_pct, "fixed_pct": own.fixed_pct,
                            "atr_mult": own.atr_mult,
                            "atr_window": own.atr_window or defaults.atr_window})


def resolve_position(
    index: int, position: PositionConfig, defaults: StopSpec, frame: pd.DataFrame
) -> ResolvedPosition:
    """The entry price defaults to the entry session's open, bought as a backtest buys (at the
    open); a different entry_price was paid during the session (see ResolvedPosition)."""
    where = f"positions[{index}] ({position.ticker})"
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
