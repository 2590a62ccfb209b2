"""What the bot's commands answer, as plain text or PNG bytes: no Telegram in here.

Each method is a blocking function of the config, the stored prices and the alert ledger (the
adapter runs them in a worker thread). A user mistake raises UserInputError with a message
that is safe to show (it becomes the reply).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bot import charts
from bot.alert import Alert
from bot.alerting import AlertInputs, build_inputs
from bot.outbox import Outbox
from bot.rules import portfolio_value_index, stop_path
from bot.store import AlertStore
from bot.workspace import Workspace
from satellite.errors import UserInputError
from satellite.tickers import parse_ticker

CHART_SESSIONS = 120
MAX_LIST = 50


class BotServices:
    """The bot's answers over one Workspace and one alert database."""

    def __init__(self, context: Workspace, database: Path) -> None:
        self.context = context
        self.database = database

    def _inputs(self) -> AlertInputs:
        return build_inputs(self.context)

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
            value = sum(p.shares * float(inputs.frames[p.ticker]["Close"].iloc[-1]) for p in inputs.positions)
            cost = sum(p.shares * p.entry_price for p in inputs.positions)
            until = min(inputs.frames[p.ticker].index[-1] for p in inputs.positions)
            index = portfolio_value_index(inputs.frames, inputs.positions, until)
            drawdown = 1 - float(index.iloc[-1] / index.max()) if len(index) else 0.0
            lines.append(f"Portfolio {value:,.2f} USD ({value / cost - 1:+.1%} on cost), "
                         f"{drawdown:.1%} below its peak, prices to {until:%Y-%m-%d}")
            lines += [self._stop_line(inputs, i) for i in range(len(inputs.positions))]
        else:
            lines.append("No positions: add [[positions]] to config.toml to watch stops and drawdown.")
        evaluated = f"{last:%Y-%m-%d}" if last is not None else "never"
        lines.append(f"Alerts: last session evaluated {evaluated}; {counts['pending'] + counts['unknown']} "
                     f"waiting, {counts['failed']} failed{'; muted' if muted else ''}")
        return "\n".join(lines)

    def _stop_line(self, inputs: AlertInputs, number: int) -> str:
        position = inputs.positions[number]
        frame = inputs.frames[position.ticker]
        path = stop_path(position, frame, frame.index[-1])
        close = float(frame["Close"].iloc[-1])
        level = float(path.level[-1]) if len(path.level) else float("nan")
        if np.isnan(level):
            return f"{position.ticker} {close:.2f}: no stop set"
        state = "STOPPED" if (path.close <= path.level).any() else f"{close / level - 1:.1%} above"
        return f"{position.ticker} {close:.2f}, {path.kind[-1]} stop {level:.2f} ({state})"

    def positions(self) -> str:
        inputs = self._inputs()
        if not inputs.positions:
            return "No positions: add [[positions]] to config.toml."
        lines = []
        for p in inputs.positions:
            frame = inputs.frames[p.ticker]
            close = float(frame["Close"].iloc[-1])
            lines.append(f"{p.ticker}: {p.shares:g} shares since {p.entry:%Y-%m-%d} at {p.entry_price:.2f}; "
                         f"{close:.2f} on {frame.index[-1]:%Y-%m-%d} ({close / p.entry_price - 1:+.1%}), "
                         f"value {p.shares * close:,.2f}")
        return "\n".join(lines)

    def stops(self) -> str:
        inputs = self._inputs()
        if not inputs.positions:
            return "No positions, so no stops: add [[positions]] to config.toml."
        return "\n".join(self._stop_line(inputs, i) for i in range(len(inputs.positions)))

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
        """A PNG of TICKER's recent closes, stop level and events, and its caption."""
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
        close = frame["Close"].iloc[-CHART_SESSIONS:]
        stop = None
        for position in inputs.positions:
            if position.ticker == ticker:
                path = stop_path(position, frame, frame.index[-1])
                stop = pd.Series(path.level, index=path.sessions).reindex(close.index)
        marks = [(a.day0, a.event.id) for a in inputs.events if a.ticker == ticker and a.day0 is not None]
        caption = f"{ticker}: last close {float(close.iloc[-1]):.2f} on {close.index[-1]:%Y-%m-%d}"
        return charts.price_chart(close, f"{ticker} close, stop and events", stop, marks), caption

    def alert_chart(self, alert: Alert) -> bytes | None:
        """The chart sent with a stop_hit or drawdown alert (None when there is nothing to draw)."""
        if alert.subject != "portfolio":
            return self.chart(alert.subject, alert.session)[0]
        inputs = self._inputs()
        if not inputs.positions:
            return None
        index = portfolio_value_index(inputs.frames, inputs.positions, alert.session)
        return charts.value_chart(index.iloc[-CHART_SESSIONS:], "Portfolio value (1.0 at first entry)")

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
