"""config.toml as pydantic models: validated once at load, unknown keys refused with a hint.

Every key has a default and a description, so an empty or missing config.toml is valid and
`satellite config check` prints the effective settings. Errors name the key path
(`portfolio.weights`) and say how to fix it.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from satellite.config_errors import describe_error
from satellite.config_positions import PositionConfig, PositionsFile
from satellite.errors import ConfigError
from satellite.tickers import TICKER_PATTERN

CONFIG_ENV = "SATELLITE_CONFIG"
DEFAULT_CONFIG = Path("config.toml")
FORBIDDEN_SECRET_KEYS = {"token", "bot_token", "telegram_token", "api_key"}
TOKEN_IN_URL = re.compile(r"bot\d+:|\d+:[A-Za-z0-9_-]{20,}")  # a bot token pasted into a URL
NOTIFY_RULES = ["stop_hit", "near_stop", "drawdown", "drawdown_resolved", "pullback_zone", "new_event",
                "stale_data", "digest"]  # bot.alert.Rule, as [alerts.notify] keys


class StrictModel(BaseModel):
    """A config section: unknown keys refused, inf and nan refused, values immutable after load."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RebalanceConfig(StrictModel):
    mode: Literal["calendar", "drift"] = Field(
        "calendar", description="calendar: every period; drift: when a weight drifts too far"
    )
    every: Literal["week", "month", "quarter"] = Field(
        "month", description="calendar period: rebalance at the open of its first session"
    )
    drift: float = Field(
        0.05, gt=0, lt=1, description="drift mode: rebalance when |weight - target| exceeds this"
    )


class PortfolioConfig(StrictModel):
    core: str = Field("NVDA", description="the core holding")
    satellites: list[str] = Field(["NBIS", "CRWV"], description="the satellite tickers")
    weights: dict[str, float] = Field(
        {"NVDA": 0.70, "NBIS": 0.15, "CRWV": 0.15},
        description="target weight of every portfolio ticker; they sum to 1",
    )
    max_satellite_weight: float = Field(
        0.20, gt=0, le=1, description="cap on each satellite's target weight"
    )
    max_satellites_weight: float = Field(
        0.35, gt=0, le=1, description="cap on all satellites' target weights together"
    )
    initial_cash: float = Field(100_000.0, gt=0, description="starting cash in USD")
    fees: float = Field(0.001, ge=0, lt=0.1, description="fees as a fraction of each fill")
    slippage: float = Field(0.0005, ge=0, lt=0.1, description="slippage as a fraction of price")
    rebalance: RebalanceConfig = Field(default_factory=RebalanceConfig)

    @field_validator("core")
    @classmethod
    def _core_is_ticker(cls, value: str) -> str:
        return _check_ticker(value)

    @field_validator("satellites")
    @classmethod
    def _satellites_are_tickers(cls, value: list[str]) -> list[str]:
        return [_check_ticker(ticker) for ticker in value]

    @model_validator(mode="after")
    def _weights_fit(self) -> PortfolioConfig:
        tickers = [self.core, *self.satellites]
        if len(set(tickers)) != len(tickers):
            raise ValueError("core and satellites must be distinct tickers")
        if set(self.weights) != set(tickers):
            raise ValueError(
                f"weights must name exactly the core and satellites {tickers}, "
                f"got {sorted(self.weights)}"
            )
        if any(weight < 0 for weight in self.weights.values()):
            raise ValueError("weights must be >= 0")
        total = sum(self.weights.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"weights sum to {total:.4f}; they must sum to 1")
        for ticker in self.satellites:
            if self.weights[ticker] > self.max_satellite_weight + 1e-12:
                raise ValueError(
                    f"{ticker} weight {self.weights[ticker]} exceeds max_satellite_weight "
                    f"{self.max_satellite_weight}"
                )
        satellites_total = sum(self.weights[ticker] for ticker in self.satellites)
        if satellites_total > self.max_satellites_weight + 1e-12:
            raise ValueError(
                f"satellite weights sum to {satellites_total:.4f}, over max_satellites_weight "
                f"{self.max_satellites_weight}"
            )
        return self

    @property
    def tickers(self) -> list[str]:
        return [self.core, *self.satellites]


class DataConfig(StrictModel):
    dir: Path | None = Field(
        None,
        description="user data directory (prices, results, strategies, alert database); "
        "env SATELLITE_DATA_DIR wins",
    )
    strategies: Path | None = Field(
        None, description="folder of your own strategy files (default: strategies/ in the data directory)",
    )
    update_timeout: float = Field(
        30.0, gt=0, le=3600,
        description="seconds `data update` may take for all tickers together (past it: exit 3)",
    )


class EventsConfig(StrictModel):
    files: list[Path] = Field(
        [], description="extra event catalogues, read after the shipped one"
    )


