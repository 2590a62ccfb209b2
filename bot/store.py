"""The alert ledger and outbox in one SQLite file.

- alerts: one row per UNIQUE(rule, subject, session, state): an alert exists at most once.
- outbox: one row per alert to deliver (pending, sent, failed, unknown), drained by the bot.
- evaluations: each evaluated session, whether it was complete (no stale ticker) and the rule
  state after it (positions' stops and highs), written in the same transaction as its alerts.

- delivered_parts / delivered_chats: what reached each chat, part by part (bot.delivery).
- the position book and the owner's answers live in the same file (tables: bot.schema).

Each session is recorded in one IMMEDIATE transaction, so a kill -9 at any point leaves either
all of a session's rows or none, and two processes on one file cannot both insert an alert.

The file (and SQLite's -wal and -shm beside it, which take its mode) is created 0600. A file
that is not a database, a damaged one, a folder or an unwritable place is a UserInputError
naming the file; a database another process keeps locked longer than BUSY_TIMEOUT seconds is a
TemporaryError ("busy, retry").
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bot.alert import Alert
from bot.schema import migrate
from satellite.errors import SatelliteError, TemporaryError, UserInputError

BUSY_TIMEOUT = 5.0  # seconds to wait for a lock another process holds, then "busy, retry"



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

    def __init__(self, path: Path, timeout: float | None = None) -> None:
        self.path = path
        self.timeout = BUSY_TIMEOUT if timeout is None else timeout
        with self.guard():
            _create_private(path)
            self.connection = sqlite3.connect(path, timeout=self.timeout, isolation_level=None)
            try:
                self.connection.row_factory = sqlite3.Row
                self.connection.execute("PRAGMA journal_mode=WAL")
                self.connection.execute("PRAGMA synchronous=FULL")
                self.connection.execute("PRAGMA foreign_keys=ON")
                migrate(self.connection)
            except Exception:
                self.connection.close()
                raise

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def guard(self) -> Iterator[None]:
        """SQLite and file-system faults as the errors the CLI maps to exit 2 or 3."""
        try:
            yield
        except sqlite3.Error as err:
            mapped = database_error(self.path, err, self.timeout)
            if mapped is None:
                raise  # a programming error: a bug in satellite
            raise mapped from None
        except OSError as err:
            raise UserInputError(f"{self.path}: cannot create the alert database ({err.strerror}); "
                                 "fix the folder's permissions or set [alerts] database") from None

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self.guard():
            return self.connection.execute(sql, args).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error."""
        with self.guard():
            self.connection.execute("BEGIN IMMEDIATE")
            committed = False
            try:
                yield self.connection
                self.connection.execute("COMMIT")
                committed = True
            finally:
                if not committed and self.connection.in_transaction:
                    self.connection.execute("ROLLBACK")

    def record_session(
        self, session: pd.Timestamp, alerts: list[Alert], complete: bool, rule_state: dict[str, Any],
        send: Callable[[Alert], bool] | None = None,
    ) -> list[Alert]:
        """Insert a session's alerts (and their outbox rows) once; return the ones that are new.
        send(alert) False: recorded in the ledger, not queued (its rule's notify mode is off)."""
        day = f"{session:%Y-%m-%d}"
        with self.transaction() as db:
            new = self._insert(db, alerts, send)
            db.execute(
                "INSERT INTO evaluations (session, complete, rule_state) VALUES (?, ?, ?) "
                "ON CONFLICT (session) DO UPDATE SET complete = excluded.complete, "
                "rule_state = excluded.rule_state, "
                "evaluated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
                (day, int(complete), json.dumps(rule_state)),
            )
        return new

    def record_alerts(self, alerts: list[Alert], send: Callable[[Alert], bool] | None = None) -> list[Alert]:
        """Alerts outside a session's evaluation (the intraday stop watch): once each, as above."""
        with self.transaction() as db:
            return self._insert(db, alerts, send)

    def _insert(self, db: sqlite3.Connection, alerts: list[Alert],
                send: Callable[[Alert], bool] | None) -> list[Alert]:
        """An alert already in the ledger (the intraday stop_hit of the session) is not added
        again; the evening's fill and stop_rule complete it."""
        new: list[Alert] = []
        for alert in alerts:
            if alert.rule == "stale_data" and self._stale_already_reported(db, alert):
                continue
            key = (f"{alert.session:%Y-%m-%d}", alert.rule, alert.subject, alert.state)
            found = db.execute("SELECT id FROM alerts WHERE session = ? AND rule = ? AND subject = ? "
                               "AND state = ?", key).fetchone()
            if found is not None:
                db.execute("UPDATE alerts SET fill = coalesce(fill, ?), stop_rule = coalesce(stop_rule, ?) "
                           "WHERE id = ?", (alert.fill, alert.stop_rule, found[0]))
                continue
            cursor = db.execute(
                "INSERT INTO alerts (session, rule, subject, state, level, close, message, fill, stop_rule)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*key, alert.level, alert.close, alert.message, alert.fill, alert.stop_rule),
            )
            if send is None or send(alert):
                db.execute("INSERT INTO outbox (alert_id) VALUES (?)", (cursor.lastrowid,))
            new.append(alert)
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
        [row] = self.query("SELECT max(session) FROM evaluations")
        return pd.Timestamp(row[0]) if row[0] else None

    def first_incomplete(self) -> pd.Timestamp | None:
        [row] = self.query("SELECT min(session) FROM evaluations WHERE complete = 0")
        return pd.Timestamp(row[0]) if row[0] else None

    def rule_state(self, session: pd.Timestamp | None = None) -> dict[str, Any]:
        query = "SELECT rule_state FROM evaluations ORDER BY session DESC LIMIT 1"
        args: tuple[str, ...] = ()
        if session is not None:
            query = "SELECT rule_state FROM evaluations WHERE session = ?"
            args = (f"{session:%Y-%m-%d}",)
        rows = self.query(query, args)
        return json.loads(rows[0][0]) if rows else {}

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
        return [_ledger_row(row) for row in self.query(query)][::-1]


