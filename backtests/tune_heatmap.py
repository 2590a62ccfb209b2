"""The tuning heatmap: two parameters on the axes, the metric as colour, a slider for a third.

In-sample and out-of-sample side by side (one panel without an out-of-sample span); a rule
without a score is blank. The page embeds plotly.js, so it opens offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from backtests.sweep_kernel import METRICS
from backtests.tune import TuneResult
from satellite.errors import UserInputError


def _label(value: Any) -> str:
    return "off" if value is None else str(value)


def write_heatmap(result: TuneResult, path: Path) -> None:
    params = [p for p in result.params if len(p.values) > 1] or result.params
    if len(params) < 2:
        raise UserInputError("--heatmap needs two --grid parameters with more than one value")
    x_param, y_param = params[0], params[1]
    slider = params[2] if len(params) > 2 else None
    others = [p for p in result.params if p not in (x_param, y_param, slider)]
    k = METRICS.index(result.metric)
    panels = [("in-sample", result.in_sample)]
    if result.out_of_sample is not None:
        panels.append(("out-of-sample", result.out_of_sample))
    index = {tuple(_label(rule[p.name]) for p in result.params): i
             for i, rule in enumerate(result.rules)}
    steps = slider.values if slider is not None else (None,)
    scores = np.concatenate([table[:, k] for _, table in panels])
    low, high = float(np.nanmin(scores)), float(np.nanmax(scores)) if np.isfinite(scores).any() else 1.0
    figure = make_subplots(rows=1, cols=len(panels), subplot_titles=[t for t, _ in panels])
    for s, step in enumerate(steps):
        for c, (title, table) in enumerate(panels):
            z = np.full((len(y_param.values), len(x_param.values)), np.nan)
            for yi, y in enumerate(y_param.values):
                for xi, x in enumerate(x_param.values):
                    fixed = {x_param.name: x, y_param.name: y}
                    if slider is not None:
                        fixed[slider.name] = step
                    for other in others:
                        fixed[other.name] = other.values[0]
                    key = tuple(_label(fixed[p.name]) for p in result.params)
                    z[yi, xi] = table[index[key], k]
            figure.add_trace(go.Heatmap(
                z=z, x=[_label(v) for v in x_param.values], y=[_label(v) for v in y_param.values],
                zmin=low, zmax=high, colorscale="RdYlGn_r" if result.metric == "max_drawdown"
                else "RdYlGn", showscale=c == 0, visible=s == 0, name=title,
                hovertemplate=f"{x_param.name}=%{{x}}<br>{y_param.name}=%{{y}}<br>"
                f"{result.metric}=%{{z:.4f}}<extra>{title}</extra>"), row=1, col=c + 1)
        figure.update_xaxes(title_text=x_param.name)
        figure.update_yaxes(title_text=y_param.name)
    sliders = []
    if slider is not None:
        per = len(panels)
        sliders = [{"active": 0, "currentvalue": {"prefix": f"{slider.name} = "}, "steps": [
            {"label": _label(step), "method": "update",
             "args": [{"visible": [i // per == s for i in range(per * len(steps))]}]}
            for s, step in enumerate(steps)]}]
    fixed_text = ", ".join(f"{p.name}={_label(p.values[0])}" for p in others)
    figure.update_layout(
        title=f"{result.strategy}: {result.metric} by {x_param.name} x {y_param.name}"
        + (f" ({fixed_text})" if fixed_text else ""), sliders=sliders, height=600)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.write_html(path, include_plotlyjs=True)
