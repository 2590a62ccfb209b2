"""Where prices live: the bundled CSVs (package data) and the user's data directory.

A ticker in the user directory takes precedence over the bundled file. Writes are atomic: a
temporary file in the same folder, flushed to disk, then renamed over the old one, so a failed or
interrupted write leaves the previous file whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from market import PRICE_COLUMNS
from satellite.errors import PriceDataError, UnknownTickerError
from satellite.files import write_text_atomically

if TYPE_CHECKING:  # pandas loads when prices are read, so listing and checking files stays light
    import pandas as pd

BUNDLED_DIR = Path(__file__).parent / "data"
Source = Literal["bundled", "user"]


@dataclass(frozen=True)
class StoredPrices:
    ticker: str
    frame: pd.DataFrame
    source: Source
    path: Path


class PriceStore:
    """Read validated prices by ticker; write a ticker's prices atomically to the user dir."""

    def __init__(self, user_dir: Path, bundled_dir: Path = BUNDLED_DIR) -> None:
        self.user_dir = user_dir
        self.bundled_dir = bundled_dir

    def path_of(self, ticker: str) -> tuple[Path, Source] | None:
        user_file = self.user_dir / f"{ticker}.csv"
        if user_file.is_file():
            return user_file, "user"
        bundled_file = self.bundled_dir / f"{ticker}.csv"
        if bundled_file.is_file():
            return bundled_file, "bundled"
        return None

    def tickers(self) -> list[str]:
        """Every ticker with prices, bundled or user, sorted."""
        names = {path.stem for path in self.bundled_dir.glob("*.csv")}
        if self.user_dir.is_dir():
            names |= {path.stem for path in self.user_dir.glob("*.csv")}
        return sorted(names)

    def has(self, ticker: str) -> bool:
        return self.path_of(ticker) is not None

    def load(self, ticker: str) -> StoredPrices:
        found = self.path_of(ticker)
        if found is None:
            raise UnknownTickerError(
                f"no prices for {ticker}: run `satellite data update {ticker}` (needs a network) "
                f"or `satellite data import {ticker} FILE`"
            )
        from market.validation import read_price_csv

        path, source = found
        return StoredPrices(ticker, read_price_csv(path), source, path)

    def load_frames(self, tickers: list[str]) -> dict[str, pd.DataFrame]:
        return {ticker: self.load(ticker).frame for ticker in tickers}

    def write(self, ticker: str, frame: pd.DataFrame) -> Path:
        """Validate, then atomically replace the user's file for ticker."""
        from market.validation import validate_frame

        target = self.user_dir / f"{ticker}.csv"
        frame = validate_frame(frame, f"{ticker} (to be written to {target})")
        try:
            self.user_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            reason = err.strerror or err
            raise PriceDataError(f"{self.user_dir}: cannot create the data directory ({reason}); fix its "
                                 "parent's permissions or choose another with --data-dir") from None
        try:
            write_text_atomically(target, frame_to_csv(frame))
        except OSError as err:
            reason = err.strerror or err
            raise PriceDataError(f"{self.user_dir}: cannot write {target.name} there ({reason}); make the "
                                 "data directory writable or pick another (--data-dir)") from None
        return target

    def remove(self, ticker: str) -> Path:
        """Delete the user's file for ticker (the bundled file, if any, is used again)."""
        target = self.user_dir / f"{ticker}.csv"
        if not target.is_file():
            raise UnknownTickerError(
                f"{ticker}: no imported or updated prices in {self.user_dir} to remove"
            )
        target.unlink()
        return target


def frame_to_csv(frame: pd.DataFrame) -> str:
    """CSV text in the bundled layout: Date as YYYY-MM-DD, full float precision, integer volume."""
    import pandas as pd

    out = frame[PRICE_COLUMNS].copy()
    out["Volume"] = out["Volume"].round().astype("int64")
    out.index = pd.DatetimeIndex(out.index).strftime("%Y-%m-%d")
    out.index.name = "Date"
    return out.to_csv(lineterminator="\n")
