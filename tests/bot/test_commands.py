"""Bot commands through python-telegram-bot polling the fake Bot API: the owner gets answers,
strangers get nothing (RELIABILITY.md cases 16, 19)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.outbox import Outbox
from bot.services import BotServices
from bot.store import AlertStore
from bot.telegram import build_application
from satellite_cli.context import AppContext
from tests.bot.conftest import GROUP, OWNER, STRANGER, write_config
from tests.bot.fake_bot_api import TOKEN, FakeBotApi

Script = Callable[[FakeBotApi], Awaitable[None]]


def run_bot(api: FakeBotApi, config: Path, script: Script) -> None:
    """Poll the fake server with the real Application while `script` talks to it."""
    context = AppContext(config_option=config)
    services = BotServices(context, context.data_dir / "satellite.db")

    async def main() -> None:
        application = build_application(TOKEN, context.config.settings.telegram, services)
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(timeout=1)
            try:
                await script(api)
            finally:
                await application.updater.stop()
                await application.stop()

    asyncio.run(main())


async def ask(api: FakeBotApi, text: str, chat_id: int = OWNER, user_id: int | None = OWNER,
              chat_type: str = "private", kind: str = "message", wait: float = 20.0) -> list[str]:
    """Send an update; return the bot's replies to it (waits until the bot is quiet)."""
    before = len(api.messages())
    api.inject_message(text, chat_id, user_id, chat_type, kind)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and len(api.messages()) == before:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    return [m.get("text") or m.get("caption") or "<photo>" for m in api.messages()[before:]]


async def quiet(api: FakeBotApi, seconds: float = 0.8) -> None:
    await asyncio.sleep(seconds)


def test_the_owner_gets_status_positions_stops_alerts_and_help(api: FakeBotApi, bot_config: Path) -> None:
    answers: dict[str, list[str]] = {}

    async def script(api: FakeBotApi) -> None:
        for command in ("/status", "/positions", "/stops", "/alerts", "/help", "/start", "/events 3"):
            answers[command] = await ask(api, command)

    run_bot(api, bot_config, script)
    status = answers["/status"][0]
    assert status.startswith("Portfolio ") and "below its peak" in status
    assert all(ticker in status for ticker in ("NVDA", "NBIS", "CRWV"))
    # the 15% trailing stop closed all three (CRWV inside the session, at its level)
    assert "CRWV CLOSED 2025-10-17 at 130.22 (trailing stop); last 81.75 on 2026-07-02" in status
    assert "cash from stops" in status and "stop 2" not in status  # no level after the stop
    assert "Alerts: last session evaluated never" in status
    assert answers["/positions"][0].count("shares since 2025-10-01") == 3
    assert "trailing stop" in answers["/stops"][0]
    assert answers["/alerts"] == ["No alert yet."]
    assert "/chart TICKER" in answers["/help"][0] and answers["/start"] == answers["/help"]
    assert len(answers["/events 3"][0].splitlines()) == 3
    assert all(m["chat"]["id"] == OWNER for m in api.messages())


def test_chart_sends_a_png_and_bad_arguments_get_a_usage_line(api: FakeBotApi, bot_config: Path) -> None:
    answers: dict[str, list[str]] = {}

    async def script(api: FakeBotApi) -> None:
        for command in ("/chart NVDA", "/chart", "/chart ZZZZ", "/chart n$dа", "/events abc", "/events 0",
                        "/events 1 2", "/status now", "/backtest no_such_strategy", "/alerts 99"):
            answers[command] = await ask(api, command)

    run_bot(api, bot_config, script)
    photo = api.calls("sendPhoto")
    assert len(photo) == 1 and photo[0].files["photo"].startswith(b"\x89PNG")
    assert answers["/chart NVDA"][0].startswith("NVDA: last close")
    assert answers["/chart"] == ["give one ticker\nUsage: /chart TICKER  (e.g. /chart NVDA)"]
    assert answers["/chart ZZZZ"][0].startswith("no prices for ZZZZ; one of: CRWV, NBIS, NVDA")
    assert "is not a ticker symbol" in answers["/chart n$dа"][0]
    for command in ("/events abc", "/events 0", "/events 1 2"):
        assert answers[command][0].endswith("Usage: /events [N]  (N from 1 to 50, default 5)"), command
    assert answers["/status now"] == ["this command takes no arguments\nUsage: /status"]
    assert answers["/backtest no_such_strategy"][0].startswith("unknown strategy 'no_such_strategy'; one of:")
    assert "Usage: /alerts [N]" in answers["/alerts 99"][0]


def test_mute_and_unmute(api: FakeBotApi, bot_config: Path, tmp_path: Path) -> None:
    replies: list[list[str]] = []

    async def script(api: FakeBotApi) -> None:
        replies.append(await ask(api, "/mute"))
        store = AlertStore(tmp_path / "data" / "satellite.db")
        replies.append([str(Outbox(store).muted)])
        store.close()
        replies.append(await ask(api, "/unmute"))

    run_bot(api, bot_config, script)
    assert replies[0][0].startswith("Muted") and replies[1] == ["True"]
    assert replies[2][0].startswith("Unmuted")


def test_strangers_get_nothing_and_are_logged_without_content(
    api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SATELLITE_TELEGRAM_TOKEN", TOKEN)
    config = write_config(tmp_path, api.base_url)
    config.write_text(config.read_text().replace(f"chat_ids = [{OWNER}]", f"chat_ids = [{OWNER}, {GROUP}]"))
    secret = "/status secret-words-7731"

    async def script(api: FakeBotApi) -> None:
        api.inject_message(secret, STRANGER, STRANGER)  # a stranger's private chat
        api.inject_message(secret, OWNER, STRANGER)  # a forged user in the owner's chat id
        api.inject_message(secret, GROUP, STRANGER, "supergroup")  # an allowed group, a stranger in it
        api.inject_message(secret, -1009999, OWNER, "group")  # the owner in a group not allowed
        api.inject_message(secret, GROUP, None, "channel", kind="channel_post")
        api.inject_message(secret, STRANGER, STRANGER, kind="edited_message")
        api.inject({"callback_query": {"id": "77", "chat_instance": "x", "data": secret,
                                       "from": {"id": STRANGER, "is_bot": False, "first_name": "S"}}})
        api.inject({"inline_query": {"id": "5", "query": secret, "offset": "",  # no message, no chat
                                     "from": {"id": STRANGER, "is_bot": False, "first_name": "S"}}})
        await quiet(api, 1.5)
        assert not api.messages()
        owner_in_group = await ask(api, "/stops", GROUP, OWNER, "supergroup")
        assert owner_in_group and "stop" in owner_in_group[0]

    with caplog.at_level(logging.INFO):
        run_bot(api, config, script)
    ignored = [r.getMessage() for r in caplog.records if "not on the allow-list" in r.getMessage()]
    assert len(ignored) == 8
    assert f"ignored message update from chat {STRANGER} user {STRANGER}" in ignored[0]
    kinds = {line.split()[1] for line in ignored}
    assert kinds == {"message", "channel_post", "edited_message", "callback_query", "inline_query"}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "secret-words" not in logged
    assert len(api.messages()) == 1


def test_the_edited_message_of_the_owner_does_not_rerun_a_command(api: FakeBotApi, bot_config: Path) -> None:
    async def script(api: FakeBotApi) -> None:
        api.inject_message("/status", OWNER, OWNER, kind="edited_message")
        await quiet(api)

    run_bot(api, bot_config, script)
    assert not api.messages()
