"""The bot's log: stderr, the token redacted, and no message content from any library.

python-telegram-bot logs whole API payloads at DEBUG ("Calling Bot API endpoint `sendMessage`
with parameters {...text...}", "... `getUpdates` finished with return value [...]", "Processing
update ..."), and at CRITICAL the raw batch it could not parse; httpx logs request URLs (with
the token) at INFO. Those are records of libraries, formatted from arguments: ContentFilter
rewrites the arguments of every record from those libraries before it is formatted, keeping
what helps (method names, URLs, numbers, ids, dictionary keys, counts) and replacing any
payload text by its length. satellite's own loggers log ids and kinds only, never content.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

TOKEN_PATTERN = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")  # a bot token, wherever it appears
LIBRARIES = ("telegram", "httpx", "httpcore")
RAW_TEXT = re.compile(r"[\[{\"']")  # a JSON document or a repr of one: payload, not a label
MAX_LABEL = 300


def redact(text: str) -> str:
    """Any bot token in a text replaced by a placeholder (error texts may quote URLs)."""
    return TOKEN_PATTERN.sub("<token>", text)


def shape(value: Any, depth: int = 0) -> Any:
    """What may be logged of a library's log argument: numbers and ids as they are, labels
    (endpoint names, URLs) at the top level, strings inside payloads as their length only."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        if depth == 0 and len(value) <= MAX_LABEL and not RAW_TEXT.search(value):
            return value
        return f"<{len(value)} characters>"
    if isinstance(value, BaseException):
        return f"{type(value).__name__}"
    if isinstance(value, Mapping):
        if depth >= 2:
            return f"<{len(value)} fields>"
        return "{" + ", ".join(f"{key}: {shape(item, depth + 1)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        if all(isinstance(item, int) and not isinstance(item, bool) for item in value) and len(value) <= 100:
            return f"[{', '.join(str(item) for item in value)}]"
        return f"<{len(value)} items>"
    update_id = getattr(value, "update_id", None)
    if isinstance(update_id, int):
        return f"{type(value).__name__}(update_id={update_id})"
    return f"<{type(value).__name__}>"


class ContentFilter(logging.Filter):
    """Rewrites the arguments of the libraries' records (see the module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".")[0] in LIBRARIES and record.args:
            if isinstance(record.args, Mapping):
                record.args = {key: shape(value) for key, value in record.args.items()}
            else:
                record.args = tuple(shape(value) for value in record.args)
        return True


class RedactingFormatter(logging.Formatter):
    """Formats a record (exception text included), then blanks out any bot token."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return TOKEN_PATTERN.sub("<token>", text)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of each record."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(level: str, secrets: tuple[str, ...] = ()) -> None:
    """Logs to stderr, secrets redacted, library payloads reduced to their shape; httpx's
    per-request INFO lines (URL with the token) off."""
    handler = StderrHandler()
    handler.setFormatter(RedactingFormatter(secrets))
    handler.addFilter(ContentFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
