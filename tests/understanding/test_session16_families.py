"""Families of wording added on session 16's development sets (not their sentences): English loss
wording, pinyin read by the encoder, the search's plain lead, documents to bring, aspect fragments,
requests of other jurisdictions and private insurers, life-event siblings."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.components.aspect_cues import follow_up_aspect
from bot.understanding.context import announces_another_need, refine, service_in_the_story
from bot.understanding.decision import Evidence, decide
from bot.understanding.encoder import semantic_form
from bot.understanding.focus import only_as_material
from bot.understanding.scope import outside_scope
from bot.understanding.semantic import OUT_OF_SCOPE, SemanticEvidence
from bot.understanding.topics import broad_topic, told_events
from knowledge_base.eval_search import load_content
from knowledge_base.search import Searcher

CONTENT = Path(__file__).resolve().parents[2] / "knowledge_base" / "content"


@pytest.fixture(scope="module")
def searcher() -> Searcher:
    return Searcher(*load_content(CONTENT))


@pytest.fixture(scope="module")
def phrases():
    """(normalised name or alias, service id), longest first, as KnowledgeBaseAccess.service_phrases."""
    from knowledge_base.text import normalize

    pairs = {(normalize(p), s["id"]) for s in load_content(CONTENT)[0]
             for p in (s["name"]["zh"], s["name"]["en"], *s["aliases"].get("zh", []), *s["aliases"].get("en", [])) if p}
    return tuple(sorted(pairs, key=lambda pair: (-len(pair[0]), pair)))


@pytest.mark.parametrize("text,expected", [
    ("she left her ID card in a taxi and never got it back, how to get a new one", "id_card_replacement"),
    ("can't find my ID card anywhere, what now", "id_card_replacement"),
    ("my ID card is gone, how to get a new one", "id_card_replacement"),
    ("I dropped my passport on the metro last week", "passport_renewal"),
])
def test_english_loss_wording_reads_as_lost(searcher, text, expected):
    assert searcher.search(text, limit=1)[0].service_id == expected


@pytest.mark.parametrize("text,expected", [
    ("想开个getihu小卖部", "想开个个体户小卖部"),                       # an alias's pinyin, for the encoder only
    ("how long does a gjj loan take", "how long does a housing fund loan take"),  # initials in English text
    ("shengyu dengji online?", "birth registration online?"),
])
def test_the_encoder_reads_pinyin_as_what_it_names(text, expected):
    assert semantic_form(text) == expected


def test_initials_in_english_text_reach_the_search(searcher):
    assert searcher.search("how many weeks gjj loan approval", limit=1)[0].service_id == "housing_fund_loan"


def _meaning(margin: float, gate: float = 0.3, **services: float) -> SemanticEvidence:
    return replace(SemanticEvidence({**services, OUT_OF_SCOPE: 0.8}), out_of_scope_probability=gate,
                   refusal_margin=margin)


@pytest.mark.parametrize("margin,expected", [(-0.02, "passport_application"), (-0.004, None)])
def test_a_refused_question_whose_search_plainly_leads_is_answered(margin, expected):
    """The classifier refused; the words name one service far ahead of the next, the meaning ranks it
    among its nearest: answered, unless the nearest examples are about as close to refusals."""
    meaning = _meaning(margin, passport_renewal=0.888, passport_application=0.872, hk_macau_permit=0.86)
    e = Evidence(intent="out_of_scope", confidence=1.0, lexical=(("passport_application", 0.49),
                 ("passport_renewal", 0.155)), aspect_intent="ask_fee", semantic=lambda: meaning)
    d = decide(e)
    assert d.service == expected
    if expected:
        assert d.intent == "ask_fee" and "plainly leads" in d.reason
    else:
        assert "plainly leads" not in d.reason


@pytest.mark.parametrize("text,services,expected", [
    ("结婚证也得带着？", {"marriage_registration"}, True),
    ("my passport too?", {"passport_application", "passport_renewal"}, True),
    ("她的户口本和身份证copy要带吗", {"hukou_transfer", "newborn_hukou_registration"}, True),
    ("does my birth certificate need translating?", {"birth_medical_certificate"}, True),
    ("the residence permit too?", {"residence_permit"}, False),   # no possessive: maybe a new request
    ("户口和身份证怎么办", {"hukou_transfer", "newborn_hukou_registration"}, False),
])
def test_documents_named_as_things_to_bring(phrases, text, services, expected):
    assert only_as_material(text, services, phrases) is expected


@pytest.mark.parametrize("text,aspect", [
    ("上哪开", "where"), ("得拿些啥证件去", "materials"), ("what is it exactly", "overview"),
    ("are foreign kids allowed", "eligibility"), ("周六上班吗", "hours"),
])
def test_aspect_fragments(text, aspect):
    assert follow_up_aspect(text) == aspect


@pytest.mark.parametrize("text", ["我是外地人，在江州上班", "hey, quick qs about the shebao card"])
def test_words_that_only_look_like_aspect_cues(text):
    """Working somewhere is not the office's hours; a quick question is not about speed."""
    from bot.components.aspect_cues import cued_aspects

    assert not {"hours", "duration"} & cued_aspects(text)


