"""What a chat service answers, as data: the text and any inline buttons (bot.keyboards turns
them into Telegram's keyboard). Callback data is short, at most 64 bytes as Telegram requires:
"pc:<id>:yes|no" for a pending book change, "st:<alert id>:stop|at|hold|snooze" for a stop_hit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    ask_reply: bool = False  # Telegram's ForceReply: the owner's next message answers this one
    monospace: bool = False  # a table: sent as <pre> (HTML)


def confirm_buttons(pending_id: int) -> tuple[Button, ...]:
    return (Button("Confirm", f"pc:{pending_id}:yes"), Button("Cancel", f"pc:{pending_id}:no"))


def stop_buttons(alert_id: int, fill: float | None) -> tuple[Button, ...]:
    at_stop = f"Sold at the stop ({fill:.2f})" if fill is not None else "Sold at the stop"
    return (Button(at_stop, f"st:{alert_id}:stop"), Button("Sold at ...", f"st:{alert_id}:at"),
            Button("Still holding", f"st:{alert_id}:hold"),
            Button("Snooze 1 session", f"st:{alert_id}:snooze"))
