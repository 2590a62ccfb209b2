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
        "--walk-forward", help="K folds (anchored, or a moving window with --rolling); "
        "scores are means over the folds")] = None,
    rolling: Annotated[bool, typer.Option(
        "--rolling", help="walk-forward folds rank on the previous block only")] = False,
    blocks: Annotated[int, typer.Option(
        "--blocks", help="how many blocks of sessions CSCV compares to estimate PBO (even)")] = 16,
    top: Annotated[int, typer.Option(min=1, help="rules shown")] = 10,
    start: Annotated[str | None, typer.Option(help="first session, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="last session, YYYY-MM-DD")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    heatmap: Annotated[Path | None, typer.Option(
        "--heatmap", help="write a plotly heatmap (HTML)")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="write every rule to this CSV")] = None,
    save: Annotated[bool, typer.Option(
        "--save", help="write every rule to results/tune-STRATEGY-TIME.csv in the user data "
        "directory")] = False,
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
    from backtests.tune import COUNTS, TuneRequest, results_csv, run_tune
    from backtests.tune_exec import open_executor
    from backtests.tune_grid import parse_grid

    context: AppContext = ctx.obj
    settings = context.config.settings
    if metric not in METRICS or metric in COUNTS:
        raise UserInputError(f"--metric {metric!r}: one of "
                             f"{', '.join(m for m in METRICS if m not in COUNTS)}")
    if split is not None and walk_forward is not None:
        raise UserInputError("give --split or --walk-forward, not both")
    if csv is not None and save:
        raise UserInputError("give --csv FILE or --save, not both")
    strategies = context.strategies()
    params = parse_grid(grid or [], strategy, settings, strategies)
    request = TuneRequest(strategy, params, metric, min_trades, parse_date(split, "--split"),
                          walk_forward, top, parse_date(start, "--start"), parse_date(end, "--end"),
                          rolling, blocks, results_csv(context.results_dir, strategy) if save else csv)
    errors = Console(stderr=True)
    with open_executor(executor) as pool, Progress(
        TextColumn("sweeping"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=errors, transient=True, disable=not errors.is_terminal,
    ) as bar:
        def progress(total: int) -> Callable[[], None]:
            task = bar.add_task("chunks", total=total)
            return lambda: bar.advance(task)

        result = run_tune(settings, context.store, request, pool, load_events(context), progress,
                          strategies)
    if not as_json:  # JSON output stays one document
        note_stale_prices(context.store.load_frames(settings.portfolio.tickers))
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
    for path in (result.csv_path, heatmap):
        if path is not None:
            console.print(f"wrote {path}")


def show(metric: str, value: float) -> str:
    if metric in ("fills", "trades"):
        return "-" if value != value else str(int(value))
    return ratio(value) if metric in RATIOS else percent(value)


def print_result(result: TuneResult, core: str) -> None:
    from rich.table import Table

    fold = result.folds[0]
    kind = "rolling" if result.rolling else "anchored"
    spans = {"full": "", "split": "", "walk_forward": f" (mean of {len(result.folds)} {kind} folds)"}
    honesty = result.honesty
    title = (f"{result.strategy}: {result.rules:,} rules ({honesty.trials:,} distinct) ranked by "
             f"in-sample {result.metric}{spans[result.mode]}")
    table = Table(title=title)
    table.add_column("#", justify="right")
    for param in result.params:
        table.add_column(param.name.removeprefix("stops."), justify="right")
    is_label = (f"IS {fold.in_sample.start:%Y-%m-%d}..{fold.in_sample.end:%Y-%m-%d}"
                if result.mode != "walk_forward" else "IS (mean)")
    table.add_column(is_label, justify="right")
    if result.has_out_of_sample:
        oos = fold.out_of_sample
        label = (f"OOS {oos.start:%Y-%m-%d}..{oos.end:%Y-%m-%d}"
                 if oos is not None and result.mode == "split" else "OOS (mean)")
        table.add_column(label, justify="right")
    table.add_column("IS trades", justify="right")
    table.add_column("DSR", justify="right")
    table.add_column("plateau", justify="right")
    table.add_column("same fills as", justify="left")
    table.add_column("", justify="left")
    for rule in honesty.top:
        cells = [str(rule.rank), *(_value(rule.params[p.name]) for p in result.params),
                 show(result.metric, rule.in_sample[result.metric])]
        if rule.out_of_sample is not None:
            cells.append(show(result.metric, rule.out_of_sample[result.metric]))
        cells += [show("trades", rule.in_sample["trades"]), ratio(rule.deflated.probability),
                  show(result.metric, rule.plateau.median) + (" spike" if rule.plateau.spike else ""),
                  _same(rule.equivalent.rules, rule.equivalent.text(result.grid)),
                  "over-fitted" if rule.flagged else ""]
        table.add_row(*cells)
    bench = [f"{core} buy & hold", *([""] * len(result.params)),
             show(result.metric, result.benchmark["in_sample"][result.metric])]
    if "out_of_sample" in result.benchmark:
        bench.append(show(result.metric, result.benchmark["out_of_sample"][result.metric]))
    table.add_section()
    table.add_row(*bench, show("trades", result.benchmark["in_sample"]["trades"]), "", "", "", "")
    console.print(table)
    if result.eligible < result.rules:
        console.print(f"{result.rules - result.eligible} rules not ranked "
                      "(fewer closed trades than --min-trades, or no score)")
    for line in summary(result):
        console.print(line, markup=False, highlight=False)


def summary(result: TuneResult) -> list[str]:
    """PBO, what DSR and plateau mean, and the verdict on the winner."""
    honesty = result.honesty
    cscv = honesty.cscv
    span = honesty.span
    pbo = "-" if cscv.pbo != cscv.pbo else f"{cscv.pbo:.2f}"
    sample = ("" if cscv.combinations == cscv.total_combinations
              else f", a sample of {cscv.combinations:,} of {cscv.total_combinations:,}")
    lines = [f"PBO {pbo}: probability of backtest over-fitting (CSCV, {cscv.blocks} blocks of "
             f"{span.start:%Y-%m-%d}..{span.end:%Y-%m-%d}, {cscv.rules:,} distinct rules, "
             f"{cscv.metric}{sample}); DSR: deflated Sharpe probability after "
             f"{honesty.trials:,} trials; plateau: median {result.metric} of the grid neighbours"]
    verdict = honesty.explanation()
    lines.append(verdict if verdict is not None else
                 "the winner passes: PBO <= 0.5 and deflated Sharpe probability >= 0.95")
    return lines


def _same(rules: int, text: str) -> str:
    return "" if rules <= 1 else f"{rules - 1} more: {text}"


def _value(value: object) -> str:
    return "off" if value is None else str(value)
