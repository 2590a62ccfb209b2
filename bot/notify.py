"""Per-rule notification modes: on, silent (Telegram's disable_notification) or off.

`[alerts.notify]` in config.toml sets a rule's mode; `/notify RULE MODE` in the chat overrides
it and is kept in the ledger database (table bot_state, key notify:RULE), so it outlives a
restart; `/notify RULE default` drops the override. "off" is decided when an alert is recorded:
it stays in the ledger (`alerts list`) but is never queued. "silent" is decided when it is sent.
/mute stays the global switch that holds everything back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

from bot.alert import Alert
from bot.store import AlertStore
from satellite.config import NOTIFY_RULES
from satellite.errors import UserInputError

Mode = Literal["on", "silent", "off"]
MODES: tuple[Mode, ...] = ("on", "silent", "off")
PREFIX = "notify:"


@dataclass(frozen=True)
class RuleMode:
    rule: str
    mode: Mode
    source: str  # "chat", "config.toml" or "default"


class NotifyModes:
    """The effective mode of each rule: the chat's override, else config.toml, else "on"."""

    def __init__(self, store: AlertStore, configured: Mapping[str, str]) -> None:
        self.store = store
        self.configured = configured

    def overrides(self) -> dict[str, Mode]:
        rows = self.store.query("SELECT key, value FROM bot_state WHERE key LIKE ?", (f"{PREFIX}%",))
        return {row[0][len(PREFIX):]: cast(Mode, row[1]) for row in rows}

    def modes(self) -> list[RuleMode]:
        chat = self.overrides()
        out = []
        for rule in NOTIFY_RULES:
            if rule in chat:
                out.append(RuleMode(rule, chat[rule], "chat"))
            elif rule in self.configured:
                out.append(RuleMode(rule, cast(Mode, self.configured[rule]), "config.toml"))
            else:
                out.append(RuleMode(rule, "on", "default"))
        return out

    def mode(self, rule: str) -> Mode:
        return next((item.mode for item in self.modes() if item.rule == rule), "on")

    def sends(self, alert: Alert) -> bool:
        return self.mode(alert.rule) != "off"

    def silent(self, alert: Alert) -> bool:
        return self.mode(alert.rule) == "silent"

    def set(self, rule: str, mode: str) -> RuleMode:
        """The chat's /notify: a mode, or "default" to fall back to config.toml."""
        if rule not in NOTIFY_RULES:
            raise UserInputError(f"unknown rule {rule[:30]!r}; one of: {', '.join(NOTIFY_RULES)}")
        if mode not in (*MODES, "default"):
            raise UserInputError(f"unknown mode {mode[:20]!r}; use on, silent, off or default")
        with self.store.transaction() as db:
            if mode == "default":
                db.execute("DELETE FROM bot_state WHERE key = ?", (PREFIX + rule,))
            else:
                db.execute("INSERT INTO bot_state (key, value) VALUES (?, ?) ON CONFLICT (key) "
                           "DO UPDATE SET value = excluded.value", (PREFIX + rule, mode))
        return next(item for item in self.modes() if item.rule == rule)
