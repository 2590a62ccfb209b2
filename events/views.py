"""JSON-ready rows for `events list` and `events show`: pure functions of aligned events."""

from __future__ import annotations

from typing import Any

import pandas as pd

from events.align import AlignedEvent, reaction, session_offset


def _day(value: pd.Timestamp | None) -> str | None:
    return None if value is None else f"{value:%Y-%m-%d}"


def list_row(aligned: AlignedEvent, frame: pd.DataFrame) -> dict[str, Any]:
    """One (event, ticker) row: the keys of `events list --json` (documented in the README)."""
    event = aligned.event
    return {
        "id": event.id,
        "ticker": aligned.ticker,
        "announced": event.announced.isoformat(),
        "timing": event.timing,
        "day0": _day(aligned.day0),
        "pre_close": aligned.pre_close,
        "day0_return": reaction(aligned, frame, 1),
        "return_5d": reaction(aligned, frame, 5),
        "kind": event.kind,
        "counterparty": event.counterparty,
        "value_usd": event.value_usd,
        "value_usd_max": event.value_usd_max,
        "tradable": aligned.tradable,
        "timing_flagged": aligned.timing_flagged,
        "off_session": aligned.off_session,
        "note": aligned.note,
    }


def price_path(
    aligned: AlignedEvent, frame: pd.DataFrame, first: int = -5, last: int = 20
) -> list[dict[str, Any]]:
    """Closes from day `first` to day `last` (relative sessions), with the return vs pre_close."""
    if aligned.day0 is None or not aligned.in_data:
        return []
    rows: list[dict[str, Any]] = []
    for offset in range(first, last + 1):
        day = session_offset(frame, aligned.day0, offset)
        if day is None:
            continue
        close = float(frame["Close"].loc[day])
        vs_pre = None if aligned.pre_close is None else close / aligned.pre_close - 1.0
        rows.append({"day": offset, "date": _day(day), "close": close, "vs_pre_close": vs_pre})
    return rows


def show_payload(
    aligned: list[AlignedEvent], frames: dict[str, pd.DataFrame]
) -> dict[str, Any]:
    """Everything about one event: its facts, then per ticker the alignment and price path."""
    event = aligned[0].event
    return {
        **event.as_json(),
        "tickers_detail": [
            {
                **list_row(item, frames[item.ticker]),
                "path": price_path(item, frames[item.ticker]),
            }
            for item in aligned
        ],
    }


def validation_notes(aligned: list[AlignedEvent]) -> list[str]:
    """What is valid but worth knowing: weekend/holiday dates, unknown timing, no tradable data."""
    notes: list[str] = []
    for item in aligned:
        event = item.event
        where = f"{event.id} ({item.ticker})"
        if item.off_session and item.day0 is not None:
            notes.append(f"{where}: announced {event.announced:%a %Y-%m-%d}, not a session; "
                         f"day 0 is the next session {item.day0:%Y-%m-%d}")
        if item.timing_flagged and item.day0 is not None:
            notes.append(f"{where}: timing unknown; day 0 taken as {item.day0:%Y-%m-%d} "
                         "(the reaction may come a session later)")
        if item.note:
            notes.append(f"{where}: {item.note}")
    return notes
