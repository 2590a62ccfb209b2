"""What the bot's commands answer, as plain text or PNG bytes: no Telegram in here.

Each method is a blocking function of the config, the stored prices and the alert ledger (the
adapter runs them in a worker thread). A user mistake raises UserInputError with a message
that is safe to show (it becomes the reply).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from bot import charts
from bot.alert import Alert
from bot.alerting import AlertInputs, build_inputs, run_timeline
from bot.chat_book import ChatBook
from bot.digest import is_week_end
from bot.messages import rule_words
from bot.notify import NotifyModes
from bot.outbox import Outbox
from bot.reports import Reports
from bot.rules import Timeline
from bot.store import AlertStore
from bot.tracking import PositionPath
from bot.workspace import Workspace
from satellite.errors import UserInputError
from satellite.tickers import parse_ticker

CHART_SESSIONS = 120
MAX_CHART_SESSIONS = 260
MAX_LIST = 50


class BotServices:
    """The bot's answers over one Workspace and one alert database."""

    def __init__(self, context: Workspace, database: Path) -> None:
        self.context = context
        self.database = database
        self.book = ChatBook(context, database)
        self.reports = Reports(context)

    def _inputs(self) -> AlertInputs:
        return build_inputs(self.context)

    def _timeline(self, inputs: AlertInputs, until: pd.Timestamp | None = None) -> Timeline:
        """The rules up to `until` (default: the newest bar of any position's ticker)."""
        last = max((inputs.frames[p.ticker].index[-1] for p in inputs.positions),
                   default=pd.Timestamp.min)
        return run_timeline(inputs, last if until is None else until)

    def _outbox(self) -> tuple[AlertStore, Outbox]:
        store = AlertStore(self.database)
        return store, Outbox(store)

    def status(self) -> str:
        inputs = self._inputs()
        store, outbox = self._outbox()
        try:
            last = store.last_evaluated()
            counts, muted = outbox.counts(), outbox.muted
        finally:
            store.close()
        lines = []
        if inputs.positions:
            result = self._timeline(inputs)
            value = sum(_value(path, inputs) for path in result.paths)
            cost = sum(p.shares * p.entry_price for p in inputs.positions)
            index = result.value
            drawdown = 1 - float(index.iloc[-1] / max(index.max(), 1.0)) if len(index) else 0.0
            cash = sum(p.position.shares * p.closed.fill for p in result.paths if p.closed)
            held = f", {cash:,.2f} of it cash from stops" if cash else ""
            prices_to = max(inputs.frames[p.ticker].index[-1] for p in inputs.positions)
            lines.append(f"Portfolio {value:,.2f} USD{held} ({value / cost - 1:+.1%} on cost), "
                         f"{drawdown:.1%} below its peak, prices to {prices_to:%Y-%m-%d}")
            lines += [_stop_line(path, inputs) for path in result.paths]
        else:
            lines.append("No positions: /bought TICKER SHARES PRICE (or `satellite positions add`) adds one.")
        evaluated = f"{last:%Y-%m-%d}" if last is not None else "never"
        lines.append(f"Alerts: last session evaluated {evaluated}; {counts['pending'] + counts['unknown']} "
                     f"waiting, {counts['failed']} failed{'; muted' if muted else ''}")
        return "\n".join(lines)

    def positions(self) -> str:
        """The book's lots: open ones at the last close (and a stop they await an answer to), then
        the sold ones."""
        inputs = self._inputs()
        if not inputs.positions:
            return "No positions: /bought TICKER SHARES PRICE (or `satellite positions add`) adds one."
        lines = []
        for path in self._timeline(inputs).paths:
            p = path.position
            if p.sold is not None:
                lines.append(f"#{p.lot} {p.ticker}: {p.shares:g} shares since {p.entry:%Y-%m-%d} at "
                             f"{p.entry_price:.2f}; sold {p.sold.session:%Y-%m-%d} at {p.sold.price:.2f}")
                continue
            frame = inputs.frames[p.ticker]
            close = float(frame["Close"].iloc[-1])
            stopped = (f"; STOP HIT {path.closed.session:%Y-%m-%d} at {path.closed.fill:.2f}: answer its "
                       "alert's buttons or /sold" if path.closed is not None else "")
            lines.append(f"#{p.lot} {p.ticker}: {p.shares:g} shares since {p.entry:%Y-%m-%d} at "
                         f"{p.entry_price:.2f}; {close:.2f} on {frame.index[-1]:%Y-%m-%d} "
                         f"({close / p.entry_price - 1:+.1%}), value {p.shares * close:,.2f}{stopped}")
        return "\n".join(lines)

    def stops(self) -> str:
        inputs = self._inputs()
        if not inputs.positions:
            return "No positions, so no stops: /bought TICKER SHARES PRICE adds one."
        return "\n".join(_stop_line(path, inputs) for path in self._timeline(inputs).paths)

    def events(self, count: int) -> str:
        if not 1 <= count <= MAX_LIST:
            raise UserInputError(f"N must be between 1 and {MAX_LIST}")
        from events.service import load_aligned

        aligned, _ = load_aligned(self.context.config, self.context.store)
        seen: dict[str, str] = {}
        for item in sorted(aligned, key=lambda a: (a.event.announced, a.event.id), reverse=True):
            event = item.event
            if event.id not in seen:
                day0 = f", day 0 {item.day0:%Y-%m-%d}" if item.day0 is not None else ""
                summary = f": {event.summary}" if event.summary else ""
                seen[event.id] = (f"{event.announced:%Y-%m-%d} {'/'.join(event.tickers)} {event.kind} "
                                  f"{event.id}{day0}{summary}")
        lines = list(seen.values())[:count]
        return "\n".join(lines) if lines else "No events in the catalogue."

    def alerts(self, count: int = 10) -> str:
        store = AlertStore(self.database)
        try:
            rows = store.rows(count)
        finally:
            store.close()
        if not rows:
            return "No alert yet."
        return "\n".join(f"{row.alert.session:%Y-%m-%d} {row.alert.rule} {row.alert.subject} "
                         f"[{row.status or '-'}]: {row.alert.message}" for row in rows)

    def backtest(self, strategy: str | None) -> str:
        from backtests.run import run_backtest
        from strategies.registry import available

        name = strategy or "core_satellite"
        names = sorted(available())
        if name not in names:
            raise UserInputError(f"unknown strategy {name!r}; one of: {', '.join(names)}")
        result = run_backtest(self.context.config.settings, self.context.store, name)
        s, b = result.stats, result.benchmark_stats
        return (f"{name} {result.start:%Y-%m-%d}..{result.end:%Y-%m-%d}: return {s['total_return']:+.1%}, "
                f"CAGR {s['cagr']:+.1%}, max drawdown {s['max_drawdown']:.1%}, Sharpe {s['sharpe']:.2f}, "
                f"{s['fills']} fills; buy-and-hold {self.context.config.settings.portfolio.core}: "
                f"return {b['total_return']:+.1%}, max drawdown {b['max_drawdown']:.1%}")

    def chart(self, text: str, until: pd.Timestamp | None = None) -> tuple[bytes, str]:
        """A PNG of TICKER's recent closes, stop path, stop hit and events, and its caption."""
        data = self.chart_data(text, until)
        return charts.price_chart(data), data.caption

    def chart_data(self, text: str, until: pd.Timestamp | None = None) -> charts.PriceChart:
        """What the chart shows: the last CHART_SESSIONS closes (from the newest position's
        entry when that is at most MAX_CHART_SESSIONS back), the level in force each session
        from entry to exit, the stop that closed it, the catalogue's events."""
        ticker = parse_ticker(text)
        inputs = self._inputs()
        frame = inputs.frames.get(ticker)
        if frame is None:
            if not self.context.store.has(ticker):
                known = sorted(set(inputs.frames) | set(self.context.store.tickers()))
                raise UserInputError(f"no prices for {ticker}; one of: {', '.join(known)}")
            frame = self.context.store.load(ticker).frame
        if until is not None:
            frame = frame.loc[frame.index <= until]
        paths = [p for p in self._timeline(inputs, frame.index[-1]).paths
                 if p.position.ticker == ticker and p.sessions]
        path = paths[-1] if paths else None  # the newest position in the ticker
        first = len(frame) - CHART_SESSIONS
        if path is not None:
            first = min(first, max(int(frame.index.searchsorted(path.sessions[0])) - 5,
                                   len(frame) - MAX_CHART_SESSIONS))
        close = frame["Close"].iloc[max(first, 0):]
        stop, hit = None, None
        caption = f"{ticker}: last close {float(close.iloc[-1]):.2f} on {close.index[-1]:%Y-%m-%d}"
        if path is not None:
            stop = pd.Series(path.level, index=pd.DatetimeIndex(path.sessions)).reindex(close.index)
            if path.closed is not None:
                hit = charts.StopHit(path.closed.session, path.closed.fill, rule_words(path.closed.rule))
                caption += (f"; closed {path.closed.session:%Y-%m-%d} at {path.closed.fill:.2f} "
                            f"({rule_words(path.closed.rule)})")
        marks = [(a.day0, a.event.id) for a in inputs.events if a.ticker == ticker and a.day0 is not None]
        return charts.PriceChart(close, f"{ticker} close, stop and events", caption, stop, marks, hit)

    def alert_chart(self, alert: Alert) -> bytes | None:
        """The chart sent with a stop_hit or drawdown alert, or with a week's last digest (None
        when there is nothing to draw)."""
        if alert.rule == "digest":
            return self.week_chart(alert.session) if is_week_end(alert.session) else None
        if alert.subject != "portfolio":
            return self.chart(alert.subject, alert.session)[0]
        inputs = self._inputs()
        if not inputs.positions:
            return None
        index = self._timeline(inputs, alert.session).value
        if index.empty:
            return None
        return charts.value_chart(index.iloc[-CHART_SESSIONS:], "Portfolio value (1.0 at first entry)")

    def week_chart(self, session: pd.Timestamp) -> bytes | None:
        """The portfolio's value index against the core's close, both 1.0 at the first session
        shown (the last MAX_CHART_SESSIONS up to `session`)."""
        inputs = self._inputs()
        core = inputs.settings.core
        index = self._timeline(inputs, session).value.iloc[-MAX_CHART_SESSIONS:] if inputs.positions else None
        if index is None or index.empty or core not in inputs.frames:
            return None
        close = inputs.frames[core]["Close"].reindex(index.index)
        title = f"Portfolio vs {core} to {session:%Y-%m-%d} (1.0 at {index.index[0]:%Y-%m-%d})"
        return charts.versus_chart(index / float(index.iloc[0]), close / float(close.iloc[0]), core, title)

    def notify_modes(self) -> str:
        store = AlertStore(self.database)
        try:
            modes = NotifyModes(store, self.context.config.settings.alerts.notify).modes()
        finally:
            store.close()
        return "Notifications per rule:\n" + "\n".join(f"{m.rule}: {m.mode} ({m.source})" for m in modes)

    def set_notify(self, rule: str, mode: str) -> str:
        store = AlertStore(self.database)
        try:
            changed = NotifyModes(store, self.context.config.settings.alerts.notify).set(rule, mode)
        finally:
            store.close()
        return f"{changed.rule}: {changed.mode} ({changed.source}); /notify lists every rule."

    def set_muted(self, muted: bool) -> str:
        store, outbox = self._outbox()
        try:
            outbox.set_muted(muted)
            waiting = outbox.counts()["pending"]
        finally:
            store.close()
        if muted:
            return "Muted: alerts are kept and delivered after /unmute."
        return f"Unmuted: {waiting} waiting alert(s) will be delivered now."


def _value(path: PositionPath, inputs: AlertInputs) -> float:
    """What the position is worth now: its proceeds once closed, else shares x last close."""
    position = path.position
    if path.closed is not None:
        return position.shares * path.closed.fill
    return position.shares * float(inputs.frames[position.ticker]["Close"].iloc[-1])


def _stop_line(path: PositionPath, inputs: AlertInputs) -> str:
    """An open position against the stop for its next session, or how it was closed."""
    position = path.position
    frame = inputs.frames[position.ticker]
    close, last = float(frame["Close"].iloc[-1]), frame.index[-1]
    if path.closed is not None:
        closed = path.closed
        return (f"{position.ticker} CLOSED {closed.session:%Y-%m-%d} at {closed.fill:.2f} "
                f"({rule_words(closed.rule)}); last {close:.2f} on {last:%Y-%m-%d}")
    level = path.next_level[-1] if path.next_level else math.nan
    if math.isnan(level):
        return f"{position.ticker} {close:.2f}: no stop set"
    return (f"{position.ticker} {close:.2f}, {rule_words(path.next_rule[-1])} {level:.2f} for the "
            f"next session ({close / level - 1:.1%} above)")
