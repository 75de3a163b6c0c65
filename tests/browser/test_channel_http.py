"""The webchat channel over HTTP against the real Rasa server: metadata, limits, any script."""
from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import http_get, http_post
from tests.browser.helpers import is_chinese, is_english

pytestmark = pytest.mark.browser


def texts(messages) -> list[str]:
    return [m.get("text", "") for m in messages if "text" in m]


def test_metadata_reaches_the_tracker_and_forces_the_language(webchat_stack):
    s = webchat_stack.new_sender()
    status, messages = webchat_stack.say(s, "护照怎么办理？", {"language": "en"})
    assert status == 200 and messages and all(m["recipient_id"] == s for m in messages)
    assert all(is_english(t) for t in texts(messages)), messages
    tracker = webchat_stack.tracker(s)
    user = [e for e in tracker["events"] if e["event"] == "user"][-1]
    assert user["metadata"]["language"] == "en" and user["input_channel"] == "webchat"
    assert tracker["slots"]["language"] == "en"

    status, messages = webchat_stack.say(s, "/ask_fee", {"language": "zh"})  # a button payload
    assert status == 200 and is_chinese(texts(messages)[0]), messages
    assert webchat_stack.tracker(s)["slots"]["language"] == "zh"


def test_replies_have_the_rest_channel_shape(webchat_stack):
    s = webchat_stack.new_sender()
    status, messages = webchat_stack.say(s, "How do I apply for a passport?")
    assert status == 200 and isinstance(messages, list)
    with_buttons = [m for m in messages if m.get("buttons")]
    assert with_buttons and {"title", "payload"} <= set(with_buttons[-1]["buttons"][0])
    assert '/rate{"rating":"up"}' in [b["payload"] for b in with_buttons[-1]["buttons"]]


def test_length_cap(webchat_stack):
    status, body = webchat_stack.say(webchat_stack.new_sender(), "长" * 2001)
    assert status == 413 and body["error"] == "message_too_long" and body["max_chars"] == 2000
    assert "2000" in body["detail"]["zh"] and "2000" in body["detail"]["en"]
    status, body = webchat_stack.say(webchat_stack.new_sender(), "长" * 2000)
    assert status == 200 and isinstance(body, list)
    huge = b'{"sender":"a","message":"' + b"x" * 500_000 + b'"}'
    status, body = http_post(f"{webchat_stack.rasa_url}/webhooks/webchat/webhook", huge)
    assert status == 413


@pytest.mark.parametrize("message", [
    "مرحبا، كيف أحصل على جواز سفر؟",               # Arabic (RTL)
    "पासपोर्ट कैसे बनवाएं?",                         # Devanagari
    "여권은 어떻게 신청하나요?",                      # Hangul
    "パスポートの申請方法は？",                        # Japanese
    "護照怎麼辦理？",                                  # Traditional Chinese
    "😀🎉👍",                                          # emoji only
    "z̷̢̛a̶̡͝l̴̨̛g̵̢̛o̸̡͝",                                       # combining marks
    "\u202eevil\u202c \u200b\u200d\ufeff",            # bidi overrides, zero-width
    "a\u0000b\u0007c",                                 # control characters
    "\ud83d",                                          # a lone surrogate
    "/",                                               # just the intent prefix
    '/rate{"rating":',                                 # broken payload
    "/no_such_intent",                                 # unknown intent
    '/rate{"rating":"sideways"}',                      # bad entity value
    "{{name}} %s %(x)s {0}",                          # format strings
    "<script>alert(1)</script>",
    "'; DROP TABLE events; --",
])
def test_any_script_or_odd_input_gets_an_answer(webchat_stack, message):
    status, body = webchat_stack.say(webchat_stack.new_sender(), message, {"language": "zh"})
    if status == 400:  # nothing left after dropping control characters
        assert body["error"] == "empty_message"
    else:
        assert status == 200 and isinstance(body, list), body
    assert http_get(f"{webchat_stack.rasa_url}/status")["model_file"]


