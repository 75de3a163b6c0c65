"""Rasa's REST channel with request limits: ``POST /webhooks/rest/webhook``, the evaluation contract.

Registered in credentials.yml as ``channels.rest.CappedRestInput:`` in place of ``rest:`` (Rasa
loads a channel that is not built in from its module path; the URL comes from ``name()``, which
stays ``rest``; the two cannot both be listed, they would claim the same routes).

Rasa's own ``RestInput`` takes any body: a 2 MB message went through the whole NLU pipeline and
the tracker store on the server's event loop, and a missing sender joined the shared ``default``
conversation. This subclass keeps the request and reply shapes (``{"sender", "message",
"metadata"}`` in, the bot's messages as a JSON list out, ``?stream=true``, an optional
``input_channel`` name) and checks the request before Rasa sees it. A refused request gets a 4xx
JSON error ``{"error": code, "detail": {"zh": ..., "en": ...}}`` with the web chat channel's
texts (channels/web/errors.yml):

* body over 64 KB → 413 ``body_too_large`` (nothing is parsed);
* not JSON, nested too deep, or not a JSON object → 400 ``invalid_json``;
* sender missing, not a string, blank, over 255 characters (the tracker store's column) or with
  control characters → 400 ``invalid_sender``;
* sender named like another channel's conversation (``telegram-…``, ``web-…``) → 400 ``invalid_sender``;
* a ``/intent{json}`` payload whose entities are not a small object of identifiers or numbers
  → 400 ``invalid_payload`` (read as Rasa reads it: ``check_payload``);
* message missing or not a string → 400 ``invalid_message``; over 2,000 characters (after
  control characters are dropped) → 413 ``message_too_long``, with ``max_chars``;
* metadata not a JSON object of at most 4 KB → 400 ``invalid_metadata``;
* a sender or client address over its rate limit → 429 ``rate_limited`` with ``Retry-After``
  (channels/rate_limit.py; a tool on this machine posting straight to Rasa is not limited).

An empty message is passed on as before (the bot answers it like Rasa's channel did).

With ``REST_TOKEN`` set (bot/settings.py) every ``POST webhook`` must carry it, as
``Authorization: Bearer <token>`` or ``?token=<token>`` (what the evaluation tool's ``--token``
sends), compared in constant time; without it → 401 ``rest_token_required``, before the body is
read. Unset (the default, ``make run``), the channel is open as before. The health check stays open.
"""
from __future__ import annotations

import hmac
import logging
import re
import unicodedata
from asyncio import CancelledError, Queue
from collections.abc import Awaitable, Callable
from typing import Any

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import QueueOutputChannel, RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from channels.web.channel import (
    RequestError,
    check_sender_is_ours,
    clean_metadata,
    error_response,
    message_text,
    rate_limit_wait,
    rate_limited_response,
    read_json_object,
    request_error_response,
)

logger = logging.getLogger(__name__)

WEB_CHAT_PREFIX = "web-"
MAX_SENDER_CHARS = 255  # sender_id is a VARCHAR(255) in Rasa's SQL tracker store
INPUT_CHANNEL_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
def rest_sender(raw: Any) -> str:
    """The sender id as sent (it names the conversation), if it is a usable one."""
    if (not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_SENDER_CHARS
            or any(unicodedata.category(ch) in ("Cc", "Cs") for ch in raw)):
        raise RequestError("invalid_sender")
    check_sender_is_ours(raw)
    if raw.lower().startswith(WEB_CHAT_PREFIX):  # the web chat's signed conversations are its own
        raise RequestError("invalid_sender")
    return raw


def token_ok(expected: str, authorization: str | None, query_token: str | None) -> bool:
    """Whether a request may use the REST channel: always if no token is required (``expected``
    empty), else if the ``Authorization: Bearer`` header or the ``token`` query argument is it."""
    if not expected:
        return True
    given = []
    if authorization and authorization[:7].lower() == "bearer ":
        given.append(authorization[7:].strip())
    if query_token is not None:
        given.append(query_token)
    want = expected.encode("utf-8")
    return any(hmac.compare_digest(want, g.encode("utf-8", "replace")) for g in given)


def parse_rest_request(body: bytes) -> dict[str, Any]:
    """Validated ``{"sender", "message", "metadata", "input_channel"}`` from a REST request body;
    ``input_channel`` is None unless the body names one (letters, digits, ``_.-``)."""
    data = read_json_object(body)
    sender = rest_sender(data.get("sender"))
    message = message_text(data.get("message"))
    metadata = clean_metadata(data.get("metadata"))
    channel = data.get("input_channel")
    channel = channel if isinstance(channel, str) and INPUT_CHANNEL_RE.match(channel) else None
    return {"sender": sender, "message": message, "metadata": metadata, "input_channel": channel}


class CappedRestInput(RestInput):
    """``/webhooks/rest/webhook`` like Rasa's ``rest`` channel, with the checks above."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self, token: str | None = None) -> None:
        self._token = token  # None: REST_TOKEN from the settings when the blueprint is made

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def token(self) -> str:
        """The token the webhook needs ("" = none): ``REST_TOKEN``."""
        if self._token is None:
            from bot.settings import Settings

            self._token = Settings.from_env().rest_token
        return self._token

    @staticmethod
    async def on_message_wrapper(on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str,
                                 queue: Queue, sender_id: str, input_channel: str,
                                 metadata: dict[str, Any] | None) -> None:
        """``?stream=true``: as Rasa's, but the stream always ends. Rasa's puts the closing "DONE"
        only after a turn that succeeded, so a failing turn left the client waiting for ever; here
        the failure is logged and the replies so far end the stream, as without ``stream``."""
        try:
            await on_new_message(UserMessage(text, QueueOutputChannel(queue), sender_id,
                                             input_channel=input_channel, metadata=metadata))
        except CancelledError:
            logger.error("rest: message from %s timed out", sender_id)
            raise
        except Exception:
            logger.exception("rest: could not handle a message from %s", sender_id)
        finally:
            await queue.put("DONE")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)
        token = self.token()

        @rest.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse | ResponseStream:
            if not token_ok(token, request.headers.get("authorization"), request.args.get("token")):
                return error_response("rest_token_required", 401)
            try:
                data = parse_rest_request(request.body or b"")
            except RequestError as e:
                return request_error_response(e)
            sender, text, metadata = data["sender"], data["message"], data["metadata"] or None
            wait = await rate_limit_wait(request, sender)
            if wait is not None:
                return rate_limited_response(wait)
            input_channel = data["input_channel"] or self.name()
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(self.stream_response(on_new_message, text, sender, input_channel, metadata),
                                       content_type="text/event-stream")
            # as Rasa's RestInput: a failure is logged and the replies collected so far are returned
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, sender, input_channel=input_channel,
                                                 metadata=metadata))
            except CancelledError:
                logger.error("rest: message from %s timed out", sender)
            except Exception:
                logger.exception("rest: could not handle a message from %s", sender)
            return response.json(collector.messages)

        return rest

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        try:
            return parse_rest_request(request.body or b"")["metadata"] or None
        except RequestError:
            return None
