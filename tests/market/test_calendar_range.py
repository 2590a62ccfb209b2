"""Dates outside the NYSE calendar's range (1990-01-02 to about a year ahead) are answered, not
crashed on (issue 17, case 8): an event dated 1985 is kept and not tradable."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from events.align import align_event
from events.catalogue import Event
from market.calendar import calendar_range, is_session, next_session, sessions_between
from market.store import BUNDLED_DIR
from market.validation import read_price_csv
from tests.conftest import Invoke

OLD_EVENT = """
[[event]]
id = "nvda-1985"
announced = 1985-06-03
timing = "after_close"
tickers = ["NVDA"]
kind = "contract"
summary = "before the calendar"
"""


def test_the_calendar_answers_outside_its_range() -> None:
    low, high = calendar_range()
    assert low == pd.Timestamp("1990-01-02") and high > pd.Timestamp.now() + pd.Timedelta(days=300)
    assert list(sessions_between(pd.Timestamp("1985-01-01"), pd.Timestamp("1990-01-03"))) == [
        pd.Timestamp("1990-01-02"), pd.Timestamp("1990-01-03")]
    assert len(sessions_between(high + pd.Timedelta(days=10), high + pd.Timedelta(days=40))) == 0
    assert is_session(pd.Timestamp("1985-06-03")) and not is_session(pd.Timestamp("1985-06-01"))  # Mon, Sat
    assert next_session(pd.Timestamp("1985-06-03")) == low


def test_an_event_before_1990_is_kept_and_not_tradable() -> None:
    event = Event(id="nvda-1985", announced=dt.date(1985, 6, 3), timing="after_close", tickers=("NVDA",),
                  kind="contract", summary="before the calendar")
    aligned = align_event(event, "NVDA", read_price_csv(BUNDLED_DIR / "NVDA.csv"))
    assert not aligned.tradable and aligned.day0 is None and aligned.pre_close is None


def test_events_list_shows_an_event_from_1985_as_not_tradable(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "old.toml").write_text(OLD_EVENT)
    (tmp_path / "config.toml").write_text('[events]\nfiles = ["old.toml"]\n')
    result = invoke("events", "list", "--ticker", "NVDA", "--json")
    assert result.exit_code == 0, result.output
    [row] = [row for row in json.loads(result.output) if row["id"] == "nvda-1985"]
    assert row["tradable"] is False and row["day0"] is None and "not tradable" in row["note"]
