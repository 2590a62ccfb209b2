"""Day-0 alignment and pre-announcement prices against the bundled CSVs."""

from __future__ import annotations

import csv
import datetime as dt

import pandas as pd
import pytest

from events.align import align_all, align_event, reaction
from events.catalogue import SHIPPED_CATALOGUE, load_catalogue
from market.store import BUNDLED_DIR, PriceStore
from tests.events.helpers import KNOWN, TODAY, event

STORE = PriceStore(BUNDLED_DIR / "no-user-dir", BUNDLED_DIR)
FRAMES = STORE.load_frames(["CRWV", "NBIS", "NVDA"])
EVENTS = {item.id: item for item in load_catalogue([SHIPPED_CATALOGUE], KNOWN, TODAY)}

# The day-0 move column of ../shared/research/events.md (percent), copied as a check.
DAY0_MOVES = {
    ("nbis-700m-raise", "NBIS"): 17.1,
    ("deepseek-shock", "NVDA"): -17.0,
    ("deepseek-shock", "NBIS"): -37.4,
    ("crwv-openai-4b", "CRWV"): -2.5,
    ("crwv-core-scientific", "CRWV"): -3.3,
    ("nbis-q2-2025", "NBIS"): 18.6,
    ("crwv-q2-2025", "CRWV"): -20.8,
    ("crwv-lockup-expiry", "CRWV"): -15.5,
    ("nbis-microsoft", "NBIS"): 49.4,
    ("oracle-openai-backlog", "CRWV"): 16.9,
    ("oracle-openai-backlog", "NVDA"): 3.8,
    ("crwv-nvidia-6.3b", "CRWV"): 7.6,
    ("nvda-openai-100b", "NVDA"): 3.9,
    ("crwv-openai-6.5b", "CRWV"): -5.1,
    ("crwv-meta-14.2b", "CRWV"): 11.7,
    ("openai-amd", "NVDA"): -1.1,
    ("crwv-core-scientific-rejected", "CRWV"): -6.3,
    ("crwv-q3-2025", "CRWV"): -16.3,
    ("nbis-meta-3b", "NBIS"): -7.0,
}


def bundled_closes(ticker: str) -> dict[str, float]:
    """Closes read straight from the CSV, independent of the store."""
    with (BUNDLED_DIR / f"{ticker}.csv").open(encoding="utf-8") as handle:
        return {row["Date"]: float(row["Close"]) for row in csv.DictReader(handle)}


def test_after_close_news_reacts_the_next_session() -> None:
    aligned = align_event(EVENTS["nbis-microsoft"], "NBIS", FRAMES["NBIS"])
    assert aligned.day0 == pd.Timestamp("2025-09-09")
    assert aligned.pre_close == bundled_closes("NBIS")["2025-09-08"]
    assert aligned.tradable and aligned.in_data
    assert not aligned.timing_flagged and not aligned.off_session


def test_pre_market_news_reacts_the_same_session() -> None:
    aligned = align_event(EVENTS["crwv-meta-14.2b"], "CRWV", FRAMES["CRWV"])
    assert aligned.day0 == pd.Timestamp("2025-09-30")
    assert aligned.pre_close == bundled_closes("CRWV")["2025-09-29"]


def test_intraday_news_reacts_the_same_session() -> None:
    aligned = align_event(EVENTS["nvda-openai-100b"], "NVDA", FRAMES["NVDA"])
    assert aligned.day0 == pd.Timestamp("2025-09-22")
    assert aligned.pre_close == bundled_closes("NVDA")["2025-09-19"]


