"""The one validation every price source passes (bundled CSV, user CSV, yfinance).

Rules (data/PROVENANCE.md): columns Date,Open,High,Low,Close,Volume; dates unique, increasing,
within the calendar's range (1990-01-02 to about a year ahead) and exactly the XNYS sessions
between the first and the last; no missing value; prices > 0, volume >= 0; Low <= min(Open,
Close) <= max(Open, Close) <= High; on import, no bar of a session that has not closed yet. A
violation raises one PriceDataError naming the source, the row (file line and date) and the rule.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from market import PRICE_COLUMNS
from market.calendar import calendar_range, sessions_between
from satellite.errors import PriceDataError

REQUIRED_COLUMNS = ["Date", *PRICE_COLUMNS]
IGNORED_COLUMNS = {"Adj Close"}
OHLC_TOLERANCE = 1e-9  # relative; absorbs float noise from price adjustment, nothing more
RowLabel = Callable[[int], str]


def read_price_csv(path: Path, not_after: pd.Timestamp | None = None) -> pd.DataFrame:
    """Read and validate a price CSV; the frame has a DatetimeIndex named Date. not_after: the
    last session a bar may be for (on import: the last completed session)."""
    text = _read_text(path)
    if not text.strip():
        raise PriceDataError(f"{path}: file is empty; expected a header {','.join(REQUIRED_COLUMNS)}")
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as err:
        raise PriceDataError(f"{path}: {_csv_problem(err)}") from None
    _check_columns(list(raw.columns), str(path))
    return parse_rows(raw, str(path), first_line=2, not_after=not_after)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # tolerate the BOM spreadsheets write
    except FileNotFoundError:
        raise PriceDataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise PriceDataError(f"{path}: is a folder, not a CSV file") from None
    except PermissionError:
        raise PriceDataError(f"{path}: cannot read it (permission denied); check its permissions") from None
    except UnicodeDecodeError as err:
        raise PriceDataError(f"{path}: not UTF-8 text (byte {err.start}); save it as a UTF-8 CSV") from None
    except OSError as err:
        raise PriceDataError(f"{path}: cannot read it ({err.strerror})") from None


def _csv_problem(err: Exception) -> str:
    """pandas' parser message as one line: "line N: M fields, expected K" when it says so."""
    text = " ".join(str(err).split())
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if fields:
        expected, line, seen = fields.groups()
        return (f"line {line}: {seen} fields, expected {expected} (Date,Open,High,Low,Close,Volume); "
                "remove the extra values")
    return f"not a valid CSV ({text})"


def _check_columns(columns: list[str], source: str) -> None:
    stripped = [column.strip() for column in columns]
    missing = [name for name in REQUIRED_COLUMNS if name not in stripped]
    unknown = [name for name in stripped if name not in REQUIRED_COLUMNS and name not in IGNORED_COLUMNS]
    if missing or unknown:
        found = ",".join(stripped)
        raise PriceDataError(
            f"{source}: line 1: header is {found!r}; expected {','.join(REQUIRED_COLUMNS)} "
            "(an extra Adj Close column is ignored)"
        )


