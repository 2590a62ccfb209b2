"""Alert texts that read well to a person and carry the numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from bot.model import ResolvedPosition, RuleSettings
from events.align import AlignedEvent

RULE_WORDS = {
    "stop_fixed": "fixed stop", "stop_trailing": "trailing stop", "stop_atr": "ATR stop",
    "take_profit": "take-profit", "time": "time stop", "breaker": "portfolio breaker",
    "sold": "sold (position book)",
}


TITLES = {
    "stop_hit": "STOP HIT", "near_stop": "Near stop", "drawdown": "Drawdown",
    "drawdown_resolved": "Drawdown resolved", "pullback_zone": "Pullback zone",
    "new_event": "New event", "stale_data": "Stale data", "digest": "Evening digest",
}


def rule_words(rule: str) -> str:
    return RULE_WORDS.get(rule, rule or "no stop")


@dataclass(frozen=True)
class StopFacts:
    """A level and where it comes from: the rule, the trailing reference (its date, None: the
    entry price is the reference) and the ATR it used."""

    position: ResolvedPosition
    level: float
    rule: str
    reference: float
    reference_date: pd.Timestamp | None
    atr: float = math.nan
    basis: float = math.nan  # the price the rules count from (NaN: the entry price)


def stop_origin(facts: StopFacts) -> str:
    """How the level was set, e.g. "15% below the 135.46 high of 2025-10-13"."""
    spec = facts.position.stops
    entry = facts.position.entry_price if math.isnan(facts.basis) else facts.basis
    word = "entry" if entry == facts.position.entry_price else "restart close"
    anchor = (f"the {entry:.2f} {word}" if facts.reference_date is None or facts.reference <= entry
              else f"the {facts.reference:.2f} {spec.trail_from} of {facts.reference_date:%Y-%m-%d}")
    if facts.rule == "stop_trailing" and spec.trailing_pct is not None:
        return f"{spec.trailing_pct:.0%} below {anchor}"
    if facts.rule == "stop_fixed" and spec.fixed_pct is not None:
        return f"{spec.fixed_pct:.0%} below the {entry:.2f} {word}"
    if facts.rule == "stop_atr" and spec.atr_mult is not None:
        return f"{spec.atr_mult:g} x ATR({spec.atr_window}) {facts.atr:.2f} below {anchor}"
    if facts.rule == "take_profit" and spec.take_profit_pct is not None:
        return f"{spec.take_profit_pct:.0%} above the {entry:.2f} {word}"
    return rule_words(facts.rule)


def stop_hit(facts: StopFacts, open_price: float, low: float, high: float, fill: float) -> str:
    ticker, words = facts.position.ticker, rule_words(facts.rule)
    if facts.rule == "breaker":
        return f"{ticker} sold at the open, {fill:.2f}: the portfolio breaker tripped at the last close"
    if facts.rule == "time":
        return (f"{ticker} sold at the open, {fill:.2f}: held {facts.position.stops.time_sessions} "
                "sessions (time stop)")
    where = f"{words} {facts.level:.2f} ({stop_origin(facts)})"
    if fill == open_price:
        return f"{ticker} opened {open_price:.2f}, through its {where}: sold at the open, {fill:.2f}"
    moved = f"rose to {high:.2f}" if facts.rule == "take_profit" else f"fell to {low:.2f}"
    return f"{ticker} {moved}, through its {where}: a resting order filled at {fill:.2f}"


def near_stop(facts: StopFacts, close: float, distance: float, session: pd.Timestamp) -> str:
    ticker = facts.position.ticker
    side = "above" if distance >= 0 else "below"
    return (f"{ticker} closed {close:.2f}, {abs(distance):.1%} {side} its {rule_words(facts.rule)} "
            f"{facts.level:.2f} for {session:%Y-%m-%d} ({stop_origin(facts)})")


def sell_at_open(position: ResolvedPosition, close: float, rule: str, session: pd.Timestamp,
                 drawdown: float | None = None) -> str:
    """The time stop or the breaker sells at the next open."""
    if rule == "breaker":
        why = f"the portfolio closed {drawdown:.1%} below its peak (breaker)"
    else:
        why = f"held {position.stops.time_sessions} sessions (time stop)"
    return f"{position.ticker} closed {close:.2f}; {why}: sell at the open of {session:%Y-%m-%d}"


def ticker_drawdown(
    ticker: str, close: float, drawdown: float, high: float, high_date: pd.Timestamp,
    level: float, resolved: bool,
) -> str:
    if resolved:
        return (f"{ticker} closed {close:.2f}, {drawdown:.1%} below its {high:.2f} high of "
                f"{high_date:%Y-%m-%d}: recovered from the {level:.0%} drawdown level")
    return (f"{ticker} closed {close:.2f}, {drawdown:.1%} below its {high:.2f} high of "
            f"{high_date:%Y-%m-%d} since entry: drawdown passed {level:.0%}")


def portfolio_drawdown(drawdown: float, peak_date: pd.Timestamp | None, level: float, resolved: bool) -> str:
    peak = f" of {peak_date:%Y-%m-%d}" if peak_date is not None else ""
    if resolved:
        return (f"Portfolio is {drawdown:.1%} below its peak{peak}: recovered from the "
                f"{level:.0%} drawdown level")
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
