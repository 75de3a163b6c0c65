"""The custom Rasa graph components: language detection, bilingual tokenizer, service resolver."""
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.language import LanguageDetector
from bot.components.service_resolver import ServiceResolver
from bot.components.tokenizer import BilingualTokenizer
from knowledge_base.access import KnowledgeBaseAccess


@pytest.fixture
def context():
    return ExecutionContext(GraphSchema({}), "test")


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def entities(message, name):
    return [e["value"] for e in message.get(ENTITIES, []) if e["entity"] == name]


@pytest.mark.parametrize("text,lang,script", [
    ("护照怎么办理？", "zh", "simplified"),
    ("護照怎麼辦理？", "zh", "traditional"),
    ("How do I apply for a passport?", "en", "simplified"),
    ("我想办 passport", "zh", "simplified"),
])
def test_language_detector(storage, context, text, lang, script):
    detector = LanguageDetector.create({}, storage, Resource("lang"), context)
    (msg,) = detector.process([Message(data={TEXT: text})])
    assert entities(msg, "language") == [lang]
    assert entities(msg, "script") == [script]


def test_language_switch_in_metadata_wins(storage, context):
    detector = LanguageDetector.create({}, storage, Resource("lang"), context)
    (msg,) = detector.process([Message(data={TEXT: "/greet", "metadata": {"language": "en"}})])
    assert entities(msg, "language") == ["en"]


@pytest.mark.parametrize("text", ["护照怎么办理？", "護照怎麼辦理？", "How do I renew my passports?", "我想办 passport",
                                  "😀😀", "a" * 5000])
def test_tokenizer_offsets_match_the_text(storage, context, text):
    tokenizer = BilingualTokenizer.create(BilingualTokenizer.get_default_config(), storage, Resource("tok"), context)
    tokens = tokenizer.tokenize(Message(data={TEXT: text}), TEXT)
    assert tokens
    for t in tokens:
        assert 0 <= t.start < t.end <= len(text)


def test_tokenizer_maps_traditional_to_simplified_lemmas(storage, context):
    tokenizer = BilingualTokenizer.create(BilingualTokenizer.get_default_config(), storage, Resource("tok"), context)
    trad = [t.lemma for t in tokenizer.tokenize(Message(data={TEXT: "護照怎麼辦理"}), TEXT)]
    simp = [t.lemma for t in tokenizer.tokenize(Message(data={TEXT: "护照怎么办理"}), TEXT)]
    assert trad == simp


