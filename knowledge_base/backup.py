"""Whole-database backups as signed archives (knowledge_base/signing.py) and their restore.

An archive holds ``knowledge_base.json`` (content, record metadata, the hash-chained revisions
and bookkeeping) and ``records.json`` (the rows of the service records kept in the same database:
handoff tickets and feedback). Restore verifies the signature, every digest and the backup's own
revision chain before it touches the database, then records itself as a revision.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Date, DateTime, MetaData, Table, func, insert, inspect, select, text
from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import chain, repository, revisions, signing
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
VERSION = 2
KB_FILE, RECORDS_FILE = "knowledge_base.json", "records.json"
# Service records kept in the knowledge base's database by upper layers (service_desk), backed up
# by table name so that this layer needs none of their code. Restore adds missing rows only.
RECORD_TABLES = ("handoff_tickets", "feedback")
# Children before parents, for wiping.
TABLES = (Faq, ServiceOffice, Service, Office, District, Department, CalendarDay, Setting, Revision, KbMeta)


@dataclass
class RestoreReport:
    """What a restore did: the content version after it and the service records added."""

    content_version: int = 0
    records_added: dict[str, int] = field(default_factory=dict)
    records_skipped: list[str] = field(default_factory=list)
    records_refused: dict[str, int] = field(default_factory=dict)  # rows a unique rule here refused
    manifest: dict[str, Any] = field(default_factory=dict)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


def _dt(value: str | None) -> datetime:
    return datetime.fromisoformat(value) if value else utcnow()


def knowledge_base_part(session: Session) -> dict:
    """Content, record metadata, revisions (with their chain hashes) and bookkeeping."""
    meta: dict[str, dict[str, dict]] = {}
    for name, ent in repository.ENTITIES.items():
        for row in session.execute(select(ent.model)).scalars():
            rid = repository.record_id(name, row.to_dict())
            meta.setdefault(name, {})[rid] = {"updated_by": row.updated_by, "updated_at": _iso(row.updated_at)}
    revs = [
        {
            "id": r.id, "entity_type": r.entity_type, "entity_id": r.entity_id, "number": r.number,
            "action": r.action, "snapshot": r.snapshot, "changed_by": r.changed_by,
            "changed_at": _iso(r.changed_at), "comment": r.comment, "prev_hash": r.prev_hash, "hash": r.hash,
        }
        for r in session.execute(select(Revision).order_by(Revision.id)).scalars()
    ]
    kb_meta = {m.key: m.value for m in session.execute(select(KbMeta)).scalars()}
    return {
        "format": FORMAT,
        "version": VERSION,
        "content": repository.export_content(session),
        "record_meta": meta,
        "revisions": revs,
        "kb_meta": kb_meta,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _record_table(session: Session, name: str) -> Table | None:
    bind = session.get_bind()
    if not inspect(bind).has_table(name):
        return None
    return Table(name, MetaData(), autoload_with=bind)


def records_part(session: Session, tables: tuple[str, ...] = RECORD_TABLES) -> dict:
    """Every row of the service-record tables that exist here, by table name."""
    out: dict[str, list[dict]] = {}
    for name in tables:
        table = _record_table(session, name)
        if table is None:
            continue
        order = list(table.primary_key.columns) or list(table.columns)[:1]
        rows = session.execute(select(table).order_by(*order)).mappings()
        out[name] = [{k: _plain(v) for k, v in row.items()} for row in rows]
    return {"tables": out}


def _dumps(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def create_archive(session: Session, key: signing.Ed25519PrivateKey, created_by: str) -> tuple[bytes, dict]:
    """A signed archive of the whole database: (bytes, manifest)."""
    kb = knowledge_base_part(session)
    records = records_part(session)
    head = kb["kb_meta"].get(chain.HEAD_KEY)
    counts = {"revisions": len(kb["revisions"]),
              **{name: len(rows) for name, rows in records["tables"].items()}}
    return signing.pack({KB_FILE: _dumps(kb), RECORDS_FILE: _dumps(records)}, key,
                        created_by=created_by, revision_head=head, counts=counts)


def write_backup(session: Session, path: str | Path, key: signing.Ed25519PrivateKey, created_by: str) -> dict:
    """Write a signed archive to ``path`` atomically (private file); returns its manifest."""
    data, manifest = create_archive(session, key, created_by)
    signing.write_atomic(Path(path), data)
    return manifest


@dataclass(frozen=True)
class VerifiedBackup:
    """An archive that passed every check, with its parsed parts."""

    archive: signing.Archive
    kb: dict
    records: dict
    content: Content


def open_archive(data: bytes, trusted: dict) -> VerifiedBackup:
    """Verify an archive completely (signature, digests, the backup's own revision chain, its
    content's validity) without touching any database."""
    archive = signing.unpack(data, trusted)
    try:
        kb = json.loads(archive.files[KB_FILE].decode("utf-8"))
        records = json.loads(archive.files.get(RECORDS_FILE, b'{"tables": {}}').decode("utf-8"))
    except (KeyError, UnicodeDecodeError, ValueError):
        raise signing.BackupError("the archive lacks a readable knowledge_base.json") from None
    if kb.get("format") != FORMAT or kb.get("version") != VERSION:
        raise signing.BackupError("not a knowledge-base backup (or an unsupported version)")
    _, problems = chain.verify_rows(kb.get("revisions", []), kb.get("kb_meta", {}).get(chain.HEAD_KEY))
    if problems:
        raise signing.BackupError("the backup's revision chain is broken: " + str(problems[0]))
    content = Content()
    add_document(content, kb["content"], "<backup>")
    errors = [i for i in validate(content, catalogue=None) if i.is_error]
    if errors:
        raise signing.BackupError("backup content does not validate:\n" + "\n".join(map(str, errors)))
    if not isinstance(records.get("tables"), dict):
        raise signing.BackupError("records.json is malformed")
    return VerifiedBackup(archive, kb, records, content)


def is_empty(session: Session) -> bool:
    """True if no content record and no revision is stored."""
    return all(session.execute(select(func.count()).select_from(m)).scalar() == 0 for m in TABLES if m is not KbMeta)


def restore_backup(
    session: Session, backup: VerifiedBackup, *, user: str, source: str, force: bool = False,
) -> RestoreReport:
    """Replace the knowledge base with a verified backup (refuses a non-empty database unless
    ``force``), add the service records it holds that are missing here, and record the restore
    as a revision on top of the backup's chain. One transaction: all or nothing."""
    if not is_empty(session):
        if not force:
            raise RuntimeError("the database is not empty; use --force to replace its contents")
        for model in TABLES:
            session.execute(sql_delete(model))
        session.flush()
    kb, content = backup.kb, backup.content
    record_meta = kb.get("record_meta", {})
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
    for r in kb.get("revisions", []):
        session.add(Revision(**{**r, "changed_at": _dt(r["changed_at"])}))
    for key, value in kb.get("kb_meta", {}).items():
        session.add(KbMeta(key=key, value=value, updated_at=utcnow()))
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(
            "SELECT setval(pg_get_serial_sequence('revisions', 'id'), "
            "COALESCE((SELECT MAX(id) FROM revisions), 1), (SELECT COUNT(*) > 0 FROM revisions))"
        ))
    report = RestoreReport(manifest=backup.archive.manifest)
    _restore_records(session, backup.records["tables"], report)
    manifest = backup.archive.manifest
    revisions.record(session, "knowledge_base", "backup", "restore", {
        "source": source,
        "manifest_sha256": backup.archive.manifest_sha256,
        "backup_created_at": manifest.get("created_at"),
        "backup_created_by": manifest.get("created_by"),
        "key_id": manifest.get("key_id"),
        "backup_revision_head": manifest.get("revision_head"),
        "records_added": report.records_added,
    }, user, comment=f"restored from {source}"[:300])
    report.content_version = revisions.content_version(session)
    return report


