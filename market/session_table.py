"""The NYSE sessions and their closes as a small cached table, readable without pandas.

exchange-calendars (XNYS) is the one source of the calendar; loading it costs pandas and about
0.5 s. Commands that only ask "how many sessions have closed since this date?" (data check,
the stale-price notes) read this table instead: it is built once from exchange-calendars,
stored in the user cache directory, and rebuilt when exchange-calendars changes version or the
table nears its end. market.calendar answers the same questions from it, so both agree.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

from satellite.files import write_text_atomically
from satellite.paths import cache_dir

REFRESH_BEFORE_END = dt.timedelta(days=60)


@dataclass(frozen=True)
class SessionTable:
    """Session dates (ISO strings, sorted) and each session's close as a UTC POSIX second."""

    sessions: list[str]
    closes: list[float]
    source_version: str

    def last_completed(self, now: dt.datetime) -> dt.date:
        """The newest session whose close (early closes included) is at or before now."""
        position = bisect.bisect_right(self.closes, now.timestamp())
        return dt.date.fromisoformat(self.sessions[position - 1])

    def completed_after(self, last: dt.date, now: dt.datetime) -> int:
        """How many completed sessions come after `last` (0: up to date)."""
        latest = bisect.bisect_right(self.closes, now.timestamp())
        after = bisect.bisect_right(self.sessions, last.isoformat())
        return max(0, latest - after)

    @property
    def end(self) -> dt.date:
        return dt.date.fromisoformat(self.sessions[-1])


@cache
def session_table(today: dt.date | None = None) -> SessionTable:
    """The cached table, rebuilt from exchange-calendars when stale, missing or unreadable."""
    today = today or dt.date.today()
    path = cache_dir() / "xnys-sessions.json"
    wanted = version("exchange-calendars")
    table = _read(path)
    if table is None or table.source_version != wanted or table.end - REFRESH_BEFORE_END < today:
        table = _build(wanted)
        with contextlib.suppress(OSError):  # a read-only cache only costs speed
            write_text_atomically(path, json.dumps(
                {"version": table.source_version, "sessions": table.sessions, "closes": table.closes}))
    return table


def _read(path: Path) -> SessionTable | None:
    try:
        raw = json.loads(path.read_text())
        return SessionTable(list(raw["sessions"]), [float(x) for x in raw["closes"]], str(raw["version"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _build(source_version: str) -> SessionTable:
    from market.xnys import nyse

    calendar = nyse()
    closes = calendar.schedule["close"]
    return SessionTable(
        [f"{day:%Y-%m-%d}" for day in closes.index],
        [stamp.timestamp() for stamp in closes],
        source_version,
    )
