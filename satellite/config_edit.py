"""Edit config.toml in place: set keys of one table, keeping every other byte of the file.

tomlkit keeps comments, blank lines and key order; a changed key keeps its line's comment. A key
the table does not hold yet takes the place of its commented-out line (`# fixed_pct = 0.10  #
...`) when the table has one among its keys, else it goes after the table's last key. A value
of None is written "off" (TOML has no null; [stops] reads "off" as a rule switched off). The
new text is validated as a whole (parse_config) before it replaces the file atomically.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import Comment, Null, Table

from satellite.config import parse_config
from satellite.errors import ConfigError
from satellite.files import write_text_atomically

OFF = "off"


@dataclass(frozen=True)
class ConfigChange:
    """A config file before and after an edit."""

    path: Path
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def diff(self) -> str:
        return "".join(difflib.unified_diff(self.old.splitlines(True), self.new.splitlines(True),
                                            str(self.path), str(self.path)))


def set_values(text: str, table: tuple[str, ...], values: dict[str, Any]) -> str:
    """`text` with table.key = value for each item (the table is created when missing)."""
    document = tomlkit.parse(text)
    target = _table(document, table)
    for key, value in values.items():
        item = OFF if value is None else value
        if key in target:
            target[key] = item
        else:
            _add(target, key, item)
    return tomlkit.dumps(document)


def has_table(text: str, table: tuple[str, ...]) -> bool:
    node: Any = tomllib.loads(text)
    for part in table:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return isinstance(node, dict)


def edit_config(path: Path, edits: dict[tuple[str, ...], dict[str, Any]]) -> ConfigChange:
    """Set each table's values in the config file at `path`, validated, written atomically."""
    try:
        old = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err}") from None
    new = old
    for table, values in edits.items():
        try:
            new = set_values(new, table, values)
        except tomlkit.exceptions.TOMLKitError as err:
            raise ConfigError(f"{path}: cannot edit [{'.'.join(table)}]: {err}") from None
    parse_config(tomllib.loads(new), str(path))  # refuses a result the config would not load
    change = ConfigChange(path, old, new)
    if change.changed:
        write_text_atomically(path, new)
    return change


def _table(document: Any, table: tuple[str, ...]) -> Any:
    node = document
    for depth, part in enumerate(table):
        if part not in node:
            node[part] = tomlkit.table(is_super_table=depth < len(table) - 1)
        node = node[part]
    return node


def _add(target: Any, key: str, item: Any) -> None:
    """A new key in its commented-out line's place, else after the table's last key."""
    if not isinstance(target, Table):
        target[key] = item  # an inline table: key order is all there is
        return
    body = target.value.body
    keys = [i for i, (name, _) in enumerate(body) if name is not None]
    if not keys:
        target.add(key, item)
        return
    pattern = re.compile(rf"#\s*{re.escape(key)}\s*=")
    for index, (name, entry) in enumerate(body[: keys[-1]]):
        if name is None and isinstance(entry, Comment) and pattern.match(entry.as_string().strip()):
            _uncomment(target.value, index, key, item, entry.as_string())
            return
    last = body[keys[-1]][0]
    assert last is not None
    target.value._insert_after(last, key, item)


def _uncomment(container: Container, index: int, key: str, item: Any, line: str) -> None:
    """Replace the comment line at `index` by key = item, keeping the line's own comment."""
    uncommented = tomlkit.parse(line.strip().removeprefix("#").lstrip() + "\n")
    uncommented[key] = item
    container._insert_at(index, key, uncommented.item(key))
    container.body[index + 1] = (None, Null())
