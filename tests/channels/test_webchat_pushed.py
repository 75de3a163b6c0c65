"""The webchat health check with ``since``: the messages staff sent to a handed-over conversation
(actions/staff_relay.py), over HTTP on a Sanic app mounted like ``rasa run`` does, with Rasa's
in-memory tracker store instead of a server (fast, no model)."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

import aiohttp
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel, register
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sanic import Sanic

from actions.staff_relay import ActionRelayStaffMessage
from bot.nlg import BilingualNLG
from bot.settings import REPO_ROOT
from channels.web import senders
from channels.web.channel import ERRORS, MAX_PUSHED, WebChatInput
from tests.telegram.bot_api_double import free_port
from tests.web_senders import KEY, signed

T0 = time.time() - 600  # the handoff, ten minutes ago
STAFF_TEXT = "您好，我是窗口的王老师。"


class StubAgent:
    """What the channel reads of Rasa's agent: its tracker store."""

    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self.tracker_store = InMemoryTrackerStore(domain)

    async def store(self, sender: str, events: list) -> None:
        await self.tracker_store.save(DialogueStateTracker.from_events(sender, events, slots=self.domain.slots))


class Served:
    def __init__(self, url: str, agent: StubAgent) -> None:
        self.url, self.agent = url, agent

    async def health(self, query: str = "") -> tuple[int, Any]:
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}/webhooks/webchat/{query}") as r:
            return r.status, json.loads(await r.text())

    async def new_session(self) -> tuple[int, Any, dict]:
        async with aiohttp.ClientSession() as session, session.post(f"{self.url}/webhooks/webchat/session") as r:
            return r.status, json.loads(await r.text()), dict(r.headers)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO_ROOT / "bot" / "domain"))


