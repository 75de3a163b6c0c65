"""Changing a message's predicted intent consistently: the intent and its ranking together.

The FallbackClassifier reads both the top confidence and the gap to the runner-up in the
ranking; a component that relabels or confirms an intent must therefore also move it to the top
of the ranking and demote the intent it replaced, or the fallback sees a false tie.
"""
from __future__ import annotations

from typing import Optional

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def set_top_intent(message: Message, name: str, confidence: float, replaced: Optional[str] = None) -> None:
    """Makes ``name`` the intent with ``confidence``; ``replaced`` (the former top) is demoted
    below ``1 - confidence`` so that the two no longer look tied."""
    confidence = float(max(0.0, min(1.0, confidence)))
    new = {"name": name, "confidence": confidence}
    message.set(INTENT, new, add_to_output=True)
    ranking = []
    for entry in message.get(INTENT_RANKING_KEY) or []:
        if entry.get("name") == name:
            continue
        if entry.get("name") == replaced:
            entry = {**entry, "confidence": min(entry.get("confidence") or 0.0, 1.0 - confidence)}
        ranking.append(entry)
    ranking.sort(key=lambda e: e.get("confidence") or 0.0, reverse=True)
    message.set(INTENT_RANKING_KEY, [new] + ranking, add_to_output=True)


def settle_intent(message: Message, name: str, confidence: float, replaced: Optional[str] = None,
                  gap: float = 0.1) -> None:
    """Like ``set_top_intent`` for a decision that overrules the classifier: every other intent
    ends at least ``gap`` below, so the FallbackClassifier does not see a tie it cannot have."""
    set_top_intent(message, name, confidence, replaced)
    ranking = message.get(INTENT_RANKING_KEY) or []
    top = ranking[0]["confidence"] if ranking else confidence
    settled = [ranking[0]] + [{**e, "confidence": min(e.get("confidence") or 0.0, max(0.0, top - gap))}
                              for e in ranking[1:]]
    message.set(INTENT_RANKING_KEY, settled, add_to_output=True)
