"""Rasa calls ``action_validate_slot_mappings`` (actions/validation.py) on payload turns only.

Rasa 3.6 runs that custom action after every message once the domain lists it: an extra round
trip to the action server per message, with the conversation rebuilt for it. Only a
``/intent{"slot": "value"}`` payload can put an arbitrary value into a slot; an understood message
fills them with ids the knowledge base itself produced (bot/components). So the call is made when
the latest message is a payload that set slots, and skipped (the extracted slots kept as they are)
otherwise. Installed by :class:`bot.nlg.BilingualNLG` with the other server-side hooks (not on
import); it edits no installed package.
"""
from __future__ import annotations

from typing import Any, List

_INSTALLED = False


def needs_validation(latest_text: str, slot_names: List[str]) -> bool:
    """Whether a turn's extracted slots go to the validation action: a payload that set any."""
    return bool(slot_names) and latest_text.lstrip().startswith("/")


def install() -> None:
    """Wraps ``ActionExtractSlots._execute_validation_action`` (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    from rasa.core.actions.action import ActionExtractSlots
    from rasa.shared.core.events import SlotSet

    original = ActionExtractSlots._execute_validation_action

    async def _execute_validation_action(self, extraction_events: List[Any], output_channel, nlg,
                                         tracker, domain) -> List[Any]:
        latest = tracker.latest_message.text if tracker.latest_message else ""
        slots = [e.key for e in extraction_events if isinstance(e, SlotSet)]
        if not needs_validation(latest or "", slots):
            return [e for e in extraction_events if isinstance(e, SlotSet)]
        return await original(self, extraction_events, output_channel, nlg, tracker, domain)

    ActionExtractSlots._execute_validation_action = _execute_validation_action
    _INSTALLED = True
