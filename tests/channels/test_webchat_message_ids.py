"""A web chat message with a ``message_id`` is handled once, however often and however
concurrently it is sent: over HTTP on Sanic apps mounted like ``rasa run`` does, with a stand-in
for Rasa's agent that answers each message it handles differently (so a second handling shows).
Two apps sharing a tracker store and a Redis lock store stand for two replicas behind nginx."""
from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import register
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from sanic import Sanic

from channels.web.channel import ERRORS, WebChatInput
from channels.web.message_ids import answered_turn
from tests.telegram.bot_api_double import free_port
from tests.web_senders import KEY, signed

URL = "/webhooks/webchat/webhook"


class FakeAgent:
    """What the channel uses of Rasa's agent. ``handle_message`` stores a turn like Rasa does (the
    user event with the message id, two bot messages, action_listen; saved at the end) and answers
    ``answer <n>`` for the n-th message it handled."""

    def __init__(self, tracker_store: InMemoryTrackerStore, lock_store, handled: list, delay: float = 0.3):
        self.tracker_store, self.lock_store, self.handled, self.delay = tracker_store, lock_store, handled, delay

    async def handle_message(self, message) -> None:
        self.handled.append((message.sender_id, message.message_id, message.text))
        n = len(self.handled)
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        await asyncio.sleep(self.delay)  # NLU and actions
        tracker.update(UserUttered(message.text, message_id=message.message_id))
        replies = [BotUttered(f"answer {n}", data={"buttons": [{"title": "是", "payload": "/affirm"}]}),
                   BotUttered(f"part one {n}\n\npart two {n}")]
        for bot in replies:
            tracker.update(bot)
            await message.output_channel.send_response(message.sender_id, bot.message())
        tracker.update(ActionExecuted("action_listen"))
        await self.tracker_store.save(tracker)


class Replica:
    def __init__(self, url: str, agent: FakeAgent) -> None:
        self.url, self.agent = url, agent

    async def post(self, body: dict, timeout: float = 30) -> tuple[int, Any]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.post(self.url + URL, data=json.dumps(body)) as r:
                return r.status, json.loads(await r.text())

    async def user_events(self, sender: str) -> list[UserUttered]:
        tracker = await self.agent.tracker_store.retrieve(sender)
        return [e for e in (tracker.events if tracker else []) if isinstance(e, UserUttered)]


