"""The backtest's reports: the table and JSON keys, the HTML page, the PNG, and the import
budget (a table or JSON backtest never imports vectorbt)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from backtests.charts import EVENT_LABEL, png_figure
from backtests.report import STAT_GROUPS
from backtests.report_figure import figure
from backtests.run import BacktestResult, run_backtest
from satellite_cli.context import AppContext
from tests.conftest import Invoke

SCALAR_KEYS = {row.key for rows in STAT_GROUPS.values() for row in rows}
ISSUE_KEYS = {
    "total_return", "cagr", "max_drawdown", "sharpe", "sortino", "calmar", "fills", "trades",
    "win_rate", "avg_win", "avg_loss", "expectancy", "profit_factor", "avg_holding_sessions",
    "exposure", "best_day", "worst_day", "volatility", "alpha", "beta", "information_ratio",
    "tracking_error", "up_capture", "down_capture",
}


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    context = AppContext()
    return run_backtest(context.config.settings, context.store)


def test_json_carries_every_stat(invoke: Invoke) -> None:
    payload = json.loads(invoke("backtest", "--json").stdout)
    for side in ("stats", "benchmark"):
        stats = payload[side]
        assert SCALAR_KEYS == ISSUE_KEYS and ISSUE_KEYS | {"monthly_returns", "drawdowns"} == set(stats)
        assert all(re.fullmatch(r"\d{4}-\d{2}", month) for month in stats["monthly_returns"])
        assert len(stats["drawdowns"]) <= 5
        assert stats["drawdowns"][0].keys() == {"start", "trough", "recovery", "depth", "length"}
    trade = payload["trades"][0]
    assert {"pnl", "pnl_pct", "sessions"} <= trade.keys()


def test_trade_pnl_adds_up_to_the_runs_profit(result: BacktestResult) -> None:
    profit = result.kernel.value.iloc[-1] - result.costs.initial_cash
    assert sum(t["pnl"] for t in result.trades) == pytest.approx(profit, rel=1e-9)
    open_trades = result.exits_by_reason["end_of_data"]
    assert result.stats["trades"] == len(result.trades) - open_trades


def test_table_shows_the_groups_beside_the_core(invoke: Invoke) -> None:
    output = invoke("backtest").output
    for text in ("Against NVDA", "Win rate", "Up capture", "Worst drawdowns",
                 "Monthly returns: core_satellite", "Exits by reason", "NVDA buy & hold"):
        assert text in output


def test_html_report_has_stats_heatmap_trades_and_panels(invoke: Invoke, tmp_path: Path,
                                                         result: BacktestResult) -> None:
    page, small = tmp_path / "r.html", tmp_path / "cdn.html"
    assert invoke("backtest", "--html", str(page)).exit_code == 0
    assert invoke("backtest", "--html", str(small), "--html-cdn").exit_code == 0
    text = page.read_text(encoding="utf-8")
    assert '<table class="stats">' in text and "Against NVDA" in text and "Sharpe" in text
    assert text.count('<table class="heat">') == 2  # the strategy's months and the core's
    assert "Worst drawdowns" in text and 'class="sortable"' in text
    assert text.count("<tr><td") >= len(result.trades)
    assert "nbis-microsoft" in text  # an event's hover text
    assert not re.search(r"<script[^>]*\bsrc=", text)  # self-contained
    cdn = small.read_text(encoding="utf-8")
    assert re.search(r'<script[^>]*\bsrc="https://cdn\.plot\.ly/', cdn)
    assert small.stat().st_size < 2_000_000
    assert page.stat().st_size > 3_000_000  # plotly.js embedded


def test_figure_has_a_panel_per_ticker_and_percent_axes(result: BacktestResult) -> None:
    fig = figure(result)
    titles = [a.text for a in fig.layout.annotations]
    for ticker in ("NVDA (core)", "NBIS", "CRWV"):
        assert any(t.startswith(ticker) for t in titles)
    assert fig.layout.yaxis.tickformat == ".0%" and fig.layout.yaxis2.tickformat == ".0%"
    legend = [trace.name for trace in fig.data if trace.showlegend is not False]
    for name in ("entries", "exits", "stops", "events (hover)", "stop level", "close"):
        assert legend.count(name) == 1, legend  # once, on a trace with points
    events = [t for t in fig.data if t.name == "events (hover)" and len(t.x)]
    assert events and all("announced" in text for trace in events for text in trace.text)


def test_png_has_a_legend_and_event_labels_that_do_not_overlap(result: BacktestResult) -> None:
    import matplotlib.pyplot as plt

    fig = png_figure(result)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    try:
        for axis in fig.axes[2:]:
            legend = {text.get_text().split(" (")[0] for text in axis.get_legend().get_texts()}
            assert {"close", "entries", "exits", "stops", "events"} <= legend
            boxes = [t.get_window_extent(renderer) for t in axis.texts if t.get_gid() == EVENT_LABEL]
            assert all(not a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
        crwv = [t for t in fig.axes[-1].texts if t.get_gid() == EVENT_LABEL]
        assert len(crwv) >= 10  # CRWV's crowded September 2025 is labelled, every one
    finally:
        plt.close(fig)


@pytest.mark.parametrize("args", [["backtest"], ["backtest", "--json"]])
def test_a_backtest_never_imports_vectorbt(args: list[str]) -> None:
    code = ("import sys\nfrom satellite_cli.app import app\n"
            f"try:\n    app({args!r}, prog_name='satellite')\nexcept SystemExit as done:\n"
            "    assert not done.code, done.code\n"
            "sys.exit(3 if any(m.split('.')[0] == 'vectorbt' for m in sys.modules) else 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
