"""`satellite bot run --log-level debug` against the fake Bot API server: no message content in
any log line from any library, and an update the library cannot parse is skipped (issue 17,
cases 4 and 5; RELIABILITY.md case 16)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from bot.messages import TITLES
from tests.bot.conftest import GROUP, OWNER, STRANGER, write_config
from tests.bot.fake_bot_api import TOKEN, FakeBotApi
from tests.bot.test_bot_cli import SATELLITE

CHANNEL = -1009999


class Bot:
    """`satellite bot run --offline` with its log in a file (a debug log would fill a pipe)."""

    def __init__(self, folder: Path, *args: str) -> None:
        self.log = folder / "bot.log"
        env = {**os.environ, "SATELLITE_TELEGRAM_TOKEN": TOKEN, "HOME": str(folder)}
        command = [SATELLITE, "bot", "run", "--offline", *args]
        with self.log.open("w") as err:
            self.process = subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.DEVNULL,
                                            stderr=err)

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        return self.process.returncode, self.log.read_text()


def user(marker: str, user_id: int = STRANGER) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"{marker}name", "username": f"{marker}user"}


def message(marker: str, chat: dict[str, Any], sender: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"message_id": 77, "date": int(time.time()), "chat": chat, "text": f"{marker}text"}
    if sender is not None:
        body["from"] = sender
    return body


def private(marker: str) -> dict[str, Any]:
    return {"id": STRANGER, "type": "private", "first_name": f"{marker}chat"}


def member_update(marker: str) -> dict[str, Any]:
    return {"chat": {"id": GROUP, "type": "supergroup", "title": f"{marker}title"}, "from": user(marker),
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": user(marker)},
            "new_chat_member": {"status": "left", "user": user(marker)}}


def stranger_updates() -> dict[str, dict[str, Any]]:
    """Thirteen kinds of update from someone not on the allow-list, each with its own marker."""
    now = int(time.time())
    group = {"id": GROUP, "type": "supergroup", "title": "Mgrouptitle"}  # allowed; its user is not
    channel = {"id": CHANNEL, "type": "channel", "title": "Mchantitle"}
    edited_channel = {"id": CHANNEL, "type": "channel", "title": "Mechantitle"}
    join_chat = {"id": GROUP, "type": "supergroup", "title": "Mjointitle"}
    callback = {"id": "cb1", "from": user("Mcall"), "chat_instance": "ci", "data": "Mcalldata",
                "message": message("Mcall", private("Mcall"), user("Mcall"))}
    poll = {"id": "p1", "question": "Mpollquestion", "total_voter_count": 0, "is_closed": False,
            "options": [{"text": "Mpolloption", "voter_count": 0, "persistent_id": "o1"}],
            "is_anonymous": True, "type": "regular", "allows_multiple_answers": False,
            "allows_revoting": False, "members_only": False}
    return {
        "message": {"message": message("Mmsg", private("Mmsg"), user("Mmsg"))},
        "edited": {"edited_message": {**message("Medit", private("Medit"), user("Medit")),
                                      "edit_date": now}},
        "group": {"message": message("Mgroup", group, user("Mgroup"))},
        "channel": {"channel_post": message("Mchan", channel, None)},
        "edited_channel": {"edited_channel_post": {**message("Mechan", edited_channel, None),
                                                   "edit_date": now}},
        "callback": {"callback_query": callback},
        "inline": {"inline_query": {"id": "iq1", "from": user("Minl"), "query": "Minlquery", "offset": ""}},
        "chosen_inline": {"chosen_inline_result": {"result_id": "r1", "from": user("Mcho"),
                                                   "query": "Mchoq"}},
        "my_chat_member": {"my_chat_member": member_update("Mmy")},
        "chat_member": {"chat_member": member_update("Mmem")},
        "join_request": {"chat_join_request": {"chat": join_chat, "from": user("Mjoin"),
                                               "user_chat_id": STRANGER, "date": now, "bio": "Mjoinbio"}},
        "poll": {"poll": poll},
        "poll_answer": {"poll_answer": {"poll_id": "p1", "user": user("Mans"), "option_ids": [0],
                                        "option_persistent_ids": ["o1"]}},
    }


def confirmed(api: FakeBotApi, update_id: int) -> bool:
    """The bot asked for updates after `update_id`: it has taken that one (and those before)."""
    return any(int(call.params.get("offset") or 0) > update_id for call in api.calls("getUpdates"))


def owner_gets_status(api: FakeBotApi) -> bool:
    api.inject_message("/status", OWNER, OWNER)
    return api.wait_for(lambda: any(t.startswith("Portfolio") for t in api.texts(OWNER)), 30)


def test_strangers_updates_leave_no_content_in_a_debug_log(api: FakeBotApi, tmp_path: Path) -> None:
    config = write_config(tmp_path, api.base_url)
    config.write_text(config.read_text().replace(f"chat_ids = [{OWNER}]", f"chat_ids = [{OWNER}, {GROUP}]"))
    updates = stranger_updates()
    assert len(updates) >= 12
    bot = Bot(tmp_path, "--log-level", "debug")
    try:
        assert api.wait_for(lambda: len(api.calls("getUpdates")) >= 1, 60)
        last = max(api.inject(update) for update in updates.values())
        assert api.wait_for(lambda: confirmed(api, last), 30)
        assert owner_gets_status(api)
    finally:
        code, stderr = bot.stop()
    assert code == 0, stderr[-2000:]
    assert "Calling Bot API endpoint" in stderr and "getUpdates" in stderr  # the library's debug log is on
    leaked = [marker for marker in ("Mmsg", "Medit", "Mgroup", "Mchan", "Mechan", "Mcall", "Minl", "Mcho",
                                    "Mmy", "Mmem", "Mjoin", "Mpoll", "Mans") if marker in stderr]
    assert not leaked, [line for line in stderr.splitlines() if any(m in line for m in leaked)][:5]
    assert stderr.count("not on the allow-list") >= len(updates)
    assert "skipped" not in stderr  # every kind above is a valid update: the library parsed them all
    # nobody else was answered; the allowed group gets the catch-up's alerts (every chat_ids chat does)
    assert {m["chat"]["id"] for m in api.messages()} <= {OWNER, GROUP}
    to_group = [m.get("text") or m.get("caption") or "" for m in api.messages() if m["chat"]["id"] == GROUP]
    assert all(text.startswith(tuple(TITLES.values())) for text in to_group), to_group


def test_an_unparseable_update_is_skipped_by_id_and_the_owner_still_answered(
    api: FakeBotApi, tmp_path: Path
) -> None:
    write_config(tmp_path, api.base_url)
    bot = Bot(tmp_path)
    try:
        assert api.wait_for(lambda: len(api.calls("getUpdates")) >= 1, 60)
        broken = api.inject({"poll": {"id": "p9", "question": "Mbrokenquestion"}})  # options etc. missing
        api.inject_message("/status", OWNER, OWNER)
        assert api.wait_for(lambda: any(t.startswith("Portfolio") for t in api.texts(OWNER)), 30)
        assert api.wait_for(lambda: confirmed(api, broken), 10)
        polls = len(api.calls("getUpdates"))
        time.sleep(2.0)
        polls = len(api.calls("getUpdates")) - polls
    finally:
        code, stderr = bot.stop()
    assert code == 0, stderr[-2000:]
    assert f"update {broken}" in stderr and "skipped" in stderr
    assert "CRITICAL" not in stderr and "Mbroken" not in stderr
    assert polls <= 15  # long polling as usual (the fake answers an idle poll after 0.2 s), no tight loop


def test_the_position_book_and_buttons_leave_no_content_in_a_debug_log(api: FakeBotApi,
                                                                       tmp_path: Path) -> None:
    write_config(tmp_path, api.base_url)
    bot = Bot(tmp_path, "--log-level", "debug")
    try:
        assert api.wait_for(lambda: len(api.calls("getUpdates")) >= 1, 60)
        api.inject_message("/bought NBIS 7 97.6543 2026-07-01", OWNER, OWNER)
        assert api.wait_for(lambda: any("Confirm?" in t for t in api.texts(OWNER)), 30)
        question = next(m for m in api.messages(OWNER) if "Confirm?" in (m.get("text") or ""))
        confirm = api.buttons(question)[0][1]
        api.press(question, confirm, OWNER)
        assert api.wait_for(lambda: any(t.startswith("Done:") for t in api.texts(OWNER)), 30)
        api.inject_message("/daily 3", OWNER, OWNER)
        assert api.wait_for(lambda: any("Portfolio by session" in t for t in api.texts(OWNER)), 30)
    finally:
        code, stderr = bot.stop()
    assert code == 0, stderr[-2000:]
    assert "Calling Bot API endpoint" in stderr and "answerCallbackQuery" in stderr  # the debug log is on
    leaked = [marker for marker in ("97.6543", confirm, "Confirm?", "Done:", "Portfolio by session", "<pre>")
              if marker in stderr]
    assert not leaked, [line for line in stderr.splitlines() if any(m in line for m in leaked)][:5]
    assert TOKEN not in stderr
