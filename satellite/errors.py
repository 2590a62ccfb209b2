"""One exception tree. Each class says who must act; cli.py maps them to exit codes.

- UserInputError (exit 2): the user must fix a file, a flag or a setting.
- TemporaryError (exit 3): nothing is wrong with the input; try again later (network, rate limit).
- Any other exception (exit 1) is a bug in satellite.

Messages are one line, name the file/row/field at fault and say how to fix it. They must never
contain a secret (the bot token).
"""

from __future__ import annotations


class SatelliteError(Exception):
    """Base of every error satellite raises on purpose."""

    exit_code = 1


class UserInputError(SatelliteError):
    """The user's input is wrong: fix the named file, flag or setting and run again."""

    exit_code = 2


class ConfigError(UserInputError):
    """config.toml (or a file it names) is invalid; the message names the key path."""


class PriceDataError(UserInputError):
    """A price file or frame breaks a validation rule; the message names source, row and rule."""


class UnknownTickerError(UserInputError):
    """No prices exist for a ticker: run `satellite data update TICKER` or `data import`."""


class EventCatalogueError(UserInputError):
    """An event catalogue is invalid; the message names the file, event id and field."""


class StrategyError(UserInputError):
    """A strategy is unknown, misconfigured, or failed while computing its signals."""


class TemporaryError(SatelliteError):
    """A temporary failure (network, rate limit, remote outage): retry later; nothing changed."""

    exit_code = 3


class SourceUnavailableError(TemporaryError):
    """A price source could not answer (offline, rate-limited, empty or partial answer)."""
