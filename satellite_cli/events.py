"""`satellite events list | show | validate | add | study | suggest`: the event catalogue, its study
and the moves it lacks."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from events.vocabulary import KINDS, TIMINGS
from satellite.errors import UserInputError
from satellite.tickers import parse_ticker
from satellite_cli.context import AppContext
from satellite_cli.notes import note_stale_prices
from satellite_cli.output import console, print_json

if TYPE_CHECKING:  # the catalogue, prices and the study load when a command runs
    import pandas as pd

    from events.align import AlignedEvent

app = typer.Typer(help="The event catalogue: list, show, validate, add; the event study; suggest.",
                  no_args_is_help=True)

TickerOption = Annotated[str | None, typer.Option("--ticker", help="only this ticker")]
KindOption = Annotated[str | None, typer.Option("--kind", help=f"only this kind: {', '.join(KINDS)}")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]
ALTERNATIVE_BENCHMARK = "QQQ"  # for events on the benchmark itself, when its prices are stored


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
    """The events of ticker and kind; a ticker no event names is a mistake, not an empty table."""
    known = sorted({item.ticker for item in aligned})
    if ticker is not None and ticker not in known:
        hint = difflib.get_close_matches(ticker, known, n=1)
        fix = f"did you mean {hint[0]}?" if hint else f"the catalogue covers {', '.join(known)}"
        raise UserInputError(f"--ticker {ticker}: no event in the catalogues names it; {fix}")
    return [
        item for item in aligned
        if (ticker is None or item.ticker == ticker) and (kind is None or item.event.kind == kind)
    ]


def _aligned(context: AppContext) -> tuple[list[AlignedEvent], dict[str, pd.DataFrame]]:
    """Every catalogued event aligned on its tickers' prices, and those prices."""
    from events.align import align_all
    from events.service import load_events, load_frames_for

    events = load_events(context.config, context.store)
    frames = load_frames_for(context.store, events)
    return align_all(events, frames), frames


@app.command("list")
def list_events(
    ctx: typer.Context, ticker: TickerOption = None, kind: KindOption = None, as_json: JsonOption = False
) -> None:
    """One row per (event, ticker): day 0, pre-announcement close, day-0 and 5-session moves."""
    from events.views import list_row
    from satellite_cli import events_output as out

    context: AppContext = ctx.obj
    symbol = None if ticker is None else parse_ticker(ticker)
    aligned, frames = _aligned(context)
    rows = [list_row(item, frames[item.ticker]) for item in filtered(aligned, symbol, parse_kind(kind))]
    if as_json:
        print_json(rows)
        return
    out.print_list(rows)


@app.command("show")
def show(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(metavar="ID", help="event id, e.g. nbis-microsoft")],
    as_json: JsonOption = False,
) -> None:
    """Everything about one event, with each ticker's price path from day -5 to day +20."""
    from events.views import show_payload
    from satellite_cli import events_output as out

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
    out.print_show(payload)


@app.command("validate")
def validate(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(
        help="a catalogue file (default: all configured)",
        readable=False)] = None,  # the catalogue reader says why it cannot read it, in one line
) -> None:
    """Check the catalogues (exit 2 naming file, event id and field on the first problem)."""
    from events.align import align_all
    from events.service import catalogue_paths, load_events, load_frames_for
    from events.views import validation_notes

    context: AppContext = ctx.obj
    extra = [] if file is None else [file]
    events = load_events(context.config, context.store, extra)
    frames = load_frames_for(context.store, events)
    checked = list(dict.fromkeys(catalogue_paths(context.config) + extra))
    console.print(f"ok: {len(events)} events in {len(checked)} catalogue file(s)",
                  soft_wrap=True, markup=False)
    for path in checked:
        count = sum(1 for event in events if event.file == path)
        console.print(f"  {path}: {count} events", soft_wrap=True, markup=False)
    for note in validation_notes(align_all(events, frames)):
        console.print(f"  note: {note}", soft_wrap=True, markup=False)


