"""Messages staff send to a handed-over conversation reach the widget (against a Rasa double).

The double answers the handoff like the webchat channel does (the reply ends with the ``paused``
marker) and its health check ``GET /webhooks/webchat/?sender=…&since=…`` returns the messages
"pushed" after ``since``, as channels/web/channel.py does for what action_relay_staff_message sent.
"""
from __future__ import annotations

import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import FakeRasa
from tests.browser.helpers import ask, bot_texts, wait_ready

pytestmark = pytest.mark.browser

T0 = 1712345678.1234567  # server clock; the widget must hand these back exactly
TEXTS = {
    "zh": {"ask": "转人工", "opened": "已为您转接人工服务（工单号：7）。", "label": "工作人员", "said": "工作人员说：",
           "joined": "工作人员已加入对话，将在这里回复您。", "staff": "您好，我是窗口的王老师，请问您的护照是哪年办的？",
           "later": "我查到了，请带身份证原件来。", "back": "人工服务已结束，智能助手将继续为您服务。",
           "announced": "工作人员发来了新消息。"},
    "en": {"ask": "talk to a person", "opened": "I've passed your conversation to our staff (ticket 7).",
           "label": "Staff", "said": "Staff said:",
           "joined": "A member of staff has joined the conversation and will answer you here.",
           "staff": "Hello, I'm Ms Wang from the passport counter. When was your passport issued?",
           "later": "Found it: please bring your ID card.", "back": "The member of staff has closed the "
           "conversation; the assistant will answer you again from here.",
           "announced": "New message from a member of staff."},
}


class PushingRasa(FakeRasa):
    """The Rasa double, plus the health check's ``paused`` state and pushed messages."""

    def __init__(self) -> None:
        super().__init__()
        self.reset()
        self._lock = threading.Lock()

    def reset(self) -> None:
        self.paused = False
        self.pushed: list[dict] = []
        self.polls: list[float] = []  # the ``since`` of each poll, in order
        self.in_flight = self.max_in_flight = 0
        self.lang = "zh"

    def push(self, text: str, at: float, staff: bool) -> None:
        self.pushed.append({"text": text, "timestamp": at, "staff": staff})

    def health(self, query: dict) -> dict:
        body = {"status": "ok", "paused": self.paused}
        if "since" not in query:
            return body
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(0.3)  # long enough for overlapping requests to show
            since = float(query["since"][0])
            self.polls.append(since)
            return {**body, "now": time.time(), "messages": [m for m in self.pushed if m["timestamp"] > since][:50]}
        finally:
            with self._lock:
                self.in_flight -= 1

    def _handler(self):
        base, fake = super()._handler(), self

        class Handler(base):
            def do_GET(self):
                url = urlsplit(self.path)
                if url.path == "/webhooks/webchat/":
                    self._send(200, json.dumps(fake.health(parse_qs(url.query))).encode())
                elif url.path == "/chat.html":  # a page with the widget open, in the test's language
                    page = (f"<!doctype html><html lang='{fake.lang}'><head><meta charset='utf-8'><title>t</title>"
                            f"</head><body><script src='{fake.widget_src}' data-rasa-url='{fake.url}' "
                            f"data-open='true' data-lang='{fake.lang}'></script></body></html>")
                    self._send(200, page.encode(), "text/html; charset=utf-8")
                else:
                    super().do_GET()

        return Handler


@pytest.fixture(scope="module")
def pushing(fake_page_server):
    fake = PushingRasa()
    fake.widget_src = f"{fake_page_server}/static/widget.js"
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture()
def rasa(pushing):
    pushing.reset()
    pushing.received.clear()
    return pushing


