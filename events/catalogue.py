"""The event catalogue: typed events read from TOML files, validated once at load.

A catalogue is a TOML file of `[[event]]` tables (see events/catalogue.toml, the shipped one).
Users keep their own files beside it ([events] files in config.toml); every file is validated
the same way and ids are unique across all of them. A problem raises one EventCatalogueError
naming the file, the event id and the field, with a hint to fix it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from events.vocabulary import KINDS, TIMINGS, Kind, Timing
from satellite.errors import EventCatalogueError
from satellite.tickers import TICKER_PATTERN

SHIPPED_CATALOGUE = Path(__file__).parent / "catalogue.toml"

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
REQUIRED_FIELDS = ("id", "announced", "timing", "tickers", "kind")
OPTIONAL_FIELDS = ("counterparty", "value_usd", "value_usd_max", "summary", "sources")
FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS


@dataclass(frozen=True)
class Event:
    """One announcement. `file` is the catalogue it came from (None when built in code)."""

    id: str
    announced: dt.date
    timing: Timing
    tickers: tuple[str, ...]
    kind: Kind
    counterparty: str | None = None
    value_usd: float | None = None
    value_usd_max: float | None = None
    summary: str = ""
    sources: tuple[str, ...] = ()
    file: Path | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "announced": self.announced.isoformat(),
            "timing": self.timing,
            "tickers": list(self.tickers),
            "kind": self.kind,
            "counterparty": self.counterparty,
            "value_usd": self.value_usd,
            "value_usd_max": self.value_usd_max,
            "summary": self.summary,
            "sources": list(self.sources),
            "file": None if self.file is None else str(self.file),
        }


def new_york_today() -> dt.date:
    return pd.Timestamp.now(tz="America/New_York").date()


def load_catalogue(
    paths: list[Path], known_tickers: set[str] | None = None, today: dt.date | None = None
) -> list[Event]:
    """Every event of every file, in file order; ids unique across files.

    known_tickers: tickers with prices (None: not checked). today: the newest allowed
    announcement date (default: today in New York).
    """
    events: list[Event] = []
    seen: dict[str, Path] = {}
    for path in paths:
        for event in read_catalogue(path, known_tickers, today):
            if event.id in seen:
                where = "earlier in this file" if seen[event.id] == path else f"in {seen[event.id]}"
                raise EventCatalogueError(
                    f"{path}: event {event.id!r}: field 'id': duplicate id, already defined "
                    f"{where}; ids must be unique across catalogues, rename one of them"
                )
            seen[event.id] = path
            events.append(event)
    return events


def read_catalogue(
    path: Path, known_tickers: set[str] | None = None, today: dt.date | None = None
) -> list[Event]:
    """The events of one file (duplicate ids inside the file refused)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EventCatalogueError(
            f"{path}: catalogue file not found; fix [events] files in config.toml or create it "
            "with `satellite events add --file`"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise EventCatalogueError(f"{path}: cannot read as UTF-8 text ({err})") from None
    return parse_catalogue(text, path, known_tickers, today)


def parse_catalogue(
    text: str, path: Path, known_tickers: set[str] | None = None, today: dt.date | None = None
) -> list[Event]:
    """Parse and validate catalogue text; `path` is used in messages and kept on each event."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise EventCatalogueError(
            f"{path}: invalid TOML{_near_event(text, err)}: {err}; fix the syntax"
        ) from None
    extra = sorted(set(document) - {"event"})
    if extra:
        raise EventCatalogueError(
            f"{path}: unknown top-level key {extra[0]!r}; a catalogue holds only [[event]] tables"
        )
    tables = document.get("event", [])
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        raise EventCatalogueError(f"{path}: 'event' must be an array of tables: write [[event]]")
    limit = today or new_york_today()
    events: list[Event] = []
    seen: set[str] = set()
    for position, table in enumerate(tables, start=1):
        event = parse_event(table, path, position, known_tickers, limit)
        if event.id in seen:
            raise EventCatalogueError(
                f"{path}: event {event.id!r}: field 'id': duplicate id, already defined earlier "
                "in this file; ids must be unique, rename one of them"
            )
        seen.add(event.id)
        events.append(event)
    return events


def parse_event(
    table: dict[str, Any],
    path: Path,
    position: int,
    known_tickers: set[str] | None,
    today: dt.date,
) -> Event:
    """Validate one [[event]] table (the position-th in its file)."""
    raw_id = table.get("id")
    label = f"event {raw_id!r}" if isinstance(raw_id, str) and raw_id else f"event #{position}"

    def fail(field: str, problem: str) -> EventCatalogueError:
        return EventCatalogueError(f"{path}: {label}: field {field!r}: {problem}")

    for key in table:
        if key not in FIELDS:
            hint = difflib.get_close_matches(key, FIELDS, n=1)
            fix = f"did you mean {hint[0]!r}?" if hint else f"valid fields: {', '.join(FIELDS)}"
            raise fail(key, f"unknown field; {fix}")
    for key in REQUIRED_FIELDS:
        if key not in table:
            raise fail(key, "missing; every event needs " + ", ".join(REQUIRED_FIELDS))

    event_id = table["id"]
    if not isinstance(event_id, str) or not ID_PATTERN.match(event_id):
        raise fail("id", f"{event_id!r} is not a valid id; use lower case, digits, '-', '.', '_'")

    announced = _date(table["announced"])
    if announced is None:
        raise fail("announced", f"{table['announced']!r} is not a date; write it as 2025-09-08")
    if announced > today:
        raise fail("announced", f"{announced} is in the future (today is {today}); "
                   "record an event once it is announced")

    timing = table["timing"]
    if timing not in TIMINGS:
        raise fail("timing", f"{timing!r} is not one of {', '.join(TIMINGS)}{_hint(timing, TIMINGS)}")

    kind = table["kind"]
    if kind not in KINDS:
        raise fail("kind", f"{kind!r} is not one of {', '.join(KINDS)}{_hint(kind, KINDS)}")

    tickers = table["tickers"]
    if isinstance(tickers, str):
        tickers = [tickers]
    if not isinstance(tickers, list) or not tickers:
        raise fail("tickers", 'give a non-empty list, e.g. ["CRWV"]')
    for ticker in tickers:
        if not isinstance(ticker, str) or not TICKER_PATTERN.match(ticker):
            raise fail("tickers", f"{ticker!r} is not a ticker; use upper case, e.g. NVDA")
        if known_tickers is not None and ticker not in known_tickers:
            raise fail("tickers", f"unknown ticker {ticker!r}: no prices; run `satellite data "
                       f"update {ticker}` or `satellite data import {ticker} FILE`")
    if len(set(tickers)) != len(tickers):
        raise fail("tickers", f"{tickers} lists a ticker twice")

    counterparty = table.get("counterparty")
    if counterparty is not None and (not isinstance(counterparty, str) or not counterparty.strip()):
        raise fail("counterparty", "must be a non-empty string (leave the field out if none)")

    value = _amount(table.get("value_usd"), "value_usd", fail)
    value_max = _amount(table.get("value_usd_max"), "value_usd_max", fail)
    if value_max is not None and (value is None or value_max < value):
        raise fail("value_usd_max", "needs value_usd and must be >= value_usd (it is the top of "
                   "a reported range)")

    summary = table.get("summary", "")
    if not isinstance(summary, str):
        raise fail("summary", "must be a string")

    sources = table.get("sources", [])
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list) or not all(isinstance(item, str) for item in sources):
        raise fail("sources", 'must be a list of strings, e.g. ["https://...", "seed 001"]')

    return Event(
        id=event_id,
        announced=announced,
        timing=timing,
        tickers=tuple(tickers),
        kind=kind,
        counterparty=counterparty,
        value_usd=value,
        value_usd_max=value_max,
        summary=summary,
        sources=tuple(sources),
        file=path,
    )


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None  # a time of day does not belong here: timing says when
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _amount(value: Any, field: str, fail: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(field, f"{value!r} is not a number; write USD as a number, e.g. 17.4e9")
    if not math.isfinite(value) or value <= 0:
        raise fail(field, f"{value!r} must be a positive amount in USD")
    return float(value)


def _hint(value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        return ""
    match = difflib.get_close_matches(value.lower().replace("-", "_").replace(" ", "_"), choices, n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _near_event(text: str, err: tomllib.TOMLDecodeError) -> str:
    """' near event X' naming the last id defined before the syntax error, if any."""
    line = getattr(err, "lineno", None)
    if not isinstance(line, int):
        found = re.search(r"line (\d+)", str(err))
        line = int(found[1]) if found else None
    if line is None:
        return ""
    ids = re.findall(r'^\s*id\s*=\s*"([^"]*)"', "\n".join(text.splitlines()[:line]), re.MULTILINE)
    return f" near event {ids[-1]!r}" if ids else ""