class StopsConfig(StrictModel):
    fixed_pct: float | None = Field(None, gt=0, lt=1, description="stop at entry x (1 - pct)")
    trailing_pct: float | None = Field(
        0.15, gt=0, lt=1, description="stop at highest price since entry x (1 - pct)"
    )
    trail_from: Literal["high", "close"] = Field("high", description="what the trailing stop trails")
    atr_mult: float | None = Field(None, gt=0, description="stop at highest - k x ATR")
    atr_window: int = Field(14, ge=2, description="ATR window in sessions")
    time_sessions: int | None = Field(None, ge=1, description="exit after N sessions")
    take_profit_pct: float | None = Field(None, gt=0, description="exit at entry x (1 + pct)")
    breaker_drawdown: float | None = Field(
        None, gt=0, lt=1, description="cut satellites when portfolio drawdown exceeds this"
    )
    breaker_rearm_recovery: float | None = Field(
        None, ge=0, lt=1,
        description="re-arm the breaker once drawdown is back within this (None: half the trip)",
    )
    breaker_rearm_sessions: int | None = Field(
        20, ge=1, description="re-arm the breaker this many sessions after it tripped"
    )

    @field_validator("fixed_pct", "trailing_pct", "atr_mult", "time_sessions", "take_profit_pct",
                     "breaker_drawdown", "breaker_rearm_recovery", "breaker_rearm_sessions",
                     mode="before")
    @classmethod
    def _off(cls, value: Any) -> Any:
        """TOML has no null: "off" (or "none") switches a rule off, e.g. trailing_pct = "off"."""
        return None if isinstance(value, str) and value.lower() in ("off", "none", "null") else value


class AlertsConfig(StrictModel):
    drawdown_levels: list[float] = Field(
        [0.10, 0.20, 0.30], description="drawdown levels that fire an alert when crossed"
    )
    near_stop_pct: float = Field(0.03, gt=0, lt=1, description="near-stop band above the stop")
    rearm_band: float | None = Field(
        None, ge=0, lt=1,
        description="a fired drawdown level re-arms once drawdown is back below level - band "
        "(None: half the distance to the next level up, or to 0 from the first level)",
    )
    pullback_tol: float = Field(0.05, ge=0, lt=1, description="pullback zone around pre-event close")
    pullback_sessions: int = Field(20, ge=1, description="sessions after an event to watch")
    database: Path | None = Field(None, description="SQLite file; default <data dir>/satellite.db")
    repeat_sessions: int = Field(
        1, ge=1, le=20, description="an unanswered stop_hit is sent again after this many sessions"
    )
    repeat_max: int = Field(2, ge=0, le=10, description="... at most this many times (0: never again)")
    notify: dict[str, Literal["on", "silent", "off"]] = Field(
        {}, description="per rule: on, silent (no sound) or off (kept in the ledger, not sent); "
        "/notify in the chat overrides it"
    )

    @field_validator("notify")
    @classmethod
    def _notify_rules(cls, value: dict[str, str]) -> dict[str, str]:
        for rule in value:
            if rule not in NOTIFY_RULES:
                hint = difflib.get_close_matches(rule, NOTIFY_RULES, n=1)
                suggestion = f"did you mean {hint[0]!r}?" if hint else f"one of: {', '.join(NOTIFY_RULES)}"
                raise ValueError(f"{rule!r} is not an alert rule; {suggestion}")
        return value

    @field_validator("drawdown_levels")
    @classmethod
    def _levels_in_range(cls, value: list[float]) -> list[float]:
        if any(not 0 < level < 1 for level in value):
            raise ValueError("each drawdown level must be between 0 and 1 (e.g. 0.10 for 10%)")
        return sorted(value)


