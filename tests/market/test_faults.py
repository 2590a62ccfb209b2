"""Price input faults as one line and an exit code (issue 17, cases 8, 9 and 11): dates outside
the calendar, bars of sessions not closed yet, unreadable files, an unwritable data directory,
a row with an extra field, a refresh that never answers, temporary files of killed writes."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from market.calendar import calendar_range, last_completed_session
from market.store import PriceStore
from market.validation import read_price_csv
from satellite.errors import PriceDataError
from satellite.files import STALE_AFTER, write_text_atomically
from satellite_cli.context import AppContext
from tests.conftest import DATA, Invoke
from tests.readonly import read_only_folder, unreadable_file

GOOD = (DATA / "AAA.csv").read_text()
HEADER, *ROWS = GOOD.splitlines()


def one_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    return lines[0]


def csv(tmp_path: Path, *rows: str, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def sessions(first: pd.Timestamp, count: int) -> list[str]:
    from market.calendar import sessions_between

    days = sessions_between(first, first + pd.Timedelta(days=count * 2 + 7))
    return [f"{day:%Y-%m-%d}" for day in days][:count]


def bars(days: list[str]) -> list[str]:
    return [f"{day},10,11,9,10.5,1000" for day in days]


def test_a_row_before_the_calendar_is_one_line_exit_2(invoke: Invoke, tmp_path: Path) -> None:
    path = csv(tmp_path, "1989-12-29,10,11,9,10.5,1000", *bars(sessions(pd.Timestamp("1990-01-02"), 3)))
    result = invoke("data", "import", "OLD", str(path))
    assert result.exit_code == 2
    line = one_line(result.output)
    assert f"{path}: line 2 (1989-12-29): before 1990-01-02, the first session the NYSE calendar" in line


def test_a_row_after_the_calendar_is_one_line_in_any_read(tmp_path: Path) -> None:
    _, high = calendar_range()
    days = sessions(high - pd.Timedelta(days=6), 3)
    path = csv(tmp_path, *bars(days), "2030-01-02,10,11,9,10.5,1000")
    with pytest.raises(PriceDataError) as caught:
        read_price_csv(path)
    message = str(caught.value)
    assert f"line {len(days) + 2} (2030-01-02): after {high:%Y-%m-%d}, the last date the NYSE" in message
    assert "\n" not in message


def test_bars_of_sessions_not_closed_yet_are_refused_on_import(invoke: Invoke, tmp_path: Path,
                                                                data_dir: Path) -> None:
    last = last_completed_session()
    days = sessions(last - pd.Timedelta(days=10), 20)
    future = [day for day in days if pd.Timestamp(day) > last][:2]
    assert future, "the calendar runs a year ahead"
    path = csv(tmp_path, *bars([day for day in days if pd.Timestamp(day) <= last] + future))
    result = invoke("--data-dir", str(data_dir), "data", "import", "FUT", str(path))
    assert result.exit_code == 2
    line = one_line(result.output)
    assert f"({future[0]}): this session has not closed yet (the last completed NYSE session is " \
           f"{last:%Y-%m-%d})" in line
    assert list(data_dir.iterdir()) == []


def test_an_unreadable_file_is_one_line(invoke: Invoke, tmp_path: Path) -> None:
    path = unreadable_file(tmp_path / "secret.csv", GOOD)
    result = invoke("data", "import", "AAA", str(path))
    assert result.exit_code == 2
    assert f"{path}: cannot read it (permission denied)" in one_line(result.output)


def test_an_unreadable_config_is_one_line(invoke: Invoke, tmp_path: Path) -> None:
    path = unreadable_file(tmp_path / "config.toml", "[portfolio]\n")
    result = invoke("--config", str(path), "config", "check")
    assert result.exit_code == 2
    assert f"{path}: cannot read" in one_line(result.output)


def test_a_folder_given_as_the_csv_is_one_line(invoke: Invoke, tmp_path: Path) -> None:
    folder = tmp_path / "prices.csv"
    folder.mkdir()
    result = invoke("data", "import", "AAA", str(folder))
    assert result.exit_code == 2
    assert f"{folder}: is a folder, not a CSV file" in one_line(result.output)


def test_an_unwritable_data_directory_exits_2_naming_it(invoke: Invoke, tmp_path: Path) -> None:
    path = csv(tmp_path, *ROWS)
    with read_only_folder(tmp_path / "data") as folder:
        result = invoke("--data-dir", str(folder), "data", "import", "AAA", str(path))
    assert result.exit_code == 2
    line = one_line(result.output)
    assert str(folder) in line and ("cannot write AAA.csv there" in line or "cannot create" in line)


def test_a_row_with_an_extra_field_is_one_line(invoke: Invoke, tmp_path: Path) -> None:
    path = csv(tmp_path, ROWS[0], ROWS[1] + ",99", *ROWS[2:])
    result = invoke("data", "import", "AAA", str(path))
    assert result.exit_code == 2
    expected = f"{path}: line 3: 7 fields, expected 6 (Date,Open,High,Low,Close,Volume)"
    assert expected in one_line(result.output)


class NeverAnswers:
    """A price source whose every fetch hangs (a path that never answers) until released."""

    name = "silent source"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls: list[str] = []

    def fetch(self, ticker: str, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        self.calls.append(ticker)
        self.release.wait(20)
        return pd.DataFrame()


def test_data_update_has_one_overall_deadline_exit_3_nothing_changed(invoke: Invoke, tmp_path: Path,
                                                                     data_dir: Path) -> None:
    (tmp_path / "config.toml").write_text("[data]\nupdate_timeout = 1\n")
    (data_dir / "AAA.csv").write_text(GOOD)
    before = {path.name: path.read_bytes() for path in data_dir.iterdir()}
    source = NeverAnswers()
    started = time.monotonic()
    try:
        result = invoke("data", "update", "AAA", "CRWV", "NBIS",
                        context=AppContext(data_dir_option=data_dir, price_source=source))
        elapsed = time.monotonic() - started
    finally:
        source.release.set()
    assert result.exit_code == 3, result.output
    assert "no answer within 1 s ([data] update_timeout) for AAA, CRWV, NBIS: their prices are unchanged" \
        in " ".join(result.output.split())
    assert elapsed < 5
    assert {path.name: path.read_bytes() for path in data_dir.iterdir()} == before


def test_a_write_removes_temporary_files_left_by_killed_writers(tmp_path: Path) -> None:
    tmp_path = tmp_path / "prices"
    tmp_path.mkdir()
    leftovers = [tmp_path / ".AAA.csv.k1ll3d00.tmp", tmp_path / ".BBB.csv.abcdefgh.tmp"]
    for path in leftovers:
        path.write_text("half a file")
        os.utime(path, (time.time() - 60, time.time() - 60))
    busy = tmp_path / ".CCC.csv.inuse000.tmp"  # another writer is still writing it
    busy.write_text("being written")
    os.utime(busy, (time.time() - 60, time.time() - 60))
    young = tmp_path / ".DDD.csv.young000.tmp"  # just created by another writer: not stale yet
    young.write_text("")
    unrelated = tmp_path / "notes.tmp"
    unrelated.write_text("not ours")
    with busy.open() as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        PriceStore(tmp_path).write("AAA", read_price_csv(DATA / "AAA.csv"))
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == sorted(["AAA.csv", busy.name, young.name, "notes.tmp"])
    assert time.time() - young.stat().st_mtime < STALE_AFTER + 5


def test_temporary_files_of_killed_writers_are_cleaned_by_the_next_write(tmp_path: Path) -> None:
    tmp_path = tmp_path / "prices"
    target = tmp_path / "AAA.csv"
    script = ("import os, sys, time\nfrom pathlib import Path\n"
              "from satellite.files import write_text_atomically\n"
              "os.fsync = lambda fd: time.sleep(60)  # the write is under way when the kill comes\n"
              "write_text_atomically(Path(sys.argv[1]), 'x' * 100000)\n")
    left: list[Path] = []
    for _ in range(3):
        process = subprocess.Popen([sys.executable, "-c", script, str(target)])
        deadline = time.monotonic() + 30
        while len(list(tmp_path.glob(".AAA.csv.*.tmp"))) == len(left) and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        left = list(tmp_path.glob(".AAA.csv.*.tmp"))
    assert len(left) == 3 and not target.exists()
    for path in left:  # older than STALE_AFTER, as they would be by the next update
        os.utime(path, (time.time() - 60, time.time() - 60))
    write_text_atomically(target, "new")
    assert [path.name for path in tmp_path.iterdir()] == ["AAA.csv"] and target.read_text() == "new"
