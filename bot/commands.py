"""The bot's commands: small module-level handlers over BotServices (no logic in here).

The position book's commands and the buttons are in bot.commands_book; this module lists them
all (COMMANDS), for the Application and for Telegram's command menu.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import Update
from telegram.ext import ContextTypes

from bot import commands_book
from bot.chat import Handler, Usage, answer, count_arg, no_args, owner_only, reply, send_reply
from bot.replies import Reply

HELP = """satellite watches your core-satellite portfolio and sends alerts after every NYSE close.
/status - portfolio value, drawdown, each position vs its stop
/positions - the position book: open lots, sold ones
/stops - stop levels
/levels - tomorrow's stop orders (what goes to the broker tonight)
/daily [N], /weekly [N] - value, change and P&L per session or week, vs the core
/bought TICKER SHARES PRICE [DATE] - add a position (you confirm first)
/sold TICKER [SHARES] [PRICE] [DATE] - sell (all shares, at the close, today by default)
/events [N] - the N most recent catalogue events (default 5)
/alerts [N] - the N most recent alerts and their delivery (default 10)
/backtest [strategy] - one-line backtest summary (default core_satellite)
/chart TICKER - price, stop level and events as a picture
/notify [RULE on|silent|off|default] - per-rule notifications (no argument: the list)
/mute, /unmute - hold alerts back, then deliver the held ones"""


@owner_only("/start")
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(update, HELP)


@owner_only("/help")
async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(update, HELP)


@owner_only("/status")
async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    no_args(context)
    await reply(update, await answer(context, lambda s: s.status()))


@owner_only("/positions")
async def positions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    no_args(context)
    await reply(update, await answer(context, lambda s: s.positions()))


@owner_only("/stops")
async def stops(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    no_args(context)
    await reply(update, await answer(context, lambda s: s.stops()))


@owner_only("/levels")
async def levels(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    no_args(context)
    await reply(update, await answer(context, lambda s: s.reports.levels()))


def period_command(weekly: bool) -> Handler:
    name = "weekly" if weekly else "daily"

    @owner_only(f"/{name} [N]  (N from 1 to 50, default {8 if weekly else 10})")
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        count = count_arg(context, 8 if weekly else 10)
        text = await answer(context, lambda s: s.reports.periods(count, weekly))
        await send_reply(update, Reply(text, monospace=True))

    return handler


@owner_only("/events [N]  (N from 1 to 50, default 5)")
async def events(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    count = count_arg(context, 5)
    await reply(update, await answer(context, lambda s: s.events(count)))


@owner_only("/alerts [N]  (N from 1 to 50, default 10)")
async def alerts(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    count = count_arg(context, 10)
    await reply(update, await answer(context, lambda s: s.alerts(count)))


@owner_only("/backtest [strategy]  (default core_satellite)")
async def backtest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    if len(args) > 1:
        raise Usage("too many arguments")
    await reply(update, await answer(context, lambda s: s.backtest(args[0] if args else None)))


@owner_only("/chart TICKER  (e.g. /chart NVDA)")
async def chart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    if len(args) != 1:
        raise Usage("give one ticker")
    png, caption = await answer(context, lambda s: s.chart(args[0]))
    if update.effective_message is not None:
        await update.effective_message.reply_photo(png, caption=caption)


@owner_only("/notify [RULE on|silent|off|default]  (e.g. /notify drawdown silent)")
async def notify(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    if len(args) not in (0, 2):
        raise Usage("give a rule and a mode, or nothing for the list")
    if not args:
        await reply(update, await answer(context, lambda s: s.notify_modes()))
        return
    await reply(update, await answer(context, lambda s: s.set_notify(args[0].lower(), args[1].lower())))


@owner_only("/mute")
async def mute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    no_args(context)
    await reply(update, await answer(context, lambda s: s.set_muted(True)))


@owner_only("/unmute")
async def unmute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    no_args(context)
    await reply(update, await answer(context, lambda s: s.set_muted(False)))
    wake: Callable[[], None] | None = context.bot_data.get("wake_delivery")
    if wake is not None:
        wake()


COMMANDS: list[tuple[str, Handler, str]] = [
    ("start", start, "what this bot does"), ("help", help_command, "the commands"),
    ("status", status, "portfolio value, drawdown, stops"), ("positions", positions, "the position book"),
    ("stops", stops, "stop levels"), ("levels", levels, "tomorrow's stop orders"),
    ("daily", period_command(False), "per session: /daily [N]"),
    ("weekly", period_command(True), "per week: /weekly [N]"),
    ("bought", commands_book.bought, "/bought TICKER SHARES PRICE [DATE]"),
    ("sold", commands_book.sold, "/sold TICKER [SHARES] [PRICE] [DATE]"),
    ("events", events, "recent events: /events [N]"),
    ("alerts", alerts, "recent alerts: /alerts [N]"), ("backtest", backtest, "/backtest [strategy]"),
    ("chart", chart, "/chart TICKER"), ("notify", notify, "/notify [RULE on|silent|off]"),
    ("mute", mute, "hold alerts back"), ("unmute", unmute, "deliver held alerts"),
]
