"""Which of two services a message names is the one it asks about (bot/understanding/focus.py)."""
from __future__ import annotations

import pytest

from bot.understanding.focus import asked_service

PHRASES = tuple(sorted([
    ("无房证明", "property_record_certificate"), ("孩子上学", "school_enrollment"), ("入学", "school_enrollment"),
    ("身份证", "id_card_application"), ("户口", "hukou_transfer"), ("社保", "social_insurance_enrollment"),
    ("灵活就业", "social_insurance_enrollment"), ("发票", "invoice_application"), ("新办企业", "business_registration"),
    ("no-property certificate", "property_record_certificate"), ("school enrolment", "school_enrollment"),
    ("离婚登记", "divorce_registration"), ("婚姻登记", "marriage_registration"),
    ("结婚登记处", "marriage_registration"),
    ("residence permit", "foreigner_residence_permit"), ("passport", "passport_application"),
], key=lambda p: (-len(p[0]), p)))


@pytest.mark.parametrize("text, candidates, expected", [
    # the question clause names one: it is asked about, whatever the purpose before it
    ("孩子上学学校要家里的无房证明 在哪开", ("school_enrollment", "property_record_certificate"), "property_record_certificate"),
    ("无房证明怎么开，孩子上学要", ("school_enrollment", "property_record_certificate"), "property_record_certificate"),
    ("for school enrolment they want a no-property certificate, where do I get it?",
     ("school_enrollment", "property_record_certificate"), "property_record_certificate"),
    # something to bring, asked about in the question, is not the service
    ("孩子十岁了想给他办张身份证 户口本要带吗", ("hukou_transfer", "id_card_application"), "id_card_application"),
    ("新办企业首次领发票要带啥", ("business_registration", "invoice_application"), "invoice_application"),
    # the office named in the question is where to go, not what is asked for
    ("我们俩商量好了要办离婚登记，婚姻登记处几点开门", ("marriage_registration", "divorce_registration"),
     "divorce_registration"),
    ("想去离婚，结婚登记处电话多少", ("marriage_registration", "divorce_registration"), None),
    # one Chinese clause: the condition first, the request last
    ("外地户口能以灵活就业身份交社保吗", ("hukou_transfer", "social_insurance_enrollment"), "social_insurance_enrollment"),
])
def test_the_service_the_question_names_is_asked_about(text, candidates, expected):
    assert asked_service(text, candidates, PHRASES) == expected


@pytest.mark.parametrize("text, candidates", [
    # two questions about two services: the search's order stands
    ("how long does the residence permit take? and do I need a new passport?",
     ("foreigner_residence_permit", "passport_application")),
    # only one candidate named, a single candidate, a payload
    ("身份证怎么办", ("id_card_application", "hukou_transfer")),
    ("孩子上学要无房证明", ("school_enrollment",)),
    ('/inform_service{"service":"hukou_transfer"}', ("hukou_transfer", "id_card_application")),
])
def test_no_answer_when_the_question_does_not_settle_it(text, candidates):
    assert asked_service(text, candidates, PHRASES) is None


def test_an_earlier_question_is_not_lost_to_a_later_remark():
    text = "how long does the residence permit take? they keep my passport, can I travel?"
    assert asked_service(text, ("passport_application", "foreigner_residence_permit"), PHRASES) == \
        "foreigner_residence_permit"


@pytest.mark.parametrize("text,services,expected", [
    ("签证要延期，护照肯定得带吧还有啥", {"passport_application"}, True),
    ("do I need to bring my passport", {"passport_application"}, True),
    ("孩子办身份证，户口本要带吗", {"hukou_transfer"}, True),
    ("我还想办护照", {"passport_application"}, False),                 # asked for itself
    ("身份证丢了", {"id_card_application"}, False),
    ("签证要延期，护照肯定得带吧", set(), False),
])
def test_a_service_named_only_as_something_to_bring(text, services, expected):
    from bot.understanding.focus import only_as_material

    assert only_as_material(text, services, PHRASES + (("护照", "passport_application"),)) is expected


@pytest.mark.parametrize("text,expected", [
    ("do i need my passport for it?", True),
    ("需要带passport吗", True),                    # a Latin name between Chinese characters
    ("is my passport needed", True),
    ("i need a passport", False),                  # asks for one
])
def test_english_and_mixed_documents_to_bring(text, expected):
    from bot.understanding.focus import only_as_material

    assert only_as_material(text, {"passport_application"}, PHRASES) is expected
