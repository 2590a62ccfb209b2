"""The intraday stop watch ([schedule] intraday_minutes, off by default).

Every N minutes during NYSE hours (early closes respected: bot.schedule.MarketHoursTrigger) the
price source's latest quote of each open position is compared with the stop in force for the
session, the level known at the previous close (bot.levels, what the digest told the owner to
put at the broker). A crossing (the price, or the session's low so far, at or below the level)
is a stop_hit alert of that session at once, e.g. "NBIS trading 183.10, below its trailing stop
186.70". It has the key of the session's after-close stop_hit (rule, ticker, session), so the
evening check does not send that one again; it only completes the ledger row with the fill and
the rule it finds.

The watch never holds the evening check up: it has its own lock, its quotes come from a daemon
thread bounded by [schedule] fetch_timeout, and a slow or failing source (or stale stored
prices) skips the run with one log line.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

import pandas as pd

from bot.alert import Alert
from bot.alerting import build_inputs, evening
from bot.levels import NextLevel, levels_after
from bot.logs import redact
from bot.messages import rule_words
from bot.schedule import session_hours
from bot.store import AlertStore
from bot.threads import in_daemon_thread
from bot.workspace import Workspace
from market.calendar import is_session, last_completed_session
from market.sources import PriceSource, Quote
from market.xnys import nyse
from satellite.errors import SatelliteError, SourceUnavailableError

log = logging.getLogger("satellite.intraday")


def open_session(now: dt.datetime) -> pd.Timestamp | None:
    """The session trading at `now` (None: the market is closed)."""
    day = pd.Timestamp(now.astimezone(dt.UTC).astimezone(nyse().tz).date())
    if not is_session(day):
        return None
    opens, closes = session_hours(day)
    return day if opens <= now < closes else None


def crossing_alerts(levels: list[NextLevel], quotes: dict[str, Quote], session: pd.Timestamp,
                    since: dt.datetime) -> list[Alert]:
    """A stop_hit for each position whose quote (of this session) is at or through its level."""
    alerts = []
    for level in levels:
        quote = quotes.get(level.ticker)
        if quote is None or level.level is None or level.sell_at_open is not None or quote.at < since:
            continue
        low = min(quote.price, quote.low if quote.low is not None else quote.price)
        if low > level.level:
            continue
        words = rule_words(level.rule or "")
        if quote.price <= level.level:
            seen = f"{level.ticker} trading {quote.price:.2f}, below its {words} {level.level:.2f}"
        else:
            seen = (f"{level.ticker} traded down to {low:.2f} (now {quote.price:.2f}), through its "
                    f"{words} {level.level:.2f}")
        text = (f"{seen} (intraday, {quote.at.astimezone(nyse().tz):%H:%M} New York): a resting stop order "
                f"has triggered; the after-close check confirms the fill")
        alerts.append(Alert(session, "stop_hit", level.ticker, "", level.level, None, text, None, level.rule))
    return alerts


def fetch_quotes(source: PriceSource, tickers: list[str]) -> dict[str, Quote]:
    """Each ticker's quote; a ticker the source cannot answer is left out (all failing: an error)."""
    quotes, failures = {}, []
    for ticker in tickers:
        try:
            quotes[ticker] = source.latest_quote(ticker)
        except SatelliteError as err:
            failures.append(redact(str(err)))
    if failures and not quotes:
        raise SourceUnavailableError("; ".join(failures))
    return quotes


class IntradayWatch:
    """One bot's intraday runs over its Workspace and alert database."""

    def __init__(self, context: Workspace, database: Path, timeout: float) -> None:
        self.context = context
        self.database = database
        self.timeout = timeout
        self.lock = asyncio.Lock()
        self.fetch: asyncio.Future[dict[str, Quote]] | None = None

    def levels(self, session: pd.Timestamp, now: dt.datetime) -> list[NextLevel]:
        """The stops in force for `session`: after the last close before it."""
        before = last_completed_session(pd.Timestamp(now))
        return [level for level in levels_after(build_inputs(self.context), before)
                if level.session == session and level.level is not None and level.sell_at_open is None]

    def record(self, alerts: list[Alert]) -> list[Alert]:
        store = AlertStore(self.database)
        try:
            live = evening(self.context, store)
            return store.record_alerts(alerts, live.send if live is not None else None)
        finally:
            store.close()

    async def run(self, now: dt.datetime | None = None) -> list[Alert]:
        """One check (nothing while the market is closed or an earlier run is still busy)."""
        now = now or dt.datetime.now(dt.UTC)
        session = open_session(now)
        if session is None:
            return []
        if self.lock.locked() or (self.fetch is not None and not self.fetch.done()):
            log.warning("intraday watch: the previous run is still busy; this one is skipped")
            return []
        async with self.lock:
            try:
                levels = await asyncio.to_thread(self.levels, session, now)
            except SatelliteError as err:
                log.warning("intraday watch skipped: %s", redact(str(err)))
                return []
            if not levels:
                return []
            quotes = await self._quotes(sorted({level.ticker for level in levels}))
            if quotes is None:
                return []
            alerts = crossing_alerts(levels, quotes, session, session_hours(session)[0])
            new = await asyncio.to_thread(self.record, alerts)
            for alert in new:
                log.info("intraday watch: %s crossed its stop", alert.subject)
            return new

    async def _quotes(self, tickers: list[str]) -> dict[str, Quote] | None:
        source = self.context.price_source
        self.fetch = in_daemon_thread(lambda: fetch_quotes(source, tickers), "intraday-quotes")
        try:
            return await asyncio.wait_for(asyncio.shield(self.fetch), self.timeout)
        except TimeoutError:
            log.warning("intraday watch skipped: %s did not answer within %g s", source.name, self.timeout)
        except Exception as err:  # any failure of the source skips this run, once, in one line
            reason = redact(f"{type(err).__name__}: {err}")
            log.warning("intraday watch skipped: quotes unavailable (%s)", reason)
        return None
