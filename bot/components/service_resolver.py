"""Resolves which catalogue service (and district) a message mentions, via knowledge-base search.

Runs at message time against the live knowledge base, so a service or alias that staff just
imported is understood without retraining. Adds a ``service`` entity whose value is the stable
catalogue ID when the best hit is strong and clearly ahead of the next one, and a ``district``
entity for a district name.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ServiceResolver(GraphComponent):
    """Adds ``service`` and ``district`` entities from knowledge-base search."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"min_score": 0.35, "min_margin": 0.05}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._config = config
        self._kb = None

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ServiceResolver":
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            try:
                self._annotate(message)
            except Exception:  # the knowledge base being down must never break understanding
                logger.exception("service resolution failed")
        return messages

    def _knowledge_base(self):
        if self._kb is None:
            from knowledge_base.access import KnowledgeBaseAccess

            self._kb = KnowledgeBaseAccess.from_settings()
        return self._kb

    def _annotate(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        if not text.strip() or text.startswith("/"):
            return
        kb = self._knowledge_base()
        entities = list(message.get(ENTITIES, []))
        service = self._resolve_service(kb, text)
        if service:
            entities.append(self._entity("service", service, text))
        district = kb.find_district(text)
        if district:
            entities.append(self._entity("district", district, text))
        message.set(ENTITIES, entities, add_to_output=True)

    def _resolve_service(self, kb, text: str) -> Optional[str]:
        ranked = kb.rank_services(text)
        if not ranked:
            return None
        (best_id, best), rest = ranked[0], ranked[1:]
        second = rest[0][1] if rest else 0.0
        if best >= self._config["min_score"] and best - second >= self._config["min_margin"]:
            return best_id
        return None

    def _entity(self, name: str, value: str, text: str) -> Dict[str, Any]:
        return {"entity": name, "value": value, "start": 0, "end": len(text),
                "confidence_entity": 1.0, "extractor": type(self).__name__}
