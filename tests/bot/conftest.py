"""Bot fixtures: a fake Bot API server on 127.0.0.1, a config pointing at it, the token in env."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from bot.alert import Alert
from bot.store import AlertStore
from tests.bot.fake_bot_api import TOKEN, FakeBotApi

OWNER = 1111
STRANGER = 2222
GROUP = -1003333
TOKEN_REGEX = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")

POSITIONS = """
[[positions]]
ticker = "NVDA"
shares = 100
entry_date = 2025-10-01

[[positions]]
ticker = "NBIS"
shares = 100
entry_date = 2025-10-01

[[positions]]
ticker = "CRWV"
shares = 100
entry_date = 2025-10-01
"""


def write_config(folder: Path, base_url: str, extra_telegram: str = "", extra: str = "") -> Path:
    path = folder / "config.toml"
    path.write_text(
        '[data]\ndir = "data"\n'
        "[schedule]\nfetch_timeout = 2\n"
        f'[telegram]\nbase_url = "{base_url}"\nchat_ids = [{OWNER}]\nuser_ids = [{OWNER}]\n'
        f"timeout = 2\nretry_seconds = 1\n{extra_telegram}\n{extra}\n{POSITIONS}")
    return path


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """`bot run` configures the root logger; give the next test the one it had."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


@pytest.fixture
def bot_config(tmp_path: Path, api: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SATELLITE_TELEGRAM_TOKEN", TOKEN)
    return write_config(tmp_path, api.base_url)


def alert(rule: str = "near_stop", subject: str = "NVDA", session: str = "2025-10-22", state: str = "",
          message: str | None = None) -> Alert:
    return Alert(pd.Timestamp(session), rule, subject, state, 100.0, 101.0,  # type: ignore[arg-type]
                 message or f"{subject} {rule} on {session}")


def seed(path: Path, *alerts: Alert, session: str = "2025-10-22") -> AlertStore:
    store = AlertStore(path)
    store.record_session(pd.Timestamp(session), list(alerts), True, {})
    return store


def no_token_in(*texts: str) -> bool:
    return not any(TOKEN_REGEX.search(text) or TOKEN in text for text in texts)
