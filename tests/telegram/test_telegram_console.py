"""A handoff answered from the staff console reaches the citizen on Telegram: console (HTTP,
signed in) → Rasa's API → the Telegram channel → the Bot API double."""
from __future__ import annotations

from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.settings import Settings
from channels.web.server import make_app
from console.app import install_console
from console.auth import create_user
from knowledge_base import db
from service_desk.models import HandoffTicket
from tests.console.conftest import PASSWORD, login, post_form
from tests.telegram import updates as U

pytestmark = pytest.mark.e2e


async def test_staff_reply_from_the_console_arrives_on_telegram(telegram_stack):
    chat = 880900
    status, body = telegram_stack.post(U.text(chat, "我要转人工"))
    assert status == 200, body
    kb_url = f"sqlite:///{telegram_stack.workdir / 'kb.db'}"
    with db.session_scope(kb_url) as s:
        ticket = s.execute(select(HandoffTicket).where(HandoffTicket.sender_id == f"telegram-{chat}")).scalar_one()
        ticket_id = ticket.id
    settings = replace(Settings.from_env({}), data_dir=telegram_stack.workdir, database_url=kb_url,
                       tracker_db_url=f"sqlite:///{telegram_stack.workdir / 'tracker.db'}",
                       rasa_url=telegram_stack.rasa_url, rasa_api_url=telegram_stack.rasa_url)
    app = make_app(telegram_stack.rasa_url, lambda a: install_console(a, settings, alert_interval=0))
    with db.session_scope(kb_url) as s:
        from console.models import ensure_schema

        ensure_schema(s.get_bind())
        create_user(s, "tg-editor", PASSWORD, "editor")
    async with TestClient(TestServer(app)) as client:
        await login(client, "tg-editor")
        url = f"/admin/handoffs/{ticket_id}"
        assert (await post_form(client, url, f"{url}/claim", {})).status == 302
        assert (await post_form(client, url, f"{url}/reply", {"text": "您好，我是李老师，请问哪里需要帮助？"})).status == 302
        assert (await post_form(client, url, f"{url}/close", {})).status == 302
    texts = telegram_stack.api.sent_texts(chat)
    joined = [t for t in texts if "工作人员已加入" in t]
    assert joined and "您好，我是李老师，请问哪里需要帮助？" in texts
    assert texts.index(joined[0]) < texts.index("您好，我是李老师，请问哪里需要帮助？")
    assert any("智能助手将继续" in t for t in texts)
    # the bot answers the citizen again
    before = len(texts)
    status, _ = telegram_stack.post(U.text(chat, "护照怎么办理？"))
    assert status == 200
    later = telegram_stack.api.sent_texts(chat)[before:]
    assert any("护照" in t for t in later), later
