"""The outbox's delivery side: claim the next row, record what reached each chat, settle the row.

Order: rows go out in (session, rule order, insertion) order, one at a time. Only the head of
the queue can be claimed: while it waits for its next try (a 5xx outage, a time-out) or is
being sent by another process, nothing behind it goes out, so a "resolved" notice never
overtakes the drawdown it resolves, whatever the faults or restarts in between. While a flood-
control pause runs (bot.chats) nothing is claimed at all.

A row is claimed by setting it to 'sending' in an IMMEDIATE transaction before the Bot API is
called, so two processes on one file never send the same row. Each part that Telegram accepted
is recorded at once per (alert, chat, part) (table delivered_parts), and a chat that got every
part in delivered_chats: a retry, a restart or `requeue_failed` sends only what is missing. A
row still 'sending' after the lease (longer than any one send may take) belonged to a process
that died mid-call: it becomes 'unknown' and its missing parts are sent; the part in flight at
the crash is the one that may arrive twice.

Statuses: pending (to send, from next_try on), sending (claimed), sent (every chat has every
part), failed (a chat or Telegram refused it: 400/401/403; kept, reported, retried at the next
`bot run` start), unknown (a claim whose process died).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.alert import RULE_ORDER, Alert
from bot.chats import DeliveryState, parse_stamp, stamp
from bot.logs import TOKEN_PATTERN, redact
from bot.store import AlertStore, _ledger_row

STATUSES = ("pending", "sending", "unknown", "failed", "sent")
RULE_RANK = " ".join(f"WHEN '{rule}' THEN {rank}" for rank, rule in enumerate(RULE_ORDER))
QUEUE_ORDER = f"a.session, CASE a.rule {RULE_RANK} ELSE {len(RULE_ORDER)} END, o.id"
__all__ = ["TOKEN_PATTERN", "Outbox", "OutboxItem", "parse_stamp", "redact", "stamp", "utc_now"]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
        self.state = DeliveryState(store)

    def claim(self, now: dt.datetime | None = None) -> OutboxItem | None:
        """The head of the queue, now 'sending'; None if it is not due, taken, or the bot is paused."""
        now = now or utc_now()
        if self.state.paused_until(now) is not None:
            return None
        with self.store.transaction() as db:
            db.execute(
                "UPDATE outbox SET status = 'unknown', updated_at = ? WHERE status = 'sending' "
                "AND updated_at <= ?", (stamp(now), stamp(now - self.lease)))
            row = db.execute(
                "SELECT o.id AS outbox_id, o.status AS outbox_status, o.next_try, a.*, o.status, o.attempts, "
                "o.message_id, o.last_error FROM outbox o JOIN alerts a ON a.id = o.alert_id "
                f"WHERE o.status IN ('pending', 'unknown', 'sending') ORDER BY {QUEUE_ORDER} LIMIT 1"
            ).fetchone()
            if row is None or row["outbox_status"] == "sending":
                return None
            if row["next_try"] is not None and parse_stamp(row["next_try"]) > now:
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

    def parts_sent(self, item: OutboxItem, chat_id: int) -> set[str]:
        rows = self.store.query("SELECT part FROM delivered_parts WHERE alert_id = ? AND chat_id = ?",
                                (item.alert_id, chat_id))
        return {row[0] for row in rows}

    def chats_done(self, item: OutboxItem) -> set[int]:
        rows = self.store.query("SELECT chat_id FROM delivered_chats WHERE alert_id = ?", (item.alert_id,))
        return {row[0] for row in rows}

    def record_part(self, item: OutboxItem, chat_id: int, part: str, message_id: int,
                    now: dt.datetime | None = None) -> bool:
        """Telegram accepted `part` for `chat_id`: record it (and renew the claim); False if the
        claim was lost meanwhile (the part stays recorded, so the new owner skips it)."""
        moment = stamp(now or utc_now())
        with self.store.transaction() as db:
            db.execute("INSERT OR IGNORE INTO delivered_parts (alert_id, chat_id, part, message_id, sent_at) "
                       "VALUES (?, ?, ?, ?, ?)", (item.alert_id, chat_id, part, message_id, moment))
            return db.execute("UPDATE outbox SET updated_at = ? WHERE id = ? AND status = 'sending'",
                              (moment, item.id)).rowcount == 1

    def record_chat(self, item: OutboxItem, chat_id: int, now: dt.datetime | None = None) -> None:
        """Every part of the alert reached `chat_id`."""
        with self.store.transaction() as db:
            db.execute("INSERT OR IGNORE INTO delivered_chats (alert_id, chat_id, delivered_at) "
                       "VALUES (?, ?, ?)", (item.alert_id, chat_id, stamp(now or utc_now())))

    def sent(self, item: OutboxItem, now: dt.datetime | None = None) -> None:
        rows = self.store.query("SELECT message_id FROM delivered_parts WHERE alert_id = ? "
                                "ORDER BY sent_at, rowid LIMIT 1", (item.alert_id,))
        self._set(item, "sent", now, message_id=rows[0][0] if rows else None, next_try=None)

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
        """At `bot run` start: refusals cleared, failed rows back to pending (their missing parts
        only are sent: what reached a chat is recorded)."""
        self.state.clear_refusals()
        with self.store.transaction() as db:
            return db.execute("UPDATE outbox SET status = 'pending', next_try = NULL "
                              "WHERE status = 'failed'").rowcount

    def counts(self) -> dict[str, int]:
        rows = self.store.query("SELECT status, count(*) FROM outbox GROUP BY status")
        found = {row[0]: row[1] for row in rows}
        return {status: int(found.get(status, 0)) for status in STATUSES}

    def next_due(self, now: dt.datetime | None = None) -> dt.datetime | None:
        """When the head of the queue can be tried (None: nothing to send, muted or refused)."""
        now = now or utc_now()
        if self.state.muted or self.state.bot_refusal() is not None:
            return None
        rows = self.store.query(
            "SELECT o.status, o.next_try, o.updated_at FROM outbox o JOIN alerts a ON a.id = o.alert_id "
            f"WHERE o.status IN ('pending', 'unknown', 'sending') ORDER BY {QUEUE_ORDER} LIMIT 1")
        if not rows:
            return None
        status, next_try, updated_at = rows[0]
        if status == "sending":
            due = parse_stamp(updated_at) + self.lease
        else:
            due = parse_stamp(next_try) if next_try else now
        paused = self.state.paused_until(now)
        return max(due, paused) if paused is not None else due

    def last_error(self) -> dict[str, Any] | None:
        rows = self.store.query(
            "SELECT o.id, o.status, o.updated_at, o.last_error, a.session, a.rule, a.subject FROM outbox o "
            "JOIN alerts a ON a.id = o.alert_id WHERE o.last_error IS NOT NULL "
            "ORDER BY o.updated_at DESC, o.id DESC LIMIT 1")
        return dict(rows[0]) if rows else None

    def failed_rows(self) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT o.id, o.attempts, o.updated_at, o.last_error, a.session, a.rule, a.subject FROM outbox o "
            "JOIN alerts a ON a.id = o.alert_id WHERE o.status = 'failed' ORDER BY o.id")
        return [dict(row) for row in rows]

    @property
    def muted(self) -> bool:
        return self.state.muted

    def set_muted(self, muted: bool) -> None:
        self.state.set_muted(muted)
