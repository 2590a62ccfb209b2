"""`satellite config check`: validate config.toml and print the effective settings."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from satellite_cli.context import AppContext
from satellite_cli.output import print_json

app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)


@app.command("check")
def check(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Validate the config and print the effective settings (defaults filled in) as TOML."""
    from satellite.config import dump_config

    context: AppContext = ctx.obj
    loaded = context.config
    if loaded.settings.strategies:
        context.strategies()  # a [strategies.NAME] section must name a strategy
    effective = dump_config(loaded)
    if as_json:
        effective["data"]["effective_dir"] = str(context.data_dir)
        print_json({"path": str(loaded.path) if loaded.path else None, "config": effective})
        return
    origin = str(loaded.path) if loaded.path else "built-in defaults (no config.toml found)"
    typer.echo(f"# config ok: {origin}\n# data directory in use: {context.data_dir}\n"
               "# effective settings, defaults filled in; unset keys commented out\n")
    typer.echo(as_toml(effective))


def as_toml(settings: dict[str, Any]) -> str:
    """The settings as a TOML document a user could paste back: a None becomes a comment."""
    import tomlkit

    document = tomlkit.document()
    _fill(document, settings)
    return tomlkit.dumps(document)


def _fill(container: Any, values: dict[str, Any]) -> None:
    import tomlkit

    for key, value in values.items():
        if value is None:
            container.add(tomlkit.comment(f"{key} = (not set)"))
        else:
            container.add(key, _item(value))


def _item(value: Any) -> Any:
    import tomlkit

    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        array = tomlkit.aot()
        for item in value:
            array.append(_item(item))
        return array
    if not isinstance(value, dict):
        return value
    table = tomlkit.table()
    _fill(table, value)
    return table
