"""The event study over the catalogue: one row per (event, ticker), statistics by ticker and kind.

Pure over aligned events and price frames (the CLI loads them); events/study_json.py gives the
documented shape of `satellite events study --json`.
"""

from __future__ import annotations

import pandas as pd

from events.align import AlignedEvent
from events.placebo import pseudo_cars
from events.study import StudySettings, car, car_sd, study_event
from events.study_groups import Pools, group_rows
from events.study_types import ALL, Group, StudyResult, StudyRow, Window, window_key
from events.tradeable import (
    FIRST_OPEN_DAY,
    open_to_close,
    tradeable_car,
    tradeable_windows,
    window_values,
)

__all__ = ["ALL", "Group", "StudyResult", "StudyRow", "Window", "choose_benchmark", "parse_window",
           "run_study", "window_key"]


def parse_window(text: str) -> Window:
    """'-5:20' -> (-5, 20); ValueError with a hint otherwise."""
    parts = text.split(":")
    try:
        first, last = (int(part) for part in parts)
    except ValueError:
        raise ValueError(f"{text!r}: write the window as FIRST:LAST sessions, e.g. -5:20") from None
    if not first <= 0 <= last:
        raise ValueError(f"{text!r}: the window must contain day 0 (FIRST <= 0 <= LAST)")
    return first, last


def choose_benchmark(ticker: str, benchmark: str, alternative: str | None) -> str | None:
    """The benchmark for ticker: `benchmark`, or `alternative` for the benchmark itself, or None
    (constant-mean model) when neither fits."""
    if ticker != benchmark:
        return benchmark
    if alternative is not None and alternative != ticker:
        return alternative
    return None


def run_study(
    aligned: list[AlignedEvent],
    frames: dict[str, pd.DataFrame],
    settings: StudySettings,
    benchmark: str,
    alternative: str | None = None,
    event_days: dict[str, list[pd.Timestamp]] | None = None,
) -> StudyResult:
    """Study every tradable (event, ticker) with a pre-announcement close and a day 0 in data.

    frames must hold each event ticker and the benchmark (and `alternative` when given).
    event_days: per ticker, the day 0 of every catalogue event (the placebo's pseudo-events avoid
    them); default: the day 0s of `aligned`.
    """
    rows: list[StudyRow] = []
    skipped: list[tuple[AlignedEvent, str]] = []
    for item in aligned:
        if item.day0 is None or item.pre_close is None or not item.in_data:
            skipped.append((item, item.note or "no day-0 return"))
            continue
        bench_name = choose_benchmark(item.ticker, benchmark, alternative)
        rows.append(study_row(item, frames, bench_name, settings))
    days = event_days if event_days is not None else event_days_of(aligned)
    pools = placebo_pools(rows, frames, settings, days)
    return StudyResult(settings, benchmark, rows, group_rows(rows, settings, pools), skipped)


def study_row(
    item: AlignedEvent, frames: dict[str, pd.DataFrame], bench_name: str | None,
    settings: StudySettings,
) -> StudyRow:
    """The ARs, CARs, CAR standard deviations and tradeable CARs of one (event, ticker)."""
    assert item.day0 is not None
    frame = frames[item.ticker]
    bench_frame = None if bench_name is None else frames[bench_name]
    result = study_event(frame["Close"], None if bench_frame is None else bench_frame["Close"],
                         item.day0, settings)
    windows = settings.sub_windows()
    sessions = pd.DatetimeIndex(frame.index)
    stock_intraday = window_values(open_to_close(frame), sessions, item.day0, settings)
    bench_intraday = None if bench_frame is None else window_values(
        open_to_close(bench_frame), sessions, item.day0, settings)
    first_open = FIRST_OPEN_DAY[item.event.timing]
    return StudyRow(
        aligned=item,
        benchmark=bench_name,
        result=result,
        cars={window: car(result.ar, settings, *window) for window in windows},
        car_sds={window: car_sd(result, settings, *window) for window in windows},
        first_open=first_open,
        tradeable={
            window: tradeable_car(result, stock_intraday, bench_intraday, first_open, window[1], settings)
            for window in tradeable_windows(settings)
        },
    )


def event_days_of(aligned: list[AlignedEvent]) -> dict[str, list[pd.Timestamp]]:
    """Per ticker, the day 0 of every aligned event that has one."""
    days: dict[str, list[pd.Timestamp]] = {}
    for item in aligned:
        if item.day0 is not None:
            days.setdefault(item.ticker, []).append(item.day0)
    return days


def placebo_pools(
    rows: list[StudyRow], frames: dict[str, pd.DataFrame], settings: StudySettings,
    event_days: dict[str, list[pd.Timestamp]],
) -> Pools:
    """Per studied ticker and window, the pseudo-event CARs (events/placebo.py), drawn from the
    study period: from the earliest studied day 0 on."""
    if not rows:
        return {}
    since = min(row.aligned.day0 for row in rows if row.aligned.day0 is not None)
    benchmarks = {row.aligned.ticker: row.benchmark for row in rows}
    return {
        ticker: pseudo_cars(
            frames[ticker]["Close"], None if bench is None else frames[bench]["Close"],
            event_days.get(ticker, []), settings, settings.sub_windows(), since,
        )
        for ticker, bench in sorted(benchmarks.items())
    }