@pytest.fixture
async def served(monkeypatch, domain):
    """The channel's blueprint on a Sanic app on loopback, registered the way ``rasa run`` does."""
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps in one process (tests only)
    agent = StubAgent(domain)
    app = Sanic(f"webchat_test_{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.ctx.agent = agent
    register([WebChatInput(sender_key=KEY)], app, "/webhooks/")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    await server.before_start()
    await server.after_start()
    yield Served(f"http://127.0.0.1:{port}", agent)
    await server.before_stop()
    await server.close()
    await server.after_stop()


def bot(text: str, at: float, buttons: list | None = None, **metadata: Any) -> BotUttered:
    return BotUttered(text, {"buttons": buttons} if buttons else {}, metadata, timestamp=at)


def handed_over(at: float = T0) -> list:
    """A conversation that asked for a person and was paused by action_handoff."""
    return [ActionExecuted("action_listen", timestamp=at - 5),
            UserUttered("转人工", {"name": "human_handoff"}, timestamp=at - 4),
            bot("已为您转接人工服务（工单号：7）。", at - 3),
            ConversationPaused(timestamp=at - 2)]


async def test_without_since_the_answer_is_as_before(served):
    a = signed()
    await served.agent.store(a, handed_over() + [bot(STAFF_TEXT, T0 + 1, staff=True, pushed=True)])
    assert await served.health() == (200, {"status": "ok"})
    assert await served.health(f"?sender={a}") == (200, {"status": "ok", "paused": True})
    assert await served.health(f"?sender={signed()}") == (200, {"status": "ok", "paused": False})


async def test_since_gives_only_the_pushed_bot_messages_after_it_in_order(served):
    buttons = [{"title": "预约", "payload": "/book"}]
    b = signed()
    await served.agent.store(b, handed_over() + [
        bot("工作人员已加入对话，将在这里回复您。", T0 + 1, pushed=True, utter_action="utter_staff_joined"),
        UserUttered("好的，谢谢", timestamp=T0 + 2),
        bot(STAFF_TEXT, T0 + 3, staff=True, pushed=True),
        bot("an ordinary bot answer", T0 + 4),                      # not pushed: the widget has it already
        bot("metadata says pushed, but not True", T0 + 5, pushed="yes"),
        bot("请选择", T0 + 6, buttons, staff=True, pushed=True),
    ])
    before = time.time()
    status, body = await served.health(f"?sender={b}&since={T0}")
    assert status == 200 and body["status"] == "ok" and body["paused"] is True
    assert before <= body["now"] <= time.time()
    assert body["messages"] == [
        {"text": "工作人员已加入对话，将在这里回复您。", "timestamp": T0 + 1, "staff": False},
        {"text": STAFF_TEXT, "timestamp": T0 + 3, "staff": True},
        {"text": "请选择", "timestamp": T0 + 6, "staff": True, "buttons": buttons},
    ]

    # asked again from the timestamp of a message (written back as the widget does): only the later ones
    _, body = await served.health(f"?sender={b}&since={body['messages'][1]['timestamp']!r}")
    assert [m["text"] for m in body["messages"]] == ["请选择"]
    _, body = await served.health(f"?sender={b}&since={body['messages'][0]['timestamp']!r}")
    assert body["messages"] == []
    _, body = await served.health(f"?sender={b}&since=0")
    assert len(body["messages"]) == 3


async def test_a_resumed_conversation_reports_not_paused_with_the_bot_back_message(served):
    c = signed()
    await served.agent.store(c, handed_over() + [
        bot("人工服务已结束，智能助手将继续为您服务。", T0 + 10, pushed=True), ConversationResumed(timestamp=T0 + 11)])
    _, body = await served.health(f"?sender={c}&since={T0 + 5}")
    assert body["paused"] is False
    assert [m["text"] for m in body["messages"]] == ["人工服务已结束，智能助手将继续为您服务。"]


async def test_at_most_a_page_of_messages_then_the_rest_from_the_last_one(served):
    count = MAX_PUSHED + 10
    d = signed()
    await served.agent.store(d, handed_over() + [
        bot(f"消息 {i}", T0 + 1 + i / 10, staff=True, pushed=True) for i in range(count)])
    _, first = await served.health(f"?sender={d}&since={T0}")
    assert [m["text"] for m in first["messages"]] == [f"消息 {i}" for i in range(MAX_PUSHED)]
    _, rest = await served.health(f"?sender={d}&since={first['messages'][-1]['timestamp']!r}")
    assert [m["text"] for m in rest["messages"]] == [f"消息 {i}" for i in range(MAX_PUSHED, count)]


@pytest.mark.parametrize("since", ["abc", "-1", "nan", "inf", "1e9", "", "1.2.3", " 12", "0x10", "1" * 13,
                                   "1_000", "１２３"])
async def test_a_malformed_since_is_refused(served, since):
    status, body = await served.health(f"?sender={signed()}&since={since}")
    assert status == 400 and body == {"error": "invalid_since", "detail": ERRORS["invalid_since"]}
    assert body["detail"]["zh"] and body["detail"]["en"]


async def test_another_channels_staff_messages_are_not_readable_here(served):
    await served.agent.store("telegram-42", handed_over() + [bot(STAFF_TEXT, T0 + 1, staff=True, pushed=True)])
    status, body = await served.health(f"?sender=telegram-42&since={T0}")
    assert status == 400 and body["error"] == "invalid_sender"
    status, body = await served.health(f"?sender=a/b&since={T0}")
    assert status == 400 and body["error"] == "invalid_sender"


async def test_the_session_endpoint_issues_new_signed_sender_ids(served):
    issued = [await served.new_session() for _ in range(3)]
    assert all(status == 200 and headers["Cache-Control"] == "no-store" for status, _, headers in issued)
    ids = [body["sender"] for _, body, _ in issued]
    assert len(set(ids)) == 3 and all(senders.is_issued(KEY, s) for s in ids)
    status, body = await served.health(f"?sender={ids[0]}&since=0")
    assert status == 200 and body["paused"] is False and body["messages"] == []


def forged_from(victim: str) -> list[str]:
    part, mac = victim.split(".")
    return [f"{part}.{('A' if mac[0] != 'A' else 'B')}{mac[1:]}",  # the victim's random part, a wrong MAC
            part,                                                  # the random part alone
            f"{part}.{senders.mac(b'an older key, before a rotation!', part)}",
            f"web-{uuid.uuid4()}"]                                 # what the widget used to make up


async def test_a_sender_the_channel_did_not_issue_reads_nothing(served):
    victim = signed()
    await served.agent.store(victim, handed_over() + [bot(STAFF_TEXT, T0 + 1, staff=True, pushed=True)])
    for forged in forged_from(victim):
        await served.agent.store(forged, handed_over() + [bot(STAFF_TEXT, T0 + 1, staff=True, pushed=True)])
        for query in (f"?sender={forged}", f"?sender={forged}&since=0", f"?sender={forged}&since=x"):
            status, body = await served.health(query)
            assert status == 403 and body == {"error": "sender_not_issued", "detail": ERRORS["sender_not_issued"]}
    status, body = await served.health(f"?sender={victim}&since=0")
    assert status == 200 and [m["text"] for m in body["messages"]] == [STAFF_TEXT]


async def test_a_tracker_store_failure_still_gets_an_answer(served):
    async def broken(sender):
        raise RuntimeError("database is down")

    served.agent.tracker_store.retrieve = broken
    assert await served.health(f"?sender={signed()}&since={T0}") == (
        200, {"status": "ok", "paused": False, "now": pytest.approx(time.time(), abs=30), "messages": []})


async def test_what_the_relay_action_sends_is_what_the_widget_gets(served, domain):
    """The staff console's two calls, as Rasa runs them: the slot set, then the action's messages
    turned into BotUttered events (RemoteAction._utter_responses with our NLG) and stored."""
    sender = signed()
    events = handed_over(time.time() - 5) + [SlotSet("language", "en")]
    for value in ({"response": "utter_staff_joined"}, {"text": "Hello, I'm Ms Wang."}):
        dispatcher = CollectingDispatcher()
        sdk_tracker = Tracker(sender, {"language": "en", "staff_message": value}, {}, [], True, None, {},
                              "action_listen")
        await ActionRelayStaffMessage().run(dispatcher, sdk_tracker, {})
        tracker = DialogueStateTracker.from_events(sender, events, slots=domain.slots)
        responses = json.loads(json.dumps(dispatcher.messages))
        events += await RemoteAction._utter_responses(responses, CollectingOutputChannel(),
                                                      BilingualNLG(domain=domain), tracker)
    await served.agent.store(sender, events)
    _, body = await served.health(f"?sender={sender}&since={time.time() - 5}")
    assert [(m["text"], m["staff"]) for m in body["messages"]] == [
        ("A member of staff has joined the conversation and will answer you here.", False),
        ("Hello, I'm Ms Wang.", True)]
