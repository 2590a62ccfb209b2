"""The event study over the catalogue: one row per (event, ticker), aggregates by ticker and kind.

Pure over aligned events and price frames (the CLI loads them); `as_json` is the documented
shape of `satellite events study --json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from events.align import AlignedEvent
from events.study import AbnormalReturns, Aggregate, StudySettings, aggregate, car, study_event

ALL = "ALL"
Window = tuple[int, int]


def window_key(window: Window) -> str:
    return f"{window[0]}:{window[1]}"


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


@dataclass(frozen=True)
class StudyRow:
    aligned: AlignedEvent
    benchmark: str | None
    result: AbnormalReturns
    cars: dict[Window, float | None]

    @property
    def note(self) -> str | None:
        model, count = self.result.model, self.result.estimation_sessions
        if model == "benchmark_adjusted":
            return f"only {count} estimation sessions: AR = r - r({self.benchmark})"
        if model == "raw":
            return f"only {count} estimation sessions and no benchmark: AR = raw return"
        if self.result.flagged:
            return f"short estimation window: {count} sessions"
        return None


@dataclass(frozen=True)
class Group:
    ticker: str
    kind: str
    n: int
    stats: dict[Window, Aggregate]


@dataclass(frozen=True)
class StudyResult:
    settings: StudySettings
    benchmark: str
    rows: list[StudyRow]
    groups: list[Group]
    skipped: list[tuple[AlignedEvent, str]]


def run_study(
    aligned: list[AlignedEvent],
    frames: dict[str, pd.DataFrame],
    settings: StudySettings,
    benchmark: str,
    alternative: str | None = None,
) -> StudyResult:
    """Study every tradable (event, ticker) with a pre-announcement close and a day 0 in data.

    frames must hold each event ticker and the benchmark (and `alternative` when given).
    """
    rows: list[StudyRow] = []
    skipped: list[tuple[AlignedEvent, str]] = []
    windows = settings.sub_windows()
    for item in aligned:
        if item.day0 is None or item.pre_close is None or not item.in_data:
            skipped.append((item, item.note or "no day-0 return"))
            continue
        bench_name = choose_benchmark(item.ticker, benchmark, alternative)
        bench_close = None if bench_name is None else frames[bench_name]["Close"]
        result = study_event(frames[item.ticker]["Close"], bench_close, item.day0, settings)
        cars = {window: car(result.ar, settings, *window) for window in windows}
        rows.append(StudyRow(item, bench_name, result, cars))
    return StudyResult(settings, benchmark, rows, group_rows(rows, windows), skipped)


def group_rows(rows: list[StudyRow], windows: list[Window]) -> list[Group]:
    """Aggregates by (ticker, kind), then by kind over all tickers (ticker 'ALL')."""
    keys: dict[tuple[str, str], list[StudyRow]] = {}
    for row in rows:
        keys.setdefault((row.aligned.ticker, row.aligned.event.kind), []).append(row)
    for row in rows:
        keys.setdefault((ALL, row.aligned.event.kind), []).append(row)
    groups = []
    for (ticker, kind), members in sorted(keys.items(), key=lambda pair: (pair[0][1], pair[0][0] == ALL,
                                                                          pair[0][0])):
        stats = {window: aggregate([row.cars[window] for row in members]) for window in windows}
        groups.append(Group(ticker, kind, len(members), stats))
    return groups


def _num(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def as_json(result: StudyResult) -> dict[str, Any]:
    """The `events study --json` payload (keys documented in the README)."""
    settings = result.settings
    return {
        "benchmark": result.benchmark,
        "window": window_key(settings.window),
        "estimation": settings.estimation,
        "gap": settings.gap,
        "min_estimation": settings.min_estimation,
        "days": [int(day) for day in settings.days],
        "events": [
            {
                "id": row.aligned.event.id,
                "ticker": row.aligned.ticker,
                "kind": row.aligned.event.kind,
                "day0": f"{row.aligned.day0:%Y-%m-%d}",
                "model": row.result.model,
                "benchmark": row.benchmark,
                "estimation_sessions": row.result.estimation_sessions,
                "flagged": row.result.flagged,
                "timing_flagged": row.aligned.timing_flagged,
                "note": row.note,
                "alpha": _num(row.result.alpha),
                "beta": _num(row.result.beta),
                "sigma": _num(row.result.sigma),
                "ar": [_num(value) for value in row.result.ar],
                "car": {window_key(window): value for window, value in row.cars.items()},
            }
            for row in result.rows
        ],
        "groups": [
            {
                "ticker": group.ticker,
                "kind": group.kind,
                "n": group.n,
                "car": {
                    window_key(window): {"mean": stat.mean, "t_stat": stat.t_stat, "n": stat.n}
                    for window, stat in group.stats.items()
                },
            }
            for group in result.groups
        ],
        "skipped": [
            {"id": item.event.id, "ticker": item.ticker, "reason": reason}
            for item, reason in result.skipped
        ],
    }
