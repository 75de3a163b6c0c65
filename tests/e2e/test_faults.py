"""Faults (hardening issue, item 5): the tracker database restarted, the database locked, Redis
down, and a turn that produced no message each end in a clear reply in the citizen's language,
and the conversation carries on without a manual step once the fault is gone (bot/resilience.py,
service_desk/tracker_store.py).

Real servers: a Rasa server and action server (tests/stack.py) on a private PostgreSQL cluster
and a private Redis started for this module on free ports (tests/e2e/faults.py), never the shared
ones; the SQLite case locks the session stack's own tracker database.
"""
from __future__ import annotations

import shutil
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.faults import PrivatePostgres, PrivateRedis
from tests.stack import ROOT, BotStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

FAILED = {"zh": "没有处理成功", "en": "could not be processed"}
NO_REPLY = {"zh": "没能回答这条消息", "en": "couldn't answer that message"}
TURNS = {  # first message, follow-up (needs the first turn's context), what the follow-up's answer holds
    "zh": ("护照怎么办理？", "要多少钱？", "120"),
    "en": ("How do I apply for a passport?", "How much does it cost?", "120"),
}
BOUND = 20  # seconds: a fault is answered within this, not after a hang


def joined(replies: list[dict]) -> str:
    return " ".join(r.get("text") or "" for r in replies)


def timed_say(stack: BotStack, sender: str, text: str) -> tuple[list[dict], float]:
    t0 = time.monotonic()
    replies = stack.say(sender, text)
    return replies, time.monotonic() - t0


def assert_well_formed(tracker: dict, user_texts: list[str]) -> None:
    """Events in time order; the stored user turns are exactly ``user_texts`` (the failed message
    is not stored, none twice), each followed by at least one bot message before the next."""
    events = tracker["events"]
    stamps = [e["timestamp"] for e in events if e.get("timestamp") is not None]
    assert stamps == sorted(stamps)
    users = [i for i, e in enumerate(events) if e["event"] == "user"]
    assert [events[i]["text"] for i in users] == user_texts
    for start, end in zip(users, users[1:] + [len(events)]):
        assert any(e["event"] == "bot" for e in events[start:end]), events[start]["text"]


def fault_then_recovery(stack: BotStack, sender: str, lang: str, fault, repair) -> None:
    first, follow_up, expected = TURNS[lang]
    assert stack.say(sender, first)
    fault()
    try:
        replies, took = timed_say(stack, sender, follow_up)
    finally:
        repair()
    text = joined(replies)
    assert FAILED[lang] in text and "12345" in text, replies
    assert len(replies) == 1 and took < BOUND, (replies, took)
    # no manual step: the same message again is answered, with the context of turn 1
    replies = stack.say(sender, follow_up)
    assert expected in joined(replies) and FAILED[lang] not in joined(replies), replies
    tracker = stack.tracker(sender)
    assert tracker["slots"]["language"] == lang and tracker["slots"]["service"] == "passport_application"
    assert_well_formed(tracker, [first, follow_up])


