"""The position book with its checks: seeded once from config.toml, every change validated.

Seeding (the choice, see the README): the first time the book is opened while it was never
written, config.toml's [[positions]] (and its positions_file) are validated and copied into it,
journaled as "seed" from config. From then on the book is the record: [[positions]] is ignored,
and if it differs from what seeded the book, one notice per process says so (and that `satellite
positions import` takes it over). One home for the holdings: config.toml cannot silently
disagree with the chat's /bought and /sold.

Purchases and sales are planned first (a Purchase or a Sale, validated against the stored prices
and the NYSE calendar), shown to the owner, then applied (the chat asks for a confirm button in
between; the CLI applies at once). A sale sells the oldest open lots of the ticker first.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd
from pydantic import ValidationError

from bot.book import Actor, BookPosition, PositionBook, from_config
from bot.model import ResolvedPosition
from bot.positions import resolve_book, resolve_position, resolve_positions
from bot.store import AlertStore
from bot.workspace import Workspace
from market.calendar import is_session
from satellite.config_errors import describe_error
from satellite.config_positions import PositionConfig
from satellite.errors import UserInputError
from satellite.tickers import parse_ticker
from strategies.stops import StopSpec

NEW_YORK = ZoneInfo("America/New_York")
log = logging.getLogger("satellite.positions")
_NOTICED: set[str] = set()  # databases whose ignored [[positions]] were pointed out in this process


@dataclass(frozen=True)
class LotSale:
    position_id: int
    shares: float


@dataclass(frozen=True)
class Purchase:
    ticker: str
    shares: float
    price: float | None  # None: the entry session's open
    day: dt.date
    stop: dict[str, float] = field(default_factory=dict)
    kind: Literal["buy"] = "buy"


@dataclass(frozen=True)
class Sale:
    ticker: str
    shares: float
    price: float
    day: dt.date
    lots: tuple[LotSale, ...]
    note: str = "sold"
    answers: int | None = None  # the stop_hit alert this sale answers ("Sold at ...")
    kind: Literal["sell"] = "sell"


Change = Purchase | Sale


def change_json(change: Change) -> str:
    return json.dumps(asdict(change), default=lambda value: value.isoformat())


def change_from_json(text: str) -> Change:
    raw: dict[str, Any] = json.loads(text)
    raw["day"] = dt.date.fromisoformat(raw["day"])
    if raw["kind"] == "buy":
        return Purchase(**raw)
    raw["lots"] = tuple(LotSale(**lot) for lot in raw["lots"])
    return Sale(**raw)


def today_session(now: dt.datetime | None = None) -> dt.date:
    """Today in New York if it is an NYSE session, else the last session before it."""
    day = (now or dt.datetime.now(NEW_YORK)).astimezone(NEW_YORK).date()
    for _ in range(15):
        if is_session(pd.Timestamp(day)):
            return day
        day -= dt.timedelta(days=1)
    raise UserInputError("no NYSE session in the last two weeks: give the date")


def parse_number(text: str, what: str) -> float:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        raise UserInputError(f"{what} {text[:20]!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise UserInputError(f"{what} must be a positive number, not {text[:20]!r}")
    return value


def parse_day(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UserInputError(f"date {text[:20]!r}: write it as YYYY-MM-DD, e.g. 2025-10-17") from None
    if day > dt.datetime.now(NEW_YORK).date():
        raise UserInputError(f"date {day} is in the future")
    if not is_session(pd.Timestamp(day)):
        raise UserInputError(f"date {day} is not an NYSE session (weekend or holiday)")
    return day


class Holdings:
    """The book of one ledger database, over a Workspace's config and prices."""

    def __init__(self, context: Workspace, store: AlertStore) -> None:
        self.context = context
        self.book = PositionBook(store)
        self.defaults = StopSpec.from_config(context.config.settings.stops)

    def open(self) -> PositionBook:
        """The book, seeded from [[positions]] if it never was (see the module docstring)."""
        configs = list(self.context.config.settings.positions)
        record = self.book.seed_record()
        if record is None and configs:
            frames = self.context.store.load_frames(sorted({c.ticker for c in configs}))
            resolve_positions(self.context.config.settings, frames)  # a bad table is refused, not stored
            if self.book.seed(configs):
                log.info("position book seeded from config.toml: %d position(s)", len(configs))
        elif record is not None and configs:
            self._notice(record, configs)
        return self.book

    def _notice(self, record: dict[str, Any], configs: list[PositionConfig]) -> None:
        key = str(self.book.store.path)
        seeded = record.get("positions")
        current = [json.loads(json.dumps(from_config(c), default=lambda v: v.isoformat())) for c in configs]
        if seeded == current or key in _NOTICED:
            return
        _NOTICED.add(key)
        log.warning("config.toml [[positions]] is ignored: the position book in %s is the record since %s "
                    "(`satellite positions list`); `satellite positions import` takes [[positions]] over",
                    key, record.get("at"))

    def resolved(self, frames: dict[str, pd.DataFrame]) -> list[ResolvedPosition]:
        rows = self.open().positions()
        missing = sorted({row.ticker for row in rows} - set(frames))
        frames.update(self.context.store.load_frames(missing))
        return resolve_book(rows, self.defaults, frames)

    def tickers(self) -> list[str]:
        return sorted({row.ticker for row in self.open().positions()})

    def plan_purchase(self, ticker: str, shares: float, price: float | None, day: dt.date,
                      stop: dict[str, float] | None = None) -> Purchase:
        ticker = parse_ticker(ticker)
        self.open()  # seeded before its first change, so [[positions]] is not lost
        if not self.context.store.has(ticker):
            known = ", ".join(self.context.store.tickers())
            raise UserInputError(f"no prices for {ticker}; one of: {known} "
                                 f"(or `satellite data update {ticker}`)")
        purchase = Purchase(ticker, shares, price, day, dict(stop or {}))
        try:
            config = PositionConfig.model_validate({"ticker": ticker, "shares": shares, "entry_date": day,
                                                    "entry_price": price, "stop": purchase.stop})
        except ValidationError as err:  # a stop key or value out of range
            raise UserInputError(f"{ticker}: {describe_error(err, PositionConfig)}") from None
        resolve_position(ticker, config, self.defaults, self.context.store.load(ticker).frame)
        return purchase

    def plan_sale(self, ticker: str, shares: float | None, price: float | None, day: dt.date,
                  note: str = "sold") -> Sale:
        ticker = parse_ticker(ticker)
        lots = [row for row in self.open().positions(open_only=True) if row.ticker == ticker]
        if not lots:
            raise UserInputError(f"no open position in {ticker}")
        held = sum(row.shares for row in lots)
        wanted = held if shares is None else shares
        if wanted > held + 1e-9:
            raise UserInputError(f"{ticker}: {wanted:g} shares is more than the {held:g} held")
        sold: list[LotSale] = []
        for row in lots:  # the oldest lots first
            if wanted <= 1e-9:
                break
            part = min(row.shares, wanted)
            if day < row.entry_date:
                raise UserInputError(f"{ticker}: sold on {day} but lot {row.id} was bought on "
                                     f"{row.entry_date}")
            sold.append(LotSale(row.id, part))
            wanted -= part
        return Sale(ticker, shares or held, price if price is not None else self.close_of(ticker, day), day,
                    tuple(sold), note)

    def close_of(self, ticker: str, day: dt.date) -> float:
        frame = self.context.store.load(ticker).frame
        stamp = pd.Timestamp(day)
        if stamp not in frame.index:
            raise UserInputError(f"{ticker} has no close for {day} yet: give the price")
        return float(frame["Close"].loc[stamp])

    def apply(self, change: Change, actor: Actor) -> list[BookPosition]:
        """Store a planned change (checked again: the book may have changed since it was planned)."""
        book = self.open()
        if isinstance(change, Purchase):
            checked = self.plan_purchase(change.ticker, change.shares, change.price, change.day, change.stop)
            values = {"ticker": checked.ticker, "shares": checked.shares, "entry_date": checked.day,
                      "entry_price": checked.price, "stop": checked.stop}
            return [book.add(values, actor)]
        for lot in change.lots:
            row = book.get(lot.position_id)
            if row is None or not row.is_open or row.shares + 1e-9 < lot.shares:
                raise UserInputError(f"the book changed since (lot {lot.position_id}): send the sale again")
        return [book.sell(lot.position_id, lot.shares, change.day, change.price, change.note, actor)
                for lot in change.lots]


