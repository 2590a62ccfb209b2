"""Our metrics (backtests/metrics*.py) agree with vectorbt's returns accessor to 1e-9: on the
bundled runs (stats and the Portfolio vectorbt builds from the same fills) and on
hypothesis-generated value curves (bounded, derandomized).

vectorbt's information ratio is not annualised (ours is: x sqrt(252)); where vectorbt gives
+-inf we give NaN (JSON null)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import vectorbt  # noqa: F401  (registers the .vbt accessor)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backtests.metrics import SESSIONS_PER_YEAR, return_metrics, value_returns
from backtests.metrics_returns import drawdowns, monthly_returns, relative_metrics, risk_metrics
from backtests.run import BacktestResult, run_backtest
from satellite_cli.context import AppContext

TOLERANCE = 1e-9
ANN = math.sqrt(SESSIONS_PER_YEAR)


def close(ours: float, theirs: float) -> bool:
    theirs = float(theirs)
    if not math.isfinite(theirs):
        return math.isnan(ours)
    return math.isclose(ours, theirs, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def accessor(returns: pd.Series, benchmark: pd.Series | None = None) -> object:
    return returns.vbt.returns(freq="1D", year_freq=f"{int(SESSIONS_PER_YEAR)} days",
                               benchmark_rets=benchmark)


def assert_returns_agree(returns: pd.Series, benchmark: pd.Series) -> None:
    r, b = returns.to_numpy(float), benchmark.to_numpy(float)
    theirs = accessor(returns, benchmark)
    ours = return_metrics(r)
    pairs = {
        "total_return": (ours.total_return, theirs.total()),
        "cagr": (ours.cagr, theirs.annualized()),
        "max_drawdown": (ours.max_drawdown, -theirs.max_drawdown()),
        "sharpe": (ours.sharpe, theirs.sharpe_ratio()),
        "sortino": (ours.sortino, theirs.sortino_ratio()),
        "calmar": (ours.calmar, theirs.calmar_ratio()),
        "volatility": (risk_metrics(r).volatility, theirs.annualized_volatility()),
    }
    relative = relative_metrics(r, b)
    pairs |= {
        "alpha": (relative.alpha, theirs.alpha()),
        "beta": (relative.beta, theirs.beta()),
        "information_ratio": (relative.information_ratio, theirs.information_ratio() * ANN),
        "up_capture": (relative.up_capture, theirs.up_capture()),
        "down_capture": (relative.down_capture, theirs.down_capture()),
    }
    wrong = {key: pair for key, pair in pairs.items() if not close(*pair)}
    assert not wrong, wrong


def assert_drawdowns_agree(returns: pd.Series) -> None:
    """Our five worst drawdowns are vectorbt's drawdown records of the cumulated returns."""
    cum = (1.0 + returns).cumprod()
    records = cum.vbt.drawdowns.records_readable
    records = records.assign(depth=1.0 - records["Valley Value"] / records["Peak Value"])
    records = records.sort_values(["depth", "Peak Timestamp"], ascending=[False, True]).head(5)
    ours = drawdowns(returns)
    assert len(ours) == len(records)
    for mine, (_, theirs) in zip(ours, records.iterrows(), strict=True):
        assert mine.start == theirs["Peak Timestamp"]
        assert mine.trough == theirs["Valley Timestamp"]
        recovered = theirs["Status"] == "Recovered"
        assert mine.recovery == (theirs["End Timestamp"] if recovered else None)
        assert math.isclose(mine.depth, theirs["depth"], rel_tol=TOLERANCE, abs_tol=TOLERANCE)


@pytest.fixture(scope="module", params=[("core_satellite", ()),
                                        ("event_pullback", ("stops.fixed_pct=0.1",))])
def bundled(request: pytest.FixtureRequest) -> BacktestResult:
    from strategies.registry import parse_overrides

    name, overrides = request.param
    context = AppContext()
    return run_backtest(context.config.settings, context.store, name,
                        overrides=parse_overrides(list(overrides)))


def test_stats_of_the_bundled_runs_agree_with_vectorbt(bundled: BacktestResult) -> None:
    returns = bundled.portfolio.returns()  # vectorbt's accounting of the same fills
    bench = bundled.benchmark.returns()
    stats = bundled.stats
    theirs = accessor(returns, bench)
    assert close(stats["total_return"], bundled.portfolio.total_return())
    assert close(stats["cagr"], theirs.annualized())
    assert close(stats["max_drawdown"], -theirs.max_drawdown())
    assert close(stats["sharpe"], theirs.sharpe_ratio())
    assert close(stats["sortino"], theirs.sortino_ratio())
    assert close(stats["calmar"], theirs.calmar_ratio())
    assert close(stats["volatility"], theirs.annualized_volatility())
    assert close(stats["beta"], theirs.beta()) and close(stats["alpha"], theirs.alpha())
    assert close(stats["information_ratio"], theirs.information_ratio() * ANN)
    assert close(stats["up_capture"], theirs.up_capture())
    assert close(stats["down_capture"], theirs.down_capture())
    assert stats["fills"] == bundled.portfolio.orders.count()
    assert close(stats["best_day"], returns.max()) and close(stats["worst_day"], returns.min())
    assert_returns_agree(returns, bench)
    assert_drawdowns_agree(returns)
    assert stats["drawdowns"][0]["depth"] == pytest.approx(stats["max_drawdown"], abs=1e-12)
    monthly = (1.0 + returns).resample("ME").prod() - 1.0
    expected = {f"{month:%Y-%m}": value for month, value in monthly.items()}
    assert stats["monthly_returns"] == pytest.approx(expected, rel=TOLERANCE, abs=TOLERANCE)


def _curve(steps: list[int]) -> pd.Series:
    """A value curve from steps in basis points (-50% .. +50% a session), from 100 cash."""
    returns = np.asarray(steps, float) / 1e4
    return pd.Series(100.0 * np.cumprod(1.0 + returns),
                     pd.bdate_range("2024-01-02", periods=len(steps)))


STEPS = st.lists(st.integers(-5000, 5000), min_size=2, max_size=300)


@settings(max_examples=150, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(STEPS, STEPS)
def test_generated_value_curves_agree_with_vectorbt(ours: list[int], bench: list[int]) -> None:
    n = min(len(ours), len(bench))
    value, bench_value = _curve(ours[:n]), _curve(bench[:n])
    returns = pd.Series(value_returns(value.to_numpy(), 100.0), value.index)
    bench_returns = pd.Series(value_returns(bench_value.to_numpy(), 100.0), value.index)
    # Welford's streaming variance and vectorbt's two-pass one differ in rounding: they agree
    # to 1e-9 unless the spread is tiny against the mean (a constant return: std 0 vs ~1e-17)
    assume(np.std(returns) > 1e-6 and np.std(returns - bench_returns) > 1e-6)
    assume(np.std(bench_returns) > 1e-6)
    assert_returns_agree(returns, bench_returns)
    assert_drawdowns_agree(returns)
    assert monthly_returns(returns) == pytest.approx(
        {f"{m:%Y-%m}": v for m, v in ((1.0 + returns).resample("ME").prod() - 1.0).items()},
        rel=TOLERANCE, abs=TOLERANCE)

