"""Shared fixtures: an isolated data dir and config for every test, and a CLI runner.

Sockets are blocked except to 127.0.0.1 (pytest-socket, see pyproject addopts): a test that
tries to reach Yahoo or Telegram fails at once instead of hanging.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from market.sources import YFinanceSource
from satellite.errors import SourceUnavailableError
from satellite.paths import use_numba_cache
from satellite_cli.app import app
from satellite_cli.context import AppContext

# Compiled kernels (vectorbt's too) are shared with the CLI (and dev.py's warm-up) in the user
# cache, never written beside the sources.
use_numba_cache()

TESTS = Path(__file__).parent
DATA = TESTS / "data"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads the developer's config, data dir or token."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("SATELLITE_CONFIG", raising=False)
    monkeypatch.delenv("SATELLITE_DATA_DIR", raising=False)
    monkeypatch.delenv("SATELLITE_TELEGRAM_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(YFinanceSource, "fetch", refuse_yahoo)
    monkeypatch.setattr(YFinanceSource, "latest_quote", refuse_yahoo)
    return tmp_path


def refuse_yahoo(self: YFinanceSource, ticker: str, *_: object) -> None:
    """yfinance talks through curl_cffi, which pytest-socket cannot see: refuse it at the edge."""
    raise SourceUnavailableError(f"{ticker}: Yahoo Finance is not reachable from the tests")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "user-data"
    path.mkdir()
    return path


Invoke = Callable[..., Result]


@pytest.fixture
def invoke() -> Invoke:
    """Run the CLI in-process: invoke("data", "check", context=AppContext(...))."""
    runner = CliRunner()

    def run(*args: str, context: AppContext | None = None) -> Result:
        return runner.invoke(app, list(args), obj=context or AppContext())

    return run
