"""The web chat widget's input channel: like Rasa's REST channel, but it keeps message metadata,
and it talks only to conversations it issued the sender id of.

Registered in credentials.yml as ``channels.web.channel.WebChatInput:``. Endpoints (under
``/webhooks/webchat/``):

``POST session``
    A new sender id, ``{"sender": "web-<random>.<mac>"}``: made and signed here
    (channels/web/senders.py; the key is ``WEB_SENDER_SECRET``, else a key file in the data
    directory). The widget asks for one before its first message and whenever the channel refuses
    the one it has. Every endpoint below that takes a sender checks it: a malformed sender or
    another channel's (``telegram-…``) gets 400 ``invalid_sender``, a well-formed one this channel
    did not issue (made up, a changed MAC, signed under an older key) 403 ``sender_not_issued``.
``POST webhook``
    Body ``{"sender": str, "message": str, "metadata": {"language": "zh"|"en", ...},
    "message_id": str}`` (``sender`` issued by ``session``; ``message_id`` optional: 1–64
    characters of ``[A-Za-z0-9_-]``, the same on every retry of a message; a message already
    handled is answered again, not processed again: channels/web/message_ids.py). Returns the
    bot's messages as a JSON list, exactly like ``/webhooks/rest/webhook``. While the conversation
    is paused (handed over to staff) the list ends with one status element
    ``{"recipient_id": ..., "custom": {"handoff": {"paused": true}}}`` that the widget turns into
    its "passed to staff" banner. Bad requests get a 4xx JSON error ``{"error": code, "detail":
    {"zh": ..., "en": ...}}``; messages longer than ``MAX_MESSAGE_CHARS`` get 413; a sender or
    address over its rate limit gets 429 ``rate_limited`` with ``Retry-After`` and ``retry_after``
    (seconds) in the body, before Rasa sees the message (channels/rate_limit.py).
``GET /`` (optionally ``?sender=ID``, and ``&since=TIMESTAMP``)
    Health check the widget polls while reconnecting: ``{"status": "ok"}``, plus ``"paused"``
    (bool) for the given sender (which must be one issued here, as above). With ``since`` (a Unix
    timestamp, as the server's clock gives it) also ``"now"`` (the server's time) and
    ``"messages"``: the bot messages marked ``pushed`` that were stored after ``since``, oldest
    first, at most ``MAX_PUSHED`` — what staff sent from the console while the conversation is
    handed over (actions/staff_relay.py), each ``{"text", "timestamp", "staff": bool}`` plus
    ``"buttons"`` if it has any. The widget asks again with the ``timestamp`` of the last one it
    got. A malformed ``since`` is refused (400).

The language switch of the widget arrives as ``metadata.language``; the LanguageDetector
component reads it from the message metadata. Button payloads (``/ask_fee``) skip the NLU
pipeline's entities, so for those the channel adds the chosen language as an entity
(``/ask_fee{"language":"en"}``), which fills the ``language`` slot the same way.
"""
from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import time
import unicodedata
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.rate_limit import limiter_for, request_peer
from channels.web import senders
from channels.web.message_ids import InFlight, handle_once, is_valid_message_id, redis_claims

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
MAX_BODY_BYTES = 64 * 1024
MAX_METADATA_BYTES = 4 * 1024
LANGUAGES = ("zh", "en")
MAX_PUSHED = 50  # pushed messages per health-check answer; the widget asks again from the last one
SINCE_RE = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,20})?$")
SENDER_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
# Rasa's own pattern for "/intent@confidence{entities}" messages.
PAYLOAD_RE = re.compile(r"^/(?P<intent>[^{@\s]+)(?P<confidence>@[0-9.]+)?(?P<entities>\{.*\})?$", re.DOTALL)

def _load_errors() -> dict[str, dict[str, str]]:
    """The API's error texts (channels/web/errors.yml), zh and en."""
    import yaml

    data = yaml.safe_load((Path(__file__).with_name("errors.yml")).read_text(encoding="utf-8"))
    return {code: {lang: text.format(max_chars=MAX_MESSAGE_CHARS) for lang, text in texts.items()}
            for code, texts in data.items()}


