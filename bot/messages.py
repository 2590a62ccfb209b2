"""Alert texts that read well to a person and carry the numbers."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bot.model import ResolvedPosition, RuleSettings
from events.align import AlignedEvent


@dataclass(frozen=True)
class StopFacts:
    ticker: str
    close: float
    level: float
    kind: str
    high: float
    high_date: pd.Timestamp
    position: ResolvedPosition


def _stop_origin(facts: StopFacts) -> str:
    position = facts.position
    if facts.kind == "trailing" and position.trailing_pct is not None:
        return f"{position.trailing_pct:.0%} below the {facts.high:.2f} high of {facts.high_date:%Y-%m-%d}"
    if facts.kind == "fixed" and position.fixed_pct is not None:
        return f"{position.fixed_pct:.0%} below the {position.entry_price:.2f} entry"
    return f"{position.atr_mult:g} ATR({position.atr_window}) below the {facts.high:.2f} high"


def stop_hit(facts: StopFacts) -> str:
    return (f"{facts.ticker} closed {facts.close:.2f}, at or below its {facts.kind} stop "
            f"{facts.level:.2f} ({_stop_origin(facts)}): stop hit")


def near_stop(facts: StopFacts, distance: float) -> str:
    return (f"{facts.ticker} closed {facts.close:.2f}, {distance:.1%} above its {facts.kind} stop "
            f"{facts.level:.2f} ({_stop_origin(facts)})")


def ticker_drawdown(
    ticker: str, close: float, drawdown: float, high: float, high_date: pd.Timestamp,
    level: float, resolved: bool,
) -> str:
    if resolved:
        return (f"{ticker} closed {close:.2f}, {drawdown:.1%} below its {high:.2f} high of "
                f"{high_date:%Y-%m-%d}: back above the {level:.0%} drawdown level")
    return (f"{ticker} closed {close:.2f}, {drawdown:.1%} below its {high:.2f} high of "
            f"{high_date:%Y-%m-%d} since entry: drawdown passed {level:.0%}")


def portfolio_drawdown(drawdown: float, peak_date: pd.Timestamp | None, level: float, resolved: bool) -> str:
    peak = f" of {peak_date:%Y-%m-%d}" if peak_date is not None else ""
    if resolved:
        return f"Portfolio is {drawdown:.1%} below its peak{peak}: back above the {level:.0%} drawdown level"
    return f"Portfolio is {drawdown:.1%} below its peak{peak}: drawdown passed {level:.0%}"


def _event_title(aligned: AlignedEvent) -> str:
    event = aligned.event
    parts = [event.id]
    if event.counterparty:
        parts.append(event.counterparty)
    if event.value_usd:
        parts.append(f"{event.value_usd / 1e9:g}B USD")
    return ", ".join(parts)


def new_event(aligned: AlignedEvent) -> str:
    summary = f": {aligned.event.summary}" if aligned.event.summary else ""
    return f"New {aligned.event.kind} event for {aligned.ticker} ({_event_title(aligned)}){summary}"


def pullback(aligned: AlignedEvent, close: float, number: int, settings: RuleSettings) -> str:
    return (f"{aligned.ticker} closed {close:.2f}, within {settings.pullback_tol:.0%} of "
            f"{aligned.pre_close:.2f}, its close before {_event_title(aligned)}: pullback entry zone "
            f"(session {number} of {settings.pullback_sessions} after day 0 {aligned.day0:%Y-%m-%d})")


def stale(ticker: str, last: pd.Timestamp, until: pd.Timestamp, missing: int) -> str:
    return (f"{ticker} prices end {last:%Y-%m-%d}, {missing} session(s) before {until:%Y-%m-%d}: "
            "run `satellite data update`; no alert was computed from stale prices")
