"""The chat widget on the demo page against the real Rasa server, action server and page server."""
from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import expect

from channels.web.senders import ISSUED_RE
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import (
    ask,
    bot_count,
    bot_texts,
    click_reply,
    is_chinese,
    is_english,
    open_page,
    sender,
    user_texts,
    wait_ready,
    wait_replies,
)

pytestmark = pytest.mark.browser


def last_user_event(stack, sid: str) -> dict:
    return [e for e in stack.tracker(sid)["events"] if e["event"] == "user"][-1]


def test_chinese_question_gets_a_chinese_reply(webchat_stack, new_page):
    page = new_page(locale="zh-CN")
    open_page(page, webchat_stack.web_url)
    expect(page.locator(".gw-panel")).to_be_visible()  # open on the demo page
    expect(page.locator(".gw-send")).to_have_text("发送")
    expect(page.get_by_role("button", name="中文 (Chinese)")).to_have_attribute("aria-pressed", "true")

    replies = ask(page, "护照怎么办理？")
    assert is_chinese(replies[0]) and "护照" in replies[0], replies
    expect(page.locator(".gw-qr-btn", has_text="👍 有帮助").last).to_be_visible()
    event = last_user_event(webchat_stack, sender(page))
    assert event["input_channel"] == "webchat"
    assert event["metadata"]["language"] == "zh"
    page.screenshot(path=str(SCREENSHOTS / "webchat-zh.png"))
    assert page.errors == [] and page.console_errors == []  # no script errors, no CSP violations


def test_english_question_gets_an_english_reply(webchat_stack, new_page):
    page = new_page(locale="en-GB")
    open_page(page, webchat_stack.web_url)
    expect(page.locator(".gw-send")).to_have_text("Send")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")

    replies = ask(page, "How do I apply for a passport?")
    assert "passport" in replies[0].lower() and all(is_english(r) for r in replies), replies
    expect(page.locator(".gw-qr-btn", has_text="👍 Helpful").last).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "webchat-en.png"))
    assert page.errors == [] and page.console_errors == []


def test_quick_reply_then_reload_keeps_the_conversation(webchat_stack, new_page):
    page = new_page(locale="zh-CN")
    open_page(page, webchat_stack.web_url)
    ask(page, "护照怎么办理？")
    replies = click_reply(page, "需要什么材料")
    assert user_texts(page)[-1] == "需要什么材料"  # the title, not the payload
    assert "需要准备" in replies[0], replies
    assert last_user_event(webchat_stack, sender(page))["text"].startswith("/ask_materials")

    sid, users, bots = sender(page), user_texts(page), bot_texts(page)
    page.reload()
    wait_ready(page)
    assert sender(page) == sid
    assert user_texts(page) == users
    assert bot_texts(page) == bots
    # the restored quick replies still work, in the same conversation
    replies = click_reply(page, "收费")
    assert is_chinese(replies[0]) and "护照" in replies[0], replies
    assert sender(page) == sid


def test_the_history_stays_in_the_tab_and_ends_with_the_session(webchat_stack, new_page):
    page = new_page(locale="zh-CN")
    open_page(page, webchat_stack.web_url)
    ask(page, "护照怎么办理？")
    key = "govassist-webchat:" + webchat_stack.rasa_url
    assert page.evaluate(f"sessionStorage.getItem({json.dumps(key)})")
    assert page.evaluate("localStorage.length") == 0  # nothing outlives the session
    other = page.context.new_page()  # another tab of the same browser: a new session
    open_page(other, webchat_stack.web_url)
    assert user_texts(other) == [] and sender(other) != sender(page)


def user_events(stack, sid: str) -> list[dict]:
    return [e for e in stack.tracker(sid)["events"] if e["event"] == "user"]


def test_the_widget_asks_for_a_signed_sender_with_its_first_message(webchat_stack, new_page):
    page = new_page(locale="zh-CN")
    open_page(page, webchat_stack.web_url)
    assert sender(page) is None  # nothing asked for before there is something to send
    replies = ask(page, "护照怎么办理？")
    assert "护照" in replies[0], replies
    sid = sender(page)
    assert ISSUED_RE.fullmatch(sid), sid  # issued and signed by the channel
    assert [e["text"] for e in user_events(webchat_stack, sid)] == ["护照怎么办理？"]
    assert page.errors == [] and page.console_errors == []


