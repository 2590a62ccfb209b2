"""The bot's check: catch-up of missed sessions, a hanging price fetch, two bots on one
database (RELIABILITY.md cases 3, 11, 14, 15)."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import threading
import time
from pathlib import Path

import pandas as pd
from telegram import Bot

from bot.alerting import build_inputs, evaluate_sessions
from bot.runner import BotRuntime, CheckReport
from bot.store import AlertStore
from market.calendar import last_completed_session
from satellite_cli.context import AppContext
from tests.bot.fake_bot_api import TOKEN, FakeBotApi


class HangingSource:
    """A price source whose fetch hangs until released (as a stuck yfinance call would)."""

    name = "hanging source"

    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()

    def fetch(self, ticker: str, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        self.calls += 1
        self.release.wait(30)
        return pd.DataFrame()


def ledger(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT session, rule, subject FROM alerts ORDER BY id").fetchall()


async def run_checks(api: FakeBotApi, contexts: list[AppContext], database: Path, offline: bool = True,
                     now: dt.datetime | None = None) -> list[CheckReport]:
    bots = [Bot(TOKEN, base_url=api.base_url) for _ in contexts]
    for bot in bots:
        await bot.initialize()
    pairs = zip(contexts, bots, strict=True)
    runtimes = [BotRuntime(context, bot, database, offline) for context, bot in pairs]
    try:
        return list(await asyncio.gather(*(runtime.check("test", now) for runtime in runtimes)))
    finally:
        for runtime, bot in zip(runtimes, bots, strict=True):
            runtime.close()
            await bot.shutdown()


def test_start_up_catch_up_evaluates_every_missed_session_once(api: FakeBotApi, bot_config: Path) -> None:
    context = AppContext(config_option=bot_config)
    database = context.data_dir / "satellite.db"
    store = AlertStore(database)
    evaluate_sessions(store, build_inputs(context), [pd.Timestamp("2025-10-16")])  # the bot ran until then
    store.close()
    before = len(ledger(database))
    now = dt.datetime(2025, 10, 22, 17, 0, tzinfo=dt.UTC) + dt.timedelta(hours=4)  # after the 10-22 close
    [report] = asyncio.run(run_checks(api, [context], database, now=now))
    new = [(f"{a.session:%Y-%m-%d}", a.rule, a.subject)
           for a in report.new_alerts if a.subject != "portfolio" and not a.state.startswith("reminder")]
    assert new == [("2025-10-17", "stop_hit", "CRWV"), ("2025-10-17", "stop_hit", "NBIS"),
                   ("2025-10-20", "pullback_zone", "CRWV")]
    # the unanswered stops are sent again with the next two sessions ([alerts] repeat_max = 2)
    reminders = [(f"{a.session:%Y-%m-%d}", a.subject) for a in report.new_alerts
                 if a.state.startswith("reminder")]
    assert reminders == [("2025-10-20", "CRWV"), ("2025-10-20", "NBIS"), ("2025-10-21", "CRWV"),
                         ("2025-10-21", "NBIS")]
    digests = [f"{a.session:%Y-%m-%d}" for a in report.new_alerts if a.rule == "digest"]
    assert digests == ["2025-10-17", "2025-10-20", "2025-10-21", "2025-10-22"]  # one per session
    # delivered: the new alerts and the one recorded on 2025-10-16 (NBIS near its stop)
    assert before == 1 and report.delivery.sent == len(ledger(database)) == len(api.messages())
    photos = api.calls("sendPhoto")  # stop_hit and drawdown alerts come with a chart, a Friday's digest too
    charted = [a for a in report.new_alerts
               if a.rule in ("stop_hit", "drawdown") and not a.state.startswith("reminder")]
    assert len(photos) == len(charted) + digests.count("2025-10-17") >= 3
    assert all(call.files["photo"].startswith(b"\x89PNG") for call in photos)
    assert AlertStore(database).last_evaluated() == pd.Timestamp("2025-10-22")
    [again] = asyncio.run(run_checks(api, [context], database, now=now))
    assert again.new_alerts == [] and again.delivery.sent == 0


def test_a_hanging_fetch_is_bounded_and_never_run_twice(api: FakeBotApi, bot_config: Path) -> None:
    source = HangingSource()
    context = AppContext(config_option=bot_config, price_source=source)
    bot_config.write_text(bot_config.read_text().replace("fetch_timeout = 2", "fetch_timeout = 0.5"))
    database = context.data_dir / "satellite.db"

    async def two_checks() -> tuple[list[CheckReport], float]:
        bot = Bot(TOKEN, base_url=api.base_url)
        await bot.initialize()
        runtime = BotRuntime(context, bot, database)
        started = time.monotonic()
        try:
            reports = list(await asyncio.gather(runtime.check("first"), runtime.check("second")))
            return reports, time.monotonic() - started
        finally:
            runtime.close()
            await bot.shutdown()

    try:
        reports, elapsed = asyncio.run(two_checks())
    finally:
        source.release.set()
    assert [r.refreshed for r in reports] == [False, False]
    assert source.calls == 1  # the second check did not start a second fetch beside the hung one
    assert elapsed < 15
    # the stored prices end before the last completed session: one stale-data notice per ticker
    stale = [text for text in api.texts() if text.startswith("Stale data")]
    assert len(stale) == 3 and all("no alert was computed from stale prices" in text for text in stale)
    assert f"{last_completed_session():%Y-%m-%d}" in stale[0]


def test_two_bots_on_one_database_send_one_message_per_alert(api: FakeBotApi, bot_config: Path) -> None:
    contexts = [AppContext(config_option=bot_config), AppContext(config_option=bot_config)]
    database = contexts[0].data_dir / "satellite.db"
    now = dt.datetime(2025, 10, 18, 12, tzinfo=dt.UTC)  # 2025-10-17: NBIS and CRWV stop
    reports = asyncio.run(run_checks(api, contexts, database, now=now))
    rows = ledger(database)
    assert len(rows) == len(set(rows)) > 0
    assert sum(r.delivery.sent for r in reports) == len(rows) == len(api.messages())
    assert len(set(api.texts())) == len(rows)
