"""Context in conversations (session 17): a refused question about one aspect of the service under
discussion, a further need after a told life event, a remark that ends in a fragment."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.service_answer import ActionAnswerService, ActionOutOfScope


def _tracker(kb, text: str, intent: str, lang: str, previous: str, earlier: list[str] | None = None,
             aspect_intent: str = "ask_overview", semantic: dict | None = None, named: str | None = None,
             reason: str = "kept: nothing plausible") -> Tracker:
    lexical = [list(x) for x in kb.rank_services(text)]
    record = {"candidates": [], "reason": reason, "semantic": semantic or {},
              "evidence": {"lexical": lexical, "aspect_intent": aspect_intent,
                           "aspect_cued": aspect_intent != "ask_overview"}}
    events = [{"event": "slot", "name": "service", "value": previous}]
    events += [{"event": "user", "text": t, "parse_data": {}} for t in (earlier or ["..."])]
    events.append({"event": "user", "text": text, "parse_data": {}})
    score = dict((sid, sc) for sid, sc in lexical).get(named, 0.0) if named else 0.0
    entities = [{"entity": "service", "value": named, "confidence_entity": score}] if named else []
    slots = {"language": lang, "script": "simplified", "service": previous, "aspect": None, "district": None,
             "rating": None, "failed_turns": 0.0, "candidates": None}
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.95}, "entities": entities,
              "understanding": record}
    return Tracker("s17-user", slots, latest, events, False, None, {}, "action_listen")


IN_SCOPE = {"out_of_scope_probability": 0.03, "refusal_margin": -0.04,
            "services": {"property_record_certificate": 0.874, "hotline_12345": 0.855}}


@pytest.mark.parametrize("lang,text", [("en", "is there an online form or only phone"),
                                       ("zh", "有没有网上填的表，还是只能打电话")])
async def test_a_refused_aspect_question_is_asked_of_the_service_under_discussion(kb, dispatcher, domain, lang, text):
    tracker = _tracker(kb, text, "out_of_scope", lang, "hotline_12345", aspect_intent="ask_online", semantic=IN_SCOPE)
    events = await ActionOutOfScope().run(dispatcher, tracker, domain)
    assert SlotSet("service", "hotline_12345") in events
    assert SlotSet("aspect", "online") in events
    assert "utter_out_of_scope" not in [m.get("response") for m in dispatcher.messages]


@pytest.mark.parametrize("semantic", [
    {**IN_SCOPE, "out_of_scope_probability": 0.93},                     # the meaning is elsewhere
    {**IN_SCOPE, "refusal_margin": 0.01},                               # its nearest examples are refusals
])
async def test_a_refused_aspect_question_elsewhere_stays_refused(kb, dispatcher, domain, semantic):
    tracker = _tracker(kb, "is there an online form or only phone", "out_of_scope", "en", "hotline_12345",
                       aspect_intent="ask_online", semantic=semantic)
    assert await ActionOutOfScope().run(dispatcher, tracker, domain) == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_out_of_scope"]


async def test_the_next_step_after_the_storys_service_is_not_the_story(kb, dispatcher, domain):
    """Told: lost the job; the unemployment benefit discussed; then "once I've had it I'll work for
    myself, how do I register to pay social insurance myself": the enrolment, not the benefit again."""
    text = "领完了我想自己单干，到时候社保自己交，咋登记"
    tracker = _tracker(kb, text, "ask_how", "zh", "unemployment_benefits",
                       earlier=["唉，今天让公司给辞了，心里堵得慌", "那个失业金我能领不，社保交了两年"],
                       aspect_intent="ask_how", named="social_insurance_enrollment",
                       reason="search and meaning both rank social_insurance_enrollment first")
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "social_insurance_enrollment") in events


async def test_a_refused_aspect_question_naming_another_service_stays_refused(kb, dispatcher, domain):
    tracker = _tracker(kb, "另外我太太想自己交社会保险，要怎么登记", "out_of_scope", "zh",
                       "individual_income_tax_settlement", aspect_intent="ask_how", semantic=IN_SCOPE)
    assert await ActionOutOfScope().run(dispatcher, tracker, domain) == []
