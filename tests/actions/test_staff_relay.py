"""Staff replies relayed to the citizen (action_relay_staff_message): what the action sends, and what
Rasa then stores and sends (RemoteAction._utter_responses with our NLG)."""
import json

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels import CollectingOutputChannel
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet as RasaSlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.events import SlotSet

from actions.staff_relay import ActionRelayStaffMessage
from bot.nlg import BilingualNLG
from knowledge_base.text import to_traditional

from .conftest import LANGS, ROOT

JOINED = {"zh": "工作人员已加入对话，将在这里回复您。",
          "en": "A member of staff has joined the conversation and will answer you here."}


async def relay(dispatcher, domain, make_tracker, value, lang="zh"):
    tracker = make_tracker("", intent="human_handoff", slots={"language": lang, "staff_message": value})
    return await ActionRelayStaffMessage().run(dispatcher, tracker, domain)


@pytest.fixture(scope="module")
def rasa_domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


async def uttered_by_rasa(dispatcher, rasa_domain, lang, script="simplified"):
    """The BotUttered events Rasa makes of the action's messages, for a citizen in ``lang``."""
    tracker = DialogueStateTracker.from_events(
        "test-user", [RasaSlotSet("language", lang), RasaSlotSet("script", script)], slots=rasa_domain.slots)
    responses = json.loads(json.dumps(dispatcher.messages))  # as the action server sends them
    return await RemoteAction._utter_responses(responses, CollectingOutputChannel(),
                                               BilingualNLG(domain=rasa_domain), tracker)


def test_domain_has_the_action_and_the_slot(rasa_domain):
    assert "action_relay_staff_message" in rasa_domain.user_actions
    slot = next(s for s in rasa_domain.slots if s.name == "staff_message")
    assert slot.type_name == "any" and not slot.influence_conversation


@pytest.mark.parametrize("lang", LANGS)
async def test_staff_text_is_sent_as_written_with_the_staff_and_pushed_flags(
        dispatcher, domain, make_tracker, rasa_domain, lang):
    text = "您好，我是窗口的王老师。请问您的护照是哪一年办的？" if lang == "zh" else "Hello, I'm Ms Wang from the counter."
    events = await relay(dispatcher, domain, make_tracker, {"text": text}, lang)
    assert events == [SlotSet("staff_message", None)]
    assert dispatcher.messages == [{**dispatcher.messages[0], "text": text, "staff": True, "pushed": True}]

    (bot,) = await uttered_by_rasa(dispatcher, rasa_domain, lang)
    assert bot.text == text  # never translated or converted: staff's own words
    assert bot.metadata["pushed"] is True and bot.metadata["staff"] is True


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("response", ["utter_staff_joined", "utter_bot_back"])
async def test_notices_are_sent_in_the_citizens_language_marked_pushed(
        dispatcher, domain, make_tracker, rasa_domain, lang, response):
    events = await relay(dispatcher, domain, make_tracker, {"response": response}, lang)
    assert events == [SlotSet("staff_message", None)]
    (message,) = dispatcher.messages
    assert message["response"] == response and message["pushed"] is True and not message.get("staff")

    (bot,) = await uttered_by_rasa(dispatcher, rasa_domain, lang)
    assert bot.text and bot.metadata["pushed"] is True and "staff" not in bot.metadata
    assert bot.metadata["utter_action"] == response
    if response == "utter_staff_joined":
        assert bot.text == JOINED[lang]
    if lang == "en":
        assert bot.text.isascii()
    else:
        assert bot.text.startswith(("工作人员", "人工服务"))


async def test_notices_follow_the_traditional_script(dispatcher, domain, make_tracker, rasa_domain):
    await relay(dispatcher, domain, make_tracker, {"response": "utter_staff_joined"}, "zh")
    (bot,) = await uttered_by_rasa(dispatcher, rasa_domain, "zh", script="traditional")
    assert bot.text == to_traditional(JOINED["zh"]) != JOINED["zh"]


@pytest.mark.parametrize("value", [
    {"response": "utter_greet"},                 # a response staff may not send
    {"response": "reply_handoff_opened"},
    {"response": ["utter_bot_back"]},
    {"text": "   "},
    {"text": 42},
    {},
    "utter_bot_back",                            # not an object
    None,                                        # nothing set
])
async def test_anything_else_is_ignored_and_the_slot_cleared(dispatcher, domain, make_tracker, value):
    events = await relay(dispatcher, domain, make_tracker, value)
    assert dispatcher.messages == []
    assert events == [SlotSet("staff_message", None)]
