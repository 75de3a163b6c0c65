"""The widget against a Rasa double on loopback: HTML injection, links, typing indicator, reconnection,
the length cap and embedding in another site with one script tag."""
from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import ask, bot_texts, open_page, user_texts, wait_ready, wait_replies

pytestmark = pytest.mark.browser

XSS = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)"> 详见 https://example.org/guide?a=1&b=2。'


def test_bot_and_user_html_is_shown_as_text_on_another_site(new_page, fake):
    fake.replies = {
        "hi <b>there</b>": [
            {"recipient_id": "x", "text": XSS},
            {"recipient_id": "x", "text": IMG,
             "buttons": [{"title": "<i>italic</i>", "payload": "/x"},
                         {"title": "javascript:alert(3)", "payload": "javascript:alert(3)"}]},
        ],
    }
    page = new_page(locale="en-US")
    open_page(page, f"{fake.url}/embed.html")  # a third-party page with just the one <script> tag
    expect(page.locator(".gw-panel")).to_be_hidden()  # no data-open: starts as the launcher
    page.get_by_role("button", name="Ask us").click()
    expect(page.locator(".gw-input")).to_be_focused()

    texts = ask(page, "hi <b>there</b>")
    assert texts[0] == XSS
    assert texts[1] == IMG
    assert user_texts(page)[-1] == "hi <b>there</b>"
    assert fake.received[-1]["message"] == "hi <b>there</b>"
    assert fake.received[-1]["metadata"] == {"language": "en"}

    log = page.locator(".gw-log")
    assert log.locator("script, img, b, i").count() == 0
    link = log.locator("a")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "https://example.org/guide?a=1&b=2")
    expect(link).to_have_attribute("target", "_blank")
    assert "noopener" in link.get_attribute("rel").split()
    expect(page.locator(".gw-qr-btn", has_text="<i>italic</i>")).to_be_visible()

    # a "javascript:" button payload is just text sent to the bot, never executed
    page.locator(".gw-qr-btn", has_text="javascript:alert(3)").click()
    wait_replies(page, 2)
    assert fake.received[-1]["message"] == "javascript:alert(3)"
    time.sleep(0.3)
    assert page.dialogs == [] and page.errors == []


def test_typing_indicator_while_waiting(new_page, fake):
    fake.replies = {"slow": [{"recipient_id": "x", "text": "done"}]}
    original = fake.reply_for

    def slow(message):
        if message == "slow":
            time.sleep(2)
        return original(message)

    fake.reply_for = slow
    try:
        page = new_page(locale="zh-CN")
        open_page(page, f"{fake.url}/embed.html")
        page.locator(".gw-launcher").click()
        page.locator(".gw-input").fill("slow")
        page.locator(".gw-input").press("Enter")
        typing = page.get_by_role("status").filter(has_text="助手正在输入")
        expect(typing).to_be_visible()
        expect(page.locator(".gw-msg.gw-bot:not(.gw-welcome)")).to_have_count(1, timeout=10_000)
        expect(typing).to_be_hidden()
    finally:
        fake.reply_for = original


def test_reconnects_after_a_server_restart_without_losing_messages(new_page, fake, fake_page_server):
    page = new_page(locale="zh-CN")
    open_page(page, fake_page_server + "/")  # the demo page, pointed at the fake Rasa
    assert ask(page, "第一条") == ["echo: 第一条"]

    fake.stop()  # the Rasa server goes away
    page.locator(".gw-input").fill("断线时发的第二条")
    page.locator(".gw-input").press("Enter")
    banner = page.locator(".gw-conn")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("正在重新连接")
    pending = page.locator(".gw-msg.gw-user[data-status=pending]")
    expect(pending).to_have_count(1)
    expect(pending.locator(".gw-state[data-state=pending]")).to_be_visible()  # "等待发送"

    # a reload during the outage keeps the queued message (and the history)
    page.reload()
    wait_ready(page)
    expect(page.locator(".gw-conn")).to_be_visible()
    page.locator(".gw-input").fill("第三条")
    page.locator(".gw-input").press("Enter")
    expect(page.locator(".gw-msg.gw-user[data-status=pending]")).to_have_count(2)
    assert user_texts(page) == ["第一条", "断线时发的第二条", "第三条"]

    fake.start()  # back on the same port: the widget's retry (with backoff) finds it by itself
    expect(page.locator(".gw-conn")).to_be_hidden(timeout=40_000)
    expect(page.locator(".gw-msg.gw-bot:not(.gw-welcome)")).to_have_count(3, timeout=20_000)
    assert bot_texts(page) == ["echo: 第一条", "echo: 断线时发的第二条", "echo: 第三条"]
    assert [m["message"] for m in fake.received] == ["第一条", "断线时发的第二条", "第三条"]
    expect(page.locator(".gw-msg.gw-user[data-status]")).to_have_count(0)
    assert page.errors == []


