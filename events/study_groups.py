"""Group statistics of the event study: per (ticker, kind) and per kind over all tickers, per window,
the mean CAR with the cross-sectional t, BMP, Corrado rank and generalised sign tests and the
placebo p-value (events/significance.py, events/placebo.py)."""

from __future__ import annotations

import numpy as np

from events.placebo import group_rng, pseudo_means
from events.significance import (
    Significance,
    bmp_test,
    corrado_test,
    cross_sectional_t,
    placebo_p_value,
    sign_test,
)
from events.study import MIN_EVENTS, StudySettings, aggregate
from events.study_types import ALL, Group, StudyRow, Window, WindowStats, window_key
from events.tradeable import tradeable_windows

# pools[ticker][window]: the CARs of that ticker's pseudo-events (events/placebo.py)
Pools = dict[str, dict[Window, np.ndarray]]

FEW_EVENTS = ("n = {n} < 3: no t-statistic, band or p-value but the placebo one (one or two "
              "events give no usable estimate of the spread between events)")


def group_rows(rows: list[StudyRow], settings: StudySettings, pools: Pools) -> list[Group]:
    """Groups by (ticker, kind), then by kind over all tickers (ticker 'ALL'), sorted by kind."""
    keys: dict[tuple[str, str], list[StudyRow]] = {}
    for row in rows:
        keys.setdefault((row.aligned.ticker, row.aligned.event.kind), []).append(row)
    for row in rows:
        keys.setdefault((ALL, row.aligned.event.kind), []).append(row)
    ordered = sorted(keys.items(), key=lambda pair: (pair[0][1], pair[0][0] == ALL, pair[0][0]))
    return [build_group(ticker, kind, members, settings, pools) for (ticker, kind), members in ordered]


def build_group(
    ticker: str, kind: str, members: list[StudyRow], settings: StudySettings, pools: Pools
) -> Group:
    stats = {
        window: window_stats(members, window, settings, pools, f"{ticker}|{kind}|{window_key(window)}")
        for window in settings.sub_windows()
    }
    tradeable = {
        window: aggregate([row.tradeable[window] for row in members])
        for window in tradeable_windows(settings)
    }
    return Group(ticker, kind, len(members), tuple(row.label for row in members), stats, tradeable)


def window_stats(
    members: list[StudyRow], window: Window, settings: StudySettings, pools: Pools, label: str
) -> WindowStats:
    """Mean CAR, the tests and the placebo p-value of one group over one window."""
    known = [row for row in members if row.cars[window] is not None]
    cars = np.array([row.cars[window] for row in known], dtype=float)
    mean = float(cars.mean()) if len(cars) else None
    fitted = [row for row in known if row.car_sds[window] is not None]
    fitted_cars = np.array([row.cars[window] for row in fitted], dtype=float)
    sds = np.array([row.car_sds[window] for row in fitted], dtype=float)
    placebo = None
    if mean is not None:
        means = pseudo_means({ticker: by_window[window] for ticker, by_window in pools.items()},
                             [row.aligned.ticker for row in known], settings.placebo_draws,
                             group_rng(settings.seed, label))
        placebo = None if means is None else placebo_p_value(mean, means)
    return WindowStats(
        mean=mean,
        n=len(known),
        t=cross_sectional_t(cars),
        bmp=bmp_test(fitted_cars, sds) if len(fitted) else Significance(None, None, 0),
        rank=corrado_test(rank_grid(fitted, settings), rank_days(window, settings)),
        sign=sign_test(fitted_cars, [row.result.residuals for row in fitted]),
        placebo_p=placebo,
        placebo_draws=settings.placebo_draws if placebo is not None else 0,
        note=_note(len(known), len(fitted)),
    )


def rank_grid(rows: list[StudyRow], settings: StudySettings) -> np.ndarray:
    """(events x days): estimation-window residuals, then the event window's ARs."""
    width = settings.estimation + len(settings.days)
    if not rows:
        return np.empty((0, width))
    return np.array([np.concatenate([row.result.residuals, row.result.ar]) for row in rows])


def rank_days(window: Window, settings: StudySettings) -> np.ndarray:
    """The columns of rank_grid inside `window`."""
    days = settings.days
    inside = (days >= window[0]) & (days <= window[1])
    return np.concatenate([np.zeros(settings.estimation, dtype=bool), inside])


def _note(known: int, fitted: int) -> str | None:
    if known < MIN_EVENTS:
        return FEW_EVENTS.format(n=known)
    if fitted < known:
        left_out = known - fitted
        return (f"{left_out} event{'s' if left_out > 1 else ''} without a fitted model (under "
                f"min_estimation sessions of history) left out of the BMP, rank and sign tests")
    return None
