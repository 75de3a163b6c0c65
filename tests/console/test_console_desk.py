"""Dashboard, hot-topic alerts, the unanswered inbox, handoffs and the audit log, with seeded
conversations and a recording double of Rasa's HTTP API."""
import time
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from console.analytics import Filters, conversation_stats
from console.models import AuditEntry, HotTopicAlert
from console.seed import Spike, seed
from knowledge_base import repository
from service_desk.models import ConversationTurn, Feedback, HandoffTicket
from service_desk.turns import local_day
from tests.console.conftest import csrf_of, login, post_form


@pytest.fixture
def seeded(conv_sessions, kb_sessions):
    with conv_sessions() as conv, kb_sessions() as kb:
        n = seed(conv, kb, conversations=400, days=10)
        conv.commit()
        kb.commit()
    return n


async def test_dashboard_figures_match_the_stored_conversations(client, seeded, conv_sessions):
    await login(client, "viewer")
    page = await client.get("/admin/")
    assert page.status == 200 and "vendor/echarts.min.js" in await page.text()
    stats = await (await client.get("/admin/api/stats")).json()
    with conv_sessions() as s:
        rows = s.execute(select(ConversationTurn)).scalars().all()
    assert stats["messages"] == len(rows) == seeded
    assert stats["conversations"] == sum(r.opens_session for r in rows)
    refused = sum(r.outcome == "refused" for r in rows)
    assert stats["refusal_rate"] == round(refused / len(rows), 4)
    assert dict(stats["languages"]) == {lang: sum(r.language == lang for r in rows) for lang in ("zh", "en")}
    assert 0 < stats["thumbs_up_share"] < 1
    telegram = await (await client.get("/admin/api/stats?channel=telegram")).json()
    assert telegram["messages"] == sum(r.channel == "telegram" for r in rows)
    assert dict(telegram["channels"]) == {"telegram": telegram["messages"]}


async def test_finished_days_are_counted_once_and_stay_right(conv_sessions, kb_sessions):
    now = time.time()
    with conv_sessions() as conv, kb_sessions() as kb:
        seed(conv, kb, conversations=200, days=6, now=now)
        conv.commit()
        kb.commit()
    # the seeded days are local (Asia/Shanghai): after 16:00 UTC it is already tomorrow there
    today = datetime.fromisoformat(local_day(now, "Asia/Shanghai")).date()
    filters = Filters(today - timedelta(days=7), today)
    with conv_sessions() as s:
        first = conversation_stats(s, filters, today)
        s.commit()
        again = conversation_stats(s, filters, today)
        assert first == again and first["messages"] == s.query(ConversationTurn).count()


def test_the_tracker_day_column_is_local():
    assert local_day(1_700_000_000.0 - 9 * 3600, "Asia/Shanghai") == "2023-11-14"


async def test_a_spike_raises_an_alert_with_banner_samples_and_webhook(settings, staff, rasa, conv_sessions,
                                                                     kb_sessions):
    from dataclasses import replace

    from channels.web.server import make_app
    from console.app import install_console

    received = []

    async def hook(request):
        received.append(await request.json())
        return web.json_response({})

    hook_app = web.Application()
    hook_app.router.add_post("/hook", hook)
    async with TestServer(hook_app) as hook_server:
        url = str(hook_server.make_url("/hook"))
        s2 = replace(settings, hot_topic_webhook_url=url)
        with conv_sessions() as conv, kb_sessions() as kb:
            seed(conv, kb, conversations=600, days=7)  # steady traffic: no alert
            conv.commit()
            kb.commit()
        app = make_app("http://localhost:5005", lambda a: install_console(a, s2, rasa=rasa, alert_interval=0))
        from aiohttp.test_utils import TestClient
        async with TestClient(TestServer(app)) as client:
            await login(client, "editor")
            resp = await post_form(client, "/admin/", "/admin/alerts/check", {})
            assert resp.status == 302
            with kb_sessions() as s:
                assert s.query(HotTopicAlert).count() == 0
            assert "hot-topic-banner" not in await (await client.get("/admin/")).text()
            with conv_sessions() as conv, kb_sessions() as kb:
                seed(conv, kb, conversations=0, seed_value=8,
                     spikes=(Spike("社保卡网站打不开，系统崩溃了", "social_security_card", 40),))
                conv.commit()
            await post_form(client, "/admin/", "/admin/alerts/check", {})
            html = await (await client.get("/admin/")).text()
            assert "hot-topic-banner" in html and "社保卡网站打不开" in html
            with kb_sessions() as s:
                kinds = {(a.kind, a.key) for a in s.query(HotTopicAlert)}
            assert ("service", "social_security_card") in kinds and ("theme", "website_down") in kinds
            assert received and {a["key"] for a in received[0]["alerts"]} >= {"social_security_card"}
            # checking again in the same hour updates the alert rather than adding one, and notifies once
            await post_form(client, "/admin/", "/admin/alerts/check", {})
            with kb_sessions() as s:
                assert s.query(HotTopicAlert).filter_by(kind="service").count() == 1
            assert len(received) == 1


