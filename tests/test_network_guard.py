"""The test run may only reach 127.0.0.1: anything else fails at once instead of hanging."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from pytest_socket import SocketConnectBlockedError

from tests.conftest import Invoke


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_a_connection_off_the_machine_is_refused_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("192.0.2.1", 443), timeout=5)  # TEST-NET-1: never routed
    assert time.monotonic() - started < 1


def test_loopback_is_allowed() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass


def test_yahoo_is_refused_in_process(invoke: Invoke, data_dir: Path) -> None:
    result = invoke("--data-dir", str(data_dir), "data", "update", "NVDA")
    assert result.exit_code == 3
    assert "NVDA: Yahoo Finance is not reachable from the tests" in result.output
    assert list(data_dir.iterdir()) == []
