"""Follow-ups read together with the conversation (the action side of the decision layer)."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.service_answer import ActionAnswerService


def tracker_with(kb, text: str, intent: str, lang: str, previous: str | None = None,
                 candidates: list | None = None, understanding: dict | None = None,
                 evidence: dict | None = None, named: tuple[str, float] | None = None) -> Tracker:
    """A tracker whose latest message carries the decision layer's record, with the search
    ranking computed by the real knowledge base as the NLU pipeline would (``evidence``: more of
    the record's evidence; ``named``: the service entity the message names, with its confidence)."""
    record = understanding or {"candidates": [], "evidence": {
        "lexical": [list(x) for x in kb.rank_services(text)], **(evidence or {})}}
    events = []
    if previous:
        events = [{"event": "slot", "name": "service", "value": previous},
                  {"event": "user", "text": "...", "parse_data": {}}]
    slots = {"language": lang, "script": "simplified", "service": previous, "aspect": None, "district": None,
             "rating": None, "failed_turns": 0.0, "candidates": candidates}
    entities = [{"entity": "service", "value": named[0], "confidence_entity": named[1]}] if named else []
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities,
              "understanding": record}
    return Tracker("ctx-user", slots, latest, events, False, None, {}, "action_listen")


@pytest.mark.parametrize("lang,text,previous,expected", [
    ("en", "actually I lost it", "id_card_application", "id_card_replacement"),
    ("zh", "被偷了", "id_card_application", "id_card_replacement"),
    ("en", "mine was stolen", "passport_application", "passport_renewal"),
    ("zh", "孩子刚出生", "hukou_transfer", "newborn_hukou_registration"),
])
async def test_a_refinement_moves_to_the_sibling_service(kb, dispatcher, domain, lang, text, previous, expected):
    tracker = tracker_with(kb, text, "ask_overview", lang, previous=previous)
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", expected) in events


@pytest.mark.parametrize("lang,text", [("zh", "要多久"), ("en", "how much does it cost")])
async def test_an_aspect_follow_up_keeps_the_service(kb, dispatcher, domain, lang, text):
    intent = "ask_duration" if lang == "zh" else "ask_fee"
    tracker = tracker_with(kb, text, intent, lang, previous="passport_renewal")
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "passport_renewal") in events


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_offered_candidates_are_remembered(kb, dispatcher, domain, lang):
    offered = ["id_card_replacement", "social_security_card", "passport_renewal"]
    tracker = tracker_with(kb, "I lost my card" if lang == "en" else "卡丢了", "ask_overview", lang,
                           understanding={"candidates": offered, "evidence": {"lexical": []}})
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "reply_clarify_service"
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        f'/inform_service{{"service":"{sid}"}}' for sid in offered]
    assert SlotSet("candidates", offered) in events


@pytest.mark.parametrize("lang,text", [("en", "the ID card"), ("zh", "是身份证")])
async def test_a_typed_reply_picks_an_offered_candidate(kb, dispatcher, domain, lang, text):
    offered = ["social_security_card", "id_card_replacement", "passport_renewal"]
    tracker = tracker_with(kb, text, "inform_service", lang, candidates=offered)
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "id_card_replacement") in events
    assert SlotSet("candidates", None) in events


async def test_a_typed_reply_picks_by_meaning_when_search_is_silent(kb, dispatcher, domain):
    offered = ["social_security_card", "id_card_replacement"]
    record = {"candidates": [], "evidence": {"lexical": []},
              "semantic": {"services": {"id_card_replacement": 0.87, "social_security_card": 0.81}}}
    tracker = tracker_with(kb, "the card with my face on it", "inform_service", "en", candidates=offered,
                           understanding=record)
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "id_card_replacement") in events


