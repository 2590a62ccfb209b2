"""[[positions]]: what the investor holds, for the alert engine (config.toml or a positions file)."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TICKER = re.compile(r"^[A-Z][A-Z0-9.\-^=]{0,14}$")


class PositionStop(BaseModel):
    """A position's stop rule; unset fields fall back to [stops]. The highest level applies."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    trailing_pct: float | None = Field(
        None, gt=0, lt=1,
        description="stop at (1 - pct) x the highest high (or close: [stops] trail_from) since entry",
    )
    fixed_pct: float | None = Field(None, gt=0, lt=1, description="stop at (1 - pct) x entry price")
    atr_mult: float | None = Field(
        None, gt=0, description="stop at the same highest price - k x ATR"
    )
    atr_window: int | None = Field(None, ge=2, description="ATR window in sessions")


class PositionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    ticker: str = Field(description="the held ticker, e.g. NBIS")
    shares: float = Field(gt=0, description="number of shares held")
    entry_date: dt.date = Field(description="the session the position was bought (YYYY-MM-DD)")
    entry_price: float | None = Field(
        None, gt=0, description="price paid; default: that session's open (bought at the open)"
    )
    stop: PositionStop = Field(default_factory=PositionStop, description="this position's stop")

    @field_validator("ticker")
    @classmethod
    def _ticker(cls, value: str) -> str:
        if not TICKER.match(value):
            raise ValueError(f"{value!r} is not a ticker; use upper case, e.g. NBIS")
        return value

    @field_validator("entry_date")
    @classmethod
    def _not_future(cls, value: dt.date) -> dt.date:
        if value > dt.date.today():
            raise ValueError(f"{value} is in the future; use the session you bought on")
        return value


class PositionsFile(BaseModel):
    """A positions file: only [[positions]] tables."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    positions: list[PositionConfig] = Field([], description="held positions")

    @model_validator(mode="after")
    def _unique(self) -> PositionsFile:
        keys = [(position.ticker, position.entry_date) for position in self.positions]
        if len(set(keys)) != len(keys):
            raise ValueError("two positions share a ticker and entry_date; merge them")
        return self
