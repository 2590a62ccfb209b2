"""/bought, /sold, the inline buttons and the owner's typed price (bot.chat_book decides).

A button press is a callback query: the gate (group -1) has checked the allow-list already,
`button` checks again, answers the query (Telegram shows a spinner until then), removes the
buttons of a message whose question is settled, and replies with the outcome.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.chat import allowed, answer, owner_only, reply, send_reply
from satellite.errors import UserInputError

log = logging.getLogger("satellite.telegram")
SETTLED = {"pc", "st:stop", "st:hold"}  # presses after which the message's buttons go away


def _ids(update: Update) -> tuple[int, int]:
    assert update.effective_chat is not None and update.effective_user is not None
    return update.effective_chat.id, update.effective_user.id


@owner_only("/bought TICKER SHARES PRICE [DATE]  (e.g. /bought NBIS 50 95.20 2025-10-20)")
async def bought(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args, (chat_id, _) = list(context.args or []), _ids(update)
    await send_reply(update, await answer(context, lambda s: s.book.bought(args, chat_id)))


@owner_only("/sold TICKER [SHARES|all] [PRICE] [DATE]  (e.g. /sold NBIS all 118.06 2025-10-17)")
async def sold(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args, (chat_id, _) = list(context.args or []), _ids(update)
    await send_reply(update, await answer(context, lambda s: s.book.sold(args, chat_id)))


@owner_only("PRICE [DATE]  (e.g. 117.50 2025-10-17)")
async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A plain message: the price asked for after "Sold at ..." (ignored when nothing was asked)."""
    message = update.effective_message
    text, (chat_id, _) = (message.text or "") if message else "", _ids(update)
    found = await answer(context, lambda s: s.book.price_reply(text, chat_id))
    if found is not None:
        await send_reply(update, found)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or not allowed(update, context) or update.effective_chat is None:
        return
    chat_id, user_id = _ids(update)
    kind, _, rest = (query.data or "").partition(":")
    number, _, action = rest.partition(":")
    try:
        if not number.isdigit():
            raise UserInputError("this button is not one of satellite's")
        key = int(number)
        if kind == "pc":
            outcome = await answer(context, lambda s: s.book.confirm(key, action == "yes", chat_id, user_id))
        elif kind == "st":
            outcome = await answer(context, lambda s: s.book.stop_button(key, action, chat_id, user_id))
        else:
            raise UserInputError("this button is not one of satellite's")
    except UserInputError as err:
        await query.answer()
        await reply(update, str(err))
        return
    await query.answer()
    if kind in SETTLED or f"{kind}:{action}" in SETTLED:
        try:
            await query.edit_message_reply_markup(None)
        except TelegramError as err:  # an old message may no longer be editable: the answer still counts
            log.warning("could not remove the buttons of a message (%s)", type(err).__name__)
    await send_reply(update, outcome)