@app.command("study")
def study(
    ctx: typer.Context,
    benchmark: Annotated[str | None, typer.Option(
        "--benchmark", help="market-model benchmark [default: the portfolio core, NVDA]")] = None,
    window: Annotated[str, typer.Option(
        "--window", help="event window FIRST:LAST in sessions (write --window=-5:20)")] = "-5:20",
    estimation: Annotated[int, typer.Option(
        "--estimation", min=2, help="estimation window in sessions")] = 120,
    gap: Annotated[int, typer.Option(
        "--gap", min=0, help="sessions between estimation and event windows")] = 5,
    min_estimation: Annotated[int, typer.Option(
        "--min-estimation", min=2, help="fewest sessions for a fitted model")] = 30,
    placebo_draws: Annotated[int, typer.Option(
        "--placebo-draws", min=1000, help="pseudo-event samples per group for the placebo p-value")]
    = 2000,
    seed: Annotated[int, typer.Option("--seed", help="seed of the placebo draws")] = 15,
    ticker: TickerOption = None,
    kind: KindOption = None,
    as_json: JsonOption = False,
    html: Annotated[Path | None, typer.Option("--html", help="write a plotly HTML chart here")]
    = None,
) -> None:
    """Market-model event study: CARs per event and, by ticker and kind, mean CAR with the t, BMP,
    rank, sign and placebo tests; tradeable CAR from the first open after the news."""
    from events.plot import write_html
    from events.study import StudySettings
    from events.study_json import as_json as study_json
    from events.study_report import event_days_of, parse_window, run_study
    from satellite_cli import study_output as out

    context: AppContext = ctx.obj
    try:
        settings = StudySettings(parse_window(window), estimation, gap,
                                 min(min_estimation, estimation), placebo_draws, seed)
    except ValueError as err:
        raise UserInputError(f"--window {err}") from None
    bench = parse_ticker(benchmark) if benchmark else context.config.settings.portfolio.core
    symbol = None if ticker is None else parse_ticker(ticker)
    aligned_all, frames = _aligned(context)
    aligned = filtered(aligned_all, symbol, parse_kind(kind))
    alternative = ALTERNATIVE_BENCHMARK if context.store.has(ALTERNATIVE_BENCHMARK) else None
    for name in (bench, alternative):
        if name is not None and name not in frames:
            frames[name] = context.store.load(name).frame
    result = run_study(aligned, frames, settings, bench, alternative, event_days_of(aligned_all))
    if not as_json:  # JSON output stays one document
        note_stale_prices({name: frames[name] for name in {bench, *(item.ticker for item in aligned)}})
    if html is not None:
        written = write_html(result, html)
        if not as_json:
            console.print(f"wrote {written}", soft_wrap=True, markup=False)
    if as_json:
        print_json(study_json(result))
        return
    out.print_study(result)


@app.command("suggest")
def suggest(
    ctx: typer.Context,
    ticker: Annotated[str | None, typer.Option(
        "--ticker", help="only this ticker [default: the portfolio's tickers]")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="first session to scan, YYYY-MM-DD [default: the first catalogued "
        "announcement]")] = None,
    z: Annotated[float, typer.Option("--z", min=0.0, help="list sessions with |z| above this")] = 3.0,
    as_json: JsonOption = False,
) -> None:
    """Sessions whose abnormal return (market model, the study's estimation rules) is beyond z
    standard deviations and that no catalogue event explains (day 0 or +1), ranked by |z|."""
    import pandas as pd

    from events.study import StudySettings
    from events.study_report import choose_benchmark
    from events.suggest import scan_all, suggestion_json
    from satellite_cli import study_output as out
    from satellite_cli.options import parse_date

    context: AppContext = ctx.obj
    tickers = [parse_ticker(ticker)] if ticker else context.config.settings.portfolio.tickers
    for name in tickers:
        if not context.store.has(name):
            raise UserInputError(f"--ticker {name}: no prices stored; run `satellite data update {name}`")
    aligned, frames = _aligned(context)
    start = parse_date(since, "--since")
    if start is None and aligned:
        start = pd.Timestamp(min(item.event.announced for item in aligned))
    core = context.config.settings.portfolio.core
    alternative = ALTERNATIVE_BENCHMARK if context.store.has(ALTERNATIVE_BENCHMARK) else None
    benchmarks = {name: choose_benchmark(name, core, alternative) for name in tickers}
    for name in {*tickers, *(bench for bench in benchmarks.values() if bench is not None)}:
        if name not in frames:
            frames[name] = context.store.load(name).frame
    scan = scan_all(tickers, frames, aligned, benchmarks, StudySettings(), z, start)
    if as_json:
        print_json([suggestion_json(item) for item in scan.suggestions])
        return
    note_stale_prices({name: frames[name] for name in tickers})
    out.print_suggestions(scan, z)


