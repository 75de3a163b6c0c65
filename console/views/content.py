"""Content: list, search, edit, create and delete records; history with diffs; revert; FAQ import.

Every write goes through the knowledge base's repository (the CLI's validation, one revision per
change), so the bot sees it at its next content-version check (about a second).
"""
from __future__ import annotations

import asyncio
import difflib
import tempfile
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from console import content as fields
from console.forms import ActionForm
from console.web import audit, db, flash, form, lang_of, posted, redirect, render, requires, t
from knowledge_base import loader, repository, revisions
from knowledge_base.loader import Issue, ValidationFailed

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SOURCES = {"service": "service", "department": "department", "office": "office", "district": "district"}


def _entity(request: web.Request) -> str:
    entity = request.match_info["entity"]
    if entity not in fields.entities():
        raise web.HTTPNotFound()
    return entity


def _records(session, entity: str) -> list[dict]:
    return repository.export_records(session, entity)


def _choices(session, lang: str) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for source in SOURCES:
        out[source] = [(r["id"], f'{r["id"]} — {(r.get("name") or {}).get(lang, "")}')
                       for r in repository.export_records(session, source)]
    return out


async def index(request: web.Request) -> web.Response:
    raise redirect(request, "content_list", entity="faq")


async def listing(request: web.Request) -> web.Response:
    entity = _entity(request)
    query = request.query.get("q", "")[:200]
    records = await db(request, lambda s: _records(s, entity))
    spec = fields.entities()[entity]
    shown = [r for r in records if fields.matches(entity, r, query)]
    rows = [{"id": repository.record_id(entity, r),
             "cells": [fields.show(_field(spec, c), fields.get_path(r, c)) for c in spec.list_columns]}
            for r in shown]
    return await render(request, "content_list.html", {
        "entity": entity, "entities": list(fields.entities()), "columns": spec.list_columns,
        "rows": rows, "q": query, "total": len(records)})


def _field(spec: fields.EntitySpec, path: str) -> fields.FieldSpec:
    return next((f for f in spec.fields if f.path == path), fields.FieldSpec(path, "text"))


async def _editor(request: web.Request, entity: str, values: dict[str, str], *, record_id: str | None,
                  errors: dict[str, list[str]] | None = None, status: int = 200,
                  history: list | None = None) -> web.Response:
    choices = await db(request, lambda s: _choices(s, lang_of(request)))
    return await render(request, "content_edit.html", {
        "entity": entity, "spec": fields.entities()[entity], "values": values, "record_id": record_id,
        "errors": errors or {}, "choices": choices, "history": history or [],
        "form": await form(request, ActionForm)}, status=status)


def _history(session, entity: str, rid: str) -> list[dict]:
    out = []
    for rev in reversed(revisions.history(session, entity, rid)):
        out.append({"number": rev.number, "action": rev.action, "by": rev.changed_by,
                    "at": rev.changed_at.strftime("%Y-%m-%d %H:%M:%S"), "comment": rev.comment or ""})
    return out


async def edit_page(request: web.Request) -> web.Response:
    entity, rid = _entity(request), request.match_info["id"]

    def load(session) -> tuple[dict | None, list]:
        record = repository.export_record(session, entity, rid)
        return record, _history(session, entity, rid) if record else []

    record, history = await db(request, load)
    if record is None:
        last = await db(request, lambda s: (revisions.history(s, entity, rid) or [None])[-1])
        if last is None:
            raise web.HTTPNotFound()
        # deleted: its last revision (the delete) has the one-click undo
        raise redirect(request, "content_revision", entity=entity, id=rid, number=str(last.number))
    return await _editor(request, entity, fields.form_values(entity, record), record_id=rid, history=history)


async def new_page(request: web.Request) -> web.Response:
    entity = _entity(request)
    return await _editor(request, entity, {}, record_id=None)


@requires("editor")
async def save(request: web.Request) -> web.Response:
    """Create or update one record; on any validation error nothing is saved and the form comes
    back with the errors next to their fields."""
    entity = _entity(request)
    rid = request.match_info.get("id")
    f, data = await posted(request)
    values = {spec.path: str(data.get(spec.path, "")) for spec in fields.entities()[entity].fields}
    record = fields.record_from_form(entity, values)
    new_id = str(record.get("date" if entity == "calendar_day" else "id") or "")
    user = request["user"].username

    def write(session) -> tuple[str | None, int]:
        if rid is None and repository.export_record(session, entity, new_id) is not None:
            raise ValidationFailed([Issue("<form>", new_id, fields.entities()[entity].key, "exists")])
        if rid is not None and new_id != rid:
            raise ValidationFailed([Issue("<form>", rid, fields.entities()[entity].key, "id_changed")])
        action = repository.upsert(session, entity, record, user, comment="console")
        if action:
            audit(session, request, "create" if action == "create" else "edit", f"{entity}:{new_id}")
        return action, repository.content_version(session)

    try:
        action, version = await db(request, write)
    except ValidationFailed as exc:
        errors = fields.field_errors(entity, exc.issues)
        lang = lang_of(request)
        errors = {k: [t(request, "error_" + m) if m in ("exists", "id_changed") else fields.translate_message(m, lang)
                      for m in v] for k, v in errors.items()}
        return await _editor(request, entity, values, record_id=rid, errors=errors, status=400)
    await flash(request, "saved" if action else "unchanged", version=version)
    raise redirect(request, "content_edit", entity=entity, id=new_id)


