"""Resolves which catalogue service (and district) a message mentions, via knowledge-base search.

Runs at message time against the live knowledge base, so a service or alias that staff just
imported is understood without retraining. It adds a ``service`` entity (the stable catalogue ID)
when the best hit is strong enough and not tied with the next one, and a ``district`` entity for a
district name. When the message clearly names a service but the intent classifier called it
out of scope, small talk or feedback, or was unsure, the intent becomes the most likely
service question (``ask_*``) so that a citizen's real question is not refused.

Trained on the in-scope examples, it also keeps their vocabulary (English lemmas, Chinese
character bigrams): a "service question" that names no service and is mostly made of words no
citizen ever used for a service ("set a timer for 10 minutes") is turned into ``out_of_scope``.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.intent_ranking import set_top_intent

logger = logging.getLogger(__name__)

SERVICE_INTENT_PREFIX = "ask_"
OVERRIDABLE_INTENTS = ("out_of_scope", "chitchat", "feedback", "affirm", "deny", "greet")


IN_SCOPE_PREFIXES = ("ask_", "inform_")
STOPWORDS = frozenset("a an the i you he she it we they me my your our is are am be do does did to of for in on at "
                      "and or can could would will should what how when where who which there this that with "
                      "please pls hi hello".split())
VOCAB_FILE = "in_scope_vocabulary.json"
SERVICE_RANKING = "service_ranking"  # the one search of the message, read by the UnderstandingDecider


def vocabulary_units(text: str) -> List[str]:
    """English lemmas (no stop words) and Chinese character bigrams of ``text``."""
    from knowledge_base.text import is_han, tokenize

    units: List[str] = []
    for token in tokenize(text):
        lemma = token.lemma
        if not lemma or lemma.isdigit():
            continue
        if any(is_han(c) for c in lemma):
            continue
        if lemma not in STOPWORDS and re.search(r"[a-z]", lemma):
            units.append(lemma)
    for run in re.findall(r"[\u3400-\u9fff]+", _simplified(text)):
        units.extend(run[i:i + 2] for i in range(max(1, len(run) - 1)))
    return units


def _simplified(text: str) -> str:
    from knowledge_base.text import to_simplified

    return to_simplified(text)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class ServiceResolver(GraphComponent):
    """Adds ``service`` and ``district`` entities from knowledge-base search."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "min_score": 0.3,        # weakest hit taken as a service mention
            "tie_margin": 0.02,      # best and second closer than this: ambiguous, ask instead
            "override_score": 0.5,   # a mention this strong turns a refusal into a service question
            "unsure_confidence": 0.6,
            "min_coverage": 0.5,     # share of known words below which a service-less question is OOS
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 vocabulary: Optional[set] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary or set()
        self._kb = None

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ServiceResolver":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "ServiceResolver":
        try:
            with model_storage.read_from(resource) as folder:
                vocabulary = set(json.loads((folder / VOCAB_FILE).read_text(encoding="utf-8")))
        except (ValueError, FileNotFoundError):
            vocabulary = set()
        return cls(config, model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        """Keeps the vocabulary of the in-scope (service question) examples."""
        vocabulary = set()
        for example in training_data.intent_examples:
            if (example.get("intent") or "").startswith(IN_SCOPE_PREFIXES):
                vocabulary.update(vocabulary_units(example.get(TEXT) or ""))
        with self._model_storage.write_to(self._resource) as folder:
            (folder / VOCAB_FILE).write_text(json.dumps(sorted(vocabulary), ensure_ascii=False), encoding="utf-8")
        self._vocabulary = vocabulary
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def coverage(self, text: str) -> float:
        """Share of the message's words that in-scope examples also used (1.0 when no words)."""
        units = vocabulary_units(text)
        if not units or not self._vocabulary:
            return 1.0
        return sum(u in self._vocabulary for u in units) / len(units)

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
        ranked = kb.rank_services(text)
        message.set(SERVICE_RANKING, [(sid, round(float(sc), 4)) for sid, sc in ranked])
        service, score = self._resolve_service(ranked)
        if (service and score < self._config["override_score"] and not self._asks_an_aspect(text)
                and self._maybe_reject(message, text)):
            service = None  # a faint match ("多热" ~ 热线) in words no citizen uses for services
        if service:
            entities.append(self._entity("service", service, text, confidence=score))
            self._maybe_override_intent(message, score)
        else:
            self._maybe_reject(message, text)
        district = kb.find_district(text)
        if district:
            entities.append(self._entity("district", district, text))
        message.set(ENTITIES, entities, add_to_output=True)

    def _resolve_service(self, ranked: List[Tuple[str, float]]) -> Tuple[Optional[str], float]:
        if not ranked:
            return None, 0.0
        (best_id, best), rest = ranked[0], ranked[1:]
        second = rest[0][1] if rest else 0.0
        if best >= self._config["min_score"] and best - second >= self._config["tie_margin"]:
            return best_id, best
        return None, 0.0

    @staticmethod
    def _asks_an_aspect(text: str) -> bool:
        """The question words name an aspect ("车管所周六上班不": hours)."""
        from bot.components.aspect_cues import cued_aspects
        from bot.components.tokenizer import question_focus

        start, end = question_focus(text)
        return bool(cued_aspects(text[start:end]))

    def _maybe_override_intent(self, message: Message, score: float) -> None:
        intent = message.get(INTENT) or {}
        name, confidence = intent.get("name"), intent.get("confidence") or 0.0
        if score < self._config["override_score"]:
            return
        if name and (name.startswith(SERVICE_INTENT_PREFIX) or name == "inform_service"):
            if confidence < score:  # a clear service mention confirms a hesitant service question
                set_top_intent(message, name, score)
            return
        unsure = confidence < self._config["unsure_confidence"]
        if not (name in OVERRIDABLE_INTENTS or unsure):
            return
        ranking = message.get(INTENT_RANKING_KEY) or []
        aspect = next((r["name"] for r in ranking if r["name"].startswith(SERVICE_INTENT_PREFIX)),
                      "ask_overview")
        set_top_intent(message, aspect, max(score, confidence), replaced=name)

    def _maybe_reject(self, message: Message, text: str) -> bool:
        """Turns a service question in unknown words into ``out_of_scope``; True if it did."""
        intent = message.get(INTENT) or {}
        name = intent.get("name") or ""
        if not name.startswith(SERVICE_INTENT_PREFIX):
            return False
        coverage = self.coverage(text)
        if coverage >= self._config["min_coverage"]:
            return False
        set_top_intent(message, "out_of_scope", 1.0 - coverage, replaced=name)
        return True

    def _entity(self, name: str, value: str, text: str, confidence: float = 1.0) -> Dict[str, Any]:
        return {"entity": name, "value": value, "start": 0, "end": len(text),
                "confidence_entity": round(float(confidence), 4), "extractor": type(self).__name__}
