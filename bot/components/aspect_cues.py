"""Catches the intent classifier's aspect slips with the question words themselves.

If the predicted service question (``ask_<aspect>``) has none of its aspect's cue words in the
question sentence, but exactly one other aspect's cue words are there ("护照怎么办理" predicted
as *where*: no 哪里/where, but 怎么 → *how*), that aspect wins. Cue words live in
bot/aspect_cues.yml; service names and aliases are masked first, so "12345热线" or "how much can
I borrow from the housing fund" do not count as cues.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Pattern, Text, Tuple

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.intent_ranking import set_top_intent
from bot.smalltalk import cue_pattern as _pattern  # one word-or-regex syntax for every cue list

logger = logging.getLogger(__name__)
CUES_FILE = Path(__file__).resolve().parent.parent / "aspect_cues.yml"
PREFIX = "ask_"
MASK = "◇"
NOT_ASPECTS = ("weak", "switch", "question", "not_follow_up", "second_person", "fragment_filler")
FOLLOW_UP_MAX_CHARS = 12  # a Chinese fragment ("要啥条件", "換照要多少錢")
FOLLOW_UP_MAX_WORDS = 12   # an English one ("can I do it from my phone")
REMARK_MAX_CHARS = 8       # a remark before a fragment ("好的我们一起去，几点开门") ...
REMARK_MAX_WORDS = 5       # ... in English ("ok they'll go together. where"); a longer one says what it is about


@lru_cache(maxsize=1)
def _cue_file() -> Dict[str, Any]:
    return yaml.safe_load(CUES_FILE.read_text(encoding="utf-8")) or {}


@lru_cache(maxsize=1)
def aspect_cues() -> Dict[str, List[Pattern]]:
    return {aspect: [_pattern(str(e)) for e in entries] for aspect, entries in _cue_file().items()
            if aspect not in NOT_ASPECTS}


@lru_cache(maxsize=1)
def weak_cues() -> Dict[str, List[Pattern]]:
    return {aspect: [_pattern(str(e)) for e in entries] for aspect, entries in (_cue_file().get("weak") or {}).items()}


@lru_cache(maxsize=8)
def _section(name: str) -> Tuple[Pattern, ...]:
    return tuple(_pattern(str(e)) for e in _cue_file().get(name) or [])


def _words(names: Iterable[Any]) -> frozenset:
    """Normalised service names and aliases (two characters or more)."""
    from knowledge_base.text import normalize

    return frozenset(normalize(str(w)) for w in names if w and len(str(w)) > 1)


@lru_cache(maxsize=4)
def content_service_words(content_dir: str) -> frozenset:
    """The service names and aliases of the knowledge-base YAML (before any live content is seen)."""
    names = []
    for path in sorted(Path(content_dir, "services").glob("*.yml")):
        for service in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("services", []):
            for field in ("name", "aliases"):
                for lang in ("zh", "en"):
                    value = (service.get(field) or {}).get(lang)
                    names.extend(value if isinstance(value, list) else [value])
    return _words(names)


def live_service_words(services: Iterable[Any]) -> frozenset:
    """The names and aliases of the live knowledge base's services (repository records)."""
    names = []
    for service in services:
        names += [service.name.zh, service.name.en, *service.aliases.zh, *service.aliases.en]
    return _words(names)


_LIVE_WORDS: Dict[str, Any] = {"words": None}


def use_service_words(words: Optional[frozenset]) -> None:
    """Masks these names from now on (the live content: an alias staff just added is masked too)."""
    _LIVE_WORDS["words"] = words


@lru_cache(maxsize=4)
def _mentions(words: frozenset) -> Tuple[Pattern, ...]:
    """Service names and aliases (longest first) as patterns to mask."""
    names = [w for w in words if not any(p.search(w) for p in _section("question"))]  # not "结婚要带什么"
    return tuple(_pattern(w) for w in sorted(names, key=len, reverse=True))


def mask_services(norm: str) -> str:
    """``norm`` (normalised text) with service names and aliases replaced by ◇."""
    from bot.settings import Settings

    words = _LIVE_WORDS["words"] or content_service_words(str(Settings.from_env().content_dir))
    for pattern in _mentions(words):
        norm = pattern.sub(MASK, norm)
    return re.sub(MASK + r"(\s*" + MASK + ")+", MASK, norm)


