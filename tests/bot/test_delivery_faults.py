"""Delivery under faults, per (alert, chat, part), against the fake Bot API server (issue 17:
once per chat and part, a 429 pauses the bot, order kept, no log floods)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from telegram import Bot

from bot.alert import Alert
from bot.delivery import DrainReport, alert_text, split_text
from bot.outbox import Outbox, utc_now
from bot.runner import BotRuntime
from bot.store import AlertStore
from satellite_cli.context import AppContext
from tests.bot.conftest import OWNER, alert, seed
from tests.bot.fake_bot_api import TOKEN, FakeBotApi, Fault
from tests.bot.test_delivery import drain, statuses
from tests.conftest import Invoke

OTHER = 4444
TWO = [OWNER, OTHER]
LATER = dt.timedelta(minutes=2)  # past the first back-off step (FAST.backoff = 30 s)


def later(delta: dt.timedelta = LATER) -> dt.datetime:
    return utc_now() + delta


def titles(api: FakeBotApi, chat_id: int | None = None) -> list[str]:
    return [text.split("\n")[0] for text in api.texts(chat_id)]


def test_two_chats_500s_on_the_second_each_chat_gets_each_alert_once(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "alerts.db"
    seed(db, alert("near_stop", "NVDA"), alert("near_stop", "CRWV")).close()
    api.fail("sendMessage", *[Fault("500", chat_id=OTHER)] * 3)  # the first try and both quick retries
    first = asyncio.run(drain(api, db, chats=TWO))
    assert first.retry_later == 1 and first.sent == 0
    assert len(api.texts(OWNER)) == 1 and api.texts(OTHER) == []
    second = asyncio.run(drain(api, db, chats=TWO, now=later))
    assert second.sent == 2
    expected = ["Near stop · NVDA · 2025-10-22", "Near stop · CRWV · 2025-10-22"]
    assert titles(api, OWNER) == expected and titles(api, OTHER) == expected


def test_a_403_from_one_chat_then_a_restart_sends_the_other_chat_nothing_twice(
    api: FakeBotApi, tmp_path: Path
) -> None:
    db = tmp_path / "alerts.db"
    seed(db, alert("near_stop", "NVDA"), alert("near_stop", "CRWV")).close()
    api.fail_always("sendMessage", Fault("403", chat_id=OTHER))
    report = asyncio.run(drain(api, db, chats=TWO))
    assert report.failed == 2 and report.blocked is None  # the owner's chat still gets every alert
    assert len(titles(api, OWNER)) == 2
    calls = [call for call in api.calls("sendMessage") if call.params["chat_id"] == str(OTHER)]
    assert len(calls) == 1  # then that chat is skipped
    assert [row[0] for row in statuses(db)] == ["failed", "failed"]
    store = AlertStore(db)
    assert Outbox(store).requeue_failed() == 2  # what `bot run` does at its next start
    store.close()
    api.fail_always("sendMessage", None)  # the user unblocked the bot
    assert asyncio.run(drain(api, db, chats=TWO)).sent == 2
    expected = ["Near stop · NVDA · 2025-10-22", "Near stop · CRWV · 2025-10-22"]
    assert titles(api, OWNER) == expected and titles(api, OTHER) == expected


def test_a_three_part_text_with_500s_on_part_two_sends_each_part_once(api: FakeBotApi, tmp_path: Path
                                                                      ) -> None:
    long = "\n".join(f"line {i:05d} " + "x" * 90 for i in range(100))  # about 10,000 characters
    db = tmp_path / "alerts.db"
    seed(db, alert(message=long)).close()
    parts = split_text(alert_text(alert(message=long)))
    assert len(parts) == 3
    api.fail("sendMessage", Fault("slow", 0), *[Fault("500")] * 3)  # part 1 goes through, part 2 fails
    assert asyncio.run(drain(api, db)).retry_later == 1
    assert api.texts() == parts[:1]
    assert asyncio.run(drain(api, db, now=later)).sent == 1
    assert api.texts() == parts


def test_a_403_in_a_group_of_parts_keeps_the_parts_already_delivered(api: FakeBotApi, tmp_path: Path) -> None:
    long = "\n".join(f"line {i:05d} " + "y" * 90 for i in range(60))
    db = tmp_path / "alerts.db"
    seed(db, alert(message=long)).close()
    parts = split_text(alert_text(alert(message=long)))
    api.fail("sendMessage", Fault("slow", 0), Fault("403"))
    report = asyncio.run(drain(api, db))
    assert report.failed == 1 and report.blocked is not None  # the only chat refused: the pass ends
    store = AlertStore(db)
    Outbox(store).requeue_failed()
    store.close()
    assert asyncio.run(drain(api, db)).sent == 1
    assert api.texts() == parts


def record(db: Path, session: str, *alerts: Alert) -> None:
    store = AlertStore(db)
    store.record_session(pd.Timestamp(session), list(alerts), True, {})
    store.close()


def test_a_429_pauses_the_whole_bot_and_the_resolved_notice_never_overtakes(
    api: FakeBotApi, tmp_path: Path
) -> None:
    db = tmp_path / "alerts.db"
    record(db, "2025-10-22", alert("drawdown", "portfolio", session="2025-10-22", state="0.1"))
    record(db, "2025-10-23", alert("drawdown_resolved", "portfolio", session="2025-10-23", state="0.1"))
    api.fail("sendMessage", Fault("429", 30))  # longer than max_wait: the pass ends
    first = asyncio.run(drain(api, db))
    assert first.retry_later == 1 and first.paused_until is not None
    assert first.paused_until >= utc_now() + dt.timedelta(seconds=28)
    again = asyncio.run(drain(api, db))  # nothing at all is sent into an active flood ban
    assert again.sent == 0 and api.texts() == [] and len(api.calls("sendMessage")) == 1
    assert asyncio.run(drain(api, db, now=lambda: later(dt.timedelta(seconds=20)))).sent == 0
    done = asyncio.run(drain(api, db, now=lambda: later(dt.timedelta(seconds=31))))
    assert done.sent == 2
    assert titles(api) == ["Drawdown · Portfolio · 2025-10-22", "Drawdown resolved · Portfolio · 2025-10-23"]


def test_rule_order_within_a_session_is_kept_across_outages_and_restarts(api: FakeBotApi, tmp_path: Path
                                                                         ) -> None:
    db = tmp_path / "alerts.db"
    seed(db, alert("near_stop", "NVDA"), alert("pullback_zone", "CRWV", state="e"), alert("stop_hit", "NBIS"))
    api.fail("sendMessage", *[Fault("500")] * 3)
    assert asyncio.run(drain(api, db)).retry_later == 1  # the head (stop_hit) backs off
    assert asyncio.run(drain(api, db)).sent == 0  # a restarted bot: nothing overtakes it
    assert asyncio.run(drain(api, db, now=later)).sent == 3
    assert [t.split(" · ")[0] for t in api.texts()] == ["STOP HIT", "Near stop", "Pullback zone"]


async def run_delivery_loop(api: FakeBotApi, bot_config: Path, seconds: float,
                            reminder: float | None) -> None:
    context = AppContext(config_option=bot_config)
    database = context.data_dir / "satellite.db"
    seed(database, alert("near_stop", "NVDA"), alert("near_stop", "CRWV")).close()
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        runtime = BotRuntime(context, bot, database, offline=True)
        if reminder is not None:
            runtime.reminder_seconds = reminder
        try:
            await asyncio.wait_for(runtime.delivery_loop(), seconds)
        except TimeoutError:
            pass
        finally:
            runtime.close()


@pytest.mark.parametrize("code", ["403", "401"])
def test_blocked_delivery_logs_the_change_once_not_a_flood(
    api: FakeBotApi, bot_config: Path, caplog: pytest.LogCaptureFixture, code: str
) -> None:
    api.fail_always("sendMessage", Fault(code))
    with caplog.at_level(logging.INFO):
        asyncio.run(run_delivery_loop(api, bot_config, 3.0, None))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "refused" in errors[0].getMessage()
    assert len(api.calls("sendMessage")) == 1  # and no API call per pass either


def test_while_blocked_a_reminder_comes_at_most_every_reminder_seconds(
    api: FakeBotApi, bot_config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api.fail_always("sendMessage", Fault("403"))
    with caplog.at_level(logging.INFO):
        asyncio.run(run_delivery_loop(api, bot_config, 3.5, reminder=1.0))
    reminders = [r for r in caplog.records if "still refused" in r.getMessage()]
    assert 1 <= len(reminders) <= 3, [r.getMessage() for r in reminders]


def test_bot_status_json_shows_each_chats_delivery_state(
    api: FakeBotApi, bot_config: Path, invoke: Invoke, tmp_path: Path
) -> None:
    text = bot_config.read_text()
    bot_config.write_text(text.replace(f"chat_ids = [{OWNER}]", f"chat_ids = [{OWNER}, {OTHER}]"))
    database = tmp_path / "data" / "satellite.db"
    seed(database, alert("near_stop", "NVDA"), alert("near_stop", "CRWV")).close()
    api.fail_always("sendMessage", Fault("403", chat_id=OTHER))
    report: DrainReport = asyncio.run(drain(api, database, chats=TWO))
    assert report.failed == 2
    result = invoke("bot", "status", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    chats = {chat["chat_id"]: chat for chat in status["chats"]}
    assert chats[OWNER]["state"] == "ok" and chats[OWNER]["delivered"] == 2 and chats[OWNER]["waiting"] == 0
    assert chats[OTHER]["state"] == "blocked"
    assert chats[OTHER]["delivered"] == 0 and chats[OTHER]["waiting"] == 2
    assert "Forbidden" in chats[OTHER]["error"] and chats[OTHER]["since"]
    assert status["paused_until"] is None and status["refused"] is None
    human = invoke("bot", "status").output
    assert f"chat {OTHER}: blocked" in human and f"chat {OWNER}: ok, 2 delivered" in human


def test_the_database_and_its_wal_and_shm_are_created_private(tmp_path: Path) -> None:
    db = tmp_path / "fresh" / "satellite.db"
    store = seed(db, alert())
    with sqlite3.connect(db) as other:  # the -wal and -shm exist while a connection is open
        other.execute("SELECT count(*) FROM alerts").fetchone()
        modes = {path.name: path.stat().st_mode & 0o777 for path in db.parent.iterdir()}
    store.close()
    assert set(modes) == {"satellite.db", "satellite.db-wal", "satellite.db-shm"}
    assert set(modes.values()) == {0o600}, modes
