"""knowledge_base.search: ranking over the fixture catalogue (tests/search/conftest.py)."""
from __future__ import annotations

import dataclasses
import time

import pytest

from knowledge_base.search import DEFAULT_THRESHOLD, Hit, Searcher


def top_service(hits):
    return hits[0].service_id if hits else None


@pytest.mark.parametrize(
    "query, expected",
    [
        # Simplified Chinese
        ("我想办护照", "passport_application"),
        ("护照丢了怎么补办", "passport_renewal"),
        ("港澳通行证怎么续签", "hk_macau_permit"),
        ("去台湾要办什么证", "taiwan_permit"),
        ("公积金怎么取出来", "housing_fund_withdrawal"),
        ("身份证丢了", "id_card_replacement"),
        ("驾照过期了怎么办", "driver_license_renewal"),
        # Traditional Chinese
        ("護照過期了怎麼換", "passport_renewal"),
        ("港澳通行證在哪裡辦", "hk_macau_permit"),
        ("身分證不見了要補辦", "id_card_replacement"),
        ("公積金貸款要什麼條件", "housing_fund_loan"),
        # English (lemmas: "renewing passports" ~ "renew passport")
        ("renewing passports", "passport_renewal"),
        ("how do I withdraw money from my housing fund", "housing_fund_withdrawal"),
        ("I lost my ID card", "id_card_replacement"),
        ("where can we get married", "marriage_registration"),
        ("my driving licence has expired", "driver_license_renewal"),
        ("pasport renewal", "passport_renewal"),  # typo
        # mixed
        ("我想办 passport", "passport_application"),
        ("身份证 lost 了怎么办", "id_card_replacement"),
        ("housing fund 贷款 limit 是多少", "housing_fund_loan"),
    ],
)
def test_top_service(searcher, query, expected):
    hits = searcher.search(query)
    assert top_service(hits) == expected, hits
    assert hits[0].score >= DEFAULT_THRESHOLD


def test_longest_alias_wins(searcher):
    hits = [h for h in searcher.search("港澳通行证") if h.kind == "service"]
    assert hits[0].id == "hk_macau_permit" and hits[0].matched == "港澳通行证"
    assert hits[0].score - hits[1].score > 0.3


def test_ambiguous_alias_ties(searcher):
    hits = [h for h in searcher.search("通行证") if h.kind == "service"]
    assert {hits[0].id, hits[1].id} == {"hk_macau_permit", "taiwan_permit"}
    assert hits[0].score == pytest.approx(hits[1].score)


@pytest.mark.parametrize(
    "query, expected, negated",
    [
        ("no, I meant the loan, not the withdrawal", "housing_fund_loan", "housing_fund_withdrawal"),
        ("the withdrawal rather than the loan", "housing_fund_withdrawal", "housing_fund_loan"),
        ("I want a housing fund loan instead of a withdrawal", "housing_fund_loan", "housing_fund_withdrawal"),
        ("我要办的是公积金贷款，不是提取", "housing_fund_loan", "housing_fund_withdrawal"),
        ("不是结婚登记，是换身份证", "id_card_application", "marriage_registration"),
    ],
)
def test_negated_mentions_are_down_weighted(searcher, query, expected, negated):
    hits = [h for h in searcher.search(query, limit=10) if h.kind == "service"]
    assert hits[0].id == expected
    scores = {h.id: h.score for h in hits}
    assert scores.get(negated, 0.0) < 0.5 * scores[expected]


def test_negation_alone_keeps_the_mention(searcher):
    assert top_service(searcher.search("not the withdrawal")) == "housing_fund_withdrawal"


def test_question_form_of_negation_is_not_negation(searcher):
    assert top_service(searcher.search("身份证是不是丢了要补办")) == "id_card_replacement"


@pytest.mark.parametrize(
    "query",
    ["今天天气怎么样", "what's the weather", "你好", "hello there", "😀", "12345", "需要什么材料",
     "how much does it cost", "帮我写首诗", "tell me a joke", "", "   "],
)
def test_text_without_service_meaning_scores_low(searcher, query):
    hits = searcher.search(query)
    assert all(h.score < DEFAULT_THRESHOLD for h in hits), hits


