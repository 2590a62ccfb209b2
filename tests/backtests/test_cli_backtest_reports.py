"""`satellite backtest` --list/--json/--html/--png and `satellite check-bias` end to end."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Invoke


def test_list_shows_strategies_and_parameters(invoke: Invoke) -> None:
    result = invoke("backtest", "--list", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    names = {s["name"] for s in payload["strategies"]}
    assert {"event_pullback", "swing", "no_chase", "relative_strength"} <= names
    swing = next(s for s in payload["strategies"] if s["name"] == "swing")
    assert any(p["name"] == "window" and p["description"] for p in swing["parameters"])


def test_json_has_trades_and_exits_by_reason(invoke: Invoke, tmp_path: Path) -> None:
    html, png = tmp_path / "r.html", tmp_path / "r.png"
    result = invoke("backtest", "event_pullback", "--json", "--set", "stops.fixed_pct=0.1",
                    "--html", str(html), "--png", str(png))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {"strategy", "start", "end", "stats", "benchmark", "trades", "exits_by_reason"} <= set(
        payload)
    assert payload["trades"][0].keys() >= {"ticker", "entry_date", "exit_date", "reason",
                                           "stop_level", "entry_price", "exit_price"}
    text = html.read_text(encoding="utf-8")
    assert "nbis-microsoft" in text and "plotly" in text.lower()
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_table_shows_exits_by_reason(invoke: Invoke) -> None:
    result = invoke("backtest", "swing")
    assert result.exit_code == 0, result.output
    assert "Exits by reason" in result.output and "buy & hold" in result.output


def test_unknown_parameter_exits_2(invoke: Invoke) -> None:
    result = invoke("backtest", "swing", "--set", "windo=3")
    assert result.exit_code == 2
    assert "did you mean 'window'" in result.output


def test_check_bias_passes_for_a_built_in(invoke: Invoke) -> None:
    result = invoke("check-bias", "relative_strength", "--stride", "5", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["differences"] == [] and payload["sessions_checked"] > 60
