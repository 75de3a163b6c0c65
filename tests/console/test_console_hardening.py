"""The console's defences: role checks on every write, sessions that can be ended, bounded
requests, headers on every answer, alerts that stay acknowledged."""
import pytest
from sqlalchemy import select

from console.models import HotTopicAlert, StaffUser
from console.seed import Spike, seed
from knowledge_base import revisions
from tests.console.conftest import PASSWORD, csrf_of, login, post_form


async def test_a_viewer_cannot_run_the_hot_topic_check(client):
    await login(client, "viewer")
    page = await client.get("/admin/")
    assert "alerts/check" not in await page.text()
    resp = await client.post("/admin/alerts/check", data={"csrf_token": csrf_of(await page.text())},
                             allow_redirects=False)
    assert resp.status == 403


async def test_an_invalid_role_is_refused(client, kb_sessions):
    await login(client, "admin")
    with kb_sessions() as kb:
        uid = kb.execute(select(StaffUser.id).where(StaffUser.username == "viewer")).scalar_one()
    await post_form(client, "/admin/users/", f"/admin/users/{uid}", {"role": "superuser", "active": "1"})
    await post_form(client, "/admin/users/", f"/admin/users/{uid}", {"active": "1"})
    with kb_sessions() as kb:
        assert kb.get(StaffUser, uid).role == "viewer"


async def test_signing_out_ends_a_copied_session_too(client):
    await login(client, "editor")
    stolen = {c.key: c.value for c in client.session.cookie_jar}
    await post_form(client, "/admin/", "/admin/logout", {})
    client.session.cookie_jar.update_cookies(stolen)
    assert (await client.get("/admin/", allow_redirects=False)).status == 302


async def test_a_new_password_signs_out_the_old_sessions(client, kb_sessions):
    await login(client, "editor")
    assert (await client.get("/admin/", allow_redirects=False)).status == 200
    from console.auth import set_password

    with kb_sessions() as kb:
        set_password(kb.execute(select(StaffUser).where(StaffUser.username == "editor")).scalar_one(),
                     "a brand new password")
        kb.commit()
    assert (await client.get("/admin/", allow_redirects=False)).status == 302
    assert (await login(client, "editor", "a brand new password")).status == 302
    assert (await login(client, "editor", PASSWORD)).status == 401


async def test_the_dashboard_range_is_bounded(client):
    await login(client, "viewer")
    stats = await (await client.get("/admin/api/stats?from=0001-01-01&to=9999-12-31")).json()
    assert len(stats["days"]) <= 366


@pytest.mark.parametrize("path", ["/admin/no-such-page", "/admin/", "/admin/login"])
async def test_every_answer_carries_the_security_headers(client, path):
    resp = await client.get(path, allow_redirects=False)
    assert "frame-ancestors 'none'" in resp.headers.get("Content-Security-Policy", "")
    assert resp.headers.get("X-Frame-Options") == "DENY"


async def test_an_acknowledged_alert_stays_acknowledged_while_the_topic_stays_hot(client, conv_sessions, kb_sessions):
    with conv_sessions() as conv, kb_sessions() as kb:
        seed(conv, kb, conversations=0, spikes=(Spike("系统崩溃了打不开", "social_security_card", 30),))
        conv.commit()
    await login(client, "editor")
    await post_form(client, "/admin/", "/admin/alerts/check", {})
    with kb_sessions() as kb:
        alert_id = kb.execute(select(HotTopicAlert.id).where(HotTopicAlert.kind == "service")).scalar_one()
    await post_form(client, "/admin/", f"/admin/alerts/{alert_id}/ack", {})
    await post_form(client, "/admin/", "/admin/alerts/check", {})
    with kb_sessions() as kb:
        rows = kb.execute(select(HotTopicAlert).where(HotTopicAlert.kind == "service")).scalars().all()
    assert len(rows) == 1 and rows[0].acknowledged_by == "editor"
    assert "hot-topic-banner" not in await (await client.get("/admin/")).text() or \
        "social_security_card" not in await (await client.get("/admin/")).text()


async def test_a_deleted_record_can_be_brought_back_from_its_page(client, kb_sessions):
    await login(client, "editor")
    url = "/admin/content/faq/faq_marriage_appointment"
    await post_form(client, url, f"{url}/delete", {})
    resp = await client.get(url, allow_redirects=False)
    assert resp.status == 302 and "/revisions/" in resp.headers["Location"]
    page = await client.get(resp.headers["Location"])
    assert "/revert" in await page.text()
    with kb_sessions() as kb:
        number = revisions.history(kb, "faq", "faq_marriage_appointment")[-1].number
    await post_form(client, resp.headers["Location"], f"{url}/revisions/{number}/revert", {})
    assert (await client.get(url, allow_redirects=False)).status == 200
