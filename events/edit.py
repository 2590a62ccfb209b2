"""`events add`: append one validated event to a user's catalogue, keeping everything else.

The existing text is kept byte for byte (comments, layout); the new [[event]] table is rendered
with tomlkit and appended after a blank line. The result is validated as a whole (together with
the other catalogues, for unique ids) before an atomic write; on any error the file is untouched.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import tomlkit

from events.catalogue import (
    Event,
    load_catalogue,
    new_york_today,
    parse_catalogue,
    parse_event,
    read_catalogue,
)
from satellite.errors import EventCatalogueError
from satellite.files import write_text_atomically

NEW_FILE_HEADER = (
    "# My satellite events: [[event]] tables, the same fields as the shipped catalogue.\n"
    "# List this file in config.toml under [events] files so that it is read.\n"
)


def render_event(event: Event) -> str:
    """The [[event]] table of one event, as TOML text (no leading blank line)."""
    table = tomlkit.table()
    table["id"] = event.id
    table["announced"] = event.announced
    table["timing"] = event.timing
    table["tickers"] = list(event.tickers)
    table["kind"] = event.kind
    if event.counterparty is not None:
        table["counterparty"] = event.counterparty
    for key, value in (("value_usd", event.value_usd), ("value_usd_max", event.value_usd_max)):
        if value is not None:
            table[key] = int(value) if float(value).is_integer() else value
    if event.summary:
        table["summary"] = event.summary
    if event.sources:
        table["sources"] = list(event.sources)
    document = tomlkit.document()
    events = tomlkit.aot()
    events.append(table)
    document.append("event", events)
    return tomlkit.dumps(document)


def add_event(
    target: Path,
    fields: dict[str, Any],
    other_catalogues: list[Path],
    known_tickers: set[str] | None,
    today: dt.date | None = None,
) -> Event:
    """Validate `fields` as an event, append it to target (created if missing), return it.

    other_catalogues: the catalogues read with target (their ids must stay unique).
    """
    limit = today or new_york_today()
    clean = {key: value for key, value in fields.items() if value not in (None, [], "")}
    event = parse_event(clean, target, 1, known_tickers, limit)
    others = [path for path in other_catalogues if path.resolve() != target.resolve()]
    if target.exists():
        read_catalogue(target, None, limit)  # never append to a broken file
        original = target.read_text(encoding="utf-8")
    else:
        original = NEW_FILE_HEADER
    separator = "" if not original or original.endswith("\n\n") else (
        "\n" if original.endswith("\n") else "\n\n"
    )
    text = original + separator + render_event(event)
    ensure_unique(others, target, text, limit)  # the appended file as a whole, and its ids
    try:
        write_text_atomically(target, text)
    except OSError as err:
        raise EventCatalogueError(f"{target}: cannot write the catalogue ({err})") from None
    return event


def ensure_unique(others: list[Path], target: Path, text: str, today: dt.date) -> None:
    """Validate target's new text; refuse an id that is also in the other catalogues."""
    existing = {event.id: event.file for event in load_catalogue(others, None, None)}
    for event in parse_catalogue(text, target, None, today):
        if event.id in existing:
            raise EventCatalogueError(
                f"{target}: event {event.id!r}: field 'id': duplicate id, already defined in "
                f"{existing[event.id]}; ids must be unique across catalogues, pick another id"
            )

