"""PNG charts for the bot: a ticker's closes with its stop path, the hit and events, or the
portfolio.

Pure drawing: series in, PNG bytes out. matplotlib's Agg backend through Figure objects (no
pyplot state), so charts can be drawn from worker threads and on machines without a display.
"""

from __future__ import annotations

import io
from typing import NamedTuple

import matplotlib

matplotlib.use("Agg")

import pandas as pd
from matplotlib.figure import Figure

EventMark = tuple[pd.Timestamp, str]


class StopHit(NamedTuple):
    session: pd.Timestamp
    fill: float
    rule: str  # in words, e.g. "trailing stop"


class PriceChart(NamedTuple):
    """close: the closes shown; stop: the level in force each session (NaN where none, e.g.
    before the entry and after the exit); hit: the stop that closed the position."""

    close: pd.Series
    title: str
    caption: str
    stop: pd.Series | None = None
    events: list[EventMark] | None = None
    hit: StopHit | None = None


def price_chart(data: PriceChart) -> bytes:
    """The closes, the stop path as steps, the hit as an x at its fill, the events."""
    close, title, stop, events, hit = data.close, data.title, data.stop, data.events, data.hit
    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.subplots()
    axes.plot(close.index, close.to_numpy(), color="#1f77b4", linewidth=1.5, label="close")
    if stop is not None and stop.notna().any():
        axes.step(stop.index, stop.to_numpy(), where="mid", color="#d62728", linestyle="--",
                  linewidth=1.2, label=f"stop {float(stop.dropna().iloc[-1]):.2f}")
    if hit is not None and close.index[0] <= hit.session <= close.index[-1]:
        axes.plot(pd.DatetimeIndex([hit.session]).to_numpy(), [hit.fill], marker="x", markersize=10,
                  color="#d62728", linestyle="none",
                  label=f"{hit.rule} {hit.session:%Y-%m-%d} at {hit.fill:.2f}")
    for day, label in events or []:
        if close.index[0] <= day <= close.index[-1]:
            axes.axvline(day,  # type: ignore[arg-type]
                          color="#2ca02c", alpha=0.6, linewidth=1)
            axes.annotate(label, (day, 1.0), xycoords=("data", "axes fraction"), rotation=90,
                          fontsize=7, va="top", ha="right", color="#2ca02c")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    figure.autofmt_xdate()
    return _png(figure)


def value_chart(value: pd.Series, title: str) -> bytes:
    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes_value, axes_drawdown = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    axes_value.plot(value.index, value.to_numpy(), color="#1f77b4", linewidth=1.5)
    axes_value.set_title(title)
    axes_value.grid(alpha=0.3)
    drawdown = value / value.cummax() - 1
    axes_drawdown.fill_between(drawdown.index, drawdown.to_numpy(), 0, color="#d62728", alpha=0.4)
    axes_drawdown.set_ylabel("drawdown")
    axes_drawdown.grid(alpha=0.3)
    figure.autofmt_xdate()
    return _png(figure)


def versus_chart(value: pd.Series, core: pd.Series, core_name: str, title: str) -> bytes:
    """The portfolio's value and the core's close, each rebased to 1.0 (the weekly digest)."""
    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.subplots()
    axes.plot(value.index, value.to_numpy(), color="#1f77b4", linewidth=1.6, label="portfolio")
    axes.plot(core.index, core.to_numpy(), color="#7f7f7f", linewidth=1.2, label=core_name)
    axes.axhline(1.0, color="#000000", linewidth=0.6, alpha=0.4)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    figure.autofmt_xdate()
    return _png(figure)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
