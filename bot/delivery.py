"""Drain the outbox into Telegram: one claimed row at a time, each chat and part once.

An alert goes to every chat in [telegram] chat_ids, in parts: stop_hit and drawdown alerts (and a
week's last digest) as a photo with a chart (the text as caption when it fits in 1,024
characters), texts over 4,096 characters split on line breaks, nothing dropped. The last part
carries the alert's buttons (a stop_hit's answers), and every part goes silently (Telegram's
disable_notification) when the rule's notify mode is "silent" (bot.extras decides both). Each
part Telegram accepts is recorded at once (bot.outbox), so whatever fails later, a retry sends
only the parts a chat has not got.

Faults, by kind:
- RetryAfter (HTTP 429): the whole bot pauses until retry_after has passed (bot.chats), then
  the same part is resent; a wait longer than `max_wait` ends the pass and the row waits.
- NetworkError (5xx, connection refused): a few quick retries of the same part, then the row
  goes back to pending with an exponential back-off (retry_seconds x 2^n, at most an hour) and
  the pass ends; rows behind it wait (order is kept). TimedOut goes to the back-off at once:
  Telegram may have delivered that part, so each time-out risks one duplicate of one part.
- Forbidden (403): that chat blocked the bot or removed it: the chat is marked blocked (logged
  once), the alert still goes to every other chat and the row is kept as 'failed' until the
  next `bot run` start. When every chat is blocked the pass ends.
- InvalidToken (401/404): Telegram refuses the bot: nothing more is sent until the next start.
- BadRequest (400): this message cannot go to that chat as it is: kept as 'failed'.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.alert import Alert
from bot.messages import TITLES
from bot.outbox import Outbox, OutboxItem, redact, utc_now
from bot.replies import Button

log = logging.getLogger("satellite.delivery")

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
PHOTO_RULES = ("stop_hit", "drawdown", "digest")
ChartMaker = Callable[[Alert], Awaitable[bytes | None]]


@dataclass(frozen=True)
class Extras:
    """How an alert's messages go out: buttons under the last part, silently or not."""

    buttons: tuple[Button, ...] = ()
    silent: bool = False


ExtrasMaker = Callable[["OutboxItem"], Extras]


@dataclass(frozen=True)
class RetryPolicy:
    quick_retries: int = 2          # same-part retries after a 5xx, within a pass
    quick_delay: float = 1.0        # seconds before the first quick retry (doubles)
    max_wait: float = 60.0          # longest RetryAfter waited in-pass
    backoff: float = 30.0           # first back-off step between passes, seconds
    max_backoff: float = 3600.0


@dataclass
class DrainReport:
    sent: int = 0
    retry_later: int = 0
    failed: int = 0
    muted: bool = False
    blocked: str | None = None      # the refusal (401, or 403 from every chat) that stops delivery
    paused_until: dt.datetime | None = None
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Part:
    """One Bot API call of an alert: key 'photo' (a chart, caption optional) or 'text1'..'textN'."""

    key: str
    text: str | None
    photo: bytes | None = None


class Later(Exception):
    """Put the row back; try again at `when` (a flood-control wait pauses the whole bot)."""

    def __init__(self, error: str, when: dt.datetime, pause: bool = False) -> None:
        super().__init__(error)
        self.when = when
        self.pause = pause


class LostClaim(Exception):
    """Our claim on a row expired and another process took it over: leave the row to it."""


def alert_text(alert: Alert) -> str:
    subject = "Portfolio" if alert.subject == "portfolio" else alert.subject
    return f"{TITLES.get(alert.rule, alert.rule)} · {subject} · {alert.session:%Y-%m-%d}\n{alert.message}"


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Parts of at most `limit` characters, cut at line breaks where possible; joined back they
    give the text (the cut line breaks aside)."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            parts.append(text[:limit])
            text = text[limit:]
        else:
            parts.append(text[:cut])
            text = text[cut + 1:]
    parts.append(text)
    return parts