ERRORS: dict[str, dict[str, str]] = _load_errors()


class RequestError(Exception):
    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


def error_response(code: str, status: int, **extra: Any) -> HTTPResponse:
    return response.json({"error": code, "detail": ERRORS[code], **extra}, status=status)


def rate_limited_response(wait: int) -> HTTPResponse:
    """429 ``rate_limited`` (channels/rate_limit.py): wait ``wait`` seconds, in ``Retry-After`` and
    in the body (a page on another origin cannot read the header without CORS exposing it)."""
    return response.json({"error": "rate_limited", "detail": ERRORS["rate_limited"], "retry_after": wait},
                         status=429, headers={"Retry-After": str(wait)})


async def rate_limit_wait(request: Request, sender: str) -> int | None:
    """None if this message may go on, else the seconds its sender (or address) must wait."""
    return await limiter_for(request.app.ctx).check(sender, *request_peer(request))


def clean_text(text: str) -> str:
    """The message as safe Unicode: lone surrogates replaced, control characters dropped."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()


def clean_metadata(raw: Any) -> dict[str, Any]:
    """The client's metadata: a small JSON object; ``language`` kept only if zh|en."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RequestError("invalid_metadata")
    if len(json.dumps(raw, ensure_ascii=False).encode("utf-8", "replace")) > MAX_METADATA_BYTES:
        raise RequestError("invalid_metadata")
    metadata = dict(raw)
    if metadata.get("language") not in LANGUAGES:
        metadata.pop("language", None)
    return metadata


def with_language(text: str, language: str | None) -> str:
    """Adds the chosen language as an entity to a ``/intent{...}`` payload (if it has none)."""
    if language not in LANGUAGES:
        return text
    match = PAYLOAD_RE.match(text)
    if not match:
        return text
    entities: dict[str, Any] = {}
    if match.group("entities"):
        try:
            entities = json.loads(match.group("entities"))
        except ValueError:
            return text
        if not isinstance(entities, dict):
            return text
    if "language" in entities:
        return text
    entities["language"] = language
    return (f"/{match.group('intent')}{match.group('confidence') or ''}"
            f"{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}")


