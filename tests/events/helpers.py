"""Shared helpers for the event tests: tiny catalogues written to tmp files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from events.catalogue import Event

TODAY = dt.date(2026, 7, 2)
KNOWN = {"CRWV", "NBIS", "NVDA"}

GOOD_EVENT = """
[[event]]
id = "my-event"
announced = 2025-09-06
timing = "pre_market"
tickers = ["NBIS"]
kind = "contract"
"""


def write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def event(
    announced: dt.date, timing: str = "pre_market", tickers: tuple[str, ...] = ("NBIS",)
) -> Event:
    return Event(
        id="test", announced=announced, timing=timing, tickers=tickers,  # type: ignore[arg-type]
        kind="contract",
    )
