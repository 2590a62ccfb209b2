"""The tuning heatmap: two parameters on the axes, the metric as colour, a slider for a third.

In-sample and out-of-sample side by side (one panel without an out-of-sample span), each panel
with a colour scale of its own (the out-of-sample scores are usually lower: one scale would
paint that panel in one colour). The chosen rule (ranked first in-sample) is marked with a
star and the out-of-sample best with a circle, on the slider step that holds them; parameters
beyond the third sit at the chosen rule's values. A rule without a score is blank. The page
embeds plotly.js, so it opens offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from backtests.tune import TuneResult
from backtests.tune_grid import GridParam
from satellite.errors import UserInputError


def _label(value: Any) -> str:
    return "off" if value is None else str(value)


def _rows(result: TuneResult, x: GridParam, y: GridParam, fixed: dict[str, int]) -> np.ndarray:
    """Grid rows of the y x x plane where the other parameters sit at `fixed` positions."""
    coords = []
    for param in result.params:
        if param is x:
            coords.append(np.arange(len(x.values))[None, :])
        elif param is y:
            coords.append(np.arange(len(y.values))[:, None])
        else:
            coords.append(np.array([[fixed[param.name]]]))
    shape = (len(y.values), len(x.values))
    return np.ravel_multi_index(tuple(np.broadcast_to(c, shape) for c in coords), result.grid.shape)


def write_heatmap(result: TuneResult, path: Path) -> None:
    params = [p for p in result.params if len(p.values) > 1] or result.params
    if len(params) < 2:
        raise UserInputError("--heatmap needs two --grid parameters with more than one value")
    x_param, y_param = params[0], params[1]
    slider = params[2] if len(params) > 2 else None
    scores = result.stream.scores
    panels = [("in-sample", scores.in_sample)]
    if result.has_out_of_sample:
        panels.append(("out-of-sample", scores.out_of_sample))
    chosen = result.honesty.top[0].row if result.honesty.top else None
    marks = [("chosen rule (best in-sample)", chosen, "star"),
             ("out-of-sample best", result.oos_best(), "circle-open")]
    steps = range(len(slider.values)) if slider is not None else range(1)
    figure = make_subplots(rows=1, cols=len(panels), subplot_titles=[t for t, _ in panels],
                           horizontal_spacing=0.14)
    ends = [figure.layout[f"xaxis{c + 1 if c else ''}"].domain[1] for c in range(len(panels))]
    colours = "RdYlGn_r" if result.metric == "max_drawdown" else "RdYlGn"
    at = np.unravel_index(chosen if chosen is not None else 0, result.grid.shape)
    for s in steps:
        fixed = {p.name: int(i) for p, i in zip(result.params, at, strict=True)}
        if slider is not None:
            fixed[slider.name] = s
        rows = _rows(result, x_param, y_param, fixed)
        traces = []
        for c, (title, table) in enumerate(panels):
            finite = table[np.isfinite(table)]
            low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
            traces.append((go.Heatmap(
                z=table[rows], x=[_label(v) for v in x_param.values],
                y=[_label(v) for v in y_param.values], zmin=low, zmax=high, colorscale=colours,
                colorbar={"x": ends[c] + 0.01, "len": 0.9, "thickness": 14,
                          "title": result.metric},
                visible=s == 0, name=title,
                hovertemplate=f"{x_param.name}=%{{x}}<br>{y_param.name}=%{{y}}<br>"
                f"{result.metric}=%{{z:.4f}}<extra>{title}</extra>"), c))
            for name, row, symbol in marks:
                if row is None or row not in rows:
                    continue
                yi, xi = (int(i[0]) for i in np.nonzero(rows == row))
                traces.append((go.Scatter(
                    x=[_label(x_param.values[xi])], y=[_label(y_param.values[yi])], mode="markers",
                    marker={"symbol": symbol, "size": 16, "color": "black",
                            "line": {"width": 2, "color": "black"}},
                    name=name, showlegend=c == 0, visible=s == 0), c))
        for trace, c in traces:
            figure.add_trace(trace, row=1, col=c + 1)
        figure.update_xaxes(title_text=x_param.name)
        figure.update_yaxes(title_text=y_param.name, row=1, col=1)
    sliders = []
    if slider is not None:
        counts = [len(t) for t in _trace_steps(figure, len(steps))]
        sliders = [{"active": 0, "currentvalue": {"prefix": f"{slider.name} = "}, "steps": [
            {"label": _label(slider.values[s]), "method": "update",
             "args": [{"visible": [i == s for i, n in enumerate(counts) for _ in range(n)]}]}
            for s in steps]}]
    others = [p for p in result.params if p not in (x_param, y_param, slider)]
    fixed_text = ", ".join(f"{p.name}={_label(p.values[int(at[result.params.index(p)])])}"
                           for p in others)
    figure.update_layout(
        title=f"{result.strategy}: {result.metric} by {x_param.name} x {y_param.name}"
        + (f" ({fixed_text})" if fixed_text else ""), sliders=sliders, height=600,
        legend={"orientation": "h", "y": -0.15})
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.write_html(path, include_plotlyjs=True)


def _trace_steps(figure: go.Figure, steps: int) -> list[list[Any]]:
    """The figure's traces split by slider step (each step's traces were added together)."""
    out: list[list[Any]] = [[] for _ in range(steps)]
    step = -1
    for trace in figure.data:
        if isinstance(trace, go.Heatmap) and trace.name == "in-sample":
            step += 1
        out[step].append(trace)
    return out
