"""Strategies: the investor's playbook as pure functions of prices (and events)."""

from satellite.paths import use_numba_cache

use_numba_cache()  # its numba kernels are cached in the user cache