# --- PostgreSQL tracker store restarted, Redis lock store down ----------------------------------


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if not (PrivatePostgres.available() and PrivateRedis.available()):
        pytest.skip("PostgreSQL binaries or redis-server missing")
    # not under pytest's root-only temp tree: the postgres user must reach its data directory
    workdir = Path(tempfile.mkdtemp(prefix="faults-pg-"))
    pg = PrivatePostgres(workdir).init()
    pg.start()
    redis = PrivateRedis().start()
    yield pg, redis
    redis.stop()
    pg.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def prod_like(servers, model_path, tmp_path_factory):
    """One Rasa server with endpoints.prod.yml: PostgreSQL tracker store, Redis lock store."""
    pg, redis = servers
    pg.create_database("faults_conversations")
    env = {"TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": str(pg.port), "TRACKER_DB_NAME": "faults_conversations",
           "TRACKER_DB_USER": "postgres", "TRACKER_DB_PASSWORD": "",
           "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis.port), "REDIS_LOCK_DB": "0", "REDIS_PASSWORD": ""}
    stack = BotStack(tmp_path_factory.mktemp("faults-prod"), extra_env=env,
                     rasa_args=["--endpoints", str(ROOT / "endpoints.prod.yml")]).start(model_path)
    yield stack
    stack.stop()


@pytest.mark.postgres
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_tracker_database_restarted(prod_like, servers, lang):
    pg, _ = servers
    fault_then_recovery(prod_like, f"pg-restart-{lang}", lang, pg.stop, pg.start)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_redis_down(prod_like, servers, lang):
    _, redis = servers
    fault_then_recovery(prod_like, f"redis-down-{lang}", lang, redis.stop, redis.start)


def test_redis_down_on_the_web_chat(prod_like, servers):
    """The web chat's message-id claims live in the lock store's Redis too: with Redis down a
    message with an id is refused with the channel's bilingual processing_failed error (the widget
    shows its own text in the chosen language and retries with the same id); once Redis is back
    the retry is answered, once."""
    import json
    import urllib.error
    import urllib.request
    import uuid

    _, redis = servers
    sender, message_id = prod_like.web_sender(), str(uuid.uuid4())
    body = json.dumps({"sender": sender, "message": "护照怎么办理？", "metadata": {"language": "zh"},
                       "message_id": message_id}).encode()

    def post() -> tuple[int, dict | list]:
        req = urllib.request.Request(f"{prod_like.url}/webhooks/webchat/webhook", body,
                                     {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read().decode())

    redis.stop()
    try:
        t0 = time.monotonic()
        status, answer = post()
        took = time.monotonic() - t0
    finally:
        redis.start()
    assert took < BOUND
    if status == 200:  # the turn reached Rasa: the apology
        assert FAILED["zh"] in joined(answer), answer
    else:
        assert status >= 500 and answer["error"] == "processing_failed", answer
        assert answer["detail"]["zh"] and answer["detail"]["en"]
    status, answer = post()  # the widget's retry, same message id
    assert status == 200 and "护照" in joined(answer), answer
    users = [e for e in prod_like.tracker(sender)["events"] if e["event"] == "user"]
    assert [e.get("message_id") for e in users] == [message_id]


# --- SQLite (make run) locked past its busy timeout ---------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_sqlite_tracker_database_locked(bot, lang):
    """A writer holds SQLite's write lock longer than the tracker store's busy timeout (5 s)."""
    holder: dict = {}
    locked = threading.Event()

    def lock() -> None:
        con = sqlite3.connect(bot.env["TRACKER_DB"], timeout=30, isolation_level=None, check_same_thread=False)
        con.execute("BEGIN IMMEDIATE")  # the write lock, until rolled back
        holder["con"] = con
        locked.set()

    def unlock() -> None:
        holder["con"].execute("ROLLBACK")
        holder["con"].close()

    def fault() -> None:
        threading.Thread(target=lock, daemon=True).start()
        assert locked.wait(30)

    fault_then_recovery(bot, f"sqlite-locked-{lang}", lang, fault, unlock)


# --- a turn that produced no message ------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_turn_without_a_reply_gets_an_apology_and_is_counted(monkeypatch, caplog, lang):
    """The policies predicted action_listen at once (the original loop does nothing here): the
    citizen gets utter_no_reply, it is stored with the turn and the turn's outcome is fallback."""
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import resilience
    from bot.nlg import BilingualNLG
    from service_desk.tracker_store import _summary_fields
    from service_desk.turns import summarise

    domain = Domain.load(str(ROOT / "bot" / "domain"))

    async def silent_loop(self, output_channel, tracker):
        tracker.update(ActionExecuted("action_listen"))

    processor = object.__new__(MessageProcessor)
    processor.nlg = BilingualNLG(domain=domain)  # installs the boundaries
    monkeypatch.setattr(resilience, "_ORIGINAL_LOOP", silent_loop)
    processor.domain = domain
    tracker = DialogueStateTracker.from_events(f"empty-{lang}", [
        SlotSet("language", lang), UserUttered(TURNS[lang][0], {"name": "ask_howto"})], slots=domain.slots)
    out = CollectingOutputChannel()
    before = resilience.EMPTY_TURNS
    with caplog.at_level("WARNING", logger="bot.resilience"):
        await resilience._loop_with_reply(processor, out, tracker)
    assert len(out.messages) == 1 and NO_REPLY[lang] in out.messages[0]["text"]
    assert resilience.EMPTY_TURNS == before + 1 and "turn without a reply" in caplog.text
    facts = summarise([_summary_fields(e) for e in tracker.events], tracker.sender_id, language=lang)
    assert [f.outcome for f in facts] == ["fallback"] and facts[0].language == lang

    # a paused conversation (a human agent has it) stays quiet, and is not counted
    from rasa.shared.core.events import ConversationPaused

    tracker.update(ConversationPaused())
    tracker.update(UserUttered("?", {"name": "ask_howto"}))
    out = CollectingOutputChannel()
    await resilience._loop_with_reply(processor, out, tracker)
    assert out.messages == [] and resilience.EMPTY_TURNS == before + 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_real_turn_without_a_reply_gets_the_apology(bot, lang):
    """The trained model and the real server, no stub: "/back" runs Rasa's own rule (action_back),
    which undoes the last turn and, with no utter_back in this domain, says nothing. The server's
    boundary answers in the citizen's language, logs the turn as one without a reply, and the
    conversation goes on."""
    sender = f"e2e-noreply-{lang}-{time.time_ns()}"
    first, follow_up, expected = TURNS[lang]
    bot.say(sender, first)
    replies = bot.say(sender, "/back")
    assert NO_REPLY[lang] in joined(replies)
    assert "turn without a reply" in (bot.workdir / "rasa.log").read_text(errors="replace")
    bot.say(sender, first)  # "/back" took the first turn back too: ask it again, then follow up
    assert expected in joined(bot.say(sender, follow_up))


# --- a lock ticket left behind by a dead replica ------------------------------------------------


async def test_a_dead_replicas_lock_ticket_lapses_for_the_next_message():
    """A replica killed while holding a conversation's lock leaves its ticket in the lock store; the
    next message's ticket, issued straight after, expires in the same poll. Rasa's own TicketLock
    then never lets the waiter in (it spun until the client gave up); with bot/resilience.py the
    waiter gets the lock once the dead ticket has lapsed (the same TicketLock serves Redis)."""
    import asyncio

    from rasa.core.lock_store import InMemoryLockStore

    from bot import resilience

    resilience.install()
    store = InMemoryLockStore()
    store.issue_ticket("dead-replica", 1)  # the killed replica's ticket, never cleaned up
    t0 = time.monotonic()

    async def next_message() -> None:
        async with store.lock("dead-replica", lock_lifetime=1, wait_time_in_seconds=0.2):
            pass

    await asyncio.wait_for(next_message(), timeout=10)
    assert 0.8 <= time.monotonic() - t0 < 3
