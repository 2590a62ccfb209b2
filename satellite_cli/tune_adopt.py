"""`satellite tune ... --adopt N`: write the rule ranked N into config.toml.

The stop parameters go into [strategies.NAME.stops] when the config has that table for the
tuned strategy, else into [stops] (what the alerts follow); strategy parameters go into
[strategies.NAME]. Every other line and comment stays byte for byte (satellite.config_edit).

A rule whose ranked record carries `"flagged": true` (the tuner's over-fitting checks mark it;
a record without the key counts as not flagged) is refused unless --force is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from satellite.config_edit import ConfigChange, edit_config, has_table
from satellite.errors import UserInputError

if TYPE_CHECKING:
    from backtests.tune import TuneResult


@dataclass(frozen=True)
class Adoption:
    rank: int
    tables: dict[tuple[str, ...], dict[str, Any]]
    change: ConfigChange

    def as_json(self) -> dict[str, object]:
        return {"rank": self.rank, "path": str(self.change.path), "changed": self.change.changed,
                "tables": {".".join(table): values for table, values in self.tables.items()},
                "diff": self.change.diff()}


def chosen_record(records: list[dict[str, Any]], rank: int, force: bool) -> dict[str, Any]:
    """The ranked record N (1-based) of the tune's top list, unless flagged without --force."""
    if not records:
        raise UserInputError(f"--adopt {rank}: no rule was ranked, so there is nothing to adopt")
    if not 1 <= rank <= len(records):
        raise UserInputError(f"--adopt {rank}: pick one of the ranked rules shown, 1..{len(records)} "
                             "(raise --top to see more)")
    record = records[rank - 1]
    if bool(record.get("flagged", False)) and not force:
        raise UserInputError(f"--adopt {rank}: the tuner flags this rule as likely over-fitted; "
                             "pick another, or pass --force to adopt it anyway")
    return record


def _plain(value: Any) -> Any:
    """numpy scalars as plain Python numbers, for TOML."""
    return value.item() if hasattr(value, "item") else value


def target_tables(text: str, strategy: str, params: dict[str, Any]) -> dict[tuple[str, ...], dict[str, Any]]:
    stops = {name.removeprefix("stops."): _plain(value) for name, value in params.items()
             if name.startswith("stops.")}
    others = {name: _plain(value) for name, value in params.items() if not name.startswith("stops.")}
    own = ("strategies", strategy, "stops")
    tables: dict[tuple[str, ...], dict[str, Any]] = {}
    if stops:
        tables[own if has_table(text, own) else ("stops",)] = stops
    if others:
        tables[("strategies", strategy)] = others
    return tables


def adopt(config_path: Path | None, result: TuneResult, rank: int, force: bool) -> Adoption:
    records: list[dict[str, Any]] = result.as_json()["top"]  # type: ignore[assignment]
    record = chosen_record(records, rank, force)
    if config_path is None:
        raise UserInputError("--adopt: there is no config file to write; create config.toml "
                             "(`satellite config check` prints the defaults) or pass --config FILE")
    tables = target_tables(config_path.read_text(encoding="utf-8"), result.strategy, record["params"])
    return Adoption(rank, tables, edit_config(config_path, tables))


def notes(adoption: Adoption, strategy: str, own_stops: int) -> list[str]:
    """What the investor should know after the change."""
    tables = ", ".join(f"[{'.'.join(table)}]" for table in adoption.tables)
    lines = [f"adopted rule {adoption.rank} into {tables} of {adoption.change.path}; "
             "`satellite config check` shows it, the alerts use it from their next check"
             if adoption.change.changed else f"{adoption.change.path} already holds rule {adoption.rank}"]
    if ("strategies", strategy, "stops") in adoption.tables:
        lines.append(f"note: [strategies.{strategy}.stops] applies to {strategy}'s backtests; "
                     "the alerts follow [stops]")
    if own_stops:
        lines.append(f"note: {own_stops} position(s) keep their own `stop` table")
    return lines
