"""getUpdates that survives an update the library cannot parse.

python-telegram-bot turns the whole getUpdates batch into Update objects at once; one entry it
cannot parse (a poll missing a field its version requires, a type newer than the library)
fails the batch: the library logs the raw batch at CRITICAL, never confirms it, and polls
again at once, for good, so nobody is ever answered. UpdatesRequest, the request object used
for getUpdates only, parses each entry first and replaces one that fails with a bare
{"update_id": N}: the library then confirms it (the offset moves past it) and the gate ignores
it. The skip is logged with the update's id and kind, never its content.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest

log = logging.getLogger("satellite.telegram")


def parseable(entry: Any) -> Any:
    """The entry if the library can parse it as an Update, else just its update_id."""
    if not isinstance(entry, dict):
        return entry
    try:
        Update.de_json(copy.deepcopy(entry), None)
    except Exception as err:  # any parsing failure: the library raises KeyError, TypeError, ValueError...
        kinds = ",".join(sorted(key for key in entry if key != "update_id")) or "none"
        log.warning("update %s skipped: the Telegram library cannot parse it (%s in a %s update)",
                    entry.get("update_id"), type(err).__name__, kinds)
        return {"update_id": entry.get("update_id")}
    return entry


def screened(payload: bytes) -> bytes:
    """A getUpdates answer with each unparseable update reduced to its id (other answers as they are)."""
    try:
        answer = json.loads(payload)
    except ValueError:
        return payload  # the library reports an invalid answer itself
    if not (isinstance(answer, dict) and answer.get("ok") and isinstance(answer.get("result"), list)):
        return payload
    result = [parseable(entry) for entry in answer["result"]]
    if result == answer["result"]:
        return payload
    return json.dumps({**answer, "result": result}).encode()


class UpdatesRequest(HTTPXRequest):
    """The request object for getUpdates (see the module docstring): the HTTP answer is screened
    before the library parses it (do_request is the documented hook for custom requests)."""

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, payload = await super().do_request(*args, **kwargs)
        return status, screened(payload)
