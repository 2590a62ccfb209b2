"""Alert rules: pure functions of daily prices, positions and aligned events.

`timeline` steps every session once, from the first position's entry (or the first event) to
`until`, and returns every alert in order with each position's stop path and the portfolio's
value. Rule state (stopped, armed, fired) is carried forward by that one pass, so the live check
and `alerts replay` are one code path and evaluating a session twice gives the same alerts. No
rule reads a bar after the session it evaluates, and a ticker whose newest bar is older than
`until` gets one stale_data alert instead of rules computed from the stale bar.

Stop levels, fills and exits are the backtest's (strategies.stop_level, through bot/tracking.py):
- stop_hit: the session's low reached the level in force (known at the previous close), or the
  open was through it (filled at the open), or the take-profit's high, the time stop or the
  breaker sold at the open; the position is then closed at that fill and its rules end.
- near_stop: the close is within near_stop_pct of the level for the next session (re-armed
  once more than twice that away), or the time stop or the breaker sells at the next open.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bot import messages
from bot.alert import Alert
from bot.model import ResolvedPosition, RuleSettings
from bot.tracking import PositionPath
from bot.watch import watch
from events.align import AlignedEvent


@dataclass(frozen=True)
class Timeline:
    """Every alert up to `until` in session order, each position's path, the portfolio's value
    index, value in USD and P&L per session (bot.watch.Watched)."""

    alerts: list[Alert]
    paths: list[PositionPath]
    value: pd.Series
    usd: pd.Series
    pnl: pd.Series


def timeline(
    frames: dict[str, pd.DataFrame],
    positions: list[ResolvedPosition],
    events: list[AlignedEvent],
    settings: RuleSettings,
    until: pd.Timestamp,
) -> Timeline:
    watched = watch(frames, positions, settings, until)
    alerts = list(watched.alerts)
    for aligned in events:
        alerts += event_alerts(aligned, frames.get(aligned.ticker), settings, until)
    tickers = sorted({p.ticker for p in positions} | set(settings.satellites) | set(settings.watch))
    alerts += stale_alerts({ticker: frames[ticker] for ticker in tickers if ticker in frames}, until)
    return Timeline(sorted(alerts, key=Alert.order), watched.paths, watched.value, watched.usd, watched.pnl)


def alert_timeline(
    frames: dict[str, pd.DataFrame],
    positions: list[ResolvedPosition],
    events: list[AlignedEvent],
    settings: RuleSettings,
    until: pd.Timestamp,
) -> list[Alert]:
    """Every alert of every session up to `until`, in session order."""
    return timeline(frames, positions, events, settings, until).alerts


def event_alerts(
    aligned: AlignedEvent, frame: pd.DataFrame | None, settings: RuleSettings, until: pd.Timestamp
) -> list[Alert]:
    """new_event on day 0; pullback_zone once, when within N sessions after day 0 a satellite
    that closed above the zone (pre-event close x (1 + tol)) comes back within tol of it."""
    if aligned.day0 is None or aligned.day0 > until:
        return []
    alerts = [Alert(aligned.day0, "new_event", aligned.ticker, aligned.event.id, None, None,
                    messages.new_event(aligned))]
    if (frame is None or aligned.ticker not in settings.satellites or aligned.pre_close is None
            or not aligned.tradable):
        return alerts
    after = frame.loc[(frame.index >= aligned.day0) & (frame.index <= until), "Close"]
    band_top = aligned.pre_close * (1 + settings.pullback_tol)
    left_zone = False  # the price must first run away above the zone, then come back into it
    window = after.iloc[: settings.pullback_sessions + 1]
    for number, (session, close) in enumerate(zip(pd.DatetimeIndex(window.index), window.to_numpy(),
                                                  strict=True)):
        if number > 0 and left_zone and abs(close / aligned.pre_close - 1) <= settings.pullback_tol:
            alerts.append(Alert(session, "pullback_zone", aligned.ticker, aligned.event.id,
                                aligned.pre_close, float(close),
                                messages.pullback(aligned, float(close), number, settings)))
            break
        left_zone = left_zone or close > band_top
    return alerts


def stale_alerts(frames: dict[str, pd.DataFrame], until: pd.Timestamp) -> list[Alert]:
    """One stale_data alert per ticker whose newest bar is older than the evaluated session."""
    from market.calendar import sessions_between

    alerts = []
    for ticker, frame in frames.items():
        last = frame.index[-1]
        if last < until:
            missing = len(sessions_between(last, until)) - 1
            alerts.append(Alert(until, "stale_data", ticker, f"{last:%Y-%m-%d}", None,
                                float(frame["Close"].iloc[-1]), messages.stale(ticker, last, until, missing)))
    return alerts
