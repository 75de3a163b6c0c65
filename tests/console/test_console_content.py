"""Editing the knowledge base in the console: same validation as the CLI, revisions, diff, revert,
search, import; the bot's knowledge-base access sees each change."""
import csv

import pytest
from sqlalchemy import select

from console.models import AuditEntry
from knowledge_base import repository, revisions
from knowledge_base.access import KnowledgeBaseAccess
from tests.console.conftest import login, post_form

FAQ = "faq_marriage_appointment"


def faq_form(record: dict, **changes) -> dict:
    data = {"id": record["id"], "service": record.get("service") or "", "tags": ", ".join(record["tags"]),
            "questions.zh": "\n".join(record["questions"]["zh"]), "questions.en": "\n".join(record["questions"]["en"]),
            "answer.zh": record["answer"]["zh"], "answer.en": record["answer"]["en"]}
    data.update(changes)
    return data


def stored(kb_sessions, entity, rid):
    with kb_sessions() as s:
        return repository.export_record(s, entity, rid)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_an_edit_is_saved_as_a_revision_and_reaches_the_bot(client, kb_sessions, settings, lang):
    access = KnowledgeBaseAccess(settings.database_url, refresh_seconds=0.0)
    before = access.content_version()
    await login(client, "editor")
    record = stored(kb_sessions, "faq", FAQ)
    new_answer = {"zh": "新的答案：请带身份证。", "en": "New answer: bring your ID card."}
    url = f"/admin/content/faq/{FAQ}"
    resp = await post_form(client, url, url, faq_form(record, **{f"answer.{lang}": new_answer[lang]}))
    assert resp.status == 302
    assert stored(kb_sessions, "faq", FAQ)["answer"][lang] == new_answer[lang]
    assert access.content_version() > before  # the bot's next check sees a new version
    with kb_sessions() as s:
        last = revisions.history(s, "faq", FAQ)[-1]
        assert (last.changed_by, last.action) == ("editor", "update")
        assert ("edit", f"faq:{FAQ}") in [(e.action, e.target) for e in s.execute(select(AuditEntry)).scalars()]
    page = await client.get(url)
    assert f"revisions/{last.number}" in await page.text()
    diff = await (await client.get(f"{url}/revisions/{last.number}")).text()
    assert "New answer" in diff or "新的答案" in diff


async def test_a_validation_error_saves_nothing_and_is_shown_next_to_the_field(client, kb_sessions):
    await login(client, "editor", lang="en")
    record = stored(kb_sessions, "faq", FAQ)
    url = f"/admin/content/faq/{FAQ}"
    resp = await post_form(client, url, url, faq_form(record, **{"answer.en": "", "service": "no_such_service"}))
    assert resp.status == 400
    html = await resp.text()
    assert 'data-field="answer.en"' in html and "field-error" in html
    assert stored(kb_sessions, "faq", FAQ) == record


async def test_revert_restores_the_previous_answer_in_one_click(client, kb_sessions):
    await login(client, "editor")
    record = stored(kb_sessions, "faq", FAQ)
    url = f"/admin/content/faq/{FAQ}"
    await post_form(client, url, url, faq_form(record, **{"answer.en": "Changed."}))
    with kb_sessions() as s:
        number = revisions.history(s, "faq", FAQ)[-1].number
    resp = await post_form(client, url, f"{url}/revisions/{number}/revert", {})
    assert resp.status == 302
    assert stored(kb_sessions, "faq", FAQ) == record


async def test_create_then_delete_then_undo_the_delete(client, kb_sessions):
    await login(client, "editor")
    data = {"id": "faq_console_new", "service": "", "tags": "test", "questions.zh": "新问题？",
            "questions.en": "A new question?", "answer.zh": "新答案。", "answer.en": "A new answer."}
    resp = await post_form(client, "/admin/content/faq/new", "/admin/content/faq/new", data)
    assert resp.status == 302 and stored(kb_sessions, "faq", "faq_console_new")["tags"] == ["test"]
    again = await post_form(client, "/admin/content/faq/new", "/admin/content/faq/new", data)
    assert again.status == 400  # the id exists: nothing overwritten
    url = "/admin/content/faq/faq_console_new"
    assert (await post_form(client, url, f"{url}/delete", {})).status == 302
    assert stored(kb_sessions, "faq", "faq_console_new") is None
    with kb_sessions() as s:
        number = revisions.history(s, "faq", "faq_console_new")[-1].number
    # the deleted record's history stays reachable: undo the delete
    await login(client, "editor")
    resp = await post_form(client, "/admin/content/faq/", f"{url}/revisions/{number}/revert", {})
    assert resp.status == 302 and stored(kb_sessions, "faq", "faq_console_new")["answer"]["en"] == "A new answer."


