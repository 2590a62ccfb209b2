"""Remote price sources behind one small interface, and the yfinance adapter.

A source returns a yfinance-shaped frame; `normalise_download` turns it into the store's layout
and every answer then passes the same validation as the bundled files. Tests pass a fake
source that returns such frames; yfinance itself is only imported when it is really used.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from market import PRICE_COLUMNS
from satellite.errors import SourceUnavailableError

YAHOO_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class Quote:
    """The latest trade of a session in progress: price, when (tz-aware), and the session's open
    and low so far (None when the source does not say)."""

    ticker: str
    price: float
    at: dt.datetime
    open: float | None = None
    low: float | None = None


class PriceSource(Protocol):
    """Anything that can answer daily OHLCV bars for one ticker, and its latest quote."""

    name: str

    def fetch(self, ticker: str, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        """Daily bars from start (None: the whole history) to end, both included.

        Returns a frame shaped like yfinance.download's (possibly MultiIndex columns, possibly
        empty). Raises SourceUnavailableError when the source cannot be reached.
        """
        ...

    def latest_quote(self, ticker: str) -> Quote:
        """The latest price of the session in progress (or the last one). Raises
        SourceUnavailableError when the source cannot be reached or has no price."""
        ...


class YFinanceSource:
    """Yahoo Finance through yfinance, adjusted prices (auto_adjust=True), explicit layout."""

    name = "Yahoo Finance"

    def __init__(self, timeout: float = YAHOO_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout

    def fetch(self, ticker: str, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        import yfinance

        window: dict[str, object] = {"end": end + dt.timedelta(days=1)}  # yfinance's end is exclusive
        if start is None:
            window["period"] = "max"
            del window["end"]
        else:
            window["start"] = start
        with quiet_yfinance() as complaints:
            try:
                frame = yfinance.download(
                    ticker,
                    auto_adjust=True,
                    group_by="column",
                    multi_level_index=True,
                    actions=False,
                    progress=False,
                    threads=False,
                    timeout=self.timeout,
                    **window,
                )
            except Exception as err:  # yfinance raises many kinds; all mean "could not get data"
                raise SourceUnavailableError(
                    f"{ticker}: Yahoo Finance could not be reached ({type(err).__name__}); "
                    "check the network and retry later; nothing changed"
                ) from None
        if frame is None or frame.empty:
            reason = f" ({complaints[-1]})" if complaints else ""
            raise SourceUnavailableError(
                f"{ticker}: Yahoo Finance returned no data{reason}: offline, rate-limited or an "
                "unknown ticker; nothing changed"
            )
        return frame

    def latest_quote(self, ticker: str) -> Quote:
        """Today's one-minute bars (regular hours): the last close, its time, the open, the low."""
        import yfinance

        with quiet_yfinance() as complaints:
            try:
                bars = yfinance.Ticker(ticker).history(period="1d", interval="1m", prepost=False,
                                                       auto_adjust=False, timeout=self.timeout)
            except Exception as err:  # yfinance raises many kinds; all mean "no quote now"
                raise SourceUnavailableError(f"{ticker}: Yahoo Finance could not be reached "
                                             f"({type(err).__name__})") from None
        bars = bars.dropna(subset=["Close"]) if bars is not None and "Close" in bars else None
        if bars is None or bars.empty:
            reason = f" ({complaints[-1]})" if complaints else ""
            raise SourceUnavailableError(f"{ticker}: Yahoo Finance has no quote{reason}")
        moment = pd.Timestamp(bars.index[-1])
        at = (moment if moment.tzinfo is not None else moment.tz_localize("America/New_York")).to_pydatetime()
        return Quote(ticker, float(bars["Close"].iloc[-1]), at, float(bars["Open"].iloc[0]),
                     float(bars["Low"].min()))


@contextmanager
def quiet_yfinance() -> Iterator[list[str]]:
    """Keep yfinance's log lines and pandas warnings off the terminal; collect its errors.

    yfinance reports a failed download (rate limit, DNS, unknown symbol) only as log records
    and an empty frame: the short reasons are handed back so the one-line error can say why.
    """
    complaints: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                text = " ".join(record.getMessage().split())
                reason = text.split("reason:")[-1].split(". See ")[0].strip(" :")
                if reason and not reason.startswith("1 Failed download"):
                    complaints.append(reason[:160])

    logger = logging.getLogger("yfinance")
    handler, propagate = Collect(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield complaints
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def normalise_download(raw: pd.DataFrame, ticker: str, source_name: str) -> pd.DataFrame:
    """A yfinance-shaped frame -> the store's layout (tz-naive dates, OHLCV floats, no null bars).

    An empty answer raises SourceUnavailableError: yfinance turns every per-ticker failure (rate
    limit, offline, unknown symbol) into an empty frame and a log line.
    """
    if raw is None or raw.empty:
        raise SourceUnavailableError(
            f"{ticker}: {source_name} returned no data (offline, rate-limited, or an unknown "
            "ticker); nothing changed"
        )
    frame = raw
    if isinstance(frame.columns, pd.MultiIndex):
        tickers = frame.columns.get_level_values(-1)
        if ticker not in set(tickers):
            raise SourceUnavailableError(
                f"{ticker}: {source_name} answered for {sorted(set(tickers))}, not {ticker}; "
                "nothing changed"
            )
        frame = pd.DataFrame(frame.xs(ticker, axis=1, level=-1))
    missing = [column for column in PRICE_COLUMNS if column not in frame.columns]
    if missing:
        raise SourceUnavailableError(
            f"{ticker}: {source_name}'s answer lacks {', '.join(missing)}; nothing changed"
        )
    frame = frame[PRICE_COLUMNS].astype(float)
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_convert("America/New_York").tz_localize(None)
    frame.index = index.normalize().rename("Date")
    null_bars = frame[["Open", "High", "Low", "Close"]].isna().all(axis=1)
    frame = frame.loc[~null_bars]
    frame = frame.fillna({"Volume": 0.0})
    return frame.sort_index()