@pytest.mark.parametrize(
    ("announced", "timing", "day0", "pre_close_day"),
    [
        (dt.date(2025, 9, 6), "pre_market", "2025-09-08", "2025-09-05"),  # Saturday
        (dt.date(2025, 9, 7), "after_close", "2025-09-08", "2025-09-05"),  # Sunday evening
        (dt.date(2025, 9, 5), "after_close", "2025-09-08", "2025-09-05"),  # Friday evening
        (dt.date(2025, 7, 4), "intraday", "2025-07-07", "2025-07-03"),  # Independence Day
        (dt.date(2025, 12, 24), "after_close", "2025-12-26", "2025-12-24"),  # before Christmas
    ],
)
def test_weekend_and_holiday_announcements_map_to_the_next_session(
    announced: dt.date, timing: str, day0: str, pre_close_day: str
) -> None:
    aligned = align_event(event(announced, timing), "NBIS", FRAMES["NBIS"])
    assert aligned.day0 == pd.Timestamp(day0)
    assert aligned.pre_close == bundled_closes("NBIS")[pre_close_day]
    assert aligned.off_session == (announced.weekday() >= 5 or announced == dt.date(2025, 7, 4))


def test_unknown_timing_uses_the_date_and_is_flagged() -> None:
    aligned = align_event(event(dt.date(2025, 9, 8), "unknown"), "NBIS", FRAMES["NBIS"])
    assert aligned.day0 == pd.Timestamp("2025-09-08")
    assert aligned.timing_flagged


def test_event_before_listing_is_not_tradable_not_an_error() -> None:
    aligned = align_event(EVENTS["crwv-openai-11.9b"], "CRWV", FRAMES["CRWV"])
    assert not aligned.tradable
    assert aligned.day0 is None and aligned.pre_close is None
    assert aligned.timing_flagged
    assert reaction(aligned, FRAMES["CRWV"]) is None


def test_listing_day_has_no_pre_close() -> None:
    aligned = align_event(EVENTS["crwv-ipo"], "CRWV", FRAMES["CRWV"])
    assert aligned.tradable and aligned.day0 == pd.Timestamp("2025-03-28")
    assert aligned.pre_close is None
    assert bundled_closes("CRWV")["2025-03-28"] == 40.0


def test_event_after_the_stored_prices() -> None:
    short = FRAMES["NBIS"].loc[:"2025-09-08"]
    aligned = align_event(EVENTS["nbis-microsoft"], "NBIS", short)
    assert aligned.tradable and not aligned.in_data
    assert aligned.day0 == pd.Timestamp("2025-09-09")
    assert aligned.pre_close == bundled_closes("NBIS")["2025-09-08"]
    assert reaction(aligned, short) is None


def test_every_pre_close_is_the_bundled_close_of_the_previous_session() -> None:
    aligned = align_all(list(EVENTS.values()), FRAMES)
    assert len(aligned) == 24
    for item in aligned:
        if item.pre_close is None:
            continue
        assert item.day0 is not None
        closes = bundled_closes(item.ticker)
        dates = sorted(closes)
        previous = dates[dates.index(f"{item.day0:%Y-%m-%d}") - 1]
        assert item.pre_close == closes[previous], item.event.id


def test_day0_moves_match_the_research_table() -> None:
    aligned = {(item.event.id, item.ticker): item for item in align_all(list(EVENTS.values()), FRAMES)}
    for key, expected in DAY0_MOVES.items():
        move = reaction(aligned[key], FRAMES[key[1]])
        assert move is not None
        assert move * 100 == pytest.approx(expected, abs=0.1), key


def test_align_all_skips_tickers_without_prices() -> None:
    aligned = align_all([EVENTS["oracle-openai-backlog"]], {"NVDA": FRAMES["NVDA"]})
    assert [item.ticker for item in aligned] == ["NVDA"]


def test_five_session_return() -> None:
    aligned = align_event(EVENTS["nbis-microsoft"], "NBIS", FRAMES["NBIS"])
    closes = bundled_closes("NBIS")
    expected = closes["2025-09-15"] / closes["2025-09-08"] - 1
    assert reaction(aligned, FRAMES["NBIS"], 5) == pytest.approx(expected)