class ScheduleConfig(StrictModel):
    time: str = Field("16:30", description="check time, HH:MM in America/New_York")
    fetch_timeout: float = Field(
        120.0, gt=0, description="seconds the scheduled price refresh may take before stored prices are used"
    )
    intraday_minutes: int | None = Field(
        None, ge=1, le=390,
        description="check open positions against their stop every N minutes during NYSE hours (off: unset)",
    )

    @field_validator("intraday_minutes", mode="before")
    @classmethod
    def _intraday_off(cls, value: Any) -> Any:
        return None if isinstance(value, str) and value.lower() in ("off", "none", "null") else value

    @field_validator("time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValueError(f"{value!r} is not a time of day; write it as HH:MM, e.g. 16:30")
        return value


class TelegramConfig(StrictModel):
    base_url: str = Field(
        "https://api.telegram.org/bot", description="Bot API base URL (a local server for tests)"
    )
    token_file: Path | None = Field(
        None, description="file holding the bot token, outside the repo; env wins"
    )
    chat_ids: list[StrictInt] = Field([], description="chats allowed to talk to the bot; alerts go to each")
    user_ids: list[StrictInt] = Field([], description="users allowed to talk to the bot (needed for a group)")
    timeout: float = Field(20.0, gt=0, le=300, description="seconds one Bot API request may take")
    retry_seconds: int = Field(
        30, ge=1, le=3600, description="how often undelivered alerts are retried (the first back-off step)"
    )
    digest: bool = Field(
        True, description="one evening digest per evaluated session (a value-vs-core chart on a week's last)"
    )

    @field_validator("base_url")
    @classmethod
    def _a_url_without_a_token(cls, value: str) -> str:
        if TOKEN_IN_URL.search(value):
            raise ValueError("holds a bot token (it is not shown); secrets are never read from "
                             "config.toml: end the URL at .../bot and set env SATELLITE_TELEGRAM_TOKEN or "
                             "[telegram] token_file")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
            raise ValueError(f"{value!r} is not an http(s) URL; write it like https://api.telegram.org/bot")
        return value


class SatelliteConfig(StrictModel):
    portfolio: PortfolioConfig = Field(default_factory=PortfolioConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    events: EventsConfig = Field(default_factory=EventsConfig)
    strategies: dict[str, dict[str, Any]] = Field(
        {}, description="per-strategy parameters, [strategies.NAME]"
    )
    stops: StopsConfig = Field(default_factory=StopsConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    positions: list[PositionConfig] = Field([], description="held positions, [[positions]]")
    positions_file: Path | None = Field(
        None, description="a TOML file of [[positions]], read in addition to config.toml's"
    )

    @field_validator("positions")
    @classmethod
    def _unique_positions(cls, value: list[PositionConfig]) -> list[PositionConfig]:
        return PositionsFile(positions=value).positions


class LoadedConfig(BaseModel):
    """The validated settings and where they came from (None: built-in defaults)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    settings: SatelliteConfig
    path: Path | None

    def resolve(self, value: Path) -> Path:
        """A path from the config, relative to the config file's folder."""
        value = value.expanduser()
        if value.is_absolute() or self.path is None:
            return value
        return self.path.parent / value


def _check_ticker(value: str) -> str:
    if not TICKER_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a ticker; use upper case, e.g. NVDA")
    return value


def config_path(option: Path | None) -> tuple[Path, bool]:
    """The config path to read and whether the user named it explicitly."""
    if option is not None:
        return option, True
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env), True
    return DEFAULT_CONFIG, False


def load_config(option: Path | None = None) -> LoadedConfig:
    """Read and validate the config; a missing default ./config.toml means built-in defaults."""
    path, explicit = config_path(option)
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: config file not found; check --config or {CONFIG_ENV}")
        return LoadedConfig(settings=SatelliteConfig(), path=None)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read: {err}") from None
    loaded = LoadedConfig(settings=parse_config(raw, str(path)), path=path.resolve())
    if loaded.settings.positions_file is not None:
        loaded = _with_positions_file(loaded, loaded.resolve(loaded.settings.positions_file))
    return loaded


def _with_positions_file(loaded: LoadedConfig, path: Path) -> LoadedConfig:
    """Add the positions of the file config.toml names, validated like config.toml."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: positions_file not found; fix positions_file in the config") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from None
    try:
        extra = PositionsFile.model_validate(raw).positions
        merged = PositionsFile(positions=[*loaded.settings.positions, *extra]).positions
    except ValidationError as err:
        raise ConfigError(f"{path}: {describe_error(err, PositionsFile)}") from None
    settings = loaded.settings.model_copy(update={"positions": merged})
    return LoadedConfig(settings=settings, path=loaded.path)


def parse_config(raw: dict[str, Any], source: str = "config.toml") -> SatelliteConfig:
    """Validate a parsed TOML document, raising one ConfigError for the most relevant problem."""
    _refuse_secrets(raw, source)
    try:
        return SatelliteConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(f"{source}: {describe_error(err, SatelliteConfig)}") from None


def _refuse_secrets(raw: dict[str, Any], source: str, prefix: str = "") -> None:
    for key, value in raw.items():
        key_path = f"{prefix}{key}"
        if key.lower() in FORBIDDEN_SECRET_KEYS:
            raise ConfigError(
                f"{source}: {key_path}: secrets are never read from config.toml; remove it and "
                "set env SATELLITE_TELEGRAM_TOKEN or [telegram] token_file (a file outside the repo)"
            )
        if isinstance(value, dict):
            _refuse_secrets(value, source, f"{key_path}.")


def check_strategy_sections(settings: SatelliteConfig, known: Iterable[str], source: str) -> None:
    """Refuse a [strategies.NAME] section for a strategy that does not exist (a typo would
    otherwise be ignored and the strategy run with its defaults)."""
    names = sorted(known)
    for name in settings.strategies:
        if name not in names:
            hint = difflib.get_close_matches(name, names, n=1)
            suggestion = f"did you mean {hint[0]!r}?" if hint else f"known strategies: {', '.join(names)}"
            raise ConfigError(f"{source}: strategies.{name}: no strategy is called {name!r}; {suggestion}")


def dump_config(loaded: LoadedConfig) -> dict[str, Any]:
    """The effective settings as plain JSON-able data (no secret is ever part of it)."""
    return loaded.settings.model_dump(mode="json")
