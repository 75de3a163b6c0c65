"""Backup and restore in the console (admin only): signed archives, verified before a restore;
a restore is undone with one click."""
import io
import json
import tarfile

import aiohttp
import pytest
from sqlalchemy import select

from console.models import AuditEntry
from knowledge_base import repository, revisions
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
    form.add_field("backup", saved, filename="kb.tar.gz", content_type="application/gzip")
    resp = await client.post("/admin/backup/restore", data=form, allow_redirects=False)
    assert resp.status == 302
    assert answer(kb_sessions) == original
    with kb_sessions() as s:  # the restore is itself a revision, by the signed-in admin
        restore = revisions.history(s, "knowledge_base", "backup")[-1]
        assert (restore.action, restore.changed_by, restore.snapshot["source"]) == ("restore", "admin", "kb.tar.gz")
    html = await (await client.get("/admin/backup/")).text()
    kept = html.split('data-backup="')[1].split('"')[0]
    assert kept.endswith("-before-restore.tar.gz")
    await post_form(client, "/admin/backup/", f"/admin/backup/restore/{kept}", {})
    assert answer(kb_sessions) == "Changed after the backup."
    with kb_sessions() as s:
        actions = [e.action for e in s.execute(select(AuditEntry)).scalars()]
    assert actions.count("restore") == 2 and "backup" in actions


def tampered(archive: bytes) -> bytes:
    """The archive with one answer changed in the knowledge base file, manifest left as it was."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar}
    kb = json.loads(files["knowledge_base.json"])
    kb["content"]["faqs"][0]["answer"]["en"] = "Tampered."
    files["knowledge_base.json"] = json.dumps(kb).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.mark.parametrize("lang, reason", [("zh", "备份已被改动"), ("en", "the backup was altered")])
async def test_a_tampered_backup_is_refused_in_the_readers_language(client, kb_sessions, lang, reason):
    await login(client, "admin")
    saved = await (await client.get("/admin/backup/download")).read()
    original = answer(kb_sessions)
    await client.get(f"/admin/lang/{lang}?next=/admin/backup/")
    page = await client.get("/admin/backup/")
    form = aiohttp.FormData()
    form.add_field("csrf_token", csrf_of(await page.text()))
    form.add_field("backup", tampered(saved), filename="kb.tar.gz", content_type="application/gzip")
    html = await (await client.post("/admin/backup/restore", data=form)).text()
    assert reason in html
    assert answer(kb_sessions) == original
    with kb_sessions() as s:
        assert revisions.history(s, "knowledge_base", "backup") == []


async def test_a_file_that_is_no_backup_changes_nothing(client, kb_sessions):
    await login(client, "admin")
    original = answer(kb_sessions)
    page = await client.get("/admin/backup/")
    form = aiohttp.FormData()
    form.add_field("csrf_token", csrf_of(await page.text()))
    form.add_field("backup", b'{"format": "something else"}', filename="x.json", content_type="application/json")
    html = await (await client.post("/admin/backup/restore", data=form)).text()
    assert "This is not a valid backup" in html or "不是本系统的有效备份" in html
    assert answer(kb_sessions) == original


async def test_only_admins_restore(client):
    await login(client, "editor")
    assert (await client.get("/admin/backup/")).status == 403
    assert (await client.get("/admin/backup/download")).status == 403
