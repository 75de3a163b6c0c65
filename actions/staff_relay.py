"""Staff replies in a handed-over conversation: relays what staff wrote in the console to the citizen.

The bot is paused (``ConversationPaused`` from ``action_handoff``) while a person handles the
conversation. The staff console sets the ``staff_message`` slot through Rasa's HTTP API and then
runs this action with ``POST /conversations/{sender}/execute?output_channel=latest`` (Rasa runs it
even while the conversation is paused):

* ``{"text": "..."}`` — the staff member's own words, sent as they are;
* ``{"response": "utter_staff_joined" | "utter_bot_back"}`` — one of the two fixed notices, in the
  citizen's language (bot/responses/staff.yml); any other response name is ignored.

Every message is sent with ``pushed=True`` (and ``staff=True`` for staff-written text): Rasa keeps
these keyword arguments as the metadata of the stored ``BotUttered`` event. Telegram gets the
message from the output channel at once; the web widget, which has no open connection, fetches
the bot messages marked ``pushed`` from the channel's health endpoint (channels/web/channel.py).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

SLOT = "staff_message"
RELAYED_RESPONSES = ("utter_staff_joined", "utter_bot_back")


class ActionRelayStaffMessage(Action):
    """Sends the ``staff_message`` slot's text or notice to the citizen, then clears the slot."""

    def name(self) -> Text:
        return "action_relay_staff_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        message = tracker.get_slot(SLOT)
        if isinstance(message, dict):
            text = message.get("text")
            response = message.get("response")
            if isinstance(text, str) and text.strip():
                dispatcher.utter_message(text=text.strip(), staff=True, pushed=True)
            elif response in RELAYED_RESPONSES:
                dispatcher.utter_message(response=response, pushed=True)
        return [SlotSet(SLOT, None)]