CONTRAST = """(sel) => {
  const root = document.querySelector('#govassist-webchat').shadowRoot;
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
  const el = root.querySelector(sel);
  const a = lum(rgb(getComputedStyle(el).color)), b = lum(bg(el));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def polls_settle(rasa: PushingRasa, seconds: float = 3.8) -> int:
    """Waits a little longer than one poll interval; returns how many polls there were by then."""
    time.sleep(seconds)
    return len(rasa.polls)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_staff_messages_appear_labelled_and_the_banner_goes_when_the_bot_is_back(new_page, rasa, lang):
    text = TEXTS[lang]
    rasa.lang = lang
    rasa.replies = {text["ask"]: [{"recipient_id": "x", "text": text["opened"]},
                                  {"recipient_id": "x", "custom": {"handoff": {"paused": True}}}]}
    page = new_page(locale="zh-CN" if lang == "zh" else "en-US")
    page.goto(f"{rasa.url}/chat.html")
    wait_ready(page)
    banner = page.locator(".gw-handoff")
    expect(banner).to_be_hidden()
    assert polls_settle(rasa, 1.0) == 0  # not handed over: the widget does not poll

    rasa.paused = True
    assert ask(page, text["ask"]) == [text["opened"]]
    expect(banner).to_be_visible()
    deadline = time.monotonic() + 5
    while not rasa.polls and time.monotonic() < deadline:
        time.sleep(0.1)
    assert rasa.polls[:1] == [0.0]  # right after the handoff, from the beginning

    # staff join and write: both appear, the staff member's words labelled as staff
    rasa.push(text["joined"], T0 + 1, staff=False)
    rasa.push(text["staff"], T0 + 2, staff=True)
    staff_msgs = page.locator(".gw-msg.gw-bot.gw-msg-staff")
    expect(staff_msgs).to_have_count(1, timeout=10_000)
    assert bot_texts(page)[-2:] == [text["joined"], text["label"] + text["staff"]]
    expect(staff_msgs.locator(".gw-staff-label")).to_have_text(text["label"])
    expect(staff_msgs.locator(".gw-who")).to_have_text(text["said"])  # what a screen reader hears first
    expect(page.locator(".gw-msg.gw-bot:not(.gw-welcome):not(.gw-msg-staff)")).to_have_count(2)
    expect(page.locator(".gw-root > .gw-sr[role=status]")).to_have_text(text["announced"])
    assert page.evaluate(CONTRAST, ".gw-msg-staff .gw-staff-label") >= 4.5
    assert page.evaluate(CONTRAST, ".gw-msg-staff .gw-bubble") >= 4.5

    # asked again from the last one: nothing is shown twice, also after a reload
    polls_settle(rasa)
    assert rasa.polls[-1] == T0 + 2
    page.reload()
    wait_ready(page)
    expect(banner).to_be_visible()
    expect(page.locator(".gw-msg-staff .gw-staff-label")).to_have_text(text["label"])  # from the history
    polls_settle(rasa)
    assert rasa.polls[-1] == T0 + 2
    assert page.locator(".gw-msg-staff").count() == 1 and bot_texts(page).count(text["joined"]) == 1

    # minimised: no polling; opened again: what came meanwhile is fetched at once
    page.locator(".gw-close").click()
    count = polls_settle(rasa, 1.0)
    rasa.push(text["later"], T0 + 3, staff=True)
    assert polls_settle(rasa) == count
    page.locator(".gw-launcher").click()
    expect(staff_msgs).to_have_count(2, timeout=3_000)

    # staff close: the "assistant is back" message, then the conversation is resumed
    rasa.push(text["back"], T0 + 4, staff=False)
    rasa.paused = False
    expect(banner).to_be_hidden(timeout=10_000)
    assert bot_texts(page)[-1] == text["back"]
    expect(page.locator(".gw-msg").last).not_to_have_class("gw-msg-staff")
    done = polls_settle(rasa, 0.5)
    assert polls_settle(rasa) == done  # polling stopped
    assert rasa.max_in_flight == 1  # never two requests at once
    assert page.errors == []


def test_a_resume_seen_first_by_the_health_check_still_brings_the_bot_back_message(new_page, rasa):
    """Staff closed the conversation while the chat was minimised and the page was reloaded: the
    health check says "not paused" first, and one last poll still fetches the "assistant is back"
    message; then polling stops."""
    text = TEXTS["zh"]
    rasa.replies = {text["ask"]: [{"recipient_id": "x", "text": text["opened"]},
                                  {"recipient_id": "x", "custom": {"handoff": {"paused": True}}}]}
    page = new_page(locale="zh-CN")
    page.goto(f"{rasa.url}/chat.html")
    wait_ready(page)
    rasa.paused = True
    ask(page, text["ask"])
    rasa.push(text["staff"], T0 + 2, staff=True)
    expect(page.locator(".gw-msg-staff")).to_have_count(1, timeout=10_000)

    page.locator(".gw-close").click()
    badge = page.locator(".gw-badge")
    expect(badge).to_be_visible()
    rasa.push(text["back"], T0 + 4, staff=False)
    rasa.paused = False
    page.reload()
    wait_ready(page)
    expect(badge).to_be_hidden()  # the health check said so
    count = polls_settle(rasa, 1.0)
    assert text["back"] not in bot_texts(page)

    page.locator(".gw-launcher").click()
    expect(page.locator(".gw-msg.gw-bot").last).to_contain_text(text["back"], timeout=5_000)
    assert rasa.polls[count:count + 1] == [T0 + 2]
    done = polls_settle(rasa, 0.5)
    assert polls_settle(rasa) == done
    assert page.locator(".gw-msg-staff").count() == 1 and page.errors == []