@pytest.mark.parametrize("lang,text", [("en", "the ID card"), ("zh", "身份证")])
async def test_a_named_service_picks_its_offered_sibling(kb, dispatcher, domain, lang, text):
    """After the choice "lost ID card / social security card", "the ID card" means the offered
    replacement, not a new card."""
    offered = ["id_card_replacement", "social_security_card", "id_card_application"]
    tracker = tracker_with(kb, text, "ask_overview", lang, candidates=offered)
    tracker.events = [{"event": "user", "text": "I lost my card" if lang == "en" else "我的卡丢了"},
                      {"event": "user", "text": text}]
    tracker.latest_message["entities"] = [{"entity": "service", "value": "id_card_application",
                                           "confidence_entity": 0.9, "extractor": "ServiceResolver"}]
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "id_card_replacement") in events


@pytest.mark.parametrize("lang,text,previous,expected", [
    ("en", "actually I lost it last week", "id_card_application", "id_card_replacement"),
    ("zh", "被偷了", "id_card_application", "id_card_replacement"),
])
async def test_a_refused_refinement_is_read_with_the_conversation(kb, dispatcher, domain, lang, text, previous,
                                                                  expected):
    """The decision layer refused the statement; the conversation explains it (action_out_of_scope)."""
    from actions.service_answer import ActionOutOfScope

    tracker = tracker_with(kb, text, "out_of_scope", lang, previous=previous)
    events = await ActionOutOfScope().run(dispatcher, tracker, domain)
    assert SlotSet("service", expected) in events
    assert "utter_out_of_scope" not in [m.get("response") for m in dispatcher.messages]


@pytest.mark.parametrize("previous, reason", [
    (None, "kept: nothing plausible"),  # no conversation: the plain refusal
    ("id_card_application", "the wording is outside the catalogue (abroad_office)"),  # the words say so
])
async def test_out_of_scope_is_refused_without_a_conversation_or_when_the_words_say_so(
        kb, dispatcher, domain, previous, reason):
    from actions.service_answer import ActionOutOfScope

    record = {"reason": reason, "evidence": {"lexical": [list(x) for x in kb.rank_services("I lost it")]}}
    tracker = tracker_with(kb, "actually I lost it", "out_of_scope", "en", previous=previous, understanding=record)
    assert await ActionOutOfScope().run(dispatcher, tracker, domain) == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_out_of_scope"]


@pytest.mark.parametrize("lang, earlier, text, expected", [
    ("en", "we just had a baby!!", "need to register him in our hukou", "newborn_hukou_registration"),
    ("zh", "孩子上个月刚出生", "要上户口", "newborn_hukou_registration"),
])
async def test_a_near_tie_between_siblings_is_settled_by_the_previous_message(kb, dispatcher, domain, lang, earlier,
                                                                              text, expected):
    record = {"candidates": [], "evidence": {"lexical": [list(x) for x in kb.rank_services(text)]}}
    tracker = tracker_with(kb, text, "ask_overview", lang, understanding=record)
    tracker.events[:] = [{"event": "user", "text": earlier, "parse_data": {}}, {"event": "user", "text": text}]
    latest_entity = record["evidence"]["lexical"][0][0]
    tracker.latest_message["entities"] = [{"entity": "service", "value": latest_entity, "confidence_entity": 0.9}]
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", expected) in events


@pytest.mark.parametrize("lang,text,previous,stray,aspect", [
    ("en", "and if I only rent?", "hukou_transfer", "housing_fund_withdrawal", "ask_eligibility"),
    ("zh", "要钱不", "marriage_registration", "divorce_registration", "ask_fee"),
])
@pytest.mark.parametrize("follow_up", [True, False])
async def test_a_follow_up_whose_words_touch_another_service_keeps_the_conversation(
        kb, dispatcher, domain, lang, text, previous, stray, aspect, follow_up):
    """The words of a short follow-up land faintly (0.7) on another service: the service under
    discussion stays; the same mention in a message that is not a follow-up switches."""
    record = {"candidates": [], "follow_up": aspect[4:] if follow_up else None,
              "evidence": {"lexical": [[stray, 0.7]]}}
    tracker = tracker_with(kb, text, aspect, lang, previous=previous, understanding=record)
    tracker.latest_message["entities"] = [{"entity": "service", "value": stray, "confidence_entity": 0.7}]
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", previous if follow_up else stray) in events