def _create_private(path: Path) -> None:
    """A new database file is created 0600 (its -wal and -shm files take the same mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process created it meanwhile
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def database_error(path: Path, err: sqlite3.Error, timeout: float) -> SatelliteError | None:
    """One line naming the file and what to do, by SQLite's primary result code (None: a bug)."""
    code = getattr(err, "sqlite_errorcode", 0) & 0xFF
    if code in (5, 6) or "locked" in str(err):  # SQLITE_BUSY, SQLITE_LOCKED
        return TemporaryError(f"{path}: the alert database is busy (another process has held it locked "
                              f"for over {timeout:g} s); retry in a moment")
    if path.is_dir():
        return UserInputError(f"{path} is a folder, not a database file: remove it or set [alerts] "
                              "database to a file path")
    if code in (3, 8, 14, 23):  # SQLITE_PERM, SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_AUTH
        return UserInputError(f"{path}: cannot open or write the alert database ({err}); make the file "
                              f"and its folder {path.parent} writable, or set [alerts] database")
    if code in (11, 26):  # SQLITE_CORRUPT, SQLITE_NOTADB
        return UserInputError(f"{path}: not an alert database, or a damaged one ({err}); move it aside "
                              "(a new one is then created) or restore a backup")
    if code in (10, 13):  # SQLITE_IOERR, SQLITE_FULL
        return UserInputError(f"{path}: the disk refused a read or write ({err}); free space or check "
                              "the disk, then retry")
    return None


def _ledger_row(row: sqlite3.Row) -> LedgerRow:
    alert = Alert(pd.Timestamp(row["session"]), row["rule"], row["subject"], row["state"],
                  row["level"], row["close"], row["message"], row["fill"], row["stop_rule"])
    return LedgerRow(alert, row["id"], row["status"], row["attempts"] or 0, row["message_id"],
                     row["last_error"])
