"""The chat's side of the position book: /bought and /sold with a confirm button, the stop_hit
buttons and the price the owner types after "Sold at ...". Answers are Reply records (text and
buttons); the Telegram adapter (bot.commands_book) sends them. Nothing changes before a confirm
button (or a stop_hit button, which is itself the owner's explicit answer) is pressed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from bot.book import Actor
from bot.holdings import Holdings, Sale, describe, describe_lot, parse_day, parse_number, today_session
from bot.pending import PendingChanges
from bot.reminders import StopAnswers
from bot.replies import Reply, confirm_buttons
from bot.stop_actions import StopActions
from bot.store import AlertStore
from bot.workspace import Workspace
from satellite.errors import UserInputError

STOP_ACTIONS = ("stop", "at", "hold", "snooze")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def chat_actor(user_id: int) -> Actor:
    return Actor(f"telegram user {user_id}", "chat")


class ChatBook:
    def __init__(self, context: Workspace, database: Path) -> None:
        self.context = context
        self.database = database

    @contextmanager
    def _store(self) -> Iterator[AlertStore]:
        store = AlertStore(self.database)
        try:
            yield store
        finally:
            store.close()

    def bought(self, args: list[str], chat_id: int) -> Reply:
        if not 3 <= len(args) <= 4:
            raise UserInputError("give the ticker, the shares and the price (the date is optional)")
        shares, price = parse_number(args[1], "SHARES"), parse_number(args[2], "PRICE")
        day = parse_day(args[3]) if len(args) == 4 else today_session()
        with self._store() as store:
            holdings = Holdings(self.context, store)
            plan = holdings.plan_purchase(args[0], shares, price, day)
            pending_id = PendingChanges(store).add(chat_id, plan)
            return Reply(f"{describe(plan, holdings.book)}\nConfirm?", confirm_buttons(pending_id))

    def sold(self, args: list[str], chat_id: int) -> Reply:
        """TICKER [SHARES|all] [PRICE] [DATE]; the date (YYYY-MM-DD) may come anywhere after the
        ticker, so /sold NBIS 2025-10-17 sells every share at that session's close."""
        dates = [arg for arg in args[1:] if DATE.fullmatch(arg)]
        rest = [arg for arg in args if arg not in dates]
        if not 1 <= len(rest) <= 3 or len(dates) > 1:
            raise UserInputError("give the ticker; the shares, price and date are optional")
        shares = None if len(rest) < 2 or rest[1].lower() == "all" else parse_number(rest[1], "SHARES")
        price = parse_number(rest[2], "PRICE") if len(rest) == 3 else None
        day = parse_day(dates[0]) if dates else today_session()
        with self._store() as store:
            holdings = Holdings(self.context, store)
            plan = holdings.plan_sale(args[0], shares, price, day)
            pending_id = PendingChanges(store).add(chat_id, plan)
            default = "" if price is not None else f" (the close of {day}; give a price if you got another)"
            return Reply(f"{describe(plan, holdings.book)}{default}\nConfirm?", confirm_buttons(pending_id))

    def confirm(self, pending_id: int, yes: bool, chat_id: int, user_id: int) -> Reply:
        with self._store() as store:
            pending = PendingChanges(store)
            change = pending.take(pending_id, chat_id, yes)
            if change is None:
                return Reply("This change was already confirmed or cancelled.")
            if not yes:
                return Reply("Cancelled: the position book is unchanged.")
            holdings = Holdings(self.context, store)
            try:
                rows = holdings.apply(change, chat_actor(user_id))
            except UserInputError:
                pending.cancel(pending_id)
                raise
            if isinstance(change, Sale) and change.answers is not None:
                StopAnswers(store).record(change.answers, "sold", chat_actor(user_id).who)
            still = [describe_lot(row) for row in holdings.book.positions(open_only=True)
                     if row.ticker == change.ticker]
            lines = ["Done:", *(describe_lot(row) for row in rows)]
            lines.append(f"Open in {change.ticker}: " + ("; ".join(still) if still else "none"))
            return Reply("\n".join(lines))

    def stop_button(self, alert_id: int, action: str, chat_id: int, user_id: int) -> Reply:
        if action not in STOP_ACTIONS:
            raise UserInputError(f"unknown answer {action[:20]!r}")
        with self._store() as store:
            actions = StopActions(self.context, store)
            actor = chat_actor(user_id)
            if action == "stop":
                return Reply(actions.sold_at_stop(alert_id, actor))
            if action == "hold":
                return Reply(actions.hold(alert_id, actor))
            if action == "snooze":
                return Reply(actions.snooze(alert_id, actor))
            row = actions.unanswered(alert_id)
            PendingChanges(store).await_price(chat_id, row.alert_id)
            return Reply(f"At what price did you sell {row.alert.subject}? Answer with PRICE [DATE], e.g. "
                         f"117.50 (the date defaults to the stop's session, {row.alert.session:%Y-%m-%d}).",
                         ask_reply=True)

    def price_reply(self, text: str, chat_id: int) -> Reply | None:
        """The owner's answer to "At what price...?" (None: the chat was not asked anything)."""
        with self._store() as store:
            pending = PendingChanges(store)
            alert_id = pending.awaited(chat_id)
            if alert_id is None:
                return None
            parts = text.split()
            if not 1 <= len(parts) <= 2:
                raise UserInputError("answer with the price, and the date if it was not the stop's session")
            price = parse_number(parts[0], "PRICE")
            day = pd.Timestamp(parse_day(parts[1])) if len(parts) == 2 else None
            sale = StopActions(self.context, store).plan_sold_at(alert_id, price, day)
            pending.await_price(chat_id, None)
            pending_id = pending.add(chat_id, sale)
            return Reply(f"{describe(sale, Holdings(self.context, store).book)}\nConfirm?",
                         confirm_buttons(pending_id))
