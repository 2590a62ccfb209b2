"""`satellite positions list | add | close | import | history`: the position book from the CLI.

The book lives in the alert database (bot.book); changes made here are journaled as from the
CLI, by the user running the command.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from satellite.errors import UserInputError
from satellite_cli.context import AppContext
from satellite_cli.output import console, print_json

if TYPE_CHECKING:  # the alert engine loads when a command runs, not for --help
    from bot.book import Actor, BookPosition
    from bot.holdings import Holdings

app = typer.Typer(help="The position book: what you hold, every change journaled.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]
DateOption = Annotated[str | None, typer.Option(
    "--date", help="the session, YYYY-MM-DD (default: today's, or the last one)")]


@contextmanager
def holdings(context: AppContext) -> Iterator[Holdings]:
    from bot.alerting import database_path
    from bot.holdings import Holdings
    from bot.store import AlertStore

    store = AlertStore(database_path(context))
    try:
        yield Holdings(context, store)
    finally:
        store.close()


def cli_actor() -> Actor:
    from bot.book import Actor

    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a container)
        who = "unknown user"
    return Actor(who, "cli")


def _day(text: str | None) -> Any:
    from bot.holdings import parse_day, today_session

    return parse_day(text) if text is not None else today_session()


def print_lots(rows: list[BookPosition], title: str, stopped: dict[int, str] | None = None) -> None:
    from rich.table import Table

    if not rows:
        console.print(f"{title}: none (`satellite positions add` or /bought in the chat adds one)")
        return
    table = Table(title=title)
    for column in ("id", "ticker", "shares", "bought", "price", "status", "stop rules"):
        table.add_column(column, overflow="fold")
    for row in rows:
        price = f"{row.entry_price:.2f}" if row.entry_price is not None else "at the open"
        if row.is_open:
            status = (stopped or {}).get(row.id, "open")
            status += f" (held through {', '.join(map(str, row.holds))})" if row.holds else ""
        else:
            status = f"sold {row.exit_date} at {row.exit_price:.2f} ({row.exit_note})"
        own = ", ".join(f"{key} {value:g}" for key, value in row.stop.items()) or "[stops]"
        table.add_row(str(row.id), row.ticker, f"{row.shares:g}", str(row.entry_date), price, status, own)
    console.print(table)


def _stopped(found: Holdings) -> dict[int, str]:
    """Open lots the last evaluation found stopped: the owner has not recorded the sale yet."""
    state = found.book.store.rule_state()
    out = {}
    for key, lot in state.items():
        if "#" in key and lot["stopped"]:
            out[int(key.split("#")[1])] = f"STOP HIT {lot['session']} at {lot['fill']:.2f}: record the sale"
    return out


@app.command("list")
def list_command(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="sold lots too")] = False,
    as_json: JsonOption = False,
) -> None:
    """The open lots (with --all the sold ones too); a lot the stop model found stopped says so."""
    with holdings(ctx.obj) as found:
        rows = found.open().positions(open_only=not show_all)
        stopped = _stopped(found)
    held_through = {row.id for row in rows if any(str(day) in stopped.get(row.id, "") for day in row.holds)}
    stopped = {key: text for key, text in stopped.items() if key not in held_through}
    if as_json:
        print_json([{**row.as_json(), "stop_hit": stopped.get(row.id) if row.is_open else None}
                    for row in rows])
        return
    print_lots(rows, "Position book" if show_all else "Open positions", stopped)


@app.command("add")
def add_command(
    ctx: typer.Context,
    ticker: Annotated[str, typer.Argument(help="e.g. NBIS")],
    shares: Annotated[float, typer.Argument(help="number of shares bought")],
    price: Annotated[float | None, typer.Option(help="price paid (default: the session's open)")] = None,
    date: DateOption = None,
    stop: Annotated[list[str] | None, typer.Option(
        "--stop", help="the lot's own stop rule, KEY=VALUE (trailing_pct, fixed_pct, atr_mult, "
        "atr_window); repeat")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a lot bought on a session (validated against the stored prices and the calendar)."""
    from bot.holdings import parse_number

    own = {}
    for item in stop or []:
        key, _, value = item.partition("=")
        own[key.strip()] = parse_number(value.strip(), f"--stop {key.strip()}")
    with holdings(ctx.obj) as found:
        plan = found.plan_purchase(ticker, shares, price, _day(date), own)
        [row] = found.apply(plan, cli_actor())
    if as_json:
        print_json(row.as_json())
    else:
        print_lots([row], "Added")


