"""`satellite events study --json`: the study as JSON-ready data (keys documented in the README)."""

from __future__ import annotations

import math
from typing import Any

from events.significance import Significance
from events.study_types import Group, StudyResult, StudyRow, WindowStats, window_key


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def as_json(result: StudyResult) -> dict[str, Any]:
    """The whole study: settings, one entry per (event, ticker), the groups, the skipped events."""
    settings = result.settings
    return {
        "benchmark": result.benchmark,
        "window": window_key(settings.window),
        "estimation": settings.estimation,
        "gap": settings.gap,
        "min_estimation": settings.min_estimation,
        "placebo_draws": settings.placebo_draws,
        "seed": settings.seed,
        "days": [int(day) for day in settings.days],
        "events": [event_json(row) for row in result.rows],
        "groups": [group_json(group) for group in result.groups],
        "skipped": [
            {"id": item.event.id, "ticker": item.ticker, "reason": reason}
            for item, reason in result.skipped
        ],
    }


def event_json(row: StudyRow) -> dict[str, Any]:
    return {
        "id": row.aligned.event.id,
        "ticker": row.aligned.ticker,
        "kind": row.aligned.event.kind,
        "timing": row.aligned.event.timing,
        "day0": f"{row.aligned.day0:%Y-%m-%d}",
        "model": row.result.model,
        "benchmark": row.benchmark,
        "estimation_sessions": row.result.estimation_sessions,
        "flagged": row.result.flagged,
        "timing_flagged": row.aligned.timing_flagged,
        "note": row.note,
        "alpha": _num(row.result.alpha),
        "beta": _num(row.result.beta),
        "sigma": _num(row.result.sigma),
        "ar": [_num(value) for value in row.result.ar],
        "car": {window_key(window): _num(value) for window, value in row.cars.items()},
        "car_sd": {window_key(window): _num(value) for window, value in row.car_sds.items()},
        "first_open_day": row.first_open,
        "tradeable_car": {window_key(window): _num(value) for window, value in row.tradeable.items()},
    }


def group_json(group: Group) -> dict[str, Any]:
    return {
        "ticker": group.ticker,
        "kind": group.kind,
        "n": group.n,
        "events": list(group.members),
        "car": {window_key(window): stats_json(stats) for window, stats in group.stats.items()},
        "tradeable_car": {
            window_key(window): {"mean": _num(stat.mean), "n": stat.n}
            for window, stat in group.tradeable.items()
        },
    }


def stats_json(stats: WindowStats) -> dict[str, Any]:
    return {
        "mean": _num(stats.mean),
        "n": stats.n,
        "t_stat": _num(stats.t.statistic),
        "p_value": _num(stats.t.p_value),
        "bmp": significance_json(stats.bmp),
        "rank": significance_json(stats.rank),
        "sign": significance_json(stats.sign),
        "placebo": {"p_value": _num(stats.placebo_p), "draws": stats.placebo_draws},
        "note": stats.note,
    }


def significance_json(test: Significance) -> dict[str, Any]:
    return {"statistic": _num(test.statistic), "p_value": _num(test.p_value), "n": test.n}
