"""How `satellite backtest` prints: rich tables (loaded only when the command prints)."""

from __future__ import annotations

from rich.table import Table

from backtests.metrics_returns import monthly_grid
from backtests.report import STAT_GROUPS, Stats, format_stat
from backtests.run import BacktestResult
from satellite_cli.output import console, percent

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def print_report(result: BacktestResult) -> None:
    """The stats beside the core's buy-and-hold, the worst drawdowns, the monthly returns and
    the exits by reason."""
    print_stats(result)
    print_drawdowns(result.stats)
    print_monthly(result.stats, result.strategy)
    print_exits(result)


def print_stats(result: BacktestResult) -> None:
    table = Table(
        title=f"{result.strategy}  {result.start:%Y-%m-%d} to {result.end:%Y-%m-%d} "
        f"({len(result.panel.sessions)} sessions)"
    )
    table.add_column("")
    table.add_column(result.strategy, justify="right")
    table.add_column(f"{result.core} buy & hold", justify="right")
    for group, rows in STAT_GROUPS.items():
        table.add_row(f"[bold]{group.replace('the core', result.core)}[/bold]", "", "")
        for row in rows:
            table.add_row(f"  {row.label}", _cell(result.stats, row.key, row.kind),
                          _cell(result.benchmark_stats, row.key, row.kind))
        if group != list(STAT_GROUPS)[-1]:
            table.add_section()
    console.print(table)


def _cell(stats: Stats, key: str, kind: str) -> str:
    return format_stat(stats[key], kind)  # type: ignore[literal-required]


def print_drawdowns(stats: Stats) -> None:
    table = Table(title="Worst drawdowns")
    for column in ("start (peak)", "trough", "recovery", "depth", "sessions"):
        table.add_column(column, justify="right" if column in ("depth", "sessions") else "left")
    for dd in stats["drawdowns"]:
        table.add_row(str(dd["start"]), str(dd["trough"]), str(dd["recovery"] or "not yet"),
                      percent(dd["depth"]), str(dd["length"]))  # type: ignore[arg-type]
    console.print(table)


def print_monthly(stats: Stats, strategy: str) -> None:
    table = Table(title=f"Monthly returns: {strategy}")
    table.add_column("")
    for column in (*MONTHS, "Year"):
        table.add_column(column, justify="right")
    for year, row in monthly_grid(stats["monthly_returns"]).items():
        table.add_row(year, *(percent(value) for value in row))
    console.print(table)


def print_exits(result: BacktestResult) -> None:
    table = Table(title="Exits by reason")
    for column in ("reason", "trades", "avg return"):
        table.add_column(column, justify="left" if column == "reason" else "right")
    for reason, count in result.exits_by_reason.items():
        if count == 0:
            continue
        returns = [t["return"] for t in result.trades if t["reason"] == reason]
        average = sum(returns) / len(returns) if returns else None
        label = "cap (trims)" if reason == "cap" else reason
        table.add_row(label, str(count), percent(average))
    console.print(table)
