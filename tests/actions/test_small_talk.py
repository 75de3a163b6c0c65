"""action_small_talk: the persona reply for the topic of the latest message, in the citizen's language."""
import pytest

from actions.small_talk import ActionSmallTalk, small_talk_response
from bot.nlg import action_responses
from bot.smalltalk import topic_names

from .conftest import sent


@pytest.mark.parametrize("lang,text,intent,response", [
    ("zh", "你叫什么名字呀", "bot_challenge", "utter_smalltalk_name"),
    ("zh", "给我讲个笑话吧", "chitchat", "utter_smalltalk_joke"),
    ("zh", "垃圾机器人", "chitchat", "utter_smalltalk_insult"),
    ("zh", "你們是誰做的", "bot_challenge", "utter_smalltalk_creator"),     # Traditional input
    ("en", "tell me a joke please", "chitchat", "utter_smalltalk_joke"),
    ("en", "are you ChatGPT?", "bot_challenge", "utter_smalltalk_chatgpt"),
    ("en", "you're great", "chitchat", "utter_smalltalk_compliment"),
])
async def test_the_topic_picks_the_response(dispatcher, domain, make_tracker, lang, text, intent, response):
    tracker = make_tracker(text, intent=intent, slots={"language": lang})
    events = await ActionSmallTalk().run(dispatcher, tracker, domain)
    assert events == []
    assert sent(dispatcher) == [response]


@pytest.mark.parametrize("text,intent,response", [
    ("seriously, what are you?", "bot_challenge", "utter_smalltalk_robot_or_human"),
    ("你到底是啥", "bot_challenge", "utter_smalltalk_robot_or_human"),
    ("我告诉你一个秘密", "chitchat", "utter_smalltalk_default"),
    ("guess what happened to me", "chitchat", "utter_smalltalk_default"),
])
async def test_no_topic_falls_back_by_intent(dispatcher, domain, make_tracker, text, intent, response):
    tracker = make_tracker(text, intent=intent)
    await ActionSmallTalk().run(dispatcher, tracker, domain)
    assert sent(dispatcher) == [response]


def test_every_response_the_action_can_send_is_rendered():
    responses = action_responses()
    assert {small_talk_response("", intent) for intent in ("chitchat", "bot_challenge")} <= set(responses)
    assert all(f"utter_smalltalk_{topic}" in responses for topic in topic_names())