def _turn(conv, sender, text, outcome, ts, lang="zh", service=None):
    conv.add(ConversationTurn(sender_id=sender, timestamp=ts, channel="webchat", language=lang, text=text,
                              service=service, outcome=outcome, day=local_day(ts, "Asia/Shanghai"),
                              opens_session=True))


async def test_inbox_groups_similar_unanswered_questions_and_turns_them_into_an_alias(
        client, conv_sessions, kb_sessions):
    now = time.time()
    with conv_sessions() as conv:
        for i, text in enumerate(["宠物狗怎么办狗证", "狗证在哪里办理", "办理狗证需要什么"]):
            _turn(conv, f"dog{i}", text, "refused", now - 600 * i)
        _turn(conv, "weather", "明天天气怎么样", "refused", now - 86400 * 5)
        _turn(conv, "happy", "护照要带什么", "answered", now - 300, service="passport_application")
        conv.commit()
    with kb_sessions() as kb:
        kb.add(Feedback(sender_id="happy", channel="webchat", language="zh", service="passport_application",
                        rating="down", created_at=datetime.now(timezone.utc)))
        kb.commit()
    await login(client, "editor")
    html = await (await client.get("/admin/inbox/")).text()
    groups = html.count('class="card group"')
    assert groups == 3  # the dog licence group, the weather question, the 👎 answer
    assert html.index("狗证") < html.index("明天天气")  # fresher, bigger group ranks first
    assert "3 people asked" in html or "3 人提问" in html
    with conv_sessions() as conv:
        dog_ids = [r.id for r in conv.query(ConversationTurn).filter(ConversationTurn.text.like("%狗%"))]
    data = {"turn": [str(i) for i in dog_ids], "service": "passport_application", "alias": "办狗证", "language": "zh"}
    page = await client.get("/admin/inbox/")
    resp = await client.post("/admin/inbox/alias", data={"csrf_token": csrf_of(await page.text()), **data},
                              allow_redirects=False)
    assert resp.status == 302
    with kb_sessions() as kb:
        assert "办狗证" in repository.export_record(kb, "service", "passport_application")["aliases"]["zh"]
    html = await (await client.get("/admin/inbox/")).text()
    assert "宠物狗怎么办狗证" not in html and html.count('class="card group"') == 2


async def test_dismiss_can_be_undone(client, conv_sessions):
    with conv_sessions() as conv:
        _turn(conv, "x", "能帮我订酒店吗", "refused", time.time())
        conv.commit()
        turn_id = conv.query(ConversationTurn).one().id
    await login(client, "editor")
    resp = await post_form(client, "/admin/inbox/", "/admin/inbox/dismiss", {"turn": str(turn_id)})
    assert resp.status == 302
    html = await (await client.get("/admin/inbox/")).text()
    assert "订酒店" not in html
    batch = html.split("/admin/inbox/undo/")[1][:12]
    await post_form(client, "/admin/inbox/", f"/admin/inbox/undo/{batch}", {})
    assert "订酒店" in await (await client.get("/admin/inbox/")).text()


async def test_faq_from_an_inbox_group_is_prefilled(client, conv_sessions):
    with conv_sessions() as conv:
        _turn(conv, "a", "Can I renew my passport by post?", "fallback", time.time(), lang="en")
        conv.commit()
        turn_id = conv.query(ConversationTurn).one().id
    await login(client, "editor")
    resp = await post_form(client, "/admin/inbox/", "/admin/inbox/faq", {"turn": str(turn_id)})
    html = await resp.text()
    assert resp.status == 200 and "Can I renew my passport by post?" in html and 'name="answer.en"' in html


@pytest.fixture
def ticket(kb_sessions):
    with kb_sessions() as kb:
        t = HandoffTicket(sender_id="web-citizen-1", channel="webchat", language="en", reason="requested",
                          transcript=[{"who": "user", "text": "I need a person, my ID 110101199003074514"}])
        kb.add(t)
        kb.commit()
        return t.id


