"""The position book (issue 16, item 3): seeded once from [[positions]], then the record; every
change journaled; `satellite positions list|add|close|import|history [--json]`; an old ledger
file migrated (fill and stop_rule of stop_hit alerts kept)."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from bot.alert import RULE_ORDER, Alert
from bot.store import AlertStore
from satellite.config import NOTIFY_RULES
from tests.bot.conftest import POSITIONS
from tests.conftest import Invoke

CONFIG = '[data]\ndir = "data"\n' + POSITIONS


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return path


def listed(invoke: Invoke, *args: str) -> list[dict[str, object]]:
    result = invoke("positions", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def test_positions_seed_the_book_once_then_config_is_ignored_with_a_notice(
    invoke: Invoke, config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = listed(invoke)
    assert [(r["id"], r["ticker"], r["shares"], r["entry_date"]) for r in rows] == [
        (1, "NVDA", 100.0, "2025-10-01"), (2, "NBIS", 100.0, "2025-10-01"), (3, "CRWV", 100.0, "2025-10-01")]
    history = json.loads(invoke("positions", "history", "--json").stdout)
    seeded = [(h["action"], h["who"], h["via"], h["old"]) for h in history]
    assert seeded == [("seed", "config.toml", "config", None)] * 3
    config.write_text(CONFIG.replace("shares = 100", "shares = 5", 1))
    with caplog.at_level(logging.WARNING, logger="satellite.positions"):
        again = listed(invoke)
    assert [r["shares"] for r in again] == [100.0, 100.0, 100.0]  # the book, not config.toml
    [notice] = [r.getMessage() for r in caplog.records if r.name == "satellite.positions"]
    assert notice.startswith("config.toml [[positions]] is ignored: the position book in ")
    assert "`satellite positions import` takes [[positions]] over" in notice


def test_a_bad_positions_table_is_refused_and_nothing_is_seeded(invoke: Invoke, config: Path,
                                                               tmp_path: Path) -> None:
    config.write_text(CONFIG.replace("ticker = \"CRWV\"\nshares = 100\nentry_date = 2025-10-01",
                                     "ticker = \"CRWV\"\nshares = 100\nentry_date = 2025-10-04"))
    result = invoke("positions", "list")
    assert result.exit_code == 2
    assert "positions[2] (CRWV).entry_date 2025-10-04 is not an NYSE session" in result.output
    with sqlite3.connect(tmp_path / "data" / "satellite.db") as db:
        assert db.execute("SELECT count(*) FROM positions").fetchone() == (0,)
    config.write_text(CONFIG)
    assert len(listed(invoke)) == 3  # seeded once the table is fixed


def test_add_close_part_of_a_lot_and_the_journal(invoke: Invoke, config: Path) -> None:
    added = invoke("positions", "add", "nbis", "50", "--price", "95.20", "--date", "2025-10-20",
                   "--stop", "trailing_pct=0.12", "--json")
    assert added.exit_code == 0, added.output
    lot = json.loads(added.stdout)
    assert (lot["id"], lot["ticker"], lot["entry_price"]) == (4, "NBIS", 95.2)
    assert lot["stop"] == {"trailing_pct": 0.12}
    sold = invoke("positions", "close", "NBIS", "--shares", "120", "--price", "110", "--date", "2025-10-22",
                  "--json")
    assert sold.exit_code == 0, sold.output
    report = json.loads(sold.stdout)
    # the oldest lot first: all 100 of lot 2, then 20 of lot 4 (split: 30 stay open in lot 4)
    assert [(r["id"], r["shares"], r["exit_price"]) for r in report["sold"]] == [
        (2, 100.0, 110.0), (5, 20.0, 110.0)]
    assert [(r["id"], r["shares"]) for r in report["open"]] == [(4, 30.0)]
    journal = json.loads(invoke("positions", "history", "4", "--json").stdout)
    assert [(h["action"], h["via"]) for h in journal] == [("add", "cli"), ("sell part", "cli")]
    assert (journal[1]["old"]["shares"], journal[1]["new"]["shares"]) == (50.0, 30.0)
    assert len(listed(invoke)) == 3 and len(listed(invoke, "--all")) == 5
    human = invoke("positions", "history")
    assert human.exit_code == 0 and "sell part" in human.output


@pytest.mark.parametrize(("args", "message"), [
    (("add", "ZZZZ", "1"), "no prices for ZZZZ"),
    (("add", "NBIS", "1", "--date", "2025-10-18"), "is not an NYSE session"),
    (("add", "NBIS", "1", "--date", "2031-01-02"), "is in the future"),
    (("add", "NBIS", "0"), "shares: Input should be greater than 0"),
    (("add", "NBIS", "1", "--stop", "trailing_pct=2"), "trailing_pct: Input should be less than 1"),
    (("add", "NBIS", "1", "--stop", "trail=0.1"), "stop.trail: unknown key"),
    (("close", "AAPL"), "no open position in AAPL"),
    (("close", "NBIS", "--shares", "101", "--price", "1", "--date", "2025-10-20"), "more than the 100 held"),
    (("close", "NBIS", "--price", "1", "--date", "2025-09-30"), "was bought on 2025-10-01"),
])
def test_bad_changes_are_one_line_and_exit_2(invoke: Invoke, config: Path, args: tuple[str, ...],
                                            message: str) -> None:
    result = invoke("positions", *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(listed(invoke, "--all")) == 3  # nothing stored


def test_import_updates_matching_lots_and_adds_the_others(invoke: Invoke, config: Path,
                                                          tmp_path: Path) -> None:
    listed(invoke)
    extra = tmp_path / "more.toml"
    extra.write_text('[[positions]]\nticker = "NBIS"\nshares = 80\nentry_date = 2025-10-01\n\n'
                     '[[positions]]\nticker = "CRWV"\nshares = 100\nentry_date = 2025-10-01\n\n'
                     '[[positions]]\nticker = "NVDA"\nshares = 10\nentry_date = 2025-11-03\n'
                     'entry_price = 207.5\n')
    result = invoke("positions", "import", str(extra), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(r["id"], r["shares"]) for r in report["updated"]] == [(2, 80.0)]
    assert [r["id"] for r in report["unchanged"]] == [3]
    assert [(r["id"], r["ticker"], r["entry_price"]) for r in report["added"]] == [(4, "NVDA", 207.5)]
    journal = json.loads(invoke("positions", "history", "2", "--json").stdout)
    [change] = [h for h in journal if h["action"] == "import"]
    assert (change["old"]["shares"], change["new"]["shares"]) == (100.0, 80.0)
    extra.write_text('[[positions]]\nticker = "NBIS"\nshares = 1\nentry_date = 2025-10-04\n')
    bad = invoke("positions", "import", str(extra))
    assert bad.exit_code == 2 and "not an NYSE session" in bad.output


def test_the_engine_watches_the_book(invoke: Invoke, config: Path) -> None:
    listed(invoke)
    invoke("positions", "close", "NBIS", "--price", "125", "--date", "2025-10-16")
    alerts = json.loads(invoke("alerts", "check", "--date", "2025-10-17", "--json").stdout)
    # NBIS was sold the day before its stop: only CRWV's stop remains
    assert [(a["rule"], a["subject"]) for a in alerts] == [("stop_hit", "CRWV")]
    listed_alerts = json.loads(invoke("alerts", "list", "--json").stdout)
    assert [(a["fill"], a["stop_rule"]) for a in listed_alerts if a["rule"] == "stop_hit"] == [
        (pytest.approx(130.22, abs=0.005), "stop_trailing")]


def test_an_old_ledger_file_gets_the_new_columns_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript("CREATE TABLE alerts (id INTEGER PRIMARY KEY, session TEXT NOT NULL, "
                         "rule TEXT NOT NULL, subject TEXT NOT NULL, state TEXT NOT NULL, level REAL, "
                         "close REAL, message TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT 'x', "
                         "UNIQUE (rule, subject, session, state));"
                         "INSERT INTO alerts (session, rule, subject, state, message) "
                         "VALUES ('2025-10-16', 'near_stop', 'NBIS', '', 'old');")
    store = AlertStore(path)
    hit = Alert(pd.Timestamp("2025-10-17"), "stop_hit", "NBIS", "", 119.94, 113.44, "hit", 118.06,
                "stop_trailing")
    store.record_session(pd.Timestamp("2025-10-17"), [hit], True, {})
    rows = store.rows()
    store.close()
    assert [(r.alert.rule, r.alert.fill, r.alert.stop_rule) for r in rows] == [
        ("near_stop", None, None), ("stop_hit", 118.06, "stop_trailing")]
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"positions", "position_journal", "stop_answers", "pending_changes"} <= tables


def test_notify_rules_are_the_alert_rules() -> None:
    assert sorted(NOTIFY_RULES) == sorted(RULE_ORDER)
