"""Drain the outbox into Telegram: one claimed row at a time, faults handled by kind.

- RetryAfter (HTTP 429): wait the time Telegram asks for and resend the same part; a wait longer
  than `max_wait` puts the row back with next_try at that time instead.
- NetworkError (5xx, connection refused): a few quick retries of the same part, then the row
  goes back to pending with an exponential back-off (retry_seconds x 2^n, at most an hour) and
  the pass ends (the server is likely down). TimedOut goes to the back-off at once: Telegram
  may have sent the message, so each time-out risks one duplicate, never a loss.
- InvalidToken (401/404) / Forbidden (403): Telegram refuses us for good: the row is kept as
  'failed', the error is logged loudly and shown by `satellite bot status`; the pass ends.
- BadRequest (400): this message cannot be sent as it is: the row is kept as 'failed'.

Alerts go to every chat in [telegram] chat_ids, stop_hit and drawdown alerts as a photo with
a chart. Texts over 4096 characters are split on line breaks, nothing dropped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Bot, Message
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
from bot.outbox import Outbox, OutboxItem, redact, utc_now

log = logging.getLogger("satellite.delivery")

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
PHOTO_RULES = ("stop_hit", "drawdown")
TITLES = {
    "stop_hit": "STOP HIT", "near_stop": "Near stop", "drawdown": "Drawdown",
    "drawdown_resolved": "Drawdown resolved", "pullback_zone": "Pullback zone",
    "new_event": "New event", "stale_data": "Stale data",
}
ChartMaker = Callable[[Alert], Awaitable[bytes | None]]


@dataclass(frozen=True)
class RetryPolicy:
    quick_retries: int = 2          # same-part retries after a time-out or 5xx, within a pass
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
    blocked: str | None = None      # the refusal (401/403) that stopped the pass
    errors: list[str] = field(default_factory=list)


class Later(Exception):
    """Put the row back; try again at `when`."""

    def __init__(self, error: str, when: dt.datetime) -> None:
        super().__init__(error)
        self.when = when


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


def _seconds(value: int | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class Deliverer:
    """Sends claimed outbox rows through a python-telegram-bot Bot."""

    def __init__(self, bot: Bot, chat_ids: list[int], outbox: Outbox, chart: ChartMaker | None = None,
                 policy: RetryPolicy | None = None) -> None:
        self.bot = bot
        self.chat_ids = chat_ids
        self.outbox = outbox
        self.chart = chart
        self.policy = policy or RetryPolicy()

    async def drain(self, now: Callable[[], dt.datetime] = utc_now) -> DrainReport:
        """Send every deliverable row; stop at the first refusal or outage."""
        report = DrainReport()
        if self.outbox.muted:
            report.muted = True
            return report
        while (item := self.outbox.claim(now())) is not None:
            try:
                message_id = await self.deliver(item)
            except Later as later:
                self.outbox.retry_later(item, str(later), later.when, now())
                report.retry_later += 1
                report.errors.append(redact(str(later)))
                log.warning("alert %s not delivered yet (%s); next try %s", item.alert_id,
                            redact(str(later)), f"{later.when:%Y-%m-%d %H:%M:%S} UTC")
                break
            except LostClaim as err:
                log.warning("%s; not sending it here", err)
                continue
            except (InvalidToken, Forbidden) as err:
                text = f"{type(err).__name__}: {err}"
                self.outbox.failed(item, text, now())
                report.failed += 1
                report.blocked = redact(text)
                log.error("Telegram refused delivery (%s): fix the token or chat_ids, or unblock the "
                          "bot; the alert is kept and retried at the next `satellite bot run`",
                          redact(text))
                break
            except BadRequest as err:
                text = f"BadRequest: {err}"
                self.outbox.failed(item, text, now())
                report.failed += 1
                report.errors.append(redact(text))
                log.error("Telegram refused alert %s: %s", item.alert_id, redact(text))
            else:
                self.outbox.sent(item, message_id, now())
                report.sent += 1
                log.info("alert %s delivered (message %s)%s", item.alert_id, message_id,
                         " again: its earlier send was cut short" if item.was_unknown else "")
        return report

    def backoff(self, attempts: int) -> dt.timedelta:
        seconds = min(self.policy.backoff * 2 ** max(attempts - 1, 0), self.policy.max_backoff)
        return dt.timedelta(seconds=seconds)

    async def deliver(self, item: OutboxItem) -> int | None:
        """Send one alert to every chat; return the first message's id."""
        text = alert_text(item.alert)
        photo = None
        if self.chart is not None and item.alert.rule in PHOTO_RULES:
            try:
                photo = await self.chart(item.alert)
            except Exception as err:  # a chart is a bonus: never let it block the alert
                log.warning("no chart for alert %s (%s); sending text only", item.alert_id,
                            redact(f"{type(err).__name__}: {err}"))
        first: int | None = None
        for chat_id in self.chat_ids:
            message_id = await self.send_to(chat_id, text, photo, item)
            first = message_id if first is None else first
        return first

    async def send_to(self, chat_id: int, text: str, photo: bytes | None, item: OutboxItem) -> int:
        first: int | None = None
        parts = split_text(text)
        if photo is not None:
            caption = text if len(text) <= CAPTION_LIMIT else None
            message = await self.call(lambda: self.bot.send_photo(chat_id, photo, caption=caption), item)
            first = message.message_id
            if caption is not None:
                parts = []
        for part in parts:
            message = await self.call(lambda part=part: self.bot.send_message(chat_id, part), item)  # type: ignore[misc]
            first = message.message_id if first is None else first
        assert first is not None
        return first

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
                if wait > self.policy.max_wait:
                    raise Later(f"RetryAfter: Telegram asks to wait {wait:g} s",
                                utc_now() + dt.timedelta(seconds=wait)) from None
                log.warning("Telegram flood control: waiting %g s before resending", wait)
                await asyncio.sleep(wait)
            except (InvalidToken, Forbidden, BadRequest):
                raise
            except (NetworkError, TelegramError) as err:
                # a time-out is ambiguous (Telegram may have sent it): no quick resend, back off
                if quick >= self.policy.quick_retries or isinstance(err, TimedOut):
                    raise Later(f"{type(err).__name__}: {err}", utc_now() + self.backoff(item.attempts)) \
                        from None
                await asyncio.sleep(self.policy.quick_delay * 2 ** quick)
                quick += 1
