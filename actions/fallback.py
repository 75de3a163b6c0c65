"""Two-stage fallback: first suggest the likely services, then offer a person."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language, latest_text
from actions.service_answer import ActionAnswerService, asked_aspect

SUGGEST_MIN_SCORE = 0.2
MAX_SUGGESTIONS = 3


class ActionFallbackSuggest(ActionAnswerService):
    """Low confidence: offers the top knowledge-base candidates; after repeated failure, a person.
    A typed reply to buttons we offered is first read with the question that led to them."""

    def name(self) -> Text:
        return "action_fallback_suggest"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        lang = language(tracker)
        chosen = self._reply_to_offered(tracker, latest_text(tracker), lang)
        if chosen:
            return self._respond(dispatcher, tracker, chosen, asked_aspect(tracker), lang)
        failures = int(tracker.get_slot("failed_turns") or 0) + 1
        ranked = [sid for sid, score in self.kb.rank_services(latest_text(tracker), lang=lang)
                  if score >= SUGGEST_MIN_SCORE][:MAX_SUGGESTIONS]
        if failures >= 2 or not ranked:
            response = "reply_offer_human" if failures >= 2 else "reply_default"
            dispatcher.utter_message(response=response)
        else:
            dispatcher.utter_message(response="reply_fallback_suggest",
                                     buttons=self.service_buttons(ranked, lang))
        return [SlotSet("failed_turns", float(failures))]
