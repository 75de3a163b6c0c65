"""Detects the language (and Chinese script) of each message and emits it as entities.

The ``language`` and ``script`` slots are filled from these entities, so they follow the latest
message. A channel may force the language through message metadata (``{"language": "en"}``),
as the web widget's 中文/EN switch does.

As the first component of the pipeline it also bounds the work for every later one: a message
longer than ``MAX_UNDERSTOOD_CHARS`` (the channels refuse those, but ``/model/parse`` or another
channel may pass one on) is understood from its first ``MAX_UNDERSTOOD_CHARS`` characters only, so
tokenising, featurising and the knowledge-base search cannot stall the server. Shorter messages
are left exactly as they are.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge_base.text import detect_language

SUPPORTED = ("zh", "en")
# Same as the channels' message cap (channels/web/channel.py MAX_MESSAGE_CHARS).
MAX_UNDERSTOOD_CHARS = 2000


def _entity(name: str, value: str, text: str, extractor: str) -> Dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": len(text),
            "confidence_entity": 1.0, "extractor": extractor}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(GraphComponent):
    """Adds ``language`` (zh|en) and ``script`` (simplified|traditional) entities."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LanguageDetector":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._annotate(message)
        return messages

    def _annotate(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        if len(text) > MAX_UNDERSTOOD_CHARS:
            text = text[:MAX_UNDERSTOOD_CHARS]
            message.set(TEXT, text)  # what the later components (tokenizer, search, ...) read
        metadata = message.get("metadata") or {}
        forced: Optional[str] = metadata.get("language") if isinstance(metadata, dict) else None
        guess = detect_language(text)
        language = guess.lang
        traditional = guess.traditional
        if forced in SUPPORTED and (forced != language or not guess.confident):
            language = forced
            traditional = False if forced == "en" else traditional
        name = type(self).__name__
        entities = [e for e in message.get(ENTITIES, []) if e.get("entity") not in ("language", "script")]
        entities.append(_entity("language", language, text, name))
        entities.append(_entity("script", "traditional" if traditional else "simplified", text, name))
        message.set(ENTITIES, entities, add_to_output=True)