@dataclass(frozen=True)
class ImportReport:
    added: list[BookPosition]
    updated: list[BookPosition]
    unchanged: list[BookPosition]


def import_positions(holdings: Holdings, configs: list[PositionConfig], actor: Actor) -> ImportReport:
    """[[positions]] into the book: a table whose ticker and entry date match an open lot updates
    it (shares, entry price, stop: journaled "import" with the old values), any other is added.
    Each is validated first; nothing is stored when one is refused."""
    book = holdings.open()
    for config in configs:
        holdings.plan_purchase(config.ticker, config.shares, config.entry_price, config.entry_date,
                               config.stop.model_dump(exclude_none=True))
    added, updated, unchanged = [], [], []
    for config in configs:
        values = from_config(config)
        match = next((row for row in book.positions(open_only=True)
                      if row.ticker == config.ticker and row.entry_date == config.entry_date), None)
        if match is None:
            added.append(book.add(values, actor, "import"))
        elif (match.shares, match.entry_price, match.stop) == (values["shares"], values["entry_price"],
                                                                values["stop"]):
            unchanged.append(match)
        else:
            changes = {key: values[key] for key in ("shares", "entry_price", "stop")}
            updated.append(book.update(match.id, changes, actor, "import"))
    return ImportReport(added, updated, unchanged)


def describe(change: Change, book: PositionBook) -> str:
    """What a change will do, in one or two lines (the chat's confirmation text)."""
    if isinstance(change, Purchase):
        price = f"{change.price:.2f}" if change.price is not None else "the open"
        return (f"Buy {change.shares:g} {change.ticker} at {price} on {change.day}: a new position "
                f"({change.shares:g} shares, stop rules of [stops]{' with its own' if change.stop else ''}).")
    lines = [f"Sell {change.shares:g} {change.ticker} at {change.price:.2f} on {change.day}:"]
    for lot in change.lots:
        row = book.get(lot.position_id)
        held = row.shares if row is not None else lot.shares
        rest = held - lot.shares
        left = f"{rest:g} shares stay open" if rest > 1e-9 else "closed"
        lines.append(f"lot {lot.position_id} (bought {row.entry_date if row else '?'}): "
                     f"{lot.shares:g} of {held:g} sold, {left}")
    return "\n".join(lines)


def describe_lot(row: BookPosition) -> str:
    price = f"{row.entry_price:.2f}" if row.entry_price is not None else "the open"
    text = f"#{row.id} {row.ticker} {row.shares:g} shares bought {row.entry_date} at {price}"
    if row.is_open:
        return text + (f" (held through the stop of {', '.join(map(str, row.holds))})" if row.holds else "")
    return text + f"; sold {row.exit_date} at {row.exit_price:.2f} ({row.exit_note})"
