"""HTML of the event study (plotly): per kind, each event's CAR and the mean with a 95% band
(the band only on days with at least MIN_EVENTS known CARs: below that there is no usable spread)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from events.study import MIN_EVENTS, car_path
from events.study_types import StudyResult, window_key
from satellite.errors import UserInputError
from satellite.files import write_text_atomically

BAND_Z = 1.96


def mean_band(paths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day: mean CAR and mean -/+ 1.96 standard errors over the events known that day; the
    band is NaN (not drawn) on days with fewer than MIN_EVENTS known CARs."""
    mean = np.full(paths.shape[1], np.nan)
    low, high = mean.copy(), mean.copy()
    for day in range(paths.shape[1]):
        known = paths[:, day][np.isfinite(paths[:, day])]
        if len(known) == 0:
            continue
        mean[day] = known.mean()
        if len(known) < MIN_EVENTS:
            continue
        error = known.std(ddof=1) / math.sqrt(len(known))
        low[day], high[day] = mean[day] - BAND_Z * error, mean[day] + BAND_Z * error
    return mean, low, high


def _title(kind: str, n: int) -> str:
    return f"{kind} (n={n})" if n >= MIN_EVENTS else f"{kind} (n={n}: no 95% band below {MIN_EVENTS} events)"


def study_figure(result: StudyResult) -> go.Figure:
    kinds = sorted({row.aligned.event.kind for row in result.rows})
    days = result.settings.days
    figure = make_subplots(
        rows=max(len(kinds), 1), cols=1, shared_xaxes=True,
        subplot_titles=[_title(kind, sum(row.aligned.event.kind == kind for row in result.rows))
                        for kind in kinds] or ["no events"],
    )
    for index, kind in enumerate(kinds, start=1):
        rows = [row for row in result.rows if row.aligned.event.kind == kind]
        paths = np.array([car_path(row.result.ar) for row in rows])
        for row, path in zip(rows, paths, strict=True):
            figure.add_trace(go.Scatter(
                x=days, y=path * 100, mode="lines", line={"width": 1}, opacity=0.45,
                name=f"{row.aligned.event.id} ({row.aligned.ticker}, {row.result.model})",
                legendgroup=kind, legendgrouptitle_text=kind,
            ), row=index, col=1)
        mean, low, high = mean_band(paths)
        drawn = np.isfinite(low)
        if drawn.any():
            figure.add_trace(go.Scatter(
                x=np.concatenate([days[drawn], days[drawn][::-1]]),
                y=np.concatenate([high[drawn], low[drawn][::-1]]) * 100,
                fill="toself", line={"width": 0}, fillcolor="rgba(31,119,180,0.2)",
                name=f"{kind}: 95% band", legendgroup=kind, hoverinfo="skip",
            ), row=index, col=1)
        figure.add_trace(go.Scatter(
            x=days, y=mean * 100, mode="lines", line={"width": 3, "color": "rgb(31,119,180)"},
            name=f"{kind}: mean CAR", legendgroup=kind,
        ), row=index, col=1)
        figure.update_yaxes(title_text="CAR %", row=index, col=1)
    figure.update_xaxes(title_text="sessions from day 0", row=max(len(kinds), 1), col=1)
    figure.update_layout(
        title=f"Event study: cumulative abnormal returns over {window_key(result.settings.window)} "
        f"(benchmark {result.benchmark}, estimation {result.settings.estimation} sessions)",
        height=320 * max(len(kinds), 1) + 120, template="plotly_white",
    )
    return figure


def write_html(result: StudyResult, target: Path) -> Path:
    """Write the figure as self-contained HTML (plotly.js inline: works offline), atomically."""
    html = study_figure(result).to_html(include_plotlyjs=True, full_html=True)
    try:
        write_text_atomically(target, html)
    except OSError as err:
        raise UserInputError(f"--html {target}: cannot write there ({err})") from None
    return target
