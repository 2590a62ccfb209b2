"""`satellite alerts check | replay | levels | list`: the alert engine from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from satellite.errors import UserInputError
from satellite_cli.context import AppContext
from satellite_cli.options import parse_date
from satellite_cli.output import console, print_json

if TYPE_CHECKING:  # the alert engine loads when a command runs, not for --help
    from bot.alert import Alert
    from bot.levels import NextLevel

app = typer.Typer(help="Evaluate, replay and list alerts.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]


def print_alerts(alerts: list[Alert], title: str) -> None:
    from rich.table import Table

    if not alerts:
        console.print(f"{title}: no new alert")
        return
    table = Table(title=title)
    for column in ("session", "rule", "subject", "message"):
        table.add_column(column, overflow="fold")
    for alert in alerts:
        table.add_row(f"{alert.session:%Y-%m-%d}", alert.rule, alert.subject, alert.message)
    console.print(table)


@app.command("check")
def check_command(
    ctx: typer.Context,
    date: Annotated[str | None, typer.Option(help="session to evaluate, YYYY-MM-DD")] = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluate the last completed session (or --date), record new alerts, print them."""
    from bot.alerting import check
    context: AppContext = ctx.obj
    alerts = check(context, parse_date(date, "--date"))
    if as_json:
        print_json([alert.as_json() for alert in alerts])
    else:
        print_alerts(alerts, "New alerts")


@app.command("replay")
def replay_command(
    ctx: typer.Context,
    start: Annotated[str, typer.Option(help="first session, YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="last session, YYYY-MM-DD")],
    as_json: JsonOption = False,
) -> None:
    """Every alert the rules would have sent between --start and --end, in order."""
    from bot.alerting import replay
    context: AppContext = ctx.obj
    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    if first is None or last is None:
        raise UserInputError("--start and --end are required")
    alerts = replay(context, first, last)
    if as_json:
        print_json([alert.as_json() for alert in alerts])
    else:
        print_alerts(alerts, f"Alerts {first:%Y-%m-%d} to {last:%Y-%m-%d}")


@app.command("levels")
def levels_command(
    ctx: typer.Context,
    date: Annotated[str | None, typer.Option(
        help="the session whose close the levels follow, YYYY-MM-DD (default: the last completed)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Tomorrow's stop levels: for each open position, each rule's level for the next session,
    the highest one and its change since the previous session (what goes into the stop orders)."""
    from bot.alerting import build_inputs, check_session
    from bot.levels import levels_after
    context: AppContext = ctx.obj
    day = check_session(parse_date(date, "--date"))
    rows = levels_after(build_inputs(context), day)
    if as_json:
        print_json([row.as_json() for row in rows])
    else:
        print_levels(rows, day)


def _price(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_levels(rows: list[NextLevel], day: object) -> None:
    from rich.table import Table

    if not rows:
        console.print(f"No open position after the close of {day:%Y-%m-%d}")
        return
    table = Table(title=f"Stop levels after the close of {day:%Y-%m-%d}")
    for column in ("ticker", "session", "stop", "rule", "change", "each rule", "take-profit", "close"):
        table.add_column(column, overflow="fold")
    for row in rows:
        change = "-" if row.change is None else f"{row.change:+.2f}"
        each = ", ".join(f"{rule} {level:.2f}" for rule, level in row.levels.items()) or "-"
        stop = f"sell at the open ({row.sell_at_open})" if row.sell_at_open else _price(row.level)
        table.add_row(row.ticker, f"{row.session:%Y-%m-%d}", stop, row.rule or "-", change, each,
                      _price(row.take_profit), f"{row.close:.2f}")
    console.print(table)


@app.command("list")
def list_command(
    ctx: typer.Context,
    pending: Annotated[bool, typer.Option("--pending", help="only alerts not delivered yet")] = False,
    limit: Annotated[int, typer.Option(help="newest N alerts", min=1)] = 50,
    as_json: JsonOption = False,
) -> None:
    """The alert ledger with each alert's delivery status."""
    from rich.table import Table

    from bot.alerting import database_path
    from bot.store import AlertStore
    context: AppContext = ctx.obj
    store = AlertStore(database_path(context))
    try:
        rows = store.rows(limit, pending_only=pending)
    finally:
        store.close()
    if as_json:
        print_json([row.as_json() for row in rows])
        return
    table = Table(title=f"Alert ledger ({database_path(context)})")
    for column in ("session", "rule", "subject", "fill", "stop rule", "delivery", "message"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(f"{row.alert.session:%Y-%m-%d}", row.alert.rule, row.alert.subject,
                      _price(row.alert.fill), row.alert.stop_rule or "-", row.status or "-",
                      row.alert.message)
    console.print(table)
