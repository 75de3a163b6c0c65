"""action_validate_slot_mappings: slot values from button payloads are checked against known ids."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker

from actions.validation import ValidateSlotMappings, categorical_values, is_valid
from bot.payload_validation import needs_validation
from tests.actions.conftest import LANGS, sent

KNOWN = {"service": {"passport_application"}, "district": {"jiangcheng"}}


def test_categorical_values_come_from_the_domain():
    values = categorical_values()
    assert values["language"] == {"zh", "en"} and values["rating"] == {"up", "down"}
    assert values["script"] == {"simplified", "traditional"} and "fee" in values["aspect"]


@pytest.mark.parametrize("slot, value, ok", [
    ("service", "passport_application", True), ("service", "no_such_service", False),
    ("service", 7, False), ("district", "jiangcheng", True), ("district", "atlantis", False),
    ("language", "en", True), ("language", "fr", False), ("rating", "down", True), ("rating", "meh", False),
    ("service", None, True), ("failed_turns", 3, True),
])
def test_is_valid(slot, value, ok):
    assert is_valid(slot, value, KNOWN, categorical_values()) is ok


def test_only_payload_turns_that_set_slots_are_validated():
    assert needs_validation('/inform_service{"service":"x"}', ["service"])
    assert not needs_validation("/ask_fee", [])
    assert not needs_validation("护照怎么办理", ["service"])


def payload_tracker(text: str, candidates: dict, before: dict, lang: str) -> Tracker:
    """The tracker Rasa sends the action: the slots before, the user's payload, then the candidates."""
    events = [{"event": "slot", "name": k, "value": v} for k, v in before.items()]
    events.append({"event": "user", "text": text})
    events += [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
    slots = {"language": lang, "script": "simplified", "service": None, "district": None, "rating": None,
             **before, **candidates}
    return Tracker("validate-user", slots, {"text": text, "intent": {"name": "inform_service"}},
                   events, False, None, {}, "action_listen")


@pytest.mark.parametrize("lang", LANGS)
async def test_an_unknown_service_keeps_the_previous_one_and_says_so(kb, dispatcher, domain, lang):
    tracker = payload_tracker('/inform_service{"service":"no_such_service"}', {"service": "no_such_service"},
                              {"service": "passport_application", "language": lang}, lang)
    events = await ValidateSlotMappings().run(dispatcher, tracker, domain)
    assert events == [{"event": "slot", "timestamp": None, "name": "service", "value": "passport_application"}]
    assert sent(dispatcher) == ["utter_invalid_choice"]


async def test_an_unknown_district_is_cleared_a_known_service_kept(kb, dispatcher, domain):
    tracker = payload_tracker('/inform_district{"district":"atlantis","service":"passport_application"}',
                              {"district": "atlantis", "service": "passport_application"}, {}, "zh")
    events = await ValidateSlotMappings().run(dispatcher, tracker, domain)
    assert [(e["name"], e["value"]) for e in events] == [("district", None)]
    assert sent(dispatcher) == ["utter_invalid_choice"]


async def test_known_values_pass_without_a_word(kb, dispatcher, domain):
    tracker = payload_tracker('/inform_district{"district":"jiangcheng"}', {"district": "jiangcheng"}, {}, "en")
    assert await ValidateSlotMappings().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == []


@pytest.mark.parametrize("lang", LANGS)
def test_the_reply_exists_in_both_languages(lang):
    from bot.nlg import action_responses

    variants = action_responses()["utter_invalid_choice"]
    zh = [v for v in variants if v.get("condition")]
    default = [v for v in variants if not v.get("condition")]
    assert zh and default
    text = (zh if lang == "zh" else default)[0]["text"]
    assert ("选项" in text) if lang == "zh" else ("option" in text)
