"""`satellite data check | update | import`: inspect, refresh and add price files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from satellite.errors import SatelliteError, TemporaryError, UserInputError
from satellite.tickers import parse_ticker
from satellite_cli.context import AppContext
from satellite_cli.output import console, print_json

app = typer.Typer(help="Check, update and import price data.", no_args_is_help=True)

TickersArgument = Annotated[
    list[str] | None, typer.Argument(help="tickers (default: every stored ticker)", show_default=False)
]


def _tickers(context: AppContext, given: list[str] | None) -> list[str]:
    if given:
        return [parse_ticker(ticker) for ticker in given]
    return context.store.tickers()


def check_ticker(context: AppContext, ticker: str) -> dict[str, Any]:
    """One row of `data check`: what is stored for ticker and whether it is valid and fresh."""
    from market.inventory import file_status
    from market.session_table import session_table

    status = file_status(context.store, ticker)
    row: dict[str, Any] = {
        "ticker": ticker, "first": status.first, "last": status.last, "rows": status.rows,
        "source": status.source, "valid": status.valid, "error": status.error, "stale_sessions": None,
    }
    if status.last is not None:
        row["stale_sessions"] = session_table().completed_after(
            dt.date.fromisoformat(status.last), dt.datetime.now(dt.UTC))
    return row


@app.command("check")
def check(
    ctx: typer.Context,
    tickers: TickersArgument = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Validate stored prices and report how stale each ticker is (exit 2 if any is invalid)."""
    context: AppContext = ctx.obj
    rows = [check_ticker(context, ticker) for ticker in _tickers(context, tickers)]
    if as_json:
        print_json(rows)
    else:
        print_check(context, rows)
    if any(not row["valid"] for row in rows):
        raise typer.Exit(2)


def print_check(context: AppContext, rows: list[dict[str, Any]]) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Prices (user dir: {context.data_dir})")
    for column in ("ticker", "first", "last", "rows", "source", "valid", "stale sessions"):
        table.add_column(column, justify="right" if column in ("rows", "stale sessions") else "left")
    for row in rows:
        valid = "[green]yes[/green]" if row["valid"] else "[red]no[/red]"
        table.add_row(
            row["ticker"], row["first"] or "-", row["last"] or "-", str(row["rows"] or "-"),
            row["source"] or "-", valid,
            "-" if row["stale_sessions"] is None else str(row["stale_sessions"]),
        )
    console.print(table)
    for row in rows:
        if row["error"]:
            console.print(f"[red]{row['ticker']}[/red]: {escape(row['error'])}", soft_wrap=True)


@app.command("update")
def update(ctx: typer.Context, tickers: TickersArgument = None) -> None:
    """Fetch missing sessions from Yahoo Finance (plus overlap), validate, write atomically;
    all within [data] update_timeout seconds (past it: exit 3, the rest unchanged)."""
    from rich.markup import escape

    from market.update import update_tickers

    context: AppContext = ctx.obj
    deadline = context.config.settings.data.update_timeout
    outcome = update_tickers(context.store, context.price_source, _tickers(context, tickers), deadline)
    for report in outcome.reports:
        console.print(report.describe(), soft_wrap=True)
    failures: list[SatelliteError] = list(outcome.failures)
    if outcome.unfinished:
        failures.append(TemporaryError(
            f"no answer within {deadline:g} s ([data] update_timeout) for {', '.join(outcome.unfinished)}: "
            "their prices are unchanged; retry later"))
    for err in failures:
        console.print(f"[red]failed[/red] {escape(str(err))}", soft_wrap=True)
    if failures:
        worst = max(failures, key=lambda err: err.exit_code)
        raise typer.Exit(worst.exit_code)


@app.command("import")
def import_csv(
    ctx: typer.Context,
    ticker: Annotated[str, typer.Argument(help="ticker to store the file as, e.g. QQQ")],
    file: Annotated[Path, typer.Argument(help="CSV with Date,Open,High,Low,Close,Volume",
                                         readable=False)],  # read_price_csv says why, in one line
    replace: Annotated[bool, typer.Option(
        "--replace", help="replace the prices already stored for TICKER")] = False,
) -> None:
    """Validate a CSV of daily prices and store it as TICKER in the user data directory."""
    from market.calendar import last_completed_session
    from market.validation import read_price_csv

    context: AppContext = ctx.obj
    symbol = parse_ticker(ticker)
    if not file.exists():
        raise UserInputError(f"{file}: file not found")
    frame = read_price_csv(file, not_after=last_completed_session())
    incoming = f"{len(frame)} sessions ({frame.index[0]:%Y-%m-%d} to {frame.index[-1]:%Y-%m-%d})"
    if context.store.has(symbol):
        held = context.store.load(symbol)
        stored = (f"{len(held.frame)} {held.source} sessions "
                  f"({held.frame.index[0]:%Y-%m-%d} to {held.frame.index[-1]:%Y-%m-%d})")
        if not replace:
            raise UserInputError(
                f"{symbol} already has {stored}; {file} holds {incoming}. Add --replace to replace "
                f"them (`satellite data remove {symbol}` goes back to the bundled prices)"
            )
        console.print(f"{symbol}: replacing {stored} with {incoming}", soft_wrap=True)
    path = context.store.write(symbol, frame)
    console.print(f"{symbol}: imported {incoming} into {path}", soft_wrap=True)


@app.command("remove")
def remove(
    ctx: typer.Context,
    ticker: Annotated[str, typer.Argument(help="ticker whose imported or updated prices to delete")],
) -> None:
    """Delete a ticker's prices from the user data directory (the bundled file, if any, is used again)."""
    context: AppContext = ctx.obj
    symbol = parse_ticker(ticker)
    path = context.store.remove(symbol)
    after = context.store.path_of(symbol)
    fallback = f"; {symbol} now uses the bundled prices" if after else f"; {symbol} has no prices now"
    console.print(f"removed {path}{fallback}", soft_wrap=True)
