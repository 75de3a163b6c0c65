"""Follow-ups read together with the service under discussion and the offered candidates."""
from __future__ import annotations

from bot.understanding.context import families, pick_candidate, refine

NAMES = {
    "id_card_application": ["居民身份证申领、换领", "身份证", "换身份证"],
    "id_card_replacement": ["居民身份证挂失补领", "补身份证", "身份证丢了"],
    "temporary_id_card": ["临时居民身份证", "临时身份证"],
    "hukou_transfer": ["户口迁移", "迁户口", "落户"],
    "newborn_hukou_registration": ["新生儿入户", "宝宝落户", "新生儿上户口"],
    "passport_application": ["普通护照申领", "护照"],
    "passport_renewal": ["护照换发、补发", "换护照"],
    "hk_macau_permit": ["往来港澳通行证及签注", "港澳通行证"],
    "social_security_card": ["社会保障卡申领", "社保卡"],
}
CATEGORIES = families(NAMES)


def test_families_come_from_shared_names():
    assert CATEGORIES["passport_application"] == {"passport_renewal"}
    assert CATEGORIES["id_card_application"] == {"id_card_replacement", "temporary_id_card"}
    assert "hk_macau_permit" not in CATEGORIES["passport_application"]
    assert CATEGORIES["social_security_card"] == set()


def test_lost_after_renewal_refines_to_the_replacement():
    ranking = [("id_card_replacement", 0.42), ("social_security_card", 0.2)]
    assert refine("id_card_application", ranking, CATEGORIES) == "id_card_replacement"


def test_newborn_after_hukou_refines_to_newborn_registration():
    assert refine("hukou_transfer", [("newborn_hukou_registration", 0.5)], CATEGORIES) == "newborn_hukou_registration"


def test_an_aspect_follow_up_stays():
    assert refine("passport_renewal", [], CATEGORIES) is None
    assert refine("passport_renewal", [("passport_renewal", 0.4), ("passport_application", 0.35)], CATEGORIES) is None


def test_ties_with_outsiders_still_refine_within_the_family():
    ranking = [("passport_renewal", 0.58), ("social_security_card", 0.58), ("id_card_replacement", 0.58)]
    assert refine("id_card_application", ranking, CATEGORIES) == "id_card_replacement"
    assert refine("passport_application", ranking, CATEGORIES) == "passport_renewal"


def test_the_service_under_discussion_ranked_above_its_sibling_stays():
    ranking = [("id_card_application", 0.45), ("id_card_replacement", 0.4)]
    assert refine("id_card_application", ranking, CATEGORIES) is None


def test_a_strong_mention_of_another_family_is_a_switch_not_a_refinement():
    assert refine("passport_application", [("social_security_card", 0.8)], CATEGORIES) is None


def test_a_related_but_not_sibling_service_is_not_a_refinement():
    assert refine("passport_renewal", [("id_card_replacement", 0.37), ("hk_macau_permit", 0.27)], CATEGORIES) is None


def test_a_faint_sibling_is_not_enough():
    assert refine("id_card_application", [("temporary_id_card", 0.2)], CATEGORIES) is None
    assert refine("id_card_application", [("id_card_replacement", 0.253)], CATEGORIES) is None


def test_typed_reply_picks_an_offered_candidate_by_search():
    offered = ["id_card_replacement", "social_security_card", "temporary_id_card"]
    assert pick_candidate(offered, [("passport_renewal", 0.5), ("id_card_replacement", 0.2)]) == "id_card_replacement"


def test_typed_reply_picks_by_meaning_when_search_is_silent():
    offered = ["id_card_replacement", "social_security_card"]
    semantic = {"id_card_replacement": 0.86, "social_security_card": 0.8}
    assert pick_candidate(offered, [], semantic) == "id_card_replacement"


def test_unclear_reply_picks_nothing():
    offered = ["id_card_replacement", "social_security_card"]
    assert pick_candidate(offered, [], {"id_card_replacement": 0.8, "social_security_card": 0.795}) is None
    assert pick_candidate([], [("id_card_replacement", 0.9)]) is None


def test_meaning_refines_when_the_words_name_nothing_of_the_family():
    semantic = {"id_card_replacement": 0.88, "passport_renewal": 0.87, "id_card_application": 0.84}
    ranking = [("passport_renewal", 0.35), ("driver_license_renewal", 0.3)]
    assert refine("id_card_application", ranking, CATEGORIES, semantic, statement=True) == "id_card_replacement"


def test_meaning_is_not_consulted_for_an_aspect_question():
    """"多少钱" resembles some service's FAQ by chance: not a refinement."""
    semantic = {"id_card_replacement": 0.9}
    ranking = [("hk_macau_permit", 0.253), ("id_card_replacement", 0.253)]
    assert refine("id_card_application", ranking, CATEGORIES, semantic, statement=False) is None


def test_meaning_does_not_refine_to_a_distant_sibling():
    semantic = {"passport_renewal": 0.88, "hk_macau_permit": 0.87, "social_security_card": 0.86,
                "id_card_replacement": 0.85, "id_card_application": 0.80}
    assert refine("id_card_application", [], CATEGORIES, semantic, statement=True) is None


def test_listed_groups_add_siblings_the_names_miss():
    from bot.understanding.context import family_groups, with_groups

    grouped = with_groups(CATEGORIES, family_groups())
    assert "temporary_id_card" in grouped["id_card_replacement"]
    assert "id_card_replacement" in grouped["temporary_id_card"]
    assert CATEGORIES["passport_application"] <= grouped["passport_application"]


import pytest  # noqa: E402

ID_CARDS = ["id_card_application", "id_card_replacement", "temporary_id_card"]
PASSPORTS = ["passport_application", "passport_renewal"]


@pytest.mark.parametrize("text,choices,expected", [
    ("我第一次申請", PASSPORTS, "passport_application"),
    ("以前从来没办过", PASSPORTS, "passport_application"),
    ("first time applying", PASSPORTS, "passport_application"),
    ("mine expired in March", PASSPORTS, "passport_renewal"),
    ("it expired last month", ID_CARDS, "id_card_application"),
    ("錢包被偷了", ID_CARDS, "id_card_replacement"),
    ("能先办个临时的吗", ID_CARDS, "temporary_id_card"),
    ("can I get a temp one", ID_CARDS, "temporary_id_card"),
    ("想去香港", ["hk_macau_permit", "taiwan_permit"], "hk_macau_permit"),
    ("丢了，而且也过期了", PASSPORTS, "passport_renewal"),  # two situations, both fit a renewal
    ("身份证丢了，能先办个临时的不", ID_CARDS, "temporary_id_card"),  # the temporary card prevails
    ("lost my ID, can I get a temporary one", ID_CARDS, "temporary_id_card"),
])
def test_a_situation_picks_one_of_the_choices(text, choices, expected):
    from bot.understanding.context import situation_pick

    assert situation_pick(text, choices) == expected


@pytest.mark.parametrize("text,choices", [
    ("要多少钱", PASSPORTS),                    # no situation
    ("第一次办，之前的丢了", ID_CARDS),         # a first card and a lost one: unclear
    ("我第一次申请", ["hukou_transfer", "newborn_hukou_registration"]),  # fits none
])
def test_no_situation_or_several_pick_nothing(text, choices):
    from bot.understanding.context import situation_pick

    assert situation_pick(text, choices) is None
