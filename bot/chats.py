"""Delivery state beside the outbox: the bot-wide switches and each chat's standing.

- muted: /mute holds every alert back (they stay queued).
- paused_until: after a 429 (flood control) nothing at all is sent until then. The whole bot
  pauses, not only the chat that got it: Telegram's limits are per bot as well as per chat, and
  one queue keeps every chat's alerts in order (session, then rule order).
- bot refusal: the token was refused (401/404); nothing is sent until `bot run` starts again.
- chats: a chat that answered 403 (bot blocked, removed from the group) is 'blocked' from then
  on; alerts still go to every other chat. `bot run` clears refusals at start and tries again.

Everything lives in the alert database, so `satellite bot status` (another process) sees it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.store import AlertStore

STAMP = "%Y-%m-%dT%H:%M:%SZ"


def stamp(moment: dt.datetime) -> str:
    """The store's timestamp format (the same as SQLite's strftime default in store.py)."""
    return moment.astimezone(dt.UTC).strftime(STAMP)


def parse_stamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, STAMP).replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class ChatState:
    chat_id: int
    blocked: bool
    error: str | None
    since: str | None


class DeliveryState:
    """Bot-wide switches (table bot_state) and per-chat standing (table chats)."""

    def __init__(self, store: AlertStore) -> None:
        self.store = store

    def _get(self, key: str) -> str | None:
        rows = self.store.query("SELECT value FROM bot_state WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def _set(self, key: str, value: str | None) -> None:
        with self.store.transaction() as db:
            if value is None:
                db.execute("DELETE FROM bot_state WHERE key = ?", (key,))
            else:
                db.execute("INSERT INTO bot_state (key, value) VALUES (?, ?) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    @property
    def muted(self) -> bool:
        return self._get("muted") == "1"

    def set_muted(self, muted: bool) -> None:
        self._set("muted", "1" if muted else "0")

    def paused_until(self, now: dt.datetime) -> dt.datetime | None:
        """The end of a flood-control pause still running at `now` (None: not paused)."""
        value = self._get("paused_until")
        until = parse_stamp(value) if value else None
        return until if until is not None and until > now else None

    def pause(self, until: dt.datetime) -> dt.datetime:
        """Nothing is sent before `until` (rounded up to the next second, as stored)."""
        if until.microsecond:
            until = until.replace(microsecond=0) + dt.timedelta(seconds=1)
        self._set("paused_until", stamp(until))
        return until

    def bot_refusal(self) -> str | None:
        return self._get("refused")

    def refuse_bot(self, error: str) -> None:
        self._set("refused", error)

    def chats(self) -> dict[int, ChatState]:
        rows = self.store.query("SELECT chat_id, state, error, since FROM chats")
        return {row["chat_id"]: ChatState(row["chat_id"], row["state"] == "blocked", row["error"],
                                          row["since"]) for row in rows}

    def block_chat(self, chat_id: int, error: str, now: dt.datetime) -> bool:
        """Mark a chat blocked; True if that is news (it was not blocked already)."""
        with self.store.transaction() as db:
            return db.execute(
                "INSERT INTO chats (chat_id, state, error, since) VALUES (?, 'blocked', ?, ?) "
                "ON CONFLICT (chat_id) DO UPDATE SET state = 'blocked', error = excluded.error, "
                "since = excluded.since WHERE chats.state != 'blocked'",
                (chat_id, error, stamp(now))).rowcount == 1

    def clear_refusals(self) -> None:
        """At `bot run` start: the token and the chats get another chance."""
        with self.store.transaction() as db:
            db.execute("DELETE FROM bot_state WHERE key = 'refused'")
            db.execute("UPDATE chats SET state = 'ok', error = NULL")

    def report(self, chat_ids: list[int]) -> list[dict[str, Any]]:
        """Per configured chat: its state, alerts delivered to it, alerts still owed to it."""
        known = self.chats()
        rows = []
        for chat_id in chat_ids:
            state = known.get(chat_id)
            [delivered] = self.store.query(
                "SELECT count(*) FROM delivered_chats WHERE chat_id = ?", (chat_id,))
            [waiting] = self.store.query(
                "SELECT count(*) FROM outbox o WHERE o.status != 'sent' AND NOT EXISTS (SELECT 1 FROM "
                "delivered_chats d WHERE d.alert_id = o.alert_id AND d.chat_id = ?)", (chat_id,))
            [last] = self.store.query(
                "SELECT max(delivered_at) FROM delivered_chats WHERE chat_id = ?", (chat_id,))
            rows.append({
                "chat_id": chat_id,
                "state": "blocked" if state is not None and state.blocked else "ok",
                "error": state.error if state is not None and state.blocked else None,
                "since": state.since if state is not None and state.blocked else None,
                "delivered": int(delivered[0]),
                "waiting": int(waiting[0]),
                "last_delivered_at": last[0],
            })
        return rows
