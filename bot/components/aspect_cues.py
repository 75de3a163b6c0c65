"""Catches the intent classifier's aspect slips with the question words themselves.

If the predicted service question (``ask_<aspect>``) has none of its aspect's cue words in the
message, but exactly one other aspect's cue words are there ("护照怎么办理" predicted as *where*:
no 哪里/where, but 怎么办 → *how*), that aspect wins. Cue words live in bot/aspect_cues.yml.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Text

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

CUES_FILE = Path(__file__).resolve().parent.parent / "aspect_cues.yml"
PREFIX = "ask_"


@lru_cache(maxsize=1)
def aspect_cues(path: Path = CUES_FILE) -> Dict[str, List[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {aspect: [str(w).lower() for w in words] for aspect, words in data.items()}


def cued_aspects(text: str) -> set:
    """Aspects whose cue words occur in ``text``."""
    from knowledge_base.text import normalize

    norm = normalize(text)
    found = set()
    for aspect, words in aspect_cues().items():
        for w in words:
            if re.search(r"\b" + re.escape(w) + r"\b", norm) if w.isascii() else w in norm:
                found.add(aspect)
                break
    return found


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class AspectCueChecker(GraphComponent):
    """Re-labels an ``ask_*`` intent whose aspect the message's question words contradict."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "AspectCueChecker":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._check(message)
        return messages

    def _check(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        name = intent.get("name") or ""
        text = message.get(TEXT) or ""
        if not name.startswith(PREFIX) or text.startswith("/"):
            return
        from bot.components.tokenizer import question_focus

        start, end = question_focus(text)
        cues = cued_aspects(text[start:end])
        aspect = name[len(PREFIX):]
        if aspect in cues or len(cues) != 1:
            return
        new = {"name": PREFIX + cues.pop(), "confidence": intent.get("confidence") or 0.0}
        message.set(INTENT, new, add_to_output=True)
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r["name"] != new["name"]]
        message.set(INTENT_RANKING_KEY, [new] + ranking, add_to_output=True)
