"""A local stand-in for the Telegram Bot API (https://core.telegram.org/bots/api), on loopback.

It serves ``POST|GET /bot<token>/<method>`` like api.telegram.org: parameters as form fields
(what python-telegram-bot sends), JSON or query string; answers ``{"ok": true, "result": ...}``
with realistic result objects, or ``{"ok": false, "error_code": ..., "description": ...}`` for
what the real API rejects (wrong token, empty or too long text, callback_data over 64 bytes,
unparsable HTML/Markdown). Every call is recorded. It runs in its own thread and event loop, so
it serves a Rasa server in another process as well as code under test in the test's loop.
"""
from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSON_FIELDS = {"reply_markup", "allowed_updates", "link_preview_options", "entities",
               "reply_parameters", "caption_entities", "media", "commands", "scope"}
INT_FIELDS = {"chat_id", "message_id", "from_chat_id", "message_thread_id", "cache_time",
              "max_connections", "offset", "limit", "timeout"}
BOOL_FIELDS = {"show_alert", "drop_pending_updates", "disable_notification", "protect_content"}

TEST_TOKEN = "7000000001:AAFakeTokenForTestsOnly_xxxxxxxxxxx"  # never a real bot's token

BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "Jiangzhou Services (test)",
            "username": "jiangzhou_test_bot", "can_join_groups": True,
            "can_read_all_group_messages": False, "supports_inline_queries": False,
            "can_connect_to_business": False, "has_main_web_app": False}


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One recorded Bot API call."""

    method: str
    params: dict[str, Any]
    status: int
    token: str
    at: float = field(default_factory=time.time)


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


class FakeBotApi:
    """``with FakeBotApi(token) as api: ... api.base_url ... api.calls("sendMessage")``."""

    def __init__(self, token: str, host: str = "127.0.0.1") -> None:
        self.token = token
        self.host = host
        self.port: int | None = None
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self._failures: dict[str, list[ApiError]] = {}
        self._message_id = 1000
        self.webhook: dict[str, Any] = {"url": ""}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """What to pass as the Bot's ``base_url`` (the token is appended to it)."""
        return f"http://{self.host}:{self.port}/bot"

    def start(self) -> FakeBotApi:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._start_server())
            except BaseException as exc:  # noqa: BLE001 - reported to the caller
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-bot-api", daemon=True)
        self._thread.start()
        if not ready.wait(10) or errors:
            raise RuntimeError(f"fake Bot API did not start: {errors}")
        return self

    async def _start_server(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeBotApi:  # noqa: PYI034
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ inspection

    def calls(self, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            calls = list(self._calls)
        return [c for c in calls if (method is None or c.method == method)
                and (chat_id is None or c.params.get("chat_id") == chat_id)]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        return [c.params.get("text", "") for c in self.calls("sendMessage", chat_id) if c.status == 200]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def fail_next(self, method: str, code: int, description: str, retry_after: int | None = None) -> None:
        """Make the next call of ``method`` fail like Telegram would (e.g. 403 bot was blocked)."""
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        with self._lock:
            self._failures.setdefault(method, []).append(ApiError(code, description, parameters))

    def wait_for(self, predicate: Callable[[FakeBotApi], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.05)
        return predicate(self)

    # ------------------------------------------------------------------ HTTP

    async def _params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                raw.update(body if isinstance(body, dict) else {})
                return raw
            form = await request.post()
            for key, value in form.items():
                raw[key] = value if isinstance(value, str) else f"<file {getattr(value, 'filename', '')}>"
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, str) and key in JSON_FIELDS:
                value = json.loads(value)
            elif isinstance(value, str) and key in INT_FIELDS and re.fullmatch(r"-?\d+", value):
                value = int(value)
            elif isinstance(value, str) and key in BOOL_FIELDS:
                value = value.lower() == "true"
            params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        token = request.match_info["token"]
        params = await self._params(request)
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            with self._lock:
                queued = self._failures.get(method)
                failure = queued.pop(0) if queued else None
            if failure is not None:
                raise failure
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = handler(params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as err:
            status = err.code
            body = {"ok": False, "error_code": err.code, "description": err.description}
            if err.parameters:
                body["parameters"] = err.parameters
        with self._lock:
            self._calls.append(Call(method, params, status, token))
        return web.json_response(body, status=status)

    # ------------------------------------------------------------------ API methods

    def _next_id(self) -> int:
        with self._lock:
            self._message_id += 1
            return self._message_id

    @staticmethod
    def _chat(chat_id: Any) -> dict[str, Any]:
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Test", "username": f"user{chat_id}"}
        return {"id": chat_id, "type": "supergroup", "title": "Test group"}

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if markup is None:
            return
        rows = markup.get("inline_keyboard")
        if rows is None:
            return
        count = 0
        for row in rows:
            for button in row:
                count += 1
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        if count > 100:
            raise ApiError(400, "Bad Request: reply markup is too long")

    @staticmethod
    def _check_parse_mode(text: str, parse_mode: str | None) -> None:
        if parse_mode == "HTML":
            stripped = re.sub(r"</?(b|strong|i|em|u|ins|s|strike|del|code|pre|a(\s+href=\"[^\"]*\")?)>", "", text)
            if "<" in stripped or re.search(r"&(?!(lt|gt|amp|quot);)", stripped):
                raise ApiError(400, "Bad Request: can't parse entities: unsupported start tag")
        elif parse_mode == "MarkdownV2" and re.search(r"(?<!\\)[_*\[\]()~`>#+\-=|{}.!]", text):
            raise ApiError(400, "Bad Request: can't parse entities: character is reserved")

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        message = {"message_id": self._next_id(), "from": BOT_USER, "chat": self._chat(params.get("chat_id")),
                   "date": int(time.time()), **content}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        self._check_parse_mode(text, params.get("parse_mode"))
        self._check_markup(params.get("reply_markup"))
        return self._message(params, text=text)

    def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params, photo=[{"file_id": "AgAD-photo", "file_unique_id": "AQAD-photo",
                                             "width": 320, "height": 240, "file_size": 1234}])

    def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        self._chat(params.get("chat_id"))
        return True

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        return True

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_markup(params.get("reply_markup"))
        message = {"message_id": params.get("message_id"), "from": BOT_USER,
                   "chat": self._chat(params.get("chat_id")), "date": int(time.time()), "text": "…",
                   "edit_date": int(time.time())}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url", "")
        if url and not url.startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret, "allowed_updates": params.get("allowed_updates")}
        return True

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {"url": ""}
        return True

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info = {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0,
                "max_connections": 40}
        if self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info
