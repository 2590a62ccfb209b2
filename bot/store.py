"""The alert ledger and outbox in one SQLite file.

- alerts: one row per UNIQUE(rule, subject, session, state): an alert exists at most once.
- outbox: one row per alert to deliver (pending, sent, failed, unknown), drained by the bot.
- evaluations: each evaluated session, whether it was complete (no stale ticker) and the rule
  state after it (positions' stops and highs), written in the same transaction as its alerts.

Each session is recorded in one IMMEDIATE transaction, so a kill -9 at any point leaves either
all of a session's rows or none, and two processes on one file cannot both insert an alert.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bot.alert import Alert

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    session TEXT NOT NULL,
    rule TEXT NOT NULL,
    subject TEXT NOT NULL,
    state TEXT NOT NULL,
    level REAL,
    close REAL,
    message TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (rule, subject, session, state)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL UNIQUE REFERENCES alerts (id),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unknown')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try TEXT,
    message_id INTEGER,
    last_error TEXT,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status, next_try);
CREATE TABLE IF NOT EXISTS evaluations (
    session TEXT PRIMARY KEY,
    complete INTEGER NOT NULL,
    rule_state TEXT NOT NULL,
    evaluated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
"""


@dataclass(frozen=True)
class LedgerRow:
    alert: Alert
    alert_id: int
    status: str | None
    attempts: int
    message_id: int | None
    last_error: str | None

    def as_json(self) -> dict[str, Any]:
        return {**self.alert.as_json(), "id": self.alert_id, "delivery": self.status,
                "attempts": self.attempts, "message_id": self.message_id, "last_error": self.last_error}


class AlertStore:
    """The ledger, outbox and evaluations of one SQLite file."""

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        self.connection.row_factory = sqlite3.Row
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.execute("PRAGMA foreign_keys=ON")
        self.connection.executescript(SCHEMA)

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error."""
        self.connection.execute("BEGIN IMMEDIATE")
        committed = False
        try:
            yield self.connection
            self.connection.execute("COMMIT")
            committed = True
        finally:
            if not committed:
                self.connection.execute("ROLLBACK")

    def record_session(
        self, session: pd.Timestamp, alerts: list[Alert], complete: bool, rule_state: dict[str, Any]
    ) -> list[Alert]:
        """Insert a session's alerts (and their outbox rows) once; return the ones that are new."""
        new: list[Alert] = []
        day = f"{session:%Y-%m-%d}"
        with self.transaction() as db:
            for alert in alerts:
                if alert.rule == "stale_data" and self._stale_already_reported(db, alert):
                    continue
                cursor = db.execute(
                    "INSERT OR IGNORE INTO alerts (session, rule, subject, state, level, close, message)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (f"{alert.session:%Y-%m-%d}", alert.rule, alert.subject, alert.state,
                     alert.level, alert.close, alert.message),
                )
                if cursor.rowcount == 1:
                    db.execute("INSERT INTO outbox (alert_id) VALUES (?)", (cursor.lastrowid,))
                    new.append(alert)
            db.execute(
                "INSERT INTO evaluations (session, complete, rule_state) VALUES (?, ?, ?) "
                "ON CONFLICT (session) DO UPDATE SET complete = excluded.complete, "
                "rule_state = excluded.rule_state, "
                "evaluated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
                (day, int(complete), json.dumps(rule_state)),
            )
        return new

    @staticmethod
    def _stale_already_reported(db: sqlite3.Connection, alert: Alert) -> bool:
        """One stale-data notice per stale bar, however many sessions it stays stale."""
        row = db.execute(
            "SELECT 1 FROM alerts WHERE rule = 'stale_data' AND subject = ? AND state = ?",
            (alert.subject, alert.state),
        ).fetchone()
        return row is not None

    def last_evaluated(self) -> pd.Timestamp | None:
        row = self.connection.execute("SELECT max(session) FROM evaluations").fetchone()
        return pd.Timestamp(row[0]) if row[0] else None

    def first_incomplete(self) -> pd.Timestamp | None:
        row = self.connection.execute(
            "SELECT min(session) FROM evaluations WHERE complete = 0").fetchone()
        return pd.Timestamp(row[0]) if row[0] else None

    def rule_state(self, session: pd.Timestamp | None = None) -> dict[str, Any]:
        query = "SELECT rule_state FROM evaluations ORDER BY session DESC LIMIT 1"
        args: tuple[str, ...] = ()
        if session is not None:
            query = "SELECT rule_state FROM evaluations WHERE session = ?"
            args = (f"{session:%Y-%m-%d}",)
        row = self.connection.execute(query, args).fetchone()
        return json.loads(row[0]) if row else {}

    def rows(self, limit: int | None = None, pending_only: bool = False) -> list[LedgerRow]:
        query = (
            "SELECT a.*, o.status, o.attempts, o.message_id, o.last_error FROM alerts a "
            "LEFT JOIN outbox o ON o.alert_id = a.id"
        )
        if pending_only:
            query += " WHERE o.status IN ('pending', 'sending', 'failed', 'unknown')"
        query += " ORDER BY a.session DESC, a.id DESC"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        return [_ledger_row(row) for row in self.connection.execute(query)][::-1]


def _ledger_row(row: sqlite3.Row) -> LedgerRow:
    alert = Alert(pd.Timestamp(row["session"]), row["rule"], row["subject"], row["state"],
                  row["level"], row["close"], row["message"])
    return LedgerRow(alert, row["id"], row["status"], row["attempts"] or 0, row["message_id"],
                     row["last_error"])
