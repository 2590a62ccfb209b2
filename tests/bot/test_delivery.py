"""Outbox delivery through the real python-telegram-bot client against the fake Bot API server
(RELIABILITY.md cases 8, 9, 10, 14)."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.alert import Alert
from bot.delivery import Deliverer, DrainReport, RetryPolicy, alert_text, split_text
from bot.outbox import Outbox, stamp, utc_now
from bot.store import AlertStore
from tests.bot.conftest import OWNER, alert, no_token_in, seed
from tests.bot.fake_bot_api import TOKEN, FakeBotApi, Fault

FAST = RetryPolicy(quick_retries=2, quick_delay=0.01, max_wait=5, backoff=30)
PNG = b"\x89PNG\r\n\x1a\nfake-chart"


def statuses(path: Path) -> list[tuple[str, int, int | None]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT status, attempts, message_id FROM outbox ORDER BY id").fetchall()


async def drain(api: FakeBotApi, path: Path, chart: Callable[[Alert], Awaitable[bytes | None]] | None = None,
                timeout: float = 2.0, now: Callable[[], dt.datetime] = utc_now, lease: float = 60,
                chats: list[int] | None = None) -> DrainReport:
    store = AlertStore(path)
    request = HTTPXRequest(read_timeout=timeout, connect_timeout=timeout, write_timeout=timeout)
    try:
        async with Bot(TOKEN, base_url=api.base_url, request=request) as bot:
            deliverer = Deliverer(bot, chats or [OWNER], Outbox(store, lease), chart, FAST)
            return await deliverer.drain(now)
    finally:
        store.close()


def test_each_alert_is_sent_once_and_marked_sent_with_its_message_id(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "alerts.db"
    seed(db, alert("near_stop", "NVDA"), alert("pullback_zone", "CRWV", state="ev"),
         alert("new_event", "NBIS", state="ev")).close()
    report = asyncio.run(drain(api, db))
    assert report.sent == 3
    assert [m["chat"]["id"] for m in api.messages()] == [OWNER] * 3
    assert [row[0] for row in statuses(db)] == ["sent"] * 3
    assert sorted(row[2] or 0 for row in statuses(db)) == sorted(m["message_id"] for m in api.messages())
    assert asyncio.run(drain(api, db)).sent == 0
    assert len(api.messages()) == 3
    titles = [text.split(" · ")[0] for text in api.texts()]
    assert titles == ["New event", "Near stop", "Pullback zone"]  # session, then rule order


def test_stop_hit_and_drawdown_go_as_a_photo_with_a_caption(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "alerts.db"
    seed(db, alert("stop_hit", "CRWV"), alert("drawdown", "portfolio", state="0.1"),
         alert("near_stop")).close()

    async def chart(_: Alert) -> bytes:
        return PNG

    assert asyncio.run(drain(api, db, chart)).sent == 3
    photos = api.calls("sendPhoto")
    assert len(photos) == 2 and all(call.files["photo"] == PNG for call in photos)
    assert {call.params["caption"].split(" · ")[0] for call in photos} == {"STOP HIT", "Drawdown"}
    assert len(api.calls("sendMessage")) == 1


def test_a_failing_chart_still_delivers_the_text(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "alerts.db"
    seed(db, alert("stop_hit", "CRWV")).close()

    async def broken(_: Alert) -> bytes:
        raise ValueError("no prices")

    assert asyncio.run(drain(api, db, broken)).sent == 1
    assert api.texts()[0].startswith("STOP HIT · CRWV")


def test_a_message_over_4096_characters_is_split_nothing_dropped(api: FakeBotApi, tmp_path: Path) -> None:
    long = "\n".join(f"line {i:05d} " + "x" * 90 for i in range(120))  # about 12,000 characters
    db = tmp_path / "alerts.db"
    seed(db, alert(message=long)).close()
    assert asyncio.run(drain(api, db)).sent == 1
    texts = api.texts()
    assert len(texts) >= 3 and all(len(text) <= 4096 for text in texts)
    assert "\n".join(texts) == alert_text(alert(message=long))
    assert split_text("a" * 9000) == ["a" * 4096, "a" * 4096, "a" * 808]


def test_429_waits_retry_after_and_resends(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "alerts.db"
    seed(db, alert()).close()
    api.fail("sendMessage", Fault("429", 1))
    started = time.monotonic()
    assert asyncio.run(drain(api, db)).sent == 1
    assert time.monotonic() - started >= 1.0
    assert len(api.calls("sendMessage")) == 2 and len(api.messages()) == 1
    assert statuses(db) == [("sent", 1, api.messages()[0]["message_id"])]


def test_a_long_retry_after_puts_the_row_back_until_then(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "alerts.db"
    seed(db, alert()).close()
    api.fail("sendMessage", Fault("429", 600))
    report = asyncio.run(drain(api, db))
    assert report.retry_later == 1 and not api.messages()
    with sqlite3.connect(db) as con:
        next_try = con.execute("SELECT next_try FROM outbox").fetchone()[0]
    assert next_try >= stamp(utc_now() + dt.timedelta(seconds=590))


@pytest.mark.parametrize("faults", [[Fault("500")] * 3, [Fault("slow", 1.5)]], ids=["5xx", "time-out"])
def test_5xx_and_time_outs_back_off_and_retry(api: FakeBotApi, tmp_path: Path, faults: list[Fault]) -> None:
    db = tmp_path / "alerts.db"
    seed(db, alert(), alert("near_stop", "CRWV")).close()
    api.fail("sendMessage", *faults)  # 5xx: the first try and both quick retries; a time-out: no quick retry
    report = asyncio.run(drain(api, db, timeout=0.5))
    assert report.retry_later == 1 and report.sent == 0
    assert len(api.calls("sendMessage")) == len(faults)
    assert [row[0] for row in statuses(db)] == ["pending", "pending"]  # the pass stopped: server down
    with sqlite3.connect(db) as con:
        next_try, error = con.execute("SELECT next_try, last_error FROM outbox WHERE attempts = 1").fetchone()
    assert next_try >= stamp(utc_now() + dt.timedelta(seconds=25))
    assert error.startswith(("NetworkError", "TimedOut"))
    assert asyncio.run(drain(api, db)).sent == 0  # the other alert waits behind it: order is kept
    later = asyncio.run(drain(api, db, now=lambda: utc_now() + dt.timedelta(minutes=2)))
    assert later.sent == 2
    assert [row[0] for row in statuses(db)] == ["sent", "sent"]
    assert [text.split("\n")[0] for text in api.texts()][-2:] == ["Near stop · NVDA · 2025-10-22",
                                                                   "Near stop · CRWV · 2025-10-22"]
    # a time-out is ambiguous: the server had sent it, so the retry is the one duplicate
    expected = 2 + (faults[0].kind == "slow")
    assert api.wait_for(lambda: len(api.messages()) == expected, 3) and len(api.messages()) == expected


@pytest.mark.parametrize("code", ["401", "403"])
def test_401_and_403_stop_retrying_keep_the_row_report(api: FakeBotApi, tmp_path: Path, code: str) -> None:
    db = tmp_path / "alerts.db"
    seed(db, alert(), alert("near_stop", "CRWV")).close()
    api.fail_always("sendMessage", Fault(code))
    report = asyncio.run(drain(api, db))
    assert report.failed == 1 and report.blocked is not None
    assert [row[0] for row in statuses(db)] == ["failed", "pending"]
    assert len(api.calls("sendMessage")) == 1  # no retry, and the pass stopped
    store = AlertStore(db)
    outbox = Outbox(store)
    assert outbox.failed_rows()[0]["last_error"].startswith(("InvalidToken", "chat 1111: Forbidden"))
    assert outbox.requeue_failed() == 1  # what `bot run` does at its next start
    store.close()


def test_crash_after_the_server_accepted_costs_at_most_one_duplicate(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "alerts.db"
    store = seed(db, alert(), alert("near_stop", "CRWV"))
    outbox = Outbox(store, lease_seconds=5)
    claimed = outbox.claim(utc_now() - dt.timedelta(seconds=60))  # claimed by a process that then died
    assert claimed is not None and statuses(db)[0][0] == "sending"
    store.close()
    report = asyncio.run(drain(api, db, lease=5))
    assert report.sent == 2
    assert statuses(db) == [("sent", 2, 1), ("sent", 1, 2)]
    assert len(api.messages()) == 2  # the dead process's send: at most one more


def test_a_fresh_claim_of_another_process_is_left_alone(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "alerts.db"
    store = seed(db, alert())
    assert Outbox(store, lease_seconds=60).claim() is not None  # another process is sending it now
    store.close()
    assert asyncio.run(drain(api, db)).sent == 0 and not api.messages()


def test_two_deliverers_on_one_database_send_each_alert_once(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "alerts.db"
    seed(db, *[alert("new_event", "NVDA", state=f"e{i}", message=f"event {i}") for i in range(12)]).close()
    api.fail_always("sendMessage", Fault("slow", 0.02))

    async def both() -> list[DrainReport]:
        return list(await asyncio.gather(drain(api, db), drain(api, db)))

    reports = asyncio.run(both())
    assert sum(r.sent for r in reports) == 12
    assert sorted(api.texts()) == sorted(set(api.texts())) and len(api.texts()) == 12


def test_muted_alerts_stay_queued_and_go_out_after_unmute(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "alerts.db"
    store = seed(db, alert())
    Outbox(store).set_muted(True)
    assert asyncio.run(drain(api, db)).muted and not api.messages()
    Outbox(store).set_muted(False)
    store.close()
    assert asyncio.run(drain(api, db)).sent == 1


def test_errors_stored_for_status_never_hold_the_token(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "alerts.db"
    store = seed(db, alert())
    outbox = Outbox(store)
    item = outbox.claim()
    assert item is not None
    outbox.retry_later(item, f"NetworkError: POST {api.base_url}{TOKEN}/sendMessage failed", utc_now())
    assert no_token_in(str(outbox.last_error()))
    store.close()
