"""`satellite bot run --offline` with the Bot API down, then up (issue 16, item 7): alerts are
evaluated and queued meanwhile, then each is delivered once; without --offline: exit 3."""

from __future__ import annotations

import socket
import sqlite3
import time
from pathlib import Path

import pandas as pd

from bot.store import AlertStore
from tests.bot.conftest import alert, no_token_in, write_config
from tests.bot.fake_bot_api import TOKEN, FakeBotApi
from tests.bot.test_bot_cli import start_bot, stop_bot
from tests.conftest import Invoke


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def evaluated(database: Path) -> int:
    if not database.exists():
        return 0
    with sqlite3.connect(database, timeout=30) as db:
        return int(db.execute("SELECT count(*) FROM evaluations").fetchone()[0])


def outbox(database: Path) -> list[str]:
    with sqlite3.connect(database, timeout=30) as db:
        return [row[0] for row in db.execute("SELECT status FROM outbox ORDER BY id")]


def test_offline_keeps_queueing_while_the_bot_api_is_down_then_delivers_each_once(tmp_path: Path) -> None:
    port = free_port()
    write_config(tmp_path, f"http://127.0.0.1:{port}/bot")
    database = tmp_path / "data" / "satellite.db"
    store = AlertStore(database)
    store.record_session(pd.Timestamp("2025-10-22"), [
        alert("new_event", "NVDA", state=f"e{i}", message=f"queued {i}") for i in range(3)], True, {})
    store.close()
    process = start_bot(tmp_path)
    try:
        deadline = time.monotonic() + 90
        while evaluated(database) < 2 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)  # the catch-up evaluates every session since 2025-10-22
        time.sleep(1.0)
        assert process.poll() is None, "the bot stopped although --offline"
        queued = outbox(database)
        assert evaluated(database) > 1 and len(queued) > 3 and set(queued) == {"pending"}  # nothing sent
        with FakeBotApi(port=port) as api:
            assert api.wait_for(lambda: outbox(database) and all(s == "sent" for s in outbox(database)), 90)
            time.sleep(1.0)
            code, stderr = stop_bot(process)
            texts = api.texts()
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 0, stderr[-2000:]
    assert "the Bot API cannot be reached" in stderr and "connected to the Bot API" in stderr
    for i in range(3):
        assert texts.count(f"New event · NVDA · 2025-10-22\nqueued {i}") == 1
    assert len(texts) == len(set(texts)) == len(outbox(database))  # the catch-up's stale notices too
    assert no_token_in(stderr)


def test_without_offline_an_unreachable_bot_api_is_exit_3(tmp_path: Path, invoke: Invoke,
                                                         monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("SATELLITE_TELEGRAM_TOKEN", TOKEN)
    write_config(tmp_path, f"http://127.0.0.1:{free_port()}/bot")
    result = invoke("bot", "run")
    assert result.exit_code == 3
    assert "cannot be reached" in result.output and "--offline" in result.output
    assert no_token_in(result.output)
