"""The session start, run inside the Rasa server instead of on the action server.

Same events as ``actions/session.py`` (the rule is ``bot.session_rules``): a new session keeps
the citizen's language, script and district, and a conversation handed over to staff stays
paused. Running it in-process saves every new conversation one action-server round trip (a
request carrying the whole tracker, its validation and its events); installed by
``bot.speedups.install`` (off with ``RASA_SPEEDUPS=off``, when the action server's runs).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, List

from rasa.core.actions.action import ActionSessionStart
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ConversationPaused, Event, SessionStarted, SlotSet

from bot.session_rules import carried_slots

if TYPE_CHECKING:
    from rasa.core.channels.channel import OutputChannel
    from rasa.core.nlg import NaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker


class SessionStartKeepingContext(ActionSessionStart):
    """Starts a session keeping the slots a citizen would not expect to repeat."""

    async def run(self, output_channel: "OutputChannel", nlg: "NaturalLanguageGenerator",
                  tracker: "DialogueStateTracker", domain: "Domain") -> List[Event]:
        carried: List[Event] = [SlotSet(name, value) for name, value in carried_slots(tracker.get_slot)]
        # a new session would un-pause a handed-over conversation: staff still have it
        paused: List[Event] = [ConversationPaused()] if tracker.is_paused() else []
        return [SessionStarted(), *carried, *paused, ActionExecuted(ACTION_LISTEN_NAME)]
