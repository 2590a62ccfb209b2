"""The backtest's PNG summary (matplotlib): growth and drawdown on percentage axes beside the
core's buy-and-hold, then one panel per ticker (the core first) with its close, stop level,
entries, exits, stops and the catalogue's events, each kind in the legend; event labels are
stacked in lanes so that no two overlap.

The HTML report (backtests/report_html.py) draws the same curves and fill groups.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from backtests.report_figure import COLOURS, curves, fill_groups, ticker_events
from backtests.run import BacktestResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.text import Text

EVENT_LABEL = "event-label"
"""gid of the event labels (tests check they do not overlap)."""
LABEL_GAP_PX = 3.0


def write_png(result: BacktestResult, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig = png_figure(result)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def png_figure(result: BacktestResult) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    tickers = [result.core, *[t for t in result.panel.tickers if t != result.core]]
    fig, axes = plt.subplots(2 + len(tickers), 1, figsize=(12, 2.2 + 3.1 * (2 + len(tickers))),
                             sharex=True, height_ratios=[1.3, 0.8] + [1.4] * len(tickers))
    c = curves(result)
    axes[0].plot(c.growth.index, c.growth, color=COLOURS["strategy"], label=result.strategy)
    axes[0].plot(c.core_growth.index, c.core_growth, color=COLOURS["core"],
                 label=f"{result.core} buy & hold")
    axes[0].set_title(f"{result.strategy} {result.start:%Y-%m-%d} to {result.end:%Y-%m-%d}: "
                      "growth")
    axes[0].legend(loc="upper left")
    axes[1].fill_between(c.drawdown.index, c.drawdown, 0, color=COLOURS["drawdown"], alpha=0.45,
                         label=f"{result.strategy}")
    axes[1].plot(c.core_drawdown.index, c.core_drawdown, color=COLOURS["core"], linewidth=0.9,
                 label=f"{result.core} buy & hold")
    axes[1].set_title("drawdown")
    axes[1].legend(loc="lower left")
    for axis in axes[:2]:
        axis.yaxis.set_major_formatter(PercentFormatter(1.0))
        axis.grid(alpha=0.3)
    for axis, ticker in zip(axes[2:], tickers, strict=True):
        _ticker_axis(axis, result, ticker)
    fig.tight_layout()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    for axis, ticker in zip(axes[2:], tickers, strict=True):
        labels = [e.event.id for e in ticker_events(result, ticker)]
        place_labels(axis, list(zip(_event_days(result, ticker), labels, strict=True)), renderer)
    return fig


def _ticker_axis(axis: Axes, result: BacktestResult, ticker: str) -> None:
    close = result.panel.close[ticker]
    axis.plot(close.index, close, color=COLOURS["close"], linewidth=1, label="close")
    level = result.kernel.stop_levels[ticker]
    if level.notna().any():
        axis.plot(level.index, level, color=COLOURS["stop"], linestyle=":", linewidth=1,
                  label="stop level")
    groups = fill_groups(result, ticker)
    for frame, name, marker in ((groups.entries, "entries", "^"), (groups.exits, "exits", "v"),
                                (groups.stops, "stops", "X")):
        colour = COLOURS[name.rstrip("s") if name != "entries" else "entry"]
        axis.scatter(frame["date"], frame["price"], marker=marker, color=colour, s=34, zorder=3,
                     edgecolors="white", linewidths=0.4, label=f"{name} ({len(frame)})")
    for number, day in enumerate(_event_days(result, ticker)):
        axis.axvline(day, color=COLOURS["event"], alpha=0.7, linewidth=1,
                     label="events" if number == 0 else None)
    axis.set_title(f"{ticker}{' (core)' if ticker == result.core else ''}: close, stop level, "
                   "fills, events")
    axis.set_ylabel("$")
    axis.grid(alpha=0.3)
    axis.legend(loc="lower right", fontsize=8, ncol=3, framealpha=0.9)


def _event_days(result: BacktestResult, ticker: str) -> list[float]:
    """Day 0 of the ticker's events as matplotlib date numbers."""
    from matplotlib.dates import date2num

    return [float(date2num(e.day0)) for e in ticker_events(result, ticker)]


def place_labels(axis: Axes, events: list[tuple[float, str]], renderer: RendererBase) -> None:
    """Each event's label at the top of the axis, in the first lane (row) where it overlaps no
    label already placed; lanes go down from the top."""
    from matplotlib.transforms import blended_transform_factory

    transform = blended_transform_factory(axis.transData, axis.transAxes)
    height = axis.get_window_extent(renderer).height
    placed: list[Text] = []
    for x, label in sorted(events):
        text = axis.text(x, 0.98, label, transform=transform, fontsize=7, va="top", ha="left",
                         gid=EVENT_LABEL, zorder=4,
                         bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                               "edgecolor": COLOURS["event"], "alpha": 0.9})
        box = text.get_window_extent(renderer)
        if box.x1 > axis.get_window_extent(renderer).x1:
            text.set_horizontalalignment("right")
        lane_height = (box.height + LABEL_GAP_PX) / height
        lane = 0
        while _overlaps(text, placed, renderer):
            lane += 1
            text.set_y(0.98 - lane * lane_height)
        placed.append(text)
    if placed:
        _make_headroom(axis, placed, renderer)


def _make_headroom(axis: Axes, labels: list[Text], renderer: RendererBase) -> None:
    """Raise the top of the y axis so that the data stays below the lowest label."""
    frame = axis.get_window_extent(renderer)
    below = min(label.get_window_extent(renderer).y0 for label in labels)
    free = (below - frame.y0) / frame.height - 0.02  # axes fraction left for the data
    bottom, top = axis.get_ylim()
    if 0.2 < free < 1.0:
        axis.set_ylim(bottom, bottom + (top - bottom) / free)


def _overlaps(text: Text, placed: list[Text], renderer: RendererBase) -> bool:
    box = text.get_window_extent(renderer).padded(1.0)
    return any(box.overlaps(other.get_window_extent(renderer)) for other in placed)
