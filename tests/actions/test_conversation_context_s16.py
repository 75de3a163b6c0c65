"""Context in conversations: a plainly named service in a reply to our buttons, documents to bring,
life-event siblings, weak mentions whose situation the message describes, aspect fragments."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.service_answer import ActionAnswerService


def _tracker(kb, text: str, intent: str, lang: str, previous: str | None = None, candidates: list | None = None,
             named: str | None = None, follow_up: str | None = None, earlier: str = "...") -> Tracker:
    """The latest message with the decision layer's record and the real search ranking."""
    lexical = [list(x) for x in kb.rank_services(text)]
    record = {"candidates": [], "follow_up": follow_up,
              "evidence": {"lexical": lexical, "aspect_intent": intent if intent.startswith("ask_") else "ask_overview"}}
    events = []
    if previous:
        events.append({"event": "slot", "name": "service", "value": previous})
    events.append({"event": "user", "text": earlier, "parse_data": {}})
    if candidates:
        events.append({"event": "slot", "name": "candidates", "value": candidates})
    events.append({"event": "user", "text": text, "parse_data": {}})
    score = dict((sid, sc) for sid, sc in lexical).get(named, 0.0) if named else 0.0
    entities = [{"entity": "service", "value": named, "confidence_entity": score}] if named else []
    slots = {"language": lang, "script": "simplified", "service": previous, "aspect": None, "district": None,
             "rating": None, "failed_turns": 0.0, "candidates": candidates}
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.95}, "entities": entities,
              "understanding": record}
    return Tracker("s16-user", slots, latest, events, False, None, {}, "action_listen")


@pytest.mark.parametrize("lang,text", [("en", "where is the marriage office"), ("zh", "婚姻登记处在哪")])
async def test_a_reply_to_buttons_naming_another_service_plainly_takes_it(kb, dispatcher, domain, lang, text):
    """Buttons offered for "does my birth certificate need translating?"; the reply names the marriage
    registration outright, far above every offered service."""
    offered = ["notarization", "birth_medical_certificate", "maternity_registration"]
    tracker = _tracker(kb, text, "ask_where", lang, previous="marriage_registration", candidates=offered,
                       named="marriage_registration", earlier="does my birth certificate need translating?")
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "marriage_registration") in events


@pytest.mark.parametrize("lang,text,named", [
    ("en", "my passport too?", "passport_application"),
    ("zh", "结婚证也得带着？", "marriage_registration"),
])
async def test_a_document_asked_about_as_something_to_bring_keeps_the_service(kb, dispatcher, domain, lang, text, named):
    tracker = _tracker(kb, text, "ask_materials" if lang == "zh" else "inform_service", lang,
                       previous="newborn_hukou_registration", named=named)
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "newborn_hukou_registration") in events


@pytest.mark.parametrize("lang,text", [
    ("zh", "她的户口本和身份证copy要带吗"),
    ("en", "does my birth certificate need translating?"),
])
async def test_documents_to_bring_are_not_a_new_question(kb, dispatcher, domain, lang, text):
    """With no service resolved, documents named only as things to bring do not make the bot ask
    which service is meant: the one under discussion answers."""
    previous = "minimum_living_allowance" if lang == "zh" else "marriage_registration"
    tracker = _tracker(kb, text, "ask_materials", lang, previous=previous)
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", previous) in events
    assert not any(m.get("response") == "reply_clarify_service" for m in dispatcher.messages)


@pytest.mark.parametrize("lang,story,text,previous,named,expected", [
    ("zh", "老婆前天在妇幼生了个闺女", "拿到以后就该去上户口了吧，上户口要带啥", "birth_medical_certificate",
     "hukou_transfer", "newborn_hukou_registration"),
    ("en", "we're buying our first flat, the bank wants proof we own no property",
     "after we sign, the transfer registration, how long does that take", "property_record_certificate",
     "hukou_transfer", "property_transfer_registration"),
    # no life event told: the service named stands
    ("zh", "先问问出生证明", "拿到以后就该去上户口了吧，上户口要带啥", "birth_medical_certificate",
     "hukou_transfer", "hukou_transfer"),
])
async def test_a_told_life_event_picks_its_service(kb, dispatcher, domain, lang, story, text, previous, named, expected):
    """A service the words fit about as well as the one they name, of the life event the citizen told."""
    tracker = _tracker(kb, text, "ask_materials", lang, previous=previous, named=named, earlier=story)
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", expected) in events


async def test_moving_the_hukou_after_the_wedding_is_a_new_question(kb, dispatcher, domain):
    """A mention below the switch score whose situation the message describes (迁) is the new question."""
    text = "结婚后我hukou想迁到他那边，有啥conditions"
    tracker = _tracker(kb, text, "ask_eligibility", "zh", previous="marriage_registration", named="hukou_transfer")
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "hukou_transfer") in events


@pytest.mark.parametrize("lang,text", [("zh", "要搵邊個部門"), ("en", "which department")])
async def test_an_aspect_fragment_does_not_refine_to_a_sibling_by_its_few_words(kb, dispatcher, domain, lang, text):
    tracker = _tracker(kb, text, "ask_who", lang, previous="legal_aid", follow_up="who")
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "legal_aid") in events


async def test_a_generic_licence_question_keeps_the_sole_trader(kb, dispatcher, domain):
    """"要多久能拿到执照" fits a company's licence a little better than a sole trader's: a near tie
    with no situation keeps the service under discussion."""
    text = "要多久能拿到執照"
    tracker = _tracker(kb, text, "ask_duration", "zh", previous="individual_business_registration")
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "individual_business_registration") in events


async def test_a_plainly_named_service_outside_the_story_stands(kb, dispatcher, domain):
    """Withdrawing the housing fund while a home purchase is discussed: the loan belongs to the
    story, but the words name the withdrawal far more plainly."""
    text = "房款想用公积金付一部分 能提出来吗"
    tracker = _tracker(kb, text, "ask_eligibility", "zh", previous="property_transfer_registration",
                       named="housing_fund_withdrawal", earlier="二手房买好了 过户要准备什么")
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "housing_fund_withdrawal") in events


@pytest.mark.parametrize("lang,text,named", [
    ("en", "i'm a foreigner working here, what's needed", "work_permit_foreigner"),
    ("zh", "我是外国人，能办吗", "foreigner_residence_permit"),
])
async def test_being_a_foreigner_is_a_condition_of_the_service_discussed(kb, dispatcher, domain, lang, text, named):
    tracker = _tracker(kb, text, "ask_materials", lang, previous="social_security_card", named=named)
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "social_security_card") in events


async def test_being_a_foreigner_does_not_make_the_bot_ask_which_service(kb, dispatcher, domain):
    """No service resolved ("the words name several services"): being a foreigner is a condition of
    the card under discussion, not a choice between the foreigners' services."""
    text = "i'm a foreigner working here, what's needed"
    tracker = _tracker(kb, text, "ask_materials", "en", previous="social_security_card")
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "social_security_card") in events
    assert not any(m.get("response") == "reply_clarify_service" for m in dispatcher.messages)