def parse_usd(text: str | None, option: str) -> float | None:
    """'17.4e9', '17400000000' or '17.4B' (K, M, B, T suffixes) -> USD."""
    if text is None:
        return None
    cleaned = text.strip().replace(",", "").replace("_", "").upper().removeprefix("$")
    scale = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}.get(cleaned[-1:], 1.0)
    number = cleaned[:-1] if scale != 1.0 else cleaned
    try:
        return float(number) * scale
    except ValueError:
        raise UserInputError(f"{option} {text!r}: write USD as a number, e.g. 17.4e9 or 17.4B") from None


@app.command("add")
def add(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Option("--id", help="unique id, e.g. nbis-meta-3b")],
    announced: Annotated[str, typer.Option("--announced", help="announcement date YYYY-MM-DD")],
    timing: Annotated[str, typer.Option("--timing", help=", ".join(TIMINGS))],
    tickers: Annotated[list[str], typer.Option(
        "--tickers", help="ticker(s), comma-separated or repeated")],
    kind: Annotated[str, typer.Option("--kind", help=", ".join(KINDS))],
    counterparty: Annotated[str | None, typer.Option("--counterparty")] = None,
    value_usd: Annotated[str | None, typer.Option("--value-usd", help="e.g. 3e9 or 3B")] = None,
    value_usd_max: Annotated[str | None, typer.Option(
        "--value-usd-max", help="top of a reported range")] = None,
    summary: Annotated[str | None, typer.Option("--summary")] = None,
    sources: Annotated[list[str] | None, typer.Option("--source", help="repeatable")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="catalogue to append to [default: the first [events] files entry]")] = None,
) -> None:
    """Validate an event and append it to your catalogue (comments kept, atomic write)."""
    from events.edit import add_event
    from events.service import catalogue_paths

    context: AppContext = ctx.obj
    configured = catalogue_paths(context.config)[1:]
    target = file if file is not None else (configured[0] if configured else None)
    if target is None:
        raise UserInputError(
            "no catalogue to add to: pass --file FILE, or list your catalogue in config.toml as "
            '[events] files = ["my-events.toml"]'
        )
    fields = {
        "id": event_id.strip(), "announced": announced.strip(), "timing": parse_timing(timing),
        "tickers": [parse_ticker(part) for item in tickers for part in item.split(",") if part.strip()],
        "kind": parse_kind(kind), "counterparty": counterparty,
        "value_usd": parse_usd(value_usd, "--value-usd"),
        "value_usd_max": parse_usd(value_usd_max, "--value-usd-max"),
        "summary": summary, "sources": sources or [],
    }
    event = add_event(target, fields, catalogue_paths(context.config), set(context.store.tickers()))
    console.print(f"added {event.id} to {target}", soft_wrap=True, markup=False)
    known = {path.resolve() for path in catalogue_paths(context.config)}
    if target.resolve() not in known:
        console.print(f"note: {target} is not listed in config.toml [events] files; add it so "
                      "that the event is read", soft_wrap=True, markup=False)
