"""The aspect cue checker: question words overrule aspect slips, statements are overviews,
"那X呢" / "what about X" / "I mean X" keep the aspect, and the cue lists agree with the training data."""
from collections import Counter
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.aspect_cues import AspectCueChecker, checked_intent, cued_aspects

ROOT = Path(__file__).resolve().parents[2]


def parsed(text, intent, confidence=0.9, runner_up=("ask_materials", 0.05)):
    return Message(data={TEXT: text, INTENT: {"name": intent, "confidence": confidence},
                         INTENT_RANKING_KEY: [{"name": intent, "confidence": confidence},
                                              {"name": runner_up[0], "confidence": runner_up[1]}]})


@pytest.fixture
def checker(tmp_path):
    return AspectCueChecker.create({}, LocalModelStorage(tmp_path), Resource("cues"),
                                   ExecutionContext(GraphSchema({}), "test"))


@pytest.mark.parametrize("lang,text,predicted,expected", [
    ("zh", "护照怎么办理？", "ask_where", "ask_how"),
    ("en", "How much does it cost?", "ask_duration", "ask_fee"),
    ("zh", "社保卡补办要多久", "ask_fee", "ask_duration"),
    ("en", "what time does the office open on Saturday", "ask_where", "ask_hours"),
    ("zh-Hant", "港澳通行證可以在網路上申請嗎", "ask_eligibility", "ask_online"),
    ("zh", "居住证需要满足什么条件", "ask_materials", "ask_eligibility"),
    ("en", "can my wife apply for it too", "ask_online", "ask_eligibility"),     # weak cue, nothing else
    ("zh", "我朋友能办吗", "ask_hours", "ask_eligibility"),
])
def test_cues_overrule_a_slip(checker, lang, text, predicted, expected):
    (msg,) = checker.process([parsed(text, predicted)])
    assert msg.get(INTENT)["name"] == expected
    ranking = msg.get(INTENT_RANKING_KEY)
    assert ranking[0]["name"] == expected
    assert all(r["confidence"] <= 1 - msg.get(INTENT)["confidence"] for r in ranking if r["name"] == predicted)


@pytest.mark.parametrize("lang,text,predicted", [
    ("zh", "在哪里办，要带什么材料", "ask_where"),     # two aspects cued: the prediction stands
    ("en", "where do I go and what do I bring", "ask_materials"),
    ("zh", "要带什么材料", "ask_materials"),           # the prediction has its cue
    ("en", "can I pay by card?", "ask_fee"),          # a weak cue never beats a strong one
    ("zh", "护照能加急吗", "ask_duration"),
    ("en", "free legal advice", "ask_overview"),                          # a service name is no cue
    ("zh", "市长热线", "ask_overview"),
])
def test_predictions_with_support_stand(checker, lang, text, predicted):
    (msg,) = checker.process([parsed(text, predicted)])
    assert msg.get(INTENT)["name"] == predicted


@pytest.mark.parametrize("lang,text", [
    ("zh", "我在江州买了房，想把老家的户口迁过来"),
    ("zh-Hant", "我的身分證快到期了要換"),
    ("en", "my passport expired last month"),
    ("en", "I just moved here from Spain and need a work permit"),
])
def test_a_statement_without_cues_is_an_overview(checker, lang, text):
    (msg,) = checker.process([parsed(text, "ask_duration")])
    assert msg.get(INTENT)["name"] == "ask_overview"


@pytest.mark.parametrize("lang,text", [
    ("zh", "来不及了，那临时身份证呢"),
    ("zh", "那港澳通行证呢？"),
    ("mixed", "那 residence permit 呢"),
    ("en", "and the residence permit?"),
    ("en", "what about the Taiwan permit"),
    ("en", "wait, I mean the property transfer, we're selling our flat"),
    ("zh", "不好意思，我是说结婚登记"),
])
def test_switching_or_correcting_the_service_keeps_the_aspect(checker, lang, text):
    (msg,) = checker.process([parsed(text, "ask_who")])
    assert msg.get(INTENT)["name"] == "inform_service"