def _masked(text: str) -> str:
    from knowledge_base.text import normalize

    return mask_services(normalize(text).strip())


def _is_switch(norm: str) -> bool:
    return MASK in norm and any(p.search(norm) for p in _section("switch"))


def _is_question(norm: str) -> bool:
    return any(p.search(norm) for p in _section("question"))


def _cued(norm: str) -> set:
    found = {aspect for aspect, patterns in aspect_cues().items() if any(p.search(norm) for p in patterns)}
    if not found:  # weak cues ("can I …", "能…吗") speak only when nothing else does
        found = {aspect for aspect, patterns in weak_cues().items() if any(p.search(norm) for p in patterns)}
    return found


def is_switch(text: str) -> bool:
    """"那临时身份证呢", "what about …", "I mean …": the same question about another service."""
    return _is_switch(_masked(text))


def is_question(text: str) -> bool:
    return _is_question(_masked(text))


def cued_aspects(text: str) -> set:
    """Aspects whose cues occur in ``text`` (service mentions masked)."""
    return _cued(_masked(text))


def follow_up_aspect(text: str) -> Optional[str]:
    """The aspect a short fragment asks about ("要啥条件", "what docs", "要幾耐"): exactly one
    aspect cued, the message short, and not a fragment that asks something else ("几点了").
    Read with the conversation, it is a follow-up about the service under discussion."""
    return _fragment_aspect(_masked(_without_places(text)))


def trailing_follow_up(text: str) -> Optional[str]:
    """The aspect of a fragment that ends a short message after a remark that asks nothing and
    names no service ("ok they'll go together. where", "明白了，那费用呢"); None for a fragment on its
    own (``follow_up_aspect``). The remark may still name something outside the catalogue ("南航的
    航班延误了，改签要不要加钱"): the decision layer weighs its meaning before reading it as a follow-up."""
    norm = _masked(_without_places(text))
    if "◇" in norm or _fragment_aspect(norm):
        return None
    *said, last = [c.strip() for c in re.split(r"[.!;。！；,，]+\s*", norm.rstrip(".!;。！； ")) if c.strip()] or [""]
    if not said or any(_cued(c) for c in said) or not _short(" ".join(said), REMARK_MAX_CHARS, REMARK_MAX_WORDS):
        return None
    return _fragment_aspect(last, allowed_han=1)


def _short(norm: str, max_chars: int = FOLLOW_UP_MAX_CHARS, max_words: int = FOLLOW_UP_MAX_WORDS) -> bool:
    words = re.findall(r"[a-z0-9']+", norm)
    han = sum(1 for c in norm if "\u3400" <= c <= "\u9fff")
    return not (han and han > max_chars) and len(words) <= max_words


def _fragment_aspect(norm: str, allowed_han: int = 2) -> Optional[str]:
    """The one aspect the fragment ``norm`` (masked) asks about, or None; ``allowed_han``: Chinese
    characters it may say besides its cue and filler words."""
    words = re.findall(r"[a-z0-9']+", norm)
    han = sum(1 for c in norm if "\u3400" <= c <= "\u9fff")
    if not norm or "◇" in norm or (han and han > FOLLOW_UP_MAX_CHARS) or len(words) > FOLLOW_UP_MAX_WORDS:
        return None
    if any(p.search(norm) for p in _section("not_follow_up")):
        return None
    cues = {aspect for aspect, patterns in aspect_cues().items() if any(p.search(norm) for p in patterns)}
    if len(cues) != 1:  # weak cues ("需要…吗") do not make a fragment: "我明天需要雨伞吗"
        return None
    aspect = cues.pop()
    # a condition names one thing ("what if I'm a student", "what if I only rent")
    return None if _content_left(norm, allowed_words=1 if aspect == "eligibility" else 0,
                                 allowed_han=allowed_han) else aspect


@lru_cache(maxsize=1)
def _filler() -> Tuple[frozenset, frozenset]:
    spec = _cue_file().get("fragment_filler") or {}
    return frozenset(str(w) for w in spec.get("en") or ()), frozenset("".join(spec.get("zh") or ()))


