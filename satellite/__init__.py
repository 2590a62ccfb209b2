"""satellite: backtest and watch a core-satellite portfolio of NVDA, CRWV and NBIS."""

__version__ = "0.1.0"
