"""``action_validate_slot_mappings``: slots a button payload sets are checked against known ids.

A ``/intent{"slot": "value"}`` payload (a button, or the same typed by hand: anyone can forge one)
fills slots through their ``from_entity`` mappings without any NLU. Rasa runs this action after
extracting slots; ``bot.payload_validation`` has Rasa call it on payload turns only (understood
messages carry ids the knowledge base itself produced). A value that is not a known id is refused:
the slot keeps the value it had before the message, and the citizen gets ``utter_invalid_choice``
in their language. Known ids: services and districts of the current knowledge base; the values of
categorical slots as the domain lists them (bot/domain/core.yml).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Set, Text

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.common import knowledge_base, slot_before_latest_message

DOMAIN_SLOTS = Path(__file__).resolve().parent.parent / "bot" / "domain" / "core.yml"
KB_ID_SLOTS = ("service", "district")  # slot name = the knowledge base's kind of id


@lru_cache(maxsize=1)
def categorical_values(path: Path = DOMAIN_SLOTS) -> Dict[str, Set[str]]:
    """``{slot: allowed values}`` of the domain's categorical slots."""
    slots = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("slots") or {}
    return {name: {str(v) for v in spec.get("values") or ()}
            for name, spec in slots.items() if (spec or {}).get("type") == "categorical"}


def is_valid(slot: str, value: Any, known_ids: Mapping[str, Set[str]],
             categorical: Mapping[str, Set[str]]) -> bool:
    """Whether a payload may put ``value`` into ``slot``: a known id, an allowed category, or
    nothing (clearing a slot is always allowed). Slots of other kinds are not checked here."""
    if value is None:
        return True
    if slot in known_ids:
        return isinstance(value, str) and value in known_ids[slot]
    if slot in categorical:
        return isinstance(value, str) and value in categorical[slot]
    return True


class ValidateSlotMappings(ValidationAction):
    """Refuses unknown ids in slots filled from the latest message (see the module's docstring)."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[Dict[Text, Any]]:
        from rasa_sdk.events import SlotSet

        known = knowledge_base().known_ids()
        ids = {slot: set(known.get(slot, ())) for slot in KB_ID_SLOTS}
        categorical = categorical_values()
        events = []
        for slot, value in tracker.slots_to_validate().items():
            if not is_valid(slot, value, ids, categorical):
                events.append(SlotSet(slot, self._previous(tracker, slot)))
        if events:
            dispatcher.utter_message(response="utter_invalid_choice")
        return events

    @staticmethod
    def _previous(tracker: Tracker, slot: str) -> Optional[Any]:
        return slot_before_latest_message(tracker, slot)
