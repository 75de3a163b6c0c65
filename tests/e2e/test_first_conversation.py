"""The foundation's end-to-end slice: greeting, a passport question answered from the KB, thanks."""
import re
import uuid

import pytest

pytestmark = pytest.mark.e2e

CJK = re.compile(r"[\u4e00-\u9fff]")


def texts(messages):
    return "\n".join(m.get("text", "") for m in messages)


def is_chinese(text: str) -> bool:
    return len(CJK.findall(text)) >= 0.3 * max(1, len(text.replace(" ", "")))


def is_english(text: str) -> bool:
    return text and len(CJK.findall(text)) == 0


CASES = {
    "zh": {"greet": "你好", "ask": "护照怎么办理？", "thanks": "谢谢", "step_word": "护照", "verified": "信息核对日期"},
    "en": {"greet": "hello", "ask": "How do I apply for a passport?", "thanks": "thanks", "step_word": "passport",
           "verified": "Last verified"},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_passport_conversation(bot, lang):
    case = CASES[lang]
    sender = f"e2e-{lang}-{uuid.uuid4().hex[:8]}"
    check = is_chinese if lang == "zh" else is_english

    greeting = texts(bot.say(sender, case["greet"]))
    assert greeting and check(greeting)
    tracker = bot.tracker(sender)
    assert tracker["slots"]["language"] == lang
    assert tracker["slots"]["service"] is None

    answer = bot.say(sender, case["ask"])
    body = texts(answer)
    assert case["step_word"] in body.lower() or case["step_word"] in body
    assert case["verified"] in body
    assert "http" in body  # the official source link
    assert any(m.get("buttons") for m in answer)
    tracker = bot.tracker(sender)
    assert tracker["slots"]["service"] == "passport_application"
    assert tracker["slots"]["aspect"] == "how"
    assert tracker["slots"]["language"] == lang
    assert tracker["latest_message"]["intent"]["name"] == "ask_how"

    thanks = texts(bot.say(sender, case["thanks"]))
    assert thanks and check(thanks.replace("12345", ""))
    assert bot.tracker(sender)["slots"]["service"] == "passport_application"


def test_out_of_scope_is_refused(bot):
    sender = f"e2e-oos-{uuid.uuid4().hex[:8]}"
    reply = texts(bot.say(sender, "what's the weather like tomorrow?"))
    tracker = bot.tracker(sender)
    assert tracker["latest_message"]["intent"]["name"] in ("out_of_scope", "nlu_fallback")
    assert tracker["slots"]["service"] is None
    assert "12345" in reply
