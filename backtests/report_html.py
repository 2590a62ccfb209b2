"""The backtest's HTML report: one page an investor reads top to bottom.

A header table of the stats beside the core's buy-and-hold, monthly-returns heatmaps (the
strategy's and the core's), the five worst drawdowns, the plotly figure
(backtests/report_figure.py) and a trade list sortable by any column (a click on its header).
plotly.js is embedded by default (the page opens offline, about 5 MB); `cdn=True` loads it
from plotly's CDN instead (well under 2 MB).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from backtests.metrics_returns import monthly_grid
from backtests.report import STAT_GROUPS, Stats, format_stat
from backtests.report_figure import figure
from backtests.run import BacktestResult
from satellite.files import write_text_atomically

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

SIGNED = frozenset({"total_return", "cagr", "best_day", "worst_day", "alpha", "avg_win",
                    "avg_loss", "expectancy"})
"""Stats coloured by sign (green gains, red losses); the others are sizes, not results."""

STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 24px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 18px 0 6px; }
.sub { color: #666; margin: 0 0 12px; }
.top { display: flex; flex-wrap: wrap; gap: 32px; align-items: flex-start; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e4e4e4; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.group td { font-weight: 600; background: #f4f4f4; }
table.heat td { text-align: right; min-width: 44px; }
table.sortable th { cursor: pointer; background: #f4f4f4; position: sticky; top: 0; }
table.sortable th:after { content: " \\2195"; color: #aaa; }
.pos { color: #11772d; } .neg { color: #b3261e; }
"""

SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.from(body.rows);
      var up = th.dataset.dir !== "asc"; th.dataset.dir = up ? "asc" : "desc";
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return up ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def write_html(result: BacktestResult, path: Path, cdn: bool = False) -> None:
    """The report at `path` (plotly.js embedded, or from its CDN when cdn)."""
    plot = figure(result).to_html(full_html=False, include_plotlyjs="cdn" if cdn else True,
                                  config={"responsive": True, "displaylogo": False})
    title = (f"{result.strategy}: {result.start:%Y-%m-%d} to {result.end:%Y-%m-%d} "
             f"({len(result.panel.sessions)} sessions)")
    page = "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="sub">beside {escape(result.core)} buy &amp; hold over the same sessions, '
        f"same costs; fractions shown as percentages; ratios annualised over 252 sessions</p>",
        '<div class="top"><section><h2>Stats</h2>', stats_table(result), "</section><section>",
        f"<h2>Monthly returns: {escape(result.strategy)}</h2>",
        heatmap(result.stats["monthly_returns"]),
        f"<h2>Monthly returns: {escape(result.core)} buy &amp; hold</h2>",
        heatmap(result.benchmark_stats["monthly_returns"]),
        "<h2>Worst drawdowns</h2>", drawdown_table(result.stats), "</section></div>",
        "<h2>Charts</h2>", plot,
        f"<h2>Trades ({len(result.trades)}: click a column to sort)</h2>", trade_table(result),
        f"<script>{SORT_SCRIPT}</script></body></html>",
    ])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, page)


def _signed(text: str, value: object) -> str:
    if isinstance(value, int | float) and value != 0 and value == value:
        return f'<span class="{"pos" if value > 0 else "neg"}">{text}</span>'
    return text


def stats_table(result: BacktestResult) -> str:
    head = (f'<tr><th></th><th class="num">{escape(result.strategy)}</th>'
            f'<th class="num">{escape(result.core)} buy &amp; hold</th></tr>')
    rows = [head]
    for group, stat_rows in STAT_GROUPS.items():
        rows.append(f'<tr class="group"><td colspan="3">'
                    f"{escape(group.replace('the core', result.core))}</td></tr>")
        for row in stat_rows:
            cells = "".join(f'<td class="num">{_stat(stats, row.key, row.kind)}</td>'
                            for stats in (result.stats, result.benchmark_stats))
            rows.append(f"<tr><td>{escape(row.label)}</td>{cells}</tr>")
    return f'<table class="stats">{"".join(rows)}</table>'


def _stat(stats: Stats, key: str, kind: str) -> str:
    value = stats[key]  # type: ignore[literal-required]
    text = format_stat(value, kind)
    return _signed(text, value) if key in SIGNED else text


def heat_colour(value: float | None, scale: float) -> str:
    """Green for gains, red for losses, stronger with the size of the move."""
    if value is None or value != value:
        return "#fafafa"
    alpha = 0.12 + 0.68 * min(abs(value) / scale, 1.0) if scale > 0 else 0.12
    return f"rgba(17,140,60,{alpha:.2f})" if value >= 0 else f"rgba(200,40,30,{alpha:.2f})"


def heatmap(monthly: dict[str, float]) -> str:
    grid = monthly_grid(monthly)
    scale = max((abs(v) for v in monthly.values() if v == v), default=0.0)
    head = "<tr><th></th>" + "".join(f'<th class="num">{m}</th>' for m in (*MONTHS, "Year"))
    rows = [head + "</tr>"]
    for year, values in grid.items():
        cells = "".join(
            f'<td style="background:{heat_colour(v, scale)}">'
            f'{"" if v is None else format_stat(v, "percent")}</td>' for v in values)
        rows.append(f"<tr><td>{year}</td>{cells}</tr>")
    return f'<table class="heat">{"".join(rows)}</table>'


def drawdown_table(stats: Stats) -> str:
    head = ("<tr><th>start (peak)</th><th>trough</th><th>recovery</th>"
            '<th class="num">depth</th><th class="num">sessions</th></tr>')
    rows = [head]
    for dd in stats["drawdowns"]:
        rows.append(f"<tr><td>{dd['start']}</td><td>{dd['trough']}</td>"
                    f"<td>{dd['recovery'] or 'not yet'}</td>"
                    f'<td class="num">{format_stat(dd["depth"], "percent")}</td>'
                    f'<td class="num">{dd["length"]}</td></tr>')
    return f"<table>{''.join(rows)}</table>"


TRADE_COLUMNS = (("ticker", "ticker"), ("entry", "entry_date"), ("exit", "exit_date"),
                 ("sessions", "sessions"), ("reason", "reason"), ("shares", "shares"),
                 ("entry price", "entry_price"), ("exit price", "exit_price"),
                 ("P&L", "pnl"), ("P&L %", "pnl_pct"))


def trade_table(result: BacktestResult) -> str:
    head = "".join(f'<th class="{"num" if key not in ("ticker", "reason") else ""}">'
                   f"{escape(label)}</th>" for label, key in TRADE_COLUMNS)
    rows = []
    for trade in result.trades:
        cells = "".join(_trade_cell(key, trade[key]) for _, key in TRADE_COLUMNS)
        rows.append(f"<tr>{cells}</tr>")
    return (f'<table class="sortable" id="trades"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _trade_cell(key: str, value: object) -> str:
    if key == "reason":
        text = "open (end of data)" if value == "end_of_data" else str(value)
        return f'<td data-v="{escape(str(value))}">{escape(text)}</td>'
    if key in ("ticker", "entry_date", "exit_date"):
        return f'<td data-v="{escape(str(value))}">{escape(str(value))}</td>'
    number = float(value)  # type: ignore[arg-type]
    if key == "pnl_pct":
        text = _signed(format_stat(number, "percent"), number)
    elif key == "pnl":
        text = _signed(f"{number:,.2f}", number)
    elif key == "sessions":
        text = str(int(number))
    else:
        text = f"{number:,.2f}"
    return f'<td class="num" data-v="{number!r}">{text}</td>'
