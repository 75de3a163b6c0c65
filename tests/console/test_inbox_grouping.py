"""Grouping of unanswered messages for the staff inbox (pure Python, no Rasa)."""
from __future__ import annotations

import random
import time

import pytest

from console.inbox import InboxItem, explain, group_items, suggested_alias, suggested_faq
from console.text_terms import terms

NOW = 1_750_000_000.0
HOUR = 3600.0

PENSION = {
    "zh": ["退休后出国定居，养老金怎么领取？", "请问出国定居以后还能领取养老金吗", "我要出国定居了，养老金能在国外领取吗"],
    "en": [
        "Can I claim my pension if I move abroad?",
        "How do I claim my pension when living abroad",
        "Will my pension be paid if I move abroad?",
    ],
}
PET = {
    "zh": ["宠物登记证怎么办理", "办理宠物登记证需要什么材料"],
    "en": ["How do I get a dog license?", "Where can I apply for a license for my dog"],
}


def _items(texts: list[str], language: str, *, start_id: int = 1, hours_ago: float = 1.0,
           reason: str = "fallback", service: str | None = None, sender: str | None = None) -> list[InboxItem]:
    """One item per text, each a minute older than the previous, from distinct senders by default."""
    return [
        InboxItem(start_id + i, sender or f"s{start_id + i}", NOW - hours_ago * HOUR - 60 * i, language, text,
                  reason, service)
        for i, text in enumerate(texts)
    ]


def _texts(group) -> set[str]:
    return {it.text for it in group.items}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_differently_worded_questions_group_together(lang: str) -> None:
    items = _items(PENSION[lang], lang, service="pension_claim") + _items(PET[lang], lang, start_id=10)
    groups = group_items(items, now=NOW)
    assert len(groups) == 2
    assert {frozenset(_texts(g)) for g in groups} == {frozenset(PENSION[lang]), frozenset(PET[lang])}
    pension = next(g for g in groups if g.service == "pension_claim")
    assert pension.representative in PENSION[lang]
    assert ("养老金" if lang == "zh" else "pension") in pension.terms[:2]
    assert len(pension.terms) <= 5
    assert [it.timestamp for it in pension.items] == sorted((it.timestamp for it in pension.items), reverse=True)


def test_traditional_chinese_joins_the_simplified_group() -> None:
    items = _items(PENSION["zh"], "zh") + _items(PET["zh"], "zh", start_id=10)
    items += _items(["出國定居後養老金在國外怎麼領取"], "zh", start_id=20, hours_ago=0.5)
    groups = group_items(items, now=NOW)
    assert len(groups) == 2
    assert "出國定居後養老金在國外怎麼領取" in _texts(next(g for g in groups if "养老金" in g.terms))


def test_terms_drop_stop_words_numbers_and_plurals() -> None:
    assert terms("请问养老金怎么领取？") == {"养老金", "领取"}
    assert terms("請問養老金怎麼領取？") == {"养老金", "领取"}
    assert terms("How can I renew my passports in 2025?") == {"renew", "passport"}
    assert terms("address") == {"address"}
    assert terms("123 456") == frozenset()


def test_identical_texts_without_terms_group_by_text() -> None:
    items = _items(["你好", "你好！", "谢谢"], "zh")
    assert sorted(len(g.items) for g in group_items(items, now=NOW)) == [1, 2]


def test_volume_counts_distinct_senders() -> None:
    repeated = _items(PENSION["zh"], "zh", sender="same-citizen")
    other = _items(PENSION["zh"][:1], "zh", start_id=10, sender="another")
    [group] = group_items(repeated + other, now=NOW)
    assert len(group.items) == 4
    assert group.volume == 2


def test_priority_is_volume_times_recency_times_negatives() -> None:
    items = _items(PENSION["zh"][:2], "zh", hours_ago=24, reason="fallback", service="pension_claim")
    items += _items(PENSION["zh"][2:], "zh", start_id=5, hours_ago=30, reason="thumbs_down")
    [group] = group_items(items, now=NOW, half_life_hours=72)
    assert group.volume == 3
    assert group.negatives == 1
    assert group.hours_since_last == pytest.approx(24)
    assert group.recency == pytest.approx(0.5 ** (24 / 72))
    assert group.priority == round(3 * 0.5 ** (24 / 72) * 2, 2) == 4.76
    assert group.reasons == {"fallback": 2, "thumbs_down": 1}
    assert group.service == "pension_claim"
    assert group.languages == ["zh"]
    assert explain(group) == {"volume": 3, "recency": 0.794, "hours_since_last": 24.0, "negatives": 1,
                              "priority": 4.76}


