"""`events suggest`: sessions whose abnormal return is beyond z standard deviations and that no
catalogue event explains, ranked by |z|: candidates for the catalogue.

Each session is scored as a one-session event (window [0, 0]) under the study's own rules
(events/study.py): the same model, estimation length, gap and min_estimation; z = AR / the
forecast-error standard deviation of a one-day CAR (events/study.car_sd). Sessions without a
fitted model (fewer than min_estimation sessions of history) are not scored. A catalogue event
naming the ticker explains its day 0 and day +1.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import pandas as pd

from events.align import AlignedEvent, session_offset
from events.placebo import bench_returns_on
from events.study import Model, StudySettings, abnormal_returns, car_sd, simple_returns


class Suggestion(NamedTuple):
    ticker: str
    session: pd.Timestamp
    ret: float  # the session's close-to-close return
    abnormal: float
    z: float
    model: Model


class Scan(NamedTuple):
    """The suggestions, best first, and how many sessions could not be scored."""

    suggestions: list[Suggestion]
    scored: int
    unscored: int


def day0_settings(settings: StudySettings) -> StudySettings:
    """The study's estimation rules (estimation, gap, min_estimation) around a one-session event
    window [0, 0]: the estimation window is the `estimation` sessions ending `gap` sessions
    before the scored session."""
    return StudySettings((0, 0), settings.estimation, settings.gap, settings.min_estimation)


def explained_sessions(aligned: list[AlignedEvent], frame: pd.DataFrame) -> set[pd.Timestamp]:
    """Day 0 and day +1 of every aligned event (those with a day 0 in the prices)."""
    explained: set[pd.Timestamp] = set()
    for item in aligned:
        if item.day0 is None or not item.in_data:
            continue
        for offset in (0, 1):
            day = session_offset(frame, item.day0, offset)
            if day is not None:
                explained.add(day)
    return explained


def scan_ticker(
    ticker: str,
    close: pd.Series,
    bench_close: pd.Series | None,
    explained: set[pd.Timestamp],
    settings: StudySettings,
    z_min: float,
    since: pd.Timestamp | None = None,
) -> Scan:
    """Every session of `close` from `since` with |z| > z_min that `explained` does not hold."""
    one_day = day0_settings(settings)
    index = pd.DatetimeIndex(close.index)
    returns = simple_returns(close.to_numpy())
    bench = bench_returns_on(close, bench_close)
    first = 1 if since is None else max(int(index.searchsorted(since)), 1)
    found: list[Suggestion] = []
    scored = unscored = 0
    for position in range(first, len(index)):
        result = abnormal_returns(returns, bench, position, one_day)
        sd = car_sd(result, one_day, 0, 0)
        abnormal = float(result.ar[-1])
        if sd is None or sd == 0 or not math.isfinite(abnormal):
            unscored += 1
            continue
        scored += 1
        session = pd.Timestamp(index[position])
        z = abnormal / sd
        if abs(z) > z_min and session not in explained:
            found.append(Suggestion(ticker, session, float(returns[position]), abnormal, z, result.model))
    return Scan(found, scored, unscored)


def rank(scans: list[Scan]) -> Scan:
    """All tickers' suggestions together, by |z| descending (then ticker and session)."""
    suggestions = [item for scan in scans for item in scan.suggestions]
    suggestions.sort(key=lambda item: (-abs(item.z), item.ticker, item.session))
    return Scan(suggestions, sum(scan.scored for scan in scans), sum(scan.unscored for scan in scans))


def scan_all(
    tickers: list[str],
    frames: dict[str, pd.DataFrame],
    aligned: list[AlignedEvent],
    benchmarks: dict[str, str | None],
    settings: StudySettings,
    z_min: float,
    since: pd.Timestamp | None = None,
) -> Scan:
    """Every ticker's unexplained moves, ranked. aligned: every catalogue event (all kinds);
    benchmarks: per ticker, the study's benchmark for it (None: constant-mean model)."""
    scans = []
    for ticker in tickers:
        frame = frames[ticker]
        bench = benchmarks[ticker]
        explained = explained_sessions([item for item in aligned if item.ticker == ticker], frame)
        scans.append(scan_ticker(ticker, frame["Close"], None if bench is None else frames[bench]["Close"],
                                 explained, settings, z_min, since))
    return rank(scans)


def add_command(item: Suggestion) -> str:
    """A `satellite events add` line to fill in (KIND, summary and source are the user's)."""
    return (f"satellite events add --id {item.ticker.lower()}-{item.session:%Y-%m-%d} "
            f"--announced {item.session:%Y-%m-%d} --timing unknown --tickers {item.ticker} "
            '--kind KIND --summary "WHAT HAPPENED" --source "WHERE YOU READ IT"')


def suggestion_json(item: Suggestion) -> dict[str, Any]:
    """The keys of `events suggest --json` (documented in the README)."""
    return {
        "ticker": item.ticker,
        "session": f"{item.session:%Y-%m-%d}",
        "return": item.ret,
        "abnormal": item.abnormal,
        "z": item.z,
        "model": item.model,
    }