@pytest.mark.parametrize("raw, status, error", [
    (b"{not json", 400, "invalid_json"),
    (b'{"message": "hi"}', 400, "invalid_sender"),
    (b'{"sender": "../../etc", "message": "hi"}', 400, "invalid_sender"),
    (b'{"sender": "telegram-42", "message": "hi"}', 400, "invalid_sender"),
    (b'{"sender": "web-UUID", "message": "hi"}', 403, "sender_not_issued"),  # made up, as the old widget did
    (b'{"sender": "ISSUED", "message": ["hi"]}', 400, "invalid_message"),
    (b'{"sender": "ISSUED", "message": "   "}', 400, "empty_message"),
    (b'{"sender": "ISSUED", "message": "hi", "metadata": "zh"}', 400, "invalid_metadata"),
])
def test_bad_requests(webchat_stack, raw, status, error):
    raw = raw.replace(b"ISSUED", webchat_stack.new_sender().encode()).replace(b"UUID", str(uuid.uuid4()).encode())
    got, body = http_post(f"{webchat_stack.rasa_url}/webhooks/webchat/webhook", raw)
    assert got == status and body["error"] == error and body["detail"]["zh"] and body["detail"]["en"]


def test_health_reports_the_handoff(webchat_stack):
    s = webchat_stack.new_sender()
    health = f"{webchat_stack.rasa_url}/webhooks/webchat/?sender={s}"
    assert http_get(health) == {"status": "ok", "paused": False}
    status, messages = webchat_stack.say(s, "I want to talk to a person", {"language": "en"})
    assert status == 200
    assert messages[-1] == {"recipient_id": s, "custom": {"handoff": {"paused": True}}}, messages
    assert http_get(health)["paused"] is True


def test_staff_messages_reach_the_widget_through_the_rasa_api(webchat_stack):
    """The staff console's calls (actions/staff_relay.py): set the ``staff_message`` slot, run
    ``action_relay_staff_message`` on the paused conversation, and at the end resume it; the widget
    gets the relayed messages from the health check with ``since``."""
    s = webchat_stack.new_sender()
    api = f"{webchat_stack.rasa_url}/conversations/{s}"
    health = f"{webchat_stack.rasa_url}/webhooks/webchat/?sender={s}"
    status, messages = webchat_stack.say(s, "I want to talk to a person", {"language": "en"})
    assert status == 200 and messages[-1]["custom"]["handoff"]["paused"] is True, messages
    assert http_get(f"{health}&since=0", timeout=10)["messages"] == []

    def relay(value) -> list:
        status, body = http_post(f"{api}/tracker/events",
                                 {"event": "slot", "name": "staff_message", "value": value})
        assert status == 200, body
        status, body = http_post(f"{api}/execute?output_channel=latest", {"name": "action_relay_staff_message"})
        assert status == 200, body
        return body["messages"]  # the webchat channel has no output channel of its own: collected

    joined = relay({"response": "utter_staff_joined"})
    assert [m["text"] for m in joined] == ["A member of staff has joined the conversation and will answer you here."]
    relay({"text": "Hello, I'm Ms Wang from the passport counter."})
    polled = http_get(f"{health}&since=0", timeout=10)
    assert polled["paused"] is True
    assert [(m["text"], m["staff"]) for m in polled["messages"]] == [
        ("A member of staff has joined the conversation and will answer you here.", False),
        ("Hello, I'm Ms Wang from the passport counter.", True)]

    # the citizen answers staff: the bot stays quiet
    status, messages = webchat_stack.say(s, "My passport was issued in 2019", {"language": "en"})
    assert messages == [{"recipient_id": s, "custom": {"handoff": {"paused": True}}}]

    relay({"response": "utter_bot_back"})
    for event in ({"event": "resume"}, {"event": "action", "name": "action_listen"}):  # as the console does
        status, _ = http_post(f"{api}/tracker/events", event)
        assert status == 200
    since = polled["messages"][-1]["timestamp"]
    polled = http_get(f"{health}&since={since!r}", timeout=10)
    assert polled["paused"] is False
    assert [(m["text"], m["staff"]) for m in polled["messages"]] == [
        ("The member of staff has closed the conversation; the assistant will answer you again from here.", False)]
    assert webchat_stack.tracker(s)["slots"]["staff_message"] is None
    status, messages = webchat_stack.say(s, "How do I apply for a passport?", {"language": "en"})
    assert status == 200 and messages and "custom" not in messages[-1], messages  # the bot answers again
