"""decide(): evidence in, one decision out (pure Python, no Rasa)."""
from __future__ import annotations

import pytest

from bot.understanding.decision import Evidence, decide, thresholds
from bot.understanding.semantic import OUT_OF_SCOPE, SMALL_TALK, SemanticEvidence


def sem(**scores: float) -> SemanticEvidence:
    mapping = {"oos": OUT_OF_SCOPE, "chat": SMALL_TALK}
    return SemanticEvidence({mapping.get(k, k): v for k, v in scores.items()})


def ev(intent="out_of_scope", confidence=0.9, service=None, service_score=0.0, lexical=(), semantic=None,
       aspect="ask_overview", payload=False, asks_for_human=False) -> Evidence:
    return Evidence(intent=intent, confidence=confidence, service=service, service_score=service_score,
                    lexical=tuple(lexical), aspect_intent=aspect, semantic=(lambda: semantic),
                    is_payload=payload, asks_for_human=asks_for_human)


def test_clear_service_question_is_kept_without_consulting_meaning():
    called = []
    e = Evidence(intent="ask_fee", confidence=0.95, service="passport_application", service_score=0.9,
                 semantic=lambda: called.append(1))
    d = decide(e)
    assert (d.intent, d.service) == ("ask_fee", "passport_application")
    assert not called  # strong lexical evidence: the encoder is not run


@pytest.mark.parametrize("lang,service,score", [("en", "id_card_application", 0.85), ("zh", "passport_application", 0.7),
                                                ("en", "marriage_registration", 0.4)])
def test_a_service_word_in_a_request_for_something_else_is_refused(lang, service, score):
    """ "What's the best phone case for my ID card?", "护照照片修图软件推荐": the gate decides."""
    from dataclasses import replace

    meaning = replace(sem(**{service: 0.85}, oos=0.86), out_of_scope_probability=0.995)
    d = decide(Evidence(intent="ask_where", confidence=0.9, service=service, service_score=score,
                        semantic=lambda: meaning))
    assert d.intent == "out_of_scope" and d.service is None
    assert "scope gate" in d.reason


def test_a_question_naming_no_service_is_refused_only_when_the_gate_is_sure():
    from dataclasses import replace

    unsure = replace(sem(oos=0.8), out_of_scope_probability=0.5)
    sure = replace(sem(oos=0.9), out_of_scope_probability=0.99)
    kept = decide(Evidence(intent="ask_fee", confidence=0.9, semantic=lambda: unsure))  # "how much is it?"
    refused = decide(Evidence(intent="ask_fee", confidence=0.9, semantic=lambda: sure))  # "how much is LASIK?"
    assert kept.intent == "ask_fee" and refused.intent == "out_of_scope"


def test_refusal_rescued_when_search_and_meaning_agree():
    d = decide(ev(lexical=[("hukou_transfer", 0.35)], semantic=sem(hukou_transfer=0.88, oos=0.86),
                  aspect="ask_how"))
    assert (d.intent, d.service) == ("ask_how", "hukou_transfer")
    assert "agree" in d.reason


def test_refusal_kept_when_nothing_is_plausible():
    d = decide(ev(lexical=[], semantic=sem(passport_application=0.80, oos=0.90)))
    assert d.intent == "out_of_scope" and d.service is None and not d.candidates


def test_split_evidence_asks_with_candidates_instead_of_refusing():
    d = decide(ev(lexical=[("id_card_replacement", 0.3), ("social_security_card", 0.28)],
                  semantic=sem(id_card_application=0.85, id_card_replacement=0.84, oos=0.85)))
    assert d.service is None
    assert d.intent.startswith("ask_")
    assert set(d.candidates) >= {"id_card_replacement", "social_security_card"}


def test_faint_service_in_an_out_of_scope_looking_message_is_refused():
    d = decide(ev(intent="ask_fee", confidence=0.8, service="vehicle_registration", service_score=0.35,
                  semantic=sem(vehicle_registration=0.82, oos=0.9)))
    assert d.intent == "out_of_scope" and d.service is None


def test_faint_service_kept_when_meaning_does_not_object():
    d = decide(ev(intent="ask_fee", confidence=0.8, service="vehicle_registration", service_score=0.35,
                  semantic=sem(vehicle_registration=0.9, oos=0.84)))
    assert (d.intent, d.service) == ("ask_fee", "vehicle_registration")


