"""Shared output helpers: JSON to stdout, rich tables, number formats."""

from __future__ import annotations

import json
import math
import os
import sys
from functools import cache
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console

# Piped output (a file, a pager, a test) gets a wide table rather than rich's 80 columns.
PIPED_WIDTH = 160


@cache
def _console() -> Console:
    from rich.console import Console  # rich loads on the first printed table, not for --help

    return Console(
        highlight=False,
        width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else PIPED_WIDTH,
    )


class _LazyConsole:
    def __getattr__(self, name: str) -> Any:
        return getattr(_console(), name)


console = cast("Console", _LazyConsole())


def print_json(payload: Any) -> None:
    """Stable, parseable JSON on stdout; NaN and infinity become null."""
    print(json.dumps(_clean(payload), indent=2, allow_nan=False))


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def percent(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value * 100:.{digits}f}%"


def ratio(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.2f}"
