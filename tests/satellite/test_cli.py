"""The CLI as a user drives it: data check/import, backtest, exit codes and one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from satellite_cli.context import AppContext
from tests.conftest import DATA, Invoke

STATS_KEYS = {"total_return", "cagr", "max_drawdown", "sharpe", "sortino", "calmar", "fills",
              "trades"}


def in_dir(data_dir: Path) -> AppContext:
    return AppContext(data_dir_option=data_dir)


def test_data_check_json_shows_the_bundled_tickers_valid(invoke: Invoke) -> None:
    result = invoke("data", "check", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["ticker"]: row for row in json.loads(result.output)}
    assert set(rows) == {"CRWV", "NBIS", "NVDA"}
    crwv = rows["CRWV"]
    assert crwv["first"] == "2025-03-28" and crwv["last"] == "2026-07-02" and crwv["rows"] == 317
    assert crwv["source"] == "bundled" and crwv["valid"] is True and crwv["error"] is None
    assert isinstance(crwv["stale_sessions"], int) and crwv["stale_sessions"] > 0
    keys = {"ticker", "first", "last", "rows", "source", "valid", "error", "stale_sessions"}
    assert set(crwv) == keys


def test_import_then_check_uses_the_user_file(invoke: Invoke, data_dir: Path) -> None:
    result = invoke("--data-dir", str(data_dir), "data", "import", "aaa", str(DATA / "AAA.csv"))
    assert result.exit_code == 0, result.output
    assert "AAA: imported 6 sessions (2025-01-27 to 2025-02-03)" in result.output
    result = invoke("--data-dir", str(data_dir), "data", "check", "AAA", "--json")
    (row,) = json.loads(result.output)
    assert row["source"] == "user" and row["rows"] == 6 and row["valid"]


def test_a_user_file_takes_precedence_over_the_bundled_one(invoke: Invoke, data_dir: Path) -> None:
    invoke("data", "import", "NBIS", str(DATA / "BBB.csv"), "--replace", context=in_dir(data_dir))
    (row,) = json.loads(invoke("data", "check", "NBIS", "--json", context=in_dir(data_dir)).output)
    assert row["source"] == "user" and row["first"] == "2025-01-27"


def test_data_dir_from_the_environment(
    invoke: Invoke, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SATELLITE_DATA_DIR", str(data_dir))
    assert invoke("data", "import", "AAA", str(DATA / "AAA.csv")).exit_code == 0
    assert (data_dir / "AAA.csv").is_file()


def test_importing_a_broken_csv_changes_nothing(invoke: Invoke, data_dir: Path, tmp_path: Path) -> None:
    invoke("data", "import", "AAA", str(DATA / "AAA.csv"), context=in_dir(data_dir))
    before = (data_dir / "AAA.csv").read_bytes()
    broken = tmp_path / "broken.csv"
    broken.write_text((DATA / "AAA.csv").read_text().replace("2025-01-29,11.0,12.5", "2025-01-29,11.0,9.5"))
    result = invoke("data", "import", "AAA", str(broken), context=in_dir(data_dir))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert f"{broken}: line 4 (2025-01-29): High is below Low" in result.output
    assert (data_dir / "AAA.csv").read_bytes() == before


def test_data_check_flags_a_broken_user_file(invoke: Invoke, data_dir: Path) -> None:
    shutil.copy(DATA / "AAA.csv", data_dir / "NVDA.csv")
    (data_dir / "NVDA.csv").write_text((DATA / "AAA.csv").read_text().replace("11.5,1000", "-1,1000"))
    result = invoke("data", "check", "--json", context=in_dir(data_dir))
    assert result.exit_code == 2
    rows = {row["ticker"]: row for row in json.loads(result.output)}
    assert rows["NVDA"]["valid"] is False and "prices must be > 0" in rows["NVDA"]["error"]
    assert rows["CRWV"]["valid"] is True


def test_import_refuses_a_bad_ticker_and_a_missing_file(invoke: Invoke, tmp_path: Path) -> None:
    assert invoke("data", "import", "N V", str(DATA / "AAA.csv")).exit_code == 2
    result = invoke("data", "import", "AAA", str(tmp_path / "none.csv"))
    assert result.exit_code == 2 and "file not found" in result.output


def test_backtest_json(invoke: Invoke) -> None:
    result = invoke("backtest", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["strategy"] == "core_satellite"
    assert payload["start"] == "2025-03-28" and payload["end"] == "2026-07-02"
    assert set(payload["stats"]) >= STATS_KEYS and set(payload["benchmark"]) >= STATS_KEYS
    assert payload["benchmark"]["fills"] == 1 and payload["benchmark"]["trades"] == 0  # held
    assert 0 < payload["stats"]["max_drawdown"] < 1
    # NVDA buy-and-hold from the open of 2025-03-28 to the close of 2026-07-02, fees included
    assert payload["benchmark"]["total_return"] == pytest.approx(0.7449, abs=5e-4)


def test_backtest_table_shows_both_columns(invoke: Invoke) -> None:
    result = invoke("backtest", "--start", "2025-06-02", "--end", "2025-12-31")
    assert result.exit_code == 0, result.output
    assert "core_satellite" in result.output and "NVDA buy & hold" in result.output
    assert "2025-06-02 to 2025-12-31" in result.output


def test_an_earlier_start_keeps_crwv_in_cash_until_it_lists(invoke: Invoke) -> None:
    result = invoke("backtest", "--start", "2025-01-02", "--json")
    assert json.loads(result.output)["start"] == "2025-01-02"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2031-01-01"], "the date is in the future"),
        (["--start", "01/02/2025"], "write the date as YYYY-MM-DD"),
        (["--start", "2025-06-01", "--end", "2025-05-01"], "is after --end"),
        (["--start", "1990-01-02"], "before the core NVDA's first session 1999-12-31"),
        (["core_satelite"], "unknown strategy 'core_satelite'; did you mean 'core_satellite'?"),
    ],
)
def test_backtest_refuses_bad_input_in_one_line(invoke: Invoke, args: list[str], message: str) -> None:
    result = invoke("backtest", *args)
    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1


def test_installed_script_runs_the_backtest(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("satellite")
    done = subprocess.run([str(script), "backtest", "--json"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stats"]["fills"] > 3


def test_installed_script_reports_errors_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[portfolio\n")
    script = Path(sys.executable).with_name("satellite")
    done = subprocess.run([str(script), "data", "check"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.startswith("error: ")
    debug = subprocess.run([str(script), "--debug", "data", "check"], capture_output=True,
                           text=True, timeout=120, cwd=tmp_path)
    assert "Traceback" in debug.stderr