async def serve(agent: FakeAgent, servers: list) -> Replica:
    """The channel's blueprint on its own Sanic app (its own WebChatInput), as ``rasa run`` does."""
    app = Sanic(f"webchat_ids_{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.ctx.agent = agent
    register([WebChatInput(sender_key=KEY)], app, "/webhooks/")  # replicas share the key
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    await server.before_start()
    await server.after_start()
    servers.append(server)
    return Replica(f"http://127.0.0.1:{port}", agent)


@pytest.fixture
async def servers(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps in one process (tests only)
    running: list = []
    yield running
    for server in running:
        await server.before_stop()
        await server.close()


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.empty()


@pytest.fixture
async def one(servers, domain) -> Replica:
    return await serve(FakeAgent(InMemoryTrackerStore(domain), InMemoryLockStore(), []), servers)


def body(sender: str, message_id: str | None, message: str = "护照怎么办理？") -> dict:
    data = {"sender": sender, "message": message, "metadata": {"language": "zh"}}
    if message_id is not None:
        data["message_id"] = message_id
    return data


def sender() -> str:
    return signed()


async def test_the_same_message_id_twice_is_handled_once_and_answered_the_same(one):
    who, mid = sender(), str(uuid.uuid4())
    first = await one.post(body(who, mid))
    again = await one.post(body(who, mid))
    assert first[0] == again[0] == 200
    assert [m.get("text") for m in first[1]] == ["answer 1", "part one 1", "part two 1"]
    assert again == first  # rebuilt from the tracker exactly as Rasa sent it (buttons, split text)
    assert first[1][0]["buttons"] == [{"title": "是", "payload": "/affirm"}]
    assert len(one.agent.handled) == 1
    assert [e.message_id for e in await one.user_events(who)] == [mid]


async def test_concurrent_posts_of_one_message_id_are_handled_once(one):
    who, mid = sender(), str(uuid.uuid4())
    answers = await asyncio.gather(*(one.post(body(who, mid)) for _ in range(3)))
    assert len(one.agent.handled) == 1
    assert all(a == answers[0] for a in answers) and answers[0][0] == 200
    assert [e.message_id for e in await one.user_events(who)] == [mid]


async def test_a_retry_after_the_client_gave_up_gets_the_answer_of_the_first_attempt(one):
    who, mid = sender(), str(uuid.uuid4())
    with pytest.raises(asyncio.TimeoutError):
        await one.post(body(who, mid), timeout=0.1)  # the answer is lost; the turn goes on
    await asyncio.sleep(0.6)  # the retry comes after the turn was stored
    status, replies = await one.post(body(who, mid))
    assert status == 200 and replies[0]["text"] == "answer 1"
    assert len(one.agent.handled) == 1
    assert len(await one.user_events(who)) == 1


async def test_other_ids_and_messages_without_an_id_are_each_handled(one):
    who = sender()
    a = await one.post(body(who, "a-1"))
    b = await one.post(body(who, "b-2"))
    c = await one.post(body(who, None))
    d = await one.post(body(who, None))
    assert [r[1][0]["text"] for r in (a, b, c, d)] == ["answer 1", "answer 2", "answer 3", "answer 4"]
    assert [e.message_id for e in await one.user_events(who)][:2] == ["a-1", "b-2"]
    assert (await one.post(body(who, "a-1")))[1] == a[1]  # still the answer of its own turn


@pytest.mark.parametrize("bad", ["", "x" * 65, "a b", "../x", "id/1", "ü", "abc\n", 42, ["a"], {"a": 1}])
async def test_a_malformed_message_id_is_refused(one, bad):
    status, error = await one.post({**body(sender(), None), "message_id": bad})
    assert status == 400
    assert error == {"error": "invalid_message_id", "detail": ERRORS["invalid_message_id"]}
    assert error["detail"]["zh"] and error["detail"]["en"]
    assert one.agent.handled == []


def test_the_answer_is_the_turn_after_that_user_event_without_pushed_messages():
    events = [
        ActionExecuted("action_listen"), UserUttered("hi", message_id="m1"), BotUttered("hello"),
        ActionExecuted("action_listen"),
        BotUttered("from staff", metadata={"pushed": True, "staff": True}),
        UserUttered("passport?", message_id="m2"), BotUttered("bring your ID"),
        BotUttered("staff later", metadata={"pushed": True}), BotUttered("fee: 120"),
        UserUttered("thanks", message_id="m3"), BotUttered("you're welcome"),
    ]
    assert [e.text for e in answered_turn(events, "m1")] == ["hello"]
    assert [e.text for e in answered_turn(events, "m2")] == ["bring your ID", "fee: 120"]
    assert [e.text for e in answered_turn(events, "m3")] == ["you're welcome"]
    assert answered_turn(events, "m4") is None
    assert answered_turn([UserUttered("paused", message_id="p")], "p") == []  # handed over: no answer


# --------------------------------------------------------------------------- two replicas, one Redis
@pytest.fixture
def redis_lock_store() -> RedisLockStore:
    store = RedisLockStore(host="127.0.0.1", port=6379, db=0, key_prefix=f"test{uuid.uuid4().hex}")
    try:
        store.red.ping()
    except Exception as e:  # no Redis here: say so
        pytest.skip(f"no Redis on 127.0.0.1:6379 ({e})")
    yield store
    keys = store.red.keys(store.key_prefix + "*")
    if keys:
        store.red.delete(*keys)


async def test_replicas_sharing_a_redis_lock_store_handle_a_message_once(servers, domain, redis_lock_store):
    tracker_store, handled = InMemoryTrackerStore(domain), []
    a = await serve(FakeAgent(tracker_store, redis_lock_store, handled), servers)
    b = await serve(FakeAgent(tracker_store, redis_lock_store, handled), servers)
    who, mid = sender(), str(uuid.uuid4())
    answers = await asyncio.gather(a.post(body(who, mid)), b.post(body(who, mid)),
                                   b.post(body(who, mid)), a.post(body(who, mid)))
    assert len(handled) == 1
    assert all(x == answers[0] for x in answers) and answers[0][1][0]["text"] == "answer 1"
    assert [e.message_id for e in await a.user_events(who)] == [mid]
    assert redis_lock_store.red.keys(redis_lock_store.key_prefix + "*") == []  # claims released
