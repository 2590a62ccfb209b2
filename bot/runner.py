"""`satellite bot run`: polling, the scheduler and the delivery loop in one event loop.

The check (start-up catch-up, the daily job, --every): refresh prices within
[schedule] fetch_timeout (on failure or time-out the stored prices are used, and the alert
engine's stale_data rule sends one notice), evaluate every pending session (bot.alerting, with
the evening's digest and reminders), then drain the outbox. Checks never overlap (a lock; a
refresh still hanging from an earlier check is not started twice). The delivery loop retries
undelivered alerts in the background. The intraday watch (bot.intraday) runs beside, on its
own lock. With --offline, prices are never fetched and an unreachable Bot API does not stop
the bot (bot.connect): nothing is sent until it answers, everything is evaluated and queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from telegram import Bot

from bot.alert import Alert
from bot.alerting import build_inputs, database_path, evaluate_sessions, evening, pending_sessions
from bot.connect import connect, reconnect, start_telegram
from bot.delivery import Deliverer, DrainReport, Extras, RetryPolicy
from bot.extras import message_extras
from bot.holdings import Holdings
from bot.intraday import IntradayWatch
from bot.outbox import Outbox, OutboxItem, redact, utc_now
from bot.schedule import CHECKS, DAILY_JOB, INTRADAY, add_jobs, build_scheduler, drop_intraday
from bot.services import BotServices
from bot.store import AlertStore
from bot.telegram import build_application
from bot.threads import in_daemon_thread
from bot.workspace import Workspace
from market.calendar import last_completed_session
from market.update import update_ticker
from satellite.errors import SatelliteError

log = logging.getLogger("satellite.bot")
REMINDER_SECONDS = 300.0  # while delivery is refused: one reminder in the log this often
T = TypeVar("T")


def lease_seconds(timeout: float) -> float:
    """How long a claimed row may stay 'sending' (claims are renewed before each API call)."""
    return 3 * timeout + 2


@dataclass
class CheckReport:
    reason: str
    refreshed: bool
    new_alerts: list[Alert]
    delivery: DrainReport


class BotRuntime:
    """Checks and deliveries of one bot over one alert database."""

    def __init__(self, context: Workspace, bot: Bot, database: Path, offline: bool = False,
                 policy: RetryPolicy | None = None) -> None:
        telegram = context.config.settings.telegram
        self.context = context
        self.database = database
        self.offline = offline
        self.services = BotServices(context, database)
        self.store = AlertStore(database)
        self.outbox = Outbox(self.store, lease_seconds(telegram.timeout))
        policy = policy or RetryPolicy(backoff=telegram.retry_seconds, max_wait=max(telegram.timeout, 1.0))
        self.deliverer = Deliverer(bot, list(telegram.chat_ids), self.outbox, self.chart, policy, self.extras)
        self.connected = True  # False while --offline waits for the Bot API (bot.connect)
        self.intraday = IntradayWatch(context, database, context.config.settings.schedule.fetch_timeout)
        self.retry_seconds = telegram.retry_seconds
        self.check_lock = asyncio.Lock()
        self.drain_lock = asyncio.Lock()
        self.wake = asyncio.Event()
        self.reminder_seconds = REMINDER_SECONDS
        self.reminded: float | None = None  # when a blocked delivery was last logged (monotonic)
        self.fetch: asyncio.Future[None] | None = None

    def close(self) -> None:
        self.store.close()

    async def chart(self, alert: Alert) -> bytes | None:
        return await asyncio.to_thread(self.services.alert_chart, alert)

    def extras(self, item: OutboxItem) -> Extras:
        return message_extras(self.store, self.context.config.settings.alerts.notify, item)

    async def check(self, reason: str, now: dt.datetime | None = None) -> CheckReport:
        async with self.check_lock:
            log.info("check (%s): refreshing prices, evaluating sessions, delivering", reason)
            refreshed = await self.refresh()
            new = await asyncio.to_thread(self.evaluate, now)
            log.info("check (%s): %d new alert(s)", reason, len(new))
            report = await self.drain()
            return CheckReport(reason, refreshed, new, report)

    async def safe_check(self, reason: str) -> None:
        """A check whose failure is logged, not raised (the bot keeps running)."""
        try:
            await self.check(reason)
        except Exception as err:
            log.error("check (%s) failed: %s", reason, redact(f"{type(err).__name__}: {err}"),
                      exc_info=not isinstance(err, SatelliteError))

    async def safe_intraday(self) -> None:
        """An intraday run whose failure is logged, not raised; new alerts are delivered."""
        try:
            if await self.intraday.run():
                self.wake.set()
        except Exception as err:
            log.error("intraday watch failed: %s", redact(f"{type(err).__name__}: {err}"),
                      exc_info=not isinstance(err, SatelliteError))

    def tickers(self) -> list[str]:
        """The portfolio's tickers and the position book's."""
        store = AlertStore(self.database)
        try:
            held = Holdings(self.context, store).tickers()
        finally:
            store.close()
        return sorted(set(self.context.config.settings.portfolio.tickers) | set(held))

    async def refresh(self) -> bool:
        """Update prices within fetch_timeout; False: the stored prices are used as they are."""
        if self.offline:
            return False
        if self.fetch is not None and not self.fetch.done():
            log.warning("the previous price refresh is still running; using stored prices")
            return False
        timeout = self.context.config.settings.schedule.fetch_timeout
        self.fetch = in_daemon_thread(self.update_prices)
        try:
            await asyncio.wait_for(asyncio.shield(self.fetch), timeout)
        except TimeoutError:
            log.warning("price refresh did not finish within %g s; using stored prices", timeout)
            return False
        return True

    def update_prices(self) -> None:
        for ticker in self.tickers():
            try:
                report = update_ticker(self.context.store, self.context.price_source, ticker)
                log.info("%s", report.describe())
            except SatelliteError as err:
                log.warning("price refresh: %s; using stored prices", redact(str(err)))

    def evaluate(self, now: dt.datetime | None = None) -> list[Alert]:
        """Every completed session since the last one in the ledger (the catch-up)."""
        import pandas as pd

        target = last_completed_session(None if now is None else pd.Timestamp(now))
        inputs = build_inputs(self.context)
        store = AlertStore(self.database)
        try:
            live = evening(self.context, store)
            return evaluate_sessions(store, inputs, pending_sessions(store, target), live)
        finally:
            store.close()

    async def drain(self) -> DrainReport:
        if not self.connected:
            return DrainReport()
        async with self.drain_lock:
            report = await self.deliverer.drain()
            self.remind()
            return report

    def remind(self) -> None:
        """While Telegram refuses the bot or a chat: the change itself was logged when it happened
        (bot.delivery); after that one reminder every reminder_seconds, not one per pass."""
        state = self.outbox.state
        refusal = state.bot_refusal()
        chats = [f"chat {c.chat_id} since {c.since} ({c.error})" for c in state.chats().values()
                 if c.blocked and c.chat_id in self.deliverer.chat_ids]
        if refusal is None and not chats:
            self.reminded = None
            return
        if self.reminded is None:
            self.reminded = time.monotonic()
        elif time.monotonic() - self.reminded >= self.reminder_seconds:
            self.reminded = time.monotonic()
            kept = self.outbox.counts()["failed"]
            log.error("delivery still refused: %s; %d alert(s) kept; fix it, then restart the bot",
                      redact(refusal or "; ".join(chats)), kept)

    async def online(self) -> None:
        """The Bot API answered at last (--offline): deliver what was queued."""
        self.connected = True
        self.wake.set()

    async def delivery_loop(self) -> None:
        """Retry undelivered alerts: at their next_try, on a wake-up, or every retry_seconds."""
        while True:
            self.wake.clear()
            delay = float(self.retry_seconds)
            try:
                report = await self.drain()
                due = self.outbox.next_due()
                if due is not None and report.blocked is None:
                    delay = min(max((due - utc_now()).total_seconds(), 0.2), delay)
            except Exception as err:
                log.error("delivery failed: %s", redact(f"{type(err).__name__}: {err}"),
                          exc_info=not isinstance(err, SatelliteError))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), delay)


async def run_bot(context: Workspace, token: str, every: float | None = None, offline: bool = False,
                  ready: Callable[[], None] | None = None) -> None:
    """Run until SIGTERM/SIGINT: start-up catch-up, polling, the schedule, background delivery."""
    settings = context.config.settings
    database = database_path(context)
    application = build_application(token, settings.telegram, BotServices(context, database))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    connected = await connect(application, offline)  # getMe: a wrong token or no server shows here
    runtime = BotRuntime(context, application.bot, database, offline)
    runtime.connected = connected
    key = str(database)
    CHECKS[key], INTRADAY[key] = runtime.safe_check, runtime.safe_intraday
    application.bot_data["wake_delivery"] = runtime.wake.set
    scheduler = build_scheduler(database)
    tasks: list[asyncio.Task[Any]] = []
    try:
        requeued = runtime.outbox.requeue_failed()
        if requeued:
            log.info("%d failed alert(s) queued again for one more try", requeued)
        add_jobs(scheduler, key, settings.schedule.time, every, settings.schedule.intraday_minutes)
        scheduler.start()
        if settings.schedule.intraday_minutes is None:
            drop_intraday(scheduler)
        if connected:
            await start_telegram(application)
        else:
            tasks.append(asyncio.create_task(reconnect(application, float(settings.telegram.retry_seconds),
                                                       runtime.online)))
        job = scheduler.get_job(DAILY_JOB)
        who = f"@{application.bot.username}" if connected else "offline (Telegram not reached yet)"
        log.info("bot running as %s; next daily check %s; catching up", who,
                 job.next_run_time if job else "-")
        tasks += [asyncio.create_task(runtime.safe_check("catch-up")),
                  asyncio.create_task(runtime.delivery_loop())]
        if ready is not None:
            ready()
        await stop.wait()
        log.info("stopping")
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        CHECKS.pop(key, None)
        INTRADAY.pop(key, None)
        runtime.close()
        log.info("stopped")
