"""Families of wording added on session 17's development sets (not their sentences): "can I get it"
asked mid-sentence, whether a document will do, a remark that ends in a fragment, a generic pass or
document named with a frame, being let go in everyday words, English aliases with modifiers."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.components.aspect_cues import checked_intent, follow_up_aspect, trailing_follow_up
from bot.understanding.context import aspect_asked_of_previous
from bot.understanding.decision import Evidence, decide
from bot.understanding.semantic import OUT_OF_SCOPE, SemanticEvidence
from bot.understanding.topics import broad_topic, told_events
from knowledge_base.eval_search import load_content
from knowledge_base.search import Searcher

CONTENT = Path(__file__).resolve().parents[2] / "knowledge_base" / "content"


@pytest.fixture(scope="module")
def searcher() -> Searcher:
    return Searcher(*load_content(CONTENT))


@pytest.mark.parametrize("text", [
    "那个失业金我能领不，社保交了两年",        # the asking clause before a remark
    "他那个公积金是不是也能全取出来",
    "他可以申請身心障礙證明嗎，就是你們那邊的殘疾證",
    "我老婆可以申请吗。她是外地户口",
])
def test_can_i_get_it_asked_mid_sentence_is_eligibility(text):
    assert checked_intent(text, "ask_overview") == "ask_eligibility"


@pytest.mark.parametrize("text", ["外地人能办吗，要多久", "能不能在网上办"])
def test_a_plain_aspect_still_outweighs_the_weak_can_i(text):
    assert checked_intent(text, "ask_overview") != "ask_eligibility"


@pytest.mark.parametrize("text", ["租房合同算不算", "复印件行不行", "照片可以吗", "does my lease count",
                                  "is a photocopy ok", "would a bank statement be enough"])
def test_whether_a_document_will_do_is_a_materials_follow_up(text):
    assert follow_up_aspect(text) == "materials"


@pytest.mark.parametrize("text,aspect", [
    ("ok they'll go together. where", "where"),
    ("my husband will come along. how much", "fee"),
    ("我跟我老公一起去，几点开门", "hours"),
])
def test_a_remark_that_ends_in_a_fragment(text, aspect):
    assert follow_up_aspect(text) is None
    assert trailing_follow_up(text) == aspect


@pytest.mark.parametrize("text,aspect", [("got it, thanks. how long", "duration"), ("好的我知道了，要多久", "duration"),
                                         ("行吧，那在哪儿办", "where")])
def test_an_acknowledgement_and_a_fragment_is_a_fragment(text, aspect):
    assert follow_up_aspect(text) == aspect


@pytest.mark.parametrize("text", [
    "公司不干了，注销要多长时间",             # the fragment names its procedure: not a bare follow-up
    "搵地產經紀租樓，佣金要俾幾多？",
    "my passport expired. how much",          # the remark names a service
    "I'm flying to Beijing tomorrow, what's the weather",
    "要多久",                                  # a fragment on its own is follow_up_aspect's
    "Macau government elderly allowance for my grandma, how to apply",  # a remark that says what it is about
])
def test_not_a_remark_ending_in_a_fragment(text):
    assert trailing_follow_up(text) is None


def _meaning(gate: float, margin: float) -> SemanticEvidence:
    return replace(SemanticEvidence({"marriage_registration": 0.85, OUT_OF_SCOPE: 0.86}),
                   out_of_scope_probability=gate, refusal_margin=margin)


@pytest.mark.parametrize("gate,margin,expected", [
    (0.6, -0.04, "ask_where"),      # the remark is service wording: the conversation decides
    (0.93, 0.006, "out_of_scope"),  # "the flight was delayed, does rebooking cost extra": refused
    (0.3, 0.01, "out_of_scope"),    # its nearest examples are refusals
    (0.24, -0.01, "ask_how"),       # "is there exam, how it works"
])
def test_a_remark_ending_in_a_fragment_is_weighed_by_its_meaning(gate, margin, expected):
    aspect = expected[len("ask_"):] if expected.startswith("ask_") else "where"
    ev = Evidence(intent="out_of_scope", confidence=0.99, lexical=(("marriage_registration", 0.28),),
                  aspect_intent="ask_" + aspect, trailing_follow_up=aspect, semantic=lambda: _meaning(gate, margin))
    decision = decide(ev)
    assert decision.intent == expected
    assert decision.service is None


@pytest.mark.parametrize("text,topic", [
    ("我想办个通行证", "travel_pass"),
    ("想办通行证", "travel_pass"),
    ("passport problem", "passport"),
    ("I have a problem with my passport", "passport"),
    ("problem with my visa", "visa"),
])
def test_a_generic_pass_or_document_with_a_frame_is_a_topic(text, topic):
    found = broad_topic(text)
    assert found is not None and found.name == topic


@pytest.mark.parametrize("text", ["我想办个护照", "我想办个去香港的通行证", "my passport expired"])
def test_a_plain_request_is_no_topic(text):
    assert broad_topic(text) is None


@pytest.mark.parametrize("text", ["唉，今天让公司给辞了，心里堵得慌", "老板把我辞了"])
def test_being_let_go_in_everyday_words_is_a_job_loss(text):
    assert told_events(text) == {"job_loss"}


@pytest.mark.parametrize("text,expected", [
    ("We plan to set up a small trading company in Jiangzhou", "business_registration"),
    ("we want to register our new baby boy", "newborn_hukou_registration"),
    ("I want a housing fund loan instead of a withdrawal", "housing_fund_loan"),  # no modifier: another alias's noun
])
def test_english_aliases_with_modifiers_before_their_noun(searcher, text, expected):
    assert searcher.search(text, limit=1)[0].service_id == expected


def _record(gate: float, margin: float, lexical=(("property_record_certificate", 0.2),),
            meaning=(("property_record_certificate", 0.874), ("hotline_12345", 0.855))) -> dict:
    return {"semantic": {"out_of_scope_probability": gate, "refusal_margin": margin, "services": dict(meaning)},
            "evidence": {"lexical": [list(x) for x in lexical]}}


def test_a_refused_aspect_question_in_a_conversation_is_about_its_service():
    assert aspect_asked_of_previous("hotline_12345", _record(0.03, -0.04), "online")
    assert not aspect_asked_of_previous("hotline_12345", _record(0.03, -0.04), None)         # asks no aspect
    assert not aspect_asked_of_previous("hotline_12345", _record(0.03, -0.04), "overview")
    assert not aspect_asked_of_previous(None, _record(0.03, -0.04), "online")                # nothing discussed
    assert not aspect_asked_of_previous("hotline_12345", _record(0.9, -0.04), "online")      # meaning elsewhere
    assert not aspect_asked_of_previous("hotline_12345", _record(0.03, 0.0), "online")       # nearest are refusals
    assert not aspect_asked_of_previous("hotline_12345", _record(0.03, -0.04, (("passport_application", 0.8),)),
                                        "online")                                             # names another service
    assert not aspect_asked_of_previous("hotline_12345", _record(0.03, -0.04, (("passport_application", 0.45),)),
                                        "online")                                             # points to another
    tax = _record(0.26, -0.022, meaning=(("individual_income_tax_settlement", 0.9),))
    assert aspect_asked_of_previous("individual_income_tax_settlement", tax, "how", "网上怎么弄")
    assert not aspect_asked_of_previous("individual_income_tax_settlement", tax, "how",
                                        "另外我太太想自己繳社會保險，她沒有公司，要怎麼登記")         # a further need