def parse_rows(raw: pd.DataFrame, source: str, first_line: int,
               not_after: pd.Timestamp | None = None) -> pd.DataFrame:
    """Turn string columns into a typed frame, then validate it."""
    raw = raw.rename(columns=lambda name: name.strip())
    dates = pd.to_datetime(raw["Date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    bad_dates = np.flatnonzero(dates.isna().to_numpy())
    if len(bad_dates):
        row = int(bad_dates[0])
        raise PriceDataError(
            f"{source}: line {row + first_line}: Date {raw['Date'].iloc[row]!r} is not a "
            "YYYY-MM-DD date"
        )
    frame = pd.DataFrame(index=pd.DatetimeIndex(dates, name="Date"))
    for column in PRICE_COLUMNS:
        values = pd.to_numeric(raw[column].str.strip(), errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(np.isnan(values))
        if len(bad):
            row = int(bad[0])
            shown = raw[column].iloc[row]
            shown = shown if isinstance(shown, str) else ""
            missing_value = shown.strip() in ("", "nan", "NaN", "null")
            what = "is missing" if missing_value else f"{shown!r} is not a number"
            raise PriceDataError(
                f"{source}: line {row + first_line} ({dates.iloc[row]:%Y-%m-%d}): {column} {what}; "
                "every row needs Open, High, Low, Close and Volume (a truncated file? remove the row)"
            )
        frame[column] = values
    return validate_frame(frame, source, first_line, not_after)


def validate_frame(frame: pd.DataFrame, source: str, first_line: int | None = None,
                   not_after: pd.Timestamp | None = None) -> pd.DataFrame:
    """Check a typed OHLCV frame against every rule; return it with float columns."""

    def where(row: int) -> str:
        date = f"{frame.index[row]:%Y-%m-%d}"
        return f"line {row + first_line} ({date})" if first_line is not None else f"row {date}"

    if len(frame) == 0:
        raise PriceDataError(f"{source}: no rows; expected at least one session")
    missing = [column for column in PRICE_COLUMNS if column not in frame.columns]
    if missing:
        raise PriceDataError(f"{source}: missing column(s) {', '.join(missing)}")
    frame = frame[PRICE_COLUMNS].astype(float)
    values = frame.to_numpy()
    nan_rows = np.flatnonzero(np.isnan(values).any(axis=1))
    if len(nan_rows):
        row = int(nan_rows[0])
        column = PRICE_COLUMNS[int(np.flatnonzero(np.isnan(values[row]))[0])]
        raise PriceDataError(f"{source}: {where(row)}: {column} is missing (NaN); remove the row or fill it")
    index = frame.index
    steps = np.diff(index.to_numpy().astype("datetime64[ns]").astype(np.int64))
    if (steps == 0).any():
        row = int(np.flatnonzero(steps == 0)[0]) + 1
        raise PriceDataError(f"{source}: {where(row)}: duplicate date; keep one row per session")
    if (steps < 0).any():
        row = int(np.flatnonzero(steps < 0)[0]) + 1
        raise PriceDataError(f"{source}: {where(row)}: date goes backwards; sort rows by Date")
    open_, high, low, close, volume = values.T
    _first_violation(source, where, ~(np.minimum(open_, np.minimum(low, close)) > 0),
                     "prices must be > 0")
    _first_violation(source, where, volume < 0, "Volume must be >= 0")
    _first_violation(source, where, high < low * (1 - OHLC_TOLERANCE), "High is below Low")
    body_low = np.minimum(open_, close)
    body_high = np.maximum(open_, close)
    _first_violation(source, where, low > body_low * (1 + OHLC_TOLERANCE),
                     "Low is above min(Open, Close)")
    _first_violation(source, where, high < body_high * (1 - OHLC_TOLERANCE),
                     "High is below max(Open, Close)")
    _check_range(pd.DatetimeIndex(index), source, where, not_after)
    _check_sessions(pd.DatetimeIndex(index), source, where)
    return frame


def _first_violation(source: str, where: RowLabel, mask: np.ndarray, rule: str) -> None:
    rows = np.flatnonzero(mask)
    if len(rows):
        raise PriceDataError(f"{source}: {where(int(rows[0]))}: {rule}")


def _check_range(index: pd.DatetimeIndex, source: str, where: RowLabel,
                 not_after: pd.Timestamp | None) -> None:
    """Dates the calendar knows and, with not_after, sessions that have closed."""
    low, high = calendar_range()
    if index[0] < low:
        raise PriceDataError(f"{source}: {where(0)}: before {low:%Y-%m-%d}, the first session the NYSE "
                             "calendar (exchange-calendars) covers; remove the rows before it")
    if not_after is not None and index[-1] > not_after:
        row = int(index.searchsorted(not_after, side="right"))
        raise PriceDataError(f"{source}: {where(row)}: this session has not closed yet (the last completed "
                             f"NYSE session is {not_after:%Y-%m-%d}); remove the rows from here on")
    if index[-1] > high:
        row = int(index.searchsorted(high, side="right"))
        raise PriceDataError(f"{source}: {where(row)}: after {high:%Y-%m-%d}, the last date the NYSE "
                             "calendar covers; remove the rows from here on")


def _check_sessions(index: pd.DatetimeIndex, source: str, where: RowLabel) -> None:
    expected = sessions_between(index[0], index[-1])
    if len(expected) == len(index) and (expected.to_numpy() == index.to_numpy()).all():
        return
    not_sessions = index.difference(expected)
    if len(not_sessions):
        row = int(index.searchsorted(not_sessions[0]))
        raise PriceDataError(
            f"{source}: {where(row)}: not an NYSE session (weekend or holiday); remove the row"
        )
    missing = expected.difference(index)
    row = int(index.searchsorted(missing[0]))
    raise PriceDataError(
        f"{source}: {where(row)}: session {missing[0]:%Y-%m-%d} is missing before this row "
        f"({len(missing)} missing in all); the file must hold every NYSE session between its "
        "first and last date"
    )
