"""Per-sender and per-IP rate limits (channels/rate_limit.py): the limiter in memory and in the real
Redis on 6379 (a key prefix of its own), failing open, and the web chat and REST webhooks over
HTTP on Sanic apps mounted like ``rasa run`` does, with a stand-in for Rasa's agent."""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import aiohttp
import pytest
import redis
from rasa.core.channels.channel import UserMessage, register
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from sanic import Sanic

from bot.settings import Settings
from channels.rate_limit import (
    Limits,
    MemoryCounter,
    RateLimiter,
    RedisCounter,
    client_ip,
    is_local_tool,
    verdict,
)
from channels.rest import CappedRestInput
from channels.web.channel import ERRORS, WebChatInput
from tests.telegram.bot_api_double import free_port
from tests.web_senders import KEY, signed

PROXY = "127.0.0.1"  # nginx, as the replicas see it
CITIZEN = "203.0.113.7"


class Clock:
    def __init__(self, now: float = 1_000_040.0) -> None:  # 20 s into a window (1,000,020 is 60 × 16,667)
        self.now = now

    def __call__(self) -> float:
        return self.now


def redis_up() -> bool:
    try:
        return bool(redis.StrictRedis(port=6379, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(not redis_up(), reason="no Redis on 127.0.0.1:6379")


# --------------------------------------------------------------------------- decisions


def test_client_ip_trusts_forwarded_for_only_from_the_loopback_proxy():
    assert client_ip(CITIZEN, None) == CITIZEN
    assert client_ip("198.51.100.9", "203.0.113.50") == "198.51.100.9"  # not our proxy: header ignored
    assert client_ip(PROXY, CITIZEN) == CITIZEN
    assert client_ip("::1", CITIZEN) == CITIZEN
    # nginx appends what it saw; what the client wrote in front of it is not believed
    assert client_ip(PROXY, f"198.51.100.1, {CITIZEN}") == CITIZEN
    # an ingress on loopback in front of nginx: its address is skipped, the one it saw is the client
    assert client_ip(PROXY, f"198.51.100.1, {CITIZEN}, 127.0.0.1") == CITIZEN
    assert client_ip(PROXY, "127.0.0.1") == PROXY  # a tool on this machine through nginx


def test_only_a_loopback_request_without_a_proxy_header_is_a_local_tool():
    assert is_local_tool("127.0.0.1", None)
    assert is_local_tool("::1", None)
    assert not is_local_tool("127.0.0.1", CITIZEN)
    assert not is_local_tool("127.0.0.1", "")
    assert not is_local_tool(CITIZEN, None)


def test_verdict_waits_to_the_end_of_the_window():
    assert verdict([20, 120], [20, 120], 1_000_040.0, 60) is None
    assert verdict([21, 1], [20, 120], 1_000_040.0, 60) == 40
    assert verdict([21], [20], 1_000_020.0, 60) == 60  # the first moment of a window
    assert verdict([1, 121], [20, 120], 1_000_079.5, 60) == 1


def test_limits_come_from_the_settings_with_citizen_defaults():
    assert Limits.from_settings(Settings.from_env({})) == Limits(per_sender=20, per_ip=120)
    settings = Settings.from_env({"RATE_LIMIT_PER_SENDER": "5", "RATE_LIMIT_PER_IP": "0"})
    assert Limits.from_settings(settings) == Limits(per_sender=5, per_ip=0)


# --------------------------------------------------------------------------- the limiter


async def send(limiter: RateLimiter, n: int, sender: str, ip: str = CITIZEN) -> list[int | None]:
    return [await limiter.check(sender, PROXY, ip) for _ in range(n)]


async def test_memory_limiter_per_sender_per_ip_and_window_expiry():
    clock = Clock()
    limiter = RateLimiter(Limits(per_sender=3, per_ip=5), clock=clock)
    assert await send(limiter, 4, "a") == [None, None, None, 40]
    assert await send(limiter, 1, "b") == [None]  # another sender, same address: 5th of the address
    assert await send(limiter, 1, "c") == [40]  # the address is over its limit now
    assert await send(limiter, 1, "d", ip="198.51.100.2") == [None]  # another address
    clock.now += 40  # the next window
    assert await send(limiter, 3, "a") == [None, None, None]
    assert await send(limiter, 1, "a") == [60]


async def test_sender_only_check_ignores_addresses_for_platform_channels():
    """Telegram's updates all come from Telegram's servers: only the chat is counted, and many
    chats through one platform address are never limited together."""
    limiter = RateLimiter(Limits(per_sender=2, per_ip=2), clock=Clock())
    assert [await limiter.check_sender("telegram-1") for _ in range(3)] == [None, None, 40]
    assert [await limiter.check_sender(f"telegram-{i}") for i in range(2, 50)] == [None] * 48
    assert await RateLimiter(Limits(per_sender=0, per_ip=2)).check_sender("telegram-1") is None


async def test_local_tools_and_loopback_clients_are_exempt_from_the_address_limit():
    limiter = RateLimiter(Limits(per_sender=2, per_ip=2), clock=Clock())
    assert [await limiter.check("a", "127.0.0.1", None) for _ in range(50)] == [None] * 50
    # through the proxy from this machine: the address is not limited, the sender is
    assert [await limiter.check(f"s{i}", PROXY, "127.0.0.1") for i in range(50)] == [None] * 50
    assert [await limiter.check("s", PROXY, "127.0.0.1") for _ in range(3)] == [None, None, 60 - 20]


def test_memory_counter_forgets_old_windows():
    counter = MemoryCounter()
    assert counter.count([("sender", "a"), ("ip", "x")], 1) == [1, 1]
    assert counter.count([("sender", "a")], 1) == [2]
    assert counter.count([("sender", "a")], 2) == [1]
    assert len(counter._counts) == 1


@needs_redis
async def test_redis_limiter_is_shared_and_its_keys_expire():
    client = redis.StrictRedis(port=6379)
    prefix = f"test{uuid.uuid4().hex[:8]}:"
    clock = Clock()
    one = RateLimiter(Limits(per_sender=3, per_ip=100), RedisCounter(client, prefix), clock=clock)
    two = RateLimiter(Limits(per_sender=3, per_ip=100), RedisCounter(client, prefix), clock=clock)
    try:
        assert await send(one, 2, "a") == [None, None]
        assert await send(two, 2, "a") == [None, 40]  # the other replica counts on: one limit
        keys = sorted(k.decode() for k in client.keys(prefix + "*"))
        assert keys == [f"{prefix}rate:ip:{CITIZEN}:16667", f"{prefix}rate:sender:a:16667"]
        assert 0 < client.pttl(keys[0]) <= 60_000
        clock.now += 40
        assert await send(one, 1, "a") == [None]
    finally:
        for key in client.keys(prefix + "*"):
            client.delete(key)

    short = RedisCounter(client, prefix)
    assert await short.count([("sender", "z")], 1, window=1) == [1]
    await asyncio.sleep(1.2)
    assert client.keys(prefix + "*") == []  # expired with its window


async def test_fails_open_when_redis_is_unreachable(caplog):
    gone = redis.StrictRedis(port=1, socket_connect_timeout=1)
    limiter = RateLimiter(Limits(per_sender=1, per_ip=1), RedisCounter(gone, "x:"), clock=Clock())
    assert await send(limiter, 3, "a") == [None, None, None]
    assert "Redis failed" in caplog.text


# --------------------------------------------------------------------------- the webhooks over HTTP


class StubAgent:
    def __init__(self, lock_store) -> None:
        self.lock_store = lock_store
        self.tracker_store = None
        self.messages: list[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


class Served:
    def __init__(self, url: str, agent: StubAgent) -> None:
        self.url, self.agent = url, agent

    async def post(self, path: str, body: dict, forwarded_for: str | None = CITIZEN) -> tuple[int, Any, dict]:
        headers = {"Content-Type": "application/json"}
        if forwarded_for is not None:
            headers["X-Forwarded-For"] = forwarded_for
        async with aiohttp.ClientSession() as session, session.post(
                self.url + path, data=json.dumps(body), headers=headers) as r:
            return r.status, json.loads(await r.text()), dict(r.headers)

    async def web(self, sender: str, n: int = 1, **kw) -> list[tuple[int, Any, dict]]:
        return [await self.post("/webhooks/webchat/webhook",
                                {"sender": sender, "message": f"m{i}", "message_id": uuid.uuid4().hex}, **kw)
                for i in range(n)]

    async def rest(self, sender: str, n: int = 1, **kw) -> list[tuple[int, Any, dict]]:
        return [await self.post("/webhooks/rest/webhook", {"sender": sender, "message": f"m{i}"}, **kw)
                for i in range(n)]


async def away_from_a_window_edge() -> None:
    """The counts of a test are in one minute's window (a fixed window starts afresh each minute)."""
    into = time.time() % 60
    if into > 50:
        await asyncio.sleep(61 - into)


@pytest.fixture
async def serve(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps in one process (tests only)
    running: list = []

    async def start(lock_store=None) -> Served:
        agent = StubAgent(lock_store or InMemoryLockStore())
        app = Sanic(f"rate_{uuid.uuid4().hex[:8]}", configure_logging=False)
        app.ctx.agent = agent
        register([WebChatInput(sender_key=KEY), CappedRestInput.from_credentials(None)], app, "/webhooks/")
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        await server.before_start()
        await server.after_start()
        running.append(server)
        return Served(f"http://127.0.0.1:{port}", agent)

    await away_from_a_window_edge()
    yield start
    for server in running:
        await server.before_stop()
        await server.close()


def assert_rate_limited(answer: tuple[int, Any, dict]) -> None:
    status, body, headers = answer
    assert status == 429, body
    assert body["error"] == "rate_limited"
    assert body["detail"] == ERRORS["rate_limited"]
    assert "稍等" in body["detail"]["zh"] and "wait a moment" in body["detail"]["en"]
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert body["retry_after"] == int(headers["Retry-After"])


async def test_web_chat_21st_message_of_a_sender_in_a_minute_is_refused_politely(serve):
    served = await serve()
    one, other = signed(), signed()
    answers = await served.web(one, 21)
    assert [a[0] for a in answers[:20]] == [200] * 20
    assert_rate_limited(answers[20])
    assert len(served.agent.messages) == 20  # the refused one never reached Rasa
    assert (await served.web(other))[0][0] == 200  # another citizen (same address) is unaffected


async def test_rest_21st_message_of_a_sender_in_a_minute_is_refused_politely(serve):
    served = await serve()
    answers = await served.rest("citizen-1", 21)
    assert [a[0] for a in answers[:20]] == [200] * 20
    assert_rate_limited(answers[20])
    assert len(served.agent.messages) == 20
    assert (await served.rest("citizen-2"))[0][0] == 200


async def test_the_address_limit_holds_across_senders_and_channels(serve, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PER_IP", "6")
    served = await serve()
    answers = await served.rest(f"a-{uuid.uuid4().hex}", 3) + await served.web(signed(), 3)
    assert [a[0] for a in answers] == [200] * 6
    assert_rate_limited((await served.rest("made-up-sender"))[0])
    assert_rate_limited((await served.web(signed()))[0])
    # another address behind the same proxy is not affected
    assert (await served.rest("made-up-sender", forwarded_for="198.51.100.2"))[0][0] == 200
    # a forged X-Forwarded-For in front of what nginx appended does not escape the limit
    assert_rate_limited((await served.rest("x", forwarded_for=f"198.51.100.77, {CITIZEN}"))[0])


async def test_a_tool_on_this_machine_posting_straight_to_rasa_is_not_limited(serve):
    served = await serve()
    answers = await served.rest("eval-like", 25, forwarded_for=None)
    assert [a[0] for a in answers] == [200] * 25


@needs_redis
async def test_replicas_sharing_the_lock_stores_redis_share_the_limit(serve):
    prefix = f"test{uuid.uuid4().hex[:8]}"  # Rasa takes alphanumeric prefixes only
    first = await serve(RedisLockStore(port=6379, key_prefix=prefix))
    second = await serve(RedisLockStore(port=6379, key_prefix=prefix))
    try:
        sender = signed()
        assert [a[0] for a in await first.web(sender, 10) + await second.web(sender, 10)] == [200] * 20
        assert_rate_limited((await first.web(sender))[0])
        assert_rate_limited((await second.web(sender))[0])
    finally:
        client = redis.StrictRedis(port=6379)
        for key in client.keys(prefix + ":*"):
            client.delete(key)
