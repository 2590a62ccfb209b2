"""The outbox's delivery side: claim a row, then mark it sent, retry it later or fail it.

A row is claimed by setting it to 'sending' in an IMMEDIATE transaction before the Bot API is
called, so two processes on one file never send the same row. A row still 'sending' after the
lease (longer than any one send may take) belonged to a process that died mid-call: it becomes
'unknown' and is sent once more. A crash after Telegram accepted a message but before it was
marked sent therefore costs at most one duplicate, never a lost alert.

Statuses: pending (to send, from next_try on), sending (claimed), sent, failed (Telegram refused
for good: 400/401/403; kept, reported, retried once at the next `bot run` start), unknown.
The bot's mute switch lives here too (table bot_state): muted alerts stay queued.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from bot.alert import Alert
from bot.store import AlertStore, _ledger_row

STATE_SCHEMA = "CREATE TABLE IF NOT EXISTS bot_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
TOKEN_PATTERN = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
STATUSES = ("pending", "sending", "unknown", "failed", "sent")


def redact(text: str) -> str:
    """Any bot token in a text replaced by a placeholder (error texts may quote URLs)."""
    return TOKEN_PATTERN.sub("<token>", text)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    """The store's timestamp format (the same as SQLite's strftime default in store.py)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class OutboxItem:
    """A claimed outbox row: its id, its alert, and whether an earlier send may have succeeded."""

    id: int
    alert_id: int
    alert: Alert
    attempts: int
    was_unknown: bool


class Outbox:
    """Delivery operations on an AlertStore's outbox table."""

    def __init__(self, store: AlertStore, lease_seconds: float = 120.0) -> None:
        self.store = store
        self.lease = dt.timedelta(seconds=lease_seconds)
        store.connection.execute(STATE_SCHEMA)

    def claim(self, now: dt.datetime | None = None) -> OutboxItem | None:
        """The oldest deliverable row, now 'sending' (expired leases become 'unknown' first)."""
        now = now or utc_now()
        with self.store.transaction() as db:
            db.execute(
                "UPDATE outbox SET status = 'unknown', updated_at = ? WHERE status = 'sending' "
                "AND updated_at <= ?", (stamp(now), stamp(now - self.lease)))
            row = db.execute(
                "SELECT o.id AS outbox_id, o.status AS outbox_status, a.*, o.status, o.attempts, "
                "o.message_id, o.last_error FROM outbox o JOIN alerts a ON a.id = o.alert_id "
                "WHERE o.status IN ('pending', 'unknown') AND (o.next_try IS NULL OR o.next_try <= ?) "
                "ORDER BY a.session, o.id LIMIT 1", (stamp(now),)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE outbox SET status = 'sending', attempts = attempts + 1, updated_at = ? "
                       "WHERE id = ?", (stamp(now), row["outbox_id"]))
        ledger = _ledger_row(row)
        return OutboxItem(row["outbox_id"], ledger.alert_id, ledger.alert, ledger.attempts + 1,
                          row["outbox_status"] == "unknown")

    def renew(self, item: OutboxItem, now: dt.datetime | None = None) -> bool:
        """Extend a claim before each Bot API call; False if the lease was lost to another process."""
        with self.store.transaction() as db:
            return db.execute("UPDATE outbox SET updated_at = ? WHERE id = ? AND status = 'sending'",
                              (stamp(now or utc_now()), item.id)).rowcount == 1

    def sent(self, item: OutboxItem, message_id: int | None, now: dt.datetime | None = None) -> None:
        self._set(item, "sent", now, message_id=message_id, next_try=None)

    def retry_later(self, item: OutboxItem, error: str, when: dt.datetime,
                    now: dt.datetime | None = None) -> None:
        self._set(item, "pending", now, last_error=redact(error), next_try=stamp(when))

    def failed(self, item: OutboxItem, error: str, now: dt.datetime | None = None) -> None:
        self._set(item, "failed", now, last_error=redact(error), next_try=None)

    def _set(self, item: OutboxItem, status: str, now: dt.datetime | None, **fields: Any) -> None:
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self.store.transaction() as db:
            db.execute(f"UPDATE outbox SET status = ?, updated_at = ?, {assignments} "
                       "WHERE id = ? AND status = 'sending'",
                       (status, stamp(now or utc_now()), *fields.values(), item.id))

    def requeue_failed(self) -> int:
        """Failed rows back to pending (at `bot run` start, once the cause may be fixed)."""
        with self.store.transaction() as db:
            return db.execute("UPDATE outbox SET status = 'pending', next_try = NULL "
                              "WHERE status = 'failed'").rowcount

    def counts(self) -> dict[str, int]:
        found = dict(self.store.connection.execute(
            "SELECT status, count(*) FROM outbox GROUP BY status").fetchall())
        return {status: int(found.get(status, 0)) for status in STATUSES}

    def next_due(self) -> dt.datetime | None:
        """When the next undelivered row can be tried (an unfinished claim: when its lease ends)."""
        due: list[dt.datetime] = []
        for status, next_try, updated_at in self.store.connection.execute(
                "SELECT status, next_try, updated_at FROM outbox "
                "WHERE status IN ('pending', 'unknown', 'sending')"):
            if status == "sending":
                due.append(parse_stamp(updated_at) + self.lease)
            else:
                due.append(parse_stamp(next_try) if next_try else dt.datetime.min.replace(tzinfo=dt.UTC))
        return min(due, default=None)

    def last_error(self) -> dict[str, Any] | None:
        row = self.store.connection.execute(
            "SELECT o.id, o.status, o.updated_at, o.last_error, a.session, a.rule, a.subject FROM outbox o "
            "JOIN alerts a ON a.id = o.alert_id WHERE o.last_error IS NOT NULL "
            "ORDER BY o.updated_at DESC, o.id DESC LIMIT 1").fetchone()
        return None if row is None else dict(row)

    def failed_rows(self) -> list[dict[str, Any]]:
        rows = self.store.connection.execute(
            "SELECT o.id, o.attempts, o.updated_at, o.last_error, a.session, a.rule, a.subject FROM outbox o "
            "JOIN alerts a ON a.id = o.alert_id WHERE o.status = 'failed' ORDER BY o.id").fetchall()
        return [dict(row) for row in rows]

    @property
    def muted(self) -> bool:
        row = self.store.connection.execute("SELECT value FROM bot_state WHERE key = 'muted'").fetchone()
        return row is not None and row[0] == "1"

    def set_muted(self, muted: bool) -> None:
        with self.store.transaction() as db:
            db.execute("INSERT INTO bot_state (key, value) VALUES ('muted', ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value", ("1" if muted else "0",))
