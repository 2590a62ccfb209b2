"""The tables of the ledger database, and the one migration an older file needs.

- alerts, outbox, delivered_parts, delivered_chats, chats, bot_state, evaluations: the alert
  ledger and its delivery (bot.store, bot.outbox, bot.chats).
- positions, position_journal: the position book (bot.book); every change of a position is a
  journal row: who, when, from the chat, the CLI or config.toml, the values before and after.
- stop_answers: what the owner answered to a stop_hit (sold, holding, snooze; bot.answers).
- pending_changes: a /bought or /sold waiting for its confirm button (bot.book_chat).
"""

from __future__ import annotations

import sqlite3

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
    fill REAL,
    stop_rule TEXT,
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
CREATE TABLE IF NOT EXISTS delivered_parts (
    alert_id INTEGER NOT NULL REFERENCES alerts (id),
    chat_id INTEGER NOT NULL,
    part TEXT NOT NULL,
    message_id INTEGER,
    sent_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (alert_id, chat_id, part)
);
CREATE TABLE IF NOT EXISTS delivered_chats (
    alert_id INTEGER NOT NULL REFERENCES alerts (id),
    chat_id INTEGER NOT NULL,
    delivered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (alert_id, chat_id)
);
CREATE TABLE IF NOT EXISTS chats (
    chat_id INTEGER PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('ok', 'blocked')),
    error TEXT,
    since TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bot_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evaluations (
    session TEXT PRIMARY KEY,
    complete INTEGER NOT NULL,
    rule_state TEXT NOT NULL,
    evaluated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE IF NOT EXISTS positions (
    id INTEGER PRIMARY KEY,
    ticker TEXT NOT NULL,
    shares REAL NOT NULL CHECK (shares > 0),
    entry_date TEXT NOT NULL,
    entry_price REAL,
    stop TEXT NOT NULL DEFAULT '{}',
    exit_date TEXT,
    exit_price REAL,
    exit_note TEXT,
    holds TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS position_journal (
    id INTEGER PRIMARY KEY,
    position_id INTEGER NOT NULL REFERENCES positions (id),
    action TEXT NOT NULL,
    who TEXT NOT NULL,
    via TEXT NOT NULL CHECK (via IN ('chat', 'cli', 'config')),
    at TEXT NOT NULL,
    old TEXT,
    new TEXT
);
CREATE TABLE IF NOT EXISTS stop_answers (
    alert_id INTEGER PRIMARY KEY REFERENCES alerts (id),
    answer TEXT NOT NULL CHECK (answer IN ('sold', 'holding', 'snooze')),
    snooze_until TEXT,
    who TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_changes (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    change TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'cancelled')),
    created_at TEXT NOT NULL
);
"""

ADDED_COLUMNS = {"alerts": (("fill", "REAL"), ("stop_rule", "TEXT"))}
"""Columns newer than the first ledger files: added to an older file when it is opened."""


def migrate(connection: sqlite3.Connection) -> None:
    """Create what is missing, in one IMMEDIATE transaction (two processes opening an old file at
    once: the second finds the columns there)."""
    connection.execute("BEGIN IMMEDIATE")
    committed = False
    try:
        for table, columns in ADDED_COLUMNS.items():
            have = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns:
                if have and name not in have:
                    connection.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute("COMMIT")
        committed = True
    finally:
        if not committed and connection.in_transaction:
            connection.execute("ROLLBACK")
