"""Look-ahead check (RELIABILITY 21): a strategy run on data truncated at a session must
decide exactly what the full-data run decided up to that session.

Signal strategies: signals(panel up to t, events with day 0 <= t) must equal the full run's
rows 0..t. Target-weight strategies trade at the open of t on data up to the close of t - 1:
they get the panel up to t with every field of t blanked (the open too: an order placed before
the open cannot know it), and row t must equal the full run's. A finding makes
`satellite check-bias` exit LOOK_AHEAD_EXIT. Checked sessions: every `stride`-th one, the
last `last` ones, and every session where the full run's decisions change (where a leak
would matter). stride=1 checks them all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtests.inputs import call_strategy
from events.align import AlignedEvent
from market.panel import PricePanel
from strategies.base import Signals, Strategy

FIELDS = ("entries", "exits", "sizes", "limits", "groups")
LOOK_AHEAD_EXIT = 4
"""check-bias's exit code when a strategy's decisions differ (0 none, 2/3 input or temporary)."""


@dataclass(frozen=True)
class BiasDiff:
    session: pd.Timestamp
    field: str
    ticker: str
    full: object
    truncated: object

    def as_json(self) -> dict[str, object]:
        return {"session": f"{self.session:%Y-%m-%d}", "field": self.field,
                "ticker": self.ticker, "full": _plain(self.full),
                "truncated": _plain(self.truncated)}


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return value


def sessions_to_check(full: Signals | pd.DataFrame, count: int, stride: int, last: int) -> list[int]:
    rows = set(range(0, count, max(stride, 1))) | set(range(max(count - last, 0), count))
    frames = [full] if isinstance(full, pd.DataFrame) else [
        frame for frame in (full.entries, full.exits, full.limits) if frame is not None]
    for frame in frames:
        values = frame.to_numpy(dtype=float)
        changed = np.any(~_same(values[1:], values[:-1]), axis=1)
        rows |= {int(row) + 1 for row in np.flatnonzero(changed)}
    return sorted(rows)


def check_bias(
    strategy: Strategy,
    panel: PricePanel,
    events: list[AlignedEvent],
    stride: int = 1,
    last: int = 20,
) -> tuple[list[BiasDiff], int]:
    """Differences between truncated and full runs, and how many sessions were checked."""
    full = call_strategy(strategy, panel, events)
    sessions = panel.sessions
    rows = sessions_to_check(full, len(sessions), stride, last)
    diffs: list[BiasDiff] = []
    for row in rows:
        day = sessions[row]
        known = [e for e in events if e.day0 is not None and e.day0 <= day]
        if isinstance(full, pd.DataFrame):
            cut = _before_open(panel.upto(day))
            truncated = call_strategy(strategy, cut, known)
            assert isinstance(truncated, pd.DataFrame)
            diffs += _compare("targets", full.iloc[[row]], truncated.iloc[[row]])
        else:
            truncated = call_strategy(strategy, panel.upto(day), known)
            assert isinstance(truncated, Signals)
            for name in FIELDS:
                ours, theirs = getattr(full, name), getattr(truncated, name)
                if ours is None and theirs is None:
                    continue
                if ours is None or theirs is None:
                    diffs.append(BiasDiff(day, name, "*", ours is not None, theirs is not None))
                    continue
                diffs += _compare(name, ours.iloc[: row + 1], theirs.iloc[: row + 1])
            if full.hold != truncated.hold or full.lag_pct != truncated.lag_pct:
                diffs.append(BiasDiff(day, "hold", "*", full.hold, truncated.hold))
    unique: dict[tuple[pd.Timestamp, str, str], BiasDiff] = {}
    for diff in diffs:  # a leak at one session shows in every later truncation: keep it once
        unique.setdefault((diff.session, diff.field, diff.ticker), diff)
    return sorted(unique.values(), key=lambda d: (d.session, d.field, d.ticker)), len(rows)


def _before_open(panel: PricePanel) -> PricePanel:
    """The panel as known before the last session's open: that session has no price yet."""
    frames = []
    for name in ("open", "high", "low", "close", "volume"):
        frame = getattr(panel, name).copy()
        frame.iloc[-1] = np.nan
        frames.append(frame)
    return PricePanel(*frames)


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _compare(name: str, full: pd.DataFrame, truncated: pd.DataFrame) -> list[BiasDiff]:
    if full.shape != truncated.shape:
        return [BiasDiff(full.index[-1], name, "*", full.shape, truncated.shape)]
    a, b = full.to_numpy(dtype=float), truncated.to_numpy(dtype=float)
    out = []
    for row, col in zip(*np.nonzero(~_same(a, b)), strict=True):
        out.append(BiasDiff(full.index[row], name, str(full.columns[col]), a[row, col], b[row, col]))
    return out