def test_refused_small_talk_becomes_small_talk():
    d = decide(ev(intent="out_of_scope", semantic=sem(chat=0.93, oos=0.85, passport_application=0.8)))
    assert d.intent == "chitchat" and d.service is None


@pytest.mark.parametrize("intent", ["greet", "thanks", "chitchat"])
def test_confident_small_talk_is_left_alone(intent):
    d = decide(ev(intent=intent, confidence=0.9, lexical=[("passport_application", 0.5)],
                  semantic=sem(passport_application=0.95, oos=0.5)))
    assert d.intent == intent and d.service is None


def test_payloads_are_never_changed():
    d = decide(ev(intent="ask_fee", payload=True, semantic=sem(oos=0.99)))
    assert d.intent == "ask_fee" and d.reason == "kept"


def test_without_an_encoder_the_lexical_decision_stands():
    d = decide(ev(lexical=[("hukou_transfer", 0.35)], semantic=None))
    assert d.intent == "out_of_scope" and d.service is None


def test_thresholds_are_data():
    cfg = thresholds()
    assert 0 < cfg["fallback_confidence"] < 1
    assert {"rescue", "ask", "reject", "small_talk"} <= set(cfg)


def test_a_confident_follow_up_without_a_service_is_left_to_the_conversation():
    """"how long does it take" resembles generic requests, but only the conversation knows its
    service: the decision neither refuses it nor picks a service."""
    d = decide(ev(intent="ask_duration", confidence=0.95, lexical=[("marriage_registration", 0.3)],
                  semantic=sem(marriage_registration=0.9, oos=0.95)))
    assert (d.intent, d.service) == ("ask_duration", None)
    assert d.candidates == ("marriage_registration",)


def test_small_talk_that_resembles_a_task_is_refused():
    d = decide(ev(intent="chitchat", confidence=0.9, semantic=sem(chat=0.86, oos=0.93)))
    assert d.intent == "out_of_scope"
    d = decide(ev(intent="chitchat", confidence=0.9, semantic=sem(chat=0.93, oos=0.9)))
    assert d.intent == "chitchat"


def test_a_strong_service_word_in_plain_small_talk_is_small_talk():
    """"what's your name?" matches a service alias with "name", but means small talk."""
    d = decide(ev(intent="ask_overview", confidence=0.9, service="property_record_certificate",
                  service_score=0.85, semantic=sem(chat=0.95, oos=0.85)))
    assert d.intent == "chitchat" and d.service is None


@pytest.mark.parametrize("text", ["I want to talk to a person", "can I speak with a real human?",
                                  "connect me to an agent", "帮我转人工", "我要找真人客服", "轉人工"])
def test_a_request_for_a_person_is_never_lost(text):
    from bot.understanding.decision import asks_for_human

    assert asks_for_human(text)
    e = Evidence(intent="ask_overview", confidence=0.8, asks_for_human=asks_for_human(text))
    assert decide(e).intent == "human_handoff"


@pytest.mark.parametrize("intent", ["human_handoff", "chitchat", "out_of_scope"])
def test_an_unsure_request_for_a_person_that_resembles_small_talk_is_still_a_handoff(intent):
    """"I want to talk to a person": the classifier unsure (0.4) and the nearest examples small talk
    ("talk to me"); the words ask for a person, so the citizen is handed over."""
    d = decide(ev(intent=intent, confidence=0.4, asks_for_human=True, semantic=sem(chat=0.97, oos=0.5)))
    assert d.intent == "human_handoff" and d.service is None


@pytest.mark.parametrize("text", ["护照怎么办理", "who is the person in charge of hukou", "我是真人吗", "human resources office"])
def test_ordinary_questions_are_not_handoffs(text):
    from bot.understanding.decision import asks_for_human

    assert not asks_for_human(text)


def test_an_empty_index_gives_no_evidence_instead_of_failing():
    """A knowledge base before its first build: the semantic index is empty, messages still work."""
    import numpy as np

    from bot.understanding.semantic import SemanticIndex

    empty = SemanticIndex([], [], np.zeros((0,)))
    assert empty.evidence(np.ones(4, dtype=np.float32)).scores == {}
    full = SemanticIndex(["a"], ["x"], np.ones((1, 4)))
    assert len(empty.merged(full)) == 1 and len(full.merged(empty)) == 1


