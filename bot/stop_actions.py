"""What the owner answers to a stop_hit, applied to the position book (no Telegram in here).

- Sold at the stop: every lot the stop closed is sold in the book on the stop's session at the
  reported fill (the lot's fill from that session's evaluation; for an intraday alert not yet
  evaluated, the stop level).
- Sold at ...: the same lots at the owner's price (and date), through a confirmation (bot.chat_book).
- Still holding: the lots stay open; the session goes into their `holds`, so the stop model
  restarts their rules from that session's close (bot.tracking).
- Snooze 1 session: no reminder with the next session's alerts (bot.reminders).
Every answer is recorded in stop_answers; a stop already answered "sold" or "holding" says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from bot.book import Actor
from bot.holdings import Holdings, LotSale, Sale
from bot.reminders import StopAnswers
from bot.store import AlertStore, LedgerRow
from bot.workspace import Workspace
from market.calendar import session_after
from satellite.errors import UserInputError


@dataclass(frozen=True)
class StoppedLot:
    position_id: int
    shares: float
    fill: float


class StopActions:
    def __init__(self, context: Workspace, store: AlertStore) -> None:
        self.store = store
        self.holdings = Holdings(context, store)
        self.answers = StopAnswers(store)

    def stop_hit(self, alert_id: int) -> LedgerRow:
        row = self.answers.stop_hit(alert_id)
        if row is None:
            raise UserInputError(f"alert {alert_id} is not a stop_hit in the ledger")
        return row

    def unanswered(self, alert_id: int) -> LedgerRow:
        """The stop_hit, refused if already answered sold or holding."""
        row = self.stop_hit(alert_id)
        answered = self.answers.answer(row.alert_id)
        if answered is not None and answered.answer != "snooze":
            raise UserInputError(f"this stop of {row.alert.subject} ({row.alert.session:%Y-%m-%d}) was "
                                 f"already answered: {answered.answer} ({answered.at})")
        return row

    def stopped_lots(self, row: LedgerRow) -> list[StoppedLot]:
        """The book's open lots this stop closed, with their fills (see the module docstring)."""
        day = f"{row.alert.session:%Y-%m-%d}"
        state = self.store.rule_state(row.alert.session)
        fills = {}
        for key, lot in state.items():
            if lot["ticker"] == row.alert.subject and lot["stopped"] and lot["session"] == day and "#" in key:
                fills[int(key.split("#")[1])] = float(lot["fill"])
        fallback = row.alert.fill if row.alert.fill is not None else row.alert.level
        lots = []
        for position in self.holdings.open().positions(open_only=True):
            if position.ticker != row.alert.subject or position.entry_date > row.alert.session.date():
                continue
            fill = fills.get(position.id, fallback if not fills else None)
            if fill is not None and not math.isnan(fill):
                lots.append(StoppedLot(position.id, position.shares, fill))
        if not lots:
            raise UserInputError(f"no open lot of {row.alert.subject} in the book for this stop: "
                                 "`satellite positions list` shows the book")
        return lots

    def sold_at_stop(self, alert_id: int, actor: Actor) -> str:
        row = self.unanswered(alert_id)
        day = row.alert.session.date()
        lines = []
        for lot in self.stopped_lots(row):
            sale = Sale(row.alert.subject, lot.shares, lot.fill, day, (LotSale(lot.position_id, lot.shares),),
                        "at the stop")
            for sold in self.holdings.apply(sale, actor):
                lines.append(f"lot {sold.id}: {sold.shares:g} {sold.ticker} sold {day} at {lot.fill:.2f}")
        self.answers.record(row.alert_id, "sold", actor.who)
        return "Sold at the stop: " + "; ".join(lines) + ". The next digest shows it closed."

    def plan_sold_at(self, alert_id: int, price: float, day: pd.Timestamp | None) -> Sale:
        row = self.unanswered(alert_id)
        lots = self.stopped_lots(row)
        when = (day or row.alert.session).date()
        if when < row.alert.session.date():
            raise UserInputError(f"the stop was hit on {row.alert.session:%Y-%m-%d}: a sale before it "
                                 "is a /sold, not an answer to this stop")
        return Sale(row.alert.subject, sum(lot.shares for lot in lots), price, when,
                    tuple(LotSale(lot.position_id, lot.shares) for lot in lots), "sold", row.alert_id)

    def hold(self, alert_id: int, actor: Actor) -> str:
        row = self.unanswered(alert_id)
        session = row.alert.session.date()
        for lot in self.stopped_lots(row):
            position = self.holdings.book.get(lot.position_id)
            assert position is not None
            self.holdings.book.update(lot.position_id, {"holds": [*position.holds, session]}, actor, "hold")
        self.answers.record(row.alert_id, "holding", actor.who)
        return (f"Still holding {row.alert.subject}: its stop rules start again from the close of {session} "
                "(trailing from that close); the next digest has its new stop.")

    def snooze(self, alert_id: int, actor: Actor) -> str:
        row = self.unanswered(alert_id)
        last = max(self.store.last_evaluated() or row.alert.session, row.alert.session)
        until = session_after(last)
        self.answers.record(row.alert_id, "snooze", actor.who, until)
        return f"Snoozed: no reminder of the {row.alert.subject} stop with the alerts of {until:%Y-%m-%d}."
