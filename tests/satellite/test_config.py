"""RELIABILITY.md case 5: config.toml refused at load, naming the key path and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from satellite.config import SatelliteConfig, load_config
from satellite.errors import ConfigError
from tests.conftest import Invoke

ROOT = Path(__file__).parents[2]


def load(tmp_path: Path, text: str) -> SatelliteConfig:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_config(path).settings


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "config.toml")) and "\n" not in message
    return message


def test_the_shipped_config_is_valid_and_matches_the_defaults() -> None:
    assert load_config(ROOT / "config.toml").settings == SatelliteConfig()


def test_missing_default_config_means_defaults() -> None:
    loaded = load_config(None)
    assert loaded.path is None and loaded.settings.portfolio.weights["NVDA"] == 0.7


def test_explicit_missing_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_unknown_key_suggests_the_nearest(tmp_path: Path) -> None:
    message = refused(tmp_path, "[stops]\ntrailing_pc = 0.1\n")
    assert "stops.trailing_pc: unknown key; did you mean 'trailing_pct'?" in message


def test_unknown_section(tmp_path: Path) -> None:
    assert "portfolo: unknown key; did you mean 'portfolio'?" in refused(tmp_path, "[portfolo]\n")


def test_weights_must_sum_to_one(tmp_path: Path) -> None:
    message = refused(tmp_path, "[portfolio.weights]\nNVDA = 0.7\nNBIS = 0.2\nCRWV = 0.2\n")
    assert "portfolio: weights sum to 1.1000; they must sum to 1" in message


def test_satellite_cap_exceeded(tmp_path: Path) -> None:
    message = refused(tmp_path, "[portfolio.weights]\nNVDA = 0.5\nNBIS = 0.25\nCRWV = 0.25\n")
    assert "NBIS weight 0.25 exceeds max_satellite_weight 0.2" in message


def test_total_satellite_cap_exceeded(tmp_path: Path) -> None:
    message = refused(tmp_path, "[portfolio]\nmax_satellites_weight = 0.25\n")
    assert "over max_satellites_weight 0.25" in message


def test_negative_stop(tmp_path: Path) -> None:
    message = refused(tmp_path, "[stops]\nfixed_pct = -0.1\n")
    assert "stops.fixed_pct: Input should be greater than 0" in message


def test_threshold_out_of_range(tmp_path: Path) -> None:
    message = refused(tmp_path, "[alerts]\ndrawdown_levels = [0.1, 15]\n")
    assert "alerts.drawdown_levels: each drawdown level must be between 0 and 1" in message


def test_bad_schedule_time(tmp_path: Path) -> None:
    assert "schedule.time: '25:00' is not a time of day" in refused(tmp_path, '[schedule]\ntime = "25:00"\n')


def test_wrong_type(tmp_path: Path) -> None:
    assert "portfolio.initial_cash" in refused(tmp_path, '[portfolio]\ninitial_cash = "lots"\n')


def test_weights_must_name_the_portfolio(tmp_path: Path) -> None:
    message = refused(tmp_path, '[portfolio]\nsatellites = ["NBIS"]\n')
    assert "weights must name exactly the core and satellites" in message


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    message = refused(tmp_path, "[portfolio]\ncore = \n")
    assert "invalid TOML" in message and "line 2" in message


def test_a_token_in_config_is_refused(tmp_path: Path) -> None:
    token = "123456789:" + "A" * 35
    message = refused(tmp_path, f'[telegram]\ntoken = "{token}"\n')
    assert "telegram.token: secrets are never read from config.toml" in message
    assert token not in message


def test_cli_reports_a_broken_config_in_one_line(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[portfolio.weights]\nNVDA = 1.5\nNBIS = 0\nCRWV = 0\n")
    result = invoke("backtest")
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("error: config.toml:")


def test_config_check_prints_the_effective_settings(invoke: Invoke, tmp_path: Path) -> None:
    import json

    (tmp_path / "config.toml").write_text("[portfolio]\nfees = 0.002\n")
    result = invoke("config", "check", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["config"]["portfolio"]["fees"] == 0.002
    assert payload["config"]["portfolio"]["slippage"] == 0.0005


def test_config_env_variable(invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other.toml"
    other.write_text("[stops]\nfixed = 1\n")
    monkeypatch.setenv("SATELLITE_CONFIG", str(other))
    result = invoke("config", "check")
    assert result.exit_code == 2 and "other.toml: stops.fixed: unknown key" in result.output


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_initial_cash_must_be_a_finite_number(tmp_path: Path, value: str) -> None:
    message = refused(tmp_path, f"[portfolio]\ninitial_cash = {value}\n")
    assert "portfolio.initial_cash:" in message and ("finite" in message or "greater than 0" in message)


def test_a_position_of_infinite_shares_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, '[[positions]]\nticker = "NVDA"\nshares = inf\nentry_date = 2025-10-01\n')
    assert "positions.0.shares: Input should be a finite number" in message


@pytest.mark.parametrize("key", ["chat_ids", "user_ids"])
def test_a_boolean_chat_or_user_id_is_refused_not_read_as_1(tmp_path: Path, key: str) -> None:
    message = refused(tmp_path, f"[telegram]\n{key} = [true]\n")
    assert f"telegram.{key}.0: Input should be a valid integer" in message


def test_an_unknown_strategies_section_is_refused_with_the_nearest_name(invoke: Invoke,
                                                                        tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[strategies.core_satelite]\nfoo = 1\n")
    result = invoke("config", "check")
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "strategies.core_satelite: no strategy is called 'core_satelite'; did you mean 'core_satellite'?" \
        in result.output
    (tmp_path / "config.toml").write_text("[strategies.core_satellite]\n")
    assert invoke("config", "check").exit_code == 0


@pytest.mark.parametrize("command", [["backtest"], ["check-bias", "core_satellite"],
                                     ["tune", "core_satellite", "--grid", "stops.trailing_pct=0.1,0.2"]])
def test_commands_that_run_strategies_refuse_an_unknown_strategies_section(invoke: Invoke, tmp_path: Path,
                                                                          command: list[str]) -> None:
    (tmp_path / "config.toml").write_text("[strategies.no_chace]\nfoo = 1\n")
    result = invoke(*command)
    assert result.exit_code == 2, result.output
    assert "strategies.no_chace: no strategy is called 'no_chace'; did you mean 'no_chase'?" in result.output


@pytest.mark.parametrize("as_json", [False, True])
def test_a_token_inside_base_url_is_refused_and_never_printed(invoke: Invoke, tmp_path: Path,
                                                              as_json: bool) -> None:
    token = "123456789:" + "AAH-pasted_into_the_url_0123456789abc"
    (tmp_path / "config.toml").write_text(f'[telegram]\nbase_url = "https://api.telegram.org/bot{token}"\n')
    result = invoke("config", "check", *(["--json"] if as_json else []))
    assert result.exit_code == 2
    assert "telegram.base_url: holds a bot token (it is not shown)" in result.output
    assert token not in result.output and "123456789:" not in result.output


@pytest.mark.parametrize("url", ["not a url", "api.telegram.org/bot", "ftp://example.org/bot", "https:///bot"])
def test_a_base_url_that_is_not_a_url_exits_2(invoke: Invoke, tmp_path: Path, url: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SATELLITE_TELEGRAM_TOKEN", "123456789:" + "A" * 35)
    (tmp_path / "config.toml").write_text(f'[telegram]\nbase_url = "{url}"\nchat_ids = [1]\n')
    result = invoke("bot", "send-test")
    assert result.exit_code == 2, result.output
    assert "telegram.base_url:" in result.output and "is not an http(s) URL" in result.output
