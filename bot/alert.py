"""The alert payload: one typed record per (rule, subject, session, state)."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import pandas as pd

Rule = Literal[
    "stop_hit", "near_stop", "drawdown", "drawdown_resolved", "pullback_zone", "new_event", "stale_data"
]
RULE_ORDER: tuple[Rule, ...] = (
    "stale_data", "new_event", "stop_hit", "near_stop", "drawdown", "drawdown_resolved", "pullback_zone",
)


class Alert(NamedTuple):
    """session: the NYSE session it is about; subject: a ticker or "portfolio"; state: what
    distinguishes alerts of one rule, subject and session (a drawdown level, an event id, the
    stale bar's date); level: the stop price, the drawdown level or the pre-event close."""

    session: pd.Timestamp
    rule: Rule
    subject: str
    state: str
    level: float | None
    close: float | None
    message: str

    def order(self) -> tuple[pd.Timestamp, int, str, str]:
        return (self.session, RULE_ORDER.index(self.rule), self.subject, self.state)

    def as_json(self) -> dict[str, Any]:
        return {
            "session": f"{self.session:%Y-%m-%d}",
            "rule": self.rule,
            "subject": self.subject,
            "level": self.level,
            "close": self.close,
            "message": self.message,
        }
