"""The alert database's faults as one line and an exit code (issue 17, case 7): a file that is
not a database, a truncated one, a folder, an unwritable folder: exit 2 naming the file; a
database another process keeps locked: a bounded wait, then exit 3."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

import bot.store
from tests.bot.conftest import alert, seed
from tests.conftest import Invoke
from tests.readonly import read_only_folder


def one_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    return lines[0]


def filled(path: Path) -> Path:
    """A real alert database with enough rows to span many pages."""
    store = seed(path, *[alert("new_event", "NVDA", state=f"e{i}", message="m" * 400) for i in range(300)])
    store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


def test_a_file_that_is_not_a_database_exits_2_naming_it(invoke: Invoke, tmp_path: Path) -> None:
    database = tmp_path / "data" / "satellite.db"
    database.parent.mkdir()
    database.write_bytes(b"not sqlite at all\n" * 300)
    result = invoke("--data-dir", str(database.parent), "alerts", "list")
    assert result.exit_code == 2
    line = one_line(result.output)
    assert str(database) in line and "not an alert database" in line and "move it aside" in line
    assert database.read_bytes() == b"not sqlite at all\n" * 300  # nothing written over it


def test_a_truncated_database_exits_2_naming_it(invoke: Invoke, tmp_path: Path) -> None:
    database = filled(tmp_path / "data" / "satellite.db")
    data = database.read_bytes()
    database.write_bytes(data[: len(data) // 2])
    result = invoke("--data-dir", str(database.parent), "alerts", "list")
    assert result.exit_code == 2
    line = one_line(result.output)
    assert str(database) in line and "damaged" in line


def test_a_folder_where_the_database_should_be_exits_2(invoke: Invoke, tmp_path: Path) -> None:
    database = tmp_path / "data" / "satellite.db"
    database.mkdir(parents=True)
    result = invoke("--data-dir", str(database.parent), "alerts", "list")
    assert result.exit_code == 2
    assert f"{database} is a folder, not a database file" in one_line(result.output)


def test_an_unwritable_folder_exits_2_naming_the_database(invoke: Invoke, tmp_path: Path) -> None:
    with read_only_folder(tmp_path / "data") as folder:
        result = invoke("--data-dir", str(folder), "alerts", "list")
    assert result.exit_code == 2
    line = one_line(result.output)
    assert str(folder / "satellite.db") in line and ("writable" in line or "permissions" in line)


@pytest.mark.parametrize("locking", ["normal", "exclusive"])
def test_a_database_locked_by_another_process_waits_a_bounded_time_then_exits_3(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, locking: str
) -> None:
    database = tmp_path / "data" / "satellite.db"
    seed(database, alert()).close()
    monkeypatch.setattr(bot.store, "BUSY_TIMEOUT", 0.5)
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute(f"PRAGMA locking_mode={locking.upper()}")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO bot_state (key, value) VALUES ('x', 'y')")
    try:
        started = time.monotonic()
        result = invoke("--data-dir", str(database.parent), "alerts", "check", "--date", "2025-10-22")
        elapsed = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 3, result.output
    line = one_line(result.output)
    assert str(database) in line and "busy" in line and "retry" in line
    assert elapsed < 10


def test_the_default_busy_wait_is_bounded_well_below_the_old_30_s() -> None:
    assert 1 <= bot.store.BUSY_TIMEOUT <= 10