@requires("editor")
async def remove(request: web.Request) -> web.Response:
    entity, rid = _entity(request), request.match_info["id"]
    await posted(request)
    user = request["user"].username

    def work(session) -> None:
        if repository.delete(session, entity, rid, user, comment="console"):
            audit(session, request, "delete", f"{entity}:{rid}")

    try:
        await db(request, work)
    except ValidationFailed as exc:
        await flash(request, "delete_refused", kind="error",
                    reason="; ".join(fields.translate_message(i.message, lang_of(request)) for i in exc.issues))
        raise redirect(request, "content_edit", entity=entity, id=rid)
    await flash(request, "deleted", id=rid)
    raise redirect(request, "content_list", entity=entity)


def _dump(record: Any) -> list[str]:
    if record is None:
        return []
    return yaml.safe_dump(record, allow_unicode=True, sort_keys=False, width=100).splitlines()


async def revision_page(request: web.Request) -> web.Response:
    """One revision: who, when, and the diff against the state before it."""
    entity, rid, number = _entity(request), request.match_info["id"], int(request.match_info["number"])

    def load(session):
        rev = revisions.get_revision(session, entity, rid, number)
        return rev, revisions.state_before(session, entity, rid, number) if rev else None

    rev, before = await db(request, load)
    if rev is None:
        raise web.HTTPNotFound()
    after = None if rev.action == "delete" else rev.snapshot
    diff = list(difflib.unified_diff(_dump(before), _dump(after), lineterm="", n=2))[2:]
    return await render(request, "revision.html", {
        "entity": entity, "record_id": rid, "rev": rev, "diff": diff})


@requires("editor")
async def revert(request: web.Request) -> web.Response:
    """One click: undo a revision (the undo is itself a new revision)."""
    entity, rid, number = _entity(request), request.match_info["id"], int(request.match_info["number"])
    await posted(request)
    user = request["user"].username

    def work(session):
        action = repository.revert(session, entity, rid, number, user)
        audit(session, request, "revert", f"{entity}:{rid}", f"revision {number}")
        return action, repository.content_version(session)

    try:
        action, version = await db(request, work)
    except (ValidationFailed, LookupError) as exc:
        await flash(request, "revert_refused", kind="error", reason=str(exc)[:300])
        raise redirect(request, "content_edit", entity=entity, id=rid)
    await flash(request, "reverted", number=number, version=version)
    if action == "delete":
        raise redirect(request, "content_list", entity=entity)
    raise redirect(request, "content_edit", entity=entity, id=rid)


async def import_page(request: web.Request) -> web.Response:
    return await render(request, "import.html", {"issues": [], "report": None})


@requires("editor")
async def import_faqs(request: web.Request) -> web.Response:
    """FAQ sheet (.xlsx/.csv) upload: validated as a whole, imported all-or-nothing."""
    if (request.content_length or 0) > MAX_UPLOAD_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_UPLOAD_BYTES, request.content_length or 0)
    _, data = await posted(request)
    upload = data.get("sheet")
    suffix = Path(getattr(upload, "filename", "") or "").suffix.lower()
    if upload is None or not hasattr(upload, "file") or suffix not in (".xlsx", ".csv"):
        return await render(request, "import.html", {"issues": [t(request, "import_wrong_type")], "report": None},
                            status=400)
    user = request["user"].username
    data_bytes = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data_bytes) > MAX_UPLOAD_BYTES:
        return await render(request, "import.html", {"issues": [t(request, "import_too_large")], "report": None},
                            status=413)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"faqs{suffix}"
        path.write_bytes(data_bytes)
        content = await asyncio.to_thread(loader.load_path, path)
        filename = Path(upload.filename or "").name[:100]

        def work(session):
            report = repository.import_content(session, content, user, prune=False)
            if not report.ok:
                session.rollback()
                return report, None
            audit(session, request, "import", filename,
                  ", ".join(f"{report.count(a)} {a}" for a in ("create", "update")))
            return report, repository.content_version(session)

        report, version = await db(request, work)
    issues = [f"{filename}: {i.record}: {i.field}: {fields.translate_message(i.message, lang_of(request))}"
              for i in report.issues if i.is_error]
    summary = None if issues else {a: report.count(a) for a in ("create", "update")}
    return await render(request, "import.html", {"issues": issues, "report": summary, "version": version},
                        status=400 if issues else 200)


def add_routes(router: Any) -> None:
    router.add_get("/content/", index, name="content")
    router.add_get("/content/faq/import", import_page, name="content_import")
    router.add_post("/content/faq/import", import_faqs)
    router.add_get("/content/{entity}/", listing, name="content_list")
    router.add_get("/content/{entity}/new", new_page, name="content_new")
    router.add_post("/content/{entity}/new", save)
    router.add_get("/content/{entity}/{id}", edit_page, name="content_edit")
    router.add_post("/content/{entity}/{id}", save)
    router.add_post("/content/{entity}/{id}/delete", remove, name="content_delete")
    router.add_get("/content/{entity}/{id}/revisions/{number:\\d+}", revision_page, name="content_revision")
    router.add_post("/content/{entity}/{id}/revisions/{number:\\d+}/revert", revert, name="content_revert")
