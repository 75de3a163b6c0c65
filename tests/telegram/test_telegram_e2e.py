"""End to end: Telegram update JSON → real Rasa server (+ action server) → Bot API double.

Each test uses its own chat id, so the shared session servers and double do not mix them up.
"""
from __future__ import annotations

import re

import pytest

from tests.telegram import updates as U

pytestmark = pytest.mark.e2e

CJK = re.compile(r"[\u4e00-\u9fff]")
OUT_OF_SCOPE_ZH = "超出了我的服务范围"
OUT_OF_SCOPE_EN = "outside what I can help with"


def mostly_english(text: str) -> bool:
    """English answers may quote a Chinese name (e.g. the 移民局 app), but only in passing."""
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and len(CJK.findall(text)) < 0.05 * len(letters)


def replies(stack, chat_id: int) -> list:
    sends = stack.api.calls("sendMessage", chat_id)
    assert sends, f"no reply sent\n{stack.logs()}"
    assert all(c.status == 200 for c in sends), [(c.status, c.params) for c in sends]
    assert all("parse_mode" not in c.params for c in sends)
    return sends


def keyboard(sends) -> list:
    markups = [c.params["reply_markup"] for c in sends if c.params.get("reply_markup")]
    assert markups, "no inline keyboard"
    return [button for row in markups[-1]["inline_keyboard"] for button in row]


def ask(stack, update: dict) -> None:
    status, body = stack.post(update)
    assert status == 200, body


def test_chinese_question_gets_chinese_answer_with_keyboard(telegram_stack):
    chat = 880001
    ask(telegram_stack, U.text(chat, "护照怎么办理？"))
    sends = replies(telegram_stack, chat)
    text = "\n".join(c.params["text"] for c in sends)
    buttons = keyboard(sends)
    titles = [b["text"] for b in buttons]
    # the answer with its footer, or (when NLU hesitates) the list of likely services
    assert "护照" in text + "".join(titles)
    assert len(CJK.findall(text)) > 10 and all(CJK.search(t) for t in titles if t[0] not in "👍👎")
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    assert telegram_stack.tracker(f"telegram-{chat}")["slots"]["language"] == "zh"


def test_english_question_gets_english_answer_with_keyboard(telegram_stack):
    chat = 880002
    ask(telegram_stack, U.text(chat, "How do I apply for a passport?", language_code="en"))
    sends = replies(telegram_stack, chat)
    text = "\n".join(c.params["text"] for c in sends)
    assert "passport" in text.lower() and mostly_english(text)
    assert {"What to bring", "Where to go"} <= {b["text"] for b in keyboard(sends)}
    assert telegram_stack.tracker(f"telegram-{chat}")["slots"]["language"] == "en"


def press(stack, chat: int, sends: list, title: str | None = None) -> list:
    """Tap a button of the last keyboard (by title, else the first); returns the new replies."""
    markup = [c.params["reply_markup"] for c in sends if c.params.get("reply_markup")][-1]
    buttons = [b for row in markup["inline_keyboard"] for b in row]
    button = next(b for b in buttons if b["text"] == title) if title else buttons[0]
    before = len(stack.api.calls("sendMessage", chat))
    update = U.callback(chat, button["callback_data"], markup)
    ask(stack, update)
    answers = [c for c in stack.api.calls("answerCallbackQuery")
               if c.params["callback_query_id"] == update["callback_query"]["id"]]
    assert len(answers) == 1 and answers[0].status == 200
    new = replies(stack, chat)[before:]
    assert new, f"no reply to the button {button}"
    return new


def test_button_press_is_answered_and_replied_to(telegram_stack):
    chat = 880003
    ask(telegram_stack, U.text(chat, "护照怎么办理？"))
    sends = replies(telegram_stack, chat)
    if "需要什么材料" not in [b["text"] for b in keyboard(sends)]:
        sends = press(telegram_stack, chat, sends)  # NLU asked which service: pick the first
        assert "需要什么材料" in [b["text"] for b in keyboard(sends)]
    new = press(telegram_stack, chat, sends, "需要什么材料")
    assert any("需要准备" in c.params["text"] for c in new)
    new = press(telegram_stack, chat, new, "👍 有帮助")
    assert any("感谢您的评价" in c.params["text"] for c in new)