@pytest.mark.parametrize("entity, rid", [("service", "passport_application"), ("office", "city_service_center"),
                                         ("department", "psb_exit_entry"), ("calendar_day", "2026-10-01")])
async def test_every_record_type_round_trips_through_its_form_unchanged(client, kb_sessions, entity, rid):
    await login(client, "editor")
    page = await client.get(f"/admin/content/{entity}/{rid}")
    assert page.status == 200
    import re
    html = await page.text()
    from console import content
    values = {}
    for f in content.entities()[entity].fields:
        name = re.escape(f.path)
        m = re.search(rf'name="{name}"[^>]*>(.*?)</textarea>', html, re.S) if f.kind in ("textarea", "lines", "multi", "hours") else None
        if m:
            import html as h
            values[f.path] = h.unescape(m.group(1))
        elif f.kind in ("select", "choice"):
            block = re.search(rf'name="{name}">(.*?)</select>', html, re.S).group(1)
            sel = re.search(r'<option value="([^"]*)" selected', block)
            values[f.path] = sel.group(1) if sel else ""
        else:
            m = re.search(rf'name="{name}" value="([^"]*)"', html)
            import html as h
            values[f.path] = h.unescape(m.group(1)) if m else ""
    before = stored(kb_sessions, entity, rid)
    url = f"/admin/content/{entity}/{rid}"
    resp = await post_form(client, url, url, values)
    assert resp.status == 302, await resp.text()
    assert stored(kb_sessions, entity, rid) == before


async def test_search_finds_records_by_their_text(client):
    await login(client, "viewer")
    html = await (await client.get("/admin/content/service/?q=passport")).text()
    assert "passport_application" in html and "marriage_registration" not in html


async def test_faq_sheet_import_is_all_or_nothing(client, kb_sessions, tmp_path):
    await login(client, "editor", lang="en")
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    header = ["id", "service", "tags", "question_zh", "question_en", "answer_zh", "answer_en"]
    rows = [["faq_import_one", "passport_application", "", "护照加急？", "Express passport?", "可以加急。", "Express is possible."]]
    for path, extra in ((good, []), (bad, [["faq_import_two", "no_such_service", "", "问", "Q", "答", "A"]])):
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([header, *rows, *extra])
    page = await client.get("/admin/content/faq/import")
    from tests.console.conftest import csrf_of
    token = csrf_of(await page.text())
    import aiohttp
    form = aiohttp.FormData()
    form.add_field("csrf_token", token)
    form.add_field("sheet", bad.read_bytes(), filename="bad.csv", content_type="text/csv")
    resp = await client.post("/admin/content/faq/import", data=form)
    assert resp.status == 400 and "no_such_service" in await resp.text()
    assert stored(kb_sessions, "faq", "faq_import_one") is None  # nothing imported
    form = aiohttp.FormData()
    form.add_field("csrf_token", token)
    form.add_field("sheet", good.read_bytes(), filename="good.csv", content_type="text/csv")
    resp = await client.post("/admin/content/faq/import", data=form)
    assert resp.status == 200 and "import-ok" in await resp.text()
    assert stored(kb_sessions, "faq", "faq_import_one")["answer"]["en"] == "Express is possible."


@pytest.mark.parametrize("message, lang, expected", [
    ("missing or empty", "zh", "必填，不能为空"),
    ("missing or empty", "en", "Required; cannot be empty"),
    ("time '25:00' is not HH:MM (quote times in YAML)", "zh", "时间 '25:00' 不是 HH:MM 格式"),
    ("unknown service 'no_such_service'", "en", "There is no record with the id “no_such_service”"),
    ("something nobody foresaw", "zh", "something nobody foresaw"),
])
def test_validation_messages_are_shown_in_the_readers_language(message, lang, expected):
    from console.content import translate_message

    assert translate_message(message, lang) == expected


def test_every_message_the_knowledge_base_gives_a_form_is_translated():
    """Each validation message the CLI's checks produce for console forms has both languages."""
    from console.content import _message_patterns, entities, record_from_form
    from knowledge_base.loader import normalize_record

    bad = {"id": "Bad Id", "date": "2026-13-01", "hours": "someday 25:00-09:00", "lunch": "14:00-12:00",
           "online.url": "ftp:/x", "source_url": "nope", "last_verified": "yesterday"}
    untranslated = []
    for entity in entities():
        _, issues = normalize_record(entity, record_from_form(entity, bad))
        for issue in issues:
            if not any(p.search(issue.message) for p, _ in _message_patterns()):
                untranslated.append((entity, issue.field, issue.message))
    assert untranslated == []
