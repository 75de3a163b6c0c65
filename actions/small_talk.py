"""Small talk: a persona reply picked by topic (bot/smalltalk.yml), always steering back to services."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text
from bot.smalltalk import load_topics, pick_topic

RESPONSE_PREFIX = "utter_smalltalk_"
# A message with no topic cue still says something by its intent: "are you for real?" is a bot challenge.
INTENT_TOPICS = {"bot_challenge": "robot_or_human"}


def small_talk_response(text: str, intent: str | None = None) -> str:
    """The response name for a small-talk message (``utter_smalltalk_<topic>``)."""
    topic = pick_topic(text)
    if topic == load_topics().default:
        topic = INTENT_TOPICS.get(intent or "", topic)
    return RESPONSE_PREFIX + topic


class ActionSmallTalk(Action):
    """Answers chit-chat and questions about the assistant itself in the assistant's own voice."""

    def name(self) -> Text:
        return "action_small_talk"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        dispatcher.utter_message(response=small_talk_response(latest_text(tracker), intent))
        return []
