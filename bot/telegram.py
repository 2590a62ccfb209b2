"""The python-telegram-bot adapter: token, allow-list, the Application (logging: bot.logs).

Handlers are small module-level functions over BotServices (which knows nothing of Telegram):
commands in bot.commands, the position book's commands, buttons and typed price in
bot.commands_book. Every update (a message, a button's callback query, anything) first meets
`gate` (group -1): one not from an allowed chat and user is logged with its ids and kind only,
never its content, and goes no further. `owner_only` (bot.chat) checks again on each handler and
turns a UserInputError into a reply with the command's usage.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from dataclasses import dataclass
from typing import Any

from telegram import BotCommand, Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot import commands_book
from bot.chat import reply
from bot.commands import COMMANDS
from bot.logs import redact
from bot.services import BotServices
from bot.updates import UpdatesRequest
from satellite.config import LoadedConfig, TelegramConfig
from satellite.errors import ConfigError, UserInputError

TOKEN_ENV = "SATELLITE_TELEGRAM_TOKEN"
POLL_TIMEOUT = 10  # seconds a getUpdates long poll may wait
log = logging.getLogger("satellite.telegram")


def load_token(config: LoadedConfig) -> str:
    """The token from env SATELLITE_TELEGRAM_TOKEN, else [telegram] token_file; never shown.
    A token file that group or others may read (any mode beyond 0600) is refused, as ssh refuses
    such a private key: the token would already be exposed."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    token_file = config.settings.telegram.token_file
    if not token and token_file is not None:
        path = config.resolve(token_file)
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                raise ConfigError(f"telegram.token_file {path}: other users may read it (mode {mode:04o}); "
                                  f"run `chmod 600 {path}` (the token was not read)")
            token = path.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise ConfigError(f"telegram.token_file {path}: cannot read it ({err.strerror}); "
                              f"fix the path or set env {TOKEN_ENV}") from None
    if not token:
        raise UserInputError(f"no Telegram bot token: set env {TOKEN_ENV} or [telegram] token_file "
                             "(see the README's 'Telegram bot' section)")
    if not re.fullmatch(r"\d+:[A-Za-z0-9_-]{20,}", token):
        raise UserInputError("the Telegram bot token is malformed (BotFather's tokens look like "
                             "123456789:AA...); it is not shown here")
    return token


@dataclass(frozen=True)
class AllowList:
    """Chats (and users) the bot answers. A group chat also needs its user on user_ids."""

    chat_ids: frozenset[int]
    user_ids: frozenset[int]

    @classmethod
    def of(cls, settings: TelegramConfig) -> AllowList:
        return cls(frozenset(settings.chat_ids), frozenset(settings.user_ids))

    def allows(self, update: Update) -> bool:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or chat.id not in self.chat_ids:
            return False
        if self.user_ids and user.id not in self.user_ids:
            return False
        if chat.type == ChatType.PRIVATE:
            return user.id == chat.id
        return chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and user.id in self.user_ids


def update_kind(update: Update) -> str:
    """The update's kind (message, poll, chat_join_request...): a field name, never content."""
    for kind in Update.ALL_TYPES:
        if getattr(update, str(kind), None) is not None:
            return str(kind)
    return "other"


async def gate(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -1: stop every update that is not from the owner (ids logged, content never)."""
    allow: AllowList = context.bot_data["allow"]
    if isinstance(update, Update) and allow.allows(update):
        return
    chat = update.effective_chat if isinstance(update, Update) else None
    user = update.effective_user if isinstance(update, Update) else None
    log.warning("ignored %s update from chat %s user %s: not on the allow-list",
                update_kind(update) if isinstance(update, Update) else type(update).__name__,
                chat.id if chat else None, user.id if user else None)
    raise ApplicationHandlerStop


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The one error handler: log first (secrets redacted), then a short reply to the owner."""
    error = context.error
    log.error("error while handling an update: %s", redact(f"{type(error).__name__}: {error}"),
              exc_info=error if not isinstance(error, UserInputError) else None)
    if isinstance(update, Update) and context.bot_data["allow"].allows(update):
        try:
            await reply(update, "Sorry, that failed; the error is in the bot's log.")
        except Exception:  # the network may be what failed
            log.warning("could not send the error reply")


def build_application(
    token: str, settings: TelegramConfig, services: BotServices
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Application: requests with time-outs, no JobQueue (bot.schedule owns scheduling)."""
    timeout = settings.timeout
    request = HTTPXRequest(connection_pool_size=8, connect_timeout=timeout, read_timeout=timeout,
                           write_timeout=timeout, pool_timeout=timeout)
    updates = UpdatesRequest(connect_timeout=timeout, read_timeout=timeout + POLL_TIMEOUT,
                             write_timeout=timeout, pool_timeout=timeout)
    application = (ApplicationBuilder().token(token).base_url(settings.base_url).request(request)
                   .get_updates_request(updates).job_queue(None).concurrent_updates(4).build())
    application.bot_data["allow"] = AllowList.of(settings)
    application.bot_data["services"] = services
    application.add_handler(TypeHandler(Update, gate), group=-1)
    for name, handler, _ in COMMANDS:
        application.add_handler(CommandHandler(name, handler, filters=filters.UpdateType.MESSAGE))
    application.add_handler(CallbackQueryHandler(commands_book.button))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND,
                                           commands_book.typed))
    application.add_error_handler(on_error)
    return application


def bot_commands() -> list[BotCommand]:
    return [BotCommand(name, description) for name, _, description in COMMANDS]