def _reply_to_offer(kb, text: str, earlier: str, offered: list, lang: str, intent: str = "ask_overview",
                    entity: str | None = None, reason: str = "kept") -> Tracker:
    """A reply typed after the bot offered ``offered`` as buttons for the message ``earlier``."""
    ranking = [list(x) for x in kb.rank_services(text)]
    record = {"candidates": [], "reason": reason,
              "evidence": {"lexical": ranking, "aspect_intent": intent if intent.startswith("ask_") else "ask_overview"}}
    slots = {"language": lang, "script": "simplified", "service": None, "aspect": None, "district": None,
             "rating": None, "failed_turns": 0.0, "candidates": offered}
    entities = [{"entity": "service", "value": entity, "confidence_entity": 0.85}] if entity else []
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities,
              "understanding": record}
    events = [{"event": "user", "text": earlier, "parse_data": {}},
              {"event": "slot", "name": "candidates", "value": offered},
              {"event": "user", "text": text, "parse_data": latest}]
    return Tracker("offer-user", slots, latest, events, False, None, {}, "action_listen")


@pytest.mark.parametrize("lang,earlier,text", [
    ("en", "question about residence permit", "I'm a foreigner, working here on a Z visa"),
    ("zh", "想问问居留许可", "我是外国人，在这边工作，拿的工作签证"),
])
async def test_a_reply_naming_a_neighbour_still_picks_the_offered_service(kb, dispatcher, domain, lang, earlier, text):
    """The reply's own words name the work permit, but with the question it answers they point to
    the offered foreigner's residence permit."""
    offered = ["foreigner_residence_permit", "residence_permit"]
    tracker = _reply_to_offer(kb, text, earlier, offered, lang, entity="work_permit_foreigner")
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "foreigner_residence_permit") in events


@pytest.mark.parametrize("lang,text", [("en", "actually, how do I get a passport"), ("zh", "算了，护照怎么办")])
async def test_a_reply_naming_another_service_outright_is_a_switch(kb, dispatcher, domain, lang, text):
    offered = ["hukou_transfer", "newborn_hukou_registration"]
    tracker = _reply_to_offer(kb, text, "户口" if lang == "zh" else "question about hukou", offered, lang,
                              intent="ask_how", entity="passport_application")
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "passport_application") in events


@pytest.mark.parametrize("lang,text,aspect", [
    ("en", "my dad retires next month, what does he bring", "ask_materials"),
    ("zh", "我爸下个月退休，退休金要带啥去领", "ask_materials"),
])
async def test_a_refused_reply_that_names_an_offered_service_is_answered(kb, dispatcher, domain, lang, text, aspect):
    """An answer to our own question is not out of scope, even when the scope gate doubted it."""
    from actions.service_answer import ActionOutOfScope

    offered = ["pension_claim", "social_insurance_enrollment"]
    tracker = _reply_to_offer(kb, text, "养老", offered, lang, intent=aspect,
                              reason="a service word in a message whose meaning is outside the catalogue")
    tracker.latest_message["intent"] = {"name": "out_of_scope", "confidence": 0.97}
    events = await ActionOutOfScope().run(dispatcher, tracker, domain)
    assert SlotSet("service", "pension_claim") in events
    assert SlotSet("aspect", "materials") in events
    assert dispatcher.messages[0]["response"] == "reply_service_materials"


@pytest.mark.parametrize("lang,text", [("en", "where can I buy a nice cake"), ("zh", "附近哪有好吃的蛋糕店")])
async def test_a_refused_reply_about_something_else_is_still_refused(kb, dispatcher, domain, lang, text):
    from actions.service_answer import ActionOutOfScope

    tracker = _reply_to_offer(kb, text, "养老", ["pension_claim", "social_insurance_enrollment"], lang,
                              intent="out_of_scope")
    events = await ActionOutOfScope().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"
    assert not [e for e in events if e.get("event") == "slot" and e.get("name") == "service"]


