"""A very long message (e.g. through /model/parse) is understood from its first 2,000 characters:
the language detector cuts the text every later component reads, the tokenizer never reads more."""
import time

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.language import MAX_UNDERSTOOD_CHARS, LanguageDetector
from bot.components.tokenizer import BilingualTokenizer

HUGE = 2_000_000


@pytest.fixture
def context():
    return ExecutionContext(GraphSchema({}), "test")


@pytest.fixture
def detector(tmp_path, context):
    return LanguageDetector.create({}, LocalModelStorage(tmp_path), Resource("lang"), context)


@pytest.fixture
def tokenizer(tmp_path, context):
    return BilingualTokenizer.create(BilingualTokenizer.get_default_config(), LocalModelStorage(tmp_path),
                                     Resource("tok"), context)


def seconds(f, *args):
    start = time.process_time()
    result = f(*args)
    return time.process_time() - start, result


@pytest.mark.parametrize("unit", ["a", "passport fee ", "护照怎么办理", "a@"])
def test_huge_message_is_cut_for_the_pipeline(detector, tokenizer, unit):
    text = (unit * (HUGE // len(unit) + 1))[:HUGE]
    limit = text[:MAX_UNDERSTOOD_CHARS]
    t_limit, _ = seconds(lambda: tokenizer.tokenize(detector.process([Message(data={TEXT: limit})])[0], TEXT))
    message = Message(data={TEXT: text})
    t_huge, tokens = seconds(lambda: tokenizer.tokenize(detector.process([message])[0], TEXT))
    assert message.get(TEXT) == limit
    assert all(e["end"] <= MAX_UNDERSTOOD_CHARS for e in message.get(ENTITIES))
    assert tokens and all(t.end <= MAX_UNDERSTOOD_CHARS for t in tokens)
    assert t_huge < 10 * t_limit + 0.5  # the size of the message no longer matters


def test_tokenizer_alone_reads_at_most_the_limit(tokenizer):
    tokens = tokenizer.tokenize(Message(data={TEXT: "护照 " * HUGE}), TEXT)
    assert tokens and max(t.end for t in tokens) <= MAX_UNDERSTOOD_CHARS


@pytest.mark.parametrize("text", ["护照怎么办理？", "How do I renew my passport?", "x" * MAX_UNDERSTOOD_CHARS, ""])
def test_messages_up_to_the_limit_are_left_alone(detector, tokenizer, text):
    message = Message(data={TEXT: text})
    detector.process([message])
    assert message.get(TEXT) == text
