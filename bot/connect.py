"""Reaching the Bot API: at start, and again and again while `bot run --offline` cannot.

Without --offline an unreachable Bot API at start is a temporary failure (exit 3), a refused
token exit 2. With --offline the bot runs without Telegram: checks evaluate and queue alerts
(the outbox keeps them), and the connection is retried with back-off ([telegram] retry_seconds
doubling, at most RECONNECT_MAX); once it succeeds, polling starts and the queue is delivered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.logs import redact
from bot.telegram import POLL_TIMEOUT, bot_commands
from satellite.errors import TemporaryError, UserInputError

log = logging.getLogger("satellite.bot")
RECONNECT_MAX = 300.0  # seconds between two tries at most
App = Application[Any, Any, Any, Any, Any, Any]
REFUSED = ("Telegram refused the bot token (401/404): check env SATELLITE_TELEGRAM_TOKEN or [telegram] "
           "token_file, and [telegram] base_url")


def _describe(err: Exception) -> str:
    return redact(f"{type(err).__name__}: {err}")


async def connect(application: App, offline: bool) -> bool:
    """getMe through the Application: True once reached; False (offline only) if not yet."""
    try:
        await application.initialize()
    except InvalidToken:
        raise UserInputError(REFUSED) from None
    except (NetworkError, TelegramError) as err:
        if not offline:
            raise TemporaryError(f"the Bot API at [telegram] base_url cannot be reached ({_describe(err)}); "
                                 "retry later, or run with --offline to queue alerts meanwhile") from None
        log.warning("the Bot API cannot be reached (%s): evaluating and queueing offline; the connection "
                    "is retried with back-off", _describe(err))
        return False
    return True


async def start_telegram(application: App) -> None:
    """Command menu (best effort), then the Application and its long polling."""
    try:
        await application.bot.set_my_commands(bot_commands())
    except (NetworkError, TelegramError) as err:
        log.warning("could not set the command menu (%s); the commands still work", _describe(err))
    if not application.running:
        await application.start()
    assert application.updater is not None
    if not application.updater.running:
        await application.updater.start_polling(timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES)


async def reconnect(application: App, first_delay: float, connected: Callable[[], Awaitable[None]]) -> None:
    """Try getMe with back-off until it answers, then start Telegram and call `connected`."""
    delay = first_delay
    while True:
        await asyncio.sleep(delay)
        try:
            await application.initialize()
        except InvalidToken:
            log.error("%s; nothing is sent until the bot restarts with a valid token", REFUSED)
            return
        except (NetworkError, TelegramError) as err:
            delay = min(delay * 2, RECONNECT_MAX)
            log.warning("the Bot API is still unreachable (%s); next try in %g s", _describe(err), delay)
            continue
        try:
            await start_telegram(application)
        except (NetworkError, TelegramError) as err:  # reached, then lost again before polling started
            log.warning("polling could not start (%s); next try in %g s", _describe(err), delay)
            continue
        log.info("connected to the Bot API as @%s: delivering what was queued", application.bot.username)
        await connected()
        return