@pytest.mark.parametrize("lang,text,expected", [
    ("zh", "亲戚来我家住，也要做住宿登记吗", "ask_eligibility"),   # a question, not a switch
    ("en", "where do I register as a foreigner", "ask_where"),
    ("zh", "那港澳通行证呢", "inform_service"),                     # a switch stays one
    ("en", "what about the passport", "inform_service"),
])
def test_a_service_mention_with_a_question_is_a_question(checker, lang, text, expected):
    (msg,) = checker.process([parsed(text, "inform_service")])
    assert msg.get(INTENT)["name"] == expected


def test_other_intents_are_left_alone(checker):
    (msg,) = checker.process([parsed("护照怎么办理", "greet")])
    assert msg.get(INTENT)["name"] == "greet"


@pytest.mark.parametrize("text, predicted, ranking, expected", [
    # two aspects cued, the predicted one not: the classifier's own order among the cued ones
    ("公积金贷款去哪个网点申请，几点开门", "ask_duration", {"ask_hours": 0.2, "ask_where": 0.3}, "ask_where"),
    ("公积金贷款去哪个网点申请，几点开门", "ask_duration", {"ask_hours": 0.3, "ask_where": 0.2}, "ask_hours"),
    ("what documents and how much for a passport", "ask_where", {"ask_fee": 0.4, "ask_materials": 0.1}, "ask_fee"),
    # without a ranking, or with the predicted aspect cued, the prediction stays
    ("公积金贷款去哪个网点申请，几点开门", "ask_duration", None, "ask_duration"),
    ("公积金贷款去哪个网点申请，几点开门", "ask_where", {"ask_hours": 0.9}, "ask_where"),
])
def test_several_cued_aspects_are_settled_by_the_classifier_ranking(text, predicted, ranking, expected):
    assert checked_intent(text, predicted, ranking) == expected


@pytest.mark.parametrize("text, aspect", [
    ("公积金贷款去哪个网点申请", "where"),          # 网点申请 is not Cantonese 点申请 (how)
    ("养老金要怎么去领", "how"),                  # 怎么去领: how to claim, not how to get there
    ("怎么去车管所", "where"),
    ("要交满几个月才可以贷款", "eligibility"),
    ("他腿脚不方便，我能替他去办吗", "eligibility"),  # someone acting for the citizen
    ("办居住证是找派出所还是找社区", "who"),
    ("外地人办居住证要多久", "duration"),            # the condition is no question of its own
    ("要帶啲咩", "materials"),                        # Cantonese: what (stuff) to bring
    ("不用去现场能办吗", "online"),
    ("驾照换证能不能在12123上弄", "online"),        # 能不能 is only the modal here
    ("出生证明在医院哪个科室领", "where"),
    ("12345热线是干啥的", "overview"),              # 热线 is the service's own name
    ("12345热线半夜有人接吗", "hours"),
    ("去劳动仲裁使唔使俾錢", "fee"),                  # Cantonese: must one pay?
    ("How do we get the medical costs reimbursed?", "how"),
    ("register as getihu for a small stall, how", "how"),
    ("手机上咋弄", "online"),                        # how, but on the phone: online
    ("网上怎么申请", "online"),
    ("is the hotline open at night", "hours"),
    # what a thing is, in everyday wording
    ("低保到底是咋回事", "overview"),
    ("这个证明是干啥用的", "overview"),
    ("居住证係咩嚟", "overview"),
    ("公积金贷款跟商业贷款有何不同", "overview"),
    ("what does the housing fund actually mean", "overview"),
    ("could u explain what a residence permit is", "overview"),
    ("hw much is the new passport", "fee"),
    ("办这个要交啥钱不", "fee"),
    ("who runs the hotline", "who"),
    ("到底该上哪个派出所", "where"),
])
def test_families_of_question_words(text, aspect):
    assert cued_aspects(text) == {aspect}


@pytest.mark.parametrize("text", ["how do I pay the fine", "I need money to pay my rent"])
def test_paying_a_fine_or_rent_is_not_a_price_question(text):
    assert "fee" not in cued_aspects(text)


def test_cues_match_the_words_not_the_service_names():
    assert cued_aspects("政务热线是做什么的") == {"overview"}
    assert cued_aspects("结婚要带什么") == {"materials"}
    assert "fee" not in cued_aspects("I want free legal advice")


