"""``REST_TOKEN``: the REST channel behind a token (channels/rest.py), over HTTP on a Sanic app
mounted like ``rasa run`` does, with a stand-in for Rasa."""
from __future__ import annotations

import json
import uuid
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from bot.settings import Settings
from channels.rest import CappedRestInput, token_ok
from channels.web.channel import ERRORS
from tests.telegram.bot_api_double import free_port

TOKEN = "rest-token-" + "x" * 20


def test_token_ok():
    assert token_ok("", None, None)  # no token required
    assert token_ok(TOKEN, f"Bearer {TOKEN}", None)
    assert token_ok(TOKEN, f"bearer {TOKEN}", None)
    assert token_ok(TOKEN, None, TOKEN)
    assert not token_ok(TOKEN, None, None)
    assert not token_ok(TOKEN, f"Bearer {TOKEN}x", None)
    assert not token_ok(TOKEN, TOKEN, None)  # not a bearer header
    assert not token_ok(TOKEN, "Bearer ", "")
    assert not token_ok(TOKEN, None, "ünï")


def test_the_token_comes_from_the_settings_and_is_not_shown():
    settings = Settings.from_env({"REST_TOKEN": TOKEN})
    assert settings.rest_token == TOKEN and TOKEN not in repr(settings)
    assert Settings.from_env({}).rest_token == ""


class StubRasa:
    def __init__(self) -> None:
        self.messages: list[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


@pytest.fixture
async def serve(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)
    running: list = []

    async def start(channel: CappedRestInput) -> tuple[str, StubRasa]:
        rasa = StubRasa()
        app = Sanic(f"rest_token_{uuid.uuid4().hex[:8]}", configure_logging=False)
        app.ctx.agent = rasa
        register([channel], app, "/webhooks/")
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        await server.before_start()
        await server.after_start()
        running.append(server)
        return f"http://127.0.0.1:{port}", rasa

    yield start
    for server in running:
        await server.before_stop()
        await server.close()


async def post(url: str, query: str = "", headers: dict | None = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.post(
            f"{url}/webhooks/rest/webhook{query}", data=json.dumps({"sender": "t-1", "message": "你好"}),
            headers={"Content-Type": "application/json", **(headers or {})}) as r:
        return r.status, json.loads(await r.text())


async def test_with_rest_token_set_a_message_needs_it(serve, monkeypatch):
    monkeypatch.setenv("REST_TOKEN", TOKEN)
    url, rasa = await serve(CappedRestInput.from_credentials(None))
    for query, headers in (("", None), ("?token=wrong", None), ("", {"Authorization": "Bearer wrong"}),
                           ("", {"Authorization": TOKEN})):
        status, body = await post(url, query, headers)
        assert status == 401, (query, headers, body)
        assert body == {"error": "rest_token_required", "detail": ERRORS["rest_token_required"]}
    assert rasa.messages == []
    assert (await post(url, headers={"Authorization": f"Bearer {TOKEN}"}))[0] == 200
    status, body = await post(url, f"?token={TOKEN}")  # what the evaluation tool's --token sends
    assert status == 200 and body[0]["text"] == "echo: 你好"
    assert len(rasa.messages) == 2
    async with aiohttp.ClientSession() as session, session.get(f"{url}/webhooks/rest/") as r:
        assert r.status == 200  # the health check stays open


async def test_without_rest_token_the_channel_is_open_as_before(serve, monkeypatch):
    monkeypatch.delenv("REST_TOKEN", raising=False)
    url, rasa = await serve(CappedRestInput.from_credentials(None))
    assert (await post(url))[0] == 200
    assert len(rasa.messages) == 1
