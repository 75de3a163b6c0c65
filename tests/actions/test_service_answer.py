"""ActionAnswerService: every aspect answered from the knowledge base, in both languages."""
import pytest
from rasa_sdk.events import SlotSet

from actions import formatting
from actions.service_answer import ActionAnswerService
from knowledge_base import repository

from .conftest import LANGS, sent

ASPECTS = ["overview", "how", "materials", "fee", "duration", "eligibility", "online", "who"]
OFFICE_RESPONSES = {"reply_office_open", "reply_office_closed", "reply_office_lunch", "reply_office_holiday"}


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


def offices_of(kb, service_id):
    with kb.session() as session:
        return repository.offices_for_service(session, service_id)


def office_names(dispatcher):
    return [m["office"] for m in dispatcher.messages if m["response"].startswith("reply_office_")]


def payloads(message):
    return [b["payload"] for b in message["buttons"]]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("aspect", ["where", "hours"])
async def test_where_without_a_district_answers_with_three_offices_then_offers_districts(
        kb, dispatcher, domain, make_tracker, freeze_time, lang, aspect):
    freeze_time(2026, 11, 25, 10, 0)  # a Wednesday morning
    offices = offices_of(kb, "passport_application")
    districts = {o.district.id for o in offices}
    assert len(offices) > 3 and len(districts) > 1
    tracker = make_tracker("/", intent=f"ask_{aspect}", slots={"language": lang, "service": "passport_application"})
    events = await ActionAnswerService().run(dispatcher, tracker, domain)

    names = sent(dispatcher)
    assert len(names) == 6 and names[0] == f"reply_service_{aspect}"
    assert all(n in OFFICE_RESPONSES for n in names[1:4])  # each office with its open-now status
    assert names[4:] == ["reply_narrow_by_district", "reply_service_footer"]
    assert office_names(dispatcher) == [o.name.get(lang) for o in offices[:3]]  # the service's order
    office_msg = dispatcher.messages[1]
    assert office_msg["address"] == offices[0].address.get(lang) and office_msg["phone"] == offices[0].phone
    narrow = dispatcher.messages[-2]
    assert sorted(payloads(narrow)) == sorted(f'/inform_district{{"district":"{d}"}}' for d in districts)
    assert f"/ask_{aspect}" not in payloads(dispatcher.messages[-1])
    assert SlotSet("aspect", aspect) in events


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("district", ["gaoxin", "jiangcheng"])
async def test_where_with_a_district_puts_its_offices_first(kb, dispatcher, domain, make_tracker, freeze_time,
                                                            lang, district):
    freeze_time(2026, 11, 25, 10, 0)
    offices = offices_of(kb, "passport_application")
    local = [o for o in offices if o.district.id == district]
    # the district's offices are not simply the first ones in the service's order
    assert local and [o.district.id for o in offices[:len(local)]] != [district] * len(local)
    tracker = make_tracker("/", intent="ask_where",
                           slots={"language": lang, "service": "passport_application", "district": district})
    await ActionAnswerService().run(dispatcher, tracker, domain)

    names = sent(dispatcher)
    assert names[0] == "reply_service_where" and names[-1] == "reply_service_footer"
    assert "reply_narrow_by_district" not in names
    shown = office_names(dispatcher)
    assert len(shown) == 3
    assert shown[:len(local)] == [o.name.get(lang) for o in local]  # the district's offices first
    others = [o.name.get(lang) for o in offices if o.district.id != district]
    assert shown[len(local):] == others[:3 - len(local)]  # then the rest, in the service's order


@pytest.mark.parametrize("lang", LANGS)
async def test_where_in_a_district_without_an_office_says_so_and_lists_the_others(
        kb, dispatcher, domain, make_tracker, freeze_time, lang):
    freeze_time(2026, 11, 25, 10, 0)
    offices = offices_of(kb, "passport_application")
    with kb.session() as session:
        district = next(d.id for d in repository.list_districts(session)
                        if d.id not in {o.district.id for o in offices})
    tracker = make_tracker("/", intent="ask_where",
                           slots={"language": lang, "service": "passport_application", "district": district})
    await ActionAnswerService().run(dispatcher, tracker, domain)
    names = sent(dispatcher)
    assert names[:2] == ["reply_service_where_district_none", "reply_service_where"]
    assert office_names(dispatcher) == [o.name.get(lang) for o in offices[:3]]
    assert "reply_narrow_by_district" not in names and names[-1] == "reply_service_footer"


@pytest.mark.parametrize("lang", LANGS)
async def test_where_with_offices_in_one_district_offers_no_district_buttons(
        kb, dispatcher, domain, make_tracker, freeze_time, lang):
    freeze_time(2026, 11, 25, 10, 0)
    with kb.session() as session:
        single = next(s.id for s in repository.list_services(session)
                      if len({o.district.id for o in repository.offices_for_service(session, s.id)}) == 1)
    tracker = make_tracker("/", intent="ask_where", slots={"language": lang, "service": single})
    await ActionAnswerService().run(dispatcher, tracker, domain)
    names = sent(dispatcher)
    assert names[0] == "reply_service_where" and names[-1] == "reply_service_footer"
    assert office_names(dispatcher) and "reply_narrow_by_district" not in names


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
