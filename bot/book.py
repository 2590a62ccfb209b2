"""The position book: what the owner holds, in the ledger database, every change journaled.

A position (a lot) is a row of table `positions`: ticker, shares, entry date and price, its own
stop rules, and once sold its exit date and price; `holds` lists the stop_hit sessions the owner
answered "Still holding". Each change writes, in the same transaction, a `position_journal` row:
the action (seed, add, sell, hold, import), who made it (a Telegram user id, the CLI's user, or
config.toml), from where (chat, cli, config), when (UTC), and the row before and after as JSON.
Selling part of a lot splits it: the lot keeps the shares still held, a new sold lot carries the
shares sold (both journaled).

Validation against prices and the calendar happens before (bot.holdings); this module stores.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.chats import stamp
from bot.store import AlertStore
from satellite.config_positions import PositionConfig, PositionStop

Via = Literal["chat", "cli", "config"]
SEED_KEY = "positions_seed"


@dataclass(frozen=True)
class Actor:
    """Who changes the book: e.g. "telegram user 1111" via chat, "alice" via cli."""

    who: str
    via: Via


CONFIG_ACTOR = Actor("config.toml", "config")


@dataclass(frozen=True)
class BookPosition:
    id: int
    ticker: str
    shares: float
    entry_date: dt.date
    entry_price: float | None  # None: the entry session's open
    stop: dict[str, float] = field(default_factory=dict)  # the position's own [[positions]] stop keys
    exit_date: dt.date | None = None
    exit_price: float | None = None
    exit_note: str | None = None  # how it was sold: "at the stop", "sold", ...
    holds: tuple[dt.date, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.exit_date is None

    def config(self) -> PositionConfig:
        """As a [[positions]] table (what the alert engine resolves)."""
        return PositionConfig(ticker=self.ticker, shares=self.shares, entry_date=self.entry_date,
                              entry_price=self.entry_price, stop=PositionStop(**self.stop))

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "ticker": self.ticker, "shares": self.shares,
                "entry_date": self.entry_date.isoformat(), "entry_price": self.entry_price,
                "stop": dict(self.stop), "status": "open" if self.is_open else "sold",
                "exit_date": self.exit_date.isoformat() if self.exit_date else None,
                "exit_price": self.exit_price, "exit_note": self.exit_note,
                "holds": [day.isoformat() for day in self.holds]}


@dataclass(frozen=True)
class JournalEntry:
    id: int
    position_id: int
    action: str
    who: str
    via: str
    at: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "position_id": self.position_id, "action": self.action, "who": self.who,
                "via": self.via, "at": self.at, "old": self.old, "new": self.new}


def from_config(config: PositionConfig) -> dict[str, Any]:
    """A [[positions]] table as the columns of a new row."""
    return {"ticker": config.ticker, "shares": config.shares, "entry_date": config.entry_date,
            "entry_price": config.entry_price, "stop": config.stop.model_dump(exclude_none=True)}


class PositionBook:
    """The book's rows and journal in an AlertStore's database."""

    def __init__(self, store: AlertStore) -> None:
        self.store = store

    def positions(self, open_only: bool = False) -> list[BookPosition]:
        where = " WHERE exit_date IS NULL" if open_only else ""
        return [_position(row) for row in self.store.query(f"SELECT * FROM positions{where} ORDER BY id")]

    def get(self, position_id: int) -> BookPosition | None:
        rows = self.store.query("SELECT * FROM positions WHERE id = ?", (position_id,))
        return _position(rows[0]) if rows else None

    def journal(self, position_id: int | None = None) -> list[JournalEntry]:
        where, args = ("WHERE position_id = ?", (position_id,)) if position_id is not None else ("", ())
        rows = self.store.query(f"SELECT * FROM position_journal {where} ORDER BY id", args)
        return [JournalEntry(row["id"], row["position_id"], row["action"], row["who"], row["via"], row["at"],
                             _loads(row["old"]), _loads(row["new"])) for row in rows]

    def seed_record(self) -> dict[str, Any] | None:
        """When and from which [[positions]] the book was seeded (None: never)."""
        rows = self.store.query("SELECT value FROM bot_state WHERE key = ?", (SEED_KEY,))
        return json.loads(rows[0][0]) if rows else None

    def seed(self, configs: list[PositionConfig], now: dt.datetime | None = None) -> list[BookPosition]:
        """Copy [[positions]] into a book that was never written (nothing if another process did it
        first); the seed is remembered so a later change of config.toml can be pointed out."""
        moment = stamp(now or dt.datetime.now(dt.UTC))
        with self.store.transaction() as db:
            seeded = db.execute("SELECT 1 FROM bot_state WHERE key = ?", (SEED_KEY,)).fetchone()
            if seeded is not None or db.execute("SELECT 1 FROM position_journal LIMIT 1").fetchone():
                return []
            ids = [self._insert(db, from_config(config), "seed", CONFIG_ACTOR, moment) for config in configs]
            record = {"at": moment, "positions": [_plain(from_config(c)) for c in configs]}
            db.execute("INSERT INTO bot_state (key, value) VALUES (?, ?)", (SEED_KEY, json.dumps(record)))
        return [position for position in self.positions() if position.id in ids]

    def add(self, values: dict[str, Any], actor: Actor, action: str = "add") -> BookPosition:
        moment = stamp(dt.datetime.now(dt.UTC))
        with self.store.transaction() as db:
            self._mark_written(db, moment)
            new_id = self._insert(db, values, action, actor, moment)
        found = self.get(new_id)
        assert found is not None
        return found

    def update(self, position_id: int, changes: dict[str, Any], actor: Actor, action: str) -> BookPosition:
        """Change columns of one row (journaled with the row before and after)."""
        moment = stamp(dt.datetime.now(dt.UTC))
        with self.store.transaction() as db:
            self._mark_written(db, moment)
            self._update(db, position_id, changes, actor, action, moment)
        found = self.get(position_id)
        assert found is not None
        return found

    def sell(self, position_id: int, shares: float, day: dt.date, price: float, note: str,
             actor: Actor) -> BookPosition:
        """Sell `shares` of a lot: all of it closes the lot; fewer split it (the lot keeps the
        rest, a new sold lot carries the shares sold). Returns the sold lot."""
        moment = stamp(dt.datetime.now(dt.UTC))
        exit_values = {"exit_date": day, "exit_price": price, "exit_note": note}
        with self.store.transaction() as db:
            self._mark_written(db, moment)
            lot = _position(db.execute("SELECT * FROM positions WHERE id = ?", (position_id,)).fetchone())
            if shares >= lot.shares:
                self._update(db, position_id, exit_values, actor, "sell", moment)
                sold_id = position_id
            else:
                self._update(db, position_id, {"shares": lot.shares - shares}, actor, "sell part", moment)
                values = {**from_config(lot.config()), "shares": shares, "holds": list(lot.holds),
                          **exit_values}
                sold_id = self._insert(db, values, "sell part", actor, moment)
        sold = self.get(sold_id)
        assert sold is not None
        return sold

    def _mark_written(self, db: sqlite3.Connection, moment: str) -> None:
        """A book written by hand before any seed is never seeded from config.toml afterwards."""
        db.execute("INSERT OR IGNORE INTO bot_state (key, value) VALUES (?, ?)",
                   (SEED_KEY, json.dumps({"at": moment, "positions": None})))

    def _insert(self, db: sqlite3.Connection, values: dict[str, Any], action: str, actor: Actor,
                moment: str) -> int:
        columns = _columns(values)
        cursor = db.execute(f"INSERT INTO positions ({', '.join(columns)}) VALUES "
                            f"({', '.join('?' * len(columns))})", tuple(columns.values()))
        new_id = int(cursor.lastrowid or 0)
        after = _position(db.execute("SELECT * FROM positions WHERE id = ?", (new_id,)).fetchone())
        _journal(db, new_id, action, actor, moment, None, after.as_json())
        return new_id

    def _update(self, db: sqlite3.Connection, position_id: int, changes: dict[str, Any], actor: Actor,
                action: str, moment: str) -> None:
        before = _position(db.execute("SELECT * FROM positions WHERE id = ?", (position_id,)).fetchone())
        columns = _columns(changes)
        db.execute(f"UPDATE positions SET {', '.join(f'{name} = ?' for name in columns)} WHERE id = ?",
                   (*columns.values(), position_id))
        after = _position(db.execute("SELECT * FROM positions WHERE id = ?", (position_id,)).fetchone())
        _journal(db, position_id, action, actor, moment, before.as_json(), after.as_json())


def _journal(db: sqlite3.Connection, position_id: int, action: str, actor: Actor, moment: str,
             old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
    db.execute("INSERT INTO position_journal (position_id, action, who, via, at, old, new) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)",
               (position_id, action, actor.who, actor.via, moment,
                json.dumps(old) if old is not None else None, json.dumps(new) if new is not None else None))


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, dt.date) else value for key, value in values.items()}


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    """Row values as SQLite stores them: dates as ISO text, stop and holds as JSON."""
    out = {}
    for key, value in values.items():
        if key in ("stop", "holds"):
            value = json.dumps(_plain(value) if isinstance(value, dict)
                               else [day.isoformat() if isinstance(day, dt.date) else day for day in value])
        elif isinstance(value, dt.date):
            value = value.isoformat()
        out[key] = value
    return out


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _loads(text: str | None) -> dict[str, Any] | None:
    return json.loads(text) if text else None


def _position(row: sqlite3.Row) -> BookPosition:
    entry = _date(row["entry_date"])
    assert entry is not None
    return BookPosition(row["id"], row["ticker"], row["shares"], entry, row["entry_price"],
                        json.loads(row["stop"]), _date(row["exit_date"]), row["exit_price"], row["exit_note"],
                        tuple(dt.date.fromisoformat(day) for day in json.loads(row["holds"])))
