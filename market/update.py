"""Bring a ticker's stored prices up to the last completed NYSE session from a remote source.

Only what is missing is fetched, plus a few sessions of overlap. If the overlap disagrees with
what is stored (the source revised its adjusted prices after a split or dividend), the whole
history is fetched again and replaces the file. Whatever goes wrong, the stored file is either
the old one or a fully validated new one. `update_tickers` bounds a whole refresh by one
deadline ([data] update_timeout): what has not arrived by then is left unchanged.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from market.calendar import last_completed_session, sessions_between, sessions_missing_after
from market.sources import PriceSource, normalise_download
from market.store import PriceStore
from market.validation import validate_frame
from satellite.errors import PriceDataError, SatelliteError, SourceUnavailableError, TemporaryError

OVERLAP_SESSIONS = 5
REVISION_TOLERANCE = 1e-6  # relative difference in an OHLC price that counts as a revision


@dataclass
class UpdateReport:
    ticker: str
    added: int = 0
    last: pd.Timestamp | None = None
    revised: list[pd.Timestamp] = field(default_factory=list)
    refetched_history: bool = False
    stale_sessions: int = 0
    path: Path | None = None

    def describe(self) -> str:
        last = f"{self.last:%Y-%m-%d}" if self.last is not None else "-"
        parts = [f"{self.ticker}: +{self.added} sessions, last {last}"]
        if self.revised:
            shown = ", ".join(f"{day:%Y-%m-%d}" for day in self.revised[:3])
            parts.append(f"source revised {len(self.revised)} overlapping sessions ({shown}); "
                         "full history refetched")
        if self.stale_sessions:
            parts.append(f"still {self.stale_sessions} session(s) behind: the source has not "
                         "published them yet")
        return "; ".join(parts)


@dataclass
class UpdatePlan:
    """What an update would write (None: nothing, the stored prices are up to date)."""

    report: UpdateReport
    frame: pd.DataFrame | None
    existing_rows: int


@dataclass
class RefreshOutcome:
    """`data update` of several tickers under one deadline."""

    reports: list[UpdateReport] = field(default_factory=list)
    failures: list[SatelliteError] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)  # cut off by the deadline: unchanged


def update_ticker(
    store: PriceStore, source: PriceSource, ticker: str, now: pd.Timestamp | None = None
) -> UpdateReport:
    return apply_update(store, plan_update(store, source, ticker, now), now)


def plan_update(
    store: PriceStore, source: PriceSource, ticker: str, now: pd.Timestamp | None = None
) -> UpdatePlan:
    """Fetch and validate what is missing; nothing is written."""
    latest = last_completed_session(now)
    report = UpdateReport(ticker)
    existing = store.load(ticker).frame if store.has(ticker) else None
    if existing is not None and existing.index[-1] >= latest:
        report.last = existing.index[-1]
        return UpdatePlan(report, None, len(existing))
    start = None
    if existing is not None:
        start = existing.index[max(0, len(existing) - OVERLAP_SESSIONS)]
    fresh = _fetch(source, ticker, start, latest)
    if existing is None:
        merged = fresh
    else:
        report.revised = _revisions(existing, fresh)
        if report.revised:
            merged = _fetch(source, ticker, existing.index[0], latest)
            report.refetched_history = True
        else:
            merged = pd.concat([existing.loc[existing.index < fresh.index[0]], fresh])
    try:
        merged = validate_frame(merged, f"{ticker} from {source.name}")
    except PriceDataError as err:
        raise SourceUnavailableError(f"{err}; the answer is partial, nothing changed") from None
    return UpdatePlan(report, merged, 0 if existing is None else len(existing))


def apply_update(store: PriceStore, plan: UpdatePlan, now: pd.Timestamp | None = None) -> UpdateReport:
    """Write a plan's prices (atomically) and complete its report."""
    report = plan.report
    if plan.frame is None:
        return report
    report.path = store.write(report.ticker, plan.frame)
    report.added = len(plan.frame) - plan.existing_rows
    report.last = plan.frame.index[-1]
    report.stale_sessions = sessions_missing_after(plan.frame.index[-1], now)
    return report


def update_tickers(store: PriceStore, source: PriceSource, tickers: list[str], deadline: float,
                   now: pd.Timestamp | None = None) -> RefreshOutcome:
    """Update each ticker, all within `deadline` seconds. The fetches run in a daemon thread;
    the writes happen here, as plans arrive, so a fetch that hangs past the deadline is left
    behind and can never write: its ticker is reported unfinished and its file is unchanged."""
    plans: queue.Queue[tuple[str, UpdatePlan | Exception]] = queue.Queue()

    def fetch_all() -> None:
        for ticker in tickers:
            try:
                plans.put((ticker, plan_update(store, source, ticker, now)))
            except Exception as err:  # handed to the waiting thread, which raises or reports it
                plans.put((ticker, err))

    threading.Thread(target=fetch_all, name="data-update", daemon=True).start()
    outcome = RefreshOutcome(unfinished=list(tickers))
    ends = time.monotonic() + deadline
    while outcome.unfinished:
        try:
            ticker, plan = plans.get(timeout=max(ends - time.monotonic(), 0.0))
        except queue.Empty:
            break
        outcome.unfinished.remove(ticker)
        try:
            if isinstance(plan, Exception):
                raise plan
            outcome.reports.append(apply_update(store, plan, now))
        except (TemporaryError, PriceDataError) as err:
            outcome.failures.append(err)
    return outcome


def _fetch(
    source: PriceSource, ticker: str, start: pd.Timestamp | None, latest: pd.Timestamp
) -> pd.DataFrame:
    raw = source.fetch(ticker, None if start is None else start.date(), latest.date())
    frame = normalise_download(raw, ticker, source.name)
    frame = frame.loc[frame.index <= latest]  # a bar of a session still trading is not final
    if frame.empty:
        raise SourceUnavailableError(
            f"{ticker}: {source.name} returned no completed session; nothing changed"
        )
    if start is not None and len(sessions_between(start, frame.index[0])) > 1:
        raise SourceUnavailableError(
            f"{ticker}: {source.name}'s answer starts {frame.index[0]:%Y-%m-%d}, not "
            f"{start:%Y-%m-%d}: a partial answer; nothing changed, retry later"
        )
    return frame


def _revisions(existing: pd.DataFrame, fresh: pd.DataFrame) -> list[pd.Timestamp]:
    common = existing.index.intersection(fresh.index)
    columns = ["Open", "High", "Low", "Close"]
    old = existing.loc[common, columns].to_numpy()
    new = fresh.loc[common, columns].to_numpy()
    changed = (np.abs(new - old) > REVISION_TOLERANCE * np.abs(old)).any(axis=1)
    return list(common[changed])
