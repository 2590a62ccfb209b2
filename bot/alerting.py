"""The alert service: inputs from config and stores, sessions to evaluate, one evaluation path.

`evaluate_sessions` is the only way alerts reach a ledger: the live check, the scheduler's
catch-up and `alerts replay` (on a fresh temporary ledger) all call it.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bot.alert import Alert
from bot.digest import digest_text
from bot.holdings import Holdings
from bot.model import ResolvedPosition, RuleSettings
from bot.notify import NotifyModes
from bot.reminders import Repeat, due_reminders
from bot.rules import Timeline, timeline
from bot.store import AlertStore
from bot.tracking import PositionPath
from bot.workspace import Workspace
from events.align import AlignedEvent
from events.service import load_aligned
from market.calendar import is_session, last_completed_session, sessions_between
from satellite.errors import UserInputError
from strategies.stops import StopSpec


@dataclass(frozen=True)
class AlertInputs:
    frames: dict[str, pd.DataFrame]
    positions: list[ResolvedPosition]
    events: list[AlignedEvent]
    settings: RuleSettings

    @property
    def watched(self) -> list[str]:
        tickers = {p.ticker for p in self.positions} | set(self.settings.satellites)
        return sorted(tickers | set(self.settings.watch))


def build_inputs(context: Workspace) -> AlertInputs:
    """Prices, the position book's lots (seeded from [[positions]] the first time: bot.holdings),
    the catalogue's events and the rules' settings."""
    settings = context.config.settings
    aligned, frames = load_aligned(context.config, context.store)
    frames = {**frames, **context.store.load_frames(sorted(set(settings.portfolio.tickers) - set(frames)))}
    store = AlertStore(database_path(context))
    try:
        positions = Holdings(context, store).resolved(frames)
    finally:
        store.close()
    watched = set(settings.portfolio.tickers) | {p.ticker for p in positions}
    rules = RuleSettings(
        drawdown_levels=tuple(settings.alerts.drawdown_levels),
        rearm_band=settings.alerts.rearm_band,
        near_stop_pct=settings.alerts.near_stop_pct,
        pullback_tol=settings.alerts.pullback_tol,
        pullback_sessions=settings.alerts.pullback_sessions,
        satellites=tuple(settings.portfolio.satellites),
        watch=tuple(settings.portfolio.tickers),
        stops=StopSpec.from_config(settings.stops),
        core=settings.portfolio.core,
    )
    events = [a for a in aligned if a.ticker in watched]
    return AlertInputs(frames, positions, events, rules)


@dataclass(frozen=True)
class Evening:
    """What a live evaluation adds when there is a chat to tell: the unanswered stop_hits'
    reminders (bot.reminders), the evening digest of each complete session ([telegram] digest,
    bot.digest), and the notify modes of the moment ("off": recorded, not queued; bot.notify)."""

    digest: bool
    repeat: Repeat
    modes: Mapping[str, str]

    def send(self, alert: Alert) -> bool:
        return self.modes.get(alert.rule, "on") != "off"


def evening(context: Workspace, store: AlertStore) -> Evening | None:
    """None without [telegram] chat_ids: no reminders or digests queued for nobody."""
    settings = context.config.settings
    if not settings.telegram.chat_ids:
        return None
    modes = {item.rule: item.mode for item in NotifyModes(store, settings.alerts.notify).modes()}
    repeat = Repeat(settings.alerts.repeat_sessions, settings.alerts.repeat_max)
    return Evening(settings.telegram.digest, repeat, modes)


def database_path(context: Workspace) -> Path:
    configured = context.config.settings.alerts.database
    return context.config.resolve(configured) if configured else context.data_dir / "satellite.db"


def run_timeline(inputs: AlertInputs, until: pd.Timestamp) -> Timeline:
    return timeline(inputs.frames, inputs.positions, inputs.events, inputs.settings, until)


def evaluate_sessions(store: AlertStore, inputs: AlertInputs, sessions: list[pd.Timestamp],
                      live: Evening | None = None) -> list[Alert]:
    """Evaluate each session in order, recording its alerts once; return the new ones.

    One pass of the rules up to the last session gives every session's alerts and state."""
    if not sessions:
        return []
    result = run_timeline(inputs, max(sessions))
    by_session: dict[pd.Timestamp, list[Alert]] = {}
    for alert in result.alerts:
        by_session.setdefault(alert.session, []).append(alert)
    new: list[Alert] = []
    for session in sessions:
        complete = all(inputs.frames[t].index[-1] >= session for t in inputs.watched if t in inputs.frames)
        alerts = by_session.get(session, [])
        if live is not None:
            alerts = alerts + due_reminders(store, session, live.repeat)
            if live.digest and complete:
                alerts += _digest(result, inputs, session, alerts)
        new += store.record_session(session, alerts, complete, rule_state(result.paths, session),
                                    live.send if live is not None else None)
    return new


