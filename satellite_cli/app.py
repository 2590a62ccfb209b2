"""The `satellite` command: global options, sub-commands, and the one place errors become exits.

Exit codes: 0 ok, 1 a bug (traceback with --debug), 2 bad user input, 3 temporary failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.models import Context

from satellite.errors import SatelliteError
from satellite.paths import use_numba_cache
from satellite_cli import alerts, backtest, bias, bot, config, data, events, positions, tune
from satellite_cli.context import AppContext


class SatelliteGroup(TyperGroup):
    """Turns SatelliteError into one line on stderr and its exit code; bugs into exit 1."""

    def invoke(self, ctx: Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except SatelliteError as err:
            if _debug(ctx):
                raise
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(err.exit_code) from None
        except Exception as err:
            if _debug(ctx):
                raise
            typer.echo(
                f"internal error (a bug in satellite): {type(err).__name__}: {err}; "
                "rerun with --debug for the traceback",
                err=True,
            )
            raise typer.Exit(1) from None


def _debug(ctx: Context) -> bool:
    return isinstance(ctx.obj, AppContext) and ctx.obj.debug


app = typer.Typer(
    cls=SatelliteGroup,
    help="Backtest and watch a core-satellite portfolio: NVDA core, CRWV and NBIS satellites.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: keeps "[env ...]" in the text and starts without rich
)


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="config file [env SATELLITE_CONFIG; default ./config.toml]",
                     readable=False),  # load_config says why it cannot read it, in one line
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="user data directory: prices, results, strategies, alert "
                     "database [env SATELLITE_DATA_DIR; then [data] dir; default "
                     "~/.local/share/satellite]"),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
) -> None:
    context = ctx.obj if isinstance(ctx.obj, AppContext) else AppContext()
    context.config_option = config if config is not None else context.config_option
    context.data_dir_option = data_dir if data_dir is not None else context.data_dir_option
    context.debug = debug or context.debug
    ctx.obj = context


app.add_typer(data.app, name="data")
app.add_typer(config.app, name="config")
app.add_typer(events.app, name="events")
app.add_typer(alerts.app, name="alerts")
app.add_typer(bot.app, name="bot")
app.add_typer(positions.app, name="positions")
backtest.register(app)
bias.register(app)
tune.register(app)


def main() -> None:
    use_numba_cache()  # before anything imports vectorbt's kernels or ours
    app(prog_name="satellite")


if __name__ == "__main__":
    main()
