"""Backtests: strategy + prices -> vectorbt Portfolio -> statistics and reports."""

from satellite.paths import use_numba_cache

use_numba_cache()  # its numba kernels are cached in the user cache
