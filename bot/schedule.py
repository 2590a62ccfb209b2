"""When the check runs: [schedule] time in America/New_York, on NYSE sessions only.

APScheduler 3's AsyncIOScheduler runs in the bot's event loop with a persistent SQLAlchemy job
store in the alert database (table apscheduler_jobs), coalesce=True and max_instances=1. The
scheduler's timezone and the trigger's are America/New_York, so the host's timezone never
matters, and cron wall-clock time follows both daylight-saving switches. SessionTrigger skips
every day that is not an NYSE session (weekends, holidays) using exchange-calendars; an early
close is still a session and its check runs at the usual time, after the early close.

A run missed while the process was down is not left to APScheduler's misfire handling (a job
re-added at start-up loses it): the bot's start-up catch-up evaluates every completed session
since the last one in the ledger.

The intraday stop watch ([schedule] intraday_minutes) is a second persistent job whose
MarketHoursTrigger fires every N minutes from the open (open + N, open + 2N, ...) until the
session's close, early closes included, on NYSE sessions only; when the setting is off, a job a
previous run left in the store is removed at start.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from market.calendar import is_session
from market.xnys import nyse

NEW_YORK = ZoneInfo("America/New_York")
DAILY_JOB = "daily-check"
EVERY_JOB = "every-check"
INTRADAY_JOB = "intraday-watch"
JOB_TABLE = "apscheduler_jobs"
log = logging.getLogger("satellite.schedule")

# The running bots' check functions, by database path: a persistent job names its function by
# import path and its arguments must be plain data, so the job finds its bot here.
CHECKS: dict[str, Callable[[str], Awaitable[Any]]] = {}
INTRADAY: dict[str, Callable[[], Awaitable[Any]]] = {}


def parse_time(text: str) -> tuple[int, int]:
    hour, minute = text.split(":")
    return int(hour), int(minute)


class SessionTrigger(CronTrigger):
    """A cron trigger at HH:MM America/New_York that fires only on NYSE sessions."""

    def __init__(self, hour: int, minute: int) -> None:
        super().__init__(day_of_week="mon-fri", hour=hour, minute=minute, timezone=NEW_YORK)

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        fire = super().get_next_fire_time(previous_fire_time, now)
        for _ in range(400):  # the longest NYSE closure is days, not a year
            if fire is None or is_session(pd.Timestamp(fire.astimezone(NEW_YORK).date())):
                return fire
            fire = super().get_next_fire_time(fire, fire + dt.timedelta(minutes=1))
        return None

    def __str__(self) -> str:
        return f"NYSE sessions at {self.fields[5]}:{self.fields[6]} America/New_York"


class MarketHoursTrigger(BaseTrigger):
    """Every `minutes` from an NYSE session's open (exclusive) to its close (exclusive)."""

    def __init__(self, minutes: int) -> None:
        self.minutes = minutes

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        step = dt.timedelta(minutes=self.minutes)
        after = max(now, previous_fire_time + dt.timedelta(seconds=1)) if previous_fire_time else now
        day = after.astimezone(NEW_YORK).date()
        for _ in range(15):  # the longest NYSE closure is days
            if is_session(pd.Timestamp(day)):
                opens, closes = session_hours(pd.Timestamp(day))
                steps = max(1, math.ceil((after - opens) / step))
                fire = opens + steps * step
                if fire < closes:
                    return fire.astimezone(NEW_YORK)
            day += dt.timedelta(days=1)
        return None

    def __str__(self) -> str:
        return f"every {self.minutes} min in NYSE hours"


def session_hours(day: pd.Timestamp) -> tuple[dt.datetime, dt.datetime]:
    """The session's open and close (UTC), early closes included."""
    calendar = nyse()
    return (pd.Timestamp(calendar.session_open(day)).to_pydatetime(),
            pd.Timestamp(calendar.session_close(day)).to_pydatetime())


def next_runs(trigger: BaseTrigger, start: dt.datetime, count: int) -> list[dt.datetime]:
    """The next `count` fire times from `start` (for `bot status` and tests)."""
    runs: list[dt.datetime] = []
    previous = None
    now = start
    while len(runs) < count:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None:
            break
        runs.append(fire)
        previous, now = fire, fire + dt.timedelta(seconds=1)
    return runs


def build_scheduler(database: Path) -> AsyncIOScheduler:
    return AsyncIOScheduler(
        jobstores={
            "default": SQLAlchemyJobStore(url=f"sqlite:///{database}", tablename=JOB_TABLE),
            "memory": MemoryJobStore(),
        },
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=NEW_YORK,
    )


def add_jobs(scheduler: AsyncIOScheduler, key: str, time_text: str, every: float | None = None,
             intraday_minutes: int | None = None) -> None:
    """The daily job (persistent), the intraday watch (persistent, when on) and, with --every, an
    extra interval job (memory only)."""
    hour, minute = parse_time(time_text)
    scheduler.add_job("bot.schedule:scheduled_check", SessionTrigger(hour, minute), args=[key, "daily"],
                      id=DAILY_JOB, name="daily check", replace_existing=True, jobstore="default")
    if intraday_minutes is not None:
        scheduler.add_job("bot.schedule:scheduled_intraday", MarketHoursTrigger(intraday_minutes),
                          args=[key], id=INTRADAY_JOB, name="intraday stop watch", replace_existing=True,
                          jobstore="default", misfire_grace_time=intraday_minutes * 60)
    if every is not None:
        scheduler.add_job(scheduled_check, IntervalTrigger(seconds=every, timezone=NEW_YORK),
                          args=[key, "every"], id=EVERY_JOB, name=f"check every {every:g} s",
                          replace_existing=True, jobstore="memory")


def drop_intraday(scheduler: AsyncIOScheduler) -> None:
    """After start (only a started scheduler sees its store): remove an intraday job an earlier
    run stored, now that [schedule] intraday_minutes is off."""
    if scheduler.get_job(INTRADAY_JOB, jobstore="default") is not None:
        scheduler.remove_job(INTRADAY_JOB, jobstore="default")


async def scheduled_intraday(key: str) -> None:
    """The intraday job: one run of the watch of the bot that owns database `key`."""
    watch = INTRADAY.get(key)
    if watch is None:
        log.warning("intraday watch for %s, but no bot is running on it in this process", key)
        return
    await watch()


async def scheduled_check(key: str, reason: str) -> None:
    """The job: run the check of the bot that owns database `key`."""
    check = CHECKS.get(key)
    if check is None:
        log.warning("scheduled check for %s, but no bot is running on it in this process", key)
        return
    if reason == "daily" and not is_session(pd.Timestamp(dt.datetime.now(NEW_YORK).date())):
        log.info("not an NYSE session today: no check")
        return
    await check(reason)
