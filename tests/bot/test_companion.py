"""The bot as a daily companion (issue 16), end to end: the real Application polling the fake Bot
API server, a BotRuntime evaluating the bundled prices session by session, a real SQLite file.

Positions (conftest): 100 NVDA, NBIS and CRWV bought at the open of 2025-10-01, [stops]
trailing 15% from the high. On 2025-10-17 NBIS opens 118.06 through its 119.94 stop and CRWV
falls through its 130.22 stop (the README's replay example)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from bot.alerting import build_inputs
from bot.levels import levels_after
from satellite_cli.context import AppContext
from tests.bot.conftest import OWNER, STRANGER
from tests.bot.fake_bot_api import FakeBotApi
from tests.bot.harness import Session, run, text


def test_the_digest_after_a_session_with_its_levels(api: FakeBotApi, bot_config: Path) -> None:
    async def script(bot: Session) -> None:
        new = await bot.check("2025-10-16")
        assert [a.rule for a in new] == ["near_stop", "digest"]
        assert await bot.check("2025-10-16") == []  # one digest per session, however often it runs

    run(api, bot_config, script)
    digests = [t for t in api.texts() if t.startswith("Evening digest")]
    assert len(digests) == 1
    digest = digests[0].splitlines()
    assert digest[0] == "Evening digest · Portfolio · 2025-10-16"
    # value = 100 x (181.81 + 123.04 + 141.74); day change of the chained index; NVDA's close to close
    assert digest[1] == "Portfolio 44,659.00 USD: +0.38% today (NVDA +1.10%); +1,370.50 (+3.2%) on cost"
    assert "NBIS 123.04 · P&L +1,132.50 (+10.1%) · stop 119.94, 2.5% below" in digest
    levels = levels_after(build_inputs(AppContext(config_option=bot_config)), pd.Timestamp("2025-10-16"))
    assert [level.ticker for level in levels] == ["NVDA", "NBIS", "CRWV"]
    for level in levels:  # the stops for tomorrow are `alerts levels`' (bot.levels), to the cent
        assert f"  {level.ticker} {level.level:.2f} trailing stop: unchanged" in digest
    assert digest[-1] == "Alerts today: Near stop NBIS"
    assert not api.calls("sendPhoto")  # a Thursday: the weekly chart comes with Friday's digest


def test_the_change_to_make_at_the_broker_is_marked(api: FakeBotApi, bot_config: Path) -> None:
    async def script(bot: Session) -> None:
        await bot.check("2025-10-03")
        await bot.check("2025-10-06")

    run(api, bot_config, script)
    digest = next(t for t in api.texts() if t.startswith("Evening digest · Portfolio · 2025-10-06"))
    # NBIS made a new high on 10-06 (135.76 intraday): its trailing stop rises 0.85 x the new high
    assert "▶ NBIS 115.40 trailing stop: raise your stop order from" in digest
    assert "change(s) at the broker, marked ▶" in digest


def test_bought_then_positions(api: FakeBotApi, bot_config: Path) -> None:
    async def script(bot: Session) -> None:
        [question] = await bot.ask("/bought CRWV 10 80.50 2026-07-01")
        assert text(question) == ("Buy 10 CRWV at 80.50 on 2026-07-01: a new position (10 shares, stop "
                                  "rules of [stops]).\nConfirm?")
        assert [label for label, _ in api.buttons(question)] == ["Confirm", "Cancel"]
        assert len(bot.rows("SELECT * FROM positions WHERE ticker = 'CRWV'")) == 1  # nothing changed yet
        confirm = api.buttons(question)[0][1]
        [done] = await bot.press(question, "Confirm")
        assert text(done).startswith("Done:\n#4 CRWV 10 shares bought 2026-07-01 at 80.50")
        assert api.buttons(question) == []  # the question's buttons are gone once answered
        before = len(api.messages())
        api.press(question, confirm, OWNER)  # a second press (an old client still showing the button)
        [again] = await bot.replies(before)
        assert text(again) == "This change was already confirmed or cancelled."
        [listed] = await bot.ask("/positions")
        assert "#4 CRWV: 10 shares since 2026-07-01 at 80.50" in text(listed)
        journal = bot.rows("SELECT action, who, via, old FROM position_journal WHERE position_id = 4")
        assert journal == [("add", f"telegram user {OWNER}", "chat", None)]

    run(api, bot_config, script)


def test_sold_through_the_confirm_button_and_a_cancel(api: FakeBotApi, bot_config: Path) -> None:
    async def script(bot: Session) -> None:
        [question] = await bot.ask("/sold NVDA 40 190 2025-10-20")
        assert text(question).startswith("Sell 40 NVDA at 190.00 on 2025-10-20:\nlot 1 (bought 2025-10-01): "
                                         "40 of 100 sold, 60 shares stay open")
        [done] = await bot.press(question, "Confirm")
        assert "Open in NVDA: #1 NVDA 60 shares bought 2025-10-01" in text(done)
        [today] = await bot.ask("/sold NBIS")
        assert text(today).startswith("NBIS has no close for ")  # today's session has not closed
        [cancel] = await bot.ask("/sold NBIS 2025-10-20")
        assert text(cancel).startswith("Sell 100 NBIS at 109.00 on 2025-10-20:")
        assert "(the close of 2025-10-20; give a price if you got another)" in text(cancel)
        [cancelled] = await bot.press(cancel, "Cancel")
        assert text(cancelled) == "Cancelled: the position book is unchanged."
        [bad] = await bot.ask("/sold NVDA 500")
        assert text(bad).startswith("NVDA: 500 shares is more than the 60 held\nUsage: /sold TICKER")

    run(api, bot_config, script)
    book = _book(bot_config)
    assert book == [(1, "NVDA", 60.0, None, None), (2, "NBIS", 100.0, None, None),
                    (3, "CRWV", 100.0, None, None), (4, "NVDA", 40.0, "2025-10-20", 190.0)]


def test_sold_at_the_stop_closes_it_and_the_next_digest_shows_it(api: FakeBotApi, bot_config: Path) -> None:
    async def script(bot: Session) -> None:
        await bot.check("2025-10-17")
        stop = bot.message("STOP HIT · NBIS · 2025-10-17")
        labels = [label for label, _ in api.buttons(stop)]
        assert labels == ["Sold at the stop (118.06)", "Sold at ...", "Still holding", "Snooze 1 session"]
        [answer] = await bot.press(stop, "Sold at the stop")
        assert text(answer) == ("Sold at the stop: lot 2: 100 NBIS sold 2025-10-17 at 118.06. The next "
                                "digest shows it closed.")
        assert api.buttons(stop) == []
        new = await bot.check("2025-10-20")
        reminded = [a.subject for a in new if a.state.startswith("reminder")]
        assert reminded == ["CRWV"]  # NBIS was answered; CRWV was not

    run(api, bot_config, script)
    digest = next(t for t in api.texts() if t.startswith("Evening digest · Portfolio · 2025-10-20"))
    assert "NBIS 2025-10-17 at 118.06 (trailing stop, recorded)" in digest
    assert "CRWV 2025-10-17 at 130.22 (trailing stop, not recorded yet" in digest
    assert "NBIS 1" not in digest.split("Stops for")[1]  # no stop order for a sold position
    assert _book(bot_config)[1] == (2, "NBIS", 100.0, "2025-10-17", pytest.approx(118.06, abs=0.005))


def test_still_holding_restarts_the_rules_and_snooze_skips_a_reminder(api: FakeBotApi,
                                                                      bot_config: Path) -> None:
    async def script(bot: Session) -> None:
        await bot.check("2025-10-17")
        [held] = await bot.press(bot.message("STOP HIT · NBIS · 2025-10-17"), "Still holding")
        assert text(held).startswith("Still holding NBIS: its stop rules start again from the close of "
                                     "2025-10-17")
        [snoozed] = await bot.press(bot.message("STOP HIT · CRWV · 2025-10-17"), "Snooze 1 session")
        assert text(snoozed) == "Snoozed: no reminder of the CRWV stop with the alerts of 2025-10-20."
        first = await bot.check("2025-10-20")
        second = await bot.check("2025-10-21")
        assert [a.subject for a in first if a.state.startswith("reminder")] == []
        assert [a.subject for a in second if a.state.startswith("reminder")] == ["CRWV"]

    run(api, bot_config, script)
    digest = next(t for t in api.texts() if t.startswith("Evening digest · Portfolio · 2025-10-20"))
    # held through the stop of 10-17: the rules restart from its close 113.44 (stop 96.42 for 10-20);
    # 10-20 makes a high of 117.47, so the stop for 10-21 is 0.85 x 117.47 = 99.85; P&L from the entry
    # P&L from the 111.715 entry (the 2025-10-01 open): 100 x (109.00 - 111.715)
    assert "NBIS 109.00 · P&L -271.50 (-2.4%) · stop 99.85, 8.4% below" in digest
    assert "▶ NBIS 99.85 trailing stop: raise your stop order from 96.42 (+3.43)" in digest
    assert "CRWV 2025-10-17 at 130.22 (trailing stop, not recorded yet" in digest  # snoozed, still open
    assert "  CRWV" not in digest.split("Stops for")[1]  # the model closed it: no stop order


def test_sold_at_a_typed_price(api: FakeBotApi, bot_config: Path) -> None:
    async def script(bot: Session) -> None:
        await bot.check("2025-10-17")
        [question] = await bot.press(bot.message("STOP HIT · CRWV · 2025-10-17"), "Sold at ...")
        assert text(question).startswith("At what price did you sell CRWV?")
        [bad] = await bot.ask("cheap")
        assert "PRICE 'cheap' is not a number" in text(bad)
        [confirm] = await bot.ask("128.40")
        assert text(confirm).startswith("Sell 100 CRWV at 128.40 on 2025-10-17:")
        await bot.press(confirm, "Confirm")
        assert bot.rows("SELECT answer FROM stop_answers") == [("sold",)]
        [nothing] = await bot.ask("hello") or [{}]
        assert nothing == {}  # a plain message nobody asked for is not answered

    run(api, bot_config, script)
    assert (3, "CRWV", 100.0, "2025-10-17", 128.4) in _book(bot_config)


def test_a_strangers_callback_query_does_nothing(api: FakeBotApi, bot_config: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    pressed: list[str] = []

    async def script(bot: Session) -> None:
        await bot.check("2025-10-17")
        stop = bot.message("STOP HIT · NBIS · 2025-10-17")
        before = len(api.messages())
        data = api.buttons(stop)[0][1]
        pressed.append(data)
        api.press(stop, data, STRANGER)  # in the owner's chat, pressed by someone else
        api.press({**stop, "chat": {"id": STRANGER, "type": "private"}}, data, STRANGER)
        await bot.replies(before, wait=1.5)
        assert len(api.messages()) == before and not api.calls("answerCallbackQuery")
        assert api.buttons(stop)  # still there: nothing was answered

    with caplog.at_level(logging.INFO):
        run(api, bot_config, script)
    assert _book(bot_config)[1][3] is None  # NBIS still open
    ignored = [r.getMessage() for r in caplog.records if "not on the allow-list" in r.getMessage()]
    assert len(ignored) == 2 and all("callback_query" in line for line in ignored)
    assert not [r.getMessage() for r in caplog.records if pressed[0] in r.getMessage()]  # nor its data


def test_notify_drawdown_silent_sends_the_next_drawdown_without_sound(api: FakeBotApi,
                                                                      bot_config: Path) -> None:
    from tests.bot.conftest import alert

    async def script(bot: Session) -> None:
        [answer] = await bot.ask("/notify drawdown silent")
        assert text(answer) == "drawdown: silent (chat); /notify lists every rule."
        [listed] = await bot.ask("/notify")
        assert "drawdown: silent (chat)" in text(listed) and "stop_hit: on (default)" in text(listed)
        bot.runtime.store.record_session(pd.Timestamp("2025-10-22"), [
            alert("drawdown", "NBIS", state="0.1", message="NBIS drawdown"),
            alert("near_stop", "NVDA", message="NVDA near")], True, {})
        await bot.runtime.drain()

    run(api, bot_config, script)
    sends = {_content(call.params): call.params.get("disable_notification")
             for call in api.calls("sendMessage") + api.calls("sendPhoto")
             if "NBIS drawdown" in _content(call.params) or "NVDA near" in _content(call.params)}
    assert {key.split("\n")[1]: str(value).lower() for key, value in sends.items()} == {
        "NBIS drawdown": "true", "NVDA near": "false"}


def test_notify_off_keeps_the_alert_in_the_ledger_unsent(api: FakeBotApi, bot_config: Path) -> None:
    modes = '[alerts.notify]\nnear_stop = "off"\ndigest = "silent"\n[telegram]\n'
    bot_config.write_text(bot_config.read_text().replace("[telegram]\n", modes))

    async def script(bot: Session) -> None:
        new = await bot.check("2025-10-16")
        assert [a.rule for a in new] == ["near_stop", "digest"]

    run(api, bot_config, script)
    assert [t.split(" ·")[0] for t in api.texts()] == ["Evening digest"]
    [digest] = api.calls("sendMessage")
    assert str(digest.params.get("disable_notification")).lower() == "true"


def _content(params: dict[str, object]) -> str:
    return str(params.get("text") or params.get("caption") or "")


def _book(config: Path) -> list[tuple[object, ...]]:
    import sqlite3

    with sqlite3.connect(config.parent / "data" / "satellite.db") as db:
        return db.execute("SELECT id, ticker, shares, exit_date, exit_price FROM positions "
                          "ORDER BY id").fetchall()


def test_daily_weekly_and_levels(api: FakeBotApi, bot_config: Path) -> None:
    async def script(bot: Session) -> None:
        [daily] = await bot.ask("/daily 3")
        lines = text(daily).removeprefix("<pre>").removesuffix("</pre>").splitlines()
        assert lines[0] == "Portfolio by session, last 3" and lines[1].split()[-1] == "NVDA"
        # the last session anything was held: NVDA stopped at 180.36 on 2025-11-07; with the
        # proceeds of NBIS (118.06) and CRWV (130.22) from 2025-10-17: 100 x 428.64
        assert lines[-1].startswith("2025-11-07    42,864.") and len(lines) == 5
        [weekly] = await bot.ask("/weekly 2")
        assert "Portfolio by week, last 2" in text(weekly)
        [levels] = await bot.ask("/levels")  # the model stopped all three in 2025
        assert text(levels) == "No open position after the close of 2026-07-02: no stop order needed."
        await bot.press((await bot.ask("/bought CRWV 10 80.50 2026-07-01"))[0], "Confirm")
        [levels] = await bot.ask("/levels")
        [level] = levels_after(build_inputs(bot.context), pd.Timestamp("2026-07-02"))
        assert text(levels).splitlines() == [
            "Stops for 2026-07-06 (after the close of 2026-07-02):",
            f"CRWV {level.level:.2f} trailing stop ({level.change:+.2f} since 2026-07-02); close "
            f"{level.close:.2f}; trailing stop {level.level:.2f}"]
        [bad] = await bot.ask("/daily 0")
        assert text(bad).endswith("Usage: /daily [N]  (N from 1 to 50, default 10)")

    run(api, bot_config, script)
    html = [call.params.get("parse_mode") for call in api.calls("sendMessage")
            if "<pre>" in _content(call.params)]
    assert html == ["HTML", "HTML"]