def test_faq_hit_carries_its_service(searcher):
    hits = searcher.search("办护照要自己带照片吗")
    faq = next(h for h in hits if h.kind == "faq")
    assert faq.id == "faq_passport_photo" and faq.service_id == "passport_application"
    assert faq.score > 0.8
    assert top_service(hits) == "passport_application"


def test_general_faq_has_no_service(searcher):
    hits = searcher.search("办事需要提前预约吗")
    assert hits and hits[0].id == "faq_general_appointment" and hits[0].service_id is None


def test_hits_are_sorted_bounded_and_frozen(searcher):
    hits = searcher.search("公积金", limit=3)
    assert 0 < len(hits) <= 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(0.0 <= h.score <= 1.0 for h in hits)
    with pytest.raises(dataclasses.FrozenInstanceError):
        hits[0].score = 1.0


def test_matched_text_follows_language(searcher):
    assert searcher.search("港澳通行证", lang="en")[0].matched == "港澳通行证"  # the alias that matched
    hit = next(h for h in searcher.search("公积金可以贷多少", lang="en") if h.kind == "service")
    assert hit.matched == "Housing provident fund loan"


def test_user_words_cover_names_and_aliases(searcher):
    words = searcher.user_words()
    assert "港澳通行证" in words and "普通护照申领" in words and "renew passport" in words


def test_from_records_accepts_dataclasses():
    @dataclasses.dataclass(frozen=True)
    class Bi:
        zh: str
        en: str

    @dataclasses.dataclass(frozen=True)
    class BiList:
        zh: tuple
        en: tuple

    @dataclasses.dataclass(frozen=True)
    class Service:
        id: str
        name: Bi
        aliases: BiList
        category: str
        summary: Bi

    @dataclasses.dataclass(frozen=True)
    class Faq:
        id: str
        service_id: str | None
        questions: BiList
        answer: Bi

    services = [
        Service("notarization", Bi("公证办理", "Notarisation"), BiList(("公证", "办公证"), ("notary",)), "justice",
                Bi("公证处办理。", "At the notary office.")),
        Service("legal_aid", Bi("法律援助申请", "Legal aid application"), BiList(("法律援助",), ("legal aid",)),
                "justice", Bi("法律援助中心办理。", "At the legal aid centre.")),
    ]
    faqs = [Faq("faq_notary_time", "notarization", BiList(("公证要几天",), ("How long does notarisation take?",)),
                Bi("一般5个工作日。", "Usually 5 working days."))]
    searcher = Searcher.from_records(services, faqs)
    assert top_service(searcher.search("我要办公证")) == "notarization"
    faq = next(h for h in searcher.search("公证要几天") if h.kind == "faq")
    assert faq.service_id == "notarization"


def test_empty_catalogue():
    assert Searcher.from_records([], []).search("护照") == []


def test_search_is_fast(records):
    services, faqs = records
    many = []
    for i in range(5):  # 50 services, 15 FAQs x several variants
        many += [dict(s, id=f"{s['id']}_{i}") for s in services]
    faq_many = [dict(f, id=f"{f['id']}_{i}") for i in range(35) for f in faqs]
    searcher = Searcher.from_records(many, faq_many)
    queries = ["我想办护照", "renewing passports", "港澳通行證在哪裡辦", "no, I meant the loan, not the withdrawal",
               "今天天气怎么样", "housing fund 贷款 limit 是多少", "pasport renewal"]
    for q in queries:
        searcher.search(q)  # warm caches
    started = time.perf_counter()
    for _ in range(20):
        for q in queries:
            searcher.search(q)
    per_query = (time.perf_counter() - started) / (20 * len(queries))
    assert per_query < 0.005


def test_hit_is_a_plain_dataclass():
    hit = Hit("service", "x", "x", 0.5, "x")
    assert dataclasses.asdict(hit) == {"kind": "service", "id": "x", "service_id": "x", "score": 0.5, "matched": "x"}
