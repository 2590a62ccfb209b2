"""RELIABILITY.md case 1: every broken price file gives one error naming file, row and rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from market.store import BUNDLED_DIR
from market.validation import read_price_csv
from satellite.errors import PriceDataError
from tests.conftest import DATA

GOOD = (DATA / "AAA.csv").read_text()
HEADER, *ROWS = GOOD.splitlines()


def write(tmp_path: Path, text: str, name: str = "broken.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(PriceDataError) as caught:
        read_price_csv(path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    return message


def lines(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


@pytest.mark.parametrize("ticker", ["CRWV", "NBIS", "NVDA"])
def test_bundled_files_are_valid(ticker: str) -> None:
    frame = read_price_csv(BUNDLED_DIR / f"{ticker}.csv")
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]
    expected_rows = {"CRWV": 317, "NBIS": 425, "NVDA": 6665}[ticker]
    assert len(frame) == expected_rows
    assert f"{frame.index[-1]:%Y-%m-%d}" == "2026-07-02"


def test_truncated_last_row(tmp_path: Path) -> None:
    message = error_for(tmp_path, lines(*ROWS[:-1], "2025-02-03,12.0,13.0"))
    assert "line 7 (2025-02-03)" in message and "Low is missing" in message


def test_byte_order_mark_from_a_spreadsheet_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert len(read_price_csv(path)) == 6


def test_wrong_columns(tmp_path: Path) -> None:
    message = error_for(tmp_path, GOOD.replace("Close", "Last"))
    assert "line 1" in message and "expected Date,Open,High,Low,Close,Volume" in message


def test_missing_column(tmp_path: Path) -> None:
    text = "\n".join(",".join(line.split(",")[:5]) for line in GOOD.splitlines())
    assert "line 1" in error_for(tmp_path, text)


def test_adj_close_column_is_ignored(tmp_path: Path) -> None:
    text = "\n".join(
        line + (",Adj Close" if number == 0 else ",1.0") for number, line in enumerate(GOOD.splitlines())
    )
    assert len(read_price_csv(write(tmp_path, text))) == 6


def test_duplicate_date(tmp_path: Path) -> None:
    message = error_for(tmp_path, lines(ROWS[0], ROWS[1], ROWS[1], *ROWS[2:]))
    assert "line 4 (2025-01-28)" in message and "duplicate date" in message


def test_unsorted_dates(tmp_path: Path) -> None:
    message = error_for(tmp_path, lines(ROWS[0], ROWS[2], ROWS[1], *ROWS[3:]))
    assert "line 4 (2025-01-28)" in message and "backwards" in message


def test_nan_value(tmp_path: Path) -> None:
    message = error_for(tmp_path, lines(ROWS[0], ROWS[1].replace("11.0,1000", "NaN,1000"), *ROWS[2:]))
    assert "line 3" in message and "Close is missing" in message


def test_close_not_positive(tmp_path: Path) -> None:
    message = error_for(tmp_path, lines(ROWS[0], "2025-01-28,10.5,11.5,0.0,0.0,1000", *ROWS[2:]))
    assert "line 3 (2025-01-28)" in message and "prices must be > 0" in message


def test_high_below_low(tmp_path: Path) -> None:
    message = error_for(tmp_path, lines(ROWS[0], "2025-01-28,10.5,9.0,10.0,10.5,1000", *ROWS[2:]))
    assert "line 3" in message and "High is below Low" in message


def test_low_above_the_body(tmp_path: Path) -> None:
    message = error_for(tmp_path, lines(ROWS[0], "2025-01-28,10.5,11.5,10.6,11.0,1000", *ROWS[2:]))
    assert "line 3" in message and "Low is above min(Open, Close)" in message


def test_weekend_date(tmp_path: Path) -> None:
    message = error_for(tmp_path, lines(*ROWS[:5], "2025-02-01,12.0,13.0,11.5,12.5,1000"))
    assert "line 7 (2025-02-01)" in message and "not an NYSE session" in message


def test_missing_session(tmp_path: Path) -> None:
    message = error_for(tmp_path, lines(ROWS[0], *ROWS[2:]))
    assert "session 2025-01-28 is missing" in message and "line 3" in message


def test_holiday_date(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Volume\n2025-12-24,1,1,1,1,1\n2025-12-25,1,1,1,1,1\n"
    assert "not an NYSE session" in error_for(tmp_path, text)


def test_not_a_number_and_bad_date(tmp_path: Path) -> None:
    assert "'abc' is not a number" in error_for(tmp_path, lines(ROWS[0].replace("10.5", "abc", 1)))
    assert "is not a YYYY-MM-DD date" in error_for(tmp_path, lines("27/01/2025,1,1,1,1,1"))


def test_empty_file(tmp_path: Path) -> None:
    assert "empty" in error_for(tmp_path, "")
    assert "no rows" in error_for(tmp_path, HEADER + "\n")
