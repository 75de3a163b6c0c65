"""The capped REST channel (channels/rest.py): request checks, and over HTTP on a Sanic app mounted
like ``rasa run`` does (loopback, a stub instead of Rasa; fast, no model)."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from bot.settings import REPO_ROOT
from channels.rest import CappedRestInput, parse_rest_request
from channels.web.channel import ERRORS, MAX_MESSAGE_CHARS, RequestError
from tests.telegram.bot_api_double import free_port


def body(**fields: Any) -> bytes:
    return json.dumps(fields, ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------- request checks


def test_valid_request():
    data = parse_rest_request(body(sender="eval 1/用户", message=" 护照怎么办理？\x00 ", metadata={"language": "en"}))
    assert data == {"sender": "eval 1/用户", "message": "护照怎么办理？", "metadata": {"language": "en"},
                    "input_channel": None}
    assert parse_rest_request(body(sender="s", message="hi"))["metadata"] == {}
    assert parse_rest_request(body(sender="s", message="", input_channel="cmdline"))["input_channel"] == "cmdline"
    assert parse_rest_request(body(sender="s", message="hi", input_channel={"x": 1}))["input_channel"] is None


def test_longest_message_allowed():
    longest = "😀" * MAX_MESSAGE_CHARS
    assert parse_rest_request(body(sender="s", message=longest))["message"] == longest


@pytest.mark.parametrize("raw, code, status", [
    (b"", "invalid_json", 400),
    (b"not json", "invalid_json", 400),
    (b"[1, 2]", "invalid_json", 400),
    (b'"just a string"', "invalid_json", 400),
    (b"[" * 60_000, "invalid_json", 400),                 # too deep for the JSON parser
    (b'{"a":' * 12_000, "invalid_json", 400),
    (body(message="hi"), "invalid_sender", 400),          # no shared "default" conversation
    (body(sender=None, message="hi"), "invalid_sender", 400),
    (body(sender=42, message="hi"), "invalid_sender", 400),
    (body(sender="  ", message="hi"), "invalid_sender", 400),
    (body(sender="x" * 256, message="hi"), "invalid_sender", 400),
    (body(sender="a\nb", message="hi"), "invalid_sender", 400),
    (b'{"sender": "\\ud800", "message": "hi"}', "invalid_sender", 400),
    (body(sender="s"), "invalid_message", 400),
    (body(sender="s", message=42), "invalid_message", 400),
    (body(sender="s", message=["hi"]), "invalid_message", 400),
    (body(sender="s", message="长" * (MAX_MESSAGE_CHARS + 1)), "message_too_long", 413),
    (body(sender="s", message="hi", metadata=[1]), "invalid_metadata", 400),
    (body(sender="s", message="hi", metadata={"blob": "x" * 5000}), "invalid_metadata", 400),
    (body(sender="s", message="a" * 64 * 1024), "body_too_large", 413),
], ids=lambda v: None if not isinstance(v, bytes) or len(v) < 80 else f"{len(v)}-bytes")
def test_bad_requests_are_refused(raw, code, status):
    with pytest.raises(RequestError) as e:
        parse_rest_request(raw)
    assert (e.value.code, e.value.status) == (code, status)


def test_channel_name_and_prefix_keep_the_rest_url():
    channel = CappedRestInput.from_credentials(None)
    assert channel.name() == "rest" and channel.url_prefix() == "rest"


def test_project_credentials_name_the_capped_channel_instead_of_rest():
    import yaml
    from rasa.shared.utils.common import class_from_module_path

    credentials = yaml.safe_load((REPO_ROOT / "credentials.yml").read_text(encoding="utf-8"))
    assert "rest" not in credentials  # both would claim /webhooks/rest/webhook
    assert class_from_module_path("channels.rest.CappedRestInput") is CappedRestInput
    assert "channels.rest.CappedRestInput" in credentials


# --------------------------------------------------------------------------- HTTP


class StubRasa:
    """Stands in for the agent: records the messages and answers ``echo: <text>``."""

    def __init__(self) -> None:
        self.messages: list[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


class Served:
    def __init__(self, url: str, rasa: StubRasa) -> None:
        self.url, self.rasa = url, rasa

    async def post(self, data: bytes, query: str = "") -> tuple[int, Any, float]:
        start = time.perf_counter()
        async with aiohttp.ClientSession() as session, session.post(
                f"{self.url}/webhooks/rest/webhook{query}", data=data,
                headers={"Content-Type": "application/json"}) as r:
            text = await r.text()
        elapsed = time.perf_counter() - start
        try:
            return r.status, json.loads(text), elapsed
        except ValueError:
            return r.status, text, elapsed


@pytest.fixture
async def served(monkeypatch):
    """The channel's blueprint on a Sanic app on loopback, registered the way ``rasa run`` does."""
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps in one process (tests only)
    rasa = StubRasa()
    app = Sanic(f"rest_test_{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.ctx.agent = rasa
    register([CappedRestInput.from_credentials(None)], app, "/webhooks/")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    await server.before_start()
    await server.after_start()
    yield Served(f"http://127.0.0.1:{port}", rasa)
    await server.before_stop()
    await server.close()
    await server.after_stop()


async def test_normal_message_reaches_rasa_and_the_replies_come_back(served):
    status, reply, _ = await served.post(body(sender="eval-1", message="护照怎么办理？", metadata={"language": "zh"}))
    assert (status, reply) == (200, [{"recipient_id": "eval-1", "text": "echo: 护照怎么办理？"}])
    [message] = served.rasa.messages
    assert (message.text, message.sender_id, message.input_channel, message.metadata) == \
        ("护照怎么办理？", "eval-1", "rest", {"language": "zh"})


async def test_without_metadata_rasa_gets_none_as_before(served):
    status, _, _ = await served.post(body(sender="eval-2", message="hello"))
    assert status == 200 and served.rasa.messages[0].metadata is None


async def test_stream_option_still_works(served):
    status, reply, _ = await served.post(body(sender="eval-3", message="hi"), query="?stream=true")
    assert (status, reply) == (200, {"recipient_id": "eval-3", "text": "echo: hi"})  # one JSON line


async def test_two_megabyte_body_is_refused_quickly(served):
    huge = body(sender="s", message="a" * 2_000_000)
    status, reply, elapsed = await served.post(huge)
    assert (status, reply["error"]) == (413, "body_too_large") and reply["detail"] == ERRORS["body_too_large"]
    assert elapsed < 5 and served.rasa.messages == []


@pytest.mark.parametrize("raw, status, code", [
    (body(sender="s", message="a" * 64 * 1024), 413, "body_too_large"),
    (body(sender="s", message="a" * (MAX_MESSAGE_CHARS + 1)), 413, "message_too_long"),
    (b"[]", 400, "invalid_json"),
    (body(sender="s", message="hi")[:-1], 400, "invalid_json"),
    (b"", 400, "invalid_json"),
    (body(sender="s", message={"text": "hi"}), 400, "invalid_message"),
    (body(message="hi"), 400, "invalid_sender"),
    (b"[" * 60_000, 400, "invalid_json"),
    (b"[" * 60_000 + b"]" * 60_000, 413, "body_too_large"),
], ids=["64KB-message", "2001-chars", "list", "truncated-json", "empty-body", "message-object",
        "no-sender", "60000-open-brackets", "120000-brackets"])
async def test_bad_requests_get_a_json_error_and_never_reach_rasa(served, raw, status, code):
    got, reply, elapsed = await served.post(raw)
    assert (got, reply["error"]) == (status, code)
    assert set(reply["detail"]) == {"zh", "en"} and reply["detail"] == ERRORS[code]
    if code == "message_too_long":
        assert reply["max_chars"] == MAX_MESSAGE_CHARS
    assert served.rasa.messages == [] and elapsed < 5


async def test_health(served):
    async with aiohttp.ClientSession() as session, session.get(f"{served.url}/webhooks/rest/") as r:
        assert (r.status, await r.json()) == (200, {"status": "ok"})