@pytest.fixture
def resolver(kb_url, storage, context, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", kb_url)
    component = ServiceResolver.create({}, storage, Resource("resolver"), context)
    component._kb = KnowledgeBaseAccess(kb_url)
    examples = [Message(data={TEXT: t, INTENT: i}) for t, i in [
        ("护照怎么办理", "ask_how"), ("要带什么材料", "ask_materials"), ("在哪里办", "ask_where"),
        ("how do I apply for a passport", "ask_how"), ("what documents do I need", "ask_materials"),
        ("what's the weather", "out_of_scope")]]
    component.train(TrainingData(training_examples=examples))
    return component


def parsed(text, intent="ask_how", confidence=0.9):
    return Message(data={TEXT: text, INTENT: {"name": intent, "confidence": confidence},
                         "intent_ranking": [{"name": intent, "confidence": confidence},
                                            {"name": "ask_materials", "confidence": 0.05}]})


@pytest.mark.parametrize("text,service", [
    ("护照怎么办理？", "passport_application"),
    ("護照怎麼辦理？", "passport_application"),
    ("How do I apply for a passport?", "passport_application"),
    ("公积金提取要带什么", "housing_fund_withdrawal"),
    ("no, I meant the housing fund loan, not the withdrawal", "housing_fund_loan"),
])
def test_resolver_names_the_service(resolver, text, service):
    (msg,) = resolver.process([parsed(text)])
    assert entities(msg, "service") == [service]


def test_resolver_finds_the_district(resolver):
    (msg,) = resolver.process([parsed("湖滨区哪里能办护照", "ask_where")])
    assert entities(msg, "district") == ["hubin"]


def test_a_clear_service_question_is_not_refused(resolver):
    (msg,) = resolver.process([parsed("我的护照过期了要换", "out_of_scope", 0.7)])
    assert msg.get(INTENT)["name"].startswith("ask_")
    assert entities(msg, "service") == ["passport_renewal"]


def test_a_serviceless_question_in_unknown_words_is_refused(resolver):
    (msg,) = resolver.process([parsed("set a timer for ten minutes", "ask_duration")])
    assert msg.get(INTENT)["name"] == "out_of_scope"
    assert entities(msg, "service") == []


def test_a_follow_up_in_known_words_is_kept(resolver):
    (msg,) = resolver.process([parsed("要带什么材料？", "ask_materials")])
    assert msg.get(INTENT)["name"] == "ask_materials"


def test_the_vocabulary_survives_persistence(resolver, storage, context):
    loaded = ServiceResolver.load({}, storage, Resource("resolver"), context)
    assert loaded.coverage("要带什么材料") == 1.0
    assert loaded.coverage("set a timer for ten minutes") < 0.5


def test_a_hesitant_service_question_with_a_clear_service_is_kept(resolver):
    (msg,) = resolver.process([parsed("how do I renew my driving licence", "ask_how", 0.3)])
    assert msg.get(INTENT)["name"] == "ask_how"
    assert msg.get(INTENT)["confidence"] >= 0.5


@pytest.mark.parametrize("text,focus", [
    ("护照怎么办理？", "护照怎么办理？"),
    ("下个月公司安排我去泰国出差，我长这么大还没出过国，手上没有护照。现在去办还来得及吗，一般多久能拿到？",
     "现在去办还来得及吗，一般多久能拿到？"),
    ("My son just turned 18 and has never had a passport. He leaves in May. How long does it take?",
     "How long does it take?"),
    # a statement after the question does not ask, though it has "are" in it
    ("how long does the residence permit take? they are holding my passport and I need to travel soon",
     "how long does the residence permit take?"),
])
def test_long_messages_focus_on_the_question(text, focus):
    from bot.components.tokenizer import question_focus

    start, end = question_focus(text)
    assert text[start:end].strip() == focus


@pytest.mark.parametrize("text,predicted,expected", [
    ("护照怎么办理？", "ask_where", "ask_how"),          # no 哪里/where; 怎么办 says how
    ("How much does it cost?", "ask_duration", "ask_fee"),
    ("在哪里办，要带什么材料", "ask_where", "ask_where"),  # two aspects cued: the prediction stands
    ("护照", "ask_overview", "ask_overview"),              # no cue at all: the prediction stands
    ("要带什么材料", "ask_materials", "ask_materials"),
])
def test_aspect_cues_fix_slips_only(storage, context, text, predicted, expected):
    from bot.components.aspect_cues import AspectCueChecker

    checker = AspectCueChecker.create({}, storage, Resource("cues"), context)
    (msg,) = checker.process([parsed(text, predicted)])
    assert msg.get(INTENT)["name"] == expected


def test_a_faint_service_with_an_aspect_question_is_not_refused(resolver):
    """"车管所周六上班不": a faint service match (车管所) in words the examples never used, but
    the question words ask about opening hours — kept, not refused as out of scope."""
    (msg,) = resolver.process([parsed("车管所周六上班不", "ask_hours", 0.6)])
    assert msg.get(INTENT)["name"] == "ask_hours"
    assert entities(msg, "service")


def test_confirming_an_intent_moves_it_to_the_top_of_the_ranking(resolver):
    """The fallback classifier reads the ranking: a confirmed intent must lead it clearly."""
    msg = parsed("社保卡", "inform_service", 0.12)
    msg.set("intent_ranking", [{"name": "inform_service", "confidence": 0.12},
                               {"name": "ask_overview", "confidence": 0.09}])
    (msg,) = resolver.process([msg])
    ranking = msg.get("intent_ranking")
    assert ranking[0]["name"] == msg.get(INTENT)["name"] == "inform_service"
    assert ranking[0]["confidence"] - ranking[1]["confidence"] > 0.3
    assert entities(msg, "service") == ["social_security_card"]
