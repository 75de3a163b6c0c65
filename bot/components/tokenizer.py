"""One tokenizer for both languages: jieba for Chinese runs, spaCy lemmas for Latin runs.

Traditional characters are mapped to Simplified inside tokens (offsets stay those of the
original text), so a model trained on Simplified examples understands Traditional input.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

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
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "BilingualTokenizer":
        kb_text.add_words(knowledge_base_words(Settings.from_env().content_dir))
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        tokens = [Token(t.text, t.start, end=t.end, lemma=t.lemma) for t in kb_text.tokenize(text)]
        if not tokens and text.strip():
            # emoji-only or punctuation-only text still needs one token for featurizers
            tokens = [Token(text.strip()[:50], 0, end=min(len(text), 50))]
        return self._apply_token_pattern(tokens)
