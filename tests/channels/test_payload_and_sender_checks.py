"""Payloads may only carry identifiers; another channel's conversations cannot be joined (issue 13)."""
import json

import pytest

from channels.rest import parse_rest_request
from channels.web.channel import RequestError, parse_request
from tests.web_senders import KEY, signed

SENDER = signed()  # the web chat takes only the sender ids it issued


def body(sender=SENDER, message="hi"):
    return json.dumps({"sender": sender, "message": message}).encode()


def parse_web_request(raw: bytes) -> dict:
    return parse_request(raw, KEY)


def parse_rest(raw: bytes) -> dict:
    """The REST channel, with its own sender where the body carries the web chat's (which it refuses)."""
    data = json.loads(raw)
    if data.get("sender") == SENDER:
        data["sender"] = "rest-client-1"
    return parse_rest_request(json.dumps(data).encode())


PARSERS = pytest.mark.parametrize("parse", [parse_web_request, parse_rest], ids=["web", "rest"])


@pytest.mark.parametrize("message", [
    '/inform_service{"service":"passport_application"}',
    '/rate{"rating":"down","language":"zh"}',
    '/inform_district{"district":"qingshan"}',
    '/greet',
    '/rate{"rating": 1}',
    "护照怎么办理？",
])
@PARSERS
def test_ordinary_messages_and_button_payloads_pass(parse, message):
    assert parse(body(message=message))["message"] == message


@pytest.mark.parametrize("message", [
    '/inform_service{"service":{"a":1}}',                               # a structure into a slot
    '/inform_district{"district":"<a href=//evil.example>x</a>"}',      # markup echoed into a reply
    '/inform_service{"service":["a","b"]}',
    '/inform_service{"service": true}',
    '/inform_service{"Service Name":"x"}',
    '/inform_service{"service":x}',                                    # not JSON
    '/inform_service' + '{"s":"x",' * 3 + '"t":"y"}',
    '/rate{' + ",".join(f'"k{i}":"v"' for i in range(9)) + '}',          # too many entities
])
@PARSERS
def test_payloads_with_anything_but_identifiers_are_refused(parse, message):
    with pytest.raises(RequestError) as err:
        parse(body(message=message))
    assert err.value.code == "invalid_payload" and err.value.status == 400


@PARSERS
@pytest.mark.parametrize("sender", ["telegram-123456789", "Telegram-42"])
def test_another_channels_conversation_cannot_be_joined(parse, sender):
    with pytest.raises(RequestError) as err:
        parse(body(sender=sender))
    assert err.value.code == "invalid_sender"


@pytest.mark.parametrize("sender", ["web-abc123", SENDER[:-1] + ("A" if SENDER[-1] != "A" else "B"),
                                    signed(b"not the channel's key, 32 bytes.")])
def test_a_web_sender_the_channel_did_not_issue_is_refused(sender):
    with pytest.raises(RequestError) as err:
        parse_web_request(body(sender=sender))
    assert (err.value.code, err.value.status) == ("sender_not_issued", 403)


def test_the_refusal_is_worded_in_both_languages():
    from channels.web.channel import ERRORS

    for code in ("invalid_payload", "invalid_sender", "sender_not_issued"):
        assert ERRORS[code]["zh"] and ERRORS[code]["en"]


@pytest.mark.parametrize("message", [
    '/inform_service {"service": {"a": 1}}',              # space before the entities
    '/ask_fee\n{"service": [[1]]}',                       # a line break before them
    '/inform_service@1{"service": [[[[1]]]]}x',           # text after them
])
def test_payloads_are_read_as_rasa_reads_them(message):
    """Rasa unpacks these although a stricter pattern would not see a payload (found by fuzzing)."""
    from channels.web.channel import RequestError, check_payload

    with pytest.raises(RequestError):
        check_payload(message)
    check_payload('/inform_service {"service": "passport_application"}')  # identifiers pass


def test_the_rest_channel_refuses_the_web_chats_senders():
    from channels.rest import rest_sender
    from channels.web.channel import RequestError

    with pytest.raises(RequestError):
        rest_sender("web-" + "A" * 22 + "." + "B" * 22)
    assert rest_sender("eval-1234") == "eval-1234"
