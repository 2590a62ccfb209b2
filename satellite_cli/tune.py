"""`satellite tune`: sweep a grid of stop/strategy parameters, rank in-sample, check out-of-sample."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from satellite.errors import UserInputError
from satellite_cli.backtest import load_events
from satellite_cli.context import AppContext
from satellite_cli.notes import note_stale_prices
from satellite_cli.options import parse_date
from satellite_cli.output import console, percent, print_json, ratio

if TYPE_CHECKING:  # the core packages load when the command runs, not for --help
    from backtests.tune import TuneResult

RATIOS = {"sharpe", "sortino", "calmar", "profit_factor"}


def register(app: typer.Typer) -> None:
    app.command("tune")(tune)


def tune(
    ctx: typer.Context,
    strategy: Annotated[str, typer.Argument(help="strategy name")],
    grid: Annotated[list[str] | None, typer.Option(
        "--grid", help="PARAM=start:stop:step or PARAM=a,b,c (stops.KEY for a stop); repeat")] = None,
    metric: Annotated[str, typer.Option(
        help="sharpe, sortino, calmar, total_return, cagr, max_drawdown (minimised), "
        "profit_factor")] = "sharpe",
    min_trades: Annotated[int, typer.Option(
        "--min-trades", min=0, help="rank only rules with at least N trades in-sample")] = 0,
    split: Annotated[str | None, typer.Option(
        help="rank before DATE (YYYY-MM-DD), re-score from DATE")] = None,
    walk_forward: Annotated[int | None, typer.Option(
        "--walk-forward", help="K anchored folds; mean out-of-sample score per rule")] = None,
    top: Annotated[int, typer.Option(min=1, help="rules shown")] = 10,
    start: Annotated[str | None, typer.Option(help="first session, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="last session, YYYY-MM-DD")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    heatmap: Annotated[Path | None, typer.Option(
        "--heatmap", help="write a plotly heatmap (HTML)")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="also write every rule to this CSV")] = None,
    executor: Annotated[str, typer.Option(
        help="local, dask (a local cluster) or dask=tcp://HOST:PORT")] = "local",
    adopt: Annotated[int | None, typer.Option(
        "--adopt", min=1, help="write the rule ranked N into config.toml ([stops], or "
        "[strategies.NAME.stops] when the config has one) and print the change")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="--adopt a rule the tuner flags as over-fitted")] = False,
) -> None:
    """Tune parameters (stop rules above all): ranked table, out-of-sample scores, heatmap."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from backtests.sweep_kernel import METRICS
    from backtests.tune import COUNTS, TuneRequest, run_tune
    from backtests.tune_exec import open_executor
    from backtests.tune_grid import parse_grid

    context: AppContext = ctx.obj
    settings = context.config.settings
    if metric not in METRICS or metric in COUNTS:
        raise UserInputError(f"--metric {metric!r}: one of "
                             f"{', '.join(m for m in METRICS if m not in COUNTS)}")
    if split is not None and walk_forward is not None:
        raise UserInputError("give --split or --walk-forward, not both")
    strategies = context.strategies()
    params = parse_grid(grid or [], strategy, settings, strategies)
    request = TuneRequest(strategy, params, metric, min_trades, parse_date(split, "--split"),
                          walk_forward, top, parse_date(start, "--start"), parse_date(end, "--end"))
    errors = Console(stderr=True)
    with open_executor(executor) as pool, Progress(
        TextColumn("sweeping"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=errors, transient=True, disable=not errors.is_terminal,
    ) as bar:
        def progress(total: int) -> Callable[[], None]:
            task = bar.add_task("chunks", total=total)
            return lambda: bar.advance(task)

        result = run_tune(settings, context.store, request, pool, load_events(context), progress,
                          context.results_dir, strategies)
    if not as_json:  # JSON output stays one document
        note_stale_prices(context.store.load_frames(settings.portfolio.tickers))
    if csv is not None:
        result.frame().to_csv(csv, index=False)
    if heatmap is not None:
        from backtests.tune_heatmap import write_heatmap  # plotly loads lazily

        write_heatmap(result, heatmap)
    adoption = None
    if adopt is not None:
        from satellite_cli.tune_adopt import adopt as adopt_rule

        adoption = adopt_rule(context.config.path, result, adopt, force)
    if as_json:
        print_json({**result.as_json(), "adopted": adoption.as_json() if adoption else None})
        return
    print_result(result, settings.portfolio.core)
    if adoption is not None:
        from satellite_cli.tune_adopt import notes

        console.print(adoption.change.diff(), markup=False, highlight=False, end="")
        own = sum(1 for p in settings.positions if p.stop.model_dump(exclude_none=True))
        for line in notes(adoption, strategy, own):
            console.print(line, markup=False, highlight=False)
    for path in (result.csv_path, csv, heatmap):
        if path is not None:
            console.print(f"wrote {path}")


def show(metric: str, value: float) -> str:
    if metric in ("fills", "trades"):
        return "-" if value != value else str(int(value))
    return ratio(value) if metric in RATIOS else percent(value)


def print_result(result: TuneResult, core: str) -> None:
    from rich.table import Table

    fold = result.folds[0]
    spans = {"full": "", "split": "", "walk_forward": f" (mean of {len(result.folds)} folds)"}
    title = (f"{result.strategy}: {len(result.rules):,} rules ranked by in-sample {result.metric}"
             f"{spans[result.mode]}")
    table = Table(title=title)
    table.add_column("#", justify="right")
    for param in result.params:
        table.add_column(param.name.removeprefix("stops."), justify="right")
    is_label = (f"IS {fold.in_sample.start:%Y-%m-%d}..{fold.in_sample.end:%Y-%m-%d}"
                if result.mode != "walk_forward" else "IS (mean)")
    table.add_column(is_label, justify="right")
    if result.out_of_sample is not None:
        oos = fold.out_of_sample
        label = (f"OOS {oos.start:%Y-%m-%d}..{oos.end:%Y-%m-%d}"
                 if oos is not None and result.mode == "split" else "OOS (mean)")
        table.add_column(label, justify="right")
    table.add_column("IS trades", justify="right")
    for i, rule in enumerate(result.order[: min(result.top, result.eligible)]):
        cells = [str(i + 1), *(_value(result.rules[rule][p.name]) for p in result.params),
                 show(result.metric, result.score("in_sample", rule))]
        if result.out_of_sample is not None:
            cells.append(show(result.metric, result.score("out_of_sample", rule)))
        cells.append(show("trades", result.score("in_sample", rule, "trades")))  # closed
        table.add_row(*cells)
    bench = [f"{core} buy & hold", *([""] * len(result.params)),
             show(result.metric, result.benchmark["in_sample"][result.metric])]
    if "out_of_sample" in result.benchmark:
        bench.append(show(result.metric, result.benchmark["out_of_sample"][result.metric]))
    table.add_section()
    table.add_row(*bench, show("trades", result.benchmark["in_sample"]["trades"]))
    console.print(table)
    if result.eligible < len(result.rules):
        console.print(f"{len(result.rules) - result.eligible} rules not ranked "
                      "(fewer closed trades than --min-trades, or no score)")


def _value(value: object) -> str:
    return "off" if value is None else str(value)