def test_retry_now_button(new_page, fake, fake_page_server):
    page = new_page(locale="en-US")
    open_page(page, fake_page_server + "/")
    fake.stop()
    page.locator(".gw-input").fill("are you there?")
    page.locator(".gw-input").press("Enter")
    expect(page.locator(".gw-conn")).to_contain_text("Reconnecting")
    fake.start()
    page.get_by_role("button", name="Retry now").click()
    expect(page.locator(".gw-conn")).to_be_hidden(timeout=10_000)
    expect(page.locator(".gw-msg.gw-bot:not(.gw-welcome)")).to_have_count(1, timeout=10_000)
    assert bot_texts(page) == ["echo: are you there?"]


def test_too_long_message_is_refused_clearly(new_page, fake, fake_page_server):
    page = new_page(locale="zh-CN")
    open_page(page, fake_page_server + "/")
    box = page.locator(".gw-input")
    box.fill("长" * 2001)
    expect(page.locator(".gw-counter")).to_contain_text("超出 1 字")
    expect(box).to_have_attribute("aria-invalid", "true")
    box.press("Enter")
    expect(page.locator(".gw-msg.gw-note")).to_contain_text("消息太长了")
    assert fake.received == []
    box.fill("长" * 2000)
    expect(page.locator(".gw-counter")).to_contain_text("2000/2000")
    box.press("Enter")
    expect(page.locator(".gw-msg.gw-bot:not(.gw-welcome)")).to_have_count(1)
    assert fake.received[-1]["message"] == "长" * 2000


def test_new_conversation_clears_this_device(new_page, fake, fake_page_server):
    page = new_page(locale="zh-CN")
    open_page(page, fake_page_server + "/")
    ask(page, "我的身份证号是……")
    first = page.evaluate("() => window.GovAssistChat.sender")
    page.get_by_role("button", name="开始新对话（清除本机记录）").click()  # dismissed: nothing happens
    assert user_texts(page) == ["我的身份证号是……"]
    page.accept_dialogs = True
    page.get_by_role("button", name="开始新对话（清除本机记录）").click()
    expect(page.locator(".gw-msg:not(.gw-welcome)")).to_have_count(0)
    assert page.evaluate("() => window.GovAssistChat.sender") is None  # a new one comes with the next message
    page.reload()
    wait_ready(page)
    expect(page.locator(".gw-msg:not(.gw-welcome)")).to_have_count(0)
    assert len(page.dialogs) == 2
    assert ask(page, "新的问题") == ["echo: 新的问题"]
    assert fake.received[-1]["sender"] == page.evaluate("() => window.GovAssistChat.sender") != first
    assert fake.received[-1]["sender"] in fake.issued


def stored_state(fake, sender: str, message: str, message_id: str) -> str:
    """A script that leaves what an older widget kept in this browser: a sender it made up and a
    message still waiting to be sent."""
    saved = {"sender": sender, "lang": "zh", "open": True, "history": [
        {"id": message_id, "who": "user", "text": message, "status": "pending"}],
        "queue": [{"id": message_id, "message": message, "lang": "zh"}]}
    return (f"sessionStorage.setItem({json.dumps('govassist-webchat:' + fake.url)}, "
            f"{json.dumps(json.dumps(saved, ensure_ascii=False))})")


