"""Reminders of unanswered stop_hits ([alerts] repeat_sessions, repeat_max) on a real ledger."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bot.alert import Alert
from bot.book import Actor, PositionBook
from bot.reminders import Repeat, StopAnswers, due_reminders
from bot.store import AlertStore

STOP = pd.Timestamp("2025-10-17")  # a Friday; then 10-20, 10-21, 10-22, 10-23 ...
SESSIONS = [pd.Timestamp(day) for day in ("2025-10-20", "2025-10-21", "2025-10-22", "2025-10-23")]


def ledger(path: Path) -> tuple[AlertStore, int]:
    store = AlertStore(path)
    book = PositionBook(store)
    book.add({"ticker": "NBIS", "shares": 100.0, "entry_date": pd.Timestamp("2025-10-01").date(),
              "entry_price": None, "stop": {}}, Actor("test", "cli"))
    hit = Alert(STOP, "stop_hit", "NBIS", "", 119.94, 113.44, "NBIS opened 118.06", 118.06, "stop_trailing")
    store.record_session(STOP, [hit], True, {})
    return store, int(store.query("SELECT id FROM alerts")[0][0])


def remind(store: AlertStore, repeat: Repeat) -> list[str]:
    """Evaluate the sessions after the stop in order; the sessions a reminder went out with."""
    sent = []
    for session in SESSIONS:
        reminders = due_reminders(store, session, repeat)
        store.record_session(session, reminders, True, {})
        sent += [f"{session:%m-%d} {r.state}" for r in reminders]
    return sent


def test_every_other_session_at_most_twice(tmp_path: Path) -> None:
    store, first = ledger(tmp_path / "a.db")
    sent = remind(store, Repeat(every=2, most=2))
    assert sent == [f"10-21 reminder:{first}:1", f"10-23 reminder:{first}:2"]
    [reminder] = [r for r in store.rows() if r.alert.state.endswith(":1")]
    assert reminder.alert.message.startswith("Reminder 1 of 2: the stop of 2025-10-17 is not answered yet")
    assert (reminder.alert.fill, reminder.alert.stop_rule) == (118.06, "stop_trailing")


def test_never_again_when_repeat_max_is_0_answered_or_sold(tmp_path: Path) -> None:
    store, first = ledger(tmp_path / "a.db")
    assert remind(store, Repeat(every=1, most=0)) == []
    store, first = ledger(tmp_path / "b.db")
    StopAnswers(store).record(first, "holding", "test")
    assert remind(store, Repeat(every=1, most=2)) == []
    store, first = ledger(tmp_path / "c.db")
    PositionBook(store).sell(1, 100.0, STOP.date(), 118.06, "sold", Actor("test", "cli"))
    assert remind(store, Repeat(every=1, most=2)) == []  # the book no longer holds it


def test_a_snooze_moves_the_next_reminder_one_session(tmp_path: Path) -> None:
    store, first = ledger(tmp_path / "a.db")
    StopAnswers(store).record(first, "snooze", "test", SESSIONS[0])
    sent = remind(store, Repeat(every=1, most=2))
    assert sent == [f"10-21 reminder:{first}:1", f"10-22 reminder:{first}:2"]
