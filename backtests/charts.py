"""Backtest reports: a self-contained plotly HTML page and a matplotlib PNG summary.

HTML (plotly.js embedded, so it opens offline): equity vs the core's buy-and-hold, drawdown,
and each satellite's close with entries, exits (hover: reason), stop levels and the
catalogue's events (hover: the event).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from backtests.run import BacktestResult
from events.align import AlignedEvent


def _equity(result: BacktestResult) -> tuple[pd.Series, pd.Series, pd.Series]:
    value = result.portfolio.value()
    bench = result.benchmark.value()
    drawdown = value / value.cummax() - 1
    return value, bench, drawdown


def _event_text(aligned: AlignedEvent) -> str:
    event = aligned.event
    parts = [f"<b>{event.id}</b>", f"{event.kind}, announced {event.announced} ({event.timing})"]
    if event.counterparty:
        parts.append(f"with {event.counterparty}")
    if event.value_usd:
        parts.append(f"value ${event.value_usd / 1e9:.1f}B")
    if event.summary:
        parts.append(event.summary)
    if aligned.pre_close is not None:
        parts.append(f"pre-event close {aligned.pre_close:.2f}")
    return "<br>".join(parts)


def write_html(result: BacktestResult, path: Path) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    satellites = [t for t in result.panel.tickers if t != result.panel.tickers[0]]
    rows = 2 + len(satellites)
    fig = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.04,
        row_heights=[0.3, 0.15] + [0.55 / max(len(satellites), 1)] * len(satellites),
        subplot_titles=["Equity", "Drawdown", *[f"{t}: trades, stops, events" for t in satellites]],
    )
    value, bench, drawdown = _equity(result)
    core = result.panel.tickers[0]
    fig.add_trace(go.Scatter(x=value.index, y=value, name=result.strategy), row=1, col=1)
    fig.add_trace(go.Scatter(x=bench.index, y=bench, name=f"{core} buy & hold"), row=1, col=1)
    fig.add_trace(go.Scatter(x=drawdown.index, y=drawdown, name="drawdown", fill="tozeroy",
                             line={"color": "firebrick"}), row=2, col=1)
    trades = pd.DataFrame(result.trades)
    for row, ticker in enumerate(satellites, start=3):
        close = result.panel.close[ticker]
        fig.add_trace(go.Scatter(x=close.index, y=close, name=f"{ticker} close",
                                 line={"color": "gray"}), row=row, col=1)
        if result.kernel is not None:
            levels = result.kernel.stop_levels[ticker]
            fig.add_trace(go.Scatter(x=levels.index, y=levels, name=f"{ticker} stop",
                                     line={"color": "red", "dash": "dot"}), row=row, col=1)
        mine = trades[trades["ticker"] == ticker] if len(trades) else trades
        if len(mine):
            fig.add_trace(go.Scatter(
                x=pd.to_datetime(mine["entry_date"]), y=mine["entry_price"], mode="markers",
                name=f"{ticker} entry", marker={"symbol": "triangle-up", "size": 10,
                                                "color": "green"}), row=row, col=1)
            text = [f"{r}<br>stop {s if s is None else round(s, 2)}<br>return {x:.1%}"
                    for r, s, x in zip(mine["reason"], mine["stop_level"], mine["return"],
                                       strict=True)]
            fig.add_trace(go.Scatter(
                x=pd.to_datetime(mine["exit_date"]), y=mine["exit_price"], mode="markers",
                name=f"{ticker} exit", text=text, hovertemplate="%{text}<extra></extra>",
                marker={"symbol": "triangle-down", "size": 10, "color": "red"}), row=row, col=1)
        events = [e for e in result.events if e.ticker == ticker and e.day0 in close.index]
        if events:
            fig.add_trace(go.Scatter(
                x=[e.day0 for e in events], y=[close.get(e.day0) for e in events],
                mode="markers", name=f"{ticker} events", text=[_event_text(e) for e in events],
                hovertemplate="%{text}<extra></extra>",
                marker={"symbol": "star", "size": 13, "color": "orange"}), row=row, col=1)
    fig.update_layout(
        title=f"{result.strategy} {result.start:%Y-%m-%d} to {result.end:%Y-%m-%d}",
        height=350 * rows, hovermode="closest",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(str(path), include_plotlyjs=True, full_html=True)


def write_png(result: BacktestResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    satellites = result.panel.tickers[1:]
    fig, axes = plt.subplots(2 + len(satellites), 1, figsize=(11, 3 * (2 + len(satellites))),
                             sharex=True)
    value, bench, drawdown = _equity(result)
    axes[0].plot(value.index, value, label=result.strategy)
    axes[0].plot(bench.index, bench, label=f"{result.panel.tickers[0]} buy & hold")
    axes[0].legend()
    axes[0].set_title(f"{result.strategy}: equity")
    axes[1].fill_between(drawdown.index, drawdown, 0, color="firebrick", alpha=0.5)
    axes[1].set_title("drawdown")
    trades = pd.DataFrame(result.trades)
    for axis, ticker in zip(axes[2:], satellites, strict=True):
        axis.plot(result.panel.close.index, result.panel.close[ticker], color="gray")
        if result.kernel is not None:
            axis.plot(result.kernel.stop_levels.index, result.kernel.stop_levels[ticker],
                      color="red", linestyle=":")
        mine = trades[trades["ticker"] == ticker] if len(trades) else trades
        if len(mine):
            axis.scatter(pd.to_datetime(mine["entry_date"]), mine["entry_price"], marker="^",
                         color="green")
            axis.scatter(pd.to_datetime(mine["exit_date"]), mine["exit_price"], marker="v",
                         color="red")
        for aligned in result.events:
            if aligned.ticker == ticker and aligned.day0 is not None \
                    and aligned.day0 in result.panel.sessions:
                axis.axvline(aligned.day0, color="orange", alpha=0.4)
        axis.set_title(f"{ticker}: entries, exits, stop, events")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
