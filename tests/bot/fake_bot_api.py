"""A small Telegram Bot API server on 127.0.0.1 for tests (stdlib http.server in a thread).

It answers as https://core.telegram.org/bots/api documents: POST or GET to /bot<token>/<method>,
parameters as a query string, application/x-www-form-urlencoded, application/json or
multipart/form-data (files); every answer is {"ok": true, "result": ...} or
{"ok": false, "error_code": N, "description": ..., "parameters": {...}}.

Implemented: getMe, getUpdates (long polling, offset confirms), sendMessage, sendPhoto (both keep
their reply_markup), answerCallbackQuery, editMessageReplyMarkup, editMessageText,
setMyCommands, getMyCommands, deleteWebhook, getWebhookInfo, close, logOut. It records every
request, queues injected updates (messages, button presses), and can be scripted per method
with faults: 429 with
retry_after, 500, a slow reply, 401, 403, or "accept then hang" (the message counts as delivered
but the answer comes late: a client killed meanwhile never learns it was sent).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TOKEN = "123456789:" + "AAH-test_token_for_the_fake_bot_api_0123"  # split: not a committed token
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Satellite", "username": "satellite_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
LONG_POLL_CAP = 0.2  # seconds a getUpdates without updates is held (the API allows answering early)


@dataclass(frozen=True)
class Recorded:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    at: float


@dataclass(frozen=True)
class Fault:
    """kind: 429 | 500 | 401 | 403 | 400 | slow | accept_then_hang; seconds: retry_after or delay;
    chat_id: only calls for that chat meet it (None: any call)."""

    kind: str
    seconds: float = 0.0
    chat_id: int | None = None


@dataclass
class FakeState:
    token: str
    requests: list[Recorded] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    always: dict[str, Fault] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    next_update_id: int = 1
    next_message_id: int = 1
    lock: threading.Condition = field(default_factory=threading.Condition)


class FakeBotApi:
    """Start with `with FakeBotApi() as api:`; api.base_url goes into [telegram] base_url."""

    def __init__(self, token: str = TOKEN, port: int = 0) -> None:
        self.state = FakeState(token)
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def __enter__(self) -> FakeBotApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # scripting
    def fail(self, method: str, *faults: Fault) -> None:
        """The next calls of `method` meet these faults, one per call, then normal answers."""
        with self.state.lock:
            self.state.faults.setdefault(method, []).extend(faults)

    def fail_always(self, method: str, fault: Fault | None) -> None:
        with self.state.lock:
            if fault is None:
                self.state.always.pop(method, None)
            else:
                self.state.always[method] = fault

    def inject(self, update: dict[str, Any]) -> int:
        with self.state.lock:
            update_id = self.state.next_update_id
            self.state.next_update_id += 1
            self.state.updates.append({"update_id": update_id, **update})
            self.state.lock.notify_all()
            return update_id

    def inject_message(self, text: str, chat_id: int, user_id: int | None = None, chat_type: str = "private",
                       kind: str = "message") -> int:
        message: dict[str, Any] = {"message_id": 1000 + self.state.next_update_id, "date": int(time.time()),
                                   "chat": {"id": chat_id, "type": chat_type}, "text": text}
        if user_id is not None:
            message["from"] = {"id": user_id, "is_bot": False, "first_name": "User"}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if kind == "edited_message":
            message["edit_date"] = int(time.time())
        return self.inject({kind: message})

    def press(self, message: dict[str, Any], data: str, user_id: int) -> int:
        """A button press (callback query) on one of the bot's messages."""
        sender = {"id": user_id, "is_bot": False, "first_name": "User"}
        return self.inject({"callback_query": {"id": f"cb{self.state.next_update_id}", "from": sender,
                                               "chat_instance": "ci", "data": data, "message": message}})

    # inspection
    def buttons(self, message: dict[str, Any]) -> list[tuple[str, str]]:
        """(label, callback data) of a delivered message's inline keyboard, as it is now."""
        with self.state.lock:
            same = (m for m in self.state.delivered if m["message_id"] == message["message_id"])
            current = next(same, message)
            rows = current.get("reply_markup", {}).get("inline_keyboard", [])
        return [(key["text"], key.get("callback_data", "")) for row in rows for key in row]

    def calls(self, method: str) -> list[Recorded]:
        with self.state.lock:
            return [r for r in self.state.requests if r.method == method]

    def messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Delivered sendMessage/sendPhoto results (what a user would see), oldest first."""
        with self.state.lock:
            return [m for m in self.state.delivered if chat_id is None or m["chat"]["id"] == chat_id]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.messages(chat_id)]

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return bool(predicate())


def _json(value: Any) -> Any:
    """A parameter the client sent as JSON text in a form, or as an object in a JSON body."""
    return json.loads(value) if isinstance(value, str) and value else value


def _error(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


class _Handler(BaseHTTPRequestHandler):
    state: FakeState
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(parts) != 2 or not parts[0].startswith("bot"):
            self._send(404, _error(404, "Not Found"))
            return
        token, method = parts[0][3:], parts[1]
        params, files = self._params(url.query, body)
        with self.state.lock:
            self.state.requests.append(Recorded(method, params, files, time.time()))
        if token != self.state.token:
            self._send(401, _error(401, "Unauthorized"))
            return
        fault = self._fault(method, params)
        if fault is not None and fault.kind != "accept_then_hang":
            if fault.kind == "slow":
                time.sleep(fault.seconds)
            else:
                code = int(fault.kind)
                descriptions = {429: f"Too Many Requests: retry after {int(fault.seconds)}",
                                500: "Internal Server Error", 401: "Unauthorized",
                                403: "Forbidden: bot was blocked by the user",
                                400: "Bad Request: chat not found"}
                extra = {"retry_after": int(fault.seconds)} if code == 429 else {}
                self._send(code, _error(code, descriptions[code], **extra))
                return
        answer = self._answer(method, params, files)
        if fault is not None and fault.kind == "accept_then_hang":
            time.sleep(fault.seconds)
        self._send(200 if answer.get("ok") else answer["error_code"], answer)

    def _fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        chat_id = params.get("chat_id")

        def applies(fault: Fault) -> bool:
            return fault.chat_id is None or str(fault.chat_id) == str(chat_id)

        with self.state.lock:
            queue = self.state.faults.get(method, [])
            for number, fault in enumerate(queue):
                if applies(fault):
                    return queue.pop(number)
            always = self.state.always.get(method)
            return always if always is not None and applies(always) else None

    def _params(self, query: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = dict(parse_qsl(query))
        files: dict[str, bytes] = {}
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/json") and body:
            params.update(json.loads(body))
        elif content_type.startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode()))
        elif content_type.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + body)
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                payload = payload if isinstance(payload, bytes) else b""
                if part.get_filename() is not None:
                    files[str(name)] = payload
                else:
                    params[str(name)] = payload.decode()
        return params, files

    def _answer(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        state = self.state
        if method == "getMe":
            return {"ok": True, "result": BOT_USER}
        if method in ("deleteWebhook", "close", "logOut"):
            return {"ok": True, "result": True}
        if method == "getWebhookInfo":
            info = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
            return {"ok": True, "result": info}
        if method == "setMyCommands":
            commands = params.get("commands", "[]")
            with state.lock:
                state.commands = json.loads(commands) if isinstance(commands, str) else commands
            return {"ok": True, "result": True}
        if method == "getMyCommands":
            return {"ok": True, "result": state.commands}
        if method == "getUpdates":
            return {"ok": True, "result": self._updates(params)}
        if method in ("sendMessage", "sendPhoto"):
            return self._send_message(method, params, files)
        if method == "answerCallbackQuery":
            return {"ok": True, "result": True}
        if method in ("editMessageReplyMarkup", "editMessageText"):
            return self._edit(method, params)
        return _error(404, "Not Found: method not found")

    def _edit(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            for message in self.state.delivered:
                if (str(message["chat"]["id"]) == str(params.get("chat_id"))
                        and str(message["message_id"]) == str(params.get("message_id"))):
                    markup = _json(params.get("reply_markup"))
                    if markup:
                        message["reply_markup"] = markup
                    else:
                        message.pop("reply_markup", None)
                    if method == "editMessageText":
                        message["text"] = str(params.get("text") or "")
                    return {"ok": True, "result": message}
        return _error(400, "Bad Request: message to edit not found")

    def _updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), LONG_POLL_CAP)
        with self.state.lock:
            if offset:
                self.state.updates = [u for u in self.state.updates if u["update_id"] >= offset]
            if not self.state.updates and wait > 0:
                self.state.lock.wait(wait)
            return list(self.state.updates[:limit])

    def _send_message(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id is None:
            return _error(400, "Bad Request: chat_id is empty")
        if method == "sendMessage":
            text = str(params.get("text") or "")
            if not text:
                return _error(400, "Bad Request: message text is empty")
            if len(text) > 4096:
                return _error(400, "Bad Request: message is too long")
            content: dict[str, Any] = {"text": text}
        else:
            if "photo" not in files and not params.get("photo"):
                return _error(400, "Bad Request: there is no photo in the request")
            caption = params.get("caption")
            if caption is not None and len(str(caption)) > 1024:
                return _error(400, "Bad Request: message caption is too long")
            photo = files.get("photo", b"")
            content = {"photo": [{"file_id": f"photo{len(photo)}", "file_unique_id": f"u{len(photo)}",
                                  "width": 800, "height": 500, "file_size": len(photo)}]}
            if caption is not None:
                content["caption"] = str(caption)
        markup = _json(params.get("reply_markup"))
        if markup and "inline_keyboard" in markup:  # a message keeps inline keyboards only (not ForceReply)
            content["reply_markup"] = markup
        with self.state.lock:
            message_id = self.state.next_message_id
            self.state.next_message_id += 1
            message = {"message_id": message_id, "date": int(time.time()), "from": BOT_USER,
                       "chat": {"id": int(chat_id), "type": "private"}, **content}
            self.state.delivered.append(message)
        return {"ok": True, "result": message}

    def _send(self, code: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
