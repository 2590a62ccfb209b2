"""`satellite events list | show | validate | add | study`: the event catalogue and its study."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from events.align import AlignedEvent, align_all
from events.catalogue import KINDS, TIMINGS
from events.service import catalogue_paths, load_events, load_frames_for
from events.views import list_row, show_payload, validation_notes
from satellite.context import AppContext
from satellite.errors import UserInputError
from satellite.options import parse_ticker
from satellite.output import console, percent, print_json

app = typer.Typer(help="The event catalogue: list, show, validate, add; the event study.",
                  no_args_is_help=True)

TickerOption = Annotated[str | None, typer.Option("--ticker", help="only this ticker")]
KindOption = Annotated[str | None, typer.Option("--kind", help=f"only this kind: {', '.join(KINDS)}")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]


def parse_kind(text: str | None) -> str | None:
    if text is None:
        return None
    kind = text.strip().lower()
    if kind not in KINDS:
        hint = difflib.get_close_matches(kind, KINDS, n=1)
        fix = f"did you mean {hint[0]!r}?" if hint else f"use one of {', '.join(KINDS)}"
        raise UserInputError(f"--kind {text!r}: unknown kind; {fix}")
    return kind


def parse_timing(text: str) -> str:
    timing = text.strip().lower().replace("-", "_")
    if timing not in TIMINGS:
        raise UserInputError(f"--timing {text!r}: use one of {', '.join(TIMINGS)}")
    return timing


def filtered(
    aligned: list[AlignedEvent], ticker: str | None, kind: str | None
) -> list[AlignedEvent]:
    return [
        item for item in aligned
        if (ticker is None or item.ticker == ticker) and (kind is None or item.event.kind == kind)
    ]


def _aligned(context: AppContext) -> tuple[list[AlignedEvent], dict[str, Any]]:
    events = load_events(context.config, context.store)
    frames = load_frames_for(context.store, events)
    return align_all(events, frames), frames


@app.command("list")
def list_events(
    ctx: typer.Context, ticker: TickerOption = None, kind: KindOption = None, as_json: JsonOption = False
) -> None:
    """One row per (event, ticker): day 0, pre-announcement close, day-0 and 5-session moves."""
    context: AppContext = ctx.obj
    symbol = None if ticker is None else parse_ticker(ticker)
    aligned, frames = _aligned(context)
    rows = [list_row(item, frames[item.ticker]) for item in filtered(aligned, symbol, parse_kind(kind))]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"Events ({len(rows)} event-ticker rows)")
    for column in ("id", "ticker", "announced", "timing", "day 0", "pre close", "day 0",
                   "5 sessions", "kind", "counterparty", "value"):
        table.add_column(column, justify="right" if column in ("pre close", "day 0", "5 sessions",
                                                               "value") else "left")
    for row in rows:
        table.add_row(
            row["id"], row["ticker"], row["announced"], row["timing"], row["day0"] or "-",
            "-" if row["pre_close"] is None else f"{row['pre_close']:.2f}",
            percent(row["day0_return"]), percent(row["return_5d"]), row["kind"],
            row["counterparty"] or "-", usd(row["value_usd"], row["value_usd_max"]),
        )
    console.print(table)


def usd(value: float | None, value_max: float | None = None) -> str:
    if value is None:
        return "-"
    text = _short(value)
    return f"{text}-{_short(value_max)}" if value_max is not None else text


def _short(value: float) -> str:
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:.4g}{suffix}"
    return f"{value:.0f}"


@app.command("show")
def show(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(metavar="ID", help="event id, e.g. nbis-microsoft")],
    as_json: JsonOption = False,
) -> None:
    """Everything about one event, with each ticker's price path from day -5 to day +20."""
    context: AppContext = ctx.obj
    aligned, frames = _aligned(context)
    mine = [item for item in aligned if item.event.id == event_id]
    if not mine:
        ids = list(dict.fromkeys(item.event.id for item in aligned))
        hint = difflib.get_close_matches(event_id, ids, n=1)
        fix = f"did you mean {hint[0]!r}?" if hint else "see `satellite events list`"
        raise UserInputError(f"no event {event_id!r} in the catalogues; {fix}")
    payload = show_payload(mine, frames)
    if as_json:
        print_json(payload)
        return
    _print_show(payload)


def _print_show(payload: dict[str, Any]) -> None:
    console.print(f"[bold]{payload['id']}[/bold]  {payload['kind']}  announced "
                  f"{payload['announced']} ({payload['timing']})", soft_wrap=True)
    for label, key in (("summary", "summary"), ("counterparty", "counterparty"),
                       ("file", "file")):
        if payload[key]:
            console.print(f"  {label}: {payload[key]}", soft_wrap=True)
    if payload["value_usd"] is not None:
        console.print(f"  value: {usd(payload['value_usd'], payload['value_usd_max'])} USD")
    if payload["sources"]:
        console.print(f"  sources: {'; '.join(payload['sources'])}", soft_wrap=True)
    for detail in payload["tickers_detail"]:
        pre = "-" if detail["pre_close"] is None else f"{detail['pre_close']:.2f}"
        console.print(
            f"\n[bold]{detail['ticker']}[/bold]: day 0 {detail['day0'] or '-'}, pre-announcement "
            f"close {pre}, day 0 {percent(detail['day0_return'])}, 5 sessions "
            f"{percent(detail['return_5d'])}", soft_wrap=True,
        )
        if detail["note"]:
            console.print(f"  note: {detail['note']}", soft_wrap=True)
        if detail["path"]:
            table = Table(show_edge=False)
            for column in ("day", "date", "close", "vs pre close"):
                table.add_column(column, justify="right")
            for point in detail["path"]:
                table.add_row(str(point["day"]), point["date"], f"{point['close']:.2f}",
                              percent(point["vs_pre_close"]))
            console.print(table)


@app.command("validate")
def validate(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(help="a catalogue file (default: all configured)")]
    = None,
) -> None:
    """Check the catalogues (exit 2 naming file, event id and field on the first problem)."""
    context: AppContext = ctx.obj
    extra = [] if file is None else [file]
    events = load_events(context.config, context.store, extra)
    frames = load_frames_for(context.store, events)
    checked = list(dict.fromkeys(catalogue_paths(context.config) + extra))
    console.print(f"ok: {len(events)} events in {len(checked)} catalogue file(s)", soft_wrap=True)
    for path in checked:
        count = sum(1 for event in events if event.file == path)
        console.print(f"  {path}: {count} events", soft_wrap=True)
    for note in validation_notes(align_all(events, frames)):
        console.print(f"  note: {note}", soft_wrap=True)
