"""Alert rules: pure functions of daily prices, positions and aligned events.

`alert_timeline` replays every session from the first position's entry (or the first event) to
`until` and returns every alert in order. A rule's state (stopped, armed, fired) is derived by
the replay itself, so the live check and `alerts replay` are one code path and evaluating a
session twice can only give the same alerts. No rule ever reads a bar after the session it
evaluates, and a ticker whose newest bar is older than `until` gets one stale_data alert
instead of rules computed from the stale bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bot import messages
from bot.alert import Alert
from bot.model import ResolvedPosition, RuleSettings
from events.align import AlignedEvent


@dataclass(frozen=True)
class StopPath:
    """A position's stop level at each session from entry, and what set it."""

    sessions: pd.DatetimeIndex
    close: np.ndarray
    high_close: np.ndarray
    high_date: list[pd.Timestamp]
    level: np.ndarray
    kind: list[str]


def alert_timeline(
    frames: dict[str, pd.DataFrame],
    positions: list[ResolvedPosition],
    events: list[AlignedEvent],
    settings: RuleSettings,
    until: pd.Timestamp,
) -> list[Alert]:
    """Every alert of every session up to `until`, in session order."""
    alerts: list[Alert] = []
    for position in positions:
        alerts += position_alerts(position, frames[position.ticker], settings, until)
    alerts += portfolio_alerts(frames, positions, settings, until)
    for aligned in events:
        alerts += event_alerts(aligned, frames.get(aligned.ticker), settings, until)
    watched = sorted({p.ticker for p in positions} | set(settings.satellites) | set(settings.watch))
    alerts += stale_alerts({ticker: frames[ticker] for ticker in watched if ticker in frames}, until)
    return sorted(alerts, key=Alert.order)


def true_range(frame: pd.DataFrame) -> pd.Series:
    previous_close = frame["Close"].shift(1)
    ranges = pd.concat(
        [frame["High"] - frame["Low"], (frame["High"] - previous_close).abs(),
         (frame["Low"] - previous_close).abs()], axis=1,
    )
    return ranges.max(axis=1)


def stop_path(position: ResolvedPosition, frame: pd.DataFrame, until: pd.Timestamp) -> StopPath:
    """Stop levels from the entry session to min(until, last bar), on closes (rules of issue 7).

    trailing: (1 - pct) x highest close since entry (inclusive); fixed: (1 - pct) x entry
    price; ATR: highest close - k x mean true range of the last n sessions. The highest applies.
    """
    window = frame.loc[(frame.index >= position.entry) & (frame.index <= until)]
    close = window["Close"].to_numpy()
    high_close = np.maximum.accumulate(close) if len(close) else close
    positions_of_high = _running_argmax(close)
    high_date = [window.index[i] for i in positions_of_high]
    candidates: dict[str, np.ndarray] = {}
    if position.trailing_pct is not None:
        candidates["trailing"] = (1 - position.trailing_pct) * high_close
    if position.fixed_pct is not None:
        candidates["fixed"] = np.full(len(close), (1 - position.fixed_pct) * position.entry_price)
    if position.atr_mult is not None:
        atr = true_range(frame).rolling(position.atr_window).mean().reindex(window.index).to_numpy()
        candidates["ATR"] = high_close - position.atr_mult * atr
    names = list(candidates)
    stacked = np.vstack([candidates[name] for name in names]) if names else np.full((1, len(close)), np.nan)
    filled = np.where(np.isnan(stacked), -np.inf, stacked)
    best = filled.argmax(axis=0)
    level = filled[best, np.arange(len(close))]
    level = np.where(np.isinf(level), np.nan, level)
    kind = [names[i] if names else "none" for i in best]
    return StopPath(pd.DatetimeIndex(window.index), close, high_close, high_date, level, kind)


def _running_argmax(values: np.ndarray) -> list[int]:
    best: list[int] = []
    for index, value in enumerate(values):
        best.append(index if not best or value >= values[best[-1]] else best[-1])
    return best


