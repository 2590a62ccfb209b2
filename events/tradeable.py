"""Tradeable CAR: the abnormal return an investor could still capture after the news.

Close-to-close CAR[0,k] starts at the close before day 0, so it includes the overnight gap nobody
could trade. The tradeable CAR starts at the first open the investor could act on:

- pre_market and after_close news: the open of day 0 (the news was out before it);
- intraday and unknown timing: the open of day +1 (the news may have come during day 0, or, for
  unknown timing, after its close).

Tradeable CAR[0,k] = AR of that first day from its open to its close + the close-to-close ARs of
the following days up to day k. The open-to-close AR uses the event's own model on the
benchmark's open-to-close return of the same day (market: r - alpha - beta * r_bench). Unknown
(None) when k is before the first open or a price is missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from events.catalogue import Timing
from events.study import AbnormalReturns, StudySettings

Window = tuple[int, int]
FIRST_OPEN_DAY: dict[Timing, int] = {"pre_market": 0, "after_close": 0, "intraday": 1, "unknown": 1}


def open_to_close(frame: pd.DataFrame) -> pd.Series:
    """Close / Open - 1 per session."""
    return frame["Close"] / frame["Open"] - 1.0


def window_values(series: pd.Series, sessions: pd.DatetimeIndex, day0: pd.Timestamp,
                  settings: StudySettings) -> np.ndarray:
    """series (reindexed on `sessions`) over the event window around day0, NaN outside."""
    values = series.reindex(sessions).to_numpy(dtype=float)
    position = int(sessions.get_loc(day0))  # type: ignore[arg-type]
    positions = np.arange(position + settings.window[0], position + settings.window[1] + 1)
    inside = (positions >= 0) & (positions < len(values))
    out = np.full(len(positions), np.nan)
    out[inside] = values[positions[inside]]
    return out


def tradeable_car(
    result: AbnormalReturns,
    stock_intraday: np.ndarray,
    bench_intraday: np.ndarray | None,
    first_open: int,
    last: int,
    settings: StudySettings,
) -> float | None:
    """Tradeable CAR from the open of day `first_open` to the close of day `last`.

    stock_intraday / bench_intraday: open-to-close returns over the event window (bench None for
    the models without a benchmark)."""
    start = settings.window[0]
    lo, hi = first_open - start, last - start
    if last < first_open or lo < 0 or hi >= len(result.ar):
        return None
    bench_day = None if bench_intraday is None else float(bench_intraday[lo])
    opening = float(stock_intraday[lo]) - float(result.expected(bench_day))
    following = result.ar[lo + 1:hi + 1]
    if not np.isfinite(opening) or not np.isfinite(following).all():
        return None
    return opening + float(following.sum())


def tradeable_windows(settings: StudySettings) -> list[Window]:
    """(0, k) for the last day k of every sub-window, in order."""
    lasts = sorted({last for _, last in settings.sub_windows()})
    return [(0, last) for last in lasts]