@pytest.mark.parametrize("kind", ["sticker", "photo", "edited", "voice", "location", "document"])
def test_non_text_updates_get_a_polite_reply(telegram_stack, kind):
    chat = 880100 + ["sticker", "photo", "edited", "voice", "location", "document"].index(kind)
    update = U.edited(chat, "护照怎么办理") if kind == "edited" else getattr(U, kind)(chat)
    ask(telegram_stack, update)
    text = "\n".join(c.params["text"] for c in replies(telegram_stack, chat))
    assert OUT_OF_SCOPE_ZH in text


def test_non_text_refusal_follows_the_conversation_language(telegram_stack):
    chat = 880110
    ask(telegram_stack, U.text(chat, "How do I apply for a passport?", language_code="en"))
    count = len(replies(telegram_stack, chat))
    ask(telegram_stack, U.sticker(chat, language_code="en"))
    new = replies(telegram_stack, chat)[count:]
    assert any(OUT_OF_SCOPE_EN in c.params["text"] for c in new)


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_bad_or_missing_secret_is_refused(telegram_stack, secret):
    chat = 880200 if secret is None else 880201
    status, _ = telegram_stack.post(U.text(chat, "护照怎么办理？"), secret=secret)
    assert status == 403
    assert telegram_stack.api.calls(chat_id=chat) == []
    tracker = telegram_stack.tracker(f"telegram-{chat}")
    assert not [e for e in tracker["events"] if e["event"] == "user"]


def test_start_greets_in_the_users_language(telegram_stack):
    ask(telegram_stack, U.text(880301, "/start", language_code="en"))
    ask(telegram_stack, U.text(880302, "/start", language_code="zh-hans"))
    en = "\n".join(c.params["text"] for c in replies(telegram_stack, 880301))
    zh = "\n".join(c.params["text"] for c in replies(telegram_stack, 880302))
    assert "Hello" in en and mostly_english(en)
    assert "您好" in zh


def test_lang_switch_changes_and_keeps_the_language(telegram_stack):
    chat = 880400
    ask(telegram_stack, U.text(chat, "/lang en"))
    greeting = "\n".join(c.params["text"] for c in replies(telegram_stack, chat))
    assert "Hello" in greeting
    count = len(replies(telegram_stack, chat))
    ask(telegram_stack, U.text(chat, "护照怎么办理？"))  # Chinese text, English chosen
    new = replies(telegram_stack, chat)[count:]
    titles = [b["text"] for c in new for row in (c.params.get("reply_markup") or {}).get("inline_keyboard", [])
              for b in row]
    answer = "\n".join([c.params["text"] for c in new] + titles)
    assert mostly_english(answer), answer
    assert telegram_stack.tracker(f"telegram-{chat}")["slots"]["language"] == "en"

    count = len(replies(telegram_stack, chat))
    ask(telegram_stack, U.text(chat, "/lang zh"))
    assert "您好" in "\n".join(c.params["text"] for c in replies(telegram_stack, chat)[count:])
    assert telegram_stack.tracker(f"telegram-{chat}")["slots"]["language"] == "zh"


def test_huge_and_odd_messages_do_not_break_anything(telegram_stack):
    chat = 880500
    ask(telegram_stack, U.text(chat, "护照怎么办理？" * 3000))
    ask(telegram_stack, U.text(chat, "مرحبا Z̷͎̓a̸̛ͅl̶g̵o 👨‍👩‍👧 𠀀 \ud800"))
    ask(telegram_stack, U.text(chat, "How do I apply for a passport?"))
    sends = replies(telegram_stack, chat)
    assert any("passport" in c.params["text"].lower() for c in sends)


def test_redelivered_update_is_answered_once(telegram_stack):
    chat = 880600
    update = U.text(chat, "护照要多少钱？")
    ask(telegram_stack, update)
    count = len(replies(telegram_stack, chat))
    ask(telegram_stack, update)
    assert len(replies(telegram_stack, chat)) == count


def test_token_is_not_in_the_server_logs(telegram_stack):
    """Runs last: by now Rasa made many Bot API calls, whose URLs httpx logs with the token masked."""
    from tests.telegram.bot_api_double import TEST_TOKEN

    log = (telegram_stack.workdir / "rasa.log").read_text(errors="replace")
    assert "sendMessage" in log and "<telegram-token>" in log
    assert TEST_TOKEN not in log and telegram_stack.secret not in log
