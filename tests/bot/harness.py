"""A bot in one event loop for tests: the real Application polling the fake Bot API server and a
BotRuntime on the same alert database, driven session by session with a chosen `now`."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.runner import BotRuntime
from bot.services import BotServices
from bot.telegram import build_application
from satellite_cli.context import AppContext
from tests.bot.conftest import OWNER
from tests.bot.fake_bot_api import TOKEN, FakeBotApi


def after_close(day: str) -> dt.datetime:
    """A moment after that session's close (and before the next one's)."""
    return dt.datetime.fromisoformat(day).replace(hour=23, tzinfo=dt.UTC)


class Session:
    """What a script gets: the fake server, the runtime, and helpers to talk as the owner."""

    def __init__(self, api: FakeBotApi, runtime: BotRuntime, context: AppContext) -> None:
        self.api = api
        self.runtime = runtime
        self.context = context
        self.database = runtime.database

    async def check(self, day: str) -> list[Any]:
        report = await self.runtime.check("test", after_close(day))
        return report.new_alerts

    async def ask(self, text: str, chat_id: int = OWNER, user_id: int = OWNER) -> list[dict[str, Any]]:
        """Send a message; return the bot's new messages (waits until it is quiet)."""
        before = len(self.api.messages())
        self.api.inject_message(text, chat_id, user_id)
        return await self.replies(before)

    async def press(self, message: dict[str, Any], label: str, user_id: int = OWNER) -> list[dict[str, Any]]:
        """Press the button whose label starts with `label` under a delivered message."""
        data = next(data for text, data in self.api.buttons(message) if text.startswith(label))
        before = len(self.api.messages())
        self.api.press(message, data, user_id)
        return await self.replies(before)

    async def replies(self, before: int, wait: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and len(self.api.messages()) == before:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        return self.api.messages()[before:]

    def message(self, starts: str) -> dict[str, Any]:
        """The newest delivered message whose text (or caption) starts with `starts`."""
        found = [m for m in self.api.messages() if text(m).startswith(starts)]
        assert found, [text(m) for m in self.api.messages()]
        return found[-1]

    def rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database) as db:
            return db.execute(sql, args).fetchall()


Script = Callable[[Session], Awaitable[None]]


def run(api: FakeBotApi, config: Path, script: Script, context: AppContext | None = None) -> None:
    context = context or AppContext(config_option=config)
    database = context.data_dir / "satellite.db"

    async def main() -> None:
        application = build_application(TOKEN, context.config.settings.telegram,
                                        BotServices(context, database))
        async with application:
            runtime = BotRuntime(context, application.bot, database, offline=True)
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(timeout=1)
            try:
                await script(Session(api, runtime, context))
            finally:
                runtime.close()
                await application.updater.stop()
                await application.stop()

    asyncio.run(main())


def text(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")
