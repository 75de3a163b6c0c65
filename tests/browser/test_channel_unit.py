"""The webchat input channel's request handling, without servers (fast; not marked browser)."""
from __future__ import annotations

import json
import uuid

import pytest

from channels.web.channel import (
    MAX_MESSAGE_CHARS,
    RequestError,
    WebChatInput,
    clean_text,
    parse_request,
    with_language,
)
from tests.web_senders import KEY, signed

S = signed()  # a sender id the channel issued (under the test key)


def body(**fields) -> bytes:
    return json.dumps(fields, ensure_ascii=False).encode("utf-8")


def parse(raw: bytes) -> dict:
    return parse_request(raw, KEY)


def test_valid_request_keeps_metadata():
    data = parse(body(sender=S, message=" 护照怎么办理？ ", metadata={"language": "en", "page": "/"}))
    assert data == {"sender": S, "message": "护照怎么办理？", "metadata": {"language": "en", "page": "/"}}


@pytest.mark.parametrize("raw, code, status", [
    (b"not json", "invalid_json", 400),
    (b"[1, 2]", "invalid_json", 400),
    (body(message="hi"), "invalid_sender", 400),
    (body(sender="a/b", message="hi"), "invalid_sender", 400),
    (body(sender="x" * 129, message="hi"), "invalid_sender", 400),
    (body(sender="s", message="hi"), "sender_not_issued", 403),
    (body(sender=f"web-{uuid.uuid4()}", message="hi"), "sender_not_issued", 403),  # made up by an old widget
    (body(sender=S[:-1] + ("A" if S[-1] != "A" else "B"), message="hi"), "sender_not_issued", 403),
    (body(sender=signed(b"another key" * 3), message="hi"), "sender_not_issued", 403),
    (body(sender=S, message=42), "invalid_message", 400),
    (body(sender=S, message=" \u0000\t "), "empty_message", 400),
    (body(sender=S, message="长" * (MAX_MESSAGE_CHARS + 1)), "message_too_long", 413),
    (body(sender=S, message="hi", metadata=[1]), "invalid_metadata", 400),
    (body(sender=S, message="hi", metadata={"blob": "x" * 5000}), "invalid_metadata", 400),
    (b"{" + b" " * 70_000 + b"}", "body_too_large", 413),
    (b"[" * 60_000, "invalid_json", 400),  # too deep for the JSON parser: a bad request, not a 500
])
def test_bad_requests_are_refused(raw, code, status):
    with pytest.raises(RequestError) as e:
        parse(raw)
    assert (e.value.code, e.value.status) == (code, status)


def test_longest_message_allowed_counts_characters_not_bytes():
    longest = "😀" * MAX_MESSAGE_CHARS  # 4 bytes and 2 UTF-16 units each
    assert parse(body(sender=S, message=longest))["message"] == longest


def test_unknown_language_is_dropped():
    assert parse(body(sender=S, message="hi", metadata={"language": "fr"}))["metadata"] == {}


def test_clean_text_drops_controls_and_lone_surrogates():
    raw = json.loads('"a\\u0000b\\ud800c\\u202e\\ud83d\\ude00\\nd"')
    assert clean_text(raw) == "ab\ufffdc\u202e😀\nd"
    clean_text(raw).encode("utf-8")  # storable


@pytest.mark.parametrize("text, lang, expected", [
    ("/ask_fee", "en", '/ask_fee{"language":"en"}'),
    ('/rate{"rating":"up"}', "zh", '/rate{"rating":"up","language":"zh"}'),
    ('/rate@0.9{"rating":"down"}', "en", '/rate@0.9{"rating":"down","language":"en"}'),
    ('/inform_service{"language":"zh"}', "en", '/inform_service{"language":"zh"}'),
    ("/broken{", "en", "/broken{"),
    ("护照怎么办理？", "en", "护照怎么办理？"),
    ("/ask_fee", None, "/ask_fee"),
])
def test_button_payloads_carry_the_chosen_language(text, lang, expected):
    assert with_language(text, lang) == expected


def test_channel_name_and_prefix():
    channel = WebChatInput.from_credentials(None)
    assert channel.name() == "webchat"
    assert channel.url_prefix() == "webchat"