def plan_parts(text: str, photo: bytes | None, sent: set[str]) -> list[Part]:
    """The parts of an alert for one chat, given the parts it already has: once a text part went
    out without a chart, no chart follows; once the chart went out, it is never sent again."""
    texts = [Part(f"text{number}", part) for number, part in enumerate(split_text(text), start=1)]
    with_photo = "photo" in sent or (photo is not None and not any(key.startswith("text") for key in sent))
    if not with_photo:
        return texts
    caption = text if len(text) <= CAPTION_LIMIT else None
    return [Part("photo", caption, photo), *([] if caption is not None else texts)]


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """Inline buttons, two to a row (None: no keyboard)."""
    if not buttons:
        return None
    keys = [InlineKeyboardButton(button.label, callback_data=button.data) for button in buttons]
    return InlineKeyboardMarkup([keys[i:i + 2] for i in range(0, len(keys), 2)])


def _seconds(value: int | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _describe(err: Exception) -> str:
    name, text = type(err).__name__, str(err)
    return redact(text if text.startswith(name) else f"{name}: {text}")


class Deliverer:
    """Sends claimed outbox rows through a python-telegram-bot Bot."""

    def __init__(self, bot: Bot, chat_ids: list[int], outbox: Outbox, chart: ChartMaker | None = None,
                 policy: RetryPolicy | None = None, extras: ExtrasMaker | None = None) -> None:
        self.bot = bot
        self.chat_ids = chat_ids
        self.outbox = outbox
        self.chart = chart
        self.policy = policy or RetryPolicy()
        self.extras = extras

    def stopped(self, report: DrainReport) -> bool:
        """Muted, or refused by Telegram for the bot or for every chat: report why."""
        state = self.outbox.state
        report.muted = state.muted
        report.blocked = state.bot_refusal()
        blocked = {chat_id for chat_id, chat in state.chats().items() if chat.blocked}
        if report.blocked is None and self.chat_ids and set(self.chat_ids) <= blocked:
            report.blocked = f"every chat refused delivery ({', '.join(map(str, self.chat_ids))})"
        return report.muted or report.blocked is not None

    async def drain(self, now: Callable[[], dt.datetime] = utc_now) -> DrainReport:
        """Send every deliverable row in order; stop at a bot-wide refusal, an outage or a pause."""
        report = DrainReport()
        while not self.stopped(report) and (item := self.outbox.claim(now())) is not None:
            try:
                refusals = await self.deliver(item, now)
            except Later as later:
                self.settle_later(item, later, report, now())
                break
            except LostClaim as err:
                log.warning("%s; not sending it here", err)
                continue
            except InvalidToken as err:
                self.outbox.failed(item, _describe(err), now())
                self.outbox.state.refuse_bot(_describe(err))
                report.failed += 1
                log.error("Telegram refused the bot token (%s): nothing is sent until `satellite bot run` "
                          "starts again with a valid token; alerts are kept", _describe(err))
                continue  # stopped() ends the pass and reports the refusal
            if refusals:
                self.outbox.failed(item, "; ".join(refusals), now())
                report.failed += 1
                report.errors.extend(refusals)
            else:
                self.outbox.sent(item, now())
                report.sent += 1
                again = "; its missing parts again: its earlier send was cut short" * item.was_unknown
                log.info("alert %s delivered to %d chat(s)%s", item.alert_id, len(self.chat_ids), again)
        report.paused_until = self.outbox.state.paused_until(now())
        return report

    def settle_later(self, item: OutboxItem, later: Later, report: DrainReport, now: dt.datetime) -> None:
        if later.pause:
            self.outbox.state.pause(later.when)
        self.outbox.retry_later(item, str(later), later.when, now)
        report.retry_later += 1
        report.errors.append(redact(str(later)))
        log.warning("alert %s not delivered yet (%s); next try %s", item.alert_id, redact(str(later)),
                    f"{later.when:%Y-%m-%d %H:%M:%S} UTC")

    def backoff(self, attempts: int) -> dt.timedelta:
        seconds = min(self.policy.backoff * 2 ** max(attempts - 1, 0), self.policy.max_backoff)
        return dt.timedelta(seconds=seconds)

    async def deliver(self, item: OutboxItem, now: Callable[[], dt.datetime] = utc_now) -> list[str]:
        """Send the alert's missing parts to every chat that lacks them; return the refusals."""
        text = alert_text(item.alert)
        extras = self.extras(item) if self.extras is not None else Extras()
        photo: list[bytes | None] = []  # made once, and only if some chat still needs the chart
        refusals: list[str] = []
        done = self.outbox.chats_done(item)
        for chat_id in self.chat_ids:
            if chat_id in done:
                continue
            chat = self.outbox.state.chats().get(chat_id)
            if chat is not None and chat.blocked:
                refusals.append(f"chat {chat_id} is blocked ({chat.error})")
                continue
            try:
                await self.send_to(chat_id, text, item, photo, extras)
            except Forbidden as err:
                refusals.append(f"chat {chat_id}: {_describe(err)}")
                if self.outbox.state.block_chat(chat_id, _describe(err), now()):
                    log.error("chat %s refused delivery (%s): alerts for it are kept until the bot is "
                              "unblocked there and `satellite bot run` restarts; other chats still get them",
                              chat_id, _describe(err))
            except BadRequest as err:
                refusals.append(f"chat {chat_id}: {_describe(err)}")
                log.error("Telegram refused alert %s for chat %s: %s", item.alert_id, chat_id, _describe(err))
            else:
                self.outbox.record_chat(item, chat_id, now())
        return refusals

    async def send_to(self, chat_id: int, text: str, item: OutboxItem, photo: list[bytes | None],
                      extras: Extras) -> None:
        sent = self.outbox.parts_sent(item, chat_id)
        needs_chart = "photo" not in sent and not any(key.startswith("text") for key in sent)
        if needs_chart and not photo:
            photo.append(await self.make_chart(item))
        parts = plan_parts(text, photo[0] if photo else None, sent)
        for part in parts:
            if part.key in sent:
                continue
            style = extras if part is parts[-1] else Extras(silent=extras.silent)
            message = await self.call(lambda part=part, style=style: self.send_part(chat_id, part, style),  # type: ignore[misc]
                                      item)
            if not self.outbox.record_part(item, chat_id, part.key, message.message_id):
                raise LostClaim(f"alert {item.alert_id} was taken over by another process")

    async def make_chart(self, item: OutboxItem) -> bytes | None:
        reminder = item.alert.state.startswith("reminder")
        if self.chart is None or item.alert.rule not in PHOTO_RULES or reminder:
            return None
        try:
            return await self.chart(item.alert)
        except Exception as err:  # a chart is a bonus: never let it block the alert
            log.warning("no chart for alert %s (%s); sending text only", item.alert_id, _describe(err))
            return None

    async def send_part(self, chat_id: int, part: Part, extras: Extras | None = None) -> Message:
        extras = extras or Extras()
        markup = keyboard(extras.buttons)
        if part.key == "photo":
            assert part.photo is not None
            return await self.bot.send_photo(chat_id, part.photo, caption=part.text, reply_markup=markup,
                                             disable_notification=extras.silent)
        assert part.text is not None
        return await self.bot.send_message(chat_id, part.text, reply_markup=markup,
                                           disable_notification=extras.silent)

    async def call(self, send: Callable[[], Awaitable[Message]], item: OutboxItem) -> Message:
        """One Bot API call with in-pass retries; raises Later, or a permanent TelegramError."""
        quick = 0
        while True:
            if not self.outbox.renew(item):
                raise LostClaim(f"alert {item.alert_id} was taken over by another process")
            try:
                return await send()
            except RetryAfter as err:
                wait = _seconds(err.retry_after)
                until = utc_now() + dt.timedelta(seconds=wait)
                if wait > self.policy.max_wait:
                    raise Later(f"RetryAfter: Telegram asks to wait {wait:g} s", until, pause=True) from None
                until = self.outbox.state.pause(until)
                log.warning("Telegram flood control: nothing is sent for %g s, then this part again", wait)
                await asyncio.sleep(max((until - utc_now()).total_seconds(), 0.0))
            except (InvalidToken, Forbidden, BadRequest):
                raise
            except (NetworkError, TelegramError) as err:
                # a time-out is ambiguous (Telegram may have sent it): no quick resend, back off
                if quick >= self.policy.quick_retries or isinstance(err, TimedOut):
                    raise Later(_describe(err), utc_now() + self.backoff(item.attempts)) from None
                await asyncio.sleep(self.policy.quick_delay * 2 ** quick)
                quick += 1
