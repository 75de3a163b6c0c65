"""ActionAnswerService: every aspect answered from the knowledge base, in both languages."""
import pytest
from rasa_sdk.events import SlotSet

from actions import formatting
from actions.service_answer import ActionAnswerService
from knowledge_base import repository

from .conftest import LANGS, sent

ASPECTS = ["overview", "how", "materials", "fee", "duration", "eligibility", "online", "who"]


def service(kb, service_id):
    with kb.session() as session:
        return repository.get_service(session, service_id)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("aspect", ASPECTS)
async def test_aspect_answer_comes_from_the_knowledge_base(kb, dispatcher, domain, make_tracker, lang, aspect):
    tracker = make_tracker("/", intent=f"ask_{aspect}", slots={"language": lang, "service": "passport_application"})
    events = await ActionAnswerService().run(dispatcher, tracker, domain)

    record = service(kb, "passport_application")
    first, footer = dispatcher.messages[0], dispatcher.messages[-1]
    assert first["response"].startswith("reply_service_")
    assert first["name"] == record.name.get(lang)
    if aspect in ("how", "materials"):
        items = record.steps if aspect == "how" else record.materials
        assert first["items"] == formatting.numbered(items.get(lang), lang)
    elif aspect == "who":
        assert record.department_id and "department" in first
    elif aspect == "online":
        assert first["text_value"] == record.online.text.get(lang)
    else:
        field = {"overview": record.summary, "fee": record.fee, "duration": record.processing_time,
                 "eligibility": record.eligibility}[aspect]
        assert first["text_value"] == field.get(lang)
    assert footer["response"] == "reply_service_footer"
    assert footer["source_url"] == record.source_url
    assert footer["verified"] == formatting.long_date(record.last_verified, lang)
    assert SlotSet("service", "passport_application") in events
    assert SlotSet("aspect", aspect) in events


@pytest.mark.parametrize("lang", LANGS)
async def test_where_asks_for_the_district_when_offices_are_in_several(kb, dispatcher, domain, make_tracker, lang):
    tracker = make_tracker("/", intent="ask_where", slots={"language": lang, "service": "passport_application"})
    await ActionAnswerService().run(dispatcher, tracker, domain)
    ask = dispatcher.messages[0]
    assert ask["response"] == "reply_ask_district"
    assert len(ask["buttons"]) >= 2
    assert all(b["payload"].startswith("/inform_district") for b in ask["buttons"])


@pytest.mark.parametrize("lang", LANGS)
async def test_where_lists_the_offices_of_the_district(kb, dispatcher, domain, make_tracker, freeze_time, lang):
    freeze_time(2026, 11, 25, 10, 0)  # a Wednesday morning
    with kb.session() as session:
        offices = repository.offices_for_service(session, "passport_application")
    district = offices[0].district.id
    tracker = make_tracker("/", intent="ask_where",
                           slots={"language": lang, "service": "passport_application", "district": district})
    await ActionAnswerService().run(dispatcher, tracker, domain)
    names = sent(dispatcher)
    assert names[0] == "reply_service_where"
    office_msgs = [m for m in dispatcher.messages if m["response"].startswith("reply_office_")]
    expected = {o.name.get(lang) for o in offices if o.district.id == district}
    assert {m["office"] for m in office_msgs} == expected
    assert names[-1] == "reply_service_footer"


@pytest.mark.parametrize("lang", LANGS)
async def test_who_names_the_department_and_its_phone(kb, dispatcher, domain, make_tracker, lang):
    tracker = make_tracker("/", intent="ask_who", slots={"language": lang, "service": "housing_fund_withdrawal"})
    await ActionAnswerService().run(dispatcher, tracker, domain)
    record = service(kb, "housing_fund_withdrawal")
    with kb.session() as session:
        dept = repository.get_department(session, record.department_id)
    msg = dispatcher.messages[0]
    assert msg["department"] == dept.name.get(lang)
    assert msg["phone"] == dept.phone


async def test_service_from_the_message_entity_wins_over_the_slot(kb, dispatcher, domain, make_tracker):
    tracker = make_tracker("那港澳通行证呢？", intent="inform_service",
                           slots={"service": "passport_application", "aspect": "fee"},
                           entities=[{"entity": "service", "value": "hk_macau_permit"}])
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "hk_macau_permit") in events
    assert SlotSet("aspect", "fee") in events
    assert dispatcher.messages[0]["response"] == "reply_service_fee"


@pytest.mark.parametrize("lang,text", [("en", "I lost my card"), ("zh", "我的证件丢了")])
async def test_ambiguous_message_gets_a_clarifying_question(kb, dispatcher, domain, make_tracker, lang, text):
    tracker = make_tracker(text, intent="ask_overview", slots={"language": lang})
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    msg = dispatcher.messages[0]
    assert msg["response"] == "reply_clarify_service"
    payloads = [b["payload"] for b in msg["buttons"]]
    assert len(payloads) >= 2 and all(p.startswith("/inform_service") for p in payloads)
    assert not any(isinstance(e, dict) and e.get("name") == "service" and e.get("value") for e in events)


async def test_no_service_at_all_asks_which_service(kb, dispatcher, domain, make_tracker):
    tracker = make_tracker("要带什么？", intent="ask_materials")
    await ActionAnswerService().run(dispatcher, tracker, domain)
    assert sent(dispatcher) == ["reply_ask_service"]


@pytest.mark.parametrize("lang", LANGS)
async def test_a_faq_question_gets_the_staff_written_answer(kb, dispatcher, domain, make_tracker, lang):
    with kb.session() as session:
        faq = next(f for f in repository.list_faqs(session) if f.service_id)
    tracker = make_tracker(faq.questions.get(lang)[0], intent="ask_how", slots={"language": lang})
    await ActionAnswerService().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "reply_faq_answer"
    assert dispatcher.messages[0]["text_value"] == faq.answer.get(lang)


def _history(service):
    return [{"event": "slot", "name": "service", "value": service},
            {"event": "user", "text": "...", "parse_data": {}}]


async def test_a_weak_mention_in_a_follow_up_keeps_the_service(kb, dispatcher, domain, make_tracker):
    tracker = make_tracker("审批要多久", intent="ask_duration", slots={"service": "maternity_registration"},
                           entities=[{"entity": "service", "value": "maternity_registration", "confidence_entity": 0.51}],
                           events=_history("housing_fund_loan"))
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "housing_fund_loan") in events


async def test_a_strong_mention_switches_the_service(kb, dispatcher, domain, make_tracker):
    tracker = make_tracker("那医保报销呢 也能在网上弄吗", intent="ask_online",
                           slots={"service": "medical_insurance_reimbursement"},
                           entities=[{"entity": "service", "value": "medical_insurance_reimbursement",
                                      "confidence_entity": 0.93}],
                           events=_history("unemployment_benefits"))
    events = await ActionAnswerService().run(dispatcher, tracker, domain)
    assert SlotSet("service", "medical_insurance_reimbursement") in events