@pytest.mark.parametrize("lang,text", [("zh", "养老"), ("en", "question about pensions")])
async def test_a_broad_topic_is_asked_about_in_its_own_words(kb, dispatcher, domain, lang, text):
    """The decision layer marked the message as a broad topic: the question says the matter can
    involve several services (not "which of these do you mean?")."""
    offered = ["pension_claim", "social_insurance_enrollment"]
    tracker = tracker_with(kb, text, "ask_overview", lang,
                           understanding={"candidates": offered, "topic": "pension", "evidence": {"lexical": []}})
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "reply_clarify_topic"
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        f'/inform_service{{"service":"{sid}"}}' for sid in offered]
    assert SlotSet("candidates", offered) in events


@pytest.mark.parametrize("lang,earlier,text,offered,expected", [
    ("zh", "我想问下身份证的事", "在外地出差的时候弄丢了",
     ["id_card_application", "id_card_replacement", "temporary_id_card"], "id_card_replacement"),
    ("en", "question about my ID card", "I lost it on a business trip last week",
     ["id_card_application", "id_card_replacement", "temporary_id_card"], "id_card_replacement"),
])
async def test_a_refused_reply_is_read_with_the_question_it_answers(kb, dispatcher, domain, lang, earlier, text,
                                                                    offered, expected):
    """A reply to our topic question that names no service by itself ("lost it on a trip") means
    the offered service the question and the reply point to together."""
    from actions.service_answer import ActionOutOfScope

    tracker = _reply_to_offer(kb, text, earlier, offered, lang, intent="chitchat",
                              reason="taken for small talk, but resembles out-of-scope requests")
    tracker.latest_message["intent"] = {"name": "out_of_scope", "confidence": 0.9}
    events = await ActionOutOfScope().run(dispatcher, tracker, domain)
    assert SlotSet("service", expected) in events


@pytest.mark.parametrize("lang,earlier,text,expected", [
    ("zh", "想问下护照的事", "过期了，要换新的", "passport_renewal"),
    ("en", "question about my passport", "first time applying", "passport_application"),
    ("en", "question about my passport", "mine expired last month", "passport_renewal"),
])
async def test_an_unsure_reply_to_our_buttons_is_answered_not_suggested_again(kb, dispatcher, domain, lang, earlier,
                                                                             text, expected):
    from actions.fallback import ActionFallbackSuggest

    tracker = _reply_to_offer(kb, text, earlier, ["passport_application", "passport_renewal"], lang,
                              intent="nlu_fallback")
    events = await ActionFallbackSuggest().run(dispatcher, tracker, domain)
    assert SlotSet("service", expected) in events
    assert SlotSet("failed_turns", 0.0) in events


@pytest.mark.parametrize("lang,earlier,text", [("zh", "想问下护照的事", "算了，去泰国旅游要签证吗"),
                                               ("en", "question about my passport", "never mind, how do I rent a car")])
async def test_an_unsure_reply_about_something_else_is_not_taken_for_an_offered_service(kb, dispatcher, domain, lang,
                                                                                       earlier, text):
    from actions.fallback import ActionFallbackSuggest

    tracker = _reply_to_offer(kb, text, earlier, ["passport_application", "passport_renewal"], lang,
                              intent="nlu_fallback")
    events = await ActionFallbackSuggest().run(dispatcher, tracker, domain)
    assert not [e for e in events if e.get("event") == "slot" and e.get("name") == "service"]


@pytest.mark.parametrize("lang,text,aspect", [("en", "how long does it take to get the money", "ask_duration"),
                                              ("zh", "钱多久能到我卡上", "ask_duration")])
