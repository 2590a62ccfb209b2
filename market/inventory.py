"""What is stored for a ticker and whether it passes the validation: `data check`'s rows.

Validating NVDA's 6,665 sessions needs pandas and the exchange calendar (about a second). The
verdict depends only on the file's bytes, its path (named in messages) and the validation
code, so it is remembered in the user cache directory under a digest of all three: a file
that has not changed since its last check is not parsed again. Any change (one byte of the
file, a new satellite or exchange-calendars version, an edited validation) is checked afresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import asdict, dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from market.store import PriceStore, Source
from satellite.errors import SatelliteError
from satellite.files import write_text_atomically
from satellite.paths import cache_dir

CACHE_FILE = "price-checks.json"
KEEP = 256  # verdicts remembered (newest first)


@dataclass(frozen=True)
class PriceFileStatus:
    """One stored ticker: its file, span and verdict (first/last as YYYY-MM-DD)."""

    ticker: str
    source: Source | None
    first: str | None
    last: str | None
    rows: int | None
    valid: bool
    error: str | None


def file_status(store: PriceStore, ticker: str) -> PriceFileStatus:
    """The status of ticker's stored file, from the cache when its bytes were checked before."""
    found = store.path_of(ticker)
    if found is None:
        try:
            store.load(ticker)  # raises the one-line "no prices for ..." message
        except SatelliteError as err:
            return PriceFileStatus(ticker, None, None, None, None, False, str(err))
    path, source = found  # type: ignore[misc]
    key = _key(path)
    remembered = _read_cache().get(key)
    if remembered is not None:
        return PriceFileStatus(**{**remembered, "ticker": ticker, "source": source})
    status = _check(store, ticker, source)
    _remember(key, status)
    return status


def _check(store: PriceStore, ticker: str, source: Source) -> PriceFileStatus:
    try:
        frame = store.load(ticker).frame
    except SatelliteError as err:
        return PriceFileStatus(ticker, source, None, None, None, False, str(err))
    return PriceFileStatus(ticker, source, f"{frame.index[0]:%Y-%m-%d}", f"{frame.index[-1]:%Y-%m-%d}",
                           len(frame), True, None)


def _key(path: Path) -> str:
    digest = hashlib.sha256(_code_version().encode())
    digest.update(str(path.resolve()).encode())
    digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def _code_version() -> str:
    """What a verdict depends on besides the file: the validation code and the calendar."""
    validation = Path(__file__).with_name("validation.py")  # read, not imported: no pandas
    return "|".join([version("satellite"), version("exchange-calendars"),
                     hashlib.sha256(validation.read_bytes()).hexdigest()])


def _cache_path() -> Path:
    return cache_dir() / CACHE_FILE


def _read_cache() -> dict[str, dict[str, Any]]:
    try:
        raw = json.loads(_cache_path().read_text())
        return raw if isinstance(raw, dict) else {}
    except (OSError, ValueError):
        return {}


def _remember(key: str, status: PriceFileStatus) -> None:
    entries = {key: asdict(status), **_read_cache()}
    kept = dict(list(entries.items())[:KEEP])
    with contextlib.suppress(OSError):  # a read-only cache only costs speed
        write_text_atomically(_cache_path(), json.dumps(kept))
