"""Resolve [[positions]] against stored prices: entry session, entry price, effective stop."""

from __future__ import annotations

import pandas as pd

from bot.model import ResolvedPosition
from market.calendar import is_session
from satellite.config import SatelliteConfig
from satellite.config_positions import PositionConfig
from satellite.errors import ConfigError


def resolve_positions(
    settings: SatelliteConfig, frames: dict[str, pd.DataFrame]
) -> list[ResolvedPosition]:
    return [resolve_position(index, position, settings, frames[position.ticker])
            for index, position in enumerate(settings.positions)]


def resolve_position(
    index: int, position: PositionConfig, settings: SatelliteConfig, frame: pd.DataFrame
) -> ResolvedPosition:
    where = f"positions[{index}] ({position.ticker})"
    entry = pd.Timestamp(position.entry_date)
    if not is_session(entry):
        raise ConfigError(f"{where}.entry_date {entry:%Y-%m-%d} is not an NYSE session; "
                          "use the session you bought on")
    if entry < frame.index[0]:
        raise ConfigError(f"{where}.entry_date {entry:%Y-%m-%d} is before the first stored "
                          f"session {frame.index[0]:%Y-%m-%d}")
    entry_price = position.entry_price
    if entry_price is None:
        if entry not in frame.index:
            raise ConfigError(f"{where}.entry_date {entry:%Y-%m-%d} is after the last stored "
                              "session: run `satellite data update` or set entry_price")
        entry_price = float(frame["Close"].to_numpy()[frame.index.searchsorted(entry)])
    own = position.stop
    explicit = any(value is not None for value in (own.trailing_pct, own.fixed_pct, own.atr_mult))
    defaults = settings.stops
    return ResolvedPosition(
        ticker=position.ticker,
        shares=position.shares,
        entry=entry,
        entry_price=entry_price,
        trailing_pct=own.trailing_pct if explicit else defaults.trailing_pct,
        fixed_pct=own.fixed_pct if explicit else defaults.fixed_pct,
        atr_mult=own.atr_mult if explicit else defaults.atr_mult,
        atr_window=own.atr_window or defaults.atr_window,
    )
