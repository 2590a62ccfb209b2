"""The intraday stop watch (issue 16, item 6): NYSE hours with early closes, a fake quote source,
once per session and deduplicated with the evening's stop_hit, never in the evening's way."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from bot.schedule import (
    INTRADAY,
    INTRADAY_JOB,
    NEW_YORK,
    MarketHoursTrigger,
    add_jobs,
    build_scheduler,
    drop_intraday,
    next_runs,
)
from market.sources import Quote
from satellite.errors import SourceUnavailableError
from satellite_cli.context import AppContext
from tests.bot.fake_bot_api import FakeBotApi
from tests.bot.harness import Session, run

UTC = dt.UTC
OPEN_1017 = dt.datetime(2025, 10, 17, 13, 30, tzinfo=UTC)  # 09:30 New York


class FakeQuotes:
    """A price source with scripted latest quotes (daily bars are never fetched: --offline)."""

    name = "fake quotes"

    def __init__(self, prices: dict[str, float], at: dt.datetime, fail: bool = False) -> None:
        self.prices, self.at, self.fail = prices, at, fail
        self.calls: list[str] = []
        self.release = threading.Event()
        self.hang = False

    def fetch(self, ticker: str, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        raise SourceUnavailableError("daily bars are not fetched in these tests")

    def latest_quote(self, ticker: str) -> Quote:
        self.calls.append(ticker)
        if self.hang:
            self.release.wait(30)
        if self.fail:
            raise SourceUnavailableError(f"{ticker}: rate-limited")
        price = self.prices[ticker]
        return Quote(ticker, price, self.at, price, price)


@pytest.fixture(params=["UTC", "Asia/Tokyo"])
def host_timezone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def test_market_hours_every_15_minutes_early_close_holiday_and_dst(host_timezone: str) -> None:
    trigger = MarketHoursTrigger(15)
    # Wednesday before Thanksgiving: 09:45 .. 15:45; Thursday closed; Friday closes at 13:00
    runs = [f"{r.astimezone(NEW_YORK):%m-%d %H:%M}" for r in
            next_runs(trigger, dt.datetime(2025, 11, 26, 13, tzinfo=UTC), 40)]
    assert runs[0] == "11-26 09:45" and "11-26 15:45" in runs and "11-26 16:00" not in runs
    friday = [r for r in runs if r.startswith("11-28")]
    assert friday[0] == "11-28 09:45" and friday[-1] == "11-28 12:45" and len(friday) == 13
    assert not any(r.startswith("11-27") for r in runs)
    # across the switch to daylight time (Sunday 2026-03-08): 09:45 New York, 14:45 then 13:45 UTC
    spring = next_runs(MarketHoursTrigger(390 - 15), dt.datetime(2026, 3, 6, 12, tzinfo=UTC), 2)
    assert [f"{r.astimezone(UTC):%m-%d %H:%M}" for r in spring] == ["03-06 20:45", "03-09 19:45"]
    christmas = next_runs(trigger, dt.datetime(2025, 12, 24, 20, tzinfo=UTC), 1)  # 12-24 closed at 13:00
    assert f"{christmas[0].astimezone(NEW_YORK):%m-%d %H:%M}" == "12-26 09:45"


def test_the_intraday_job_persists_and_goes_when_switched_off(tmp_path: Path) -> None:
    database = tmp_path / "alerts.db"

    async def start_once(minutes: int | None) -> None:
        scheduler = build_scheduler(database)
        add_jobs(scheduler, str(database), "16:30", intraday_minutes=minutes)
        scheduler.start(paused=True)
        if minutes is None:
            drop_intraday(scheduler)
        scheduler.shutdown(wait=False)

    asyncio.run(start_once(15))
    with sqlite3.connect(database) as db:
        jobs = {row[0] for row in db.execute("SELECT id FROM apscheduler_jobs")}
    assert jobs == {"daily-check", INTRADAY_JOB}
    asyncio.run(start_once(None))
    with sqlite3.connect(database) as db:
        assert {row[0] for row in db.execute("SELECT id FROM apscheduler_jobs")} == {"daily-check"}
    assert INTRADAY == {}


def test_a_crossing_alerts_once_and_the_evening_stop_hit_is_not_sent_again(
    api: FakeBotApi, bot_config: Path
) -> None:
    quotes = FakeQuotes({"NVDA": 183.0, "NBIS": 118.50, "CRWV": 135.0}, OPEN_1017 + dt.timedelta(minutes=59))
    context = AppContext(config_option=bot_config, price_source=quotes)
    now = OPEN_1017 + dt.timedelta(hours=1)

    async def script(bot: Session) -> None:
        await bot.check("2025-10-16")
        [alert] = await bot.runtime.intraday.run(now)
        assert (alert.rule, alert.subject, f"{alert.session:%Y-%m-%d}", alert.level) == (
            "stop_hit", "NBIS", "2025-10-17", pytest.approx(119.94, abs=0.005))
        assert alert.message.startswith("NBIS trading 118.50, below its trailing stop 119.94 (intraday, "
                                        "10:29 New York)")
        assert await bot.runtime.intraday.run(now + dt.timedelta(minutes=15)) == []  # once per session
        await bot.runtime.drain()
        new = await bot.check("2025-10-17")
        assert [(a.rule, a.subject) for a in new] == [("stop_hit", "CRWV"), ("digest", "portfolio")]

    run(api, bot_config, script, context)
    nbis = [t for t in api.texts() if t.startswith("STOP HIT · NBIS")]
    assert len(nbis) == 1 and "intraday" in nbis[0]
    assert len([t for t in api.texts() if t.startswith("STOP HIT · CRWV")]) == 1
    digest = next(t for t in api.texts() if t.startswith("Evening digest · Portfolio · 2025-10-17"))
    assert "STOP HIT NBIS" in digest
    with sqlite3.connect(bot_config.parent / "data" / "satellite.db") as db:
        row = db.execute("SELECT fill, stop_rule FROM alerts WHERE rule = 'stop_hit' "
                         "AND subject = 'NBIS'").fetchone()
    assert row == (pytest.approx(118.06, abs=0.005), "stop_trailing")  # completed by the evening's check


def test_closed_market_failing_and_slow_sources_are_skipped_with_one_line(
    api: FakeBotApi, bot_config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot_config.write_text(bot_config.read_text().replace("fetch_timeout = 2", "fetch_timeout = 0.5"))
    quotes = FakeQuotes({"NVDA": 100.0, "NBIS": 100.0, "CRWV": 100.0}, OPEN_1017)
    context = AppContext(config_option=bot_config, price_source=quotes)
    now = OPEN_1017 + dt.timedelta(hours=1)

    async def script(bot: Session) -> None:
        await bot.check("2025-10-16")
        saturday = dt.datetime(2025, 10, 18, 15, tzinfo=UTC)
        assert await bot.runtime.intraday.run(saturday) == [] and quotes.calls == []
        quotes.fail = True
        assert await bot.runtime.intraday.run(now) == []
        quotes.fail, quotes.hang = False, True
        started = time.monotonic()
        watch = asyncio.create_task(bot.runtime.intraday.run(now))
        await asyncio.sleep(0.05)
        evening = await bot.check("2025-10-17")  # not held up by the hanging quote source
        assert [(a.rule, a.subject) for a in evening][:2] == [("stop_hit", "CRWV"), ("stop_hit", "NBIS")]
        assert await watch == [] and time.monotonic() - started < 10
        assert await bot.runtime.intraday.run(now) == []  # the hung fetch is not started twice
        quotes.release.set()

    with caplog.at_level(logging.WARNING, logger="satellite.intraday"):
        run(api, bot_config, script, context)
    lines = [r.getMessage() for r in caplog.records if r.name == "satellite.intraday"]
    assert lines == ["intraday watch skipped: quotes unavailable (SourceUnavailableError: CRWV: "
                     "rate-limited; NBIS: rate-limited; NVDA: rate-limited)",
                     "intraday watch skipped: fake quotes did not answer within 0.5 s",
                     "intraday watch: the previous run is still busy; this one is skipped"]


def test_stale_stored_prices_skip_the_watch(api: FakeBotApi, bot_config: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    quotes = FakeQuotes({"NVDA": 1.0, "NBIS": 1.0, "CRWV": 1.0}, dt.datetime(2026, 11, 30, 15, tzinfo=UTC))
    context = AppContext(config_option=bot_config, price_source=quotes)

    async def script(bot: Session) -> None:
        assert await bot.runtime.intraday.run(dt.datetime(2026, 11, 30, 16, tzinfo=UTC)) == []

    with caplog.at_level(logging.WARNING, logger="satellite.intraday"):
        run(api, bot_config, script, context)
    [line] = [r.getMessage() for r in caplog.records if r.name == "satellite.intraday"]
    assert line.startswith("intraday watch skipped: NVDA prices end 2026-07-02, before 2026-11-27")
    assert quotes.calls == []