def test_a_refused_sender_is_replaced_and_the_message_sent_again_with_its_id(new_page, fake, fake_page_server):
    page = new_page(locale="zh-CN")
    page.add_init_script(stored_state(fake, "web-made-up-by-an-older-widget", "还在排队的消息", "queued-1"))
    page.goto(fake_page_server + "/")
    expect(page.locator(".gw-msg.gw-bot:not(.gw-welcome)")).to_have_count(1, timeout=20_000)
    assert bot_texts(page) == ["echo: 还在排队的消息"]
    refused, sent = fake.received
    assert refused["sender"] == "web-made-up-by-an-older-widget"
    assert sent["sender"] == fake.issued[-1] == page.evaluate("() => window.GovAssistChat.sender")
    assert refused["message_id"] == sent["message_id"] == "queued-1"  # the same message, the same id
    expect(page.locator(".gw-msg.gw-user[data-status]")).to_have_count(0)
    expect(page.locator(".gw-note")).to_have_count(0)  # no "not sent" note: nothing was lost
    assert ask(page, "下一条") == ["echo: 下一条"]
    assert fake.received[-1]["sender"] == sent["sender"]  # kept
    assert page.errors == []


def test_new_sender_ids_refused_again_back_off_like_a_lost_connection(new_page, fake, fake_page_server):
    """Several hosts signing with different keys (no shared WEB_SENDER_SECRET): every new sender id
    is refused too. The widget tries a few, then waits with the reconnection banner and backs off
    instead of asking again and again; when the ids are taken again, the message goes through."""
    fake.refuse_all = True
    page = new_page(locale="en-US")
    open_page(page, fake_page_server + "/")
    issued_before = len(fake.issued)
    page.locator(".gw-input").fill("anyone there?")
    page.locator(".gw-input").press("Enter")
    expect(page.locator(".gw-conn")).to_contain_text("Reconnecting", timeout=10_000)
    time.sleep(4)
    assert 3 <= len(fake.issued) - issued_before <= 6, len(fake.issued) - issued_before
    expect(page.locator(".gw-msg.gw-user[data-status=pending]")).to_have_count(1)  # still waiting, not failed
    fake.refuse_all = False
    expect(page.locator(".gw-msg.gw-bot:not(.gw-welcome)")).to_have_count(1, timeout=30_000)
    assert bot_texts(page) == ["echo: anyone there?"]
    expect(page.locator(".gw-conn")).to_be_hidden()
    assert len({m["message_id"] for m in fake.received}) == 1  # one message throughout
    assert page.errors == []


def test_a_rate_limited_message_is_kept_and_sent_after_the_wait_with_its_id(new_page, fake, fake_page_server):
    """429 rate_limited: the message is not dropped as failed; the widget says so politely once,
    waits the Retry-After seconds and sends the same message (same id) again."""
    fake.rate_limit_next, fake.retry_after = 2, 2
    page = new_page(locale="en-US")
    open_page(page, fake_page_server + "/")
    page.locator(".gw-input").fill("too fast?")
    page.locator(".gw-input").press("Enter")
    note = page.locator(".gw-note [data-note=rateLimited]")
    expect(note).to_have_count(1, timeout=10_000)
    expect(note).to_contain_text("sending messages very fast")
    expect(page.locator(".gw-msg.gw-user[data-status=pending]")).to_have_count(1)  # kept, not failed
    assert len(fake.received) == 1  # waits: no hammering
    expect(page.locator(".gw-msg.gw-bot:not(.gw-welcome)")).to_have_count(1, timeout=20_000)
    assert bot_texts(page) == ["echo: too fast?"]
    assert len(fake.received) == 3  # refused twice, each after a wait, then delivered
    assert len({m["message_id"] for m in fake.received}) == 1  # one message throughout
    expect(page.locator(".gw-msg.gw-user[data-status]")).to_have_count(0)
    expect(note).to_have_count(1)  # one note for the whole wait
    expect(page.locator(".gw-note [data-note=error]")).to_have_count(0)
    assert page.errors == []
