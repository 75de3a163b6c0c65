"""A real Rasa server answers a web chat message sent twice with one message id once: one ``user``
event in the tracker, the same reply to every attempt; sequential retries, concurrent ones and a
retry after the client gave up waiting."""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

QUESTION = "护照怎么办理？"


def post(bot, sender: str, message_id: str, timeout: float = 60) -> tuple[int, list]:
    body = {"sender": sender, "message": QUESTION, "metadata": {"language": "zh"}, "message_id": message_id}
    req = urllib.request.Request(f"{bot.url}/webhooks/webchat/webhook", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode() or "null")


def user_events(bot, sender: str) -> list[dict]:
    return [e for e in bot.tracker(sender)["events"] if e["event"] == "user"]


def test_the_same_message_id_twice_makes_one_turn_and_the_same_reply(bot):
    sender, message_id = bot.web_sender(), str(uuid.uuid4())
    first = post(bot, sender, message_id)
    again = post(bot, sender, message_id)
    assert first[0] == 200 and first[1] and any("护照" in m.get("text", "") for m in first[1])
    assert again == first
    assert [e.get("message_id") for e in user_events(bot, sender)] == [message_id]


def test_concurrent_posts_with_one_message_id_make_one_turn(bot):
    sender, message_id = bot.web_sender(), str(uuid.uuid4())
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: post(bot, sender, message_id), range(3)))
    assert answers[0][0] == 200 and answers[0][1]
    assert all(a == answers[0] for a in answers)
    assert [e.get("message_id") for e in user_events(bot, sender)] == [message_id]


def test_a_retry_after_the_client_gave_up_gets_the_first_attempts_answer(bot):
    sender, message_id = bot.web_sender(), str(uuid.uuid4())
    try:
        post(bot, sender, message_id, timeout=0.05)  # the widget's timeout: the answer is lost
    except (TimeoutError, socket.timeout, urllib.error.URLError):
        pass
    status, replies = post(bot, sender, message_id)
    assert status == 200 and any("护照" in m.get("text", "") for m in replies)
    assert post(bot, sender, message_id) == (status, replies)
    assert [e.get("message_id") for e in user_events(bot, sender)] == [message_id]


def test_a_different_message_id_is_a_new_turn(bot):
    sender = bot.web_sender()
    post(bot, sender, "first-1")
    post(bot, sender, "second-2")
    assert [e.get("message_id") for e in user_events(bot, sender)] == ["first-1", "second-2"]
