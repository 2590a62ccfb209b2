"""The words an event is described with: its timing and its kind (no heavy imports here)."""

from __future__ import annotations

from typing import Literal, get_args

Timing = Literal["pre_market", "intraday", "after_close", "unknown"]
Kind = Literal[
    "contract", "financing", "listing", "earnings", "acquisition", "lockup", "sector", "investment"
]
TIMINGS: tuple[str, ...] = get_args(Timing)
KINDS: tuple[str, ...] = get_args(Kind)
