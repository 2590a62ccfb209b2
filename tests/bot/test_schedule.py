"""The trigger and the scheduler: 16:30 New York on NYSE sessions only, whatever the host's
timezone, across daylight-saving switches; a persistent job store (RELIABILITY.md 12, 13, 15)."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.schedule import CHECKS, DAILY_JOB, NEW_YORK, SessionTrigger, add_jobs, build_scheduler, next_runs

UTC = dt.UTC


@pytest.fixture(params=["UTC", "Asia/Tokyo", "America/Los_Angeles"])
def host_timezone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(("start", "utc_before", "utc_after"), [
    ("2026-03-04", "21:30", "20:30"),   # EST -> EDT on Sunday 2026-03-08
    ("2026-10-28", "20:30", "21:30"),   # EDT -> EST on Sunday 2026-11-01
])
def test_fires_at_1630_new_york_across_dst_whatever_the_host_timezone(
    host_timezone: str, start: str, utc_before: str, utc_after: str
) -> None:
    runs = next_runs(SessionTrigger(16, 30), dt.datetime.fromisoformat(start).replace(tzinfo=UTC), 6)
    assert all(f"{run.astimezone(NEW_YORK):%H:%M}" == "16:30" for run in runs)
    utc = [f"{run.astimezone(UTC):%Y-%m-%d %H:%M}" for run in runs]
    assert [u[-5:] for u in utc[:3]] == [utc_before] * 3 and [u[-5:] for u in utc[3:]] == [utc_after] * 3
    assert all(run.astimezone(NEW_YORK).weekday() < 5 for run in runs)


def test_the_scheduler_itself_uses_new_york_time(host_timezone: str, tmp_path: Path) -> None:
    async def main() -> dt.datetime:
        scheduler = build_scheduler(tmp_path / "alerts.db")
        add_jobs(scheduler, "key", "16:30")
        scheduler.start(paused=True)
        job = scheduler.get_job(DAILY_JOB)
        scheduler.shutdown(wait=False)
        return job.next_run_time

    run = asyncio.run(main())
    assert f"{run.astimezone(NEW_YORK):%H:%M}" == "16:30"


def test_holidays_are_skipped_and_an_early_close_is_a_session() -> None:
    trigger = SessionTrigger(16, 30)
    after_christmas_eve = next_runs(trigger, dt.datetime(2025, 12, 24, 17, tzinfo=NEW_YORK), 2)
    assert [f"{r:%Y-%m-%d}" for r in after_christmas_eve] == ["2025-12-26", "2025-12-29"]
    thanksgiving = next_runs(trigger, dt.datetime(2025, 11, 26, 17, tzinfo=NEW_YORK), 2)
    assert [f"{r:%Y-%m-%d %H:%M}" for r in thanksgiving] == ["2025-11-28 16:30", "2025-12-01 16:30"]
    new_year = next_runs(trigger, dt.datetime(2025, 12, 31, 17, tzinfo=NEW_YORK), 1)
    assert f"{new_year[0]:%Y-%m-%d}" == "2026-01-02"


def test_the_daily_job_persists_in_the_alert_database(tmp_path: Path) -> None:
    database = tmp_path / "alerts.db"

    async def start_once(time_text: str) -> None:
        scheduler = build_scheduler(database)
        add_jobs(scheduler, str(database), time_text)
        scheduler.start(paused=True)
        scheduler.shutdown(wait=False)

    asyncio.run(start_once("16:30"))
    asyncio.run(start_once("17:05"))  # a restart with a new [schedule] time replaces the job
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT id, next_run_time FROM apscheduler_jobs").fetchall()
    assert [row[0] for row in rows] == [DAILY_JOB]
    assert f"{dt.datetime.fromtimestamp(rows[0][1], NEW_YORK):%H:%M}" == "17:05"


def test_a_slow_check_is_never_run_twice_at_once(tmp_path: Path) -> None:
    running, overlaps, runs = [0], [0], [0]

    async def slow_check(reason: str) -> None:
        running[0] += 1
        overlaps[0] = max(overlaps[0], running[0])
        runs[0] += 1
        await asyncio.sleep(0.5)
        running[0] -= 1

    async def main() -> None:
        scheduler = build_scheduler(tmp_path / "alerts.db")
        CHECKS["slow"] = slow_check
        add_jobs(scheduler, "slow", "16:30", every=0.1)
        scheduler.start()
        await asyncio.sleep(1.3)
        scheduler.shutdown(wait=False)
        CHECKS.pop("slow")

    asyncio.run(main())
    assert runs[0] >= 2 and overlaps[0] == 1
