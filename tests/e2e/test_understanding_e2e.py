"""End to end: the decision layer and the conversation context, in both languages."""
import uuid

import pytest

from .test_first_conversation import is_chinese, is_english, texts

pytestmark = pytest.mark.e2e


def who(tag: str) -> str:
    return f"e2e-und-{tag}-{uuid.uuid4().hex[:8]}"


def latest(bot, sender):
    tracker = bot.tracker(sender)
    return tracker["slots"], tracker["latest_message"]


@pytest.mark.parametrize("lang,first,first_service,follow_up,refined", [
    ("en", "I need to renew my ID card", "id_card_application", "actually I lost it", "id_card_replacement"),
    ("zh", "我想换身份证", "id_card_application", "被偷了", "id_card_replacement"),
    ("en", "How do I apply for a passport?", "passport_application", "mine was stolen", "passport_renewal"),
    ("zh", "户口迁移怎么办", "hukou_transfer", "孩子刚出生", "newborn_hukou_registration"),
])
def test_a_refinement_moves_to_the_sibling_service(bot, lang, first, first_service, follow_up, refined):
    sender = who(f"refine-{lang}")
    bot.say(sender, first)
    assert latest(bot, sender)[0]["service"] == first_service
    reply = texts(bot.say(sender, follow_up))
    assert latest(bot, sender)[0]["service"] == refined
    assert is_chinese(reply) if lang == "zh" else is_english(reply.split("http")[0])


@pytest.mark.parametrize("lang,ambiguous,choice", [
    ("en", "I lost my card", "the ID card"),
    ("zh", "证件被偷了", "是身份证"),
])
def test_offered_candidates_survive_a_typed_reply(bot, lang, ambiguous, choice):
    sender = who(f"cand-{lang}")
    replies = bot.say(sender, ambiguous)
    buttons = [b["payload"] for m in replies for b in m.get("buttons", [])]
    assert any("id_card_replacement" in p for p in buttons)
    slots, _ = latest(bot, sender)
    assert slots["service"] is None and "id_card_replacement" in (slots["candidates"] or [])
    bot.say(sender, choice)
    assert latest(bot, sender)[0]["service"] == "id_card_replacement"


@pytest.mark.parametrize("lang,text", [
    ("en", "which car insurance company is the cheapest"),
    ("en", "I want to apply for a credit card"),
    ("zh", "信用卡年费多少钱"),
    ("zh", "帮我订一张去北京的机票"),
])
def test_commercial_requests_are_refused_without_a_service(bot, lang, text):
    sender = who(f"oos-{lang}")
    reply = texts(bot.say(sender, text))
    slots, message = latest(bot, sender)
    assert message["intent"]["name"] in ("out_of_scope", "nlu_fallback")
    assert slots["service"] is None
    assert "12345" in reply


@pytest.mark.parametrize("lang,text", [
    ("en", "what's your name?"), ("en", "are you a robot or a real person"), ("en", "tell me a joke"),
    ("zh", "你叫什么名字"), ("zh", "你是机器人还是真人"), ("zh", "你好笨啊"),
])
def test_small_talk_gets_the_persona_not_a_refusal(bot, lang, text):
    sender = who(f"chat-{lang}")
    reply = texts(bot.say(sender, text))
    slots, message = latest(bot, sender)
    assert message["intent"]["name"] not in ("out_of_scope", "nlu_fallback")
    assert slots["service"] is None
    assert reply and (is_chinese(reply) if lang == "zh" else is_english(reply))
    assert "超出了我的服务范围" not in reply and "outside what I can help with" not in reply  # not the refusal


def test_a_change_of_language_keeps_the_service(bot):
    sender = who("lang")
    bot.say(sender, "护照怎么办理？")
    reply = texts(bot.say(sender, "how much does it cost?"))
    slots, _ = latest(bot, sender)
    assert (slots["service"], slots["aspect"], slots["language"]) == ("passport_application", "fee", "en")
    assert "CNY" in reply or "120" in reply


def test_the_decision_is_in_the_parse_data(bot):
    sender = who("record")
    bot.say(sender, "护照怎么办理？")
    record = latest(bot, sender)[1]["understanding"]
    assert record["service"] == "passport_application"
    assert record["reason"] and "evidence" in record


@pytest.mark.parametrize("lang,topic,offered,reply,chosen", [
    ("zh", "养老", {"pension_claim", "social_insurance_enrollment"}, "我妈今年五十五了，退休金咋领", "pension_claim"),
    ("en", "question about hukou", {"hukou_transfer", "newborn_hukou_registration"},
     "moving my hukou to my wife's city", "hukou_transfer"),
    ("zh", "刚被辞退了", {"unemployment_benefits", "labor_dispute_arbitration"}, "想领失业金", "unemployment_benefits"),
    ("en", "we're starting a business", {"business_registration", "individual_business_registration"},
     "a limited company with two shareholders", "business_registration"),
])
def test_a_bare_topic_is_asked_about_then_answered(bot, lang, topic, offered, reply, chosen):
    """A message that only names a broad topic gets a question with buttons, in its language; the
    typed reply picks the service."""
    sender = who(f"topic-{lang}")
    messages = bot.say(sender, topic)
    slots, message = latest(bot, sender)
    assert slots["service"] is None
    assert offered <= set(slots["candidates"] or [])
    assert any(m.get("buttons") for m in messages)
    assert is_chinese(texts(messages)) if lang == "zh" else is_english(texts(messages))
    assert "broad topic" in message["understanding"]["reason"]
    bot.say(sender, reply)
    assert latest(bot, sender)[0]["service"] == chosen