def test_the_cue_lists_agree_with_the_training_examples():
    """Run over every generated service question: the checker must leave ≥ 99 % of the
    labels alone (a cue that contradicts the training data is a wrong cue)."""
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from generate_nlu import generate

    blocks = generate(ROOT / "knowledge_base" / "content", ROOT / "data" / "templates" / "service_questions.yml",
                      ROOT / "no-shared-data", per=4, seed=7)
    changed, total = Counter(), Counter()
    for intent, examples in blocks.items():
        if not intent.startswith("ask_") and intent != "inform_service":
            continue
        for text in examples:
            total[intent] += 1
            changed[intent] += checked_intent(text, intent) != intent
    for intent in total:
        assert changed[intent] / total[intent] <= 0.02, (intent, changed[intent], total[intent])
    assert sum(changed.values()) / sum(total.values()) <= 0.01


def test_an_alias_staff_just_added_is_masked_at_once():
    """Masking follows the live knowledge base, not only the content files."""
    from bot.components.aspect_cues import content_service_words, use_service_words
    from bot.settings import Settings

    assert cued_aspects("开店流程有什么用") == {"how"}
    use_service_words(content_service_words(str(Settings.from_env().content_dir)) | {"开店流程"})
    try:
        assert cued_aspects("开店流程有什么用") == {"overview"}
    finally:
        use_service_words(None)


def test_the_checker_reads_the_live_names(kb_url, monkeypatch):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from bot.components import aspect_cues
    from knowledge_base.access import KnowledgeBaseAccess

    monkeypatch.setenv("DATABASE_URL", kb_url)
    checker = AspectCueChecker.create({}, LocalModelStorage(Path("/tmp")), Resource("cues"),
                                      ExecutionContext(GraphSchema({}), "t"))
    checker._kb = KnowledgeBaseAccess(kb_url)
    try:
        checker.process([])
        assert "普通护照申领" in aspect_cues._LIVE_WORDS["words"]
    finally:
        aspect_cues.use_service_words(None)


@pytest.mark.parametrize("text,aspect", [
    ("要帶啲咩", "materials"),
    ("how do I sign up", "how"),
    ("which department do we talk to", "who"),
])
def test_short_follow_ups_in_everyday_words(text, aspect):
    from bot.components.aspect_cues import follow_up_aspect

    assert follow_up_aspect(text) == aspect


def test_whether_one_must_go_is_not_an_online_cue():
    assert "online" not in cued_aspects("另外他住我家，用不用去派出所登记啊")


@pytest.mark.parametrize("text,predicted,expected", [
    ("I'm opening a home bakery, do I need a food business license", "ask_hours", "ask_eligibility"),
    ("What exactly is a temporary resident ID card?", "ask_where", "ask_overview"),
    ("Can foreign children enroll in a public primary school here?", "ask_where", "ask_eligibility"),
])
def test_an_aspect_slip_is_caught_by_the_question_words(text, predicted, expected):
    assert checked_intent(text, predicted) == expected


def test_a_weekday_alone_is_no_question_about_opening_hours():
    """"flying on friday" says when the citizen travels; "open on friday" asks about the office."""
    assert cued_aspects("i need one before my trip, we leave on monday, can i still get it") != {"hours"}
    assert cued_aspects("are you open on friday afternoon") == {"hours"}


@pytest.mark.parametrize("text,aspect", [
    ("周六民政局上班不", "hours"),        # the department of the service under discussion
    ("民政局在哪", "where"),
    ("出入境几点下班", "hours"),
])
def test_a_follow_up_naming_only_the_office_is_still_a_follow_up(text, aspect):
    from bot.components.aspect_cues import follow_up_aspect

    assert follow_up_aspect(text) == aspect


@pytest.mark.parametrize("text,predicted,expected", [
    # the cue of a clause that only tells the story ("the phone is never answered") does not count
    ("残联电话老打不通，12345那边能在网上留言问不", "ask_who", "ask_online"),
    ("我电话打不通，网上能办不", "ask_who", "ask_online"),
    ("护照在哪办，要带什么", "ask_where", "ask_where"),      # two questions: the classifier's stands
])
def test_the_clause_that_asks_decides_between_cued_aspects(text, predicted, expected):
    assert checked_intent(text, predicted) == expected
