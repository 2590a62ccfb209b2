"""What every chat handler shares: the allow-list check with usage replies, replies with
buttons, service calls in a worker thread, argument checks."""

from __future__ import annotations

import asyncio
import functools
import html
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from telegram import ForceReply, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.delivery import keyboard, split_text
from bot.replies import Reply
from bot.services import BotServices
from satellite.errors import UserInputError

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
T = TypeVar("T")


class Usage(UserInputError):
    """Bad command arguments: the reply is the command's usage line."""


def allowed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    return bool(context.bot_data["allow"].allows(update))


def owner_only(usage: str) -> Callable[[Handler], Handler]:
    """Allow-list check, then the handler; a UserInputError becomes a reply (with `usage`)."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if not allowed(update, context):
                return
            try:
                await handler(update, context)
            except Usage as err:
                await reply(update, f"{err}\nUsage: {usage}" if str(err) else f"Usage: {usage}")
            except UserInputError as err:
                await reply(update, f"{err}\nUsage: {usage}")
        return wrapper

    return decorate


async def reply(update: Update, text: str) -> None:
    await send_reply(update, Reply(text))


async def send_reply(update: Update, answer_: Reply) -> None:
    """The text (split when long), its buttons on the last part; a table as <pre>."""
    message = update.effective_message
    if message is None:
        return
    markup: InlineKeyboardMarkup | ForceReply | None = keyboard(answer_.buttons)
    if markup is None and answer_.ask_reply:
        markup = ForceReply(selective=True)
    parts = split_text(answer_.text, 4000 if answer_.monospace else 4096)
    for number, part in enumerate(parts, start=1):
        last = number == len(parts)
        if answer_.monospace:
            await message.reply_text(f"<pre>{html.escape(part)}</pre>", parse_mode=ParseMode.HTML,
                                     reply_markup=markup if last else None)
        else:
            await message.reply_text(part, reply_markup=markup if last else None)


async def answer(context: ContextTypes.DEFAULT_TYPE, work: Callable[[BotServices], T]) -> T:
    """Run a (blocking) service call in a worker thread."""
    services: BotServices = context.bot_data["services"]
    return await asyncio.to_thread(work, services)


def no_args(context: ContextTypes.DEFAULT_TYPE) -> None:
    if context.args:
        raise Usage("this command takes no arguments")


def count_arg(context: ContextTypes.DEFAULT_TYPE, default: int) -> int:
    args = context.args or []
    if len(args) > 1:
        raise Usage("too many arguments")
    if not args:
        return default
    if not args[0].isdigit() or not 1 <= int(args[0]) <= 50:
        raise Usage(f"N must be a whole number from 1 to 50, not {args[0][:20]!r}")
    return int(args[0])