def test_older_group_of_same_size_ranks_below_fresh_one() -> None:
    old = _items(PENSION["zh"], "zh", hours_ago=100)
    fresh = _items(PET["zh"] + ["宠物登记证在哪里办理"], "zh", start_id=10, hours_ago=1)
    old_group, fresh_group = group_items(old, now=NOW), group_items(fresh, now=NOW)
    groups = group_items(old + fresh, now=NOW)
    assert [g.key for g in groups] == [fresh_group[0].key, old_group[0].key]
    assert groups[0].volume == groups[1].volume == 3
    assert groups[0].priority > groups[1].priority


def test_key_is_stable_signature_of_turn_ids() -> None:
    items = _items(PENSION["en"], "en")
    first, second = group_items(items, now=NOW), group_items(list(reversed(items)), now=NOW + HOUR)
    assert first[0].key == second[0].key
    assert len(first[0].key) == 12 and int(first[0].key, 16) >= 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_suggested_faq_and_alias(lang: str) -> None:
    other = "en" if lang == "zh" else "zh"
    items = _items(PENSION[lang], lang, service="pension_claim")
    items += _items(PENSION[lang][:1], lang, start_id=20)  # a repeated question is listed once
    [group] = group_items(items, now=NOW)
    faq = suggested_faq(group)
    assert faq == {
        "id": f"faq-inbox-{group.key}",
        "service": "pension_claim",
        "tags": [],
        "questions": {lang: faq["questions"][lang], other: []},
        "answer": {"zh": "", "en": ""},
    }
    assert faq["questions"][lang][0] == group.representative
    assert sorted(faq["questions"][lang]) == sorted(PENSION[lang])
    alias = suggested_alias(group)
    assert alias == {"service": "pension_claim", "language": lang,
                     "alias": group.representative.rstrip("?？!！。. ")[:40]}
    assert not alias["alias"].endswith(("?", "？"))


def test_alias_is_at_most_40_characters() -> None:
    [group] = group_items(_items(["How do I claim my state pension " + "abroad " * 10 + "?"], "en"), now=NOW)
    alias = suggested_alias(group)["alias"]
    assert len(alias) <= 40 and alias.startswith("How do I claim") and alias == alias.strip()


def test_only_newest_max_items_are_considered() -> None:
    items = _items(PENSION["en"] * 4, "en")
    groups = group_items(items, now=NOW, max_items=5)
    assert sum(len(g.items) for g in groups) == 5
    kept = {it.turn_id for g in groups for it in g.items}
    assert kept == {it.turn_id for it in sorted(items, key=lambda it: -it.timestamp)[:5]}


def test_five_thousand_items_group_quickly() -> None:
    rng = random.Random(7)
    subjects = ["养老金", "社保卡", "护照", "身份证", "驾驶证", "公积金", "居住证", "营业执照", "结婚证", "户口"]
    verbs = ["补办", "挂失", "续签", "查询", "转移", "注销", "领取", "变更"]
    places = ["网上", "线下", "外地", "本市", "窗口", "手机上"]
    en_subjects = ["pension", "passport", "licence", "permit", "visa", "benefit", "tax", "housing fund"]
    en_verbs = ["renew", "transfer", "cancel", "replace", "check", "claim"]
    items = []
    for n in range(5000):
        if n % 3:
            text = f"{rng.choice(places)}{rng.choice(verbs)}{rng.choice(subjects)}怎么办理？{n % 97}"
            lang = "zh"
        else:
            when = rng.choice(["online", "abroad", "today", "quickly"])
            text = f"How do I {rng.choice(en_verbs)} my {rng.choice(en_subjects)} {when}?"
            lang = "en"
        items.append(InboxItem(n, f"s{n % 1500}", NOW - rng.uniform(0, 500) * HOUR, lang, text,
                               rng.choice(["refused", "fallback", "handoff", "thumbs_down"])))
    terms("预热 jieba")  # load the dictionary outside the timed part
    started = time.perf_counter()
    groups = group_items(items, now=NOW)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"grouping 5,000 items took {elapsed:.2f} s"
    assert sum(len(g.items) for g in groups) == 5000
    assert 10 < len(groups) < 2000
    assert [g.priority for g in groups] == sorted((g.priority for g in groups), reverse=True)
