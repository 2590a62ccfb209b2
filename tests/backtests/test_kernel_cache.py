"""numba re-compiles a cached kernel only when its own file changes; ours inline functions from
other files, so the cache folder changes with any kernel source (satellite.paths)."""

from __future__ import annotations

import os
from pathlib import Path

from satellite.paths import numba_cache_dir


def test_a_change_to_any_kernel_source_starts_a_fresh_cache(tmp_path: Path) -> None:
    for package in ("backtests", "strategies"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "kernel_fills.py").write_text("x = 1\n")
    first = numba_cache_dir(tmp_path)
    assert numba_cache_dir(tmp_path) == first
    inlined = tmp_path / "backtests" / "kernel_fills.py"
    inlined.write_text("x = 2\n")
    stamp = inlined.stat()
    os.utime(inlined, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000))
    assert numba_cache_dir(tmp_path) != first
    assert numba_cache_dir(tmp_path).parent == first.parent
