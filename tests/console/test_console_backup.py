"""Backup and restore in the console (admin only); a restore is undone with one click."""
import aiohttp
from sqlalchemy import select

from console.models import AuditEntry
from knowledge_base import repository
from tests.console.conftest import csrf_of, login, post_form

FAQ = "faq_marriage_appointment"


def answer(kb_sessions, lang="en"):
    with kb_sessions() as s:
        return repository.export_record(s, "faq", FAQ)["answer"][lang]


async def test_restore_replaces_the_content_and_can_be_undone(client, kb_sessions):
    await login(client, "admin")
    saved = await (await client.get("/admin/backup/download")).read()
    original = answer(kb_sessions)
    with kb_sessions() as s:
        record = repository.export_record(s, "faq", FAQ)
        record["answer"]["en"] = "Changed after the backup."
        repository.upsert(s, "faq", record, "editor")
        s.commit()
    page = await client.get("/admin/backup/")
    form = aiohttp.FormData()
    form.add_field("csrf_token", csrf_of(await page.text()))
    form.add_field("backup", saved, filename="kb.json", content_type="application/json")
    resp = await client.post("/admin/backup/restore", data=form, allow_redirects=False)
    assert resp.status == 302
    assert answer(kb_sessions) == original
    html = await (await client.get("/admin/backup/")).text()
    kept = html.split('data-backup="')[1].split('"')[0]
    assert kept.endswith("-before-restore.json")
    await post_form(client, "/admin/backup/", f"/admin/backup/restore/{kept}", {})
    assert answer(kb_sessions) == "Changed after the backup."
    with kb_sessions() as s:
        actions = [e.action for e in s.execute(select(AuditEntry)).scalars()]
    assert actions.count("restore") == 2 and "backup" in actions


async def test_a_bad_backup_changes_nothing(client, kb_sessions):
    await login(client, "admin")
    original = answer(kb_sessions)
    page = await client.get("/admin/backup/")
    form = aiohttp.FormData()
    form.add_field("csrf_token", csrf_of(await page.text()))
    form.add_field("backup", b'{"format": "something else"}', filename="x.json", content_type="application/json")
    await client.post("/admin/backup/restore", data=form)
    assert answer(kb_sessions) == original


async def test_only_admins_restore(client):
    await login(client, "editor")
    assert (await client.get("/admin/backup/")).status == 403
    assert (await client.get("/admin/backup/download")).status == 403