def _restore_records(session: Session, tables: dict[str, list[dict]], report: RestoreReport) -> None:
    """Insert the backed-up service records whose primary key is not here (never overwrite)."""
    for name in RECORD_TABLES:
        rows = tables.get(name) or []
        if not rows:
            continue
        table = _record_table(session, name)
        if table is None:
            report.records_skipped.append(name)
            continue
        pk = [c.name for c in table.primary_key.columns]
        present = {tuple(r) for r in session.execute(select(*table.primary_key.columns))} if pk else set()
        added = 0
        for row in rows:
            values = {c.name: _column_value(c, row.get(c.name)) for c in table.columns if c.name in row}
            if pk and tuple(values.get(k) for k in pk) in present:
                continue
            try:
                with session.begin_nested():
                    session.execute(insert(table).values(**values))
            except IntegrityError:  # e.g. a second open ticket of a conversation that has one here
                report.records_refused[name] = report.records_refused.get(name, 0) + 1
                continue
            added += 1
        report.records_added[name] = added
        if added and pk == ["id"] and session.get_bind().dialect.name == "postgresql":
            session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT MAX(id) FROM {name}))"))


def _column_value(column, value: Any) -> Any:
    if value is None or isinstance(column.type, JSON):
        return value
    if isinstance(column.type, DateTime) and isinstance(value, str):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date) and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def read_archive(path: str | Path) -> bytes:
    return Path(path).read_bytes()
