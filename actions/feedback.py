"""Feedback: 👍/👎 on an answer, and what was missing after a 👎."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language, latest_entity, latest_text, slot_before_latest_message
from actions.desk import channel_of, desk_session


def _answer_context(tracker: Tracker) -> Dict[str, Any]:
    """The service and aspect of the answer being rated: as they were before the latest message
    (a comment such as "the address is wrong" must not re-aim them)."""
    return {name: slot_before_latest_message(tracker, name) or tracker.get_slot(name)
            for name in ("service", "aspect")}


def _store(tracker: Tracker, rating, comment=None) -> Dict[str, Any]:
    from service_desk.store import record_feedback

    context = _answer_context(tracker)
    with desk_session() as session:
        record_feedback(session, sender_id=tracker.sender_id, channel=channel_of(tracker),
                        language=language(tracker), rating=rating, comment=comment, **context)
    return context


class ActionStoreRating(Action):
    """Stores a 👍/👎 rating (after a 👎 the feedback form asks what was missing)."""

    def name(self) -> Text:
        return "action_store_rating"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        rating = latest_entity(tracker, "rating") or tracker.get_slot("rating")
        if rating not in ("up", "down"):
            dispatcher.utter_message(response="reply_default")
            return []
        _store(tracker, rating)
        if rating == "up":
            dispatcher.utter_message(response="reply_rating_thanks")
        return [SlotSet("rating", rating)]


class ActionStoreFeedback(Action):
    """Stores what the citizen says about an answer (the feedback form's reply after a 👎, or
    free-text feedback)."""

    def name(self) -> Text:
        return "action_store_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        comment = tracker.get_slot("feedback_comment") or latest_text(tracker)
        context = _store(tracker, tracker.get_slot("rating"), comment=comment)
        dispatcher.utter_message(response="reply_feedback_thanks")
        restore = [SlotSet(name, value) for name, value in context.items() if value]
        return [SlotSet("rating", None), SlotSet("feedback_comment", None), *restore]


class ActionAskFeedbackComment(Action):
    """The feedback form's question after a 👎: what was missing or wrong?"""

    def name(self) -> Text:
        return "action_ask_feedback_comment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="reply_ask_feedback_comment")
        return []