def test_a_stale_unsigned_sender_is_replaced_without_losing_the_queued_message(webchat_stack, new_page):
    """What an older widget left in this browser: a sender it made up, a conversation handed over
    to staff, and a message still waiting to be sent. The channel refuses that sender; the widget
    gets a new one and sends the waiting message (with its own message id) in a new conversation."""
    stale, message_id = f"web-{uuid.uuid4()}", uuid.uuid4().hex
    saved = {"sender": stale, "lang": "zh", "open": True, "paused": True, "pushWatch": True, "pushSince": 0,
             "history": [{"id": "h1", "who": "user", "text": "转人工"},
                         {"id": "h2", "who": "bot", "text": "已为您转接人工服务（工单号：1）。"},
                         {"id": message_id, "who": "user", "text": "护照要带什么材料？", "status": "pending"}],
             "queue": [{"id": message_id, "message": "护照要带什么材料？", "lang": "zh"}]}
    page = new_page(locale="zh-CN")
    page.add_init_script(  # before the widget reads it; once (not again on the reload below)
        "if (!sessionStorage.getItem('seeded')) { sessionStorage.setItem('seeded', '1'); "
        f"sessionStorage.setItem({json.dumps('govassist-webchat:' + webchat_stack.rasa_url)}, "
        f"{json.dumps(json.dumps(saved, ensure_ascii=False))}); }}")
    refused = []
    page.on("response", lambda r: r.status in (400, 403) and "/webhooks/webchat/" in r.url and refused.append(r.url))
    page.goto(webchat_stack.web_url)
    wait_ready(page)
    replies = wait_replies(page, 1)
    assert "需要准备" in replies[0], replies
    sid = sender(page)
    assert sid != stale and ISSUED_RE.fullmatch(sid), sid
    assert [(e["text"], e.get("message_id")) for e in user_events(webchat_stack, sid)] == [("护照要带什么材料？", message_id)]
    assert user_events(webchat_stack, stale) == []
    assert refused and all(stale in url for url in refused), refused  # only the stale one was refused
    expect(page.locator(".gw-msg.gw-user[data-status]")).to_have_count(0)  # sent, not failed
    expect(page.locator(".gw-note")).to_have_count(0)
    expect(page.locator(".gw-handoff")).to_be_hidden()  # that handover belonged to the refused conversation
    assert user_texts(page) == ["转人工", "护照要带什么材料？"]  # the history stays on this device
    # the new sender is kept like the old one was: a reload continues the new conversation
    page.reload()
    wait_ready(page)
    assert sender(page) == sid
    assert "护照" in ask(page, "要多少钱？")[0]
    assert len(user_events(webchat_stack, sid)) == 2
    assert page.errors == []


def test_feedback_buttons(webchat_stack, new_page):
    page = new_page(locale="zh-CN")
    open_page(page, webchat_stack.web_url)
    ask(page, "护照怎么办理？")
    assert click_reply(page, "👍 有帮助") == ["感谢您的评价！"]
    ask(page, "结婚登记要带什么材料？")
    replies = click_reply(page, "👎 没帮助")
    assert "缺少了什么" in replies[0], replies


def test_switching_language_changes_the_interface_and_the_replies(webchat_stack, new_page):
    page = new_page(locale="zh-CN")
    open_page(page, webchat_stack.web_url)
    assert is_chinese(ask(page, "护照怎么办理？")[0])

    page.get_by_role("button", name="English").click()
    expect(page.locator(".gw-root")).to_have_attribute("lang", "en")
    expect(page.locator(".gw-send")).to_have_text("Send")
    expect(page.get_by_label("Type your question")).to_be_visible()
    expect(page.locator(".gw-welcome .gw-bubble")).to_contain_text("Hello!")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="中文 (Chinese)")).to_have_attribute("aria-pressed", "false")

    # a Chinese quick reply from before the switch now answers in English
    replies = click_reply(page, "收费")
    assert all(is_english(r) for r in replies), replies
    assert last_user_event(webchat_stack, sender(page))["metadata"]["language"] == "en"
    # and so does Chinese text typed while the interface is in English
    replies = ask(page, "护照怎么办理？")
    assert all(is_english(r) for r in replies), replies

    page.get_by_role("button", name="中文 (Chinese)").click()
    expect(page.locator(".gw-send")).to_have_text("发送")
    expect(page.get_by_label("输入您的问题")).to_be_visible()
    replies = ask(page, "What documents do I need for a passport?")
    assert is_chinese(replies[0]), replies

    page.reload()  # the choice is remembered
    wait_ready(page)
    expect(page.locator(".gw-send")).to_have_text("发送")


def test_handoff_shows_passed_to_staff(webchat_stack, new_page):
    page = new_page(locale="zh-CN")
    open_page(page, webchat_stack.web_url)
    banner = page.locator(".gw-handoff")
    expect(banner).to_be_hidden()
    replies = ask(page, "转人工")
    assert "工单号" in replies[0], replies
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("已转人工")
    assert webchat_stack.tracker(sender(page))["paused"] is True

    # while staff have it, the bot is quiet and the banner stays, also after a reload
    page.locator(".gw-input").fill("还在吗？")
    page.locator(".gw-input").press("Enter")
    page.wait_for_function("() => !document.querySelector('#govassist-webchat').shadowRoot"
                           ".querySelector('.gw-msg.gw-user[data-status]')")
    page.reload()
    wait_ready(page)
    expect(banner).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(banner).to_contain_text("Passed to staff")


