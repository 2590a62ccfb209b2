"""Where the sweep's chunks run: here (numba threads) or on a Dask distributed cluster.

A chunk is one task: a block of rules through every span (backtests/tune_sweep.py
sweep_chunk); chunks are independent, so any executor gives the same numbers. `dask` is an optional extra:
`pip install 'satellite[dask]'`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol

import numpy as np

from satellite.errors import UserInputError

CELLS_PER_CHUNK = 16_000_000
"""Rule-sessions per chunk (the sessions each rule replays after the shared prefix, over
every span): a chunk's work, and how often the progress bar moves."""
MIN_CHUNK = 256


def chunk_size(rules: int, sessions: int) -> int:
    """Rules per chunk, from the grid and the sessions replayed per rule (at least MIN_CHUNK)."""
    return max(MIN_CHUNK, min(rules, CELLS_PER_CHUNK // max(sessions, 1)))


def chunks(rows: np.ndarray, size: int) -> list[np.ndarray]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


class Executor(Protocol):
    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any],
            done: Callable[[], None]) -> Iterator[Any]:
        """fn(task) for each task, yielded in task order as they finish; done() after each.
        Tasks are drawn lazily, so memory stays flat however many there are."""
        ...


class LocalExecutor:
    """Chunks one after the other in this process, each parallel over rules (prange); the
    next chunk runs on a worker thread while the caller takes in the last one (the kernel
    releases the GIL), so at most two chunks are in memory."""

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any],
            done: Callable[[], None]) -> Iterator[Any]:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sweep") as worker:
            pending: Future[Any] | None = None
            for task in tasks:
                running = worker.submit(fn, task)
                if pending is not None:
                    yield pending.result()
                    done()
                pending = running
            if pending is not None:
                yield pending.result()
                done()


class DaskExecutor:
    """Chunks as futures on a Dask cluster: `address` (tcp://host:port) or a LocalCluster;
    at most `window` in flight."""

    def __init__(self, client: Any, window: int = 4):
        self.client = client
        self.window = window

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any],
            done: Callable[[], None]) -> Iterator[Any]:
        flight: deque[Any] = deque()
        for task in tasks:
            flight.append(self.client.submit(fn, task, pure=False))
            if len(flight) >= self.window:
                yield flight.popleft().result()
                done()
        while flight:
            yield flight.popleft().result()
            done()


def parse_executor(text: str) -> tuple[str, str | None]:
    """`local`, `dask` or `dask=ADDRESS` as (kind, address)."""
    kind, _, address = text.partition("=")
    if kind not in {"local", "dask"} or (kind == "local" and address):
        raise UserInputError(f"--executor {text!r}: use local, dask or dask=tcp://HOST:PORT")
    return kind, address or None


@contextmanager
def open_executor(text: str, workers: int = 2) -> Iterator[Executor]:
    """The executor named by --executor; a LocalCluster lives as long as the context."""
    kind, address = parse_executor(text)
    if kind == "local":
        yield LocalExecutor()
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UserInputError(
            "--executor dask needs the dask extra: pip install 'satellite[dask]'") from None
    if address is not None:
        with Client(address) as client:
            yield DaskExecutor(client)
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=False,
                      protocol="tcp://", host="127.0.0.1", scheduler_port=0,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield DaskExecutor(client)