def read_json_object(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object; too big (413), not JSON or not an object (400).

    The size is checked before anything is parsed, and nesting too deep for the JSON parser
    (``[[[[…``, a ``RecursionError``) is a bad request like any other, never a 500.
    """
    if len(body) > MAX_BODY_BYTES:
        raise RequestError("body_too_large", 413)
    try:
        data = json.loads(body.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        raise RequestError("invalid_json")
    if not isinstance(data, dict):
        raise RequestError("invalid_json")
    return data


PAYLOAD_KEY_RE = re.compile(r"^[a-z_]{1,32}$")
PAYLOAD_VALUE_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
RESERVED_SENDER_PREFIXES = ("telegram-",)  # another channel's conversations: never joinable from here


@functools.lru_cache(maxsize=1)
def _rasa_payload_re() -> "re.Pattern":
    """The pattern Rasa itself unpacks ``/intent@confidence{entities}`` messages with. It is looser
    than :data:`PAYLOAD_RE`: text may follow the entities and space may precede them, so
    ``/inform_service {"service":{"a":1}}`` reaches the slots although PAYLOAD_RE sees no payload
    in it (found by fuzzing); the check must read a message as Rasa will."""
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    return YAMLStoryReader._regex_message_pattern()


def check_payload(message: str) -> None:
    """A ``/intent{json}`` payload sets slots unchecked in Rasa: only a small object of
    identifiers (``{"service": "passport_application"}``) or numbers is accepted (400 otherwise),
    so no payload can put a structure or markup into a slot. The message is read with Rasa's own
    payload pattern, so whatever Rasa would unpack is checked."""
    match = _rasa_payload_re().match(message) if message.startswith("/") else None
    if not match or not match.group("entities"):
        return
    try:
        entities = json.loads(match.group("entities"))
    except (ValueError, RecursionError):
        raise RequestError("invalid_payload")
    if not isinstance(entities, dict) or len(entities) > 8:
        raise RequestError("invalid_payload")
    for key, value in entities.items():
        scalar = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not PAYLOAD_KEY_RE.match(key) or not (scalar or (isinstance(value, str) and PAYLOAD_VALUE_RE.match(value))):
            raise RequestError("invalid_payload")


def check_sender_is_ours(sender: str) -> None:
    """A sender named like another channel's conversation (``telegram-<chat id>``) is refused."""
    if sender.lower().startswith(RESERVED_SENDER_PREFIXES):
        raise RequestError("invalid_sender")


def check_sender(sender: Any, key: bytes) -> str:
    """``sender`` if this channel issued it under ``key`` (channels/web/senders.py): missing or
    malformed, or another channel's (400 ``invalid_sender``); well-formed but not issued here
    (403 ``sender_not_issued``)."""
    if not isinstance(sender, str) or not SENDER_RE.match(sender):
        raise RequestError("invalid_sender")
    check_sender_is_ours(sender)
    if not senders.is_issued(key, sender):
        raise RequestError("sender_not_issued", 403)
    return sender


def message_text(raw: Any) -> str:
    """The message as clean text (:func:`clean_text`): not text (400), too long (413), a payload
    with anything but identifiers (400)."""
    if not isinstance(raw, str):
        raise RequestError("invalid_message")
    message = clean_text(raw)
    if len(message) > MAX_MESSAGE_CHARS:
        raise RequestError("message_too_long", 413)
    check_payload(message)
    return message


def request_error_response(error: RequestError) -> HTTPResponse:
    """The 4xx JSON answer to a refused request (a too-long message also gets ``max_chars``)."""
    extra = {"max_chars": MAX_MESSAGE_CHARS} if error.code == "message_too_long" else {}
    return error_response(error.code, error.status, **extra)


def parse_request(body: bytes, key: bytes) -> dict[str, Any]:
    """Validated ``{"sender", "message", "metadata"}`` from the request body, plus
    ``"message_id"`` if the body has one (400 if it is not 1–64 characters of [A-Za-z0-9_-]).
    The sender must be one this channel issued under ``key`` (:func:`check_sender`)."""
    data = read_json_object(body)
    sender = check_sender(data.get("sender"), key)
    message = message_text(data.get("message"))
    if not message:
        raise RequestError("empty_message")
    metadata = clean_metadata(data.get("metadata"))
    parsed = {"sender": sender, "message": message, "metadata": metadata}
    if data.get("message_id") is not None:
        if not is_valid_message_id(data["message_id"]):
            raise RequestError("invalid_message_id")
        parsed["message_id"] = data["message_id"]
    return parsed


def parse_since(raw: str) -> float:
    """The ``since`` query argument: a non-negative Unix timestamp in plain decimal (400 otherwise)."""
    if not SINCE_RE.match(raw):
        raise RequestError("invalid_since")
    return float(raw)


async def stored_tracker(request: Request, sender: str) -> DialogueStateTracker | None:
    """The conversation as the tracker store has it (None if there is none or it cannot be read)."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        return None
    try:
        return await agent.tracker_store.retrieve(sender)
    except Exception:  # a status flag must never break the reply
        logger.exception("webchat: could not read the tracker of %s", sender)
        return None


async def is_paused(request: Request, sender: str) -> bool:
    """Whether the conversation is paused (handed over to staff), from the tracker store."""
    tracker = await stored_tracker(request, sender)
    return bool(tracker and tracker.is_paused())


def pushed_messages(tracker: DialogueStateTracker | None, since: float) -> list[dict[str, Any]]:
    """The bot messages marked ``pushed`` (sent by staff through the console) stored after
    ``since``, oldest first, at most ``MAX_PUSHED``."""
    messages: list[dict[str, Any]] = []
    for event in tracker.events if tracker else ():
        if not isinstance(event, BotUttered) or event.timestamp <= since:
            continue
        metadata = event.metadata or {}
        if metadata.get("pushed") is not True:
            continue
        message: dict[str, Any] = {"text": event.text or "", "timestamp": event.timestamp,
                                   "staff": metadata.get("staff") is True}
        buttons = (event.data or {}).get("buttons")
        if buttons:
            message["buttons"] = buttons
        messages.append(message)
        if len(messages) == MAX_PUSHED:
            break
    return messages


class WebChatInput(InputChannel):
    """``POST /webhooks/webchat/webhook`` for the web widget; metadata reaches the bot."""

    def __init__(self, sender_key: bytes | None = None) -> None:
        self.in_flight = InFlight()  # (sender, message id) -> the task handling it
        self._sender_key = sender_key  # None: read from the settings when the blueprint is made

    def sender_key(self) -> bytes:
        """The key that signs this channel's sender ids (channels/web/senders.py ``sender_key``)."""
        if self._sender_key is None:
            from bot.settings import Settings

            self._sender_key = senders.sender_key(Settings.from_env())
        return self._sender_key

    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webchat = Blueprint(f"webchat_{type(self).__name__}", __name__)
        key = self.sender_key()  # at start-up: a bad WEB_SENDER_SECRET stops the server here

        @webchat.route("/session", methods=["POST"])
        async def new_session(request: Request) -> HTTPResponse:
            return response.json({"sender": senders.issue(key)}, headers={"Cache-Control": "no-store"})

        @webchat.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            body: dict[str, Any] = {"status": "ok"}
            sender = request.args.get("sender")
            raw_since = request.get_args(keep_blank_values=True).get("since")  # "since=" is malformed too
            if sender is None:
                return response.json(body)
            try:
                check_sender(sender, key)  # another conversation's state and staff messages stay there
                since = None
                if raw_since is not None:
                    since = parse_since(raw_since)
            except RequestError as e:
                return request_error_response(e)
            now = time.time()
            tracker = await stored_tracker(request, sender)
            body["paused"] = bool(tracker and tracker.is_paused())
            if since is not None:
                body["now"] = now
                body["messages"] = pushed_messages(tracker, since)
            return response.json(body)

        @webchat.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                data = parse_request(request.body or b"", key)
            except RequestError as e:
                return request_error_response(e)
            sender, metadata = data["sender"], data["metadata"]
            wait = await rate_limit_wait(request, sender)
            if wait is not None:
                return rate_limited_response(wait)
            message_id = data.get("message_id")
            text = with_language(data["message"], metadata.get("language"))

            async def process() -> list[dict[str, Any]]:
                collector = CollectingOutputChannel()
                await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(),
                                                 message_id=message_id, metadata=metadata))
                return list(collector.messages)

            async def stored_events() -> Any:
                tracker = await stored_tracker(request, sender)
                return tracker.events if tracker else None

            try:
                if message_id is None:
                    messages = await process()
                else:  # at most once per id; the turn completes even if this client goes away
                    claims = redis_claims(getattr(request.app.ctx, "agent", None))
                    messages = await asyncio.shield(self.in_flight.run(
                        (sender, message_id),
                        lambda: handle_once(sender, message_id, claims, stored_events, process)))
            except CancelledError:
                logger.error("webchat: message from %s timed out", sender)
                return error_response("processing_failed", 503)
            except Exception:
                if message_id is None:  # with an id, InFlight logs the failure once
                    logger.exception("webchat: could not handle a message from %s", sender)
                return error_response("processing_failed", 500)
            messages = list(messages)  # a copy: requests for one message id share the answer
            if await is_paused(request, sender):
                messages.append({"recipient_id": sender, "custom": {"handoff": {"paused": True}}})
            return response.json(messages)

        return webchat

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        try:
            return parse_request(request.body or b"", self.sender_key())["metadata"]
        except RequestError:
            return None
