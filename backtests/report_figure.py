"""The plotly figure of the HTML report: growth and drawdown on percentage axes, then one
panel per ticker (the core first) with its close, stop level, fills and the catalogue's events
(hover: the event).

Also the pieces the PNG shares (backtests/charts.py): the curves and how fills are grouped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from backtests.metrics_returns import drawdown_curve, growth_curve
from backtests.report import RunCurve
from backtests.run import BacktestResult
from events.align import AlignedEvent
from strategies.stops import BREAKER, REASONS, STOP_ATR, STOP_FIXED, STOP_TRAILING

if TYPE_CHECKING:
    import plotly.graph_objects as go

STOP_REASONS = frozenset({STOP_FIXED, STOP_TRAILING, STOP_ATR, BREAKER})
"""Sales drawn as stops (the others: exits)."""

COLOURS = {"strategy": "#1f77b4", "core": "#ff7f0e", "entry": "#2ca02c", "exit": "#9467bd",
           "stop": "#d62728", "event": "#e6a100", "close": "#7f7f7f", "drawdown": "#b22222"}


class Curves(NamedTuple):
    growth: pd.Series  # the strategy's growth since the start (fraction)
    core_growth: pd.Series  # the core's buy-and-hold
    drawdown: pd.Series  # the strategy's drawdown (<= 0)
    core_drawdown: pd.Series


class FillGroups(NamedTuple):
    """One ticker's fills by how they are drawn (FILL records, dates in `date`)."""

    entries: pd.DataFrame
    exits: pd.DataFrame
    stops: pd.DataFrame


def curves(result: BacktestResult) -> Curves:
    cash = result.costs.initial_cash
    ours = RunCurve(result.kernel.value, cash, result.kernel.trades, 0).returns()
    core = RunCurve(result.benchmark_kernel.value, cash, result.benchmark_kernel.trades, 0).returns()
    return Curves(growth_curve(ours), growth_curve(core), drawdown_curve(ours),
                  drawdown_curve(core))


def fill_groups(result: BacktestResult, ticker: str) -> FillGroups:
    fills = result.kernel.fills
    mine = fills[fills["col"] == result.panel.tickers.index(ticker)].copy()
    mine["date"] = result.panel.sessions[mine["idx"].to_numpy(int)]
    sells = mine[mine["side"] == 1]
    stop = sells["reason"].isin(list(STOP_REASONS))
    return FillGroups(mine[mine["side"] == 0], sells[~stop], sells[stop])


def ticker_events(result: BacktestResult, ticker: str) -> list[AlignedEvent]:
    """The catalogue's events of a ticker whose day 0 is a session of the run."""
    sessions = result.panel.sessions
    return [e for e in result.events
            if e.ticker == ticker and e.day0 is not None and e.day0 in sessions]


def event_text(aligned: AlignedEvent) -> str:
    event = aligned.event
    parts = [f"<b>{event.id}</b>", f"{event.kind}, announced {event.announced} ({event.timing})"]
    if event.counterparty:
        parts.append(f"with {event.counterparty}")
    if event.value_usd:
        parts.append(f"value ${event.value_usd / 1e9:.1f}B")
    if event.summary:
        parts.append(event.summary)
    return "<br>".join(parts)


def figure(result: BacktestResult) -> go.Figure:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    tickers = [result.core, *[t for t in result.panel.tickers if t != result.core]]
    rows = 2 + len(tickers)
    fig = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.035,
        row_heights=[0.24, 0.14] + [0.62 / len(tickers)] * len(tickers),
        subplot_titles=[f"Growth of the strategy and {result.core} buy & hold", "Drawdown",
                        *[f"{t}{' (core)' if t == result.core else ''}: close, stop level, "
                          "fills, events" for t in tickers]],
    )
    c = curves(result)
    pct = "%{x|%Y-%m-%d}: %{y:.1%}"
    lines = ((c.growth, result.strategy, "strategy", 1, None),
             (c.core_growth, f"{result.core} buy & hold", "core", 1, None),
             (c.drawdown, f"{result.strategy} drawdown", "drawdown", 2, "tozeroy"),
             (c.core_drawdown, f"{result.core} drawdown", "core", 2, None))
    for y, name, colour, row, fill in lines:
        fig.add_trace(go.Scatter(x=y.index, y=y, name=name, fill=fill,
                                 line={"color": COLOURS[colour], "width": 1.6},
                                 hovertemplate=f"{name}<br>{pct}<extra></extra>"),
                      row=row, col=1)
    for row in (1, 2):
        fig.update_yaxes(tickformat=".0%", row=row, col=1)
    shown: set[str] = set()  # legend groups with an entry already (the first one with data)
    for row, ticker in enumerate(tickers, start=3):
        _ticker_panel(fig, result, ticker, row, shown)
        fig.update_yaxes(title_text="$", row=row, col=1)
    fig.update_layout(height=260 * rows + 160, hovermode="closest", margin={"t": 90, "l": 60},
                      legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "top",
                              "yref": "container"},
                      modebar={"orientation": "v"})  # beside the plots, clear of the legend
    return fig


def _legend(group: str, points: int, shown: set[str]) -> bool:
    """Show a legend entry for the group once, on the first trace that has points."""
    if group in shown or points == 0:
        return False
    shown.add(group)
    return True


def _ticker_panel(fig: go.Figure, result: BacktestResult, ticker: str, row: int,
                  shown: set[str]) -> None:
    import plotly.graph_objects as go

    close = result.panel.close[ticker]
    fig.add_trace(go.Scatter(x=close.index, y=close, name="close", legendgroup="close",
                             showlegend=_legend("close", len(close), shown),
                             line={"color": COLOURS["close"], "width": 1.2},
                             hovertemplate=f"{ticker} close %{{y:.2f}}<extra></extra>"),
                  row=row, col=1)
    level = result.kernel.stop_levels[ticker]
    if level.notna().any():
        fig.add_trace(go.Scatter(x=level.index, y=level, name="stop level", legendgroup="level",
                                 showlegend=_legend("level", len(level), shown),
                                 line={"color": COLOURS["stop"], "dash": "dot", "width": 1},
                                 hovertemplate="stop level %{y:.2f}<extra></extra>"),
                      row=row, col=1)
    groups = fill_groups(result, ticker)
    for frame, name, legend, symbol in ((groups.entries, "entry", "entries", "triangle-up"),
                                        (groups.exits, "exit", "exits", "triangle-down"),
                                        (groups.stops, "stop", "stops", "x")):
        text = [f"{name} {REASONS[r] if r >= 0 else 'buy'}<br>{s:.2f} shares at {p:.2f}"
                for r, s, p in zip(frame["reason"], frame["size"], frame["price"], strict=True)]
        fig.add_trace(go.Scatter(
            x=frame["date"], y=frame["price"], mode="markers", name=legend,
            legendgroup=name, showlegend=_legend(name, len(frame), shown), text=text,
            hovertemplate="%{x|%Y-%m-%d} %{text}<extra></extra>",
            marker={"symbol": symbol, "size": 9, "color": COLOURS[name],
                    "line": {"width": 0.5, "color": "white"}}), row=row, col=1)
    events = ticker_events(result, ticker)
    fig.add_trace(go.Scatter(
        x=[e.day0 for e in events], y=[close.get(e.day0) for e in events], mode="markers",
        name="events (hover)", legendgroup="event", showlegend=_legend("event", len(events), shown),
        text=[event_text(e) for e in events], hovertemplate="%{text}<extra></extra>",
        marker={"symbol": "star", "size": 13, "color": COLOURS["event"],
                "line": {"width": 0.6, "color": "black"}}), row=row, col=1)