def test_a_trusted_mention_is_read_for_meaning_only_when_configured():
    from dataclasses import replace

    meaning = replace(sem(divorce_registration=0.8, oos=0.9), out_of_scope_probability=0.99)
    e = Evidence(intent="ask_who", confidence=0.9, service="divorce_registration", service_score=0.95,
                 semantic=lambda: meaning)  # "recommend a top divorce lawyer"
    cfg = thresholds()
    assert decide(e, cfg).service == "divorce_registration"  # off by default: not read
    on = {**cfg, "scope_gate": {**cfg["scope_gate"], "trusted": 0.97}}
    assert decide(e, on).intent == "out_of_scope"
    calm = replace(meaning, out_of_scope_probability=0.5)
    assert decide(replace(e, semantic=lambda: calm), on).service == "divorce_registration"


@pytest.mark.parametrize("service_score, intent, service, kept_reason", [
    (0.7, "ask_where", "marriage_registration", "kept: strong service mention"),      # "a restaurant near the registry"
    (0.4, "ask_eligibility", "foreign_driver_license_conversion", "kept: semantic evidence does not object"),
    (0.0, "ask_hours", None, "a service question naming no service"),                 # "job openings at Tencent?"
])
def test_a_request_whose_nearest_examples_are_refusals_is_refused(service_score, intent, service, kept_reason):
    from dataclasses import replace

    cfg = thresholds()
    branch = {0.7: "strong", 0.4: "faint", 0.0: "no_service"}[service_score]
    limit = cfg["refusal_margin"][branch]
    scores = {service: 0.88} if service else {"hukou_transfer": 0.86}
    base = replace(sem(**scores, oos=0.87), out_of_scope_probability=0.3)

    def decision(margin):
        meaning = replace(base, refusal_margin=margin)
        return decide(Evidence(intent=intent, confidence=0.9, service=service, service_score=service_score,
                               semantic=lambda: meaning), cfg)

    refused = decision(limit + 0.005)
    assert (refused.intent, refused.service) == ("out_of_scope", None)
    assert "refusal margin" in refused.reason
    kept = decision(limit - 0.005)
    assert kept.intent == intent and kept.reason.startswith(kept_reason)
    assert decision(None).intent == intent  # no margin known: nothing to read


def test_a_question_whose_words_name_several_services_is_asked_about_not_refused():
    """ "I lost my card": its nearest examples may be refusals, but the words name several cards."""
    from dataclasses import replace

    cfg = thresholds()
    meaning = replace(sem(id_card_replacement=0.93, oos=0.97), out_of_scope_probability=0.6,
                      refusal_margin=cfg["refusal_margin"]["no_service"] + 0.01)
    d = decide(Evidence(intent="ask_overview", confidence=0.9, lexical=(
        ("id_card_replacement", 0.5), ("social_security_card", 0.45), ("bank_card", 0.3)),
        semantic=lambda: meaning), cfg)
    assert d.intent == "ask_overview" and d.service is None and len(d.candidates) >= 2


def test_an_unsure_service_question_whose_words_and_meaning_agree_is_answered():
    """"what docs to register as an individual business": DIET at 0.39 (below the fallback), the
    search and the nearest texts both on the same service: answered, not "I didn't understand"."""
    d = decide(ev(intent="ask_materials", confidence=0.39, service="individual_business_registration",
                  service_score=0.45, semantic=sem(individual_business_registration=0.9, oos=0.8)))
    assert d.intent == "ask_materials" and d.service == "individual_business_registration"
    assert d.confidence >= thresholds()["fallback_confidence"]


@pytest.mark.parametrize("meaning", [dict(business_registration=0.9, oos=0.8),     # meaning disagrees
                                     dict(individual_business_registration=0.8, oos=0.9)])  # elsewhere
def test_an_unsure_service_question_stays_unsure_when_meaning_does_not_agree(meaning):
    d = decide(ev(intent="ask_materials", confidence=0.39, service="individual_business_registration",
                  service_score=0.45, semantic=sem(**meaning)))
    assert d.confidence < thresholds()["fallback_confidence"] or d.intent == "out_of_scope"


def test_the_scope_gate_is_overruled_when_the_nearest_examples_are_service_questions():
    """"I lost my wallet and my ID card was in it": the gate reads a lost wallet (0.94), the nearest
    texts are ID-card questions (refusal margin -0.018): the service stays."""
    meaning = SemanticEvidence({"id_card_replacement": 0.93, OUT_OF_SCOPE: 0.92}, out_of_scope_probability=0.94,
                               refusal_margin=-0.018)
    d = decide(ev(intent="ask_overview", confidence=1.0, service="id_card_application", service_score=0.57,
                  semantic=meaning))
    assert d.intent == "ask_overview" and d.service == "id_card_application"
    meaning = SemanticEvidence({"id_card_replacement": 0.93, OUT_OF_SCOPE: 0.92}, out_of_scope_probability=0.94,
                               refusal_margin=0.01)
    d = decide(ev(intent="ask_overview", confidence=1.0, service="id_card_application", service_score=0.57,
                  semantic=meaning))
    assert d.intent == "out_of_scope"