async def test_a_follow_up_refused_only_by_its_nearest_examples_stays_with_the_service(kb, dispatcher, domain, lang,
                                                                                      text, aspect):
    """A confident service question naming no service, whose words point to the service under
    discussion, is a follow-up about it, not out of scope."""
    from actions.service_answer import NO_SERVICE_MARGIN_REASON, ActionOutOfScope

    record = {"candidates": [], "reason": f"{NO_SERVICE_MARGIN_REASON} (refusal margin -0.015)",
              "evidence": {"intent": aspect, "confidence": 0.98, "service": None, "aspect_intent": aspect,
                           "lexical": [["housing_fund_withdrawal", 0.2], ["hotline_12345", 0.14]]}}
    tracker = tracker_with(kb, text, "out_of_scope", lang, previous="housing_fund_withdrawal", understanding=record)
    events = await ActionOutOfScope().run(dispatcher, tracker, domain)
    assert SlotSet("service", "housing_fund_withdrawal") in events
    assert SlotSet("aspect", "duration") in events


async def test_a_refused_question_whose_words_point_elsewhere_stays_refused(kb, dispatcher, domain):
    from actions.service_answer import NO_SERVICE_MARGIN_REASON, ActionOutOfScope

    record = {"candidates": [], "reason": f"{NO_SERVICE_MARGIN_REASON} (refusal margin -0.015)",
              "evidence": {"intent": "ask_fee", "confidence": 0.98, "service": None, "aspect_intent": "ask_fee",
                           "lexical": [["hotline_12345", 0.2], ["housing_fund_withdrawal", 0.14]]}}
    tracker = tracker_with(kb, "how much is a taxi to the airport", "out_of_scope", "en",
                           previous="housing_fund_withdrawal", understanding=record)
    await ActionOutOfScope().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"


@pytest.mark.parametrize("lang,text", [
    ("en", "she also wants to visit Hong Kong, does she need a separate permit for that?"),
    ("zh", "另外她还想去香港玩，要另外办证吗"),
])
async def test_a_further_need_is_a_new_question_not_a_refinement(kb, dispatcher, domain, lang, text):
    """A faint mention of another service (0.5) in a message announcing a further need moves the
    conversation there; without that wording the service under discussion would keep it."""
    record = {"candidates": [], "evidence": {"lexical": [["hk_macau_permit", 0.5]]}}
    tracker = tracker_with(kb, text, "ask_overview", lang, previous="passport_renewal", understanding=record)
    tracker.latest_message["entities"] = [{"entity": "service", "value": "hk_macau_permit", "confidence_entity": 0.5}]
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "hk_macau_permit") in events


@pytest.mark.parametrize("lang,earlier,text,expected", [
    ("zh", "想问下护照的事", "我第一次申请", "passport_application"),
    ("zh", "想问下护照的事", "以前从来没办过", "passport_application"),
    ("en", "question about my passport", "never had one before", "passport_application"),
])
async def test_a_reply_describing_a_situation_picks_the_offered_service(kb, dispatcher, domain, lang, earlier, text,
                                                                       expected):
    """A reply with no service words but a situation ("first time") chooses the offered service
    that situation belongs to (bot/understanding/context.yml `situations`)."""
    from actions.fallback import ActionFallbackSuggest

    tracker = _reply_to_offer(kb, text, earlier, ["passport_application", "passport_renewal"], lang,
                              intent="nlu_fallback")
    events = await ActionFallbackSuggest().run(dispatcher, tracker, domain)
    assert SlotSet("service", expected) in events


@pytest.mark.parametrize("lang,text,previous,expected", [
    ("zh", "那这几天要坐高铁咋整，能办个临时的不", "id_card_replacement", "temporary_id_card"),
    ("en", "can I get a temporary one meanwhile", "id_card_replacement", "temporary_id_card"),
])
async def test_a_follow_up_moves_within_the_listed_family(kb, dispatcher, domain, lang, text, previous, expected):
    """Services listed as one family in context.yml are siblings even when their names do not
    contain one another (a lost card → the temporary card)."""
    tracker = tracker_with(kb, text, "ask_eligibility", lang, previous=previous)
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", expected) in events


