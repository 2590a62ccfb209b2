"""`satellite events ...` end to end, in process, on the bundled prices."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from satellite_cli.context import AppContext
from tests.conftest import Invoke

GOOD = """# my own events
[[event]]
id = "my-weekend-deal"
announced = 2025-09-06  # a Saturday
timing = "pre_market"
tickers = ["NBIS"]
kind = "contract"
"""


def _context(tmp_path: Path, catalogue: str | None = None) -> AppContext:
    config = tmp_path / "config.toml"
    lines = []
    if catalogue is not None:
        (tmp_path / "mine.toml").write_text(catalogue, encoding="utf-8")
        lines.append('[events]\nfiles = ["mine.toml"]\n')
    config.write_text("".join(lines), encoding="utf-8")
    return AppContext(config_option=config, data_dir_option=tmp_path / "data")


def test_list_json_has_all_20_events(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("events", "list", "--json", context=_context(tmp_path))
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len({row["id"] for row in rows}) == 20
    assert len(rows) == 24
    keys = {"id", "ticker", "announced", "timing", "day0", "pre_close", "day0_return",
            "return_5d", "kind", "counterparty", "value_usd"}
    assert all(keys <= set(row) for row in rows)
    microsoft = next(row for row in rows if row["id"] == "nbis-microsoft")
    assert microsoft["day0"] == "2025-09-09"
    assert microsoft["announced"] == "2025-09-08"
    assert abs(microsoft["pre_close"] - 64.05999755859375) < 1e-9
    assert abs(microsoft["day0_return"] - (95.72000122070312 / 64.05999755859375 - 1)) < 1e-12
    assert abs(microsoft["return_5d"] - (90.95999908447266 / 64.05999755859375 - 1)) < 1e-3
    before_ipo = next(row for row in rows if row["id"] == "crwv-openai-11.9b")
    assert before_ipo["day0"] is None and before_ipo["pre_close"] is None
    assert before_ipo["day0_return"] is None and before_ipo["tradable"] is False


def test_list_filters(invoke: Invoke, tmp_path: Path) -> None:
    context = _context(tmp_path)
    rows = json.loads(invoke("events", "list", "--json", "--ticker", "nvda", context=context).stdout)
    assert {row["ticker"] for row in rows} == {"NVDA"} and len(rows) == 5
    rows = json.loads(invoke("events", "list", "--json", "--kind", "earnings", context=context).stdout)
    assert [row["id"] for row in rows] == ["nbis-q2-2025", "crwv-q2-2025", "crwv-q3-2025"]
    result = invoke("events", "list", "--kind", "contracts", context=context)
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --kind 'contracts': unknown kind; did you mean 'contract'?"


def test_list_table(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("events", "list", context=_context(tmp_path))
    assert result.exit_code == 0, result.output
    assert "24 event-ticker rows" in result.stdout


def test_user_catalogue_is_read_after_the_shipped_one(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("events", "list", "--json", "--ticker", "NBIS", context=_context(tmp_path, GOOD))
    rows = json.loads(result.stdout)
    assert rows[-1]["id"] == "my-weekend-deal"
    assert rows[-1]["day0"] == "2025-09-08" and rows[-1]["off_session"] is True


def test_show(invoke: Invoke, tmp_path: Path) -> None:
    context = _context(tmp_path)
    result = invoke("events", "show", "nbis-microsoft", "--json", context=context)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["value_usd_max"] == 19.4e9
    [nbis] = payload["tickers_detail"]
    path = nbis["path"]
    assert [point["day"] for point in path] == list(range(-5, 21))
    assert path[5] == {"day": 0, "date": "2025-09-09", "close": 95.72000122070312,
                       "vs_pre_close": 95.72000122070312 / 64.05999755859375 - 1}
    assert path[4]["date"] == "2025-09-08" and path[4]["vs_pre_close"] == 0.0
    table = invoke("events", "show", "nbis-microsoft", context=context)
    assert "pre-announcement close 64.06" in table.stdout
    sources = [line for line in table.stdout.splitlines() if line.startswith("  source: ")]
    assert len(sources) == 3 and "https://www.vpshk.cn/20260117517.html" in sources[0]
    missing = invoke("events", "show", "nbis-microsof", context=context)
    assert missing.exit_code == 2
    assert "did you mean 'nbis-microsoft'?" in missing.stderr


def test_validate_mentions_weekend_dates(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("events", "validate", context=_context(tmp_path, GOOD))
    assert result.exit_code == 0, result.output
    assert "ok: 21 events in 2 catalogue file(s)" in result.stdout
    assert "my-weekend-deal (NBIS): announced Sat 2025-09-06, not a session; day 0 is the next " \
           "session 2025-09-08" in result.stdout
    assert "crwv-openai-11.9b (CRWV): not tradable" in result.stdout


def test_validate_a_file_argument(invoke: Invoke, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text(GOOD.replace('timing = "pre_market"', 'timing = "premarket"'), encoding="utf-8")
    result = invoke("events", "validate", str(other), context=_context(tmp_path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"error: {other}: event 'my-weekend-deal': field 'timing': 'premarket' is not one of "
        "pre_market, intraday, after_close, unknown (did you mean 'pre_market'?)"
    ]


def test_bad_catalogue_is_one_line_and_exit_2_for_every_command(invoke: Invoke, tmp_path: Path) -> None:
    context = _context(tmp_path, GOOD.replace('["NBIS"]', '["ZZZZ"]'))
    for command in (["list"], ["show", "nbis-microsoft"], ["validate"]):
        result = invoke("events", *command, context=context)
        assert result.exit_code == 2, command
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert "mine.toml: event 'my-weekend-deal': field 'tickers': unknown ticker 'ZZZZ'" in lines[0]
        assert "Traceback" not in result.output


def test_malformed_toml_exit_2(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("events", "validate", context=_context(tmp_path, GOOD + "[[event]\n"))
    assert result.exit_code == 2
    assert "mine.toml: invalid TOML near event 'my-weekend-deal'" in result.stderr


def test_study_json_and_html(invoke: Invoke, tmp_path: Path) -> None:
    html = tmp_path / "out" / "study.html"
    result = invoke("events", "study", "--json", "--kind", "contract", "--html", str(html),
                    context=_context(tmp_path))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    groups = {(group["ticker"], group["kind"]): group for group in payload["groups"]}
    assert groups[("CRWV", "contract")]["car"]["0:1"]["n"] == 4
    assert groups[("NBIS", "contract")]["car"]["0:1"]["n"] == 2
    assert {event["kind"] for event in payload["events"]} == {"contract"}
    text = html.read_text(encoding="utf-8")
    assert "plotly" in text and "mean CAR" in text and "nbis-microsoft" in text


def test_study_table(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("events", "study", "--window", "-2:5", "--estimation", "60",
                    context=_context(tmp_path))
    assert result.exit_code == 0, result.output
    assert "CAR [-2,5] by ticker and kind" in result.stdout
    for column in ("mean CAR", "tradeable [0,5]", "t (p)", "BMP (p)", "rank (p)", "sign (p)", "placebo p"):
        assert column in result.stdout
    # below 3 events: the events are listed, no t or p-value but the placebo one, and why
    assert "n < 3: no t, band or p-value but the placebo one" in result.stdout
    assert "CRWV acquisition (n=2): crwv-core-scientific (CRWV)" in result.stdout


def test_study_json_carries_the_tests(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("events", "study", "--json", "--placebo-draws", "1000", "--seed", "3",
                    context=_context(tmp_path))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["placebo_draws"] == 1000 and payload["seed"] == 3
    groups = {(group["ticker"], group["kind"]): group for group in payload["groups"]}
    contract = groups[("ALL", "contract")]["car"]["0:1"]
    for test in ("bmp", "rank", "sign"):
        assert 0 <= contract[test]["p_value"] <= 1 and contract[test]["n"] == 6
    assert 0 < contract["placebo"]["p_value"] <= 1 and contract["placebo"]["draws"] == 1000
    pair = groups[("CRWV", "acquisition")]["car"]["0:1"]
    assert pair["n"] == 2 and pair["t_stat"] is None and pair["p_value"] is None
    assert pair["bmp"]["p_value"] is None and pair["placebo"]["p_value"] is not None
    assert pair["note"].startswith("n = 2 < 3")
    microsoft = next(event for event in payload["events"] if event["id"] == "nbis-microsoft")
    assert microsoft["first_open_day"] == 0
    assert microsoft["car"]["0:0"] > 0.4 and abs(microsoft["tradeable_car"]["0:0"]) < 0.05


def test_study_uses_qqq_for_nvda_events_when_stored(invoke: Invoke, tmp_path: Path) -> None:
    from market.store import BUNDLED_DIR

    data = tmp_path / "data"
    data.mkdir()
    (data / "QQQ.csv").write_text((BUNDLED_DIR / "NVDA.csv").read_text(), encoding="utf-8")
    result = invoke("events", "study", "--json", "--ticker", "NVDA", context=_context(tmp_path))
    events = json.loads(result.stdout)["events"]
    assert {event["benchmark"] for event in events} == {"QQQ"}
    assert {event["model"] for event in events} == {"market"}


def test_study_bad_flags(invoke: Invoke, tmp_path: Path) -> None:
    context = _context(tmp_path)
    result = invoke("events", "study", "--window=5:20", context=context)
    assert result.exit_code == 2
    assert "must contain day 0" in result.stderr
    result = invoke("events", "study", "--benchmark", "ZZZ", context=context)
    assert result.exit_code == 2
    assert "no prices for ZZZ" in result.stderr
    result = invoke("events", "study", "--placebo-draws", "999", context=context)
    assert result.exit_code == 2
    assert "--placebo-draws" in result.stderr


def test_suggest_lists_unexplained_moves_with_an_add_line(invoke: Invoke, tmp_path: Path) -> None:
    context = _context(tmp_path, "")
    result = invoke("events", "suggest", context=context)
    assert result.exit_code == 0, result.output
    assert "CRWV   │ 2025-12-19" in result.stdout and "NBIS   │ 2026-03-11" in result.stdout
    line = next(text.strip() for text in result.stdout.splitlines() if "--id crwv-2025-12-19" in text)
    argv = ["contract" if word == "KIND" else word for word in shlex.split(line)]
    assert argv[:3] == ["satellite", "events", "add"]
    added = invoke(*argv[1:], "--file", str(tmp_path / "mine.toml"), context=context)
    assert added.exit_code == 0, added.output
    again = invoke("events", "suggest", "--json", "--ticker", "CRWV", context=context)
    sessions = [item["session"] for item in json.loads(again.stdout)]
    assert "2025-12-19" not in sessions  # now explained by the catalogue


def test_suggest_json_and_options(invoke: Invoke, tmp_path: Path) -> None:
    context = _context(tmp_path)
    result = invoke("events", "suggest", "--json", "--ticker", "NBIS", "--since", "2026-01-01",
                    "--z", "2.5", context=context)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload and all(set(item) == {"ticker", "session", "return", "abnormal", "z", "model"}
                           for item in payload)
    assert {item["ticker"] for item in payload} == {"NBIS"}
    assert all(item["session"] >= "2026-01-01" and abs(item["z"]) > 2.5 for item in payload)
    assert payload[0]["session"] == "2026-03-11"
    bad = invoke("events", "suggest", "--since", "2026-02-30", context=context)
    assert bad.exit_code == 2 and "--since" in bad.stderr
    missing = invoke("events", "suggest", "--ticker", "ZZZ", context=context)
    assert missing.exit_code == 2 and "ZZZ" in missing.stderr


ADD = ["events", "add", "--id", "nbis-new-deal", "--announced", "2025-10-04", "--timing",
       "after-close", "--tickers", "nbis,crwv", "--kind", "contract", "--value-usd", "2.5B",
       "--counterparty", "Acme", "--source", "https://example.com/a", "--source", "seed 001"]


def test_add_then_list_and_refuse_a_duplicate(invoke: Invoke, tmp_path: Path) -> None:
    context = _context(tmp_path, GOOD)
    mine = tmp_path / "mine.toml"
    result = invoke(*ADD, context=context)
    assert result.exit_code == 0, result.output
    assert "added nbis-new-deal" in result.stdout
    text = mine.read_text(encoding="utf-8")
    assert text.startswith(GOOD)  # comments and layout kept
    assert 'tickers = ["NBIS", "CRWV"]' in text and "value_usd = 2500000000" in text
    rows = json.loads(invoke("events", "list", "--json", "--ticker", "NBIS", context=context).stdout)
    added = next(row for row in rows if row["id"] == "nbis-new-deal")
    assert added["day0"] == "2025-10-06"  # Saturday after the close -> Monday
    before = mine.read_bytes()
    again = invoke(*ADD, context=context)
    assert again.exit_code == 2
    assert again.stderr.strip().splitlines() == [
        f"error: {mine}: event 'nbis-new-deal': field 'id': duplicate id, already defined earlier "
        "in this file; ids must be unique, rename one of them"
    ]
    assert mine.read_bytes() == before


def test_add_needs_a_target_file(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(*ADD, context=_context(tmp_path))
    assert result.exit_code == 2
    assert "no catalogue to add to: pass --file FILE" in result.stderr
    other = tmp_path / "other.toml"
    result = invoke(*ADD, "--file", str(other), context=_context(tmp_path))
    assert result.exit_code == 0, result.output
    assert "is not listed in config.toml [events] files" in result.stdout
    assert other.exists()


def test_add_bad_value(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(*ADD[:-8], "--value-usd", "lots", context=_context(tmp_path, GOOD))
    assert result.exit_code == 2
    assert "--value-usd 'lots': write USD as a number" in result.stderr
