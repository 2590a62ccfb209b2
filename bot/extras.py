"""What goes with an alert's messages (bot.delivery.Extras): a stop_hit's answer buttons while it
is unanswered and its position still open in the book, and the rule's notify mode ("silent":
no sound), read when the alert is sent so a /notify takes effect at once."""

from __future__ import annotations

from collections.abc import Mapping

from bot.delivery import Extras
from bot.notify import NotifyModes
from bot.outbox import OutboxItem
from bot.reminders import StopAnswers, original_id
from bot.replies import stop_buttons
from bot.store import AlertStore


def message_extras(store: AlertStore, configured: Mapping[str, str], item: OutboxItem) -> Extras:
    alert = item.alert
    silent = NotifyModes(store, configured).silent(alert)
    if alert.rule != "stop_hit":
        return Extras(silent=silent)
    first = original_id(alert, item.alert_id)
    answered = StopAnswers(store).answer(first)
    if answered is not None and answered.answer != "snooze":
        return Extras(silent=silent)
    return Extras(stop_buttons(first, alert.fill if alert.fill is not None else alert.level), silent)
