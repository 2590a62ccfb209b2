"""Entry filters any strategy can apply: no_chase (never buy a run-up).

A filter is a pure function of closes up to each session: True where an entry is allowed.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from strategies.base import StrategyParams


class NoChaseParams(StrategyParams):
    """The no_chase filter's settings; None switches a test off."""

    chase_window: int = Field(20, ge=2, description="N: sessions in the moving average")
    chase_above_pct: float | None = Field(
        0.15, gt=0, description="X: no entry when the close is more than X above its N-day average"
    )
    chase_rise_pct: float | None = Field(
        0.25, gt=0, description="Y: no entry after a rise of more than Y over K sessions"
    )
    chase_rise_sessions: int = Field(5, ge=1, description="K: sessions of the rise test")


def no_chase(close: pd.DataFrame, params: NoChaseParams) -> pd.DataFrame:
    """True where buying at the next open is not chasing: the close is at most X above its
    N-day average and has not risen more than Y in the last K sessions. Until N (or K)
    sessions exist the test cannot be made and the entry waits (a fresh listing's pop is
    exactly the chase to avoid)."""
    allowed = pd.DataFrame(True, index=close.index, columns=close.columns)
    if params.chase_above_pct is not None:
        average = close.rolling(params.chase_window, min_periods=params.chase_window).mean()
        allowed &= close <= average * (1 + params.chase_above_pct)  # NaN average: not yet
    if params.chase_rise_pct is not None:
        rise = close / close.shift(params.chase_rise_sessions) - 1
        allowed &= rise <= params.chase_rise_pct
    return allowed


def chase_filter_off() -> dict[str, None]:
    """Settings that switch no_chase off (for strategies that make it optional)."""
    return {"chase_above_pct": None, "chase_rise_pct": None}
