"""Reminders of unanswered stop_hit alerts, and the owner's answers to them.

A stop_hit alert asks the owner what happened at the broker (buttons: Sold at the stop, Sold at
..., Still holding, Snooze 1 session; bot.stop_actions). Until it is answered, and while the
position book still holds the position open, it is sent again every `[alerts] repeat_sessions`
evaluated sessions, at most `repeat_max` times. "Snooze 1 session" skips the next session's
reminder. A reminder is a stop_hit alert of the session it is sent in, state
"reminder:<alert id>:<n>", so it is recorded and delivered once like any alert.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from bot.alert import Alert
from bot.chats import stamp
from bot.store import AlertStore, LedgerRow, _ledger_row
from market.calendar import sessions_between

Answer = Literal["sold", "holding", "snooze"]
REMINDER = "reminder:"


@dataclass(frozen=True)
class Repeat:
    every: int  # sessions between reminders
    most: int  # reminders at most


@dataclass(frozen=True)
class Answered:
    answer: Answer
    snooze_until: str | None
    who: str
    at: str


def original_id(alert: Alert, alert_id: int) -> int:
    """The stop_hit a reminder is about (an original stop_hit is its own)."""
    if alert.state.startswith(REMINDER):
        return int(alert.state.split(":")[1])
    return alert_id


class StopAnswers:
    """Table stop_answers: what the owner answered to a stop_hit."""

    def __init__(self, store: AlertStore) -> None:
        self.store = store

    def stop_hit(self, alert_id: int) -> LedgerRow | None:
        """The original stop_hit of an alert id (a reminder's id leads to its original)."""
        rows = self.store.query("SELECT a.*, NULL AS status, 0 AS attempts, NULL AS message_id, "
                                "NULL AS last_error FROM alerts a WHERE a.id = ? AND a.rule = 'stop_hit'",
                                (alert_id,))
        if not rows:
            return None
        row = _ledger_row(rows[0])
        first = original_id(row.alert, row.alert_id)
        return row if first == row.alert_id else self.stop_hit(first)

    def answer(self, alert_id: int) -> Answered | None:
        rows = self.store.query("SELECT answer, snooze_until, who, at FROM stop_answers WHERE alert_id = ?",
                                (alert_id,))
        return Answered(rows[0][0], rows[0][1], rows[0][2], rows[0][3]) if rows else None

    def record(self, alert_id: int, answer: Answer, who: str,
               snooze_until: pd.Timestamp | None = None) -> None:
        until = f"{snooze_until:%Y-%m-%d}" if snooze_until is not None else None
        with self.store.transaction() as db:
            db.execute("INSERT INTO stop_answers (alert_id, answer, snooze_until, who, at) "
                       "VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (alert_id) DO UPDATE SET answer = excluded.answer, "
                       "snooze_until = excluded.snooze_until, who = excluded.who, at = excluded.at",
                       (alert_id, answer, until, who, stamp(dt.datetime.now(dt.UTC))))


def due_reminders(store: AlertStore, session: pd.Timestamp, repeat: Repeat) -> list[Alert]:
    """The reminders to send with `session`'s alerts (see the module docstring)."""
    if repeat.most <= 0:
        return []
    day = f"{session:%Y-%m-%d}"
    rows = store.query(
        "SELECT a.id, a.session, a.subject, a.level, a.fill, a.stop_rule, a.message, s.snooze_until "
        "FROM alerts a LEFT JOIN stop_answers s ON s.alert_id = a.id "
        "WHERE a.rule = 'stop_hit' AND a.state = '' AND a.session < ? "
        "AND coalesce(s.answer, 'snooze') = 'snooze' ORDER BY a.session, a.id", (day,))
    out = []
    for row in rows:
        if not _still_open(store, row["subject"], row["session"]):
            continue
        sent = store.query("SELECT session FROM alerts WHERE rule = 'stop_hit' AND subject = ? "
                           "AND state LIKE ? ORDER BY session", (row["subject"], f"{REMINDER}{row['id']}:%"))
        if len(sent) >= repeat.most or any(r[0] == day for r in sent):
            continue
        since = max([row["session"], *(r[0] for r in sent), row["snooze_until"] or ""])
        if since >= day or len(sessions_between(pd.Timestamp(since), session)) - 1 < repeat.every:
            continue
        number = len(sent) + 1
        text = (f"Reminder {number} of {repeat.most}: the stop of {row['session']} is not answered yet and "
                f"{row['subject']} is still open in satellite's book. Use the buttons.\n{row['message']}")
        out.append(Alert(session, "stop_hit", row["subject"], f"{REMINDER}{row['id']}:{number}", row["level"],
                         None, text, row["fill"], row["stop_rule"]))
    return out


def _still_open(store: AlertStore, ticker: str, stop_session: str) -> bool:
    """The book holds an open lot of the ticker bought by the stop's session."""
    rows = store.query("SELECT 1 FROM positions WHERE ticker = ? AND exit_date IS NULL "
                       "AND entry_date <= ? LIMIT 1", (ticker, stop_session))
    return bool(rows)
