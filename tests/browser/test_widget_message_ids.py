"""The widget against the Rasa double: every message goes with its own id and a retry reuses it
(so the channel can answer a message whose answer was lost instead of handling it twice); the
interface texts come from widget-texts.json, and the page still works when that file is missing."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import ask, bot_texts, open_page

pytestmark = pytest.mark.browser

MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def test_a_retry_after_a_lost_answer_sends_the_same_message_id(new_page, fake, fake_page_server):
    page = new_page(locale="en-US")
    attempts: list[dict] = []

    def lose_the_first_answer(route):
        attempts.append(json.loads(route.request.post_data or "{}"))
        if len(attempts) == 1:
            route.fetch()  # the server gets and handles the message ...
            route.abort("timedout")  # ... but its answer never reaches the widget
        else:
            route.continue_()

    page.route(f"{fake.url}/webhooks/webchat/webhook", lose_the_first_answer)
    open_page(page, fake_page_server + "/")
    page.locator(".gw-input").fill("lost answer")
    page.locator(".gw-input").press("Enter")
    expect(page.locator(".gw-msg.gw-bot:not(.gw-welcome)")).to_have_count(1, timeout=30_000)
    assert bot_texts(page) == ["echo: lost answer"]

    assert [m["message"] for m in fake.received] == ["lost answer", "lost answer"]  # sent twice ...
    first, retry = fake.received
    assert MESSAGE_ID.match(first["message_id"])
    assert retry["message_id"] == first["message_id"]  # ... with one id
    shown = page.locator(".gw-msg.gw-user").last.get_attribute("data-id")
    assert first["message_id"] == shown  # the queued message's own id

    assert ask(page, "next question") == ["echo: next question"]
    assert fake.received[-1]["message_id"] != first["message_id"]  # a new message, a new id
    assert MESSAGE_ID.match(fake.received[-1]["message_id"])
    assert page.errors == []


def test_the_interface_texts_come_from_the_data_file(new_page, fake, fake_page_server):
    page = new_page(locale="en-US")
    texts = json.loads(page.context.request.get(f"{fake_page_server}/static/widget-texts.json").text())
    texts["en"]["title"] = "Texts from the data file"
    texts["en"]["send"] = "Go"

    page.route("**/static/widget-texts.json",
               lambda route: route.fulfill(status=200, content_type="application/json",
                                           body=json.dumps(texts, ensure_ascii=False)))
    open_page(page, fake_page_server + "/")
    expect(page.locator(".gw-title")).to_have_text("Texts from the data file")
    expect(page.locator(".gw-send")).to_have_text("Go")
    expect(page.locator(".gw-input")).to_have_attribute("placeholder", texts["en"]["placeholder"])
    page.locator(".gw-lang-btn[data-lang=zh]").click()
    expect(page.locator(".gw-title")).to_have_text(texts["zh"]["title"])


def test_without_its_texts_the_widget_stays_away_and_the_page_works(new_page, fake, fake_page_server):
    page = new_page(locale="zh-CN")
    page.route("**/static/widget-texts.json", lambda route: route.fulfill(status=404, body="{}"))
    page.goto(fake_page_server + "/")
    page.wait_for_function("() => window.GovAssistChat && window.GovAssistChat.failed === true", timeout=20_000)
    expect(page.locator("h1")).to_be_visible()
    assert page.locator("#govassist-webchat").count() == 0
    assert page.errors == []
