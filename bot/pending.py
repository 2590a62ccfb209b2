"""Book changes from the chat that wait for their confirm button (table pending_changes), and
the chat waiting for a sale's price after "Sold at ..." (table bot_state)."""

from __future__ import annotations

import datetime as dt

from bot.chats import stamp
from bot.holdings import Change, change_from_json, change_json
from bot.store import AlertStore

AWAITING = "awaiting_price:"


class PendingChanges:
    def __init__(self, store: AlertStore) -> None:
        self.store = store

    def add(self, chat_id: int, change: Change) -> int:
        with self.store.transaction() as db:
            cursor = db.execute("INSERT INTO pending_changes (chat_id, change, created_at) VALUES (?, ?, ?)",
                                (chat_id, change_json(change), stamp(dt.datetime.now(dt.UTC))))
            return int(cursor.lastrowid or 0)

    def take(self, pending_id: int, chat_id: int, confirmed: bool) -> Change | None:
        """The change, now settled (done or cancelled); None if it is not pending in that chat
        (already confirmed or cancelled: a second press does nothing)."""
        with self.store.transaction() as db:
            row = db.execute("SELECT change FROM pending_changes WHERE id = ? AND chat_id = ? "
                             "AND status = 'pending'", (pending_id, chat_id)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE pending_changes SET status = ? WHERE id = ?",
                       ("done" if confirmed else "cancelled", pending_id))
        return change_from_json(row[0])

    def cancel(self, pending_id: int) -> None:
        """A confirmed change the book refused (it changed meanwhile) is cancelled."""
        with self.store.transaction() as db:
            db.execute("UPDATE pending_changes SET status = 'cancelled' WHERE id = ?", (pending_id,))

    def await_price(self, chat_id: int, alert_id: int | None) -> None:
        with self.store.transaction() as db:
            if alert_id is None:
                db.execute("DELETE FROM bot_state WHERE key = ?", (f"{AWAITING}{chat_id}",))
            else:
                db.execute("INSERT INTO bot_state (key, value) VALUES (?, ?) ON CONFLICT (key) "
                           "DO UPDATE SET value = excluded.value", (f"{AWAITING}{chat_id}", str(alert_id)))

    def awaited(self, chat_id: int) -> int | None:
        rows = self.store.query("SELECT value FROM bot_state WHERE key = ?", (f"{AWAITING}{chat_id}",))
        return int(rows[0][0]) if rows else None