def position_alerts(
    position: ResolvedPosition, frame: pd.DataFrame, settings: RuleSettings, until: pd.Timestamp
) -> list[Alert]:
    path = stop_path(position, frame, until)
    alerts: list[Alert] = []
    near_armed = True
    drawdown_armed = dict.fromkeys(settings.drawdown_levels, True)
    band = settings.near_stop_pct
    for t, session in enumerate(path.sessions):
        close, level = float(path.close[t]), float(path.level[t])
        describe = messages.StopFacts(position.ticker, close, level, path.kind[t],
                                      float(path.high_close[t]), path.high_date[t], position)
        if not np.isnan(level):
            if close <= level:
                alerts.append(Alert(session, "stop_hit", position.ticker, "", level, close,
                                    messages.stop_hit(describe)))
                break  # fires once; the position is out
            distance = close / level - 1
            if near_armed and distance <= band:
                alerts.append(Alert(session, "near_stop", position.ticker, "", level, close,
                                    messages.near_stop(describe, distance)))
                near_armed = False
            elif not near_armed and distance > 2 * band:
                near_armed = True
        drawdown = 1 - close / float(path.high_close[t])
        for crossed, resolved in drawdown_crossings(drawdown, drawdown_armed):
            text = messages.ticker_drawdown(position.ticker, close, drawdown, float(path.high_close[t]),
                                            path.high_date[t], crossed, resolved)
            alerts.append(Alert(session, "drawdown_resolved" if resolved else "drawdown",
                                position.ticker, f"{crossed:g}", crossed, close, text))
    return alerts


def drawdown_crossings(drawdown: float, armed: dict[float, bool]) -> list[tuple[float, bool]]:
    """(level, resolved) for each level crossed this session: downward fires once and disarms the
    level, recovering above it fires one resolved and re-arms it. Updates `armed`."""
    crossed: list[tuple[float, bool]] = []
    for level, is_armed in armed.items():
        if is_armed and drawdown >= level:
            armed[level] = False
            crossed.append((level, False))
        elif not is_armed and drawdown < level:
            armed[level] = True
            crossed.append((level, True))
    return crossed


def portfolio_value_index(
    frames: dict[str, pd.DataFrame], positions: list[ResolvedPosition], until: pd.Timestamp
) -> pd.Series:
    """Growth of the held portfolio (1.0 at the first entry), chained so new entries add no jump."""
    if not positions:
        return pd.Series(dtype=float)
    first = min(position.entry for position in positions)
    last = min(min(frames[p.ticker].index[-1] for p in positions), until)
    closes = pd.DataFrame({i: frames[p.ticker]["Close"] for i, p in enumerate(positions)})
    closes = closes.loc[(closes.index >= first) & (closes.index <= last)]
    held = pd.DataFrame({i: (closes.index >= p.entry) for i, p in enumerate(positions)},
                        index=closes.index)
    shares = np.array([p.shares for p in positions])
    value_now = (closes.fillna(0) * shares * held.shift(1, fill_value=False)).sum(axis=1)
    value_before = (closes.shift(1).fillna(0) * shares * held.shift(1, fill_value=False)).sum(axis=1)
    growth = (value_now / value_before.replace(0, np.nan)).fillna(1.0)
    return growth.cumprod()


def portfolio_alerts(
    frames: dict[str, pd.DataFrame], positions: list[ResolvedPosition], settings: RuleSettings,
    until: pd.Timestamp,
) -> list[Alert]:
    index = portfolio_value_index(frames, positions, until)
    alerts: list[Alert] = []
    armed = dict.fromkeys(settings.drawdown_levels, True)
    peak, peak_date = -np.inf, None
    for session, value in zip(pd.DatetimeIndex(index.index), index.to_numpy(), strict=True):
        if value > peak:
            peak, peak_date = float(value), session
        drawdown = 1 - float(value) / peak
        for crossed, resolved in drawdown_crossings(drawdown, armed):
            text = messages.portfolio_drawdown(drawdown, peak_date, crossed, resolved)
            alerts.append(Alert(session, "drawdown_resolved" if resolved else "drawdown",
                                "portfolio", f"{crossed:g}", crossed, None, text))
    return alerts


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
