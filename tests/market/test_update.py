"""RELIABILITY.md case 2: `data update` against yfinance-shaped answers, good and bad."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from market.store import BUNDLED_DIR, PriceStore
from market.update import OVERLAP_SESSIONS, update_ticker
from market.validation import read_price_csv
from satellite.errors import PriceDataError, SourceUnavailableError
from satellite_cli.context import AppContext
from tests.conftest import Invoke
from tests.market.fake_source import FakeYahoo, extend

# 2026-07-08 17:30 New York: sessions 07-06, 07-07, 07-08 are done (07-03 is a holiday).
NOW = pd.Timestamp("2026-07-08 21:30", tz="UTC")
NEW_DAYS = ["2026-07-06", "2026-07-07", "2026-07-08"]


def bundled(ticker: str) -> pd.DataFrame:
    return read_price_csv(BUNDLED_DIR / f"{ticker}.csv")


@pytest.fixture
def store(data_dir: Path) -> PriceStore:
    return PriceStore(data_dir)


@pytest.fixture
def yahoo() -> FakeYahoo:
    return FakeYahoo({"CRWV": extend(bundled("CRWV"), NEW_DAYS)})


def test_fetches_only_the_missing_sessions_plus_overlap(store: PriceStore, yahoo: FakeYahoo) -> None:
    report = update_ticker(store, yahoo, "CRWV", NOW)
    assert report.added == 3 and f"{report.last:%Y-%m-%d}" == "2026-07-08"
    assert report.stale_sessions == 0 and not report.revised
    ((_, start, end),) = yahoo.calls
    assert str(start) == f"{bundled('CRWV').index[-OVERLAP_SESSIONS]:%Y-%m-%d}"
    assert str(end) == "2026-07-08"
    stored = store.load("CRWV")
    assert stored.source == "user" and len(stored.frame) == 320
    pd.testing.assert_frame_equal(stored.frame, yahoo.history["CRWV"], check_freq=False)


def test_up_to_date_ticker_asks_nothing(store: PriceStore, yahoo: FakeYahoo) -> None:
    update_ticker(store, yahoo, "CRWV", NOW)
    report = update_ticker(store, yahoo, "CRWV", NOW)
    assert report.added == 0 and len(yahoo.calls) == 1


def test_empty_answer_changes_nothing(store: PriceStore, yahoo: FakeYahoo) -> None:
    yahoo.empty = True
    with pytest.raises(SourceUnavailableError, match="returned no data"):
        update_ticker(store, yahoo, "CRWV", NOW)
    assert not (store.user_dir / "CRWV.csv").exists()


def test_rate_limited_or_offline_changes_nothing(store: PriceStore, yahoo: FakeYahoo) -> None:
    update_ticker(store, yahoo, "CRWV", NOW)
    before = (store.user_dir / "CRWV.csv").read_bytes()
    yahoo.offline = True
    with pytest.raises(SourceUnavailableError):
        update_ticker(store, yahoo, "CRWV", NOW + pd.Timedelta(days=1))
    assert (store.user_dir / "CRWV.csv").read_bytes() == before


def test_null_bars_inside_the_answer_are_refused(store: PriceStore, yahoo: FakeYahoo) -> None:
    yahoo.null_dates = ["2026-07-07"]
    with pytest.raises(SourceUnavailableError, match=r"2026-07-07 is missing.*partial"):
        update_ticker(store, yahoo, "CRWV", NOW)
    assert not (store.user_dir / "CRWV.csv").exists()


def test_missing_last_session_is_stored_and_reported_stale(store: PriceStore, yahoo: FakeYahoo) -> None:
    yahoo.missing_last = 1
    report = update_ticker(store, yahoo, "CRWV", NOW)
    assert f"{report.last:%Y-%m-%d}" == "2026-07-07" and report.stale_sessions == 1
    assert "still 1 session(s) behind" in report.describe()


def test_revised_overlap_refetches_the_whole_history(store: PriceStore, yahoo: FakeYahoo) -> None:
    yahoo.revise_factor = 0.99  # e.g. a dividend re-adjusts every past price
    report = update_ticker(store, yahoo, "CRWV", NOW)
    assert len(report.revised) == OVERLAP_SESSIONS and report.refetched_history
    assert str(yahoo.calls[-1][1]) == "2025-03-28"
    stored = store.load("CRWV").frame
    assert stored["Close"].iloc[0] == pytest.approx(40.0 * 0.99)


def test_a_new_ticker_gets_its_whole_history(store: PriceStore) -> None:
    qqq = bundled("NBIS").iloc[:50]
    yahoo = FakeYahoo({"QQQ": qqq})
    now = pd.Timestamp(qqq.index[-1]) + pd.Timedelta(hours=23)
    report = update_ticker(store, yahoo, "QQQ", now)
    assert yahoo.calls[0][1] is None and report.added == 50
    assert store.tickers() == ["CRWV", "NBIS", "NVDA", "QQQ"]


def test_timezone_aware_index_is_normalised(store: PriceStore, yahoo: FakeYahoo) -> None:
    frame = yahoo.history["CRWV"]
    yahoo.history["CRWV"] = frame.set_axis(frame.index.tz_localize("America/New_York"))
    update_ticker(store, yahoo, "CRWV", NOW)
    assert store.load("CRWV").frame.index.tz is None


def test_a_failed_rename_leaves_the_old_file(store: PriceStore, yahoo: FakeYahoo,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    update_ticker(store, yahoo, "CRWV", NOW - pd.Timedelta(days=1))
    before = (store.user_dir / "CRWV.csv").read_bytes()

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(PriceDataError, match=r"cannot write CRWV.csv there \(disk full\)"):
        update_ticker(store, yahoo, "CRWV", NOW)
    assert (store.user_dir / "CRWV.csv").read_bytes() == before
    assert [path.name for path in store.user_dir.iterdir()] == ["CRWV.csv"]


def test_cli_update_reports_and_exits_3_on_failure(invoke: Invoke, data_dir: Path) -> None:
    yahoo = FakeYahoo({}, empty=True)
    result = invoke("data", "update", "CRWV", "NBIS",
                    context=AppContext(data_dir_option=data_dir, price_source=yahoo))
    assert result.exit_code == 3
    assert "CRWV: Fake Yahoo returned no data" in result.output
    assert "NBIS: Fake Yahoo returned no data" in result.output
    assert "Traceback" not in result.output
    assert list(data_dir.iterdir()) == []


def test_yfinance_complaints_become_the_reason_and_stay_off_the_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging

    from market.sources import quiet_yfinance

    with quiet_yfinance() as complaints:
        logging.getLogger("yfinance").error(
            "Failed to get ticker 'QQQ' reason: Too Many Requests. Rate limited. Try after a while."
        )
        logging.getLogger("yfinance").warning("Cookie/crumb fetch failed, continuing without crumb")
    assert complaints == ["Too Many Requests. Rate limited. Try after a while."]
    captured = capsys.readouterr()
    assert "Cookie" not in captured.err and "Rate limited" not in captured.err
