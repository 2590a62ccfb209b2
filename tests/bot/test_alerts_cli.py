"""The alert engine end to end: config positions, bundled prices, a real SQLite ledger."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from bot.alerting import AlertInputs, evaluate_sessions
from bot.store import AlertStore
from tests.bot.conftest import POSITIONS
from tests.bot.synthetic import SETTINGS, day, frame, position
from tests.conftest import Invoke


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[stops]\ntrailing_pct = 0.15\n[data]\ndir = "data"\n' + POSITIONS)
    return path


def test_check_twice_on_one_session_adds_nothing(invoke: Invoke, config: Path, tmp_path: Path) -> None:
    first = invoke("alerts", "check", "--date", "2025-10-17", "--json")
    assert first.exit_code == 0, first.output
    assert [(a["rule"], a["subject"]) for a in json.loads(first.output)] == [
        ("stop_hit", "CRWV"), ("stop_hit", "NBIS")]
    second = invoke("alerts", "check", "--date", "2025-10-17", "--json")
    assert json.loads(second.output) == []
    listed = json.loads(invoke("alerts", "list", "--pending", "--json").output)
    assert sorted((row["rule"], row["delivery"]) for row in listed) == [("stop_hit", "pending")] * 2
    rows = sqlite3.connect(tmp_path / "data" / "satellite.db").execute(
        "SELECT count(*) FROM alerts").fetchone()
    assert rows == (2,)


def test_check_catches_up_every_session_since_the_last(invoke: Invoke, config: Path) -> None:
    invoke("alerts", "check", "--date", "2025-10-16")
    caught_up = json.loads(invoke("alerts", "check", "--date", "2025-10-22", "--json").output)
    assert [(a["session"], a["rule"], a["subject"]) for a in caught_up] == [
        ("2025-10-17", "stop_hit", "CRWV"), ("2025-10-17", "stop_hit", "NBIS"),
        ("2025-10-20", "pullback_zone", "CRWV"),
    ]


@pytest.mark.parametrize(("date", "message"), [
    ("2025-12-25", "not an NYSE session"), ("2025-11-29", "not an NYSE session"),
    ("2031-01-02", "in the future"),
])
def test_check_refuses_days_without_a_session(invoke: Invoke, config: Path, date: str, message: str) -> None:
    result = invoke("alerts", "check", "--date", date)
    assert result.exit_code == 2 and message in result.output


def test_early_close_session_is_evaluated(invoke: Invoke, config: Path) -> None:
    assert invoke("alerts", "check", "--date", "2025-11-28").exit_code == 0


def test_stale_data_is_one_notice_per_stale_bar(tmp_path: Path) -> None:
    inputs = AlertInputs({"SAT": frame()}, [position()], [], SETTINGS)
    store = AlertStore(tmp_path / "ledger.db")
    later = [pd.Timestamp("2025-02-20"), pd.Timestamp("2025-02-21"), pd.Timestamp("2025-02-24")]
    new = evaluate_sessions(store, inputs, [day(11), *later])
    stale = [a for a in new if a.rule == "stale_data"]
    # one notice, on the newest session evaluated, naming the stale bar
    assert [(a.session, a.state) for a in stale] == [(later[-1], "2025-02-19")]
    assert "3 session(s) before 2025-02-24" in stale[0].message
    assert store.first_incomplete() == later[0]
    assert evaluate_sessions(store, inputs, later) == []
    assert evaluate_sessions(store, inputs, [*later, pd.Timestamp("2025-02-25")]) == []


def test_unknown_position_ticker_and_bad_entry_date(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[[positions]]\nticker = "ZZZZ"\nshares = 1\nentry_date = 2025-10-01\n')
    result = invoke("alerts", "check", "--date", "2025-10-22")
    assert result.exit_code == 2 and "no prices for ZZZZ" in result.output
    (tmp_path / "config.toml").write_text(
        '[[positions]]\nticker = "NBIS"\nshares = 1\nentry_date = 2025-10-04\n')
    result = invoke("alerts", "check", "--date", "2025-10-22")
    assert result.exit_code == 2
    assert "positions[0] (NBIS).entry_date 2025-10-04 is not an NYSE session" in result.output


def ledger(path: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT session, rule, subject, state FROM alerts ORDER BY 1, 2, 3, 4").fetchall()
        orphans = db.execute("SELECT count(*) FROM alerts a LEFT JOIN outbox o ON o.alert_id = a.id "
                             "WHERE o.id IS NULL").fetchone()[0]
    assert orphans == 0  # every alert has its outbox row: they are written in one transaction
    return rows


def evaluated(path: Path) -> int:
    with sqlite3.connect(path, timeout=30) as db:
        return int(db.execute("SELECT count(*) FROM evaluations").fetchone()[0])


def run_check(folder: Path, date: str) -> subprocess.Popen[bytes]:
    script = Path(sys.executable).with_name("satellite")
    return subprocess.Popen([str(script), "alerts", "check", "--date", date], cwd=folder,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_kill_9_during_a_long_catch_up_loses_and_duplicates_nothing(
    tmp_path: Path, config: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference, crashed = tmp_path / "reference", tmp_path / "crashed"
    for folder in (reference, crashed):
        folder.mkdir()
        (folder / "config.toml").write_text(config.read_text())
        monkeypatch.chdir(folder)
        assert invoke("alerts", "check", "--date", "2025-10-01").exit_code == 0
    monkeypatch.chdir(reference)
    assert invoke("alerts", "check", "--date", "2026-07-02").exit_code == 0
    random.seed(7)
    database = crashed / "data" / "satellite.db"
    for _ in range(3):  # the catch-up of ~190 sessions, killed at a random point of its writes
        before = evaluated(database)
        target = before + random.randint(1, max(1, (188 - before) // 3))  # a random session's write
        process = run_check(crashed, "2026-07-02")
        deadline = time.monotonic() + 60
        while evaluated(database) < target and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        ledger(database)
    assert before < evaluated(database) < 190, "the kills should land inside the catch-up"
    monkeypatch.chdir(crashed)
    assert invoke("alerts", "check", "--date", "2026-07-02").exit_code == 0
    assert ledger(crashed / "data" / "satellite.db") == ledger(reference / "data" / "satellite.db")