@pytest.mark.parametrize("lang,text,previous,expected", [
    ("en", "it expired last month", "id_card_replacement", "id_card_application"),
    ("zh", "已经过期了", "id_card_replacement", "id_card_application"),
])
async def test_a_situation_moves_to_the_sibling_it_belongs_to(kb, dispatcher, domain, lang, text, previous, expected):
    tracker = tracker_with(kb, text, "ask_overview", lang, previous=previous,
                           understanding={"candidates": [], "evidence": {"lexical": []}})
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", expected) in events


@pytest.mark.parametrize("lang,text,previous", [
    ("zh", "去哪儿上户口", "newborn_hukou_registration"),
    ("en", "where do we register the hukou", "newborn_hukou_registration"),
])
async def test_a_sibling_ranked_only_a_little_higher_keeps_the_conversation(kb, dispatcher, domain, lang, text,
                                                                           previous):
    """"去哪儿上户口" while a newborn's registration is discussed: the generic words fit the
    transfer a little better, but the conversation's service stays."""
    ranking = [list(x) for x in kb.rank_services(text)]
    top = ranking[0][0]
    tracker = tracker_with(kb, text, "ask_where", lang, previous=previous,
                           understanding={"candidates": [], "evidence": {"lexical": ranking}})
    tracker.latest_message["entities"] = [{"entity": "service", "value": top, "confidence_entity": ranking[0][1]}]
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", previous) in events


async def test_a_sibling_named_clearly_is_still_a_switch(kb, dispatcher, domain):
    text = "其实我是想把户口迁到我老公那边"
    ranking = [list(x) for x in kb.rank_services(text)]
    assert ranking[0][0] == "hukou_transfer"
    tracker = tracker_with(kb, text, "ask_how", "zh", previous="newborn_hukou_registration",
                           understanding={"candidates": [], "evidence": {"lexical": ranking}})
    tracker.latest_message["entities"] = [{"entity": "service", "value": "hukou_transfer",
                                           "confidence_entity": ranking[0][1]}]
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "hukou_transfer") in events


@pytest.mark.parametrize("lang,text,expected", [
    ("zh", "出去玩把护照弄丢了，回来想补一本，找哪个部门", "passport_renewal"),
    ("en", "wallet got stolen on the metro with my husband's ID card in it, who do I contact", "id_card_replacement"),
    ("zh", "明天的火车，身份证找不着了，能先办个临时的不", "temporary_id_card"),
    ("en", "my ID card is lost and I fly tomorrow, can I get a temporary one", "temporary_id_card"),
])
async def test_a_message_naming_a_service_and_a_sibling_situation_gets_the_sibling(kb, dispatcher, domain, lang,
                                                                                 text, expected):
    """A message that names a service of a group and describes the situation of a sibling ("lost"
    with a first passport's words) is about the sibling, with no conversation before it."""
    named = {"passport_renewal": "passport_application", "id_card_replacement": "id_card_application",
             "temporary_id_card": "id_card_replacement"}[expected]
    tracker = tracker_with(kb, text, "ask_who", lang, named=(named, 0.7))
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", expected) in events


@pytest.mark.parametrize("lang,text", [
    ("en", "we don't have local hukou, is that ok"),
    ("zh", "我们是外地户口，能报名吗"),
])
async def test_a_condition_naming_another_service_keeps_the_conversation(kb, dispatcher, domain, lang, text):
    """"We don't have local hukou" while school enrolment is discussed is a condition of the
    enrolment, not a question about moving a hukou (context.yml `conditions`)."""
    tracker = tracker_with(kb, text, "ask_eligibility", lang, previous="school_enrollment",
                           named=("hukou_transfer", 0.79))
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "school_enrollment") in events


async def test_moving_the_hukou_is_still_a_switch(kb, dispatcher, domain):
    text = "我们是外地户口，想把户口迁过来"
    tracker = tracker_with(kb, text, "ask_how", "zh", previous="school_enrollment", named=("hukou_transfer", 0.8))
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "hukou_transfer") in events


