"""`satellite backtest`: run a strategy on the stored prices beside NVDA buy-and-hold."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from satellite_cli.context import AppContext
from satellite_cli.notes import note_stale_prices
from satellite_cli.options import parse_date
from satellite_cli.output import console, print_json

if TYPE_CHECKING:  # the core packages load when a command runs, not for --help
    from events.catalogue import Event

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a parameter, key=value (stops.KEY for a stop); repeat"),
]


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest)


def backtest(
    ctx: typer.Context,
    strategy: Annotated[str, typer.Argument(help="strategy name")] = "core_satellite",
    start: Annotated[str | None, typer.Option(help="first session, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="last session, YYYY-MM-DD")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    list_strategies: Annotated[
        bool, typer.Option("--list", help="list strategies with their parameters")
    ] = False,
    overrides: SetOption = None,
    delay: Annotated[
        int, typer.Option(min=1, help="sessions from the signal's close to the filling open")
    ] = 1,
    html: Annotated[Path | None, typer.Option(
        "--html", help="write an HTML report: stats, monthly returns, trades, charts")] = None,
    html_cdn: Annotated[bool, typer.Option(
        "--html-cdn", help="the HTML report loads plotly.js from a CDN (smaller; needs the "
        "internet to open) instead of embedding it")] = False,
    png: Annotated[Path | None, typer.Option("--png", help="write a summary image")] = None,
) -> None:
    """Backtest a strategy (default core_satellite) and compare it with buy-and-hold of the core."""
    from backtests.run import run_backtest
    from strategies.registry import build_strategy, parse_overrides

    context: AppContext = ctx.obj
    if list_strategies:
        print_strategies(context, as_json)
        return
    settings = context.config.settings
    built = build_strategy(strategy, settings, parse_overrides(overrides or []),
                           context.strategies())
    result = run_backtest(
        settings, context.store, strategy, parse_date(start, "--start"), parse_date(end, "--end"),
        events=load_events(context), delay=delay, strategy=built,
    )
    if not as_json:  # JSON output stays one document
        note_stale_prices(context.store.load_frames(settings.portfolio.tickers))
    if html is not None:
        from backtests.report_html import write_html  # plotly loads only for a report

        write_html(result, html, cdn=html_cdn)
    if png is not None:
        from backtests.charts import write_png  # matplotlib loads only for an image

        write_png(result, png)
    if as_json:
        print_json(result.as_json())
        return
    from satellite_cli.backtest_output import print_report

    print_report(result)
    for path in (html, png):
        if path is not None:
            console.print(f"wrote {path}")


def load_events(context: AppContext) -> list[Event]:
    """The shipped catalogue and the user's ([events] files)."""
    from events.service import load_events as load

    return load(context.config, context.store)


def print_strategies(context: AppContext, as_json: bool) -> None:
    from strategies.registry import describe, discover

    found = discover(context.strategies_dir)
    if as_json:
        print_json({
            "strategies": [
                {"name": name, "description": cls.description,
                 "parameters": [{"name": key, "default": default, "description": text}
                                for key, default, text in describe(cls)]}
                for name, cls in found.strategies.items()
            ],
            "load_errors": found.load_errors,
        })
        return
    from rich.table import Table

    for name, cls in found.strategies.items():
        table = Table(title=f"{name}: {cls.description}", title_justify="left")
        for column in ("parameter", "default", "description"):
            table.add_column(column)
        for row in describe(cls):
            table.add_row(*row)
        if not cls.Params.model_fields:
            table.add_row("-", "-", "no parameters of its own")
        console.print(table)
    console.print("stops: [stops] in config.toml, [strategies.NAME.stops], or --set stops.KEY=V",
                  markup=False)
    for error in found.load_errors:
        typer.echo(f"warning: strategy file not loaded: {error}", err=True)
