"""`satellite config check`: validate config.toml and print the effective settings."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.pretty import Pretty

from satellite.config import dump_config
from satellite.cli.context import AppContext
from satellite.cli.output import console, print_json

app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)


@app.command("check")
def check(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Validate the config and print the effective settings (defaults filled in)."""
    context: AppContext = ctx.obj
    loaded = context.config
    effective = dump_config(loaded)
    effective["data"]["effective_dir"] = str(context.data_dir)
    if as_json:
        print_json({"path": str(loaded.path) if loaded.path else None, "config": effective})
        return
    origin = str(loaded.path) if loaded.path else "built-in defaults (no config.toml found)"
    console.print(f"[green]config ok[/green]: {origin}")
    console.print(Pretty(effective))
