"""One tokenizer for both languages: jieba for Chinese runs, spaCy lemmas for Latin runs.

Traditional characters are mapped to Simplified inside tokens (offsets stay those of the
original text), so a model trained on Simplified examples understands Traditional input.

Citizens often tell a story first and ask at the end ("My son turned 18 ... how long does it
take?"). For a message of several sentences, only the question sentence is tokenized, so the
intent classifier sees what is asked; the service resolver still reads the whole message.

Only the first ``MAX_UNDERSTOOD_CHARS`` characters are ever tokenized (the LanguageDetector before
this component already cuts longer texts; this keeps the bound if the pipeline changes).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.components.language import MAX_UNDERSTOOD_CHARS
from bot.settings import Settings
from knowledge_base import text as kb_text


def knowledge_base_words(content_dir) -> List[str]:
    """jieba user-dictionary words from the knowledge-base YAML: the same words the search adds
    (service names, aliases, regional terms), so training and serving cut Chinese alike."""
    import yaml

    from knowledge_base.search import dictionary_words

    services: List[dict] = []
    for path in sorted((content_dir / "services").glob("*.yml")):
        services.extend((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("services", []))
    return dictionary_words(services)


_SENTENCE_END = re.compile(r"[。！？!?；;]+|(?<=[a-z0-9\)])\.(?=\s)", re.IGNORECASE)
# A sentence asks with a question mark, a Chinese question word, an English question word, or an
# English auxiliary that opens it ("can I ..."): "they are holding my passport" does not ask.
_QUESTION = re.compile(r"[?？]|吗|呢|怎么|如何|哪|多少|多久|几|什么|\b(how|what|where|when|who|which)\b"
                       r"|^\s*(?:and |but |so |also )?(can|could|do|does|did|is|are|should|will|would|may|must)\b",
                       re.IGNORECASE)
FOCUS_MIN_LENGTH = 40
SHORT_SENTENCE = 15


def question_focus(text: str) -> Tuple[int, int]:
    """The span of the sentence that asks, for a long message of several sentences (else all)."""
    if len(text) < FOCUS_MIN_LENGTH:
        return 0, len(text)
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text)))
    spans = [(a, b) for a, b in spans if text[a:b].strip()]
    if len(spans) < 2:
        return 0, len(text)
    asking = [sp for sp in spans if _QUESTION.search(text[sp[0]:sp[1]])] or spans
    start, end = asking[-1]
    if end - start < SHORT_SENTENCE and len(asking) > 1:  # "…能在这边开吗？还是得回老家开？"
        start = asking[-2][0]
    return start, end


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class BilingualTokenizer(Tokenizer):
    """jieba + spaCy tokenizer that keeps knowledge-base service names whole."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **Tokenizer.get_default_config(),
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """What Rasa's training cache cannot see: the regional rewrites applied before cutting, the
        knowledge-base words jieba keeps whole and this module's own code (how the question sentence
        is found): a change retrains what reads the tokens."""
        import hashlib

        from knowledge_base.text import _REGIONAL_FILE

        words = "\n".join(sorted(set(knowledge_base_words(Settings.from_env().content_dir))))
        return hashlib.sha256(_REGIONAL_FILE.read_bytes() + words.encode("utf-8")
                              + Path(__file__).read_bytes()).hexdigest()[:16]

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "BilingualTokenizer":
        kb_text.add_words(knowledge_base_words(Settings.from_env().content_dir))
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = (message.get(attribute) or "")[:MAX_UNDERSTOOD_CHARS]
        start, end = question_focus(text)
        tokens = [Token(t.text, t.start, end=t.end, lemma=t.lemma) for t in kb_text.tokenize(text)
                  if t.start >= start and t.end <= end]
        if not tokens and text.strip():
            # emoji-only or punctuation-only text still needs one token for featurizers
            tokens = [Token(text.strip()[:50], 0, end=min(len(text), 50))]
        return self._apply_token_pattern(tokens)
