"""End to end through the REST channel: follow-ups, Traditional Chinese, feedback, handoff, masking."""
import re
import sqlite3
import subprocess
import sys
import uuid

import pytest

from .test_first_conversation import is_chinese, is_english, texts

pytestmark = pytest.mark.e2e
ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def sender(tag: str) -> str:
    return f"e2e-{tag}-{uuid.uuid4().hex[:8]}"


def slots(bot, who):
    return bot.tracker(who)["slots"]


def test_follow_up_keeps_the_service_and_changes_the_aspect(bot):
    who = sender("follow")
    bot.say(who, "我想办护照")
    assert slots(bot, who)["service"] == "passport_application"
    bot.say(who, "要带什么材料？")
    s = slots(bot, who)
    assert (s["service"], s["aspect"]) == ("passport_application", "materials")


def test_traditional_input_gets_traditional_reply(bot):
    who = sender("hant")
    reply = texts(bot.say(who, "護照怎麼辦理？"))
    s = slots(bot, who)
    assert s["language"] == "zh" and s["script"] == "traditional"
    assert s["service"] == "passport_application"
    assert "護照" in reply and "护照" not in reply


def test_mixed_message_is_answered_in_chinese(bot):
    who = sender("mixed")
    reply = texts(bot.say(who, "我想办 passport 要带什么"))
    s = slots(bot, who)
    assert s["language"] == "zh"
    assert s["service"] == "passport_application"
    assert is_chinese(re.sub(r"https?://\S+", "", reply))


@pytest.mark.parametrize("lang,question,comment", [
    ("zh", "结婚登记要带什么材料？", "地址写错了"),
    ("en", "What do I need for marriage registration?", "The address is out of date"),
])
def test_thumbs_down_asks_what_was_missing_and_stores_it(bot, lang, question, comment):
    who = sender(f"fb-{lang}")
    bot.say(who, question)
    ask = texts(bot.say(who, '/rate{"rating":"down"}'))
    assert ask and (is_chinese(ask) if lang == "zh" else is_english(ask))
    assert bot.tracker(who)["active_loop"].get("name") == "feedback_form"
    thanks = texts(bot.say(who, comment))
    assert thanks
    db = bot.workdir / "kb.db"
    with sqlite3.connect(db) as conn:
        row = conn.execute("select service, aspect, language, rating, comment from feedback where sender_id=?",
                           (who,)).fetchall()
    assert ("marriage_registration", "materials", lang, "down", None) in row
    assert ("marriage_registration", "materials", lang, "down", comment) in row


def test_handoff_pauses_until_staff_close_the_ticket(bot):
    who = sender("handoff")
    bot.say(who, "护照怎么办理？我的电话是13812345678")
    reply = texts(bot.say(who, "转人工"))
    assert "12345" in reply
    assert bot.tracker(who)["paused"] is True
    assert bot.say(who, "还有人吗？") == []  # paused: the bot stays quiet
    with sqlite3.connect(bot.workdir / "kb.db") as conn:
        ticket_id, transcript = conn.execute(
            "select id, transcript from handoff_tickets where sender_id=? and status='open'", (who,)).fetchone()
    assert "13812345678" not in transcript and "138****5678" in transcript
    env = {**bot.env, "RASA_URL": bot.url}
    subprocess.run([sys.executable, "-m", "service_desk", "close", str(ticket_id), "--by", "tester"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    assert bot.tracker(who)["paused"] is False
    assert texts(bot.say(who, "谢谢"))


def test_personal_data_is_masked_in_the_stored_conversation(bot):
    who = sender("mask")
    bot.say(who, "我的身份证号11010519491231002X丢了怎么办")
    events = bot.tracker(who)["events"]
    user_texts = [e["text"] for e in events if e["event"] == "user"]
    assert user_texts and all("11010519491231002X" not in t for t in user_texts)
    with sqlite3.connect(bot.workdir / "tracker.db") as conn:
        stored = " ".join(r[0] for r in conn.execute("select data from events"))
    assert "11010519491231002X" not in stored


@pytest.mark.parametrize("message", ["", "　", "😀" * 50, "a" * 2000, "<script>alert(1)</script>", "\x00\x01"])
def test_any_message_gets_an_answer_without_crashing(bot, message):
    who = sender("robust")
    replies = bot.say(who, message)
    assert isinstance(replies, list)
    assert bot.tracker(who)["slots"]["language"] in ("zh", "en")


def test_an_over_long_message_gets_a_clear_error_and_the_server_keeps_answering(bot):
    import json
    import urllib.error

    who = sender("long")
    with pytest.raises(urllib.error.HTTPError) as refused:
        bot.say(who, "a" * 20000)
    assert refused.value.code == 413
    body = json.loads(refused.value.read().decode())
    assert body["detail"]["zh"] and body["detail"]["en"]
    assert bot.say(who, "护照怎么办理？")


def test_a_staff_edit_is_understood_and_answered_at_once(bot):
    """An alias and a fee edited in the knowledge base work without retraining or restarting."""
    from knowledge_base import db, repository

    url = bot.env["DATABASE_URL"]
    with db.session_scope(url) as session:
        record = repository.export_content(session)
        service = next(s for s in record["services"] if s["id"] == "notarization")
        service["aliases"]["zh"] = list(service["aliases"]["zh"]) + ["盖个公章认证"]
        service["fee"] = {"zh": "测试收费：每件50元", "en": "Test fee: CNY 50 per document"}
        repository.upsert_service(session, service, user="e2e-test")
    who = sender("edit")
    reply = texts(bot.say(who, "盖个公章认证要多少钱"))
    assert slots(bot, who)["service"] == "notarization"
    assert "测试收费：每件50元" in reply
    db.dispose_engines()


@pytest.mark.parametrize("lang, first, payload, slot, kept, refusal", [
    ("zh", "护照怎么办理？", '/inform_service{"service":"no_such_service"}', "service", "passport_application",
     "选项无效"),
    ("en", "How do I apply for a passport?", '/inform_district{"district":"atlantis"}', "district", None,
     "option is not valid"),
])
def test_a_payload_with_an_unknown_id_is_refused_and_the_slot_kept(bot, lang, first, payload, slot, kept, refusal):
    who = sender(f"payload-{lang}")
    bot.say(who, first)
    reply = texts(bot.say(who, payload))
    assert refusal in reply
    s = slots(bot, who)
    assert s[slot] == kept and s["service"] == "passport_application" and s["language"] == lang
    # a valid payload still goes through (no refusal) and sets the slot
    reply = texts(bot.say(who, '/inform_service{"service":"id_card_application"}'))
    assert refusal not in reply and slots(bot, who)["service"] == "id_card_application"
