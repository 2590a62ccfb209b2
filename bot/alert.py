"""The alert payload: one typed record per (rule, subject, session, state)."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import pandas as pd

Rule = Literal[
    "stop_hit", "near_stop", "drawdown", "drawdown_resolved", "pullback_zone", "new_event", "stale_data",
    "digest",
]
RULE_ORDER: tuple[Rule, ...] = (
    "stale_data", "new_event", "stop_hit", "near_stop", "drawdown", "drawdown_resolved", "pullback_zone",
    "digest",
)


class Alert(NamedTuple):
    """session: the NYSE session it is about; subject: a ticker or "portfolio"; state: what
    distinguishes alerts of one rule, subject and session (a drawdown level, an event id, the
    stale bar's date); level: the stop price, the drawdown level or the pre-event close;
    fill (stop_hit): the price a resting order filled at, the level or the open it gapped
    through; stop_rule (stop_hit, near_stop): the rule that set the level, named as the
    backtest's exit reasons (stop_fixed, stop_trailing, stop_atr, take_profit, time, breaker).
    A "digest" is the evening summary of a session (bot.digest), last in a session's order."""

    session: pd.Timestamp
    rule: Rule
    subject: str
    state: str
    level: float | None
    close: float | None
    message: str
    fill: float | None = None
    stop_rule: str | None = None

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
            "fill": self.fill,
            "stop_rule": self.stop_rule,
        }