@app.command("close")
def close_command(
    ctx: typer.Context,
    ticker: Annotated[str, typer.Argument(help="e.g. NBIS")],
    shares: Annotated[float | None, typer.Option(help="shares sold (default: all held)")] = None,
    price: Annotated[float | None, typer.Option(help="price got (default: the session's close)")] = None,
    date: DateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a sale: the oldest lots first; part of a lot splits it (the rest stays open)."""
    with holdings(ctx.obj) as found:
        plan = found.plan_sale(ticker, shares, price, _day(date))
        rows = found.apply(plan, cli_actor())
        still = [row for row in found.book.positions(open_only=True) if row.ticker == plan.ticker]
    if as_json:
        print_json({"sold": [row.as_json() for row in rows], "open": [row.as_json() for row in still]})
        return
    print_lots(rows, "Sold")
    print_lots(still, f"Still open in {plan.ticker}")


@app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(
        help="a TOML file of [[positions]] (default: config.toml's [[positions]], positions_file)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Take [[positions]] into the book: a lot with the same ticker and entry date is updated,
    any other added (all validated before anything is stored)."""
    from bot.holdings import import_positions

    context: AppContext = ctx.obj
    configs = _read_positions(file) if file is not None else list(context.config.settings.positions)
    if not configs:
        raise UserInputError(f"{file or 'config.toml'}: no [[positions]] to import")
    with holdings(context) as found:
        report = import_positions(found, configs, cli_actor())
    if as_json:
        print_json({name: [row.as_json() for row in getattr(report, name)]
                    for name in ("added", "updated", "unchanged")})
        return
    for name in ("added", "updated", "unchanged"):
        print_lots(getattr(report, name), name.capitalize())


def _read_positions(path: Path) -> list[Any]:
    import tomllib

    from pydantic import ValidationError

    from satellite.config_errors import describe_error
    from satellite.config_positions import PositionsFile

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return list(PositionsFile.model_validate(raw).positions)
    except OSError as err:
        raise UserInputError(f"{path}: cannot read it ({err.strerror})") from None
    except tomllib.TOMLDecodeError as err:
        raise UserInputError(f"{path}: invalid TOML: {err}") from None
    except ValidationError as err:
        raise UserInputError(f"{path}: {describe_error(err, PositionsFile)}") from None


@app.command("history")
def history_command(
    ctx: typer.Context,
    position: Annotated[int | None, typer.Argument(help="one lot's id (default: every change)")] = None,
    as_json: JsonOption = False,
) -> None:
    """The journal: every change of the book, who made it, from where, and the values before and after."""
    from rich.table import Table

    with holdings(ctx.obj) as found:
        entries = found.open().journal(position)
    if as_json:
        print_json([entry.as_json() for entry in entries])
        return
    table = Table(title="Position book journal")
    for column in ("at (UTC)", "lot", "action", "who", "via", "change"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(entry.at, str(entry.position_id), entry.action, entry.who, entry.via,
                      _change(entry.old, entry.new))
    console.print(table)


def _change(old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    if old is None:
        return ", ".join(f"{key} {_text(value)}" for key, value in (new or {}).items()
                         if key not in ("id", "status") and value not in (None, [], {}))
    return ", ".join(f"{key} {_text(old.get(key))} -> {_text(value)}" for key, value in (new or {}).items()
                     if old.get(key) != value)


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
