"""Human handoff: opens a ticket with the (masked) transcript and pauses the bot; one open ticket
per conversation (a second request joins it)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language
from actions.desk import channel_of, desk_session

TRANSCRIPT_TURNS = 30


def transcript(tracker: Tracker) -> List[Dict[str, str]]:
    """The conversation so far as [{"who": "user"|"bot", "text": ...}], newest last."""
    turns = [{"who": "user" if e["event"] == "user" else "bot", "text": e.get("text") or ""}
             for e in tracker.events if e.get("event") in ("user", "bot") and e.get("text")]
    return turns[-TRANSCRIPT_TURNS:]


class ActionHandoff(Action):
    """On request or after repeated failure: ticket, what happens next, hotline, bot paused."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        from service_desk.store import open_ticket

        failures = int(tracker.get_slot("failed_turns") or 0)
        with desk_session() as session:
            ticket, opened = open_ticket(session, sender_id=tracker.sender_id, channel=channel_of(tracker),
                                         language=language(tracker), service=tracker.get_slot("service"),
                                         reason="after_failures" if failures >= 2 else "requested",
                                         transcript=transcript(tracker),
                                         message=(tracker.latest_message or {}).get("text"))
            ticket_id = ticket.id
        # a second request while staff have the conversation opens nothing new: it says so
        response = "reply_handoff_opened" if opened else "reply_handoff_already_open"
        dispatcher.utter_message(response=response, ticket=ticket_id)
        return [ConversationPaused()]