@pytest.mark.parametrize("text,family", [
    ("香港特區護照續期點做？", "foreign_document"),
    ("台灣駕照換照要去哪個監理站？", "foreign_procedure"),
    ("Taiwan的labor insurance怎么申请", "foreign_procedure"),
    ("Singapore employment pass renewal, how many weeks", "foreign_visa"),
    ("AXA travel insurance claim for lost luggage", "commercial"),
    ("车险怎么理赔", "commercial"),
])
def test_requests_for_other_jurisdictions_and_private_insurers_are_outside(text, family):
    cue = outside_scope(text)
    assert cue is not None and cue.family == family


@pytest.mark.parametrize("text", ["我有商业保险，医保报销后还能报吗", "my wife's medical insurance reimbursement"])
def test_public_insurance_stays_inside(text):
    assert outside_scope(text) is None


def test_a_told_life_event_picks_its_service():
    text = "拿到以后就该去上户口了吧"
    events = told_events("老婆前天在妇幼生了个闺女，接下来一堆手续")
    assert events == {"new_baby"}
    assert service_in_the_story(events, "hukou_transfer", {"newborn_hukou_registration"}, text) == "newborn_hukou_registration"
    # the message describes the named service's own situation
    assert service_in_the_story(events, "hukou_transfer", {"newborn_hukou_registration"}, "我想把户口迁过来") is None
    # no story, or a story the named service belongs to
    assert service_in_the_story(set(), "hukou_transfer", {"newborn_hukou_registration"}, text) is None
    assert service_in_the_story(told_events("打算卖掉江州的房子"), "housing_fund_withdrawal",
                                {"housing_fund_loan"}, "公积金能全部取出来吗") is None


def test_a_near_tie_refines_only_with_its_situation():
    siblings = {"passport_application": {"passport_renewal"}, "passport_renewal": {"passport_application"}}
    ranking = [("passport_renewal", 0.5), ("passport_application", 0.45)]
    assert refine("passport_application", ranking, siblings, text="多久能拿到") is None
    assert refine("passport_application", ranking, siblings, text="丢了多久能拿到") == "passport_renewal"
    assert refine("passport_application", ranking, siblings) == "passport_renewal"  # (no text: ties count)


def test_a_possessed_document_too_is_no_further_need():
    assert not announces_another_need("my passport too?")
    assert announces_another_need("can she get a residence permit too?")


@pytest.mark.parametrize("text,topic", [("我想在江州開一間手搖飲料店", "new_business"), ("想开个getihu奶茶店", None)])
def test_opening_a_shop_of_any_trade_is_a_life_event(text, topic):
    found = broad_topic(text)
    assert (found.name if found else None) == topic


@pytest.mark.parametrize("aspect,expected", [("ask_hours", "business_deregistration"), ("ask_overview", None)])
def test_search_and_meaning_both_first_answer_a_question_not_a_story(aspect, expected):
    meaning = _meaning(-0.027, business_deregistration=0.916, housing_fund_withdrawal=0.911,
                       individual_business_registration=0.9005)
    e = Evidence(intent="out_of_scope", confidence=1.0, aspect_intent=aspect, semantic=lambda: meaning,
                 lexical=(("business_deregistration", 0.44), ("individual_business_registration", 0.36)))
    assert decide(e).service == expected


@pytest.mark.parametrize("focus,expected", [("divorce_registration", "divorce_registration"), (None, None)])
def test_the_question_names_one_of_two_plain_mentions(focus, expected):
    """"我同老公喺江州登記結婚，而家想協議離婚，要幾耐": both named about as plainly; the question's
    focus picks the divorce (without one, the citizen is asked)."""
    meaning = _meaning(-0.028, marriage_registration=0.937, divorce_registration=0.919)
    e = Evidence(intent="out_of_scope", confidence=0.97, aspect_intent="ask_duration", semantic=lambda: meaning,
                 lexical=(("divorce_registration", 0.806), ("marriage_registration", 0.803)), focus=focus)
    d = decide(e)
    assert d.service == expected
    if expected is None:
        assert set(d.candidates) == {"divorce_registration", "marriage_registration"}


@pytest.mark.parametrize("text,aspect", [
    ("got a speeding ticket, how do i pay this", "how"),
    ("江州有冇條熱線可以投訴，打幾多號", "who"),
    ("hukou想从老家迁到江州，这事儿who负责", "who"),
    ("这卡是去银行办还是去人社局办", "where"),
    ("现在就去换行不行", "eligibility"),
    ("what is maternity registration (shengyu dengji) and why does my wife need it", "overview"),
])
def test_aspect_families_in_longer_questions(text, aspect):
    from bot.components.aspect_cues import cued_aspects

    assert cued_aspects(text) == {aspect}


def test_a_new_request_is_not_the_next_step_of_the_story():
    from bot.understanding.context import announces_a_new_request

    assert announces_another_need("拿到以后就该去上户口了吧") and not announces_a_new_request("拿到以后就该去上户口了吧")
    text = "对了我另外有个新项目，想再注册个新公司，网上能办执照不"
    assert announces_a_new_request(text)
    assert service_in_the_story({"business_closing"}, "business_registration", {"business_deregistration"}, text) is None


@pytest.mark.parametrize("text,hours", [("I want to report construction noise at night", False),
                                        ("is the hotline answered at night", True), ("open at night?", True)])
def test_the_night_is_the_office_hours_only_when_asked_of_the_office(text, hours):
    from bot.components.aspect_cues import cued_aspects

    assert ("hours" in cued_aspects(text)) is hours