@pytest.mark.parametrize("chosen, best, expect_service", [
    ("temporary_id_card", "temporary_id_card", "temporary_id_card"),  # the question's service, meaning agrees
    ("temporary_id_card", "id_card_replacement", None),               # the meaning disagrees: ask
    ("id_card_replacement", "id_card_replacement", None),             # no question named one over the story: ask
])
def test_the_service_the_question_names_wins_over_the_storys_when_meaning_agrees(chosen, best, expect_service):
    """"lost my ID card yesterday … how do I get a temporary one": the search picked the question's
    service over a higher-scoring mention in the story; with the meaning on its side it is answered."""
    from dataclasses import replace

    scores = {"temporary_id_card": 0.90, "id_card_replacement": 0.90, best: 0.93}
    meaning = replace(sem(**scores), out_of_scope_probability=0.1)
    d = decide(Evidence(intent="out_of_scope", confidence=1.0, service=chosen, service_score=0.8,
                        lexical=(("id_card_replacement", 0.82), ("temporary_id_card", 0.81)),
                        aspect_intent="ask_how", semantic=lambda: meaning))
    assert d.service == expect_service
    assert d.intent == "ask_how"
    if expect_service is None:
        assert set(d.candidates) == {"id_card_replacement", "temporary_id_card"}


def test_a_tie_in_the_words_is_broken_by_a_clear_meaning():
    """"school says we need a certificate that we dont own any property": school enrolment and
    the certificate tie in the search; the meaning is plainly the certificate."""
    tie = (("school_enrollment", 0.535), ("property_record_certificate", 0.5335), ("divorce_registration", 0.31))
    d = decide(ev("ask_overview", 0.6, lexical=tie,
                  semantic=SemanticEvidence({"property_record_certificate": 0.90, "criminal_record_certificate": 0.873,
                                             OUT_OF_SCOPE: 0.0}, out_of_scope_probability=0.07)))
    assert d.service == "property_record_certificate" and "meaning picks" in d.reason


def test_a_tie_the_meaning_does_not_settle_is_left_to_the_conversation():
    tie = (("school_enrollment", 0.535), ("property_record_certificate", 0.5335))
    close = SemanticEvidence({"property_record_certificate": 0.90, "school_enrollment": 0.895, OUT_OF_SCOPE: 0.0},
                             out_of_scope_probability=0.07)
    elsewhere = SemanticEvidence({"divorce_registration": 0.95, "school_enrollment": 0.80, OUT_OF_SCOPE: 0.0},
                                 out_of_scope_probability=0.07)
    for meaning in (close, elsewhere):
        d = decide(ev("ask_overview", 0.6, lexical=tie, semantic=meaning))
        assert d.service is None and set(d.candidates) >= {"school_enrollment", "property_record_certificate"}


def test_a_refused_question_whose_focus_and_meaning_agree_is_answered():
    """"孩子十岁了想给他办张身份证 户口本要带吗": the household book is only something to bring;
    the question's focus picked the ID card, a little below the search's first, and the meaning
    agrees."""
    lexical = (("newborn_hukou_registration", 0.60), ("id_card_application", 0.585), ("hukou_transfer", 0.48))
    meaning = SemanticEvidence({"id_card_application": 0.942, "newborn_hukou_registration": 0.929,
                                OUT_OF_SCOPE: 0.0}, out_of_scope_probability=0.22)
    d = decide(ev("out_of_scope", 1.0, service="id_card_application", service_score=0.585, lexical=lexical,
                  semantic=meaning, aspect="ask_materials"))
    assert d.service == "id_card_application" and d.intent == "ask_materials"
    # the meaning with the search's first: the focus does not overrule both
    other = SemanticEvidence({"newborn_hukou_registration": 0.95, "id_card_application": 0.90, OUT_OF_SCOPE: 0.0},
                             out_of_scope_probability=0.22)
    d = decide(ev("out_of_scope", 1.0, service="id_card_application", service_score=0.585, lexical=lexical,
                  semantic=other, aspect="ask_materials"))
    assert d.service != "id_card_application"
