"""Sign-in, lock-out, roles, CSRF and the interface language of the staff console."""
import pytest
from sqlalchemy import select

from console.i18n import language_from_header, texts
from console.models import AuditEntry
from tests.console.conftest import PASSWORD, csrf_of, login, post_form


async def test_strangers_are_sent_to_the_login_page(client):
    resp = await client.get("/admin/", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"].startswith("/admin/login?next="), resp.headers["Location"]
    assert (await client.get("/admin/api/stats")).status == 401


@pytest.mark.parametrize("lang, title", [("zh", "工作人员登录"), ("en", "Staff sign-in")])
async def test_the_interface_language_follows_the_browser_and_can_be_switched(client, lang, title):
    page = await client.get("/admin/login", headers={"Accept-Language": lang})
    assert title in await page.text()
    other = "en" if lang == "zh" else "zh"
    await client.get(f"/admin/lang/{other}?next=/admin/login")
    page = await client.get("/admin/login", headers={"Accept-Language": lang})
    assert title not in await page.text()


async def test_login_succeeds_and_is_audited(client, kb_sessions):
    resp = await login(client, "editor")
    assert resp.status == 302 and resp.headers["Location"] == "/admin/"
    page = await client.get("/admin/")
    assert page.status == 200 and 'data-role="editor"' in await page.text()
    with kb_sessions() as s:
        actions = [(e.action, e.username) for e in s.execute(select(AuditEntry)).scalars()]
    assert ("login", "editor") in actions


async def test_repeated_wrong_passwords_lock_the_account(client, kb_sessions):
    for _ in range(2):
        assert (await login(client, "viewer", "wrong password!")).status == 401
    locked = await login(client, "viewer", "wrong password!")
    assert locked.status == 403 and "locked" in await locked.text()
    # even the right password does not open a locked account
    assert (await login(client, "viewer", PASSWORD)).status == 403
    with kb_sessions() as s:
        actions = [e.action for e in s.execute(select(AuditEntry).where(AuditEntry.username == "viewer")).scalars()]
    assert actions.count("login_failed") == 2 and "login_locked" in actions


async def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client):
    resp = await login(client, "nobody")
    assert resp.status == 401 and "Wrong user name or password" in await resp.text()


async def test_a_form_without_its_csrf_token_is_refused(client):
    await login(client, "editor")
    resp = await client.post("/admin/content/faq/new", data={"id": "faq_x"}, allow_redirects=False)
    assert resp.status == 403


@pytest.mark.parametrize("role, path, status", [
    ("viewer", "/admin/", 200), ("viewer", "/admin/content/faq/", 200), ("viewer", "/admin/inbox/", 403),
    ("viewer", "/admin/users/", 403), ("editor", "/admin/inbox/", 200), ("editor", "/admin/handoffs/", 200),
    ("editor", "/admin/users/", 403), ("editor", "/admin/audit/", 403), ("admin", "/admin/users/", 200),
    ("admin", "/admin/audit/", 200),
])
async def test_roles_limit_the_pages(client, role, path, status):
    await login(client, role)
    assert (await client.get(path)).status == status


async def test_a_viewer_cannot_save_content(client):
    await login(client, "viewer")
    resp = await post_form(client, "/admin/content/faq/", "/admin/content/faq/new", {"id": "faq_viewer"})
    assert resp.status == 403


async def test_logout_ends_the_session(client):
    await login(client, "editor")
    resp = await post_form(client, "/admin/", "/admin/logout", {})
    assert resp.status == 302
    assert (await client.get("/admin/", allow_redirects=False)).status == 302


async def test_the_next_parameter_cannot_leave_the_console(client):
    page = await client.get("/admin/login")
    resp = await client.post("/admin/login", data={"csrf_token": csrf_of(await page.text()), "username": "editor",
                                                   "password": PASSWORD, "next": "//evil.example/"},
                             allow_redirects=False)
    assert resp.headers["Location"] == "/admin/"


def test_every_text_exists_in_both_languages():
    assert all(isinstance(v, dict) and v.get("zh") and v.get("en") for v in texts().values())


@pytest.mark.parametrize("header, lang", [("en-US,en;q=0.9", "en"), ("zh-TW,zh;q=0.9", "zh"),
                                          ("fr-FR,en;q=0.5,zh;q=0.8", "zh"), ("", "zh"), ("de", "zh")])
def test_language_from_the_browser_header(header, lang):
    assert language_from_header(header) == lang


def test_every_audit_action_has_a_name_in_both_languages():
    from console.audit import ACTIONS

    assert all(f"audit_action_{a}" in texts() for a in ACTIONS)