def _without_places(text: str) -> str:
    """``text`` without the offices every service has ("周六民政局上班不": the office of the service
    under discussion, not a service named); fragment_filler.places in aspect_cues.yml."""
    from knowledge_base.text import normalize

    norm = normalize(text or "")
    for place in (_cue_file().get("fragment_filler") or {}).get("places") or ():
        norm = norm.replace(str(place), " ")
    return norm


def _content_left(norm: str, allowed_words: int = 0, allowed_han: int = 2) -> bool:
    """Whether ``norm`` says more than its question words: an English word or more than two Chinese
    characters left once every cue and filler word is taken out ("how much is a coffee": coffee)."""
    rest = norm
    for patterns in aspect_cues().values():
        for p in patterns:
            rest = p.sub(" ", rest)
    for place in (_cue_file().get("fragment_filler") or {}).get("places") or ():
        rest = rest.replace(str(place), " ")
    en_filler, zh_filler = _filler()
    words = [w for w in re.findall(r"[a-z][a-z']*", rest) if w not in en_filler]
    han = [c for c in rest if "\u3400" <= c <= "\u9fff" and c not in zh_filler]
    return len(words) > allowed_words or len(han) > allowed_han


def addresses_the_assistant(text: str) -> bool:
    """The message speaks to the assistant ("where are you", "你几岁"): small talk, not a follow-up."""
    norm = _masked(text)
    return any(p.search(norm) for p in _section("second_person"))


def checked_intent(text: str, name: str, ranking: Optional[Dict[str, float]] = None) -> str:
    """The service question ``name`` (``ask_<aspect>`` or ``inform_service``) after checking it
    against the cues of the question sentence. When the question words cue several other aspects
    but not ``name``'s, the one the classifier ranks highest among them wins (``ranking``: intent
    → confidence; without it, ``name`` stays)."""
    from bot.components.tokenizer import question_focus
    from bot.understanding.focus import question_clauses

    start, end = question_focus(text)
    focus = _masked(text[start:end])
    cues = _cued(focus)
    if name == "inform_service":  # "也要做住宿登记吗" is a question, not a switch
        return PREFIX + cues.pop() if len(cues) == 1 and not _is_switch(focus) else name
    aspect = name[len(PREFIX):]
    if not cues:
        if _is_switch(focus):
            return "inform_service"
        if aspect != "overview" and not is_question(text):
            return PREFIX + "overview"
        return name
    if len(cues) > 1:
        # "残联电话老打不通，12345那边能在网上留言问不": the cues of the clauses that ask, not of the
        # story around them ("the phone is never answered" asks nothing about phones)
        asked = set().union(*(_cued(_masked(c)) for c in question_clauses(text[start:end])))
        if asked and asked < cues:
            cues = asked
    if aspect in cues:
        return name
    if len(cues) == 1:
        return PREFIX + cues.pop()
    if not ranking:
        return name
    return PREFIX + max(sorted(cues), key=lambda cued: ranking.get(PREFIX + cued, 0.0))


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
        self._refresh_service_words()
        for message in messages:
            self._check(message)
        return messages

    def _refresh_service_words(self) -> None:
        """Masks the live knowledge base's names (refreshed when its content version changes)."""
        try:
            from knowledge_base import repository

            if getattr(self, "_kb", None) is None:
                from knowledge_base.access import KnowledgeBaseAccess

                self._kb = KnowledgeBaseAccess.from_settings()
            version = self._kb.content_version()
            if version != getattr(self, "_version", None):
                with self._kb.session() as session:
                    use_service_words(live_service_words(repository.list_services(session)) or None)
                self._version = version
        except Exception:  # the knowledge base being down must not break understanding
            logger.warning("aspect cues: live service names unavailable; using the content files")

    def _check(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        name = intent.get("name") or ""
        text = message.get(TEXT) or ""
        if not (name.startswith(PREFIX) or name == "inform_service") or text.startswith("/"):
            return
        ranking = {e.get("name"): float(e.get("confidence") or 0.0)
                   for e in message.get(INTENT_RANKING_KEY) or [] if e.get("name")}
        corrected = checked_intent(text, name, ranking)
        if corrected != name:
            set_top_intent(message, corrected, intent.get("confidence") or 0.0, replaced=name)
