"""`satellite check-bias STRATEGY`: does the strategy peek at data it could not have had?"""

from __future__ import annotations

from typing import Annotated

import typer

from satellite_cli.backtest import SetOption, load_events
from satellite_cli.context import AppContext
from satellite_cli.options import parse_date
from satellite_cli.output import console, print_json


def register(app: typer.Typer) -> None:
    app.command("check-bias")(check_bias_command)


def check_bias_command(
    ctx: typer.Context,
    strategy: Annotated[str, typer.Argument(help="strategy name")],
    start: Annotated[str | None, typer.Option(help="first session, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="last session, YYYY-MM-DD")] = None,
    overrides: SetOption = None,
    stride: Annotated[
        int, typer.Option(min=1, help="check every Nth session (plus the last 20 and changes)")
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Recompute signals on data truncated at each session; exit 4 if any differ."""
    from backtests.bias import LOOK_AHEAD_EXIT, check_bias
    from backtests.run import run_backtest
    from strategies.registry import build_strategy, parse_overrides

    context: AppContext = ctx.obj
    settings = context.config.settings
    built = build_strategy(strategy, settings, parse_overrides(overrides or []),
                           context.strategies())
    result = run_backtest(
        settings, context.store, strategy, parse_date(start, "--start"), parse_date(end, "--end"),
        events=load_events(context), strategy=built,
    )
    diffs, checked = check_bias(built, result.panel, result.events, stride=stride)
    if as_json:
        print_json({"strategy": strategy, "sessions_checked": checked,
                    "differences": [diff.as_json() for diff in diffs]})
    elif diffs:
        console.print(f"{strategy}: look-ahead at {len({d.session for d in diffs})} session(s) "
                      f"of {checked} checked:")
        for diff in diffs[:20]:
            console.print(f"  {diff.session:%Y-%m-%d} {diff.field} {diff.ticker}: full run "
                          f"{diff.full}, truncated run {diff.truncated}")
        if len(diffs) > 20:
            console.print(f"  ... and {len(diffs) - 20} more")
    else:
        console.print(f"{strategy}: no look-ahead in {checked} sessions checked")
    if diffs:
        raise typer.Exit(LOOK_AHEAD_EXIT)
