"""The alert engine stops a position where the fill kernel stops a satellite bought at the same
price on the same day: same session, same fill, same rule (hypothesis, bounded, derandomised),
and on the bundled prices with the shipped [stops]."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.model import ResolvedPosition, RuleSettings
from bot.rules import alert_timeline
from market.calendar import sessions_between
from market.store import BUNDLED_DIR
from market.validation import read_price_csv
from satellite.config import load_config
from strategies.stops import StopSpec
from tests.bot.conftest import POSITIONS
from tests.bot.kernel_probe import kernel_exit
from tests.conftest import Invoke

BOUNDED = settings(max_examples=150, derandomize=True, deadline=None)
SESSIONS = sessions_between(pd.Timestamp("2024-01-02"), pd.Timestamp("2024-06-28"))
NO_RULES = RuleSettings(drawdown_levels=(), satellites=("SAT",))


@st.composite
def paths(draw: st.DrawFn) -> pd.DataFrame:
    """30-60 sessions of a random walk with gaps, each bar's high and low around open and close."""
    n = draw(st.integers(30, 60))
    unit = st.floats(0.0, 1.0, allow_nan=False)
    moves = draw(st.lists(st.floats(-0.08, 0.08, allow_nan=False), min_size=n, max_size=n))
    gaps = draw(st.lists(st.floats(-0.05, 0.05, allow_nan=False), min_size=n, max_size=n))
    wicks = draw(st.lists(st.tuples(unit, unit), min_size=n, max_size=n))
    close, rows = 100.0, []
    for move, gap, (up, down) in zip(moves, gaps, wicks, strict=True):
        open_ = round(close * (1 + gap), 2)
        close = round(open_ * (1 + move), 2)
        high = round(max(open_, close) * (1 + 0.04 * up), 2)
        low = round(min(open_, close) * (1 - 0.04 * down), 2)
        rows.append((open_, high, low, close))
    frame = pd.DataFrame(rows, columns=["Open", "High", "Low", "Close"],
                         index=pd.DatetimeIndex(SESSIONS[:n], name="Date"))
    frame["Volume"] = 1000.0
    return frame


def maybe(values: st.SearchStrategy[float] | st.SearchStrategy[int]) -> st.SearchStrategy[object]:
    return st.one_of(st.none(), values)


specs = st.builds(
    StopSpec,
    fixed_pct=maybe(st.sampled_from([0.03, 0.05, 0.1, 0.2])),
    trailing_pct=maybe(st.sampled_from([0.03, 0.05, 0.08, 0.12, 0.2])),
    trail_from=st.sampled_from(["high", "close"]),
    atr_mult=maybe(st.sampled_from([0.5, 1.0, 2.0, 3.0])),
    atr_window=st.integers(2, 10),
    time_sessions=maybe(st.integers(1, 25)),
    take_profit_pct=maybe(st.sampled_from([0.05, 0.1, 0.3])),
    breaker_drawdown=maybe(st.sampled_from([0.05, 0.1, 0.2])),
    breaker_rearm_sessions=maybe(st.integers(1, 5)),
)


@BOUNDED
@given(paths(), specs, st.integers(0, 25))
def test_the_alert_engine_stops_where_the_fill_kernel_does(
    frame: pd.DataFrame, spec: StopSpec, entry_row: int
) -> None:
    entry = frame.index[entry_row]
    position = ResolvedPosition("SAT", 10.0, entry, float(frame["Open"].iloc[entry_row]), spec, True)
    # the [stops] breaker watches the portfolio: here the one satellite, as in the kernel's run
    alerts = alert_timeline({"SAT": frame}, [position], [], replace(NO_RULES, stops=spec), frame.index[-1])
    hits = [a for a in alerts if a.rule == "stop_hit"]
    expected = kernel_exit(frame, entry, spec)
    if expected is None:
        assert hits == []
        return
    assert len(hits) == 1
    assert (hits[0].session, hits[0].stop_rule) == (expected.session, expected.rule)
    assert hits[0].fill == pytest.approx(expected.price, rel=1e-12)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    shipped = Path(__file__).parents[2] / "config.toml"
    path.write_text(shipped.read_text() + POSITIONS)
    return path


def test_replay_on_the_bundled_prices_stops_where_the_kernel_does(invoke: Invoke, config: Path) -> None:
    """NVDA, NBIS and CRWV bought 2025-10-01 with the shipped [stops] (15% trailing the high)."""
    result = invoke("alerts", "replay", "--start", "2025-10-01", "--end", "2026-07-02", "--json")
    assert result.exit_code == 0, result.output
    alerts = json.loads(result.output)
    hits = {a["subject"]: a for a in alerts if a["rule"] == "stop_hit"}
    spec = StopSpec.from_config(load_config(config).settings.stops)
    for ticker in ("NVDA", "NBIS", "CRWV"):
        frame = read_price_csv(BUNDLED_DIR / f"{ticker}.csv")
        expected = kernel_exit(frame, pd.Timestamp("2025-10-01"), spec)
        assert expected is not None
        got = hits[ticker]
        assert (got["session"], got["stop_rule"]) == (f"{expected.session:%Y-%m-%d}", expected.rule)
        assert got["fill"] == pytest.approx(expected.price, rel=1e-12)
    assert {t: (a["session"], round(a["fill"], 2)) for t, a in hits.items()} == {
        "NBIS": ("2025-10-17", 118.06), "CRWV": ("2025-10-17", 130.22), "NVDA": ("2025-11-07", 180.36)}
    last_stop = max(a["session"] for a in hits.values())
    assert not [a for a in alerts if a["subject"] == "portfolio" and a["session"] > last_stop]
    assert np.all([set(a) == {"session", "rule", "subject", "level", "close", "message", "fill",
                              "stop_rule"} for a in alerts])