def _digest(result: Timeline, inputs: AlertInputs, session: pd.Timestamp, alerts: list[Alert]) -> list[Alert]:
    core = inputs.settings.core
    close = inputs.frames[core]["Close"] if core in inputs.frames else pd.Series(dtype=float)
    text = digest_text(result, core, close, session, alerts)
    return [Alert(session, "digest", "portfolio", "", None, None, text)] if text else []


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def rule_state(paths: list[PositionPath], session: pd.Timestamp) -> dict[str, Any]:
    """Each position after the session's close: its close, the stop for the next session and
    what set it, its high close, or how it was closed. Stored with the session's alerts."""
    state: dict[str, Any] = {}
    for path in paths:
        i = path.index_at(session)
        if i < 0:
            continue
        closed = path.closed_by(session)
        state[path.position.key] = {
            "ticker": path.position.ticker,
            "session": f"{path.sessions[i]:%Y-%m-%d}",
            "close": path.close[i],
            "stop": _number(path.next_level[i]),
            "stop_rule": path.next_rule[i] or None,
            "high": path.high_close[i],
            "high_date": f"{path.high_date[i]:%Y-%m-%d}",
            "stopped": closed is not None,
            "fill": closed.fill if closed else None,
            "closed_rule": closed.rule if closed else None,
        }
    return state


def check_session(day: pd.Timestamp | None, now: pd.Timestamp | None = None) -> pd.Timestamp:
    """The session `alerts check` evaluates: D if given (a completed session), else the last one."""
    latest = last_completed_session(now)
    if day is None:
        return latest
    if not is_session(day):
        raise UserInputError(f"--date {day:%Y-%m-%d} is not an NYSE session (weekend or holiday)")
    if day > latest:
        raise UserInputError(f"--date {day:%Y-%m-%d} has not closed yet; the last completed "
                             f"session is {latest:%Y-%m-%d}")
    return day


def pending_sessions(store: AlertStore, target: pd.Timestamp) -> list[pd.Timestamp]:
    """The target, plus every session since the last evaluated one (or the first incomplete)."""
    starts = [s for s in (store.first_incomplete(), store.last_evaluated()) if s is not None]
    if not starts:
        return [target]
    start = min(starts)
    if store.first_incomplete() is None:
        start = pd.Timestamp(start) + pd.Timedelta(days=1)
    if start > target:
        return [target]
    return list(sessions_between(start, target))


def check(context: Workspace, day: pd.Timestamp | None = None) -> list[Alert]:
    target = check_session(day)
    inputs = build_inputs(context)
    store = AlertStore(database_path(context))
    try:
        return evaluate_sessions(store, inputs, pending_sessions(store, target), evening(context, store))
    finally:
        store.close()


def replay(context: Workspace, start: pd.Timestamp, end: pd.Timestamp) -> list[Alert]:
    """Every alert the rules would have sent from start to end, on a fresh temporary ledger."""
    if start > end:
        raise UserInputError(f"--start {start:%Y-%m-%d} is after --end {end:%Y-%m-%d}")
    inputs = build_inputs(context)
    sessions = list(sessions_between(start, end))
    with tempfile.TemporaryDirectory(prefix="satellite-replay-") as folder:
        store = AlertStore(Path(folder) / "replay.db")
        store.connection.execute("PRAGMA synchronous=OFF")  # a throwaway ledger: no fsync per session
        try:
            return evaluate_sessions(store, inputs, sessions)
        finally:
            store.close()