@pytest.mark.parametrize("lang,text,aspect_intent,aspect", [
    ("zh", "丢了，回来以后去哪里补", "ask_where", "where"),
    ("en", "I lost it, where do I get a new one", "ask_where", "where"),
])
async def test_a_refused_refinement_answers_the_aspect_it_asks(kb, dispatcher, domain, lang, text, aspect_intent,
                                                              aspect):
    from actions.service_answer import ActionOutOfScope

    tracker = tracker_with(kb, text, "out_of_scope", lang, previous="passport_application",
                           evidence={"aspect_intent": aspect_intent})
    events = await ActionOutOfScope().run(dispatcher, tracker, domain)
    assert SlotSet("service", "passport_renewal") in events and SlotSet("aspect", aspect) in events


@pytest.mark.parametrize("lang,text,aspect_intent,aspect", [
    ("en", "and our son is 6, how does primary school registration work", "ask_how", "how"),
    ("zh", "孩子今年六岁，小学入学报名是怎么个流程", "ask_how", "how"),
    ("en", "primary school registration", "ask_overview", "where"),  # no cue: the aspect under discussion
])
async def test_a_service_statement_answers_the_aspect_its_words_ask(kb, dispatcher, domain, lang, text,
                                                                    aspect_intent, aspect):
    """A message the classifier read as naming a service (inform_service) still asks what its
    words ask ("how does ... work"); with no such words the aspect under discussion stays."""
    tracker = tracker_with(kb, text, "inform_service", lang, previous="residence_permit",
                           evidence={"aspect_intent": aspect_intent, "aspect_cued": aspect_intent != "ask_overview"},
                           named=("school_enrollment", 0.86))
    tracker.slots["aspect"] = "where"
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "school_enrollment") in events and SlotSet("aspect", aspect) in events


async def test_a_service_statement_without_aspect_words_keeps_the_aspect_under_discussion(kb, dispatcher, domain):
    """The classifier's best aspect for a plain statement ("what's the HK permit exactly", read as
    naming a service) is a guess: without the words to back it, the aspect stays."""
    text = "the school registration thing"
    tracker = tracker_with(kb, text, "inform_service", "en", previous="residence_permit",
                           evidence={"aspect_intent": "ask_fee", "aspect_cued": False}, named=("school_enrollment", 0.86))
    tracker.slots["aspect"] = "where"
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("aspect", "where") in events


@pytest.mark.parametrize("lang,text", [("zh", "她回国以后要去哪里补"), ("en", "it was stolen, where do I go")])
async def test_a_refused_question_about_the_conversations_own_situation_is_answered(kb, dispatcher, domain, lang,
                                                                                   text):
    from actions.service_answer import ActionOutOfScope

    tracker = tracker_with(kb, text, "out_of_scope", lang, previous="passport_renewal",
                           evidence={"aspect_intent": "ask_where"})
    events = await ActionOutOfScope().run(dispatcher, tracker, domain)
    assert SlotSet("service", "passport_renewal") in events and SlotSet("aspect", "where") in events


@pytest.mark.parametrize("lang,text,named", [
    ("zh", "去办的时候他得带些啥材料，护照肯定得带吧", "passport_renewal"),
    ("en", "do I need to bring my passport for it", "passport_application"),
])
async def test_a_document_to_bring_keeps_the_conversation(kb, dispatcher, domain, lang, text, named):
    """A document named as something to bring for the service under discussion is a material of
    it, not a new request (focus.yml material_before/material_after)."""
    tracker = tracker_with(kb, text, "ask_materials", lang, previous="foreigner_visa_extension",
                           named=(named, 0.8))
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "foreigner_visa_extension") in events


async def test_asking_for_the_document_itself_is_still_a_switch(kb, dispatcher, domain):
    tracker = tracker_with(kb, "我的护照丢了，补办要带什么", "ask_materials", "zh",
                           previous="foreigner_visa_extension", named=("passport_renewal", 0.8))
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "passport_renewal") in events
