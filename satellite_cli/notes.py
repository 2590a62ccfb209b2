"""One-line notes on stderr that a user should see beside a result (stdout stays parseable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import pandas as pd


def note_stale_prices(frames: dict[str, pd.DataFrame]) -> None:
    """Say once when the newest shared session is older than the last completed NYSE session."""
    from market.calendar import last_completed_session, sessions_missing_after

    if not frames:
        return
    last = min(frame.index[-1] for frame in frames.values())
    missing = sessions_missing_after(last)
    if missing > 0:
        typer.echo(
            f"note: prices end {last:%Y-%m-%d}, {missing} session(s) before the last completed one "
            f"({last_completed_session():%Y-%m-%d}); `satellite data update` fetches the rest",
            err=True,
        )
