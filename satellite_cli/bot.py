"""`satellite bot run | send-test | status`: the Telegram bot from the command line."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from typing import Annotated, Any

import typer

from satellite.errors import ConfigError, SatelliteError, TemporaryError, UserInputError
from satellite_cli.context import AppContext
from satellite_cli.output import console, print_json

app = typer.Typer(help="Run the Telegram bot, send a test message, show delivery status.",
                  no_args_is_help=True)
log = logging.getLogger("satellite.bot")


class BotCrashed(SatelliteError):
    """An unexpected failure inside the bot (a bug); its message is redacted."""


def _ready(context: AppContext) -> str:
    """The token, after checking the settings the bot cannot run without (before anything runs)."""
    from bot.telegram import load_token

    token = load_token(context.config)
    if not context.config.settings.telegram.chat_ids:
        raise ConfigError("telegram.chat_ids is empty: add your chat id (see the README's 'Telegram bot' "
                          "section for how to find it)")
    return token


@app.command("run")
def run_command(
    ctx: typer.Context,
    every: Annotated[float | None, typer.Option(
        help="also run the check every SECONDS (testing, or a tighter watch); the daily run stays",
        min=0.1)] = None,
    offline: Annotated[bool, typer.Option(
        "--offline", help="never fetch prices (evaluate the stored ones); if Telegram cannot be reached, "
        "keep evaluating and queueing and retry the connection with back-off")] = False,
    log_level: Annotated[str, typer.Option(help="debug | info | warning | error")] = "info",
) -> None:
    """Poll Telegram for commands, run the check after every NYSE close, deliver alerts.

    Logs go to stderr; SIGTERM or Ctrl-C stops it cleanly. On start it catches up every
    session completed since the last one evaluated and delivers whatever is undelivered.
    """
    import asyncio

    from bot.logs import configure_logging
    from bot.outbox import redact

    context: AppContext = ctx.obj
    if log_level.lower() not in ("debug", "info", "warning", "error"):
        raise UserInputError(f"--log-level {log_level!r}: use debug, info, warning or error")
    token = _ready(context)
    configure_logging(log_level, (token,))
    from bot.runner import run_bot

    try:
        asyncio.run(run_bot(context, token, every, offline))
    except SatelliteError:
        raise
    except Exception as err:
        log.error("the bot stopped on an error", exc_info=True)
        raise BotCrashed(redact(f"{type(err).__name__}: {err}")) from None


@app.command("send-test")
def send_test_command(ctx: typer.Context) -> None:
    """Send a test message to every chat in telegram.chat_ids."""
    import asyncio

    context: AppContext = ctx.obj
    token = _ready(context)
    sent = asyncio.run(_send_test(context, token))
    for chat_id, message_id in sent:
        console.print(f"sent to chat {chat_id} (message {message_id})")


async def _send_test(context: AppContext, token: str) -> list[tuple[int, int]]:
    from telegram import Bot
    from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
    from telegram.request import HTTPXRequest

    from bot.outbox import redact
    from bot.telegram import TOKEN_ENV

    settings = context.config.settings.telegram
    timeout = settings.timeout
    request = HTTPXRequest(connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout)
    sent: list[tuple[int, int]] = []
    chat_id = None
    try:
        async with Bot(token, base_url=settings.base_url, request=request) as bot:
            for chat_id in settings.chat_ids:
                message = await bot.send_message(
                    chat_id, f"satellite: test message from @{bot.username}; alerts will arrive here.")
                sent.append((chat_id, message.message_id))
    except InvalidToken:
        raise UserInputError(f"Telegram refused the bot token (401/404): check env {TOKEN_ENV} or "
                             "[telegram] token_file") from None
    except Forbidden as err:
        raise UserInputError(f"chat {chat_id}: the bot may not write there ({err}); send /start to the "
                             "bot, or add it to the group") from None
    except BadRequest as err:
        raise UserInputError(f"chat {chat_id}: {err}; check [telegram] chat_ids") from None
    except (NetworkError, TelegramError) as err:
        raise TemporaryError(f"the Bot API cannot be reached ({redact(str(err))}); retry later") from None
    return sent


def bot_status(context: AppContext, now: dt.datetime | None = None) -> dict[str, Any]:
    from bot.alerting import database_path
    from bot.notify import NotifyModes
    from bot.outbox import Outbox, utc_now
    from bot.schedule import NEW_YORK, SessionTrigger, parse_time
    from bot.store import AlertStore

    settings = context.config.settings
    database = database_path(context)
    now = now or dt.datetime.now(NEW_YORK)
    trigger = SessionTrigger(*parse_time(settings.schedule.time))
    next_run = trigger.get_next_fire_time(None, now)
    store = AlertStore(database)
    try:
        outbox = Outbox(store)
        last, incomplete = store.last_evaluated(), store.first_incomplete()
        status = {
            "database": str(database),
            "schedule": f"{settings.schedule.time} America/New_York, NYSE sessions",
            "next_run": next_run.isoformat() if next_run else None,
            "scheduler_next_run": _stored_next_run(store.connection),
            "last_evaluated": f"{last:%Y-%m-%d}" if last is not None else None,
            "first_incomplete": f"{incomplete:%Y-%m-%d}" if incomplete is not None else None,
            "muted": outbox.muted,
            "paused_until": _iso(outbox.state.paused_until(utc_now())),
            "refused": outbox.state.bot_refusal(),
            "outbox": outbox.counts(),
            "failed": outbox.failed_rows(),
            "last_error": outbox.last_error(),
            "token": _token_source(context),
            "chat_ids": len(settings.telegram.chat_ids),
            "chats": outbox.state.report(list(settings.telegram.chat_ids)),
            "notify": {m.rule: {"mode": m.mode, "source": m.source}
                       for m in NotifyModes(store, settings.alerts.notify).modes()},
            "digest": settings.telegram.digest,
            "intraday_minutes": settings.schedule.intraday_minutes,
        }
    finally:
        store.close()
    return status


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _stored_next_run(connection: sqlite3.Connection) -> str | None:
    """The next run the persistent job store holds (None if the bot never ran on this file)."""
    from bot.schedule import DAILY_JOB, JOB_TABLE, NEW_YORK

    try:
        row = connection.execute(f"SELECT next_run_time FROM {JOB_TABLE} WHERE id = ?",
                                 (DAILY_JOB,)).fetchone()
    except sqlite3.OperationalError:
        return None
    if row is None or row[0] is None:
        return None
    return dt.datetime.fromtimestamp(row[0], NEW_YORK).isoformat()


def _token_source(context: AppContext) -> str:
    from bot.telegram import TOKEN_ENV

    if os.environ.get(TOKEN_ENV, "").strip():
        return f"env {TOKEN_ENV}"
    token_file = context.config.settings.telegram.token_file
    if token_file is not None:
        path = context.config.resolve(token_file)
        return f"token_file {path}" if path.is_file() else f"missing: token_file {path} not found"
    return "missing"


@app.command("status")
def status_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Next run, last evaluated session, undelivered and failed alerts, last delivery error."""
    context: AppContext = ctx.obj
    status = bot_status(context)
    if as_json:
        print_json(status)
        return
    counts = status["outbox"]
    console.print(f"schedule: {status['schedule']}; next run {status['next_run']}")
    incomplete = f" (incomplete from {status['first_incomplete']})" if status["first_incomplete"] else ""
    console.print(f"last evaluated session: {status['last_evaluated'] or 'never'}{incomplete}")
    muted = "; MUTED" if status["muted"] else ""
    console.print(f"outbox: {counts['pending']} pending, {counts['unknown']} unknown, {counts['sending']} "
                  f"sending, {counts['failed']} failed, {counts['sent']} sent{muted}")
    if status["paused_until"]:
        console.print(f"flood control: nothing is sent before {status['paused_until']}")
    if status["refused"]:
        console.print(f"[red]Telegram refused the bot[/red]: {status['refused']}; fix the token, then "
                      "restart the bot", soft_wrap=True)
    for chat in status["chats"]:
        state = f"blocked since {chat['since']} ({chat['error']})" if chat["state"] == "blocked" else "ok"
        console.print(f"chat {chat['chat_id']}: {state}, {chat['delivered']} delivered, "
                      f"{chat['waiting']} waiting", soft_wrap=True)
    for row in status["failed"]:
        console.print(f"[red]failed[/red] {row['session']} {row['rule']} {row['subject']} after "
                      f"{row['attempts']} attempt(s): {row['last_error']}")
    error = status["last_error"]
    if error:
        console.print(f"last delivery error ({error['updated_at']}, now {error['status']}): "
                      f"{error['last_error']}")
    modes = ", ".join(f"{rule} {item['mode']}" for rule, item in status["notify"].items()
                      if item["mode"] != "on")
    minutes = status["intraday_minutes"]
    intraday = f"every {minutes} min in NYSE hours" if minutes else "off"
    console.print(f"digest: {'on' if status['digest'] else 'off'}; intraday stop watch: {intraday}; "
                  f"notifications not 'on': {modes or 'none'}")
    console.print(f"token: {status['token']}; database: {status['database']}")