def test_mobile_layout_is_full_screen(webchat_stack, new_page):
    page = new_page(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                    device_scale_factor=2)
    open_page(page, webchat_stack.web_url)
    box = page.locator(".gw-panel").bounding_box()
    assert box == {"x": 0, "y": 0, "width": 390, "height": 844}
    assert is_chinese(ask(page, "公积金提取要带什么材料？")[0])
    page.screenshot(path=str(SCREENSHOTS / "webchat-mobile-zh.png"))
    page.get_by_role("button", name="收起对话窗口").click()
    expect(page.locator(".gw-panel")).to_be_hidden()
    launcher = page.get_by_role("button", name="打开在线咨询对话窗口")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(page.locator(".gw-panel")).to_be_visible()
    expect(page.locator(".gw-input")).to_be_focused()


def test_keyboard_only(webchat_stack, new_page):
    page = new_page(locale="zh-CN")
    open_page(page, webchat_stack.web_url)
    page.keyboard.press("Tab")  # the page's skip link first
    for _ in range(60):  # tab through the page into the widget
        if page.evaluate("() => document.activeElement && document.activeElement.id === 'govassist-webchat'"):
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("the widget is not reachable with Tab")
    page.locator(".gw-input").focus()
    page.keyboard.type("护照怎么办理？")
    before = bot_count(page)
    page.keyboard.press("Enter")
    wait_replies(page, before)

    # Shift+Tab from the input reaches the latest quick replies; Enter activates one
    page.locator(".gw-input").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    active = "document.querySelector('#govassist-webchat').shadowRoot.activeElement"
    assert page.evaluate(f"() => {active}.textContent") == "👍 有帮助"
    outline = page.evaluate(f"() => getComputedStyle({active}).outlineStyle")
    assert outline == "solid"  # focus is visible
    before = bot_count(page)
    page.keyboard.press("Enter")
    assert wait_replies(page, before) == ["感谢您的评价！"]

    # Escape minimises the chat and returns focus to the launcher; Enter opens it again
    page.locator(".gw-input").focus()
    page.keyboard.press("Escape")
    expect(page.locator(".gw-panel")).to_be_hidden()
    expect(page.locator(".gw-launcher")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".gw-input")).to_be_focused()


A11Y_AUDIT = """() => {
  const root = document.querySelector('#govassist-webchat').shadowRoot;
  const problems = [];
  const name = el => (el.getAttribute('aria-label') || el.textContent || '').trim();
  root.querySelectorAll('button').forEach(b => { if (!name(b)) problems.push('unlabelled button'); });
  const input = root.querySelector('textarea');
  if (!root.querySelector(`label[for="${input.id}"]`)?.textContent.trim()) problems.push('unlabelled input');
  const log = root.querySelector('[role=log]');
  if (!log || log.getAttribute('aria-live') !== 'polite') problems.push('no polite live log');
  // WCAG 1.4.3 contrast of text against its effective background
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lin = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const bg = el => {
    for (let n = el; n; n = n.parentElement || n.getRootNode().host) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const ratio = el => { const a = lum(rgb(getComputedStyle(el).color)), b = lum(bg(el));
                        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const sel = '.gw-title, .gw-subtitle, .gw-lang-btn, .gw-bubble, .gw-qr-btn, .gw-send, .gw-hint, '
            + '.gw-counter, .gw-disclaimer, .gw-handoff-title, .gw-handoff-text, .gw-conn-text, '
            + '.gw-a, .gw-input';
  root.querySelectorAll(sel).forEach(el => {
    if (!el.getClientRects().length) return;
    const r = ratio(el);
    if (r < 4.5) problems.push(`${el.className} "${el.textContent.slice(0, 20)}" contrast ${r.toFixed(2)}`);
  });
  return problems;
}"""


def test_accessibility_basics(webchat_stack, new_page):
    for locale in ("zh-CN", "en-US"):
        page = new_page(locale=locale)
        open_page(page, webchat_stack.web_url)
        ask(page, "护照怎么办理？" if locale == "zh-CN" else "How do I apply for a passport?")
        assert page.evaluate(A11Y_AUDIT) == []
        expect(page.get_by_role("log")).to_be_visible()
        expect(page.get_by_role("region", name="江州政务服务助手" if locale == "zh-CN"
                                else "Jiangzhou Services")).to_be_visible()
