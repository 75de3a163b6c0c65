"""Session start that carries the citizen's language, script and district into a new session."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

CARRIED_SLOTS = ("language", "script", "district")


class ActionSessionStart(Action):
    """Starts a session keeping the slots a citizen would not expect to repeat."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        carried = [SlotSet(name, tracker.get_slot(name)) for name in CARRIED_SLOTS
                   if tracker.get_slot(name) is not None]
        return [SessionStarted(), *carried, ActionExecuted("action_listen")]
