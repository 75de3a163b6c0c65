"""The staff console in Chromium against the real bot (Rasa, actions, page server with console):
sign-in and lock-out, role limits, an FAQ edit and its revert seen in the chat widget, a
validation error, a handoff answered from the console into the widget, the dashboard and a
hot-topic alert with seeded data. Screenshots of each page, zh and en, go to docs/screenshots/."""
from __future__ import annotations

import os
import re
import subprocess
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PY, ROOT, SCREENSHOTS
from tests.browser.helpers import ask, bot_texts, open_page, sender

pytestmark = pytest.mark.browser
PASSWORD = "console test password"
LOCALES = {"zh": "zh-CN", "en": "en-US"}
FAQ_ID = "faq_marriage_appointment"
FAQ_QUESTION = {"zh": "结婚登记要不要预约？", "en": "Do we need an appointment to register our marriage?"}


def stack_env(stack) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "GOVASSIST_DATA_DIR": str(stack.workdir),
            "DATABASE_URL": f"sqlite:///{stack.workdir / 'kb.db'}", "TRACKER_DB": str(stack.workdir / "tracker.db")}


def create_user(stack, role: str) -> str:
    name = f"{role}-{uuid.uuid4().hex[:6]}"
    subprocess.run([PY, "-m", "console", "create-user", name, "--role", role, "--password-stdin"], cwd=ROOT,
                   env=stack_env(stack), input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    return name


def sign_in(page, stack, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{stack.web_url}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].primary")


def shot(page, name: str, lang: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console_{name}_{lang}.png"), full_page=full_page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sign_in_and_lock_out(webchat_stack, new_page, lang):
    user = create_user(webchat_stack, "viewer")
    page = new_page(locale=LOCALES[lang])
    for _ in range(5):
        sign_in(page, webchat_stack, user, "not the password")
    expect(page.locator("#login-error")).to_contain_text("锁定" if lang == "zh" else "locked")
    sign_in(page, webchat_stack, user)  # the right password does not open a locked account
    expect(page.locator("#login-error")).to_be_visible()
    other = create_user(webchat_stack, "viewer")
    sign_in(page, webchat_stack, other)
    expect(page.locator(".who")).to_contain_text("查看员" if lang == "zh" else "Viewer")


def test_role_limits(webchat_stack, new_page):
    page = new_page(locale="en-US")
    sign_in(page, webchat_stack, create_user(webchat_stack, "viewer"))
    page.goto(f"{webchat_stack.web_url}/admin/content/faq/{FAQ_ID}")
    expect(page.locator("#save")).to_have_count(0)  # a viewer reads content but cannot save it
    page.goto(f"{webchat_stack.web_url}/admin/inbox/")
    expect(page.locator("#forbidden")).to_be_visible()
    editor = new_page(locale="en-US")
    sign_in(editor, webchat_stack, create_user(webchat_stack, "editor"))
    editor.goto(f"{webchat_stack.web_url}/admin/users/")
    expect(editor.locator("#forbidden")).to_be_visible()
    expect(editor.locator("nav >> text=Users")).to_have_count(0)


def faq_answer_in_widget(stack, page, lang: str) -> str:
    open_page(page, stack.web_url)
    return " ".join(ask(page, FAQ_QUESTION[lang]))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_faq_edit_changes_the_bot_answer_and_revert_changes_it_back(webchat_stack, new_page, lang):
    staff = new_page(locale=LOCALES[lang])
    sign_in(staff, webchat_stack, create_user(webchat_stack, "editor"))
    staff.goto(f"{webchat_stack.web_url}/admin/content/faq/{FAQ_ID}")
    field = staff.locator(f"textarea[name='answer.{lang}']")
    original = field.input_value()
    marker = f"CONSOLE-{uuid.uuid4().hex[:6]}"
    field.fill(f"{marker} " + original)
    shot(staff, "editor", lang)
    staff.click("#save")
    expect(staff.locator(".flash-ok")).to_be_visible()
    citizen = new_page(locale=LOCALES[lang])
    assert marker in faq_answer_in_widget(webchat_stack, citizen, lang)
    # one click undoes it
    staff.locator("#history tbody tr").first.locator("button.revert").click()
    expect(staff.locator(".flash-ok")).to_be_visible()
    assert staff.locator(f"textarea[name='answer.{lang}']").input_value() == original
    again = new_page(locale=LOCALES[lang])
    answer = faq_answer_in_widget(webchat_stack, again, lang)
    assert marker not in answer and original[:20] in answer


def test_a_validation_error_leaves_the_content_unchanged(webchat_stack, new_page):
    staff = new_page(locale="en-US")
    sign_in(staff, webchat_stack, create_user(webchat_stack, "editor"))
    staff.goto(f"{webchat_stack.web_url}/admin/content/faq/{FAQ_ID}")
    before = staff.locator("textarea[name='answer.en']").input_value()
    staff.locator("textarea[name='answer.en']").fill("")
    staff.click("#save")
    expect(staff.locator("#form-errors")).to_be_visible()
    expect(staff.locator("[data-field='answer.en'] .field-error")).to_be_visible()
    staff.goto(f"{webchat_stack.web_url}/admin/content/faq/{FAQ_ID}")
    assert staff.locator("textarea[name='answer.en']").input_value() == before


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_reply_from_the_handoff_queue_arrives_in_the_widget(webchat_stack, new_page, lang):
    citizen = new_page(locale=LOCALES[lang])
    open_page(citizen, webchat_stack.web_url)
    ask(citizen, "我要转人工" if lang == "zh" else "I want to talk to a person")
    expect(citizen.locator(".gw-handoff")).to_be_visible()
    who = sender(citizen)
    staff = new_page(locale=LOCALES[lang])
    sign_in(staff, webchat_stack, create_user(webchat_stack, "editor"))
    staff.goto(f"{webchat_stack.web_url}/admin/handoffs/")
    shot(staff, "handoffs", lang)
    tickets = staff.locator("#handoff-queue tbody tr[data-ticket]")
    expect(tickets.first).to_be_visible()
    # the newest ticket is this citizen's
    staff.locator("#handoff-queue tbody tr[data-ticket] a").last.click()
    staff.click("#claim")
    joined = "工作人员已加入" if lang == "zh" else "A member of staff has joined"
    expect(citizen.locator(".gw-msg.gw-bot", has_text=joined)).to_be_visible(timeout=20_000)
    reply = "您好，我是窗口的李老师。" if lang == "zh" else "Hello, this is Li from the service desk."
    staff.fill("#reply-text", reply)
    staff.click("#send-reply")
    expect(staff.locator(".flash-ok")).to_be_visible()
    staff_msg = citizen.locator(".gw-msg-staff", has_text=reply)
    expect(staff_msg).to_be_visible(timeout=20_000)
    shot(staff, "handoff", lang)
    staff.click("#close-ticket")
    back = "智能助手将继续" if lang == "zh" else "the assistant will answer you again"
    expect(citizen.locator(".gw-msg.gw-bot", has_text=back)).to_be_visible(timeout=20_000)
    expect(citizen.locator(".gw-handoff")).to_be_hidden(timeout=20_000)
    assert who and any(reply in t for t in bot_texts(citizen))
    # the assistant answers again
    answer = " ".join(ask(citizen, "护照怎么办理？" if lang == "zh" else "How do I apply for a passport?"))
    assert ("护照" in answer if lang == "zh" else "passport" in answer.lower()), answer
    expect(citizen.locator(".gw-handoff")).to_be_hidden()


@pytest.fixture(scope="module")
def seeded(webchat_stack):
    subprocess.run([PY, "-m", "console.seed", "--conversations", "1500", "--days", "14",
                    "--spike", "社保卡网站打不开，系统崩溃了", "--spike-service", "social_security_card",
                    "--spike-count", "40"], cwd=ROOT, env=stack_env(webchat_stack), check=True, capture_output=True)
    return True


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_dashboard_and_an_alert_render_with_seeded_data(webchat_stack, new_page, seeded, lang):
    page = new_page(locale=LOCALES[lang], viewport={"width": 1400, "height": 900})
    sign_in(page, webchat_stack, create_user(webchat_stack, "editor"))
    page.goto(f"{webchat_stack.web_url}/admin/")
    page.locator("form[action$='/alerts/check'] button").click()
    banner = page.locator("#hot-topic-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("社保卡网站打不开")
    expect(page.locator("#dashboard[data-loaded='true']")).to_have_count(1, timeout=20_000)
    for chart in ("days", "languages", "services", "aspects", "channels", "outcomes"):
        expect(page.locator(f"#chart-{chart} svg")).to_have_count(1)
    assert re.fullmatch(r"[\d.]+%", page.locator("#kpi-refusal").inner_text())
    assert int(page.locator("#kpi-conversations").inner_text()) >= 1500
    shot(page, "dashboard", lang)
    page.goto(f"{webchat_stack.web_url}/admin/inbox/")
    expect(page.locator(".card.group").first).to_be_visible()
    shot(page, "inbox", lang, full_page=False)
