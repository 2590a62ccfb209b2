"""`satellite backtest`: run a strategy on the stored prices beside NVDA buy-and-hold."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from backtests.report import Stats
from backtests.run import BacktestResult, run_backtest
from satellite.context import AppContext
from satellite.options import parse_date
from satellite.output import console, percent, print_json, ratio

STAT_ROWS: list[tuple[str, str]] = [
    ("total_return", "Total return"),
    ("cagr", "CAGR"),
    ("max_drawdown", "Max drawdown"),
    ("sharpe", "Sharpe"),
    ("sortino", "Sortino"),
    ("calmar", "Calmar"),
    ("trades", "Fills"),
]


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest)


def backtest(
    ctx: typer.Context,
    strategy: Annotated[str, typer.Argument(help="strategy name")] = "core_satellite",
    start: Annotated[str | None, typer.Option(help="first session, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="last session, YYYY-MM-DD")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Backtest a strategy (default core_satellite) and compare it with buy-and-hold of the core."""
    context: AppContext = ctx.obj
    result = run_backtest(
        context.config.settings, context.store, strategy,
        parse_date(start, "--start"), parse_date(end, "--end"),
    )
    if as_json:
        print_json(result.as_json())
        return
    print_table(result, context.config.settings.portfolio.core)


def print_table(result: BacktestResult, core: str) -> None:
    table = Table(
        title=f"{result.strategy}  {result.start:%Y-%m-%d} to {result.end:%Y-%m-%d} "
        f"({len(result.panel.sessions)} sessions)"
    )
    table.add_column("")
    table.add_column(result.strategy, justify="right")
    table.add_column(f"{core} buy & hold", justify="right")
    for key, label in STAT_ROWS:
        table.add_row(label, _show(result.stats, key), _show(result.benchmark_stats, key))
    console.print(table)


def _show(stats: Stats, key: str) -> str:
    value = stats[key]  # type: ignore[literal-required]
    if key == "trades":
        return str(value)
    if key in ("sharpe", "sortino", "calmar"):
        return ratio(value)
    return percent(value)
