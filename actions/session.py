"""Session start that carries the citizen's language, script and district into a new session,
and keeps a conversation handed over to staff with staff (paused, with a pending staff message)
however long the person takes to answer. The Rasa server runs the same rule in-process
(bot/session_start.py) unless its speed-ups are off; then this one runs."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.session_rules import carried_slots


class ActionSessionStart(Action):
    """Starts a session keeping the slots a citizen would not expect to repeat."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        carried = [SlotSet(name, value) for name, value in carried_slots(tracker.get_slot)]
        # a new session would un-pause a handed-over conversation: staff still have it
        paused = [ConversationPaused()] if tracker.is_paused() else []
        return [SessionStarted(), *carried, *paused, ActionExecuted("action_listen")]