async def test_handoff_claim_reply_and_close_go_through_rasa(client, ticket, rasa, kb_sessions):
    await login(client, "editor")
    page = await (await client.get(f"/admin/handoffs/{ticket}")).text()
    assert "110101199003074514" not in page or "I need a person" in page
    url = f"/admin/handoffs/{ticket}"
    assert (await post_form(client, url, f"{url}/claim", {})).status == 302
    assert (await post_form(client, url, f"{url}/reply", {"text": "Hello, I am Li from the service desk."})).status == 302
    assert (await post_form(client, url, f"{url}/close", {})).status == 302
    sent = [(m, p, j) for m, p, j in rasa.calls if m == "POST"]
    slots = [j["value"] for _, p, j in sent if j and j.get("event") == "slot"]
    assert slots == [{"response": "utter_staff_joined"}, {"text": "Hello, I am Li from the service desk."},
                     {"response": "utter_bot_back"}]
    assert sum(p.endswith("/execute") for _, p, _ in sent) == 3
    assert set(rasa.users) == {"editor"}  # every call made as the staff member who acted
    assert [j for _, _, j in sent[-2:]] == [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
    with kb_sessions() as kb:
        t = kb.get(HandoffTicket, ticket)
        assert (t.status, t.closed_by) == ("closed", "editor")
        actions = [e.action for e in kb.execute(select(AuditEntry)).scalars()]
    assert {"handoff_claim", "handoff_reply", "handoff_close"} <= set(actions)


async def test_replying_needs_a_claim_and_a_reachable_assistant(client, ticket, rasa, kb_sessions):
    await login(client, "editor")
    url = f"/admin/handoffs/{ticket}"
    await post_form(client, url, f"{url}/reply", {"text": "hi"})
    assert not rasa.calls or all(m == "GET" for m, _, _ in rasa.calls)
    await post_form(client, url, f"{url}/claim", {})
    rasa.down = True
    await post_form(client, url, f"{url}/reply", {"text": "hi"})
    html = await (await client.get(url)).text()
    assert "cannot be reached" in html or "无法连接" in html
    with kb_sessions() as kb:
        assert kb.get(HandoffTicket, ticket).status == "open"


async def test_admin_manages_users_and_exports_the_audit_log(client, kb_sessions):
    await login(client, "admin")
    resp = await post_form(client, "/admin/users/", "/admin/users/",
                           {"username": "clerk", "display_name": "Clerk", "role": "viewer",
                            "password": "a long enough pw"})
    assert resp.status == 302
    with kb_sessions() as kb:
        from console.models import StaffUser
        uid = kb.execute(select(StaffUser.id).where(StaffUser.username == "clerk")).scalar_one()
    await post_form(client, "/admin/users/", f"/admin/users/{uid}", {"role": "editor", "active": "0", "password": ""})
    with kb_sessions() as kb:
        from console.models import StaffUser
        u = kb.get(StaffUser, uid)
        assert (u.role, u.active) == ("editor", False)
    assert (await login(client, "clerk", "a long enough pw")).status == 401  # deactivated
    await login(client, "admin")
    csv_text = await (await client.get("/admin/audit.csv")).text()
    assert csv_text.startswith("\ufeffid,at,username,action")  # with a BOM: Excel opens it as UTF-8
    assert "user_create" in csv_text and "user_update" in csv_text
    assert "login_failed" in csv_text or "clerk" in csv_text


async def test_an_admin_cannot_lock_himself_out(client, kb_sessions):
    await login(client, "admin")
    with kb_sessions() as kb:
        from console.models import StaffUser
        uid = kb.execute(select(StaffUser.id).where(StaffUser.username == "admin")).scalar_one()
    await post_form(client, "/admin/users/", f"/admin/users/{uid}", {"role": "viewer", "active": "1", "password": ""})
    with kb_sessions() as kb:
        from console.models import StaffUser
        assert kb.get(StaffUser, uid).role == "admin"


def test_finished_days_are_counted_ahead_of_time(conv_sessions, kb_sessions):
    from console.analytics import warm_rollups
    from service_desk.models import TurnRollup

    with conv_sessions() as conv, kb_sessions() as kb:
        seed(conv, kb, conversations=100, days=5)
        conv.commit()
    today = datetime.fromisoformat(local_day(time.time(), "Asia/Shanghai")).date()  # the seeded days are local
    with conv_sessions() as s:
        assert warm_rollups(s, today, days=10) == 10
        s.commit()
        assert warm_rollups(s, today, days=10) == 0  # counted once
        counted = sum(r.messages for r in s.query(TurnRollup).filter(TurnRollup.dim == "total"))
        older = s.query(ConversationTurn).filter(ConversationTurn.day < (today - timedelta(days=1)).isoformat()).count()
        assert counted == older


async def test_relayed_messages_of_one_conversation_do_not_interleave(rasa):
    import asyncio

    await asyncio.gather(*(rasa.relay("web-1", {"text": f"m{i}"}) for i in range(5)))
    kinds = [p.rsplit("/", 1)[-1] for m, p, _ in rasa.calls]
    assert kinds == ["events", "execute"] * 5
