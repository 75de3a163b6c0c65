"""Whole-database backup and restore as one JSON document (content, record metadata, revisions)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from . import repository
from .loader import Content, add_document, validate
from .models import (
    CalendarDay,
    Department,
    District,
    Faq,
    KbMeta,
    Office,
    Revision,
    Service,
    ServiceOffice,
    Setting,
    utcnow,
)

FORMAT = "govassist-knowledge-base-backup"
VERSION = 1
# Children before parents, for wiping.
TABLES = (Faq, ServiceOffice, Service, Office, District, Department, CalendarDay, Setting, Revision, KbMeta)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


def _dt(value: str | None) -> datetime:
    return datetime.fromisoformat(value) if value else utcnow()


def create_backup(session: Session) -> dict:
    """Everything in the knowledge base as a JSON-serialisable dict."""
    meta: dict[str, dict[str, dict]] = {}
    for name, ent in repository.ENTITIES.items():
        for row in session.execute(select(ent.model)).scalars():
            rid = repository.record_id(name, row.to_dict())
            meta.setdefault(name, {})[rid] = {"updated_by": row.updated_by, "updated_at": _iso(row.updated_at)}
    revisions = [
        {
            "id": r.id, "entity_type": r.entity_type, "entity_id": r.entity_id, "number": r.number,
            "action": r.action, "snapshot": r.snapshot, "changed_by": r.changed_by,
            "changed_at": _iso(r.changed_at), "comment": r.comment,
        }
        for r in session.execute(select(Revision).order_by(Revision.id)).scalars()
    ]
    kb_meta = {m.key: m.value for m in session.execute(select(KbMeta)).scalars()}
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_at": _iso(utcnow()),
        "content": repository.export_content(session),
        "record_meta": meta,
        "revisions": revisions,
        "kb_meta": kb_meta,
    }


def write_backup(session: Session, path: str | Path) -> dict:
    """Write :func:`create_backup` to ``path``; returns the backup."""
    data = create_backup(session)
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return data


def is_empty(session: Session) -> bool:
    """True if no content record and no revision is stored."""
    return all(session.execute(select(func.count()).select_from(m)).scalar() == 0 for m in TABLES if m is not KbMeta)


def restore_backup(session: Session, data: dict[str, Any], *, force: bool = False) -> None:
    """Replace the knowledge base with a backup; refuses a non-empty database unless ``force``."""
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise ValueError("not a knowledge-base backup (or an unsupported version)")
    if not is_empty(session):
        if not force:
            raise RuntimeError("the database is not empty; use --force to replace its contents")
        for model in TABLES:
            session.execute(sql_delete(model))
        session.flush()
    content = Content()
    add_document(content, data["content"], "<backup>")
    errors = [i for i in validate(content, catalogue=None) if i.is_error]
    if errors:
        raise ValueError("backup content does not validate:\n" + "\n".join(map(str, errors)))
    record_meta = data.get("record_meta", {})
    for entity in repository.IMPORT_ORDER:
        ent = repository.ENTITIES[entity]
        for rid, record in content.records[entity].items():
            obj = ent.model(**{repository.pk_attr(ent.model): ent.key(rid)})
            session.add(obj)
            ent.apply(session, obj, record)
            meta = record_meta.get(entity, {}).get(rid, {})
            obj.updated_by = meta.get("updated_by") or "restore"
            obj.updated_at = _dt(meta.get("updated_at"))
        session.flush()
    for r in data.get("revisions", []):
        session.add(Revision(**{**r, "changed_at": _dt(r["changed_at"])}))
    for key, value in data.get("kb_meta", {}).items():
        session.add(KbMeta(key=key, value=value, updated_at=utcnow()))
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(
            "SELECT setval(pg_get_serial_sequence('revisions', 'id'), "
            "COALESCE((SELECT MAX(id) FROM revisions), 1), (SELECT COUNT(*) > 0 FROM revisions))"
        ))


def read_backup(path: str | Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
