"""The spans a tune scores on: in-sample, out-of-sample, walk-forward folds (anchored or rolling).

Without --split the whole range is in-sample. `--split DATE`: in-sample is every session
before DATE, out-of-sample DATE to the end. `--walk-forward K`: the sessions are cut into K + 1
equal blocks; fold i is scored on block i + 1 and ranked on blocks 1..i (anchored) or on block
i alone (`--rolling`: a window of fixed length that moves forward).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from satellite.errors import UserInputError


@dataclass(frozen=True)
class Span:
    start: pd.Timestamp
    end: pd.Timestamp
    sessions: int

    def as_json(self) -> dict[str, object]:
        return {"start": f"{self.start:%Y-%m-%d}", "end": f"{self.end:%Y-%m-%d}",
                "sessions": self.sessions}


@dataclass(frozen=True)
class Fold:
    in_sample: Span
    out_of_sample: Span | None


def make_folds(sessions: pd.DatetimeIndex, split: pd.Timestamp | None,
               walk_forward: int | None, rolling: bool = False) -> list[Fold]:
    def span(part: pd.DatetimeIndex) -> Span:
        return Span(part[0], part[-1], len(part))

    if split is not None and walk_forward is not None:
        raise UserInputError("give --split or --walk-forward, not both")
    if rolling and walk_forward is None:
        raise UserInputError("--rolling goes with --walk-forward K")
    if split is not None:
        before, after = sessions[sessions < split], sessions[sessions >= split]
        if len(before) < 2 or len(after) < 2:
            raise UserInputError(
                f"--split {split:%Y-%m-%d} leaves fewer than 2 sessions on one side of "
                f"{sessions[0]:%Y-%m-%d}..{sessions[-1]:%Y-%m-%d}; pick a date inside")
        return [Fold(span(before), span(after))]
    if walk_forward is not None:
        if walk_forward < 1 or len(sessions) < 2 * (walk_forward + 1):
            raise UserInputError(
                f"--walk-forward {walk_forward}: need 1 or more folds of at least 2 sessions "
                f"({len(sessions)} sessions)")
        cuts = [round(len(sessions) * i / (walk_forward + 1)) for i in range(walk_forward + 2)]
        return [Fold(span(sessions[cuts[i - 1] if rolling else 0 : cuts[i]]),
                     span(sessions[cuts[i] : cuts[i + 1]]))
                for i in range(1, walk_forward + 1)]
    return [Fold(span(sessions), None)]
