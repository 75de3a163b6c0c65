"""The real Rasa server's web chat channel talks only to senders it issued (issue 13, item 3).

A citizen's conversation is handed over and staff write to it through Rasa's HTTP API, as the
console does. Someone who knows the citizen's sender id but cannot sign (the random part with
another MAC, the random part alone, an id signed under another key), or who uses an id of the
kind the widget made up before (``web-<uuid>``, here a conversation begun through the REST channel
with such an id), or another channel's id (``telegram-<chat>``), gets a 4xx from every endpoint
that takes a sender: neither the staff messages nor the paused state, and no turn is added to any
of those conversations. The issued sender keeps working throughout.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest

from channels.web import senders
from tests.stack import BotStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

STAFF_TEXT = "Hello, I'm Ms Wang from the passport counter."


def request(url: str, body: dict | None = None, method: str = "GET", timeout: float = 60) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read().decode() or "null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode() or "null")


def web_say(bot: BotStack, sender: str, message: str) -> tuple[int, object]:
    return request(f"{bot.url}/webhooks/webchat/webhook", {
        "sender": sender, "message": message, "metadata": {"language": "en"}, "message_id": uuid.uuid4().hex},
        method="POST")


def health(bot: BotStack, sender: str, since: str | None = None) -> tuple[int, object]:
    query = f"?sender={urllib.request.quote(sender)}" + (f"&since={since}" if since is not None else "")
    return request(f"{bot.url}/webhooks/webchat/{query}", timeout=10)


def relay_staff_message(bot: BotStack, sender: str, text: str) -> None:
    """What the console does when staff reply: set ``staff_message``, run the relay action."""
    api = f"{bot.url}/conversations/{sender}"
    status, body = request(f"{api}/tracker/events", {"event": "slot", "name": "staff_message",
                                                    "value": {"text": text}}, method="POST")
    assert status == 200, body
    status, body = request(f"{api}/execute?output_channel=latest", {"name": "action_relay_staff_message"},
                           method="POST")
    assert status == 200, body


def user_texts(bot: BotStack, sender: str) -> list[str]:
    return [e["text"] for e in bot.tracker(sender)["events"] if e["event"] == "user"]


def other(ch: str) -> str:
    return "A" if ch != "A" else "B"


@pytest.fixture(scope="module")
def conversations(bot: BotStack) -> dict:
    """Three handed-over conversations with a staff message in each: one begun in the widget with an
    issued sender, one with an id of the kind the widget used to make up and one of another channel
    (both written through Rasa's HTTP API: the channels refuse such senders)."""
    victim = bot.web_sender()
    status, replies = web_say(bot, victim, "I want to talk to a person")
    assert status == 200 and replies[-1] == {"recipient_id": victim, "custom": {"handoff": {"paused": True}}}, replies
    relay_staff_message(bot, victim, STAFF_TEXT)

    legacy = f"web-{uuid.uuid4()}"  # written through the API: no channel takes such a sender any more
    status, body = request(f"{bot.url}/conversations/{legacy}/tracker/events", [
        {"event": "user", "text": "I want to talk to a person",
         "parse_data": {"intent": {"name": "human_handoff", "confidence": 1.0}, "entities": []}},
        {"event": "pause"}], method="POST")
    assert status == 200, body
    assert bot.tracker(legacy)["paused"] is True
    relay_staff_message(bot, legacy, STAFF_TEXT)

    telegram = f"telegram-{uuid.uuid4().int % 10 ** 9}"
    status, body = request(f"{bot.url}/conversations/{telegram}/tracker/events", {
        "event": "bot", "text": STAFF_TEXT, "metadata": {"pushed": True, "staff": True}}, method="POST")
    assert status == 200, body
    return {"victim": victim, "legacy": legacy, "telegram": telegram}


def test_the_issued_sender_reads_its_staff_messages(bot, conversations):
    status, body = health(bot, conversations["victim"], since="0")
    assert status == 200 and body["paused"] is True
    assert [(m["text"], m["staff"]) for m in body["messages"]][-1] == (STAFF_TEXT, True)


def forged_senders(conversations: dict) -> list[tuple[str, str, int]]:
    """(sender, error code, status) for each id that must be refused."""
    part, mac = conversations["victim"].split(".")
    return [
        (f"{part}.{other(mac[0])}{mac[1:]}", "sender_not_issued", 403),   # the valid random part, a wrong MAC
        (f"{part}.{mac[:-1]}{other(mac[-1])}", "sender_not_issued", 403),
        (part, "sender_not_issued", 403),                                   # the random part alone
        (f"{part}.{senders.mac(b'not this server key, but 32 bytes', part)}", "sender_not_issued", 403),
        (f"web-{uuid.uuid4()}", "sender_not_issued", 403),                 # made up, as the old widget did
        (conversations["legacy"], "sender_not_issued", 403),               # a made-up id with a conversation
        (conversations["telegram"], "invalid_sender", 400),                # another channel's conversation
    ]


def test_a_sender_the_server_did_not_issue_can_neither_read_nor_write(bot, conversations):
    before = {name: user_texts(bot, sender) for name, sender in conversations.items()}
    for sender, code, status in forged_senders(conversations):
        for since in ("0", None):  # the staff messages, and the paused state alone
            got, body = health(bot, sender, since)
            assert (got, body["error"]) == (status, code), (sender, since, body)
            assert set(body["detail"]) == {"zh", "en"} and "messages" not in body and "paused" not in body
        got, body = web_say(bot, sender, "护照怎么办理？")
        assert (got, body["error"]) == (status, code), (sender, body)
        assert body["detail"]["zh"] and body["detail"]["en"]
    assert {name: user_texts(bot, sender) for name, sender in conversations.items()} == before
    forged_mac = forged_senders(conversations)[0][0]
    assert user_texts(bot, forged_mac) == []  # nothing was started under the forged id either


def test_the_issued_sender_still_works_and_new_ones_are_issued(bot, conversations):
    victim = conversations["victim"]
    status, replies = web_say(bot, victim, "My passport was issued in 2019")
    assert status == 200 and replies == [{"recipient_id": victim, "custom": {"handoff": {"paused": True}}}]
    assert user_texts(bot, victim)[-1] == "My passport was issued in 2019"

    fresh = {bot.web_sender() for _ in range(3)}
    assert len(fresh) == 3 and victim not in fresh
    sender = fresh.pop()
    status, replies = web_say(bot, sender, "How do I apply for a passport?")
    assert status == 200 and "passport" in " ".join(m.get("text", "") for m in replies).lower(), replies
    assert health(bot, sender) == (200, {"status": "ok", "paused": False})
