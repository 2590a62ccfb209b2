"""`satellite bot run | send-test | status`, end to end: the real command as a subprocess against
the fake Bot API server (RELIABILITY.md cases 8, 11, 17, 18)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from bot.store import AlertStore
from market.calendar import last_completed_session
from tests.bot.conftest import OWNER, alert, no_token_in, write_config
from tests.bot.fake_bot_api import TOKEN, FakeBotApi, Fault
from tests.conftest import Invoke

SATELLITE = str(Path(sys.executable).with_name("satellite"))


def start_bot(folder: Path, *args: str, token: str = TOKEN) -> subprocess.Popen[str]:
    env = {**os.environ, "SATELLITE_TELEGRAM_TOKEN": token, "HOME": str(folder)}
    return subprocess.Popen([SATELLITE, "bot", "run", "--offline", *args], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop_bot(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    return process.returncode, stderr


def outbox(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT a.message, o.status FROM outbox o JOIN alerts a ON a.id = o.alert_id "
                          "ORDER BY o.id").fetchall()


def test_bot_run_delivers_each_alert_once_answers_the_owner_and_stops_on_sigterm(
    api: FakeBotApi, tmp_path: Path
) -> None:
    write_config(tmp_path, api.base_url)
    database = tmp_path / "data" / "satellite.db"
    process = start_bot(tmp_path, "--every", "1", "--log-level", "debug")
    try:
        # the start-up catch-up evaluates the last completed session: prices stop at 2026-07-02
        assert api.wait_for(lambda: len(api.messages()) >= 3, 60), api.texts()
        api.inject_message("/status", OWNER, OWNER)
        assert api.wait_for(lambda: any(t.startswith("Portfolio") for t in api.texts()), 30)
        # an alert recorded by another process is delivered by the running bot
        store = AlertStore(database)
        store.record_session(last_completed_session(), [alert("new_event", "NVDA", state="e2e",
                                                              session=f"{last_completed_session():%Y-%m-%d}",
                                                              message="end-to-end event")], True, {})
        store.close()
        assert api.wait_for(lambda: any("end-to-end event" in t for t in api.texts()), 15)
        time.sleep(2.5)  # a few more scheduled checks: nothing is sent twice
    finally:
        code, stderr = stop_bot(process)
    assert code == 0, stderr[-2000:]
    assert "check (every)" in stderr and "check (catch-up)" in stderr and "stopped" in stderr
    assert no_token_in(stderr), "the token leaked into the log"
    assert "Set Bot API URL: http://127.0.0.1" in stderr and "<token>" in stderr  # DEBUG logs, redacted
    rows = outbox(database)
    assert rows and all(status == "sent" for _, status in rows)
    alert_texts = [t for t in api.texts() if not t.startswith("Portfolio")]
    assert len(alert_texts) == len(rows) == len(set(alert_texts))
    assert json.loads(api.calls("setMyCommands")[0].params["commands"])[0]["command"] == "start"


def test_restart_mid_delivery_loses_nothing_duplicates_at_most_one(api: FakeBotApi, tmp_path: Path) -> None:
    config = write_config(tmp_path, api.base_url)
    config.write_text(config.read_text().replace("timeout = 2", "timeout = 1"))
    database = tmp_path / "data" / "satellite.db"
    session = f"{last_completed_session():%Y-%m-%d}"
    store = AlertStore(database)
    store.record_session(pd.Timestamp(session), [
        alert("new_event", "NVDA", session=session, state=f"e{i}", message=f"alert {i}") for i in range(5)
    ], True, {})
    store.close()
    api.fail("sendMessage", Fault("accept_then_hang", 30))  # accepted, then the process dies
    process = start_bot(tmp_path)
    try:
        assert api.wait_for(lambda: len(api.messages()) == 1, 60)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert [status for _, status in outbox(database)][:2] == ["sending", "pending"]
    process = start_bot(tmp_path)
    try:
        assert api.wait_for(lambda: all(s == "sent" for _, s in outbox(database)), 30), outbox(database)
    finally:
        code, stderr = stop_bot(process)
    assert code == 0
    texts = api.texts()
    for i in range(5):
        assert texts.count(f"New event · NVDA · {session}\nalert {i}") == (2 if i == 0 else 1)
    assert "again: its earlier send was cut short" in stderr


def test_no_token_is_a_clear_error_before_anything_runs(
    api: FakeBotApi, tmp_path: Path, invoke: Invoke
) -> None:
    write_config(tmp_path, api.base_url)
    result = invoke("bot", "run")
    assert result.exit_code == 2
    assert "no Telegram bot token: set env SATELLITE_TELEGRAM_TOKEN or [telegram] token_file" in result.output
    config = tmp_path / "config.toml"
    config.write_text(config.read_text().replace("[telegram]\n", '[telegram]\ntoken_file = "nothing"\n'))
    result = invoke("bot", "send-test")
    assert result.exit_code == 2
    assert "telegram.token_file" in result.output and "cannot read it" in result.output
    assert not api.state.requests


def test_a_token_in_config_toml_is_refused(tmp_path: Path, invoke: Invoke, api: FakeBotApi) -> None:
    config = write_config(tmp_path, api.base_url)
    config.write_text(config.read_text().replace("[telegram]\n", f'[telegram]\ntoken = "{TOKEN}"\n'))
    result = invoke("bot", "status")
    assert result.exit_code == 2 and "secrets are never read from config.toml" in result.output
    assert no_token_in(result.output)


def test_a_token_file_works_and_a_wrong_token_is_refused_with_exit_2(
    api: FakeBotApi, tmp_path: Path, invoke: Invoke
) -> None:
    config = write_config(tmp_path, api.base_url)
    (tmp_path / "token").write_text(TOKEN + "\n")
    (tmp_path / "token").chmod(0o600)
    config.write_text(config.read_text().replace("[telegram]\n", '[telegram]\ntoken_file = "token"\n'))
    result = invoke("bot", "send-test")
    assert result.exit_code == 0, result.output
    assert f"sent to chat {OWNER} (message 1)" in result.output
    assert api.texts() == ["satellite: test message from @satellite_test_bot; alerts will arrive here."]
    wrong = "987654321:" + "AAwrong_token_0123456789_abcdefghijk"
    (tmp_path / "token").write_text(wrong)
    result = invoke("bot", "run")
    assert result.exit_code == 2 and "Telegram refused the bot token" in result.output
    assert no_token_in(result.output)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_token_file_other_users_may_read_is_refused(api: FakeBotApi, tmp_path: Path, invoke: Invoke,
                                                      mode: int) -> None:
    config = write_config(tmp_path, api.base_url)
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(mode)
    config.write_text(config.read_text().replace("[telegram]\n", '[telegram]\ntoken_file = "token"\n'))
    result = invoke("bot", "send-test")
    assert result.exit_code == 2
    assert f"other users may read it (mode {mode:04o}); run `chmod 600 {token_file}`" in result.output
    assert no_token_in(result.output) and not api.state.requests


@pytest.mark.parametrize(("fault", "code", "text"), [
    (Fault("403"), 2, "the bot may not write there"), (Fault("400"), 2, "Chat not found"),
    (Fault("500"), 3, "cannot be reached"),
])
def test_send_test_faults(api: FakeBotApi, bot_config: Path, invoke: Invoke, fault: Fault, code: int,
                          text: str) -> None:
    api.fail_always("sendMessage", fault)
    result = invoke("bot", "send-test")
    assert result.exit_code == code and text in result.output, result.output


def test_status_reports_failed_rows_and_the_last_error_without_the_token(
    api: FakeBotApi, bot_config: Path, invoke: Invoke, tmp_path: Path
) -> None:
    from bot.outbox import Outbox

    store = AlertStore(tmp_path / "data" / "satellite.db")
    store.record_session(pd.Timestamp("2025-10-22"), [alert(), alert("near_stop", "CRWV")], True, {})
    outbox_ = Outbox(store)
    item = outbox_.claim()
    assert item is not None
    outbox_.failed(item, f"Forbidden: bot was blocked by the user at {api.base_url}{TOKEN}")
    store.close()
    result = invoke("bot", "status", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert set(status) == {"database", "schedule", "next_run", "scheduler_next_run", "last_evaluated",
                           "first_incomplete", "muted", "paused_until", "refused", "outbox", "failed",
                           "last_error", "token", "chat_ids", "chats", "notify", "digest", "intraday_minutes"}
    assert status["notify"]["drawdown"] == {"mode": "on", "source": "default"}
    assert status["outbox"] == {"pending": 1, "sending": 0, "unknown": 0, "failed": 1, "sent": 0}
    assert status["failed"][0]["rule"] == "near_stop" and status["last_error"]["status"] == "failed"
    assert status["next_run"].endswith(("16:30:00-05:00", "16:30:00-04:00"))
    assert status["token"] == "env SATELLITE_TELEGRAM_TOKEN" and status["last_evaluated"] == "2025-10-22"
    human = invoke("bot", "status")
    assert "1 failed" in human.output and "Forbidden" in human.output
    for output in (result.output, human.output, invoke("config", "check", "--json").output):
        assert no_token_in(output)
